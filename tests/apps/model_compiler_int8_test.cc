// Int8 compilation on the real-accuracy case: the digits CNN (samples/models/digits_cnn.onnx)
// and its held-out digits, written by scripts/train_digits.py --data-only into build/digits
// (scripts/prepare_models.sh does it).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "edgert/model.h"
#include "edgert/session.h"
#include "engine/kernel.h"
#include "model_compiler/compiler.h"
#include "model_compiler/quantize.h"
#include "test_util.h"

namespace edgert::compiler {
namespace {

const std::string kRoot = EDGERT_SOURCE_DIR;
const std::string kOnnx = kRoot + "/samples/models/digits_cnn.onnx";
const std::string kData = kRoot + "/build/digits";

template <typename T>
std::vector<T> ReadVec(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<T> v(b.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), b.data(), v.size() * sizeof(T));
  return v;
}

CompileConfig Config(const std::string& type = "default") {
  CompileConfig c;
  c.calibration_parameters["cal_data_dir"] = kData + "/cal";
  c.calibration_parameters["calibration_type"] = type;
  return c;
}

std::shared_ptr<const Model> Load(const ModelDef& def) {
  auto bytes = SerializeModelFile({def});
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), def.name);
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  return *(*file)->GetModel();
}

// Top-1 accuracy of `def` on the 1000 held-out digits; also returns the logits. With
// `gray_pixels`, the model takes each digit as its original 8-bit pixels (an IMG_GRAY input)
// instead of the float pixel / 255.
double Accuracy(const ModelDef& def, std::vector<float>* logits = nullptr,
                bool gray_pixels = false) {
  const auto x = ReadVec<float>(kData + "/digits_test_x.bin");
  const auto y = ReadVec<int64_t>(kData + "/digits_test_y.bin");
  auto s = Session::Create(Load(def));
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return 0;
  int right = 0;
  std::vector<uint8_t> pixels(400);
  for (size_t i = 0; i < y.size(); ++i) {
    if (gray_pixels) {
      for (size_t k = 0; k < 400; ++k)
        pixels[k] = static_cast<uint8_t>(std::lround(x[i * 400 + k] * 255.f));
      EXPECT_TRUE((*s)->SetInput(0, pixels.data(), pixels.size()).ok());
    } else {
      EXPECT_TRUE((*s)->SetInput(0, x.data() + i * 400, 400 * 4).ok());
    }
    EXPECT_TRUE((*s)->Run().ok());
    std::vector<float> out;
    EXPECT_TRUE((*s)->GetOutput(0, &out).ok());
    right += std::max_element(out.begin(), out.end()) - out.begin() == y[i];
    if (logits) logits->insert(logits->end(), out.begin(), out.end());
  }
  return static_cast<double>(right) / static_cast<double>(y.size());
}

class DigitsInt8 : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(kData + "/digits_test_x.bin"))
        << kData << " is missing: run scripts/prepare_models.sh";
    auto f = CompileOnnxFile(kOnnx, CompileConfig{});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    float_ = *f;
  }
  ModelDef float_;
};

TEST_F(DigitsInt8, DefaultCalibrationLosesAtMostHalfAPercent) {
  auto q = CalibrateAndQuantize(float_, Config(), false);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const double fa = Accuracy(float_), qa = Accuracy(q->model);
  std::printf("digits accuracy: edgert f32 %.4f, edgert int8 (%s) %.4f\n", fa, q->method.c_str(),
              qa);
  EXPECT_GE(fa, 0.9);
  EXPECT_LE(fa - qa, 0.005);
  EXPECT_TRUE(q->float_nodes.empty());
  // default kept the best of the three.
  for (const auto& [m, c] : q->output_cosine) EXPECT_LE(c, q->output_cosine.at(q->method)) << m;
}

