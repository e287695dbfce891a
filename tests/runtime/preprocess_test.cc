// The in-model preprocessing kernels (ColorConvert, Normalize; runtime/src/engine/
// preprocess_kernels.cc) against a plain per-pixel implementation of README "Colour conversion",
// "input_type_rt to input_type_train", written here independently. Random rt buffers with
// garbage in the row padding (the kernel must ignore it), odd widths, NCHW planes, batch 2,
// several row alignments. Tiny shapes: this suite also runs under qemu.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "edgert/model.h"
#include "edgert/model_writer.h"
#include "edgert/session.h"
#include "test_util.h"

namespace edgert {
namespace {

struct Case {
  TensorType rt;
  std::string train;
  bool video = false;
  Layout layout = Layout::kNHWC;
  int64_t n = 1, h = 6, w = 10;
  int row_align = 16;
};

std::string RtName(TensorType t) {
  switch (t) {
    case TensorType::kImgNv12:
      return "nv12";
    case TensorType::kImgY:
      return "y";
    case TensorType::kImgYuv444:
      return "yuv444";
    case TensorType::kImgRgb:
      return "rgb";
    case TensorType::kImgBgr:
      return "bgr";
    default:
      return "gray";
  }
}

std::string Name(const Case& c) {
  return RtName(c.rt) + "->" + c.train + (c.video ? " bt601_video " : " regular ") +
         LayoutName(c.layout) + " " + std::to_string(c.n) + "x" + std::to_string(c.h) + "x" +
         std::to_string(c.w) + " align " + std::to_string(c.row_align);
}

int64_t Channels(TensorType t) {
  return t == TensorType::kImgY || t == TensorType::kImgGray ? 1 : 3;
}

TensorDesc ImageDesc(const Case& c) {
  const int64_t ch = Channels(c.rt);
  std::vector<int64_t> valid = c.layout == Layout::kNCHW ? std::vector<int64_t>{c.n, ch, c.h, c.w}
                                                         : std::vector<int64_t>{c.n, c.h, c.w, ch};
  auto d = MakeTensorDesc("img", c.rt, c.layout, valid, AlignmentRule{c.row_align});
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return *d;
}

// img (ColorConvert) [-> Normalize] -> out, F32 NHWC.
ModelDef PreprocessModel(const TensorDesc& in, const Case& c, const std::vector<float>* mean,
                         const std::vector<float>* scale) {
  const int64_t ct = c.train == "gray" ? 1 : 3;
  const std::vector<int64_t> shape = {c.n, c.h, c.w, ct};
  ModelDef m;
  m.name = "pre";
  TensorDef buf;
  buf.name = "img";
  buf.dtype = TensorType::kU8;
  buf.shape = {in.aligned_byte_size};
  m.tensors.push_back(buf);
  TensorDef conv;
  conv.name = "converted";
  conv.shape = shape;
  m.tensors.push_back(conv);
  NodeDef cc;
  cc.name = "cc";
  cc.op = "ColorConvert";
  cc.inputs = {0};
  cc.outputs = {1};
  cc.attrs = {AttrDef::String("range", c.video ? "bt601_video" : "regular"),
              AttrDef::String("rt", RtName(c.rt)), AttrDef::String("train", c.train)};
  m.nodes.push_back(cc);
  int last = 1;
  if (mean) {
    TensorDef nt;
    nt.name = "normalized";
    nt.shape = shape;
    m.tensors.push_back(nt);
    NodeDef nn;
    nn.name = "norm";
    nn.op = "Normalize";
    nn.inputs = {1};
    nn.outputs = {2};
    nn.attrs = {AttrDef::Floats("mean", *mean), AttrDef::Floats("scale", *scale)};
    m.nodes.push_back(nn);
    last = 2;
  }
  auto od = MakeTensorDesc("out", TensorType::kF32, Layout::kNHWC, shape);
  EXPECT_TRUE(od.ok());
  TensorDef ot;
  ot.name = "out";
  ot.shape = od->aligned_shape;
  m.tensors.push_back(ot);
  NodeDef oa;
  oa.name = "out_adapter";
  oa.op = "OutputAdapter";
  oa.inputs = {last};
  oa.outputs = {static_cast<int>(m.tensors.size()) - 1};
  oa.attrs = {AttrDef::Ints("perm", {0, 1, 2, 3})};
  m.nodes.push_back(oa);
  IoDef ii;
  ii.desc = in;
  ii.tensor = 0;
  m.inputs.push_back(ii);
  IoDef oi;
  oi.desc = *od;
  oi.tensor = static_cast<int>(m.tensors.size()) - 1;
  m.outputs.push_back(oi);
  return m;
}

// Random valid bytes; padding bytes get 0xA5 so that reading them shows up.
std::vector<uint8_t> RandomImage(const TensorDesc& d, uint32_t seed) {
  std::vector<uint8_t> buf(static_cast<size_t>(d.aligned_byte_size), 0xA5);
  std::mt19937 rng(seed);
  const bool nchw = d.layout == Layout::kNCHW;
  const int64_t n = d.valid_shape[0], h = d.valid_shape[nchw ? 2 : 1];
  const int64_t w = d.valid_shape[nchw ? 3 : 2], c = d.valid_shape[nchw ? 1 : 3];
  const int64_t sn = d.stride[0], sh = d.stride[nchw ? 2 : 1];
  for (int64_t b = 0; b < n; ++b) {
    if (d.type == TensorType::kImgNv12 || d.type == TensorType::kImgY) {
      const int64_t rows = d.type == TensorType::kImgNv12 ? h * 3 / 2 : h;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t x = 0; x < w; ++x) buf[b * sn + r * sh + x] = static_cast<uint8_t>(rng());
    } else {
      const int64_t sw = d.stride[nchw ? 3 : 2], sc = d.stride[nchw ? 1 : 3];
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          for (int64_t k = 0; k < c; ++k)
            buf[b * sn + y * sh + x * sw + k * sc] = static_cast<uint8_t>(rng());
    }
  }
  return buf;
}

// The README definition, one pixel at a time. Returns N,H,W,C_train floats.
std::vector<float> Reference(const TensorDesc& d, const std::vector<uint8_t>& buf, const Case& c) {
  const bool nchw = d.layout == Layout::kNCHW;
  const int64_t sn = d.stride[0], sh = d.stride[nchw ? 2 : 1];
  const int64_t ct = c.train == "gray" ? 1 : 3;
  const bool yuv = c.rt != TensorType::kImgRgb && c.rt != TensorType::kImgBgr;
  auto clip = [](double v) { return v < 0 ? 0.0 : v > 255 ? 255.0 : v; };
  std::vector<float> out;
  for (int64_t b = 0; b < c.n; ++b) {
    const uint8_t* f = buf.data() + b * sn;
    for (int64_t y = 0; y < c.h; ++y) {
      for (int64_t x = 0; x < c.w; ++x) {
        double p[3] = {0, 128, 128};  // as stored: Y,U,V or R,G,B
        if (c.rt == TensorType::kImgNv12) {
          p[0] = f[y * sh + x];
          const uint8_t* uv = f + (c.h + y / 2) * sh + (x / 2) * 2;
          p[1] = uv[0];
          p[2] = uv[1];
        } else if (c.rt == TensorType::kImgY) {
          p[0] = f[y * sh + x];
        } else {
          const int64_t sw = d.stride[nchw ? 3 : 2], sc = d.stride[nchw ? 1 : 3];
          for (int64_t k = 0; k < Channels(c.rt); ++k) p[k] = f[y * sh + x * sw + k * sc];
          if (c.rt == TensorType::kImgBgr) std::swap(p[0], p[2]);
        }
        double o[3];
        if (yuv) {
          double Y = p[0], U = p[1], V = p[2];
          if (c.video) {
            Y = (Y - 16) * 255.0 / 219.0;
            U = (U - 128) * 255.0 / 224.0 + 128;
            V = (V - 128) * 255.0 / 224.0 + 128;
          }
          if (c.train == "gray") {
            o[0] = clip(Y);
          } else if (c.train == "yuv444") {
            o[0] = clip(Y), o[1] = clip(U), o[2] = clip(V);
          } else {
            const double r = clip(Y + 1.402 * (V - 128));
            const double g = clip(Y - 0.344136 * (U - 128) - 0.714136 * (V - 128));
            const double bl = clip(Y + 1.772 * (U - 128));
            o[0] = c.train == "rgb" ? r : bl, o[1] = g, o[2] = c.train == "rgb" ? bl : r;
          }
        } else {
          const double r = p[0], g = p[1], bl = p[2];
          const double Y = 0.299 * r + 0.587 * g + 0.114 * bl;
          if (c.train == "gray") {
            o[0] = Y;
          } else if (c.train == "yuv444") {
            o[0] = clip(Y);
            o[1] = clip(-0.168736 * r - 0.331264 * g + 0.5 * bl + 128);
            o[2] = clip(0.5 * r - 0.418688 * g - 0.081312 * bl + 128);
          } else {
            o[0] = c.train == "rgb" ? r : bl, o[1] = g, o[2] = c.train == "rgb" ? bl : r;
          }
        }
        for (int64_t k = 0; k < ct; ++k) out.push_back(static_cast<float>(o[k]));
      }
    }
  }
  return out;
}

std::vector<float> RunModel(const ModelDef& m, const std::vector<uint8_t>& input, int threads,
                            Status* status) {
  auto bytes = SerializeModelFile({m});
  if (!bytes.ok()) return *status = bytes.status(), std::vector<float>();
  auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), "pre");
  if (!file.ok()) return *status = file.status(), std::vector<float>();
  auto model = (*file)->GetModel();
  if (!model.ok()) return *status = model.status(), std::vector<float>();
  SessionOptions opts;
  opts.num_threads = threads;
  auto s = Session::Create(*model, opts);
  if (!s.ok()) return *status = s.status(), std::vector<float>();
  *status = (*s)->SetInput(0, input.data(), input.size());
  if (!status->ok()) return {};
  *status = (*s)->Run();
  if (!status->ok()) return {};
  std::vector<float> out;
  *status = (*s)->GetOutput(0, &out);
  return out;
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

