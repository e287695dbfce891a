// The int8 provider: kernels for nodes of precision Int8 (looked up as dtype S8) and for the
// Quantize / Dequantize / Requantize conversions. Semantics are in runtime/schema/IR.md "Int8".
//
// Activations are S8 with one (scale, zero point) per tensor. Weights are S8 and symmetric, one
// scale per output channel (axis 0) or one per tensor; bias is S32 in units of
// in_scale * w_scale[c]. Compute-heavy ops use XNNPACK's qs8/qc8 operators (through
// xnnpack_common.h); on x86 hosts the oneDNN provider is asked first and takes the wide int8
// Conv2D nodes it runs exactly (dnnl_kernels.cc):
//  - Conv2D here always runs as qc8 (a per-tensor weight scale is repeated per channel): one
//    path, and qc8 is what per-channel calibration needs anyway.
//  - FullyConnected also runs as a qc8 1x1 convolution over [1, 1, rows, K]: this XNNPACK
//    snapshot has no per-channel fully connected operator (qs8 FC takes one kernel scale), and
//    requantizing per-channel weights to one scale would lose the small channels' precision.
// Byte moves (Reshape, Copy, Transpose, Slice, Concat, Split, Pad) decline to the portable
// provider's dtype-agnostic kernels when every input and output has the same quantization;
// otherwise the inputs are requantized to the output's parameters into scratch first.
// Ops without an int8 kernel here (Resize, AvgPool2D) run dequantize -> f32 kernel -> quantize.
// Those inner kernels come from the other providers in the session's order (WrapKernel).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "engine/kernel.h"
#include "engine/xnnpack_common.h"

namespace edgert::engine {
namespace {

// Int8 nodes have no other provider for these ops, so XNNPACK rejecting a node's parameters is
// an error, not a decline.
class Int8XnnKernel : public XnnKernel {
 public:
  Int8XnnKernel() : XnnKernel(XnnRejection::kError) {}
};

// The per-tensor S8 parameters of input 0 and output 0 (ActQuant), for one-input ops.
Status InOutQuant(const NodeContext& ctx, QParams* qx, QParams* qy) {
  EDGERT_RETURN_IF_ERROR(ActQuant(ctx, ctx.In(0), qx));
  return ActQuant(ctx, ctx.Out(0), qy);
}

// ---- conversions ----

// Quantize F32 -> S8, Dequantize S8 -> F32, Requantize S8 -> S8 (per tensor).
enum class Conv { kQuantize, kDequantize, kRequantize };
template <Conv kConv>
class ConvertKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    in_ = ctx.In(0);
    out_ = ctx.Out(0);
    if (in_->elements() != out_->elements())
      return ctx.Error("input and output element counts differ");
    const fb::DType want_in = kConv == Conv::kQuantize ? fb::DType_F32 : fb::DType_S8;
    const fb::DType want_out = kConv == Conv::kDequantize ? fb::DType_F32 : fb::DType_S8;
    if (in_->dtype != want_in || out_->dtype != want_out)
      return ctx.Error(std::string("needs ") + fb::EnumNameDType(want_in) + " -> " +
                       fb::EnumNameDType(want_out));
    if (kConv != Conv::kQuantize) EDGERT_RETURN_IF_ERROR(ActQuant(ctx, in_, &qi_));
    if (kConv != Conv::kDequantize) EDGERT_RETURN_IF_ERROR(ActQuant(ctx, out_, &qo_));
    // S8 held as u8 (TensorRef::as_u8) differs in the top bit only.
    in_flip_ = in_->as_u8 ? 0x80 : 0;
    out_flip_ = out_->as_u8 ? 0x80 : 0;
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const int64_t n = in_->elements();
    if (kConv == Conv::kQuantize) {
      const float* x = in_->f32();
      uint8_t* y = out_->data;
      // x / s rather than x * (1/s): bit-exact with ONNX QuantizeLinear.
      for (int64_t i = 0; i < n; ++i)
        y[i] = static_cast<uint8_t>(QuantizeScaled(x[i] / qo_.s(), qo_.zp())) ^ out_flip_;
    } else if (kConv == Conv::kDequantize) {
      const uint8_t* x = in_->data;
      float* y = out_->f32();
      for (int64_t i = 0; i < n; ++i)
        y[i] = static_cast<float>(static_cast<int8_t>(x[i] ^ in_flip_) - qi_.zp()) * qi_.s();
    } else {
      const uint8_t* x = in_->data;
      uint8_t* y = out_->data;
      const float r = qi_.s() / qo_.s();
      for (int64_t i = 0; i < n; ++i)
        y[i] = static_cast<uint8_t>(QuantizeScaled(
                   static_cast<float>(static_cast<int8_t>(x[i] ^ in_flip_) - qi_.zp()) * r,
                   qo_.zp())) ^
               out_flip_;
    }
    return Status::Ok();
  }
  bool handles_u8() const override { return true; }

