#include "infer/infer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "common/dump.h"
#include "common/inputs.h"
#include "common/open_model.h"
#include "common/report.h"
#include "edgert/model.h"
#include "edgert/session.h"
#include "edgert_internal/file_io.h"

namespace edgert::app {
namespace {

constexpr const char* kTool = "infer";

Status Validate(const InferParams& p) {
  if (p.model.model_file.empty()) return InvalidArgument("--model_file is required");
  if (p.run.frame_count < 1) return InvalidArgument("--frame_count must be >= 1");
  EDGERT_RETURN_IF_ERROR(CheckThreadCount("--intra_threads", p.run.intra_threads));
  if (p.dump.dump_format != "bin" && p.dump.dump_format != "txt")
    return InvalidArgument("--dump_format must be bin or txt, got '" + p.dump.dump_format + "'");
  if (p.dump.dump_precision < 1 || p.dump.dump_precision > 17)
    return InvalidArgument("--dump_precision must be in 1..17");
  if (p.dump.dump_txt_axis < 0) return InvalidArgument("--dump_txt_axis must be >= 0");
  if (p.dump.dump_intermediate < 0 || p.dump.dump_intermediate > 3)
    return InvalidArgument("--dump_intermediate must be 0, 1, 2 or 3");
  return Status::Ok();
}

// Float values of a stored tensor view (f32, s8, u8, s32 supported).
std::vector<float> ViewToFloat(const Session::TensorView& v) {
  int64_t n = 1;
  for (int64_t d : v.shape) n *= d;
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    switch (v.dtype) {
      case TensorType::kF32:
        out[i] = static_cast<const float*>(v.data)[i];
        break;
      case TensorType::kS8:
        out[i] = static_cast<const int8_t*>(v.data)[i];
        break;
      case TensorType::kS32:
        out[i] = static_cast<float>(static_cast<const int32_t*>(v.data)[i]);
        break;
      default:
        out[i] = static_cast<const uint8_t*>(v.data)[i];
        break;
    }
  }
  return out;
}

size_t ElementBytes(TensorType t) { return ElementSize(t); }

Status DumpIntermediates(const Session& s, const InferParams& p) {
  const std::string dir = p.dump.output_dir + "/intermediate";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return FileError(dir + ": cannot create: " + ec.message());
  const Model& m = s.model();
  nlohmann::json index = nlohmann::json::array();
  std::set<std::string> taken;  // file names so far: index.json maps each node to its own
  for (size_t i = 0; i < m.nodes().size(); ++i) {
    const NodeInfo& n = m.nodes()[i];
    auto v = s.NodeOutput(static_cast<int>(i));
    if (!v.ok()) return v.status();
    const std::string file = UniqueDumpName(n.name, &taken);
    const std::string base = dir + "/" + file;
    std::vector<int64_t> shape = v->shape;
    std::vector<float> values = ViewToFloat(*v);
    std::string layout = shape.size() == 4 ? "NHWC" : "stored";
    if (p.dump.dump_intermediate == 3 && shape.size() == 4) {
      // NHWC -> NCHW, the order ONNX tools use.
      const int64_t N = shape[0], H = shape[1], W = shape[2], C = shape[3];
      std::vector<float> t(values.size());
      for (int64_t a = 0; a < N; ++a)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t w = 0; w < W; ++w)
            for (int64_t c = 0; c < C; ++c)
              t[((a * C + c) * H + h) * W + w] = values[((a * H + h) * W + w) * C + c];
      values.swap(t);
      shape = {N, C, H, W};
      layout = "NCHW";
    }
    if (p.dump.dump_intermediate == 3) {
      EDGERT_RETURN_IF_ERROR(WriteFloatBin(base + ".bin", values));
    } else {
      const size_t bytes = values.size() * ElementBytes(v->dtype);
      EDGERT_RETURN_IF_ERROR(WriteFileAtomic(base + ".bin", v->data, bytes));
    }
    if (p.dump.dump_intermediate >= 2)
      EDGERT_RETURN_IF_ERROR(
          WriteFloatTxt(base + ".txt", values, shape, p.dump.dump_precision, p.dump.dump_txt_axis));
    index.push_back({{"index", i},
                     {"node", n.name},
                     {"op_type", n.op_type},
                     {"source_op", n.source_op},
                     {"precision", n.precision},
                     {"file", file + ".bin"},
                     {"shape", shape},
                     {"layout", layout},
                     {"dtype", p.dump.dump_intermediate == 3 ? "F32" : TensorTypeName(v->dtype)}});
  }
  const std::string js = JsonText({{"schema_version", 1},
                                   {"model", m.name()},
                                   {"mode", p.dump.dump_intermediate},
                                   {"nodes", index}}) +
                         "\n";
  return WriteFileAtomic(dir + "/index.json", js.data(), js.size());
}

