// Parsing of the Horizon-style conversion config (model.yaml).

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "common/file_read.h"
#include "model_compiler/compiler.h"

namespace edgert::compiler {
namespace {

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(Trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(Trim(cur));
  return out;
}

std::vector<std::string> SplitWords(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream is(s);
  std::string w;
  while (is >> w) out.push_back(w);
  return out;
}

// Context for one file's messages.
struct Ctx {
  std::string label;
  Status Bad(const std::string& section, const std::string& key, const std::string& what) const {
    return InvalidArgument(label + ": " + section + "." + key + ": " + what);
  }
};

const std::vector<std::string> kInputTypesRt = {"nv12", "yuv444", "rgb",
                                                "bgr",  "gray",   "featuremap"};
const std::vector<std::string> kInputTypesTrain = {"rgb", "bgr", "yuv444", "gray", "featuremap"};
const std::vector<std::string> kLayouts = {"NCHW", "NHWC", "NONE"};
const std::vector<std::string> kSpaces = {"regular", "bt601_video"};
const std::vector<std::string> kNormTypes = {"no_preprocess", "data_mean", "data_scale",
                                             "data_mean_and_scale"};

// input_type_rt -> the input_type_train values it may convert to.
const std::vector<std::pair<std::string, std::vector<std::string>>>& AllowedPairs() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> pairs = {
      {"nv12", {"yuv444", "rgb", "bgr", "gray"}},
      {"yuv444", {"yuv444", "rgb", "bgr"}},
      {"rgb", {"rgb", "bgr", "yuv444"}},
      {"bgr", {"bgr", "rgb", "yuv444"}},
      {"gray", {"gray"}},
      {"featuremap", {"featuremap"}},
  };
  return pairs;
}

std::string AllowedPairsText() {
  std::vector<std::string> v;
  for (const auto& [rt, trains] : AllowedPairs()) v.push_back(rt + " -> " + Join(trains, "/"));
  return Join(v, "; ");
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A scalar's text, or an error naming the key when the value is a list or map.
Result<std::string> ScalarText(const Ctx& c, const std::string& section, const std::string& key,
                               const YAML::Node& n) {
  if (n.IsNull()) return std::string();
  if (!n.IsScalar())
    return c.Bad(section, key,
                 "expected a single value (use ';' between inputs), got a " +
                     std::string(n.IsSequence() ? "list" : "map"));
  return n.Scalar();
}

Result<int64_t> ParseInt(const Ctx& c, const std::string& section, const std::string& key,
                         const std::string& text, int64_t lo, int64_t hi) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < lo || v > hi)
    return c.Bad(section, key,
                 "'" + text + "' is not an integer in [" + std::to_string(lo) + ", " +
                     std::to_string(hi) + "]");
  return static_cast<int64_t>(v);
}

Result<float> ParseFloat(const Ctx& c, const std::string& section, const std::string& key,
                         const std::string& text) {
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    return c.Bad(section, key, "'" + text + "' is not a number");
  return v;
}

Result<bool> ParseBool(const Ctx& c, const std::string& section, const std::string& key,
                       const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return c.Bad(section, key, "'" + text + "' is not a boolean (allowed: True, False)");
}

Status CheckOneOf(const Ctx& c, const std::string& section, const std::string& key,
                  const std::string& value, const std::vector<std::string>& allowed) {
  if (Contains(allowed, value)) return Status::Ok();
  return c.Bad(section, key, "'" + value + "' is not allowed (allowed: " + Join(allowed) + ")");
}

Status ParseModelParameters(const Ctx& c, const YAML::Node& sec, CompileConfig* cfg) {
  const std::string S = "model_parameters";
  const std::set<std::string> ignored = {"march", "layer_out_dump", "log_level", "debug_mode"};
  for (const auto& kv : sec) {
    const std::string key = kv.first.as<std::string>();
    EDGERT_ASSIGN_OR_RETURN(std::string v, ScalarText(c, S, key, kv.second));
    if (key == "onnx_model") {
      cfg->onnx_model = v;
    } else if (key == "output_model_file_prefix") {
      if (v.empty() || v.find('/') != std::string::npos)
        return c.Bad(S, key, "'" + v + "' must be a non-empty file name without '/'");
      cfg->output_model_file_prefix = v;
    } else if (key == "working_dir") {
      cfg->working_dir = v.empty() ? "." : v;
    } else if (ignored.count(key)) {
      cfg->warnings.push_back(c.label + ": " + S + "." + key + " is accepted but ignored");
    } else {
      return c.Bad(S, key,
                   "unknown key (allowed: onnx_model, output_model_file_prefix, working_dir; "
                   "ignored: march, layer_out_dump, log_level, debug_mode)");
    }
  }
  return Status::Ok();
}