 private:
  const TensorRef* in_ = nullptr;
  const TensorRef* out_ = nullptr;
  QParams qi_, qo_;
  uint8_t in_flip_ = 0, out_flip_ = 0;  // 0x80 where the S8 tensor is held as u8
};

// ---- Conv2D / FullyConnected (qc8) ----

class QConvKernel : public Int8XnnKernel {
 public:
  explicit QConvKernel(bool fc) : fc_(fc) {}
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 2, 3, 1));
    const TensorRef *x = ctx.In(0), *w = ctx.In(1), *b = ctx.In(2), *y = ctx.Out(0);
    QConvParams qp;
    EDGERT_RETURN_IF_ERROR(ReadQConvParams(ctx, &qp));
    const QParams& qx = qp.x;
    const QParams& qy = qp.y;
    const int64_t cout = w->shape[0];
    wscale_ = qp.w_scale;
    const int8_t qmin = qp.qmin, qmax = qp.qmax;
    const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    // XNNPACK may read XNN_EXTRA_BYTES past the weights while packing them.
    const auto* wd = reinterpret_cast<const int8_t*>(Readable(ctx, *w));
    const int32_t* bd = b ? reinterpret_cast<const int32_t*>(b->data) : nullptr;
    const int8_t xzp = static_cast<int8_t>(qx.zp()), yzp = static_cast<int8_t>(qy.zp());
    if (fc_) {
      if (w->rank() != 2 || x->rank() < 1 || w->shape[1] != x->shape.back())
        return ctx.Error("weights " + ShapeToString(w->shape) + " do not fit input " +
                         ShapeToString(x->shape));
      const int64_t k = w->shape[1];
      std::vector<int64_t> want(x->shape);
      want.back() = cout;
      if (y->shape != want) return ctx.Error("output shape " + ShapeToString(y->shape));
      XNN_CALL(ctx, xnn_create_convolution2d_nhwc_qc8(
                        0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, z(k), z(cout), z(k), z(cout), xzp, qx.s(),
                        wscale_.data(), wd, bd, yzp, qy.s(), qmin, qmax, 0, &op_));
      XNN_CALL(ctx, xnn_setup_convolution2d_nhwc_qc8(op_, 1, 1, z(x->elements() / k),
                                                     reinterpret_cast<const int8_t*>(x->data),
                                                     reinterpret_cast<int8_t*>(y->data), pool));
      return Status::Ok();
    }
    ConvGeometry cg;
    EDGERT_RETURN_IF_ERROR(ReadConvGeometry(ctx, false, &cg));
    const auto& pads = cg.pads;
    const auto& st = cg.strides;
    const auto& dil = cg.dilations;
    const int64_t g = cg.group, n = cg.n, h = cg.h, wdt = cg.w, cin = cg.cin;
    const int64_t kh = cg.kh, kw = cg.kw;
    XNN_CALL(ctx, xnn_create_convolution2d_nhwc_qc8(u(pads[0]), u(pads[3]), u(pads[2]), u(pads[1]),
                                                    u(kh), u(kw), u(st[0]), u(st[1]), u(dil[0]),
                                                    u(dil[1]), u(g), z(cin / g), z(cout / g),
                                                    z(cin), z(cout), xzp, qx.s(), wscale_.data(),
                                                    wd, bd, yzp, qy.s(), qmin, qmax, 0, &op_));
    XNN_CALL(ctx, xnn_setup_convolution2d_nhwc_qc8(op_, z(n), z(h), z(wdt),
                                                   reinterpret_cast<const int8_t*>(x->data),
                                                   reinterpret_cast<int8_t*>(y->data), pool));
    return Status::Ok();
  }

 private:
  bool fc_;
  std::vector<float> wscale_;
};

// ---- Add / Sub / Mul (qs8, broadcasting) ----

