// Calibration with edgert's own f32 engine, and the per-layer quantization report.
//
// Ranges per activation tensor come from running the float model (capture_intermediates) over
// the calibration samples:
//  - max:        the observed [min, max];
//  - percentile: the max_percentile (default 0.99995) and 1 - max_percentile quantiles of a
//                2048-bin histogram over [min, max];
//  - kl:         TensorRT's entropy calibration on a 2048-bin histogram of |x|: the threshold
//                T minimizing KL(P || Q) for 128 quantization levels; range [max(min,-T),
//                min(max,T)];
//  - default:    all three, keeping the one whose int8 model's final outputs have the best
//                cosine similarity to the float model's over the calibration set.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/html_report.h"
#include "common/inputs.h"
#include "edgert/image.h"
#include "edgert/model.h"
#include "edgert/session.h"
#include "edgert_internal/file_io.h"
#include "quantize.h"

namespace edgert::compiler {
namespace {

constexpr int kBins = 2048;

struct Cos {
  double dot = 0, a = 0, b = 0;
  void Add(const float* x, const float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      dot += static_cast<double>(x[i]) * y[i];
      a += static_cast<double>(x[i]) * x[i];
      b += static_cast<double>(y[i]) * y[i];
    }
  }
  double Value() const {
    if (a == 0 && b == 0) return 1.0;
    if (a == 0 || b == 0) return 0.0;
    return dot / std::sqrt(a * b);
  }
};

Result<std::unique_ptr<Session>> MakeSession(const ModelDef& def, bool capture) {
  EDGERT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, SerializeModelFile({def}));
  EDGERT_ASSIGN_OR_RETURN(auto file, ModelFile::FromBytes(bytes.data(), bytes.size(), def.name));
  EDGERT_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, file->GetModel());
  SessionOptions o;
  o.capture_intermediates = capture;
  return Session::Create(model, o);
}

// A captured node output as floats (dequantized when S8), or empty.
std::vector<float> Captured(const Session& s, const ModelDef& def, int node) {
  auto v = s.NodeOutput(node);
  if (!v.ok()) return {};
  const TensorDef& t =
      def.tensors[static_cast<size_t>(def.nodes[static_cast<size_t>(node)].outputs[0])];
  int64_t n = 1;
  for (int64_t d : v->shape) n *= d;
  std::vector<float> out(static_cast<size_t>(n));
  if (v->dtype == TensorType::kF32) {
    std::memcpy(out.data(), v->data, out.size() * 4);
  } else if (v->dtype == TensorType::kS8 && t.quant.quantized()) {
    const auto* q = static_cast<const int8_t*>(v->data);
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = static_cast<float>(q[i] - t.quant.zero_point[0]) * t.quant.scale[0];
  } else {
    return {};
  }
  return out;
}

// One calibration sample: the bytes Session::SetInput takes for input 0.
using Sample = std::vector<uint8_t>;

// Loads cal_data_dir in file-name order. Each file goes through the tools' input loader
// (LoadInputFile): images (.jpg/.jpeg/.png/.bmp) are decoded, resized and converted for IMG_*
// inputs exactly as infer does on the board; other files are np.tofile data of the input's valid
// or aligned size. With cal_data_type uint8, a float32 featuremap input instead takes files of
// one uint8 per element, converted to float.
Result<std::vector<Sample>> LoadSamples(const CompileConfig& cfg, const ModelDef& f) {
  auto it = cfg.calibration_parameters.find("cal_data_dir");
  if (it == cfg.calibration_parameters.end())
    return InvalidArgument("calibration_parameters.cal_data_dir is required for int8");
  if (f.inputs.size() != 1)
    return Unsupported("calibration supports single-input models, this one has " +
                       std::to_string(f.inputs.size()));
  // LoadConfig made a relative cal_data_dir relative to the YAML file.
  const std::filesystem::path dir = it->second;
  const TensorDesc& desc = f.inputs[0].desc;
  const auto type_it = cfg.calibration_parameters.find("cal_data_type");
  const bool u8_to_f32 = type_it != cfg.calibration_parameters.end() &&
                         type_it->second == "uint8" && desc.type == TensorType::kF32;
  ColorRange range = ColorRange::kFull;
  if (!f.inputs[0].preprocess.empty()) {
    EDGERT_ASSIGN_OR_RETURN(range, ParseColorRange(f.inputs[0].preprocess.input_space_and_range));
  }
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.is_regular_file()) files.push_back(e.path().string());
  if (ec) return FileError("calibration: cannot list '" + dir.string() + "': " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) return FileError("calibration: no files in '" + dir.string() + "'");
  std::vector<Sample> samples;
  for (const std::string& p : files) {
    if (!u8_to_f32) {
      EDGERT_ASSIGN_OR_RETURN(Sample s, app::LoadInputFile(p, desc, range));
      samples.push_back(std::move(s));
      continue;
    }
    EDGERT_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, app::ReadFile(p));
    const int64_t n = desc.valid_byte_size() / 4;
    if (static_cast<int64_t>(bytes.size()) != n)
      return InputError("calibration file '" + p + "' has " + std::to_string(bytes.size()) +
                        " bytes, expected " + std::to_string(n) +
                        " (cal_data_type uint8: one byte per element of input '" + desc.name +
                        "' " + ShapeToString(desc.valid_shape) + ")");
    Sample s(bytes.size() * 4);
    for (size_t i = 0; i < bytes.size(); ++i) {
      const float v = bytes[i];
      std::memcpy(s.data() + 4 * i, &v, 4);
    }
    samples.push_back(std::move(s));
  }
  return samples;
}