void CheckCase(const Case& c, int threads = 1) {
  SCOPED_TRACE(Name(c));
  const TensorDesc d = ImageDesc(c);
  const std::vector<uint8_t> buf = RandomImage(d, 7);
  Status st;
  const std::vector<float> got =
      RunModel(PreprocessModel(d, c, nullptr, nullptr), buf, threads, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const std::vector<float> want = Reference(d, buf, c);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_LE(MaxAbsDiff(got, want), 1e-5);
}

std::vector<std::string> Trains(TensorType rt) {
  if (rt == TensorType::kImgY || rt == TensorType::kImgGray) return {"gray"};
  return {"rgb", "bgr", "yuv444", "gray"};
}

TEST(ColorConvertTest, EveryTypeTrainRangeAndLayout) {
  for (TensorType rt : {TensorType::kImgNv12, TensorType::kImgY, TensorType::kImgYuv444,
                        TensorType::kImgRgb, TensorType::kImgBgr, TensorType::kImgGray}) {
    const bool planar = rt == TensorType::kImgNv12 || rt == TensorType::kImgY;
    for (const std::string& train : Trains(rt)) {
      for (bool video : {false, true}) {
        for (Layout layout : {Layout::kNHWC, Layout::kNCHW}) {
          if (planar && layout == Layout::kNCHW) continue;
          Case c{rt, train, video, layout};
          c.w = planar ? 10 : 7;  // rows padded to 16 (odd width for packed images)
          CheckCase(c);
        }
      }
    }
  }
}

TEST(ColorConvertTest, BatchesAlignmentsAndThreads) {
  for (int align : {1, 64}) {
    CheckCase({TensorType::kImgNv12, "rgb", true, Layout::kNHWC, 2, 4, 6, align});
    CheckCase({TensorType::kImgRgb, "yuv444", false, Layout::kNCHW, 2, 3, 5, align});
    CheckCase({TensorType::kImgBgr, "rgb", false, Layout::kNHWC, 2, 3, 5, align});
  }
  // Rows split over threads (more threads than rows too).
  CheckCase({TensorType::kImgNv12, "bgr", false, Layout::kNHWC, 1, 8, 16, 16}, 3);
  CheckCase({TensorType::kImgGray, "gray", true, Layout::kNHWC, 1, 2, 3, 16}, 4);
}

TEST(ColorConvertTest, ExtremeBytesClampWithoutRounding) {
  // Every Y/U/V corner: clamping happens, and unclamped values keep their fractions.
  Case c{TensorType::kImgYuv444, "rgb", true, Layout::kNHWC, 1, 2, 4};
  const TensorDesc d = ImageDesc(c);
  std::vector<uint8_t> buf(static_cast<size_t>(d.aligned_byte_size), 0);
  const uint8_t v[8][3] = {{0, 0, 0},      {255, 255, 255}, {0, 255, 0},    {255, 0, 255},
                           {16, 128, 128}, {235, 240, 16},  {100, 90, 200}, {1, 2, 3}};
  for (int p = 0; p < 8; ++p)
    for (int k = 0; k < 3; ++k) buf[(p / 4) * d.stride[1] + (p % 4) * 3 + k] = v[p][k];
  Status st;
  const std::vector<float> got = RunModel(PreprocessModel(d, c, nullptr, nullptr), buf, 1, &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_LE(MaxAbsDiff(got, Reference(d, buf, c)), 1e-5);
  EXPECT_EQ(*std::min_element(got.begin(), got.end()), 0.f);
  EXPECT_EQ(*std::max_element(got.begin(), got.end()), 255.f);
  // Y=16, U=V=128 in video range is black; some value is not an integer.
  EXPECT_EQ(got[12], 0.f);
  EXPECT_TRUE(std::any_of(got.begin(), got.end(), [](float f) { return f != std::round(f); }));
}

TEST(NormalizeTest, PerChannelAndBroadcastValues) {
  Case c{TensorType::kImgNv12, "rgb", false, Layout::kNHWC, 1, 4, 6};
  const TensorDesc d = ImageDesc(c);
  const std::vector<uint8_t> buf = RandomImage(d, 3);
  const std::vector<float> plain = Reference(d, buf, c);
  const std::vector<std::pair<std::vector<float>, std::vector<float>>> settings = {
      {{123.675f, 116.28f, 103.53f}, {0.01712f, 0.01751f, 0.01743f}},
      {{128.f}, {1.f}},
      {{0.f}, {0.00390625f}},
      {{1.f, 2.f, 3.f}, {0.5f}}};
  for (const auto& [mean, scale] : settings) {
    Status st;
    const std::vector<float> got = RunModel(PreprocessModel(d, c, &mean, &scale), buf, 1, &st);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_EQ(got.size(), plain.size());
    std::vector<float> want(plain.size());
    for (size_t i = 0; i < plain.size(); ++i) {
      const size_t k = i % 3;
      want[i] = (plain[i] - mean[mean.size() == 1 ? 0 : k]) * scale[scale.size() == 1 ? 0 : k];
    }
    EXPECT_LE(MaxAbsDiff(got, want), 1e-6) << mean[0] << " " << scale[0];
  }
}

TEST(ColorConvertTest, BadNodesAreSetupErrors) {
  Case c{TensorType::kImgRgb, "rgb"};
  const TensorDesc d = ImageDesc(c);
  const std::vector<uint8_t> buf(static_cast<size_t>(d.aligned_byte_size), 0);
  auto expect_error = [&](ModelDef m, const std::string& part) {
    Status st;
    RunModel(m, buf, 1, &st);
    ASSERT_FALSE(st.ok()) << part;
    EXPECT_NE(st.message().find(part), std::string::npos) << st.ToString();
  };
  ModelDef m = PreprocessModel(d, c, nullptr, nullptr);
  m.nodes[0].attrs[1] = AttrDef::String("rt", "bgr");
  expect_error(m, "rt 'bgr' does not match the input's type IMG_RGB");
  m = PreprocessModel(d, c, nullptr, nullptr);
  m.nodes[0].attrs[2] = AttrDef::String("train", "hsv");
  expect_error(m, "train 'hsv'");
  m = PreprocessModel(d, c, nullptr, nullptr);
  m.nodes[0].attrs[0] = AttrDef::String("range", "studio");
  expect_error(m, "range 'studio'");
  // Gray has no chroma for rgb.
  Case g{TensorType::kImgGray, "rgb"};
  const TensorDesc gd = ImageDesc(g);
  Status st;
  RunModel(PreprocessModel(gd, g, nullptr, nullptr),
           std::vector<uint8_t>(static_cast<size_t>(gd.aligned_byte_size)), 1, &st);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("has no chroma"), std::string::npos) << st.ToString();
  // Normalize with 2 values for 3 channels.
  const std::vector<float> two = {1.f, 2.f}, one = {1.f};
  expect_error(PreprocessModel(d, c, &two, &one), "mean has 2 values for 3 channels");
}

}  // namespace
}  // namespace edgert
