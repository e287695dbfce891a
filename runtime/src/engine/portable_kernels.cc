// The portable provider: our own C++ loops for data movement and for the ops XNNPACK lacks (or
// handles differently). Inner loops are plain counted loops over contiguous floats so gcc
// auto-vectorizes them; everything that depends only on shapes is computed in Setup.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "engine/broadcast.h"
#include "engine/copy_plan.h"
#include "engine/elem_kernels.h"
#include "engine/int_kernels.h"
#include "engine/kernel.h"
#include "engine/logic_kernels.h"
#include "engine/resize_coords.h"
#include "engine/scatter_kernels.h"
#include "engine/tensor_kernels.h"

namespace edgert::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

Status NormalizeAxis(const NodeContext& ctx, int64_t axis, int rank, int* out) {
  if (axis < -rank || axis >= rank)
    return ctx.Error("axis " + std::to_string(axis) + " is out of range for rank " +
                     std::to_string(rank));
  *out = static_cast<int>(axis < 0 ? axis + rank : axis);
  return Status::Ok();
}

Status CheckShape(const NodeContext& ctx, const TensorRef& t, const std::vector<int64_t>& want) {
  if (t.shape != want)
    return ctx.Error("output '" + t.name + "' has shape " + ShapeToString(t.shape) +
                     ", the inputs give " + ShapeToString(want));
  return Status::Ok();
}

bool IsIdentity(const std::vector<int64_t>& perm) {
  for (size_t i = 0; i < perm.size(); ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

Status CheckPerm(const NodeContext& ctx, const std::vector<int64_t>& perm, size_t rank) {
  std::vector<bool> seen(rank, false);
  if (perm.size() != rank)
    return ctx.Error("perm has " + std::to_string(perm.size()) + " entries for rank " +
                     std::to_string(rank));
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)])
      return ctx.Error("perm " + ShapeToString(perm) + " is not a permutation");
    seen[static_cast<size_t>(p)] = true;
  }
  return Status::Ok();
}

std::vector<int64_t> IdentityPerm(size_t rank) {
  std::vector<int64_t> p(rank);
  for (size_t i = 0; i < rank; ++i) p[i] = static_cast<int64_t>(i);
  return p;
}

// ---- data movement ----

// Reshape/Copy where the session could not alias the output to the input.
class MemcpyKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    if (in_->bytes() != out_->bytes())
      return ctx.Error("input has " + std::to_string(in_->bytes()) + " bytes, output " +
                       std::to_string(out_->bytes()));
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    if (in_->data != out_->data) std::memcpy(out_->data, in_->data, out_->bytes());
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
};

class CopyPlanKernel : public Kernel {
 public:
  Status Run(pthreadpool_t) override {
    plan_.Run(src_, dst_);
    return Status::Ok();
  }

 protected:
  CopyPlan plan_;
  const uint8_t* src_ = nullptr;
  uint8_t* dst_ = nullptr;
};

bool IsPlanar(TensorType t) { return t == TensorType::kImgNv12 || t == TensorType::kImgY; }

// Aligned user buffer -> dense tensor: drop row padding, then transpose by perm.
class InputAdapterKernel : public CopyPlanKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* in = ctx.In(0);
    TensorRef* out = ctx.Out(0);
    if (!in->io) return ctx.Error("input '" + in->name + "' is not a model input buffer");
    const TensorDesc& d = *in->io;
    const size_t esize = ElementSize(d.type);
    if (esize != out->element_size)
      return ctx.Error(std::string("input type ") + TensorTypeName(d.type) +
                       " does not match the output's element size");
    src_ = in->data;
    dst_ = out->data;
    if (d.type == TensorType::kImgNv12) {
      // Planar: Y rows then UV rows, each stride bytes apart; out is the dense planes.
      const bool nchw = d.layout == Layout::kNCHW;
      const int64_t n = d.valid_shape[0], h = d.valid_shape[nchw ? 2 : 1];
      const int64_t w = d.valid_shape[nchw ? 3 : 2], stride = d.stride[nchw ? 2 : 1];
      const int64_t rows = n * h * 3 / 2;
      if (ctx.Ints("perm", {}).size() > 0 && !IsIdentity(ctx.Ints("perm", {})))
        return ctx.Error("an NV12 input cannot be transposed");
      if (out->bytes() != static_cast<size_t>(rows * w))
        return ctx.Error("output '" + out->name + "' has " + std::to_string(out->bytes()) +
                         " bytes, the dense NV12 planes have " + std::to_string(rows * w));
      plan_.Init({rows, w}, {stride, 1}, {w, 1}, 1);
      return Status::Ok();
    }
    const size_t rank = d.valid_shape.size();
    std::vector<int64_t> perm = ctx.Ints("perm", IdentityPerm(rank));
    EDGERT_RETURN_IF_ERROR(CheckPerm(ctx, perm, rank));
    std::vector<int64_t> shape(rank), src_stride(rank);
    for (size_t k = 0; k < rank; ++k) {
      shape[k] = d.valid_shape[static_cast<size_t>(perm[k])];
      src_stride[k] = IsPlanar(d.type) && d.stride[static_cast<size_t>(perm[k])] == 0
                          ? 0
                          : d.stride[static_cast<size_t>(perm[k])];
    }
    if (out->elements() != d.element_count() ||
        (out->rank() == static_cast<int>(rank) && out->shape != shape))
      return ctx.Error("output '" + out->name + "' has shape " + ShapeToString(out->shape) +
                       ", the input's valid shape transposed is " + ShapeToString(shape));
    plan_.Init(shape, src_stride, DenseStrides(shape, static_cast<int64_t>(esize)), esize);
    return Status::Ok();
  }
};