struct Stats {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  std::vector<double> hist, abs_hist;
};

// TensorRT-style entropy calibration threshold (in bins) on a histogram of |x|.
int KlThresholdBin(const std::vector<double>& h) {
  const int levels = 128;
  double best = std::numeric_limits<double>::infinity();
  int best_i = kBins;
  for (int i = levels; i <= kBins; i += 16) {
    std::vector<double> p(h.begin(), h.begin() + i);
    for (int j = i; j < kBins; ++j) p[static_cast<size_t>(i - 1)] += h[static_cast<size_t>(j)];
    std::vector<double> q(static_cast<size_t>(i), 0.0);
    const double per = static_cast<double>(i) / levels;
    for (int l = 0; l < levels; ++l) {
      const int a = static_cast<int>(std::floor(l * per)),
                b = static_cast<int>(std::floor((l + 1) * per));
      double sum = 0;
      int nz = 0;
      for (int j = a; j < b; ++j) {
        sum += h[static_cast<size_t>(j)];
        nz += h[static_cast<size_t>(j)] > 0;
      }
      for (int j = a; j < b; ++j)
        if (h[static_cast<size_t>(j)] > 0) q[static_cast<size_t>(j)] = sum / nz;
    }
    double ps = 0, qs = 0;
    for (int j = 0; j < i; ++j) {
      ps += p[static_cast<size_t>(j)];
      qs += q[static_cast<size_t>(j)];
    }
    if (ps <= 0 || qs <= 0) continue;
    double kl = 0;
    for (int j = 0; j < i; ++j) {
      const double pj = p[static_cast<size_t>(j)] / ps, qj = q[static_cast<size_t>(j)] / qs;
      if (pj > 0) kl += pj * std::log(pj / (qj > 0 ? qj : 1e-12));
    }
    if (kl < best) {
      best = kl;
      best_i = i;
    }
  }
  return best_i;
}

std::map<int, TensorRange> Ranges(const std::map<int, Stats>& stats, const std::string& method,
                                  double percentile) {
  std::map<int, TensorRange> r;
  for (const auto& [t, s] : stats) {
    TensorRange tr{s.min, s.max};
    if (method == "percentile" && s.max > s.min) {
      double total = 0;
      for (double v : s.hist) total += v;
      const double w = (static_cast<double>(s.max) - s.min) / kBins;
      double acc = 0;
      int lo = 0, hi = kBins - 1;
      for (; lo < kBins; ++lo) {
        acc += s.hist[static_cast<size_t>(lo)];
        if (acc > total * (1 - percentile)) break;
      }
      acc = 0;
      for (; hi > 0; --hi) {
        acc += s.hist[static_cast<size_t>(hi)];
        if (acc > total * (1 - percentile)) break;
      }
      tr.min = static_cast<float>(s.min + lo * w);
      tr.max = static_cast<float>(s.min + (hi + 1) * w);
    } else if (method == "kl") {
      const float amax = std::max(std::fabs(s.min), std::fabs(s.max));
      if (amax > 0) {
        const float t = (static_cast<float>(KlThresholdBin(s.abs_hist)) + 0.5f) * amax / kBins;
        tr.min = std::max(s.min, -t);
        tr.max = std::min(s.max, t);
      }
    }
    r[t] = tr;
  }
  return r;
}

