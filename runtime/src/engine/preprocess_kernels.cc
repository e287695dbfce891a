// The in-model preprocessing (HzPreprocess): ColorConvert turns a model input's image buffer
// (input_type_rt) into the dense float tensor of input_type_train, Normalize applies norm_type.
// The formulas are README "Colour conversion", subsection "input_type_rt to input_type_train";
// scripts/preprocess_ref.py `train` is their numpy reference.
//
// Precision: the README defines the values in float64, rounded once to float32. Values reach
// 255, where one float32 ulp is 1.5e-5, so float32 arithmetic (1-2 ulp off) would not stay
// within 1e-5 of the reference. ColorConvert therefore computes each row in double, in the same
// operation order as the numpy reference (and this file is built with -ffp-contract=off so no
// FMA changes a rounding), and rounds once when it stores.
//
// Structure, so that gcc vectorizes the inner loops: per row, an unpack step reads the bytes
// into up to three double rows (Y,U,V or R,G,B, NV12 chroma replicated), an optional range
// expansion runs over those rows, and a convert step computes and interleaves the train
// channels. Each step is chosen once at setup (function pointers called per row, never a
// per-pixel branch on the type).
#include <algorithm>
#include <cstring>

#include "engine/kernel.h"

namespace edgert::engine {
namespace {

// ---- unpack: bytes -> double rows ----

void UnpackPlane(const uint8_t* src, double* dst, int64_t w) {
  for (int64_t x = 0; x < w; ++x) dst[x] = src[x];
}

// Three interleaved bytes per pixel -> three rows (a,b,c in byte order).
void UnpackInterleaved3(const uint8_t* src, double* a, double* b, double* c, int64_t w) {
  for (int64_t x = 0; x < w; ++x) {
    a[x] = src[3 * x];
    b[x] = src[3 * x + 1];
    c[x] = src[3 * x + 2];
  }
}

// One NV12 UV row (U,V interleaved per 2x1 pixels) -> full-width U and V rows (nearest).
void UnpackNv12Uv(const uint8_t* uv, double* u, double* v, int64_t w) {
  for (int64_t i = 0; i < w / 2; ++i) {
    const double cu = uv[2 * i], cv = uv[2 * i + 1];
    u[2 * i] = cu;
    u[2 * i + 1] = cu;
    v[2 * i] = cv;
    v[2 * i + 1] = cv;
  }
}

// ---- bt601_video -> full range ----

void ExpandVideoY(double* y, int64_t w) {
  for (int64_t x = 0; x < w; ++x) y[x] = (y[x] - 16.0) * (255.0 / 219.0);
}

void ExpandVideoUv(double* c, int64_t w) {
  for (int64_t x = 0; x < w; ++x) c[x] = (c[x] - 128.0) * (255.0 / 224.0) + 128.0;
}

// ---- convert: double rows -> float32 train channels, interleaved ----

// Plain selects on values (not std::min/max, which return references): gcc if-converts these
// into vector compares and blends.
inline double Clip(double v) {
  v = v < 0.0 ? 0.0 : v;
  return v > 255.0 ? 255.0 : v;
}

using ConvertFn = void (*)(const double* a, const double* b, const double* c, float* out,
                           int64_t w);

// Y -> gray.
void YToGray(const double* y, const double*, const double*, float* out, int64_t w) {
  for (int64_t x = 0; x < w; ++x) out[x] = static_cast<float>(Clip(y[x]));
}

// Y,U,V -> yuv444.
void YuvToYuv(const double* y, const double* u, const double* v, float* out, int64_t w) {
  for (int64_t x = 0; x < w; ++x) {
    out[3 * x] = static_cast<float>(Clip(y[x]));
    out[3 * x + 1] = static_cast<float>(Clip(u[x]));
    out[3 * x + 2] = static_cast<float>(Clip(v[x]));
  }
}

// Y,U,V -> R,G,B (JFIF, BT.601 full range); kBgr stores B,G,R.
template <bool kBgr>
void YuvToRgb(const double* y, const double* u, const double* v, float* out, int64_t w) {
  for (int64_t x = 0; x < w; ++x) {
    const double cu = u[x] - 128.0, cv = v[x] - 128.0;
    const double r = y[x] + 1.402 * cv;
    const double g = y[x] - 0.344136 * cu - 0.714136 * cv;
    const double b = y[x] + 1.772 * cu;
    out[3 * x + (kBgr ? 2 : 0)] = static_cast<float>(Clip(r));
    out[3 * x + 1] = static_cast<float>(Clip(g));
    out[3 * x + (kBgr ? 0 : 2)] = static_cast<float>(Clip(b));
  }
}

// R,G,B -> rgb or bgr (reorder only).
template <bool kBgr>
void RgbToRgb(const double* r, const double* g, const double* b, float* out, int64_t w) {
  for (int64_t x = 0; x < w; ++x) {
    out[3 * x + (kBgr ? 2 : 0)] = static_cast<float>(r[x]);
    out[3 * x + 1] = static_cast<float>(g[x]);
    out[3 * x + (kBgr ? 0 : 2)] = static_cast<float>(b[x]);
  }
}

// R,G,B -> gray (never outside [0,255], so not clamped, as in the reference).
void RgbToGray(const double* r, const double* g, const double* b, float* out, int64_t w) {
  for (int64_t x = 0; x < w; ++x)
    out[x] = static_cast<float>(0.299 * r[x] + 0.587 * g[x] + 0.114 * b[x]);
}

// R,G,B -> Y,U,V (BT.601 full range).
void RgbToYuv(const double* r, const double* g, const double* b, float* out, int64_t w) {
  for (int64_t x = 0; x < w; ++x) {
    const double y = 0.299 * r[x] + 0.587 * g[x] + 0.114 * b[x];
    const double u = -0.168736 * r[x] - 0.331264 * g[x] + 0.5 * b[x] + 128.0;
    const double v = 0.5 * r[x] - 0.418688 * g[x] - 0.081312 * b[x] + 128.0;
    out[3 * x] = static_cast<float>(Clip(y));
    out[3 * x + 1] = static_cast<float>(Clip(u));
    out[3 * x + 2] = static_cast<float>(Clip(v));
  }
}

bool IsYuvType(TensorType t) {
  return t == TensorType::kImgNv12 || t == TensorType::kImgY || t == TensorType::kImgYuv444 ||
         t == TensorType::kImgGray;
}

const char* RtName(TensorType t) {
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
    case TensorType::kImgGray:
      return "gray";
    default:
      return "";
  }
}

// Model input image buffer (U8, aligned) -> F32 [N,H,W,C_train]. Attributes: `rt` (checked
// against the input's tensor type), `train` (rgb|bgr|yuv444|gray), `range`
// (regular|bt601_video; applies to YUV and gray inputs only). Geometry from the input's IoDesc.
class ColorConvertKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* in = ctx.In(0);
    TensorRef* out = ctx.Out(0);
    if (!in->io || !IsImageType(in->io->type))
      return ctx.Error("input '" + in->name + "' is not an image model input buffer");
    if (out->dtype != fb::DType_F32) return ctx.Error("output '" + out->name + "' is not F32");
    const TensorDesc& d = *in->io;
    type_ = d.type;
    const std::string rt = ctx.Str("rt", RtName(type_));
    if (rt != RtName(type_))
      return ctx.Error("rt '" + rt + "' does not match the input's type " + TensorTypeName(type_));
    const std::string train = ctx.Str("train", "");
    const std::string range = ctx.Str("range", "regular");
    if (range != "regular" && range != "bt601_video")
      return ctx.Error("range '" + range + "' is not regular or bt601_video");
    const bool nchw = d.layout == Layout::kNCHW;
    if (d.valid_shape.size() != 4 || d.stride.size() != 4 || d.layout == Layout::kNone)
      return ctx.Error("input '" + in->name + "' is not a 4-D NHWC/NCHW image");
    const int ih = nchw ? 2 : 1, iw = nchw ? 3 : 2, ic = nchw ? 1 : 3;
    n_ = d.valid_shape[0];
    h_ = d.valid_shape[ih];
    w_ = d.valid_shape[iw];
    const int64_t c_rt = d.valid_shape[ic];
    batch_stride_ = d.stride[0];
    row_stride_ = d.stride[ih];
    channel_stride_ = d.stride[ic];
    const bool planar = type_ == TensorType::kImgNv12 || type_ == TensorType::kImgY;
    if (planar && nchw) return ctx.Error(std::string(TensorTypeName(type_)) + " must be NHWC");
    // The strides the unpack functions assume (MakeTensorDesc's rules).
    const int64_t want_w = planar || nchw ? 1 : c_rt;
    if (d.stride[iw] != want_w || (!planar && !nchw && channel_stride_ != 1))
      return ctx.Error("input '" + in->name + "' has unexpected strides " +
                       ShapeToString(d.stride));
    yuv_ = IsYuvType(type_);
    video_ = yuv_ && range == "bt601_video";
    three_ = c_rt == 3;
    int64_t c_train = 0;
    if (train == "gray") {
      c_train = 1;
      convert_ = yuv_ ? YToGray : RgbToGray;
    } else if (train == "rgb" || train == "bgr" || train == "yuv444") {
      c_train = 3;
      if (!three_)
        return ctx.Error(std::string("a ") + TensorTypeName(type_) +
                         " input has no chroma for train type '" + train + "'");
      if (yuv_) {
        convert_ = train == "yuv444" ? YuvToYuv : train == "rgb" ? YuvToRgb<false> : YuvToRgb<true>;
      } else {
        convert_ = train == "yuv444" ? RgbToYuv : train == "rgb" ? RgbToRgb<false> : RgbToRgb<true>;
      }
    } else {
      return ctx.Error("train '" + train + "' is not rgb, bgr, yuv444 or gray");
    }
    c_train_ = c_train;
    const std::vector<int64_t> want = {n_, h_, w_, c_train};
    if (out->shape != want)
      return ctx.Error("output '" + out->name + "' has shape " + ShapeToString(out->shape) +
                       ", expected " + ShapeToString(want));
    src_ = in->data;
    dst_ = out->f32();
    // Rows are split into one contiguous range per thread, each with its own scratch rows.
    const int64_t rows = n_ * h_;
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    tiles_ = std::max<int64_t>(1, std::min(rows, threads));
    scratch_.assign(static_cast<size_t>(tiles_ * 3 * w_), 0.0);
    return Status::Ok();
  }

  Status Run(pthreadpool_t pool) override {
    if (tiles_ == 1) {
      RunTile(0);
    } else {
      pthreadpool_parallelize_1d(
          pool, [this](size_t tile) { RunTile(static_cast<int64_t>(tile)); },
          static_cast<size_t>(tiles_));
    }
    return Status::Ok();
  }

 private:
  void RunTile(int64_t tile) {
    const int64_t rows = n_ * h_;
    const int64_t begin = rows * tile / tiles_, end = rows * (tile + 1) / tiles_;
    double* a = scratch_.data() + tile * 3 * w_;
    double* b = a + w_;
    double* c = b + w_;
    for (int64_t r = begin; r < end; ++r) {
      const int64_t n = r / h_, y = r % h_;
      const uint8_t* frame = src_ + n * batch_stride_;
      double *p0 = a, *p1 = b, *p2 = c;
      switch (type_) {
        case TensorType::kImgNv12:
          UnpackPlane(frame + y * row_stride_, p0, w_);
          UnpackNv12Uv(frame + (h_ + y / 2) * row_stride_, p1, p2, w_);
          break;
        case TensorType::kImgY:
          UnpackPlane(frame + y * row_stride_, p0, w_);
          break;
        default:
          if (type_ == TensorType::kImgBgr) std::swap(p0, p2);  // canonical R,G,B rows
          if (!three_) {
            UnpackPlane(frame + y * row_stride_, p0, w_);
          } else if (channel_stride_ == 1) {
            UnpackInterleaved3(frame + y * row_stride_, p0, p1, p2, w_);
          } else {
            const uint8_t* row = frame + y * row_stride_;
            UnpackPlane(row, p0, w_);
            UnpackPlane(row + channel_stride_, p1, w_);
            UnpackPlane(row + 2 * channel_stride_, p2, w_);
          }
          break;
      }
      if (video_) {
        ExpandVideoY(a, w_);
        if (three_) {
          ExpandVideoUv(b, w_);
          ExpandVideoUv(c, w_);
        }
      }
      convert_(a, b, c, dst_ + r * w_ * c_train_, w_);
    }
  }

  TensorType type_ = TensorType::kImgRgb;
  int64_t n_ = 0, h_ = 0, w_ = 0, c_train_ = 0;
  int64_t batch_stride_ = 0, row_stride_ = 0, channel_stride_ = 0;
  bool yuv_ = false, video_ = false, three_ = false;
  ConvertFn convert_ = nullptr;
  const uint8_t* src_ = nullptr;
  float* dst_ = nullptr;
  int64_t tiles_ = 1;
  std::vector<double> scratch_;
};