enum class Bin { kAdd, kSub, kMul };
template <Bin kOp>
class QBinaryKernel : public Int8XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 2, 2, 1));
    const TensorRef *a = ctx.In(0), *b = ctx.In(1), *y = ctx.Out(0);
    QParams qa, qb, qy;
    EDGERT_RETURN_IF_ERROR(ActQuant(ctx, a, &qa));
    EDGERT_RETURN_IF_ERROR(ActQuant(ctx, b, &qb));
    EDGERT_RETURN_IF_ERROR(ActQuant(ctx, y, &qy));
    int8_t qmin, qmax;
    EDGERT_RETURN_IF_ERROR(ReadQuantActivationRange(ctx, qy, &qmin, &qmax));
    const auto i8 = [](int32_t v) { return static_cast<int8_t>(v); };
    if (kOp == Bin::kAdd)
      XNN_CALL(ctx, xnn_create_add_nd_qs8(i8(qa.zp()), qa.s(), i8(qb.zp()), qb.s(), i8(qy.zp()),
                                          qy.s(), qmin, qmax, 0, &op_));
    else if (kOp == Bin::kSub)
      XNN_CALL(ctx, xnn_create_subtract_nd_qs8(i8(qa.zp()), qa.s(), i8(qb.zp()), qb.s(),
                                               i8(qy.zp()), qy.s(), qmin, qmax, 0, &op_));
    else
      XNN_CALL(ctx, xnn_create_multiply_nd_qs8(i8(qa.zp()), qa.s(), i8(qb.zp()), qb.s(),
                                               i8(qy.zp()), qy.s(), qmin, qmax, 0, &op_));
    const std::vector<size_t> sa(a->shape.begin(), a->shape.end());
    const std::vector<size_t> sb(b->shape.begin(), b->shape.end());
    const auto* pa = reinterpret_cast<const int8_t*>(a->data);
    const auto* pb = reinterpret_cast<const int8_t*>(b->data);
    auto* py = reinterpret_cast<int8_t*>(y->data);
    if (kOp == Bin::kAdd)
      XNN_CALL(ctx, xnn_setup_add_nd_qs8(op_, sa.size(), sa.data(), sb.size(), sb.data(), pa, pb,
                                         py, pool));
    else if (kOp == Bin::kSub)
      XNN_CALL(ctx, xnn_setup_subtract_nd_qs8(op_, sa.size(), sa.data(), sb.size(), sb.data(), pa,
                                              pb, py, pool));
    else
      XNN_CALL(ctx, xnn_setup_multiply_nd_qs8(op_, sa.size(), sa.data(), sb.size(), sb.data(), pa,
                                              pb, py, pool));
    return Status::Ok();
  }
};

// ---- pooling, sigmoid ----

class QMaxPoolKernel : public Int8XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef *x = ctx.In(0), *y = ctx.Out(0);
    QParams qx, qy;
    EDGERT_RETURN_IF_ERROR(InOutQuant(ctx, &qx, &qy));
    if (!(qx == qy)) return ctx.Error("max pooling needs equal input and output quantization");
    PoolGeometry g;
    EDGERT_RETURN_IF_ERROR(ReadPoolGeometry(ctx, false, &g));
    int8_t qmin, qmax;
    EDGERT_RETURN_IF_ERROR(ReadQuantActivationRange(ctx, qy, &qmin, &qmax));
    const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    XNN_CALL(ctx, xnn_create_max_pooling2d_nhwc_s8(u(g.pt), u(g.pr), u(g.pb), u(g.pl), u(g.kh),
                                                   u(g.kw), u(g.sh), u(g.sw), u(g.dh), u(g.dw),
                                                   z(g.c), z(g.c), z(g.c), qmin, qmax, 0, &op_));
    XNN_CALL(ctx, xnn_setup_max_pooling2d_nhwc_s8(op_, z(g.n), z(g.h), z(g.w),
                                                  reinterpret_cast<const int8_t*>(x->data),
                                                  reinterpret_cast<int8_t*>(y->data), pool));
    return Status::Ok();
  }
};