// Dense tensor -> aligned user buffer: transpose by perm, then write rows with zero padding.
class OutputAdapterKernel : public CopyPlanKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* in = ctx.In(0);
    TensorRef* out = ctx.Out(0);
    if (!out->io) return ctx.Error("output '" + out->name + "' is not a model output buffer");
    const TensorDesc& d = *out->io;
    if (IsPlanar(d.type)) return ctx.Decline("planar image outputs are not supported");
    const size_t esize = ElementSize(d.type);
    if (esize != in->element_size)
      return ctx.Error(std::string("output type ") + TensorTypeName(d.type) +
                       " does not match the input's element size");
    const size_t rank = static_cast<size_t>(in->rank());
    std::vector<int64_t> perm = ctx.Ints("perm", IdentityPerm(rank));
    EDGERT_RETURN_IF_ERROR(CheckPerm(ctx, perm, rank));
    std::vector<int64_t> shape(rank), src_stride(rank);
    const std::vector<int64_t> in_stride = DenseStrides(in->shape, static_cast<int64_t>(esize));
    for (size_t k = 0; k < rank; ++k) {
      shape[k] = in->shape[static_cast<size_t>(perm[k])];
      src_stride[k] = in_stride[static_cast<size_t>(perm[k])];
    }
    if (shape != d.valid_shape)
      return ctx.Error("input '" + in->name + "' transposed is " + ShapeToString(shape) +
                       ", the output's valid shape is " + ShapeToString(d.valid_shape));
    src_ = in->data;
    dst_ = out->data;
    // The padding bytes stay zero: the buffer has arena bytes of its own, zero at the first Run
    // (kernel.h), and only this kernel writes it.
    plan_.Init(shape, src_stride, d.stride, esize);
    return Status::Ok();
  }
};

class TransposeKernel : public CopyPlanKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* in = ctx.In(0);
    TensorRef* out = ctx.Out(0);
    const size_t rank = static_cast<size_t>(in->rank());
    std::vector<int64_t> perm = ctx.Ints("perm", {});
    if (perm.empty())  // ONNX default: reverse the axes
      for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
    EDGERT_RETURN_IF_ERROR(CheckPerm(ctx, perm, rank));
    const int64_t es = static_cast<int64_t>(in->element_size);
    const std::vector<int64_t> in_stride = DenseStrides(in->shape, es);
    std::vector<int64_t> shape(rank), src_stride(rank);
    for (size_t k = 0; k < rank; ++k) {
      shape[k] = in->shape[static_cast<size_t>(perm[k])];
      src_stride[k] = in_stride[static_cast<size_t>(perm[k])];
    }
    EDGERT_RETURN_IF_ERROR(CheckShape(ctx, *out, shape));
    plan_.Init(shape, src_stride, DenseStrides(shape, es), in->element_size);
    src_ = in->data;
    dst_ = out->data;
    return Status::Ok();
  }
};

class SliceKernel : public CopyPlanKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* in = ctx.In(0);
    TensorRef* out = ctx.Out(0);
    const size_t rank = static_cast<size_t>(in->rank());
    const std::vector<int64_t> starts = ctx.Ints("starts", std::vector<int64_t>(rank, 0));
    const std::vector<int64_t> steps = ctx.Ints("steps", std::vector<int64_t>(rank, 1));
    if (starts.size() != rank || steps.size() != rank || out->rank() != in->rank())
      return ctx.Error("starts/steps/output need one entry per input dimension (rank " +
                       std::to_string(rank) + ")");
    const int64_t es = static_cast<int64_t>(in->element_size);
    const std::vector<int64_t> in_stride = DenseStrides(in->shape, es);
    std::vector<int64_t> src_stride(rank);
    int64_t base = 0;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t n = out->shape[d];
      if (steps[d] == 0) return ctx.Error("step 0 in dimension " + std::to_string(d));
      if (n > 0) {
        const int64_t last = starts[d] + (n - 1) * steps[d];
        if (starts[d] < 0 || starts[d] >= in->shape[d] || last < 0 || last >= in->shape[d])
          return ctx.Error("dimension " + std::to_string(d) + ": " + std::to_string(n) +
                           " elements from " + std::to_string(starts[d]) + " by step " +
                           std::to_string(steps[d]) + " leave the input's " +
                           std::to_string(in->shape[d]));
      }
      base += starts[d] * in_stride[d];
      src_stride[d] = steps[d] * in_stride[d];
    }
    plan_.Init(out->shape, src_stride, DenseStrides(out->shape, es), in->element_size);
    src_ = in->data + base;
    dst_ = out->data;
    return Status::Ok();
  }
};

class ConcatKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    if (ctx.inputs.empty()) return ctx.Error("has no inputs");
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(ctx.inputs.size(), ctx.inputs.size(), 1));
    TensorRef* out = ctx.Out(0);
    int axis;
    EDGERT_RETURN_IF_ERROR(NormalizeAxis(ctx, ctx.Int("axis", 0), out->rank(), &axis));
    const int64_t es = static_cast<int64_t>(out->element_size);
    const std::vector<int64_t> out_stride = DenseStrides(out->shape, es);
    int64_t offset = 0;
    for (const TensorRef* in : ctx.inputs) {
      if (in->rank() != out->rank() || in->element_size != out->element_size)
        return ctx.Error("input '" + in->name + "' does not match the output's rank or type");
      for (int d = 0; d < out->rank(); ++d)
        if (d != axis && in->shape[d] != out->shape[d])
          return ctx.Error("input '" + in->name + "' of shape " + ShapeToString(in->shape) +
                           " does not fit output " + ShapeToString(out->shape));
      Part p;
      p.plan.Init(in->shape, DenseStrides(in->shape, es), out_stride, in->element_size);
      p.src = in->data;
      p.dst = out->data + offset * out_stride[axis];
      parts_.push_back(p);
      offset += in->shape[axis];
    }
    if (offset != out->shape[axis])
      return ctx.Error("inputs sum to " + std::to_string(offset) + " along axis " +
                       std::to_string(axis) + ", output has " + std::to_string(out->shape[axis]));
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    for (const Part& p : parts_) p.plan.Run(p.src, p.dst);
    return Status::Ok();
  }

 private:
  struct Part {
    CopyPlan plan;
    const uint8_t* src;
    uint8_t* dst;
  };
  std::vector<Part> parts_;
};

class SplitKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    if (ctx.outputs.empty()) return ctx.Error("has no outputs");
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, ctx.outputs.size()));
    const TensorRef* in = ctx.In(0);
    int axis;
    EDGERT_RETURN_IF_ERROR(NormalizeAxis(ctx, ctx.Int("axis", 0), in->rank(), &axis));
    const int64_t es = static_cast<int64_t>(in->element_size);
    const std::vector<int64_t> in_stride = DenseStrides(in->shape, es);
    const std::vector<int64_t> split = ctx.Ints("split", {});
    if (!split.empty() && split.size() != ctx.outputs.size())
      return ctx.Error("split has " + std::to_string(split.size()) + " sizes for " +
                       std::to_string(ctx.outputs.size()) + " outputs");
    int64_t offset = 0;
    for (size_t i = 0; i < ctx.outputs.size(); ++i) {
      TensorRef* out = ctx.outputs[i];
      std::vector<int64_t> want = in->shape;
      want[axis] =
          split.empty() ? in->shape[axis] / static_cast<int64_t>(ctx.outputs.size()) : split[i];
      EDGERT_RETURN_IF_ERROR(CheckShape(ctx, *out, want));
      Part p;
      p.plan.Init(out->shape, in_stride, DenseStrides(out->shape, es), in->element_size);
      p.src = in->data + offset * in_stride[axis];
      p.dst = out->data;
      parts_.push_back(p);
      offset += want[axis];
    }
    if (offset > in->shape[axis])
      return ctx.Error("outputs take " + std::to_string(offset) + " along axis " +
                       std::to_string(axis) + ", input has " + std::to_string(in->shape[axis]));
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    for (const Part& p : parts_) p.plan.Run(p.src, p.dst);
    return Status::Ok();
  }

 private:
  struct Part {
    CopyPlan plan;
    const uint8_t* src;
    uint8_t* dst;
  };
  std::vector<Part> parts_;
};

class GatherKernel : public Kernel {
 public:
  Status Run(pthreadpool_t) override {
    plan_.Run(src_, dst_);
    return Status::Ok();
  }

 protected:
  GatherPlan plan_;
  const uint8_t* src_ = nullptr;
  uint8_t* dst_ = nullptr;
};

// Source index of output index j of a padded dimension of n inputs, or -1 for the fill value.
int64_t PadSource(int64_t j, int64_t begin, int64_t n, int mode) {
  int64_t s = j - begin;
  if (s >= 0 && s < n) return s;
  if (mode == 0) return -1;                           // constant
  if (mode == 2 || n == 1) return s < 0 ? 0 : n - 1;  // edge
  const int64_t period = 2 * (n - 1);                 // reflect, the edge itself not repeated
  s %= period;
  if (s < 0) s += period;
  return s < n ? s : period - s;
}