// reduce_range: 7-bit weights (every quantized weight within +-64, each per-channel maximum at
// exactly +-64), still within the accuracy bound. On x86 hosts with oneDNN, the int8 convolutions
// it can run exactly (group 1, 32 or more output channels) go to it; the default 8-bit weights
// keep them on XNNPACK unless oneDNN multiplies with VNNI, which is exact for any weights.
TEST_F(DigitsInt8, ReduceRangeWeightsStayWithin64) {
  CompileConfig c = Config();
  c.calibration_parameters["reduce_range"] = "True";
  auto q = CalibrateAndQuantize(float_, c, false);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  int weights = 0;
  for (const NodeDef& n : q->model.nodes) {
    if (!n.int8 || (n.op != "Conv2D" && n.op != "FullyConnected")) continue;
    const TensorDef& w = q->model.tensors[static_cast<size_t>(n.inputs[1])];
    ASSERT_EQ(w.dtype, TensorType::kS8) << n.name;
    const size_t per = w.data.size() / static_cast<size_t>(w.shape[0]);
    for (size_t c0 = 0; c0 < w.data.size(); c0 += per) {
      int mx = 0;
      for (size_t i = c0; i < c0 + per; ++i)
        mx = std::max(mx, std::abs(static_cast<int>(static_cast<int8_t>(w.data[i]))));
      EXPECT_EQ(mx, 64) << n.name << " channel " << c0 / per;
    }
    ++weights;
  }
  EXPECT_EQ(weights, 4);
  const double fa = Accuracy(float_), qa = Accuracy(q->model);
  std::printf("digits accuracy: edgert f32 %.4f, edgert int8 reduce_range (%s) %.4f\n", fa,
              q->method.c_str(), qa);
  EXPECT_LE(fa - qa, 0.005);

  const bool onednn = engine::DnnlProvider() != nullptr;
  for (const bool reduce : {true, false}) {
    CompileConfig cc = Config("max");
    if (reduce) cc.calibration_parameters["reduce_range"] = "True";
    auto m = CalibrateAndQuantize(float_, cc, false);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    auto s = Session::Create(Load(m->model));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    std::vector<std::string> convs;
    for (size_t i = 0; i < m->model.nodes.size(); ++i)
      if (m->model.nodes[i].op == "Conv2D")
        convs.push_back((*s)->node_provider(static_cast<int>(i)));
    // 16, 32 and 64 output channels: the first stays on XNNPACK (fewer than 32).
    bool vnni = false;
    engine::DnnlIsa(&vnni);
    const std::string big = (reduce || vnni) && onednn ? "onednn" : "int8";
    EXPECT_EQ(convs, (std::vector<std::string>{"int8", big, big})) << "reduce_range " << reduce;
  }
}

// An image-input model calibrated on image files: gray input (pixels, NHWC) with the /255 in the
// model, cal_data_dir of the same 100 digits as PNG images (train_digits.py writes them). The
// held-out digits go in as their original 8-bit pixels; labels are the reference.
TEST_F(DigitsInt8, GrayImageInputCalibratedOnPngImages) {
  CompileConfig c = Config();
  c.calibration_parameters["cal_data_dir"] = kData + "/cal_png";
  InputConfig in;
  in.input_type_rt = "gray";
  in.input_type_train = "gray";
  in.input_layout_rt = "NHWC";
  in.input_layout_train = "NCHW";
  in.norm_type = "data_scale";
  in.scale_value = {1.f / 255.f};
  c.inputs.push_back(in);
  auto f = CompileOnnxFile(kOnnx, c);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto q = CalibrateAndQuantize(*f, c, false);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  // Only the in-model preprocessing stays float.
  EXPECT_EQ(std::set<std::string>(q->float_nodes.begin(), q->float_nodes.end()),
            (std::set<std::string>{"input_color_convert", "input_normalize"}));

  const double fa = Accuracy(float_), qa = Accuracy(q->model, nullptr, true);
  std::printf("digits accuracy: edgert f32 %.4f, int8 gray input calibrated on PNGs (%s) %.4f\n",
              fa, q->method.c_str(), qa);
  EXPECT_LE(fa - qa, 0.005);
}