class QGlobalAvgPoolKernel : public Int8XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef *x = ctx.In(0), *y = ctx.Out(0);
    QParams qx, qy;
    EDGERT_RETURN_IF_ERROR(InOutQuant(ctx, &qx, &qy));
    if (x->rank() != 4 || y->shape != std::vector<int64_t>{x->shape[0], 1, 1, x->shape[3]})
      return ctx.Error("needs NHWC input and [N,1,1,C] output");
    const size_t c = static_cast<size_t>(x->shape[3]);
    XNN_CALL(ctx, xnn_create_global_average_pooling_nwc_qs8(c, c, c, static_cast<int8_t>(qx.zp()),
                                                            qx.s(), static_cast<int8_t>(qy.zp()),
                                                            qy.s(), -128, 127, 0, &op_));
    XNN_CALL(
        ctx,
        xnn_setup_global_average_pooling_nwc_qs8(
            op_, static_cast<size_t>(x->shape[0]), static_cast<size_t>(x->shape[1] * x->shape[2]),
            reinterpret_cast<const int8_t*>(x->data), reinterpret_cast<int8_t*>(y->data), pool));
    return Status::Ok();
  }
};

template <bool kTanh>
class QSigmoidKernel : public Int8XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef *x = ctx.In(0), *y = ctx.Out(0);
    QParams qx, qy;
    EDGERT_RETURN_IF_ERROR(InOutQuant(ctx, &qx, &qy));
    if (x->elements() != y->elements()) return ctx.Error("element counts differ");
    const auto i8 = [](int32_t v) { return static_cast<int8_t>(v); };
    if (kTanh)
      XNN_CALL(ctx, xnn_create_tanh_nc_qs8(1, 1, 1, i8(qx.zp()), qx.s(), i8(qy.zp()), qy.s(), -128,
                                           127, 0, &op_));
    else
      XNN_CALL(ctx, xnn_create_sigmoid_nc_qs8(1, 1, 1, i8(qx.zp()), qx.s(), i8(qy.zp()), qy.s(),
                                              -128, 127, 0, &op_));
    const size_t n = static_cast<size_t>(x->elements());
    const auto* px = reinterpret_cast<const int8_t*>(x->data);
    auto* py = reinterpret_cast<int8_t*>(y->data);
    if (kTanh)
      XNN_CALL(ctx, xnn_setup_tanh_nc_qs8(op_, n, px, py, pool));
    else
      XNN_CALL(ctx, xnn_setup_sigmoid_nc_qs8(op_, n, px, py, pool));
    return Status::Ok();
  }
};

// Clamp on the quantized values: x requantized to y's parameters, then clamped to [min, max]
// quantized with them.
class QClampKernel : public Kernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    x_ = ctx.In(0);
    y_ = ctx.Out(0);
    QParams qx, qy;
    EDGERT_RETURN_IF_ERROR(InOutQuant(ctx, &qx, &qy));
    if (x_->elements() != y_->elements()) return ctx.Error("element counts differ");
    scale_ = qx.s() / qy.s();
    zx_ = qx.zp();
    zy_ = qy.zp();
    Range r;
    EDGERT_RETURN_IF_ERROR(ReadRange(ctx, "min", "max", &r));
    QuantizeRange(r, qy, &lo_, &hi_);
    return Status::Ok();
  }
  Status Run(pthreadpool_t) override {
    const auto* x = reinterpret_cast<const int8_t*>(x_->data);
    auto* y = reinterpret_cast<int8_t*>(y_->data);
    for (int64_t i = 0; i < x_->elements(); ++i) {
      const int8_t v = QuantizeScaled(static_cast<float>(x[i] - zx_) * scale_, zy_);
      y[i] = std::min(hi_, std::max(lo_, v));
    }
    return Status::Ok();
  }

 private:
  const TensorRef* x_ = nullptr;
  const TensorRef* y_ = nullptr;
  float scale_ = 1.f;
  int32_t zx_ = 0, zy_ = 0;
  int8_t lo_ = -128, hi_ = 127;
};

