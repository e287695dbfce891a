#include "common/html_report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "edgert_internal/file_io.h"

namespace edgert::app::html {
namespace {

constexpr const char* kStyle = R"(body{font-family:sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}
tr.pass td.verdict,td.pass{background:#d4f4d4}tr.fail td.verdict,td.fail{background:#f8d0d0}
tr.marked td{font-weight:bold}.note{color:#555;font-size:.9em}
svg.chart{display:block;margin:.6em 0;font-size:11px}
svg.chart .axis{stroke:#444;stroke-width:1}svg.chart .grid{stroke:#e4e4e4;stroke-width:1}
svg.chart .threshold{stroke:#888;stroke-dasharray:4 3}
svg.chart polyline{fill:none;stroke-width:1.5}
svg.chart .s0{stroke:#1f77b4;fill:#1f77b4}svg.chart .s1{stroke:#ff7f0e;fill:#ff7f0e}
svg.chart .s2{stroke:#2ca02c;fill:#2ca02c}svg.chart .s3{stroke:#9467bd;fill:#9467bd}
svg.chart polyline.s0,svg.chart polyline.s1,svg.chart polyline.s2,svg.chart polyline.s3{fill:none}
svg.chart text.s0,svg.chart text.s1,svg.chart text.s2,svg.chart text.s3{stroke:none}
svg.chart .marker{stroke:#d62728;stroke-width:1.5;stroke-dasharray:5 3}
svg.chart circle.marked{stroke:#d62728;fill:#d62728}svg.chart text.marked{fill:#d62728}
svg.chart rect.bar.fail{fill:#d62728;stroke:#d62728}svg.chart text.title{font-size:13px;font-weight:bold}
)";

// Round `x` up to 1, 2 or 5 times a power of ten.
double NiceStep(double x) {
  if (!(x > 0) || !std::isfinite(x)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  const double f = x / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

struct Axis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
};

// An axis over [lo, hi] with about five ticks; an empty or degenerate range is widened. A range
// within rounding of its values (cosines of 1 and 1 - 1e-16) counts as degenerate: its ticks
// could not be told apart, and stepping by them would not move.
Axis MakeAxis(double lo, double hi) {
  Axis a;
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi) lo = 0, hi = 1;
  const double mag = std::max(std::fabs(lo), std::fabs(hi));
  if (hi - lo <= mag * 1e-9) {
    const double mid = (lo + hi) / 2;
    const double pad = mag == 0 ? 1 : mag * 0.01;
    lo = mid - pad;
    hi = mid + pad;
  }
  const double step = NiceStep((hi - lo) / 5);
  a.lo = std::floor(lo / step) * step;
  a.hi = std::ceil(hi / step) * step;
  const double n = (a.hi - a.lo) / step;
  for (int i = 0; i <= 20 && i <= n + 0.5; ++i) a.ticks.push_back(a.lo + step * i);
  return a;
}

void DataRange(const std::vector<Series>& series, bool right, double* lo, double* hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (const Series& s : series) {
    if (s.right_axis != right) continue;
    for (double v : s.values)
      if (std::isfinite(v)) *lo = std::min(*lo, v), *hi = std::max(*hi, v);
  }
}

std::string SvgOpen(double w, double h, const std::string& cls, const std::string& title) {
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart " << cls << "\" width=\"" << Num(w)
     << "\" height=\"" << Num(h) << "\" viewBox=\"0 0 " << Num(w) << " " << Num(h)
     << "\" role=\"img\" aria-label=\"" << Escape(title) << "\">\n";
  if (!title.empty())
    os << "<text class=\"title\" x=\"" << Num(w / 2) << "\" y=\"16\" text-anchor=\"middle\">"
       << Escape(title) << "</text>\n";
  return os.str();
}

}  // namespace

std::string Escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Num(double v, int precision) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  std::ostringstream os;
  os.precision(precision);
  os << v;
  return os.str();
}

std::string LineChartSvg(const LineChart& c) {
  const size_t n = c.x_names.size();
  const double left = 70, right = 75, top = 30, bottom = 50, ph = 260;
  const double pw = std::clamp(static_cast<double>(n) * 12.0, 560.0, 1200.0);
  const double w = left + pw + right, h = top + ph + bottom;
  double lo = c.y_min, hi = c.y_max;
  if (lo >= hi) {
    DataRange(c.series, false, &lo, &hi);
    if (c.has_threshold) lo = std::min(lo, c.threshold), hi = std::max(hi, c.threshold);
  }
  const Axis ya = MakeAxis(lo, hi);
  double lo2, hi2;
  DataRange(c.series, true, &lo2, &hi2);
  const bool has_right = std::isfinite(lo2);
  const Axis y2 = MakeAxis(has_right ? std::min(0.0, lo2) : 0, has_right ? hi2 : 1);
  auto x_of = [&](size_t i) {
    return left + (n <= 1 ? pw / 2 : pw * static_cast<double>(i) / static_cast<double>(n - 1));
  };
  auto y_of = [&](double v, const Axis& a) {
    v = std::clamp(v, a.lo, a.hi);
    return top + ph - ph * (v - a.lo) / (a.hi - a.lo);
  };
  std::ostringstream os;
  os << SvgOpen(w, h, "line-chart", c.title);
  for (double t : ya.ticks) {
    const double y = y_of(t, ya);
    os << "<line class=\"grid\" x1=\"" << Num(left) << "\" x2=\"" << Num(left + pw) << "\" y1=\""
       << Num(y) << "\" y2=\"" << Num(y) << "\"/><text x=\"" << Num(left - 4) << "\" y=\""
       << Num(y + 4) << "\" text-anchor=\"end\">" << Num(t, 6) << "</text>\n";
  }
  if (has_right)
    for (double t : y2.ticks)
      os << "<text class=\"s1\" x=\"" << Num(left + pw + 4) << "\" y=\"" << Num(y_of(t, y2) + 4)
         << "\">" << Num(t, 3) << "</text>\n";
  os << "<line class=\"axis\" x1=\"" << Num(left) << "\" x2=\"" << Num(left) << "\" y1=\""
     << Num(top) << "\" y2=\"" << Num(top + ph) << "\"/><line class=\"axis\" x1=\"" << Num(left)
     << "\" x2=\"" << Num(left + pw) << "\" y1=\"" << Num(top + ph) << "\" y2=\"" << Num(top + ph)
     << "\"/>\n";
  if (has_right)
    os << "<line class=\"axis\" x1=\"" << Num(left + pw) << "\" x2=\"" << Num(left + pw)
       << "\" y1=\"" << Num(top) << "\" y2=\"" << Num(top + ph) << "\"/>\n";
  // x ticks: about ten position numbers, names are in the tooltips.
  const size_t every = std::max<size_t>(1, (n + 9) / 10);
  for (size_t i = 0; i < n; i += every)
    os << "<text x=\"" << Num(x_of(i)) << "\" y=\"" << Num(top + ph + 14)
       << "\" text-anchor=\"middle\">" << i << "</text>\n";
  os << "<text x=\"" << Num(left + pw / 2) << "\" y=\"" << Num(h - 12)
     << "\" text-anchor=\"middle\">" << Escape(c.x_label) << "</text>\n"
     << "<text x=\"14\" y=\"" << Num(top + ph / 2)
     << "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " << Num(top + ph / 2) << ")\">"
     << Escape(c.y_label) << "</text>\n";
  if (has_right)
    os << "<text class=\"s1\" x=\"" << Num(w - 10) << "\" y=\"" << Num(top + ph / 2)
       << "\" text-anchor=\"middle\" transform=\"rotate(90 " << Num(w - 10) << " "
       << Num(top + ph / 2) << ")\">" << Escape(c.y2_label) << "</text>\n";
  if (c.has_threshold) {
    const double y = y_of(c.threshold, ya);
    os << "<line class=\"threshold\" x1=\"" << Num(left) << "\" x2=\"" << Num(left + pw)
       << "\" y1=\"" << Num(y) << "\" y2=\"" << Num(y) << "\" data-value=\"" << Num(c.threshold, 9)
       << "\"><title>threshold " << Num(c.threshold, 9) << "</title></line>\n";
  }
  if (c.marked >= 0 && static_cast<size_t>(c.marked) < n) {
    const double x = x_of(static_cast<size_t>(c.marked));
    os << "<line class=\"marker\" x1=\"" << Num(x) << "\" x2=\"" << Num(x) << "\" y1=\"" << Num(top)
       << "\" y2=\"" << Num(top + ph) << "\" data-index=\"" << c.marked << "\" data-name=\""
       << Escape(c.x_names[static_cast<size_t>(c.marked)]) << "\"/>\n"
       << "<text class=\"marked\" x=\"" << Num(x + 4) << "\" y=\"" << Num(top + 12)
       << "\" text-anchor=\"" << (x > left + pw * 0.6 ? "end" : "start") << "\">"
       << Escape(c.marked_label) << "</text>\n";
  }
  for (size_t s = 0; s < c.series.size(); ++s) {
    const Series& se = c.series[s];
    const Axis& a = se.right_axis ? y2 : ya;
    const std::string cls = "s" + std::to_string(s);
    os << "<polyline class=\"" << cls << "\" data-series=\"" << Escape(se.name) << "\" points=\"";
    for (size_t i = 0; i < n && i < se.values.size(); ++i)
      if (std::isfinite(se.values[i]))
        os << Num(x_of(i)) << "," << Num(y_of(se.values[i], a)) << " ";
    os << "\"/>\n";
    for (size_t i = 0; i < n && i < se.values.size(); ++i) {
      const double v = se.values[i];
      const bool finite = std::isfinite(v);
      const bool marked = static_cast<int>(i) == c.marked;
      os << "<circle class=\"point " << cls << (marked ? " marked" : "")
         << (finite ? "" : " nonfinite") << "\" cx=\"" << Num(x_of(i)) << "\" cy=\""
         << Num(finite ? y_of(v, a) : top + ph) << "\" r=\"" << (marked ? 4.5 : 2.5)
         << "\" data-series=\"" << Escape(se.name) << "\" data-index=\"" << i << "\" data-name=\""
         << Escape(c.x_names[i]) << "\" data-value=\"" << Num(v, 9) << "\"><title>" << i << " "
         << Escape(c.x_names[i]) << ": " << Escape(se.name) << " " << Num(v, 9)
         << "</title></circle>\n";
    }
  }
  // Legend, top left inside the plot.
  for (size_t s = 0; s < c.series.size(); ++s) {
    const double y = top + 12 + 14 * static_cast<double>(s);
    os << "<rect class=\"legend s" << s << "\" x=\"" << Num(left + 8) << "\" y=\"" << Num(y - 8)
       << "\" width=\"10\" height=\"10\"/><text x=\"" << Num(left + 22) << "\" y=\"" << Num(y + 1)
       << "\">" << Escape(c.series[s].name) << (c.series[s].right_axis ? " (right axis)" : "")
       << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

std::string BarChartSvg(const BarChart& c) {
  const size_t rows = c.labels.size(), ns = std::max<size_t>(1, c.series.size());
  size_t longest = 0;
  for (const auto& l : c.labels) longest = std::max(longest, l.size());
  const double left = std::clamp(static_cast<double>(longest) * 6.5 + 12, 60.0, 300.0);
  const double bar_h = 12, row_h = bar_h * static_cast<double>(ns) + 8;
  const double top = 30 + (c.series.size() > 1 ? 16 : 0), bottom = 40, pw = 520, right = 90;
  const double ph = row_h * static_cast<double>(rows);
  const double w = left + pw + right, h = top + ph + bottom;
  double lo = c.v_min, hi = c.v_max;
  if (lo >= hi) {
    DataRange(c.series, false, &lo, &hi);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  const Axis a = MakeAxis(lo, hi);
  auto x_of = [&](double v) {
    v = std::clamp(v, a.lo, a.hi);
    return left + pw * (v - a.lo) / (a.hi - a.lo);
  };
  std::ostringstream os;
  os << SvgOpen(w, h, "bar-chart", c.title);
  for (double t : a.ticks) {
    const double x = x_of(t);
    os << "<line class=\"grid\" x1=\"" << Num(x) << "\" x2=\"" << Num(x) << "\" y1=\"" << Num(top)
       << "\" y2=\"" << Num(top + ph) << "\"/><text x=\"" << Num(x) << "\" y=\""
       << Num(top + ph + 14) << "\" text-anchor=\"middle\">" << Num(t, 6) << "</text>\n";
  }
  std::string axis_label = c.value_label;
  if (a.lo != 0) axis_label += " (axis starts at " + Num(a.lo, 6) + ")";
  os << "<text x=\"" << Num(left + pw / 2) << "\" y=\"" << Num(h - 8)
     << "\" text-anchor=\"middle\">" << Escape(axis_label) << "</text>\n";
  if (c.series.size() > 1)
    for (size_t s = 0; s < c.series.size(); ++s) {
      const double x = left + 160 * static_cast<double>(s);
      os << "<rect class=\"legend s" << s << "\" x=\"" << Num(x) << "\" y=\"24\" width=\"10\" "
         << "height=\"10\"/><text x=\"" << Num(x + 14) << "\" y=\"33\">" << Escape(c.series[s].name)
         << "</text>\n";
    }
  for (size_t r = 0; r < rows; ++r) {
    const double y0 = top + row_h * static_cast<double>(r) + 4;
    const std::string extra =
        r < c.row_classes.size() && !c.row_classes[r].empty() ? " " + c.row_classes[r] : "";
    os << "<g class=\"row" << extra << "\" data-label=\"" << Escape(c.labels[r]) << "\">"
       << "<text x=\"" << Num(left - 6) << "\" y=\"" << Num(y0 + row_h / 2)
       << "\" text-anchor=\"end\">" << Escape(c.labels[r]) << "</text>\n";
    for (size_t s = 0; s < c.series.size(); ++s) {
      const double v = r < c.series[s].values.size() ? c.series[s].values[r] : NAN;
      const double x0 = x_of(std::max(a.lo, std::min(0.0, a.hi)));
      const double x1 = std::isfinite(v) ? x_of(v) : x0;
      const double y = y0 + bar_h * static_cast<double>(s);
      os << "<rect class=\"bar s" << s << extra << "\" x=\"" << Num(std::min(x0, x1)) << "\" y=\""
         << Num(y) << "\" width=\"" << Num(std::max(std::fabs(x1 - x0), 0.5)) << "\" height=\""
         << Num(bar_h - 2) << "\" data-label=\"" << Escape(c.labels[r]) << "\" data-series=\""
         << Escape(c.series[s].name) << "\" data-value=\"" << Num(v, 9) << "\"><title>"
         << Escape(c.labels[r]) << ": " << Escape(c.series[s].name) << " " << Num(v, 9)
         << "</title></rect><text x=\"" << Num(std::max(x0, x1) + 4) << "\" y=\""
         << Num(y + bar_h - 3) << "\">" << Num(v, 4) << "</text>\n";
    }
    os << "</g>\n";
  }
  os << "<line class=\"axis\" x1=\"" << Num(left) << "\" x2=\"" << Num(left) << "\" y1=\""
     << Num(top) << "\" y2=\"" << Num(top + ph) << "\"/>\n</svg>\n";
  return os.str();
}

std::string TableHtml(const Table& t) {
  std::ostringstream os;
  os << "<table" << (t.css_class.empty() ? "" : " class=\"" + Escape(t.css_class) + "\"")
     << ">\n<tr>";
  for (const auto& h : t.header) os << "<th>" << Escape(h) << "</th>";
  os << "</tr>\n";
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const bool cls = r < t.row_classes.size() && !t.row_classes[r].empty();
    os << "<tr" << (cls ? " class=\"" + Escape(t.row_classes[r]) + "\"" : "") << ">";
    for (size_t i = 0; i < t.rows[r].size(); ++i) {
      // The last column of a table with a "verdict" header gets the verdict colours.
      const bool verdict = i < t.header.size() && t.header[i] == "verdict";
      os << (verdict ? "<td class=\"verdict\">" : "<td>") << Escape(t.rows[r][i]) << "</td>";
    }
    os << "</tr>\n";
  }
  os << "</table>\n";
  return os.str();
}

std::string Page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         Escape(title) + "</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n<h1>" +
         Escape(title) + "</h1>\n" + body + "</body>\n</html>\n";
}

Status WritePage(const std::string& path, const std::string& page) {
  return WriteFileAtomic(path, page.data(), page.size());
}

}  // namespace edgert::app::html