// Runs the model on the inputs and writes what `p` asks for (settings already validated).
int Infer(const InferParams& p, std::ostream& out) {
  auto opened = OpenModel(p.model);
  if (!opened.ok()) {
    spdlog::error("{}", opened.status().ToString());
    return ExitCodeFor(opened.status());
  }
  const Model& m = *opened->model();
  std::vector<std::string> what;
  auto inputs = LoadInputs(m, p.input.input_file, &what);
  if (!inputs.ok()) {
    spdlog::error("{}", inputs.status().ToString());
    return ExitCodeFor(inputs.status());
  }
  for (size_t i = 0; i < what.size(); ++i)
    out << "input[" << i << "] '" << m.inputs()[i].name << "': " << what[i] << "\n";
  SessionOptions opts;
  opts.num_threads = p.run.intra_threads;
  opts.capture_intermediates = p.dump.dump_intermediate > 0;
  opts.cache_dir = p.model.cache_dir;
  auto session = Session::Create(opened->model(), opts);
  if (!session.ok()) {
    spdlog::error("{}", session.status().ToString());
    return kExitFailure;
  }
  if (Status s = SetInputs(**session, *inputs); !s.ok()) {
    spdlog::error("{}", s.ToString());
    return kExitFailure;
  }
  double total_ms = 0;
  for (int64_t f = 0; f < p.run.frame_count; ++f) {
    if (Status s = (*session)->Run(); !s.ok()) {
      spdlog::error("frame {}: {}", f, s.ToString());
      return kExitFailure;
    }
    total_ms += (*session)->last_run_ms();
  }
  out << "ran " << p.run.frame_count << " frame(s), average " << std::fixed << std::setprecision(3)
      << total_ms / static_cast<double>(p.run.frame_count) << " ms\n";
  out.unsetf(std::ios::fixed);
  out << std::setprecision(6);

  const bool need_outputs = p.dump.enable_dump || p.dump.enable_cls_post_process || p.dump.dump_raw;
  if (p.dump.enable_dump || p.dump.dump_raw || p.dump.dump_intermediate) {
    std::error_code ec;
    std::filesystem::create_directories(p.dump.output_dir, ec);
    if (ec) {
      spdlog::error("{}: cannot create output directory: {}", p.dump.output_dir, ec.message());
      return kExitFailure;
    }
  }
  for (size_t o = 0; need_outputs && o < m.output_count(); ++o) {
    const TensorDesc& d = m.outputs()[o];
    std::vector<float> values;
    if (Status s = (*session)->GetOutput(o, &values); !s.ok()) {
      spdlog::error("{}", s.ToString());
      return kExitFailure;
    }
    const std::string base = OutputDumpBase(p.dump.output_dir, o, d.name);
    if (p.dump.enable_dump) {
      Status s = p.dump.dump_format == "bin"
                     ? WriteFloatBin(base + ".bin", values)
                     : WriteFloatTxt(base + ".txt", values, d.valid_shape, p.dump.dump_precision,
                                     p.dump.dump_txt_axis);
      if (!s.ok()) {
        spdlog::error("{}", s.ToString());
        return kExitFailure;
      }
      out << "output[" << o << "] '" << d.name << "' valid " << ShapeToString(d.valid_shape)
          << " -> " << base << "." << p.dump.dump_format << "\n";
    }
    if (p.dump.dump_raw) {
      Status s = WriteFileAtomic(base + ".aligned.bin", (*session)->output_data(o),
                                 static_cast<size_t>(d.aligned_byte_size));
      if (!s.ok()) {
        spdlog::error("{}", s.ToString());
        return kExitFailure;
      }
    }
    if (p.dump.enable_cls_post_process) {
      std::vector<size_t> idx(values.size());
      std::iota(idx.begin(), idx.end(), 0);
      const size_t k = std::min<size_t>(5, idx.size());
      std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
                        [&](size_t a, size_t b) { return values[a] > values[b]; });
      out << "output[" << o << "] '" << d.name << "' top-" << k << ":\n";
      for (size_t i = 0; i < k; ++i)
        out << "  class " << idx[i] << ": score " << values[idx[i]] << "\n";
    }
  }
  if (p.dump.dump_intermediate > 0) {
    if (Status s = DumpIntermediates(**session, p); !s.ok()) {
      spdlog::error("{}", s.ToString());
      return kExitFailure;
    }
    out << "intermediate outputs of " << m.nodes().size() << " node(s) -> " << p.dump.output_dir
        << "/intermediate/ (index.json lists them in execution order)\n";
  }
  return kExitOk;
}

}  // namespace