class PadKernel : public GatherKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* in = ctx.In(0);
    TensorRef* out = ctx.Out(0);
    const size_t rank = static_cast<size_t>(in->rank());
    const std::vector<int64_t> pads = ctx.Ints("pads", std::vector<int64_t>(2 * rank, 0));
    if (pads.size() != 2 * rank)
      return ctx.Error("pads has " + std::to_string(pads.size()) + " entries for rank " +
                       std::to_string(rank));
    const std::string mode_name = ctx.Str("mode", "constant");
    int mode;
    if (mode_name == "constant")
      mode = 0;
    else if (mode_name == "reflect")
      mode = 1;
    else if (mode_name == "edge")
      mode = 2;
    else
      return ctx.Decline("pad mode '" + mode_name + "'");
    std::vector<int64_t> want(rank);
    std::vector<std::vector<int64_t>> maps(rank);
    for (size_t d = 0; d < rank; ++d) {
      want[d] = in->shape[d] + pads[d] + pads[d + rank];
      if (want[d] < 0) return ctx.Error("pads crop dimension " + std::to_string(d) + " below 0");
      if (mode != 0 && in->shape[d] == 0 && want[d] > 0)
        return ctx.Error("cannot " + mode_name + "-pad an empty dimension");
      for (int64_t j = 0; j < want[d]; ++j)
        maps[d].push_back(PadSource(j, pads[d], in->shape[d], mode));
    }
    EDGERT_RETURN_IF_ERROR(CheckShape(ctx, *out, want));
    // An Int8 node pads with the quantized 0 (the int8 provider's wrapper checked `value`).
    uint8_t fill[8] = {};
    const bool int8_node = ctx.node && ctx.node->precision() == fb::Precision_Int8;
    if (mode == 0 && !int8_node)
      EDGERT_RETURN_IF_ERROR(PadFillBytes(ctx, in->dtype, ctx.Float("value", 0.f), fill));
    plan_.Init(std::move(maps), DenseStrides(in->shape, static_cast<int64_t>(in->element_size)),
               in->element_size, fill);
    src_ = in->data;
    dst_ = out->data;
    return Status::Ok();
  }
};

// ---- Resize ----

class ResizeKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    if (in_->rank() != 4 || out_->rank() != 4 || in_->shape[0] != out_->shape[0] ||
        in_->shape[3] != out_->shape[3])
      return ctx.Error("needs NHWC input and output with equal N and C, got " +
                       ShapeToString(in_->shape) + " -> " + ShapeToString(out_->shape));
    ResizeParams p;
    EDGERT_RETURN_IF_ERROR(ParseResize(ctx, *in_, *out_, &p));
    mode_ = p.mode;
    extrapolation_ = p.extrapolation_value;
    const int64_t ih = in_->shape[1], iw = in_->shape[2];
    const int64_t oh = out_->shape[1], ow = out_->shape[2];
    if (mode_ == ResizeMode::kNearest) {
      std::vector<std::vector<int64_t>> maps(4);
      for (int64_t n = 0; n < in_->shape[0]; ++n) maps[0].push_back(n);
      for (int64_t y = 0; y < oh; ++y) maps[1].push_back(NearestIndex(p, 0, y, ih, oh));
      for (int64_t x = 0; x < ow; ++x) maps[2].push_back(NearestIndex(p, 1, x, iw, ow));
      for (int64_t c = 0; c < in_->shape[3]; ++c) maps[3].push_back(c);
      uint8_t fill[8] = {};
      if (in_->dtype == fb::DType_F32) std::memcpy(fill, &extrapolation_, sizeof(float));
      gather_.Init(std::move(maps),
                   DenseStrides(in_->shape, static_cast<int64_t>(in_->element_size)),
                   in_->element_size, fill);
      return Status::Ok();
    }
    if (in_->dtype != fb::DType_F32) return ctx.Decline("linear and cubic resize need F32");
    // Every output row and column gets its input indices and weights (2 for linear, 4 for
    // cubic), or is marked as extrapolated (tf_crop_and_resize outside the input).
    const int taps = mode_ == ResizeMode::kCubic ? 4 : 2;
    auto make = [&](int axis, int64_t in, int64_t out, std::vector<Tap>* v) {
      for (int64_t o = 0; o < out; ++o) {
        float x = OriginalCoord(p, axis, o, in, out);
        Tap t;
        t.outside = Extrapolates(p, x, in);
        if (taps == 4) {
          CubicTaps(p, x, in, t.i, t.w);
        } else {
          x = x > 0.f ? std::min(x, static_cast<float>(in - 1)) : 0.f;  // NaN-safe
          const auto x0 = static_cast<int64_t>(std::floor(x));
          t.i[0] = x0;
          t.i[1] = std::min(x0 + 1, in - 1);
          t.w[0] = x - static_cast<float>(x0);
        }
        v->push_back(t);
      }
    };
    make(0, ih, oh, &ty_);
    make(1, iw, ow, &tx_);
    return Status::Ok();
  }

  Status Run(pthreadpool_t) override {
    if (mode_ == ResizeMode::kNearest) {
      gather_.Run(in_->data, out_->data);
      return Status::Ok();
    }
    const int64_t n = in_->shape[0], ih = in_->shape[1], iw = in_->shape[2], c = in_->shape[3];
    const int64_t oh = out_->shape[1], ow = out_->shape[2];
    const float* in = in_->f32();
    float* out = out_->f32();
    for (int64_t b = 0; b < n; ++b) {
      const float* img = in + b * ih * iw * c;
      for (int64_t y = 0; y < oh; ++y) {
        const Tap& ty = ty_[static_cast<size_t>(y)];
        for (int64_t x = 0; x < ow; ++x) {
          const Tap& tx = tx_[static_cast<size_t>(x)];
          float* o = out + ((b * oh + y) * ow + x) * c;
          if (ty.outside || tx.outside)
            std::fill(o, o + c, extrapolation_);
          else if (mode_ == ResizeMode::kCubic)
            Cubic(img, iw, c, ty, tx, o);
          else
            Linear(img, iw, c, ty, tx, o);
        }
      }
    }
    return Status::Ok();
  }

 private:
  struct Tap {
    int64_t i[4] = {0, 0, 0, 0};
    float w[4] = {0.f, 0.f, 0.f, 0.f};  // linear: w[0] is the fraction towards i[1]
    bool outside = false;
  };
  static void Linear(const float* img, int64_t iw, int64_t c, const Tap& ty, const Tap& tx,
                     float* o) {
    const float* r0 = img + ty.i[0] * iw * c;
    const float* r1 = img + ty.i[1] * iw * c;
    const float* a = r0 + tx.i[0] * c;
    const float* bb = r0 + tx.i[1] * c;
    const float* cc = r1 + tx.i[0] * c;
    const float* d = r1 + tx.i[1] * c;
    const float wx = tx.w[0], wy = ty.w[0];
    for (int64_t k = 0; k < c; ++k) {
      const float top = a[k] + (bb[k] - a[k]) * wx;
      const float bot = cc[k] + (d[k] - cc[k]) * wx;
      o[k] = top + (bot - top) * wy;
    }
  }
  // Separable 4x4: each input row is interpolated along W, then the rows along H (the order
  // ONNX's reference and ONNX Runtime use).
  static void Cubic(const float* img, int64_t iw, int64_t c, const Tap& ty, const Tap& tx,
                    float* o) {
    std::fill(o, o + c, 0.f);
    for (int j = 0; j < 4; ++j) {
      const float* row = img + ty.i[j] * iw * c;
      const float* p0 = row + tx.i[0] * c;
      const float* p1 = row + tx.i[1] * c;
      const float* p2 = row + tx.i[2] * c;
      const float* p3 = row + tx.i[3] * c;
      const float wy = ty.w[j];
      for (int64_t k = 0; k < c; ++k)
        o[k] += wy * (tx.w[0] * p0[k] + tx.w[1] * p1[k] + tx.w[2] * p2[k] + tx.w[3] * p3[k]);
    }
  }
  TensorRef *in_ = nullptr, *out_ = nullptr;
  ResizeMode mode_ = ResizeMode::kNearest;
  float extrapolation_ = 0.f;
  GatherPlan gather_;
  std::vector<Tap> ty_, tx_;
};