Status ParseInputParameters(const Ctx& c, const YAML::Node& sec, CompileConfig* cfg) {
  const std::string S = "input_parameters";
  const std::vector<std::string> keys = {
      "input_name",      "input_shape",        "input_type_rt",         "input_type_train",
      "input_layout_rt", "input_layout_train", "input_space_and_range", "norm_type",
      "mean_value",      "scale_value"};
  // key -> the ';'-separated entries, in file order.
  std::vector<std::pair<std::string, std::vector<std::string>>> entries;
  for (const auto& kv : sec) {
    const std::string key = kv.first.as<std::string>();
    if (!Contains(keys, key)) return c.Bad(S, key, "unknown key (allowed: " + Join(keys) + ")");
    EDGERT_ASSIGN_OR_RETURN(std::string v, ScalarText(c, S, key, kv.second));
    if (Trim(v).empty()) continue;
    entries.emplace_back(key, SplitOn(v, ';'));
  }
  if (entries.empty()) return Status::Ok();
  // The input count comes from input_name when given, else from the first key.
  size_t count = entries.front().second.size();
  std::string count_key = entries.front().first;
  for (const auto& [key, vals] : entries)
    if (key == "input_name") count = vals.size(), count_key = key;
  for (const auto& [key, vals] : entries)
    if (vals.size() != count)
      return c.Bad(S, key,
                   std::to_string(vals.size()) + " ';'-separated entries, but " + count_key +
                       " has " + std::to_string(count) + " (one entry per input)");
  cfg->inputs.assign(count, InputConfig());
  for (const auto& [key, vals] : entries) {
    for (size_t i = 0; i < count; ++i) {
      InputConfig& in = cfg->inputs[i];
      const std::string& v = vals[i];
      const std::string at = count > 1 ? " (entry " + std::to_string(i) + ")" : "";
      if (key == "input_name") {
        if (v.empty()) return c.Bad(S, key, "empty input name" + at);
        in.name = v;
      } else if (key == "input_shape") {
        for (const std::string& d : SplitOn(v, 'x')) {
          auto r = ParseInt(c, S, key, d, 1, int64_t{1} << 30);
          if (!r.ok())
            return c.Bad(S, key,
                         "'" + v + "' is not a shape like 1x3x224x224 (positive dims)" + at);
          in.shape.push_back(*r);
        }
      } else if (key == "input_type_rt") {
        EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, kInputTypesRt));
        in.input_type_rt = v;
      } else if (key == "input_type_train") {
        EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, kInputTypesTrain));
        in.input_type_train = v;
      } else if (key == "input_layout_rt" || key == "input_layout_train") {
        std::string u = v;
        std::transform(u.begin(), u.end(), u.begin(),
                       [](unsigned char ch) { return std::toupper(ch); });
        EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, u, kLayouts));
        (key == "input_layout_rt" ? in.input_layout_rt : in.input_layout_train) = u;
      } else if (key == "input_space_and_range") {
        EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, kSpaces));
        in.input_space_and_range = v;
      } else if (key == "norm_type") {
        EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, kNormTypes));
        in.norm_type = v;
      } else {  // mean_value, scale_value
        std::vector<float>& dst = key == "mean_value" ? in.mean_value : in.scale_value;
        for (const std::string& w : SplitWords(v)) {
          EDGERT_ASSIGN_OR_RETURN(float f, ParseFloat(c, S, key, w));
          dst.push_back(f);
        }
      }
    }
  }
  for (size_t i = 0; i < count; ++i) {
    InputConfig& in = cfg->inputs[i];
    const std::string who = "input " + (in.name.empty() ? std::to_string(i) : "'" + in.name + "'");
    bool ok_pair = false;
    for (const auto& [rt, trains] : AllowedPairs())
      if (rt == in.input_type_rt && Contains(trains, in.input_type_train)) ok_pair = true;
    if (!ok_pair)
      return c.Bad(S, "input_type_train",
                   who + ": input_type_rt '" + in.input_type_rt +
                       "' cannot become input_type_train '" + in.input_type_train +
                       "' (allowed pairs: " + AllowedPairsText() + ")");
    const bool wants_mean = in.norm_type == "data_mean" || in.norm_type == "data_mean_and_scale";
    const bool wants_scale = in.norm_type == "data_scale" || in.norm_type == "data_mean_and_scale";
    if (wants_mean && in.mean_value.empty())
      return c.Bad(S, "mean_value", who + ": norm_type '" + in.norm_type + "' needs mean_value");
    if (wants_scale && in.scale_value.empty())
      return c.Bad(S, "scale_value", who + ": norm_type '" + in.norm_type + "' needs scale_value");
    if (!wants_mean && !in.mean_value.empty())
      cfg->warnings.push_back(c.label + ": " + S + ".mean_value for " + who +
                              " is ignored: norm_type is '" + in.norm_type + "'");
    if (!wants_scale && !in.scale_value.empty())
      cfg->warnings.push_back(c.label + ": " + S + ".scale_value for " + who +
                              " is ignored: norm_type is '" + in.norm_type + "'");
  }
  return Status::Ok();
}