int RunInfer(int argc, char** argv, std::ostream& out) {
  InferParams p;
  po::options_description input_opts("Input");
  AddInputFileOption(input_opts, &p.input.input_file, "required unless the model has no inputs");
  po::options_description run_opts("Run");
  run_opts.add_options()("frame_count",
                         po::value(&p.run.frame_count)->default_value(p.run.frame_count),
                         "how many times to run; dumps come from the last run")(
      "intra_threads", po::value(&p.run.intra_threads)->default_value(p.run.intra_threads),
      "engine threads, 1..4 x the online CPUs");
  po::options_description dump_opts("Dump");
  dump_opts.add_options()(
      "enable_dump", po::bool_switch(&p.dump.enable_dump),
      "write every output as model_infer_output_<idx>_<name>.bin|.txt: float32, valid shape, "
      "dequantized (np.fromfile(f, np.float32).reshape(valid shape))")(
      "dump_format", po::value(&p.dump.dump_format)->default_value(p.dump.dump_format),
      "bin or txt")("dump_precision",
                    po::value(&p.dump.dump_precision)->default_value(p.dump.dump_precision),
                    "significant digits in .txt dumps")(
      "dump_txt_axis", po::value(&p.dump.dump_txt_axis)->default_value(p.dump.dump_txt_axis),
      ".txt layout: each line holds the trailing (rank - axis) dimensions; axis >= rank puts "
      "one value per line")(
      "dump_intermediate",
      po::value(&p.dump.dump_intermediate)->default_value(p.dump.dump_intermediate),
      "every node's output into <output_dir>/intermediate/<node>.bin with index.json in "
      "execution order: 1 raw stored tensors (.bin), 2 raw .bin + .txt, 3 float32 in ONNX "
      "order (NCHW for 4-D) .bin + .txt")(
      "dump_raw", po::bool_switch(&p.dump.dump_raw),
      "also write each output's aligned buffer as stored: model_infer_output_<idx>_<name>"
      ".aligned.bin")("enable_cls_post_process", po::bool_switch(&p.dump.enable_cls_post_process),
                      "print the top-5 class indices and scores of every output")(
      "output_dir", po::value(&p.dump.output_dir)->default_value(p.dump.output_dir),
      "where dumps are written (created if missing)");
  po::options_description all;
  all.add(input_opts).add(run_opts).add(dump_opts);
  const ToolInfo info{kTool, "--model_file model.bin --input_file a.bin[,b.bin] [options]", "",
                      &p.model, /*cache_option=*/true};
  ToolSteps steps;
  steps.validate = [&](const po::variables_map&) { return Validate(p); };
  steps.log_settings = [&] {
    spdlog::info(
        "=== infer settings === model_file: {}, model_name: {}, input_file: {}, "
        "frame_count: {}, enable_dump: {}, dump_format: {}, dump_intermediate: {}, "
        "output_dir: {}",
        p.model.model_file, p.model.model_name.empty() ? "(only)" : p.model.model_name,
        p.input.input_file, p.run.frame_count, p.dump.enable_dump, p.dump.dump_format,
        p.dump.dump_intermediate, p.dump.output_dir);
  };
  steps.work = [&] { return Infer(p, out); };
  return RunTool(argc, argv, info, all, steps);
}

}  // namespace edgert::app
