// Portable f32 kernels for the transformer-era elementwise ops (elem_kernels.h). Inner loops run
// over contiguous floats; the reductions inside LayerNorm keep 8 partial sums so gcc can
// vectorize them without reassociating a single accumulator.
#include "engine/elem_kernels.h"

#include <algorithm>
#include <cmath>

namespace edgert::engine {
namespace {

enum class MathOp { kSqrt, kReciprocal, kExp, kLog, kAbs, kNeg, kErf, kGeluErf, kGeluTanh };

constexpr float kSqrtHalf = 0.70710678118654752440f;
constexpr float kSqrt2OverPi = 0.79788456080286535588f;

// erf as a rational function of x (odd degree-13 numerator, even degree-8 denominator) on
// [-4, 4], where float erf reaches +-1: Eigen's generic_fast_erf_float coefficients. Max abs
// error 4.2e-7 against float64 erf; unlike libm's erff it is plain arithmetic, so loops of it
// vectorize (GELU's erf is a transformer's largest elementwise cost). NaN stays NaN.
inline float FastErf(float x) {
  x = std::min(std::max(x, -4.f), 4.f);
  const float x2 = x * x;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 - 2.10102402082508e-06f;
  p = p * x2 - 5.69250639462346e-05f;
  p = p * x2 - 7.34990630326855e-04f;
  p = p * x2 - 2.95459980854025e-03f;
  p = p * x2 - 1.60960333262415e-02f;
  float q = -1.45660718464996e-05f;
  q = q * x2 - 2.13374055278905e-04f;
  q = q * x2 - 1.68282697438203e-03f;
  q = q * x2 - 7.37332916720468e-03f;
  q = q * x2 - 1.42647390514189e-02f;
  return x * p / q;
}

template <MathOp kOp>
float Apply(float v) {
  switch (kOp) {
    case MathOp::kSqrt:
      return std::sqrt(v);
    case MathOp::kReciprocal:
      return 1.f / v;
    case MathOp::kExp:
      return std::exp(v);
    case MathOp::kLog:
      return std::log(v);
    case MathOp::kAbs:
      return std::fabs(v);
    case MathOp::kNeg:
      return -v;
    case MathOp::kErf:
      return FastErf(v);
    case MathOp::kGeluErf:
      return 0.5f * v * (1.f + FastErf(v * kSqrtHalf));
    case MathOp::kGeluTanh:
      return 0.5f * v * (1.f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
  }
  return 0.f;
}

// y = f(x) over the whole tensor, same shape. Gelu picks its form from `approximate`.
template <MathOp kOp>
class MathKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *out_, in_->shape));
    if (kOp == MathOp::kGeluErf) {
      const std::string approx = ctx.Str("approximate", "none");
      if (approx == "tanh") {
        tanh_ = true;
      } else if (approx != "none") {
        return ctx.Error("approximate must be \"none\" or \"tanh\", got \"" + approx + "\"");
      }
    }
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const float* x = in_->f32();
    float* y = out_->f32();
    const int64_t n = in_->elements();
    if (tanh_) {
      for (int64_t i = 0; i < n; ++i) y[i] = Apply<MathOp::kGeluTanh>(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) y[i] = Apply<kOp>(x[i]);
    }
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
  bool tanh_ = false;
};

// Sum of n floats with 8 partial sums (vectorizable; fixed order, so deterministic).
float Sum8(const float* x, int64_t n) {
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += x[i + k];
  float s = 0.f;
  for (; i < n; ++i) s += x[i];
  for (int k = 0; k < 8; ++k) s += acc[k];
  return s;
}

// Sum of (x - m)^2 over n floats, as Sum8.
float SumSq8(const float* x, int64_t n, float m) {
  float acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) {
      const float d = x[i + k] - m;
      acc[k] += d * d;
    }
  float s = 0.f;
  for (; i < n; ++i) s += (x[i] - m) * (x[i] - m);
  for (int k = 0; k < 8; ++k) s += acc[k];
  return s;
}

// LayerNorm over the stored axes axis..rank-1: rows of d = prod(shape[axis:]) floats, each
// normalized with its mean and biased variance (two passes), then scaled and shifted.
class LayerNormKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
    in_ = ctx.In(0);
    scale_ = ctx.In(1);
    bias_ = ctx.In(2);
    out_ = ctx.Out(0);
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *out_, in_->shape));
    const int rank = in_->rank();
    const int64_t axis = ctx.Int("axis", -1);
    if (axis < -rank || axis >= rank)
      return ctx.Error("axis " + std::to_string(axis) + " is out of range for rank " +
                       std::to_string(rank));
    const size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    const std::vector<int64_t> norm(in_->shape.begin() + static_cast<std::ptrdiff_t>(a),
                                    in_->shape.end());
    for (const TensorRef* p : {scale_, bias_}) {
      if (!p) continue;
      if (p->dtype != fb::DType_F32) return ctx.Error("'" + p->name + "' must be F32");
      if (p->shape != norm)
        return ctx.Error("'" + p->name + "' has shape " + ShapeToString(p->shape) +
                         ", expected x.shape[axis:] = " + ShapeToString(norm));
    }
    eps_ = ctx.Float("epsilon", 1e-5f);
    if (!(eps_ >= 0.f)) return ctx.Error("epsilon must be >= 0");
    d_ = 1;
    for (int64_t v : norm) d_ *= v;
    rows_ = d_ ? in_->elements() / d_ : 0;
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const float* x = in_->f32();
    float* y = out_->f32();
    const float* g = scale_->f32();
    const float* b = bias_ ? bias_->f32() : nullptr;
    const int64_t d = d_;
    const float inv_d = 1.f / static_cast<float>(d);
    for (int64_t r = 0; r < rows_; ++r, x += d, y += d) {
      const float mean = Sum8(x, d) * inv_d;
      const float var = SumSq8(x, d, mean) * inv_d;
      const float inv = 1.f / std::sqrt(var + eps_);
      if (b) {
        for (int64_t i = 0; i < d; ++i) y[i] = (x[i] - mean) * inv * g[i] + b[i];
      } else {
        for (int64_t i = 0; i < d; ++i) y[i] = (x[i] - mean) * inv * g[i];
      }
    }
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *scale_ = nullptr, *bias_ = nullptr, *out_ = nullptr;
  float eps_ = 1e-5f;
  int64_t d_ = 1, rows_ = 0;
};

}  // namespace

std::vector<KernelRegistration> ElemKernels() {
  const fb::DType f = fb::DType_F32;
  return {
      {fb::OpType_Sqrt, f, Make<MathKernel<MathOp::kSqrt>>},
      {fb::OpType_Reciprocal, f, Make<MathKernel<MathOp::kReciprocal>>},
      {fb::OpType_Exp, f, Make<MathKernel<MathOp::kExp>>},
      {fb::OpType_Log, f, Make<MathKernel<MathOp::kLog>>},
      {fb::OpType_Abs, f, Make<MathKernel<MathOp::kAbs>>},
      {fb::OpType_Neg, f, Make<MathKernel<MathOp::kNeg>>},
      {fb::OpType_Erf, f, Make<MathKernel<MathOp::kErf>>},
      {fb::OpType_Gelu, f, Make<MathKernel<MathOp::kGeluErf>>},
      {fb::OpType_LayerNorm, f, Make<LayerNormKernel>},
  };
}

}  // namespace edgert::engine