// A calibration file of the wrong size names the file and both accepted sizes.
TEST_F(DigitsInt8, CalibrationFileOfTheWrongSizeIsNamed) {
  const std::string dir = edgert::test::TempDir("cal_bad");
  std::ofstream(dir + "/0000.bin", std::ios::binary) << std::string(123, '\0');
  CompileConfig c = Config();
  c.calibration_parameters["cal_data_dir"] = dir;
  auto q = CalibrateAndQuantize(float_, c, false);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find(dir + "/0000.bin"), std::string::npos)
      << q.status().message();
  EXPECT_NE(q.status().message().find("1600"), std::string::npos) << q.status().message();
}

TEST_F(DigitsInt8, RunOnCpuKeepsTheNamedNodesFloat) {
  CompileConfig c = Config("max");
  c.calibration_parameters["run_on_cpu"] = "/f/f.4/Conv;/f/f.13/Gemm";
  auto q = CalibrateAndQuantize(float_, c, false);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  auto all = CalibrateAndQuantize(float_, Config("max"), false);
  ASSERT_TRUE(all.ok());
  auto precision = [](const ModelDef& m, const std::string& name) {
    for (const NodeDef& n : m.nodes)
      if (n.name == name) return n.int8 ? 1 : 0;
    return -1;
  };
  for (const char* n : {"/f/f.4/Conv", "/f/f.13/Gemm"}) {
    EXPECT_EQ(precision(all->model, n), 1) << n;
    EXPECT_EQ(precision(q->model, n), 0) << n;
    EXPECT_NE(std::find(q->float_nodes.begin(), q->float_nodes.end(), n), q->float_nodes.end());
  }
  EXPECT_EQ(precision(q->model, "/f/f.0/Conv"), 1);
  // The loaded model reports the precision too.
  auto m = Load(q->model);
  int float_convs = 0;
  for (const NodeInfo& n : m->nodes())
    float_convs +=
        (n.op_type == "Conv2D" || n.op_type == "FullyConnected") && n.precision == "float";
  EXPECT_EQ(float_convs, 2);
  c.calibration_parameters["run_on_cpu"] = "no_such_node";
  EXPECT_FALSE(CalibrateAndQuantize(float_, c, false).ok());
}

TEST_F(DigitsInt8, ReportNamesAnInjectedOutlierLayerWorst) {
  // One weight of /f/f.4/Conv 30x larger than any other: with per-tensor weight scales, every
  // other weight of that layer rounds to a few levels.
  ModelDef broken = float_;
  int w = -1;
  for (const NodeDef& n : broken.nodes)
    if (n.name == "/f/f.4/Conv") w = n.inputs[1];
  ASSERT_GE(w, 0);
  TensorDef& t = broken.tensors[static_cast<size_t>(w)];
  std::vector<float> v(t.data.size() / 4);
  std::memcpy(v.data(), t.data.data(), t.data.size());
  float mx = 0;
  for (float e : v) mx = std::max(mx, std::fabs(e));
  v[0] = 30 * mx;
  std::memcpy(t.data.data(), v.data(), t.data.size());
  CompileConfig c = Config("max");
  c.calibration_parameters["per_channel"] = "False";
  auto q = CalibrateAndQuantize(broken, c, true);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  ASSERT_FALSE(q->layers.empty());
  for (const LayerReport& l : q->layers)
    std::printf("%-28s %-15s single %.6f cumulative %.6f\n", l.node.c_str(), l.op.c_str(),
                l.single_cosine, l.cumulative_cosine);
  EXPECT_EQ(q->layers[0].node, "/f/f.4/Conv");
  EXPECT_LT(q->layers[0].single_cosine, 0.995);  // 0.9999 without the outlier
  for (size_t i = 1; i < q->layers.size(); ++i)
    EXPECT_LT(q->layers[0].single_cosine, q->layers[i].single_cosine) << q->layers[i].node;
  const std::string dir = edgert::test::TempDir("int8_report");
  ASSERT_TRUE(WriteQuantReport(*q, dir + "/m").ok());
  std::ifstream in(dir + "/m_quant_report.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("/f/f.4/Conv"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/m_quant_report.json"));
}

