#pragma once

// Self-contained HTML reports: one file with inline CSS and inline SVG charts, no scripts and no
// network, so a report opens the same on an offline PC and survives being mailed around. Used by
// verifier --html, perf --profile_path (profile.html) and model_compiler's quant report.
//
// Every chart element a reader (or a test) may want to find carries a class and data-*
// attributes: line-chart points are <circle class="point sN" data-index data-name data-value>,
// bars are <rect class="bar sN" data-label data-value>, a marked position has class "marked".

#include <string>
#include <string_view>
#include <vector>

#include "edgert/status.h"

namespace edgert::app::html {

// `s` with &, <, >, " and ' replaced by entities: safe as element text and attribute value.
std::string Escape(std::string_view s);

// `v` with up to `precision` significant digits ("nan", "inf" for non-finite values).
std::string Num(double v, int precision = 6);

// One data series. Colours come from the page's CSS by index: series i gets class "s<i>".
struct Series {
  std::string name;
  std::vector<double> values;  // one per x position (line) or per row (bar)
  bool right_axis = false;     // line charts: plotted against the second (right) y axis
};

// Points joined by lines at evenly spaced x positions (for example nodes in execution order).
struct LineChart {
  std::string title;
  std::string x_label, y_label, y2_label;  // y2: the right axis, used when a series asks for it
  std::vector<std::string> x_names;        // one per position: tooltip and data-name
  std::vector<Series> series;
  // Left axis range; when y_min >= y_max it is taken from the data.
  double y_min = 0, y_max = 0;
  bool has_threshold = false;  // a dashed horizontal line at `threshold` on the left axis
  double threshold = 0;
  int marked = -1;  // position to mark with a vertical line, its points get class "marked"
  std::string marked_label;
};

// <svg> for `c`. Non-finite values are drawn at the axis bottom with class "nonfinite".
std::string LineChartSvg(const LineChart& c);

// Horizontal bars, one row per label, one bar per series in each row (grouped).
struct BarChart {
  std::string title;
  std::string value_label;          // the value axis, with its unit
  std::vector<std::string> labels;  // one per row, drawn left of the bars
  std::vector<Series> series;
  // Value axis range; when v_min >= v_max it is 0 (or the data minimum, if negative) to the
  // data maximum. A range that does not start at 0 is said in the axis label.
  double v_min = 0, v_max = 0;
  std::vector<std::string> row_classes;  // optional extra class per row (for example "fail")
};

// <svg> for `c`.
std::string BarChartSvg(const BarChart& c);

// A table; cells are text (escaped here). `row_classes` (optional) sets each <tr>'s class.
struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row_classes;
  std::string css_class;  // the <table>'s class
};

std::string TableHtml(const Table& t);

// A complete document: doctype, <title>, the shared inline stylesheet, <h1> and `body` (HTML).
std::string Page(const std::string& title, const std::string& body);

// Writes `page` to `path` atomically (temporary file, then rename), like the dump writers.
Status WritePage(const std::string& path, const std::string& page);

}  // namespace edgert::app::html