// Runs another provider's kernel on substitute tensors: inputs converted into scratch first
// (requantized to the output's S8 parameters, or dequantized to F32), outputs optionally
// quantized from an F32 scratch afterwards. The inner kernel is the first one the session's
// other providers, asked in order, set up for the converted node.
class WrapKernel : public Kernel {
 public:
  explicit WrapKernel(bool via_float) : via_float_(via_float) {}
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    if (!ctx.node || ctx.node->precision() != fb::Precision_Int8)
      return ctx.Decline("not an Int8 node");
    if (ctx.outputs.empty() || ctx.inputs.empty()) return ctx.Error("needs inputs and outputs");
    QParams qy;
    EDGERT_RETURN_IF_ERROR(ActQuant(ctx, ctx.Out(0), &qy));
    for (const TensorRef* o : ctx.outputs) {
      QParams q;
      EDGERT_RETURN_IF_ERROR(ActQuant(ctx, o, &q));
      if (!(q == qy)) return ctx.Error("outputs differ in quantization");
    }
    if (ctx.op == fb::OpType_Pad) {
      const int8_t fill = QuantizeScaled(ctx.Float("value", 0.f) / qy.s(), qy.zp());
      if (fill != 0 && ctx.Str("mode", "constant") == "constant" && !via_float_)
        return ctx.Error("int8 constant Pad must pad with the quantized value 0 (zero point " +
                         std::to_string(qy.zp()) + ")");
    }
    bool same = true;
    for (const TensorRef* in : ctx.inputs) {
      if (!in) continue;
      QParams q;
      EDGERT_RETURN_IF_ERROR(ActQuant(ctx, in, &q));
      same = same && q == qy;
    }
    if (same && !via_float_) return ctx.Decline("same quantization: a plain byte move");
    sub_ = ctx;
    refs_.reserve(ctx.inputs.size() + ctx.outputs.size());
    for (size_t i = 0; i < ctx.inputs.size(); ++i) {
      const TensorRef* in = ctx.inputs[i];
      if (!in) continue;
      QParams q;
      EDGERT_RETURN_IF_ERROR(ActQuant(ctx, in, &q));
      refs_.push_back(*in);
      TensorRef& r = refs_.back();
      r.io = nullptr;
      r.constant = false;
      if (via_float_) {
        r.dtype = fb::DType_F32;
        r.element_size = 4;
      }
      scratch_.emplace_back(r.bytes() + XNN_EXTRA_BYTES + 64, 0);
      r.data = scratch_.back().data();
      const float ratio = q.s() / qy.s();
      pre_.push_back({in, r.data, q.s(), q.zp(), ratio, qy.zp()});
      sub_.inputs[i] = &r;
    }
    if (via_float_) {
      for (size_t i = 0; i < ctx.outputs.size(); ++i) {
        refs_.push_back(*ctx.outputs[i]);
        TensorRef& r = refs_.back();
        r.io = nullptr;
        r.dtype = fb::DType_F32;
        r.element_size = 4;
        scratch_.emplace_back(r.bytes() + XNN_EXTRA_BYTES + 64, 0);
        r.data = scratch_.back().data();
        post_.push_back({r.data, ctx.outputs[i], qy.s(), qy.zp()});
        sub_.outputs[i] = &r;
      }
    }
    // The inner kernel comes from the session's providers in their order, so the provider
    // switches (EDGERT_DISABLE_DNNL, the test hooks) apply to it as to any node.
    std::string reasons;
    for (const KernelProvider* p : Providers()) {
      if (p == &Int8Provider()) continue;
      KernelFactory f = p->Find(ctx.op, via_float_ ? fb::DType_F32 : fb::DType_S8);
      if (!f) continue;
      std::unique_ptr<Kernel> k = f();
      Status s = k->Setup(sub_, pool);
      if (s.ok()) {
        inner_ = std::move(k);
        inner_provider_ = p->name();
        return Status::Ok();
      }
      if (s.code() != StatusCode::kUnsupported) return s;
      reasons += (reasons.empty() ? " (" : ", ") + std::string(p->name()) + ": " + s.message();
    }
    return ctx.Error("no kernel runs it on the converted tensors" +
                     (reasons.empty() ? "" : reasons + ")"));
  }
  const char* inner_provider() const override { return inner_provider_; }
  Status Run(pthreadpool_t pool) override {
    for (const Pre& p : pre_) {
      const auto* x = reinterpret_cast<const int8_t*>(p.src->data);
      const int64_t n = p.src->elements();
      if (via_float_) {
        float* y = reinterpret_cast<float*>(p.dst);
        for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i] - p.zp) * p.scale;
      } else {
        auto* y = reinterpret_cast<int8_t*>(p.dst);
        for (int64_t i = 0; i < n; ++i)
          y[i] = QuantizeScaled(static_cast<float>(x[i] - p.zp) * p.ratio, p.out_zp);
      }
    }
    EDGERT_RETURN_IF_ERROR(inner_->Run(pool));
    for (const Post& p : post_) {
      const float* x = reinterpret_cast<const float*>(p.src);
      auto* y = reinterpret_cast<int8_t*>(p.dst->data);
      const int64_t n = p.dst->elements();
      for (int64_t i = 0; i < n; ++i) y[i] = QuantizeScaled(x[i] / p.scale, p.zp);
    }
    return Status::Ok();
  }

 private:
  struct Pre {
    const TensorRef* src;
    uint8_t* dst;
    float scale;
    int32_t zp;
    float ratio;
    int32_t out_zp;
  };
  struct Post {
    const uint8_t* src;
    const TensorRef* dst;
    float scale;
    int32_t zp;
  };
  bool via_float_;
  NodeContext sub_;
  std::vector<TensorRef> refs_;  // reserved up front: sub_ points into it
  std::vector<std::vector<uint8_t>> scratch_;
  std::vector<Pre> pre_;
  std::vector<Post> post_;
  std::unique_ptr<Kernel> inner_;
  const char* inner_provider_ = nullptr;
};