Status ParseCalibrationParameters(const Ctx& c, const YAML::Node& sec, CompileConfig* cfg) {
  const std::string S = "calibration_parameters";
  const std::vector<std::string> keys = {"cal_data_dir",   "cal_data_type", "calibration_type",
                                         "max_percentile", "per_channel",   "reduce_range",
                                         "run_on_cpu"};
  for (const auto& kv : sec) {
    const std::string key = kv.first.as<std::string>();
    if (!Contains(keys, key)) return c.Bad(S, key, "unknown key (allowed: " + Join(keys) + ")");
    EDGERT_ASSIGN_OR_RETURN(std::string v, ScalarText(c, S, key, kv.second));
    if (key == "cal_data_type") {
      EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, {"float32", "uint8"}));
    } else if (key == "calibration_type") {
      EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, {"default", "max", "kl", "percentile"}));
    } else if (key == "max_percentile") {
      EDGERT_ASSIGN_OR_RETURN(float f, ParseFloat(c, S, key, v));
      if (f <= 0.f || f > 1.f) return c.Bad(S, key, "'" + v + "' must be in (0, 1]");
    } else if (key == "per_channel" || key == "reduce_range") {
      EDGERT_ASSIGN_OR_RETURN(bool b, ParseBool(c, S, key, v));
      v = b ? "True" : "False";
    }
    cfg->calibration_parameters[key] = v;
  }
  return Status::Ok();
}

Status ParseCompilerParameters(const Ctx& c, const YAML::Node& sec, CompileConfig* cfg) {
  const std::string S = "compiler_parameters";
  const std::set<std::string> ignored = {"compile_mode", "optimize_level", "core_num", "debug"};
  for (const auto& kv : sec) {
    const std::string key = kv.first.as<std::string>();
    EDGERT_ASSIGN_OR_RETURN(std::string v, ScalarText(c, S, key, kv.second));
    if (key == "row_align_bytes") {
      EDGERT_ASSIGN_OR_RETURN(int64_t n, ParseInt(c, S, key, v, 1, 4096));
      cfg->row_align_bytes = static_cast<int>(n);
    } else if (ignored.count(key)) {
      if (key == "compile_mode")
        EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, {"latency", "bandwidth", "balance"}));
      if (key == "optimize_level")
        EDGERT_RETURN_IF_ERROR(CheckOneOf(c, S, key, v, {"O0", "O1", "O2", "O3"}));
      if (key == "core_num") EDGERT_RETURN_IF_ERROR(ParseInt(c, S, key, v, 1, 64).status());
      if (key == "debug") EDGERT_RETURN_IF_ERROR(ParseBool(c, S, key, v).status());
      cfg->warnings.push_back(c.label + ": " + S + "." + key + " is accepted but ignored");
    } else {
      return c.Bad(S, key,
                   "unknown key (allowed: row_align_bytes; ignored: compile_mode, "
                   "optimize_level, core_num, debug)");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<CompileConfig> ParseConfig(const std::string& yaml_text, const std::string& label) {
  Ctx c{label};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(label + ": not valid YAML: " + e.what());
  }
  CompileConfig cfg;
  cfg.yaml_text = yaml_text;
  if (root.IsNull()) return cfg;
  if (!root.IsMap())
    return InvalidArgument(label +
                           ": expected a map with model_parameters, input_parameters, "
                           "calibration_parameters, compiler_parameters");
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& sec = kv.second;
      if (!sec.IsNull() && !sec.IsMap())
        return InvalidArgument(label + ": " + key + ": expected a map of keys");
      if (key == "model_parameters") {
        EDGERT_RETURN_IF_ERROR(ParseModelParameters(c, sec, &cfg));
      } else if (key == "input_parameters") {
        EDGERT_RETURN_IF_ERROR(ParseInputParameters(c, sec, &cfg));
      } else if (key == "calibration_parameters") {
        EDGERT_RETURN_IF_ERROR(ParseCalibrationParameters(c, sec, &cfg));
      } else if (key == "compiler_parameters") {
        EDGERT_RETURN_IF_ERROR(ParseCompilerParameters(c, sec, &cfg));
      } else {
        return InvalidArgument(label + ": unknown section '" + key +
                               "' (allowed: model_parameters, input_parameters, "
                               "calibration_parameters, compiler_parameters)");
      }
    }
  } catch (const YAML::Exception& e) {
    return InvalidArgument(label + ": " + e.what());
  }
  return cfg;
}

Result<CompileConfig> LoadConfig(const std::string& path) {
  EDGERT_ASSIGN_OR_RETURN(std::string text,
                          app::ReadFileString(path, uint64_t{16} << 20, "", "config file"));
  EDGERT_ASSIGN_OR_RETURN(CompileConfig cfg, ParseConfig(text, path));
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  auto resolve = [&](std::string& p) {
    if (!p.empty() && std::filesystem::path(p).is_relative()) p = (dir / p).lexically_normal();
  };
  resolve(cfg.onnx_model);
  resolve(cfg.working_dir);
  if (auto it = cfg.calibration_parameters.find("cal_data_dir");
      it != cfg.calibration_parameters.end())
    resolve(it->second);
  return cfg;
}

}  // namespace edgert::compiler