// ---- float math ----

enum class UnaryOp { kClamp, kSigmoid, kTanh, kHardSigmoid, kHardSwish, kSwish, kLeakyRelu };

template <UnaryOp kOp>
class UnaryKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    if (in_->elements() != out_->elements())
      return ctx.Error("input and output sizes differ: " + ShapeToString(in_->shape) + " vs " +
                       ShapeToString(out_->shape));
    switch (kOp) {
      case UnaryOp::kClamp: {
        Range r;
        EDGERT_RETURN_IF_ERROR(ReadRange(ctx, "min", "max", &r));
        a_ = r.lo;
        b_ = r.hi;
        break;
      }
      case UnaryOp::kHardSigmoid:
        a_ = ctx.Float("alpha", 0.2f);
        b_ = ctx.Float("beta", 0.5f);
        break;
      case UnaryOp::kLeakyRelu:
        a_ = ctx.Float("alpha", 0.01f);
        break;
      default:
        break;
    }
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const float* x = in_->f32();
    float* y = out_->f32();
    const int64_t n = in_->elements();
    const float a = a_, b = b_;
    for (int64_t i = 0; i < n; ++i) {
      const float v = x[i];
      switch (kOp) {
        case UnaryOp::kClamp:
          y[i] = std::min(std::max(v, a), b);
          break;
        case UnaryOp::kSigmoid:
          y[i] = 1.f / (1.f + std::exp(-v));
          break;
        case UnaryOp::kTanh:
          y[i] = std::tanh(v);
          break;
        case UnaryOp::kHardSigmoid:
          y[i] = std::min(std::max(a * v + b, 0.f), 1.f);
          break;
        case UnaryOp::kHardSwish:
          y[i] = v * std::min(std::max(v + 3.f, 0.f), 6.f) * (1.f / 6.f);
          break;
        case UnaryOp::kSwish:
          y[i] = v / (1.f + std::exp(-v));
          break;
        case UnaryOp::kLeakyRelu:
          y[i] = v < 0.f ? a * v : v;
          break;
      }
    }
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
  float a_ = 0.f, b_ = 0.f;
};

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPRelu };

// Numpy broadcasting over (possibly different-rank) stored shapes, then the activation clamp.
// F32 only: the integer forms are int_kernels.cc's, Pow (mixed dtypes) too.
template <BinaryOp kOp>
class BinaryKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
    a_ = ctx.In(0);
    b_ = ctx.In(1);
    out_ = ctx.Out(0);
    for (const TensorRef* t : {a_, b_, out_})
      if (t->dtype != fb::DType_F32)
        return ctx.Error("'" + t->name + "' is " + fb::EnumNameDType(t->dtype) +
                         ", expected F32 like input 0");
    Range act;
    EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
    lo_ = act.lo;
    hi_ = act.hi;
    return plan_.Init(ctx, *a_, *b_, *out_);
  }

  Status Run(pthreadpool_t) override {
    plan_.ForEachRow(
        a_->f32(), b_->f32(), out_->f32(),
        [this](const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n) {
          Row(a, sa, b, sb, o, n);
          return true;
        });
    return Status::Ok();
  }

 private:
  static float Op(float x, float y) {
    switch (kOp) {
      case BinaryOp::kAdd:
        return x + y;
      case BinaryOp::kSub:
        return x - y;
      case BinaryOp::kMul:
        return x * y;
      case BinaryOp::kDiv:
        return x / y;
      case BinaryOp::kPRelu:
        return x < 0.f ? x * y : x;
    }
    return 0.f;
  }
  // Separate loops per stride pattern so each one vectorizes.
  void Row(const float* a, int64_t sa, const float* b, int64_t sb, float* o, int64_t n) const {
    const float lo = lo_, hi = hi_;
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) o[i] = std::min(std::max(Op(a[i], b[i]), lo), hi);
    } else if (sa == 1) {
      const float y = b[0];
      for (int64_t i = 0; i < n; ++i) o[i] = std::min(std::max(Op(a[i], y), lo), hi);
    } else if (sb == 1) {
      const float x = a[0];
      for (int64_t i = 0; i < n; ++i) o[i] = std::min(std::max(Op(x, b[i]), lo), hi);
    } else {
      const float v = std::min(std::max(Op(a[0], b[0]), lo), hi);
      for (int64_t i = 0; i < n; ++i) o[i] = v;
    }
  }

  TensorRef *a_ = nullptr, *b_ = nullptr, *out_ = nullptr;
  float lo_ = -kInf, hi_ = kInf;
  BroadcastPlan plan_;
};

class SoftmaxKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    EDGERT_RETURN_IF_ERROR(CheckShape(ctx, *out_, in_->shape));
    int axis;
    EDGERT_RETURN_IF_ERROR(NormalizeAxis(ctx, ctx.Int("axis", -1), in_->rank(), &axis));
    outer_ = inner_ = 1;
    for (int d = 0; d < axis; ++d) outer_ *= in_->shape[d];
    for (int d = axis + 1; d < in_->rank(); ++d) inner_ *= in_->shape[d];
    n_ = in_->shape[axis];
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const float* x = in_->f32();
    float* y = out_->f32();
    if (n_ == 0) return Status::Ok();
    for (int64_t o = 0; o < outer_; ++o) {
      for (int64_t i = 0; i < inner_; ++i) {
        const float* xs = x + o * n_ * inner_ + i;
        float* ys = y + o * n_ * inner_ + i;
        float m = xs[0];
        for (int64_t k = 1; k < n_; ++k) m = std::max(m, xs[k * inner_]);
        float sum = 0.f;
        for (int64_t k = 0; k < n_; ++k) {
          const float e = std::exp(xs[k * inner_] - m);
          ys[k * inner_] = e;
          sum += e;
        }
        const float inv = 1.f / sum;
        for (int64_t k = 0; k < n_; ++k) ys[k * inner_] *= inv;
      }
    }
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
  int64_t outer_ = 1, n_ = 1, inner_ = 1;
};

enum class ReduceOp { kMean, kSum, kMax, kMin };

// A whole-number double modulo 2^32 as S32 (the two's complement wraparound of an integer sum);
// beyond +-9.2e18, infinities included, the S32 end of that sign.
inline int32_t WrapToS32(double v) {
  if (v >= 9.2e18) return std::numeric_limits<int32_t>::max();
  if (v <= -9.2e18) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(
      static_cast<uint32_t>(static_cast<uint64_t>(static_cast<int64_t>(v))));
}