// Final-output cosine of `q` against `f` over the samples.
Result<double> OutputCosine(const ModelDef& f, const ModelDef& q,
                            const std::vector<Sample>& samples) {
  EDGERT_ASSIGN_OR_RETURN(auto fs, MakeSession(f, false));
  EDGERT_ASSIGN_OR_RETURN(auto qs, MakeSession(q, false));
  double worst = 1.0;
  std::vector<Cos> cos(f.outputs.size());
  for (const auto& x : samples) {
    for (Session* s : {fs.get(), qs.get()}) {
      EDGERT_RETURN_IF_ERROR(s->SetInput(0, x.data(), x.size()));
      EDGERT_RETURN_IF_ERROR(s->Run());
    }
    for (size_t o = 0; o < f.outputs.size(); ++o) {
      std::vector<float> a, b;
      EDGERT_RETURN_IF_ERROR(fs->GetOutput(o, &a));
      EDGERT_RETURN_IF_ERROR(qs->GetOutput(o, &b));
      cos[o].Add(a.data(), b.data(), std::min(a.size(), b.size()));
    }
  }
  for (const Cos& c : cos) worst = std::min(worst, c.Value());
  return worst;
}

std::set<std::string> SplitNames(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ';')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.insert(item);
  }
  return out;
}

}  // namespace