// The report's JSON must survive any node name ONNX allows and a NaN cosine: quotes,
// backslashes, control characters and names longer than any fixed buffer round-trip.
TEST(QuantReport, JsonAndTextKeepHostileNamesWhole) {
  CalibrationResult r;
  r.method = "max";
  const std::string quote = "/m/\"odd\\name\"\t/Conv";
  const std::string longname = "/" + std::string(700, 'x') + "/Conv";
  r.float_nodes = {quote};
  r.layers = {{quote, "Conv2D", 0.5, 0.25},
              {longname, "Add", std::numeric_limits<double>::quiet_NaN(), 0.75}};
  const std::string dir = edgert::test::TempDir("quant_report_names");
  ASSERT_TRUE(WriteQuantReport(r, dir + "/m").ok());
  std::ifstream in(dir + "/m_quant_report.json");
  const nlohmann::json j = nlohmann::json::parse(in);  // throws (fails the test) on bad JSON
  EXPECT_EQ(j["calibration"], "max");
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["layers"][0]["node"], quote);
  EXPECT_EQ(j["layers"][0]["single_cosine"], 0.5);
  EXPECT_EQ(j["layers"][1]["node"], longname);
  EXPECT_TRUE(j["layers"][1]["single_cosine"].is_null());
  EXPECT_EQ(j["layers"][1]["cumulative_cosine"], 0.75);
  EXPECT_EQ(j["float_nodes"], nlohmann::json::array({quote}));
  std::ifstream tin(dir + "/m_quant_report.txt");
  const std::string text((std::istreambuf_iterator<char>(tin)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(longname + " Add"), std::string::npos);
}

double Cosine(const float* a, const float* b, size_t n) {
  double d = 0, x = 0, y = 0;
  for (size_t i = 0; i < n; ++i) {
    d += static_cast<double>(a[i]) * b[i];
    x += static_cast<double>(a[i]) * a[i];
    y += static_cast<double>(b[i]) * b[i];
  }
  return d / std::sqrt(x * y);
}

double Top1(const std::vector<float>& logits, const std::vector<int64_t>& y) {
  int right = 0;
  for (size_t i = 0; i < y.size() && (i + 1) * 10 <= logits.size(); ++i)
    right += std::max_element(logits.begin() + static_cast<long>(i * 10),
                              logits.begin() + static_cast<long>(i * 10 + 10)) -
                 (logits.begin() + static_cast<long>(i * 10)) ==
             y[i];
  return static_cast<double>(right) / static_cast<double>(y.size());
}

// build/models/digits_int8.bin and the ONNX Runtime outputs on the float model and on its
// digits_int8_quantized_model.onnx, all made by scripts/prepare_models.sh.
TEST(DigitsInt8Ort, MatchesOnnxRuntimeOnTheQuantizedModel) {
  const std::string bin = kRoot + "/build/models/digits_int8.bin";
  ASSERT_TRUE(std::filesystem::exists(bin) &&
              std::filesystem::exists(kData + "/ort_qdq_logits.bin"))
      << "run scripts/prepare_models.sh";
  auto file = ModelFile::Open(bin);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto s = Session::Create(*(*file)->GetModel());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto x = ReadVec<float>(kData + "/digits_test_x.bin");
  const auto y = ReadVec<int64_t>(kData + "/digits_test_y.bin");
  const auto ort_f = ReadVec<float>(kData + "/ort_float_logits.bin");
  const auto ort_q = ReadVec<float>(kData + "/ort_qdq_logits.bin");
  const auto ort_qo = ReadVec<float>(kData + "/ort_qdq_opt_logits.bin");
  ASSERT_EQ(ort_q.size(), y.size() * 10);
  std::vector<float> ours;
  double worst = 1;
  for (size_t i = 0; i < y.size(); ++i) {
    ASSERT_TRUE((*s)->SetInput(0, x.data() + i * 400, 400 * 4).ok());
    ASSERT_TRUE((*s)->Run().ok());
    std::vector<float> out;
    ASSERT_TRUE((*s)->GetOutput(0, &out).ok());
    worst = std::min(worst, Cosine(out.data(), ort_q.data() + i * 10, 10));
    ours.insert(ours.end(), out.begin(), out.end());
  }
  const double all = Cosine(ours.data(), ort_q.data(), ours.size());
  std::printf(
      "digits (1000 held-out) top-1: float ONNX in ORT %.4f | int8 .bin in edgert %.4f | "
      "quantized_model.onnx in ORT %.4f (optimized ORT: %.4f)\n"
      "edgert int8 vs ORT QDQ cosine: all logits %.6f, worst sample %.6f\n",
      Top1(ort_f, y), Top1(ours, y), Top1(ort_q, y), Top1(ort_qo, y), all, worst);
  EXPECT_GE(all, 0.999);
  EXPECT_LE(Top1(ort_f, y) - Top1(ours, y), 0.005);
  EXPECT_LE(Top1(ort_f, y) - Top1(ort_q, y), 0.005);
}