// F32 -> F32, per channel of the last stored axis: (x - mean[c]) * scale[c]. `mean` and
// `scale` hold C values or one for every channel (defaults 0 and 1).
class NormalizeKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    if (in_->shape != out_->shape || out_->dtype != fb::DType_F32 || in_->rank() < 1)
      return ctx.Error("input " + ShapeToString(in_->shape) + " and output " +
                       ShapeToString(out_->shape) + " must be F32 of one shape, rank >= 1");
    const int64_t c = in_->shape.back();
    const std::vector<float> mean = ctx.Floats("mean", {0.f});
    const std::vector<float> scale = ctx.Floats("scale", {1.f});
    for (const auto* v : {&mean, &scale})
      if (v->size() != 1 && static_cast<int64_t>(v->size()) != c)
        return ctx.Error(std::string(v == &mean ? "mean" : "scale") + " has " +
                         std::to_string(v->size()) + " values for " + std::to_string(c) +
                         " channels (give 1 or " + std::to_string(c) + ")");
    // One row is the two innermost dimensions (W*C for NHWC): the per-channel values repeated
    // over it make the inner loop a plain vectorizable stream.
    row_ = c * (in_->rank() >= 2 ? in_->shape[static_cast<size_t>(in_->rank() - 2)] : 1);
    if (row_ <= 0) return Status::Ok();
    rows_ = in_->elements() / row_;
    mean_.resize(static_cast<size_t>(row_));
    scale_.resize(static_cast<size_t>(row_));
    for (int64_t i = 0; i < row_; ++i) {
      const size_t k = static_cast<size_t>(i % c);
      mean_[static_cast<size_t>(i)] = mean.size() == 1 ? mean[0] : mean[k];
      scale_[static_cast<size_t>(i)] = scale.size() == 1 ? scale[0] : scale[k];
    }
    return Status::Ok();
  }

  Status Run(pthreadpool_t) override {
    const float* x = in_->f32();
    float* y = out_->f32();
    const float* m = mean_.data();
    const float* s = scale_.data();
    for (int64_t r = 0; r < rows_; ++r, x += row_, y += row_)
      for (int64_t i = 0; i < row_; ++i) y[i] = (x[i] - m[i]) * s[i];
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
  int64_t row_ = 0, rows_ = 0;
  std::vector<float> mean_, scale_;
};

class PreprocessProviderImpl : public KernelProvider {
 public:
  PreprocessProviderImpl() : KernelProvider("preprocess") {
    Register(fb::OpType_ColorConvert, fb::DType_U8, Make<ColorConvertKernel>);
    Register(fb::OpType_Normalize, fb::DType_F32, Make<NormalizeKernel>);
  }
};

}  // namespace

const KernelProvider& PreprocessProvider() {
  static const PreprocessProviderImpl provider;
  return provider;
}

}  // namespace edgert::engine