// The int8 provider's S8 kernels serve nodes of precision Int8 only (quantized values). KeyDType
// (session.cc) looks every S8-typed node up as S8, so a plain, non-quantized S8 tensor of a Float
// node reaches these entries too: they decline it, and the portable provider's integer kernels
// (int_kernels.cc) run it.
template <typename K>
class Int8NodesOnly : public K {
 public:
  using K::K;
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    if (!ctx.node || ctx.node->precision() != fb::Precision_Int8)
      return ctx.Decline("not an Int8 node");
    return K::Setup(ctx, pool);
  }
};

class Int8ProviderImpl : public KernelProvider {
 public:
  Int8ProviderImpl() : KernelProvider("int8") {
    RegisterAllDTypes(fb::OpType_Quantize, Make<ConvertKernel<Conv::kQuantize>>);
    RegisterAllDTypes(fb::OpType_Dequantize, Make<ConvertKernel<Conv::kDequantize>>);
    RegisterAllDTypes(fb::OpType_Requantize, Make<ConvertKernel<Conv::kRequantize>>);
    const fb::DType s8 = fb::DType_S8;
    Register(fb::OpType_Conv2D, s8, Make<Int8NodesOnly<QConvKernel>, false>);
    Register(fb::OpType_FullyConnected, s8, Make<Int8NodesOnly<QConvKernel>, true>);
    Register(fb::OpType_Add, s8, Make<Int8NodesOnly<QBinaryKernel<Bin::kAdd>>>);
    Register(fb::OpType_Sub, s8, Make<Int8NodesOnly<QBinaryKernel<Bin::kSub>>>);
    Register(fb::OpType_Mul, s8, Make<Int8NodesOnly<QBinaryKernel<Bin::kMul>>>);
    Register(fb::OpType_MaxPool2D, s8, Make<Int8NodesOnly<QMaxPoolKernel>>);
    Register(fb::OpType_GlobalAvgPool, s8, Make<Int8NodesOnly<QGlobalAvgPoolKernel>>);
    Register(fb::OpType_Sigmoid, s8, Make<Int8NodesOnly<QSigmoidKernel<false>>>);
    Register(fb::OpType_Tanh, s8, Make<Int8NodesOnly<QSigmoidKernel<true>>>);
    Register(fb::OpType_Clamp, s8, Make<Int8NodesOnly<QClampKernel>>);
    for (fb::OpType op : {fb::OpType_Reshape, fb::OpType_Copy, fb::OpType_Transpose,
                          fb::OpType_Slice, fb::OpType_Concat, fb::OpType_Split, fb::OpType_Pad})
      Register(op, s8, Make<WrapKernel, false>);
    for (fb::OpType op : {fb::OpType_Resize, fb::OpType_AvgPool2D})
      Register(op, s8, Make<WrapKernel, true>);
  }

  // The conversions read and write S8 held as u8 (ConvertKernel); they convert nothing more
  // for it, so they never gain. Every other kernel here works on s8.
  U8Prediction PredictU8(const NodeContext& ctx) const override {
    U8Prediction p;
    p.takes = true;
    p.reads = ctx.op == fb::OpType_Dequantize || ctx.op == fb::OpType_Requantize;
    p.writes = ctx.op == fb::OpType_Quantize || ctx.op == fb::OpType_Requantize;
    return p;
  }
};

}  // namespace

const KernelProvider& Int8Provider() {
  static const Int8ProviderImpl provider;
  return provider;
}

}  // namespace edgert::engine