Result<CalibrationResult> CalibrateAndQuantize(const ModelDef& f, const CompileConfig& cfg,
                                               bool report) {
  EDGERT_ASSIGN_OR_RETURN(auto samples, LoadSamples(cfg, f));
  const auto& cp = cfg.calibration_parameters;
  auto get = [&](const std::string& k, const std::string& def) {
    auto it = cp.find(k);
    return it == cp.end() ? def : it->second;
  };
  const std::string type = get("calibration_type", "default");
  const double percentile = std::stod(get("max_percentile", "0.99995"));
  QuantizeOptions qo;
  qo.per_channel = get("per_channel", "True") == "True";
  qo.weight_qmax = get("reduce_range", "False") == "True" ? 64 : 127;
  qo.run_on_cpu = SplitNames(get("run_on_cpu", ""));
  for (const std::string& n : qo.run_on_cpu) {
    bool found = false;
    for (const NodeDef& nd : f.nodes) found = found || nd.name == n;
    if (!found)
      return InvalidArgument("calibration_parameters.run_on_cpu names node '" + n +
                             "', which the model does not have");
  }

  // Pass 1: ranges; pass 2: histograms.
  EDGERT_ASSIGN_OR_RETURN(auto fs, MakeSession(f, true));
  std::map<int, Stats> stats;
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& x : samples) {
      EDGERT_RETURN_IF_ERROR(fs->SetInput(0, x.data(), x.size()));
      EDGERT_RETURN_IF_ERROR(fs->Run());
      for (size_t n = 0; n < f.nodes.size(); ++n) {
        const NodeDef& nd = f.nodes[n];
        if (nd.outputs.empty() || nd.op == "OutputAdapter") continue;
        const std::vector<float> v = Captured(*fs, f, static_cast<int>(n));
        if (v.empty()) continue;
        Stats& s = stats[nd.outputs[0]];
        if (pass == 0) {
          for (float e : v) {
            s.min = std::min(s.min, e);
            s.max = std::max(s.max, e);
          }
          continue;
        }
        if (s.hist.empty()) {
          s.hist.assign(kBins, 0.0);
          s.abs_hist.assign(kBins, 0.0);
        }
        const float w = (s.max - s.min) / kBins;
        const float amax = std::max(std::fabs(s.min), std::fabs(s.max));
        for (float e : v) {
          if (w > 0)
            s.hist[static_cast<size_t>(
                std::clamp(static_cast<int>((e - s.min) / w), 0, kBins - 1))] += 1;
          // Exact zeros (ReLU outputs, padding) are left out of the |x| histogram: their spike
          // in bin 0 would make every merge of low bins look costly and push KL to the
          // smallest threshold (on the digits CNN the output cosine dropped to 0.37 with them).
          if (amax > 0 && e != 0.f)
            s.abs_hist[static_cast<size_t>(
                std::clamp(static_cast<int>(std::fabs(e) / amax * kBins), 0, kBins - 1))] += 1;
        }
      }
    }
  }

  CalibrationResult r;
  const std::vector<std::string> methods = type == "default"
                                               ? std::vector<std::string>{"max", "percentile", "kl"}
                                               : std::vector<std::string>{type};
  double best = -2;
  std::map<int, TensorRange> best_ranges;
  for (const std::string& m : methods) {
    const auto ranges = Ranges(stats, m, percentile);
    std::vector<std::string> fl;
    ModelDef q = QuantizeModelDef(f, ranges, qo, &fl);
    EDGERT_ASSIGN_OR_RETURN(double c, OutputCosine(f, q, samples));
    r.output_cosine[m] = c;
    spdlog::info("calibration '{}': final-output cosine {:.6f} on {} samples", m, c,
                 samples.size());
    if (c > best) {
      best = c;
      r.method = m;
      r.model = std::move(q);
      r.float_nodes = fl;
      best_ranges = ranges;
    }
  }
  if (!report) return r;

  // Per-layer cosines: cumulative from the chosen model, single-layer from one model per node.
  std::map<int, Cos> cumulative;
  EDGERT_ASSIGN_OR_RETURN(auto qs, MakeSession(r.model, true));
  std::vector<std::pair<int, int>> int8_nodes;  // (node in r.model, tensor)
  for (size_t n = 0; n < r.model.nodes.size(); ++n)
    if (r.model.nodes[n].int8)
      int8_nodes.push_back({static_cast<int>(n), r.model.nodes[n].outputs[0]});
  std::map<int, int> f_node_of;  // tensor -> float node
  for (size_t n = 0; n < f.nodes.size(); ++n)
    if (!f.nodes[n].outputs.empty()) f_node_of[f.nodes[n].outputs[0]] = static_cast<int>(n);
  std::vector<std::unique_ptr<Session>> singles;
  std::vector<int> single_node;
  std::vector<Cos> single_cos;
  for (const auto& [n, t] : int8_nodes) {
    QuantizeOptions one = qo;
    one.only = {r.model.nodes[static_cast<size_t>(n)].name};
    ModelDef m1 = QuantizeModelDef(f, best_ranges, one, nullptr);
    EDGERT_ASSIGN_OR_RETURN(auto s1, MakeSession(m1, true));
    int idx = -1;
    for (size_t k = 0; k < m1.nodes.size(); ++k)
      if (m1.nodes[k].int8) idx = static_cast<int>(k);
    single_node.push_back(idx);
    singles.push_back(std::move(s1));
    single_cos.emplace_back();
  }
  for (const auto& x : samples) {
    EDGERT_RETURN_IF_ERROR(fs->SetInput(0, x.data(), x.size()));
    EDGERT_RETURN_IF_ERROR(fs->Run());
    EDGERT_RETURN_IF_ERROR(qs->SetInput(0, x.data(), x.size()));
    EDGERT_RETURN_IF_ERROR(qs->Run());
    for (size_t k = 0; k < int8_nodes.size(); ++k) {
      // Not a structured binding: the lambda below captures t (C++20; clang-14 refuses it).
      const int n = int8_nodes[k].first, t = int8_nodes[k].second;
      auto fit = f_node_of.find(t);
      if (fit == f_node_of.end()) continue;
      const std::vector<float> ref = Captured(*fs, f, fit->second);
      const std::vector<float> got = Captured(*qs, r.model, n);
      if (ref.size() == got.size()) cumulative[t].Add(ref.data(), got.data(), ref.size());
      if (single_node[k] < 0) continue;
      // The single-layer model shares tensor indices with f: its int8 node writes tensor t too.
      EDGERT_RETURN_IF_ERROR(singles[k]->SetInput(0, x.data(), x.size()));
      EDGERT_RETURN_IF_ERROR(singles[k]->Run());
      auto view = singles[k]->NodeOutput(single_node[k]);
      if (!view.ok()) continue;
      const std::vector<float> one = [&] {
        // Dequantize with the int8 model's parameters of tensor t (same ranges, same quant).
        const TensorDef& td = r.model.tensors[static_cast<size_t>(t)];
        std::vector<float> o(ref.size());
        const auto* q = static_cast<const int8_t*>(view->data);
        for (size_t i = 0; i < o.size(); ++i)
          o[i] = static_cast<float>(q[i] - td.quant.zero_point[0]) * td.quant.scale[0];
        return o;
      }();
      single_cos[k].Add(ref.data(), one.data(), ref.size());
    }
  }
  for (size_t k = 0; k < int8_nodes.size(); ++k) {
    const NodeDef& nd = r.model.nodes[static_cast<size_t>(int8_nodes[k].first)];
    LayerReport lr;
    lr.node = nd.name;
    lr.op = nd.op;
    lr.cumulative_cosine = cumulative[int8_nodes[k].second].Value();
    lr.single_cosine = single_cos[k].Value();
    r.layers.push_back(lr);
  }
  std::stable_sort(r.layers.begin(), r.layers.end(),
                   [](const LayerReport& a, const LayerReport& b) {
                     return std::min(a.single_cosine, a.cumulative_cosine) <
                            std::min(b.single_cosine, b.cumulative_cosine);
                   });
  return r;
}