// Logits of `model` on the first `n` held-out digits.
std::vector<float> Logits(std::shared_ptr<const Model> model, size_t n) {
  const auto x = ReadVec<float>(kData + "/digits_test_x.bin");
  auto s = Session::Create(model);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  std::vector<float> all;
  for (size_t i = 0; s.ok() && i < n; ++i) {
    EXPECT_TRUE((*s)->SetInput(0, x.data() + i * 400, 400 * 4).ok());
    EXPECT_TRUE((*s)->Run().ok());
    std::vector<float> out;
    EXPECT_TRUE((*s)->GetOutput(0, &out).ok());
    all.insert(all.end(), out.begin(), out.end());
  }
  return all;
}

// The compiler's own QDQ export, imported again (s8 as written, and with every activation
// rewritten to u8 with zero point + 128, as ORT quantize_static writes them), compiles to the
// same int8 model: bit-identical outputs.
TEST(DigitsInt8Qdq, ImportRoundTripsTheExportAndShiftsU8By128) {
  const std::string qdq = kRoot + "/build/models/digits_int8_quantized_model.onnx";
  auto file = ModelFile::Open(kRoot + "/build/models/digits_int8.bin");
  ASSERT_TRUE(file.ok() && std::filesystem::exists(qdq)) << "run scripts/prepare_models.sh";
  const std::vector<float> want = Logits(*(*file)->GetModel(), 50);

  onnx::ModelProto m;
  {
    std::ifstream in(qdq, std::ios::binary);
    ASSERT_TRUE(m.ParseFromIstream(&in));
  }
  std::set<std::string> act_zps;
  for (const auto& n : m.graph().node())
    if (n.op_type() == "QuantizeLinear") act_zps.insert(n.input(2));
  int shifted = 0;
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (!act_zps.count(t.name())) continue;
    ASSERT_EQ(t.data_type(), onnx::TensorProto::INT8);
    t.set_data_type(onnx::TensorProto::UINT8);
    for (int i = 0; i < t.int32_data_size(); ++i) t.set_int32_data(i, t.int32_data(i) + 128);
    ++shifted;
  }
  EXPECT_GT(shifted, 3);
  const std::string u8_path = edgert::test::TempDir("qdq_u8") + "/digits_u8_qdq.onnx";
  {
    std::ofstream out(u8_path, std::ios::binary);
    ASSERT_TRUE(m.SerializeToOstream(&out));
  }
  for (const std::string& path : {qdq, u8_path}) {
    SCOPED_TRACE(path);
    bool was_qdq = false;
    std::vector<std::string> float_nodes;
    auto def = CompileOnnxFileQdqAware(path, CompileConfig{}, &was_qdq, &float_nodes);
    ASSERT_TRUE(def.ok()) << def.status().ToString();
    EXPECT_TRUE(was_qdq);
    EXPECT_TRUE(float_nodes.empty());
    EXPECT_EQ(Logits(Load(*def), 50), want);
  }
  // run_on_cpu applies to QDQ models too.
  CompileConfig c;
  c.calibration_parameters["run_on_cpu"] = "/f/f.8/Conv";
  bool was_qdq = false;
  std::vector<std::string> float_nodes;
  auto def = CompileOnnxFileQdqAware(u8_path, c, &was_qdq, &float_nodes);
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(float_nodes, std::vector<std::string>{"/f/f.8/Conv"});
}

}  // namespace
}  // namespace edgert::compiler