// ReduceMean/Sum/Max/Min over the `axes` of the stored shape, accumulated in double. T is F32's
// float, or int32_t for S32 Sum/Max/Min (exact while |sum| < 2^53; the sum wraps around to S32).
template <ReduceOp kOp, typename T = float>
class ReduceKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    if (in_->dtype != out_->dtype)
      return ctx.Error("output '" + out_->name + "' is " + fb::EnumNameDType(out_->dtype) +
                       ", expected the input's " + fb::EnumNameDType(in_->dtype));
    const int rank = in_->rank();
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    std::vector<int64_t> axes = ctx.Ints("axes", {});
    if (axes.empty())
      for (int d = 0; d < rank; ++d) axes.push_back(d);
    for (int64_t a : axes) {
      int axis;
      EDGERT_RETURN_IF_ERROR(NormalizeAxis(ctx, a, rank, &axis));
      reduced[static_cast<size_t>(axis)] = true;
    }
    const bool keep = ctx.Int("keepdims", 1) != 0;
    std::vector<int64_t> want, kept(in_->shape);
    count_ = 1;
    for (int d = 0; d < rank; ++d) {
      if (reduced[static_cast<size_t>(d)]) {
        count_ *= in_->shape[d];
        kept[static_cast<size_t>(d)] = 1;
        if (keep) want.push_back(1);
      } else {
        want.push_back(in_->shape[d]);
      }
    }
    EDGERT_RETURN_IF_ERROR(CheckShape(ctx, *out_, want));
    // Walk the input in order; the output index steps 0 along reduced dimensions.
    std::vector<int64_t> os = DenseStrides(kept, 1);
    rank_ = 0;
    for (int d = 0; d < rank; ++d) {
      if (in_->shape[d] == 1) continue;
      shape_[rank_] = in_->shape[d];
      ostride_[rank_] = reduced[static_cast<size_t>(d)] ? 0 : os[static_cast<size_t>(d)];
      ++rank_;
    }
    acc_.assign(static_cast<size_t>(out_->elements()), 0.0);
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const double init = kOp == ReduceOp::kMax   ? -static_cast<double>(kInf)
                        : kOp == ReduceOp::kMin ? static_cast<double>(kInf)
                                                : 0.0;
    std::fill(acc_.begin(), acc_.end(), init);
    const T* x = reinterpret_cast<const T*>(in_->data);
    const int64_t total = in_->elements();
    if (rank_ == 0) {
      if (total) acc_[0] = x[0];
    } else {
      const int inner = rank_ - 1;
      const int64_t n = shape_[inner], s = ostride_[inner];
      int64_t idx[kMaxRank] = {};
      double* o = acc_.data();
      for (int64_t done = 0; done < total; done += n) {
        if (s == 0) {
          double acc = init;
          for (int64_t i = 0; i < n; ++i) acc = Combine(acc, x[i]);
          o[0] = Combine(o[0], acc);
        } else {
          for (int64_t i = 0; i < n; ++i) o[i * s] = Combine(o[i * s], x[i]);
        }
        x += n;
        for (int d = inner - 1; d >= 0; --d) {
          o += ostride_[d];
          if (++idx[d] < shape_[d]) break;
          o -= ostride_[d] * shape_[d];
          idx[d] = 0;
        }
      }
    }
    T* y = reinterpret_cast<T*>(out_->data);
    if constexpr (std::is_same_v<T, float>) {
      const double inv = kOp != ReduceOp::kMean ? 1.0
                         : count_               ? 1.0 / static_cast<double>(count_)
                                                : 0.0;
      for (size_t i = 0; i < acc_.size(); ++i) y[i] = static_cast<float>(acc_[i] * inv);
    } else {
      // Max/Min of an empty axis have no value: the dtype's end, as the f32 kernel's +-inf.
      for (size_t i = 0; i < acc_.size(); ++i) y[i] = WrapToS32(acc_[i]);
    }
    return Status::Ok();
  }

 private:
  static double Combine(double acc, double v) {
    switch (kOp) {
      case ReduceOp::kMax:
        return std::max(acc, v);
      case ReduceOp::kMin:
        return std::min(acc, v);
      default:
        return acc + v;
    }
  }

  TensorRef *in_ = nullptr, *out_ = nullptr;
  int rank_ = 0;
  int64_t shape_[kMaxRank] = {};
  int64_t ostride_[kMaxRank] = {};
  int64_t count_ = 1;
  std::vector<double> acc_;
};

template <bool kMax>
class GlobalPoolKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    if (in_->rank() != 4) return ctx.Error("needs an NHWC input, got " + ShapeToString(in_->shape));
    EDGERT_RETURN_IF_ERROR(CheckShape(ctx, *out_, {in_->shape[0], 1, 1, in_->shape[3]}));
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const int64_t n = in_->shape[0], hw = in_->shape[1] * in_->shape[2], c = in_->shape[3];
    const float* x = in_->f32();
    float* y = out_->f32();
    for (int64_t b = 0; b < n; ++b) {
      float* o = y + b * c;
      for (int64_t k = 0; k < c; ++k) o[k] = kMax ? -kInf : 0.f;
      for (int64_t p = 0; p < hw; ++p) {
        const float* row = x + (b * hw + p) * c;
        for (int64_t k = 0; k < c; ++k) o[k] = kMax ? std::max(o[k], row[k]) : o[k] + row[k];
      }
      if (!kMax && hw > 0) {
        const float inv = 1.f / static_cast<float>(hw);
        for (int64_t k = 0; k < c; ++k) o[k] *= inv;
      }
    }
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
};

// MaxPool2D and AvgPool2D in NHWC, any padding, both count_include_pad settings.
template <bool kMax>
class Pool2DKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    // A ceil-mode overhang needs nothing here: Run() counts only cells inside the padded input.
    EDGERT_RETURN_IF_ERROR(ReadPoolGeometry(ctx, !kMax, &g_));
    Range act;
    EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
    lo_ = act.lo;
    hi_ = act.hi;
    return Status::Ok();
  }

  Status Run(pthreadpool_t) override {
    const PoolGeometry& g = g_;
    const int64_t n = g.n, h = g.h, w = g.w, c = g.c, oh = g.oh, ow = g.ow;
    const float* x = in_->f32();
    float* y = out_->f32();
    for (int64_t b = 0; b < n; ++b) {
      for (int64_t oy = 0; oy < oh; ++oy) {
        for (int64_t ox = 0; ox < ow; ++ox) {
          float* o = y + ((b * oh + oy) * ow + ox) * c;
          for (int64_t k = 0; k < c; ++k) o[k] = kMax ? -kInf : 0.f;
          const int64_t y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
          int64_t valid = 0, padded = 0;
          for (int64_t ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = y0 + ky * g.dh;
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t ix = x0 + kx * g.dw;
              // Window cells inside the padded input count for count_include_pad.
              if (iy >= -g.pt && iy < h + g.pb && ix >= -g.pl && ix < w + g.pr) ++padded;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              ++valid;
              const float* row = x + ((b * h + iy) * w + ix) * c;
              for (int64_t k = 0; k < c; ++k) o[k] = kMax ? std::max(o[k], row[k]) : o[k] + row[k];
            }
          }
          if (!kMax) {
            const int64_t div = g.count_include_pad ? padded : valid;
            const float inv = div > 0 ? 1.f / static_cast<float>(div) : 0.f;
            for (int64_t k = 0; k < c; ++k) o[k] *= inv;
          }
          for (int64_t k = 0; k < c; ++k) o[k] = std::min(std::max(o[k], lo_), hi_);
        }
      }
    }
    return Status::Ok();
  }

 private:
  TensorRef *in_ = nullptr, *out_ = nullptr;
  PoolGeometry g_;
  float lo_ = -kInf, hi_ = kInf;
};

