// The shared HTML writer (apps/common/html_report.h): escaping, one element per value, marks,
// and ranges that would trip a naive axis (all equal, within rounding, non-finite values).
#include "common/html_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace edgert::app::html {
namespace {

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(HtmlReportTest, EscapesMarkupAndQuotes) {
  EXPECT_EQ(Escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(Escape("plain/name_1.bin"), "plain/name_1.bin");
  LineChart c;
  c.x_names = {"<script>alert(1)</script>", "x\"y"};
  c.series = {{"s&t", {0.5, 1.0}, false}};
  const std::string svg = LineChartSvg(c);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_NE(svg.find("data-name=\"x&quot;y\""), std::string::npos);
  EXPECT_NE(svg.find("data-series=\"s&amp;t\""), std::string::npos);
}

TEST(HtmlReportTest, OnePointPerValueAndTheMarkedOne) {
  LineChart c;
  for (int i = 0; i < 7; ++i) c.x_names.push_back("n" + std::to_string(i));
  c.series = {{"cosine", {1, 1, 0.99, 0.5, 0.7, 1, 1}, false},
              {"err", {0, 0, 1, 9, 4, 0, 0}, true}};
  c.marked = 3;
  const std::string svg = LineChartSvg(c);
  EXPECT_EQ(Count(svg, "<circle class=\"point s0"), 7u);
  EXPECT_EQ(Count(svg, "<circle class=\"point s1"), 7u);
  EXPECT_EQ(Count(svg, " marked\""), 2u);  // both series' points at position 3
  EXPECT_EQ(Count(svg, "class=\"marker\""), 1u);
  EXPECT_NE(svg.find("data-index=\"3\" data-name=\"n3\""), std::string::npos);
}

TEST(HtmlReportTest, DegenerateRangesStillDrawAxes) {
  // All equal, equal within rounding, and with non-finite values: the writer returns, every
  // value gets its point, and no coordinate is nan or inf.
  const std::vector<std::vector<double>> cases = {
      {1, 1, 1}, {1, 1 - 1e-16, 1}, {0, 0, 0}, {NAN, 1, INFINITY}, {1e-320, 0, 1e-320}};
  for (const auto& v : cases) {
    LineChart c;
    c.x_names = {"a", "b", "c"};
    c.series = {{"v", v, false}};
    const std::string svg = LineChartSvg(c);
    EXPECT_EQ(Count(svg, "<circle class=\"point"), 3u);
    EXPECT_EQ(Count(svg, "nonfinite"), static_cast<size_t>(std::isnan(v[0]) ? 2 : 0));
    // Coordinates only: data-value keeps the value itself, "inf" included.
    for (const char* bad : {"x=\"nan", "y=\"nan", "1=\"nan", "2=\"nan", "x=\"inf", "y=\"inf",
                            "1=\"inf", "2=\"inf", "x=\"-inf", "y=\"-inf", "points=\"nan"})
      EXPECT_EQ(svg.find(bad), std::string::npos) << bad;
    BarChart b;
    b.labels = {"a", "b", "c"};
    b.series = {{"v", v, false}};
    const std::string bars = BarChartSvg(b);
    EXPECT_EQ(Count(bars, "<rect class=\"bar s0"), 3u);
    EXPECT_EQ(bars.find("width=\"nan"), std::string::npos);
  }
}

TEST(HtmlReportTest, PageIsOneDocumentWithoutScripts) {
  const std::string page =
      Page("t<1>", TableHtml({{"a", "verdict"}, {{"x", "pass"}}, {"pass"}, ""}));
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("<title>t&lt;1&gt;</title>"), std::string::npos);
  EXPECT_NE(page.find("<tr class=\"pass\"><td>x</td><td class=\"verdict\">pass</td></tr>"),
            std::string::npos);
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace edgert::app::html