// `<prefix>_quant_report.html`: per int8 layer a bar for its single-layer and one for its
// cumulative cosine, worst first (the order of r.layers), and the same as a table.
Status WriteQuantReportHtml(const CalibrationResult& r, const std::string& path) {
  namespace html = app::html;
  html::BarChart c;
  c.title = "Per-layer cosine to float, worst first";
  c.value_label = "cosine similarity";
  c.series = {{"single (only this layer int8)", {}, false},
              {"cumulative (all upstream int8)", {}, false}};
  html::Table t;
  t.header = {"node", "op", "single_cosine", "cumulative_cosine"};
  double lo = 1;
  for (const LayerReport& l : r.layers) {
    c.labels.push_back(l.node + " [" + l.op + "]");
    c.series[0].values.push_back(l.single_cosine);
    c.series[1].values.push_back(l.cumulative_cosine);
    lo = std::min({lo, l.single_cosine, l.cumulative_cosine});
    t.rows.push_back(
        {l.node, l.op, html::Num(l.single_cosine, 8), html::Num(l.cumulative_cosine, 8)});
  }
  // Cosines cluster just below 1: start the axis a little below the worst one, not at 0.
  c.v_min = std::max(-1.0, lo - std::max(1e-4, (1 - lo) * 0.1));
  c.v_max = 1;
  std::ostringstream body;
  body << "<p class=\"note\">calibration kept: <b>" << html::Escape(r.method) << "</b>;";
  for (const auto& [m, cos] : r.output_cosine)
    body << " final-output cosine with " << html::Escape(m) << ": " << html::Num(cos, 8) << ";";
  body << " layers left f32:";
  for (const std::string& n : r.float_nodes) body << " " << html::Escape(n);
  body << "</p>\n"
       << html::BarChartSvg(c) << "<h2>Layers, worst first</h2>\n"
       << html::TableHtml(t);
  return html::WritePage(path, html::Page("edgert quantization report", body.str()));
}

Status WriteQuantReport(const CalibrationResult& r, const std::string& prefix) {
  std::ostringstream txt;
  txt << "# edgert per-layer quantization report (calibration: " << r.method << ")\n";
  for (const auto& [m, c] : r.output_cosine)
    txt << "# final-output cosine with " << m << ": " << c << "\n";
  txt << "# float nodes:";
  for (const std::string& n : r.float_nodes) txt << " " << n;
  txt << "\n# sorted worst first (min of single and cumulative cosine)\n";
  // Columns as printf's "%-40s %-16s %14.6f %14.6f", without its fixed-size buffer: node names
  // of any length stay whole.
  auto row = [&txt](const std::string& node, const std::string& op, const auto& single,
                    const auto& cumulative) {
    txt << std::left << std::setw(40) << node << ' ' << std::setw(16) << op << ' ' << std::right
        << std::fixed << std::setprecision(6) << std::setw(14) << single << ' ' << std::setw(14)
        << cumulative << '\n';
  };
  row("node", "op", "single_cosine", "cumul_cosine");
  // JSON through nlohmann: names with quotes, backslashes or control characters are escaped,
  // and a NaN cosine (a layer whose output is all zeros) is null, not a bare nan.
  nlohmann::json js = {{"calibration", r.method},
                       {"layers", nlohmann::json::array()},
                       {"float_nodes", r.float_nodes}};
  for (const LayerReport& l : r.layers) {
    row(l.node, l.op, l.single_cosine, l.cumulative_cosine);
    js["layers"].push_back({{"node", l.node},
                            {"op", l.op},
                            {"single_cosine", l.single_cosine},
                            {"cumulative_cosine", l.cumulative_cosine}});
  }
  const std::string t = txt.str();
  // Invalid UTF-8 in a name (ONNX does not check) is replaced rather than thrown.
  const std::string j = js.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  EDGERT_RETURN_IF_ERROR(WriteFileAtomic(prefix + "_quant_report.txt", t.data(), t.size()));
  EDGERT_RETURN_IF_ERROR(WriteFileAtomic(prefix + "_quant_report.json", j.data(), j.size()));
  return WriteQuantReportHtml(r, prefix + "_quant_report.html");
}

}  // namespace edgert::compiler