class PortableProviderImpl : public KernelProvider {
 public:
  PortableProviderImpl() : KernelProvider("portable") {
    // Data movement works on bytes, so every dtype.
    RegisterAllDTypes(fb::OpType_InputAdapter, Make<InputAdapterKernel>);
    RegisterAllDTypes(fb::OpType_OutputAdapter, Make<OutputAdapterKernel>);
    RegisterAllDTypes(fb::OpType_Reshape, Make<MemcpyKernel>);
    RegisterAllDTypes(fb::OpType_Copy, Make<MemcpyKernel>);
    RegisterAllDTypes(fb::OpType_Transpose, Make<TransposeKernel>);
    RegisterAllDTypes(fb::OpType_Slice, Make<SliceKernel>);
    RegisterAllDTypes(fb::OpType_Concat, Make<ConcatKernel>);
    RegisterAllDTypes(fb::OpType_Split, Make<SplitKernel>);
    RegisterAllDTypes(fb::OpType_Pad, Make<PadKernel>);
    Register(fb::OpType_Resize, fb::DType_F32, Make<ResizeKernel>);
    const fb::DType f = fb::DType_F32;
    Register(fb::OpType_Clamp, f, Make<UnaryKernel<UnaryOp::kClamp>>);
    Register(fb::OpType_Sigmoid, f, Make<UnaryKernel<UnaryOp::kSigmoid>>);
    Register(fb::OpType_Tanh, f, Make<UnaryKernel<UnaryOp::kTanh>>);
    Register(fb::OpType_HardSigmoid, f, Make<UnaryKernel<UnaryOp::kHardSigmoid>>);
    Register(fb::OpType_HardSwish, f, Make<UnaryKernel<UnaryOp::kHardSwish>>);
    Register(fb::OpType_Swish, f, Make<UnaryKernel<UnaryOp::kSwish>>);
    Register(fb::OpType_LeakyRelu, f, Make<UnaryKernel<UnaryOp::kLeakyRelu>>);
    Register(fb::OpType_Add, f, Make<BinaryKernel<BinaryOp::kAdd>>);
    Register(fb::OpType_Sub, f, Make<BinaryKernel<BinaryOp::kSub>>);
    Register(fb::OpType_Mul, f, Make<BinaryKernel<BinaryOp::kMul>>);
    Register(fb::OpType_Div, f, Make<BinaryKernel<BinaryOp::kDiv>>);
    Register(fb::OpType_PRelu, f, Make<BinaryKernel<BinaryOp::kPRelu>>);
    Register(fb::OpType_Softmax, f, Make<SoftmaxKernel>);
    Register(fb::OpType_ReduceMean, f, Make<ReduceKernel<ReduceOp::kMean>>);
    Register(fb::OpType_ReduceSum, f, Make<ReduceKernel<ReduceOp::kSum>>);
    Register(fb::OpType_ReduceMax, f, Make<ReduceKernel<ReduceOp::kMax>>);
    Register(fb::OpType_ReduceMin, f, Make<ReduceKernel<ReduceOp::kMin>>);
    const fb::DType s32 = fb::DType_S32;
    Register(fb::OpType_ReduceSum, s32, Make<ReduceKernel<ReduceOp::kSum, int32_t>>);
    Register(fb::OpType_ReduceMax, s32, Make<ReduceKernel<ReduceOp::kMax, int32_t>>);
    Register(fb::OpType_ReduceMin, s32, Make<ReduceKernel<ReduceOp::kMin, int32_t>>);
    for (const KernelRegistration& k : ElemKernels()) Register(k.op, k.dtype, k.factory);
    Register(fb::OpType_GlobalAvgPool, f, Make<GlobalPoolKernel<false>>);
    Register(fb::OpType_GlobalMaxPool, f, Make<GlobalPoolKernel<true>>);
    Register(fb::OpType_MaxPool2D, f, Make<Pool2DKernel<true>>);
    Register(fb::OpType_AvgPool2D, f, Make<Pool2DKernel<false>>);
    for (const KernelRegistration& r : TensorKernels()) Register(r.op, r.dtype, r.factory);
    for (const KernelRegistration& r : IntKernels()) Register(r.op, r.dtype, r.factory);
    for (const KernelRegistration& r : LogicKernels()) Register(r.op, r.dtype, r.factory);
    for (const KernelRegistration& r : ScatterKernels()) Register(r.op, r.dtype, r.factory);
  }
};

}  // namespace

const KernelProvider& PortableProvider() {
  static const PortableProviderImpl provider;
  return provider;
}

}  // namespace edgert::engine
