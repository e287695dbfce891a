// The XNNPACK provider: compute-heavy f32 ops on the XNNPACK 2022 snapshot (Debian
// libxnnpack-dev 0.0~git20220216). The glue it shares with the int8 provider's XNNPACK kernels
// (initialization, status checks, the operator-owning kernel base) is in xnnpack_common.h.
//
// It uses XNNPACK's operator API (xnn_create_* / xnn_setup_* / xnn_run_operator), not the
// subgraph API, because:
//  - the arena is static, so every data pointer is known at session creation: each operator is
//    created and set up exactly once, and Run() is just xnn_run_operator per node;
//  - one operator per IR node keeps per-node timing and intermediate capture trivial hooks
//    around each call, and the node order is ours;
//  - the subgraph API would own memory planning and fuse or reorder nodes, hiding the nodes the
//    tools report on and dump.
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/kernel.h"
#include "engine/resize_coords.h"
#include "engine/xnnpack_common.h"

namespace edgert::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// f32 kernels: where XNNPACK rejects a node's parameters, the portable provider may still run it.
class F32XnnKernel : public XnnKernel {
 public:
  F32XnnKernel() : XnnKernel(XnnRejection::kDecline) {}
};

// Conv2D: weights [Cout,KH,KW,Cin/g] are XNNPACK's [g][Cout/g][KH][KW][Cin/g]; XNNPACK picks
// its depthwise path itself when Cin/g == Cout/g == 1.
class ConvKernel : public F32XnnKernel {
 public:
  explicit ConvKernel(bool transpose) : transpose_(transpose) {}
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 2, 3, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* w = ctx.In(1);
    const TensorRef* b = ctx.In(2);
    const TensorRef* y = ctx.Out(0);
    if (!w->constant) return ctx.Decline("weights are not constant");
    if (b && !b->constant) return ctx.Decline("bias is not constant");
    Range act;
    EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
    ConvGeometry cg;
    EDGERT_RETURN_IF_ERROR(ReadConvGeometry(ctx, transpose_, &cg));
    const auto& pads = cg.pads;
    const auto& strides = cg.strides;
    const auto& dil = cg.dilations;
    const auto& adj = cg.output_padding;
    const int64_t g = cg.group, n = cg.n, h = cg.h, wd = cg.w, cin = cg.cin, cout = cg.cout;
    const int64_t kh = cg.kh, kw = cg.kw;
    const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    const float* bias = b ? b->f32() : nullptr;
    if (!transpose_) {
      XNN_CALL(ctx, xnn_create_convolution2d_nhwc_f32(
                        u(pads[0]), u(pads[3]), u(pads[2]), u(pads[1]), u(kh), u(kw), u(strides[0]),
                        u(strides[1]), u(dil[0]), u(dil[1]), u(g), z(cin / g), z(cout / g), z(cin),
                        z(cout), w->f32(), bias, act.lo, act.hi, 0, &op_));
      XNN_CALL(ctx,
               xnn_setup_convolution2d_nhwc_f32(op_, z(n), z(h), z(wd), x->f32(), y->f32(), pool));
    } else {
      XNN_CALL(ctx, xnn_create_deconvolution2d_nhwc_f32(
                        u(pads[0]), u(pads[3]), u(pads[2]), u(pads[1]), u(kh), u(kw), u(strides[0]),
                        u(strides[1]), u(dil[0]), u(dil[1]), u(g), z(cin / g), z(cout / g), z(cin),
                        z(cout), w->f32(), bias, act.lo, act.hi, 0, &op_));
      XNN_CALL(ctx, xnn_setup_deconvolution2d_nhwc_f32(op_, z(n), z(h), z(wd), u(adj[0]), u(adj[1]),
                                                       x->f32(), y->f32(), pool));
    }
    return Status::Ok();
  }

 private:
  bool transpose_;
};

class FullyConnectedKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 2, 3, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* w = ctx.In(1);
    const TensorRef* b = ctx.In(2);
    const TensorRef* y = ctx.Out(0);
    if (!w->constant) return ctx.Decline("weights are not constant");
    if (b && !b->constant) return ctx.Decline("bias is not constant");
    if (x->rank() < 1 || w->rank() != 2 || w->shape[1] != x->shape.back())
      return ctx.Error("weights " + ShapeToString(w->shape) + " do not fit input " +
                       ShapeToString(x->shape) + " (need [N,K])");
    const int64_t k = w->shape[1], nout = w->shape[0];
    if (b && b->elements() != nout) return ctx.Error("bias size differs from N");
    std::vector<int64_t> want(x->shape);
    want.back() = nout;
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, want));
    Range act;
    EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    XNN_CALL(ctx,
             xnn_create_fully_connected_nc_f32(z(k), z(nout), z(k), z(nout), w->f32(),
                                               b ? b->f32() : nullptr, act.lo, act.hi, 0, &op_));
    XNN_CALL(ctx,
             xnn_setup_fully_connected_nc_f32(op_, z(x->elements() / k), x->f32(), y->f32(), pool));
    return Status::Ok();
  }
};

template <bool kMax>
class Pool2DKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    PoolGeometry g;
    EDGERT_RETURN_IF_ERROR(ReadPoolGeometry(ctx, !kMax, &g));
    // XNNPACK's average pooling divides by the count of non-padding cells only; a ceil-mode
    // overhang is extra bottom/right padding, which then never counts either.
    if (g.count_include_pad && g.padded()) return ctx.Decline("count_include_pad=1 with padding");
    Range act;
    EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
    const auto u = [](int64_t v) { return static_cast<uint32_t>(v); };
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    if (kMax) {
      XNN_CALL(ctx, xnn_create_max_pooling2d_nhwc_f32(
                        u(g.pt), u(g.pr), u(g.pb), u(g.pl), u(g.kh), u(g.kw), u(g.sh), u(g.sw),
                        u(g.dh), u(g.dw), z(g.c), z(g.c), z(g.c), act.lo, act.hi, 0, &op_));
      XNN_CALL(ctx, xnn_setup_max_pooling2d_nhwc_f32(op_, z(g.n), z(g.h), z(g.w), x->f32(),
                                                     y->f32(), pool));
    } else {
      XNN_CALL(ctx, xnn_create_average_pooling2d_nhwc_f32(u(g.pt), u(g.pr + g.extra_r),
                                                          u(g.pb + g.extra_b), u(g.pl), u(g.kh),
                                                          u(g.kw), u(g.sh), u(g.sw), z(g.c), z(g.c),
                                                          z(g.c), act.lo, act.hi, 0, &op_));
      XNN_CALL(ctx, xnn_setup_average_pooling2d_nhwc_f32(op_, z(g.n), z(g.h), z(g.w), x->f32(),
                                                         y->f32(), pool));
    }
    return Status::Ok();
  }
};

class GlobalAvgPoolKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    if (x->rank() != 4) return ctx.Error("needs an NHWC input, got " + ShapeToString(x->shape));
    const int64_t c = x->shape[3];
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, {x->shape[0], 1, 1, c}));
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    XNN_CALL(ctx,
             xnn_create_global_average_pooling_nwc_f32(z(c), z(c), z(c), -kInf, kInf, 0, &op_));
    XNN_CALL(ctx, xnn_setup_global_average_pooling_nwc_f32(
                      op_, z(x->shape[0]), z(x->shape[1] * x->shape[2]), x->f32(), y->f32(), pool));
    return Status::Ok();
  }
};

enum class Binary { kAdd, kSub, kMul, kDiv };

template <Binary kOp>
class BinaryKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 2, 2, 1));
    const TensorRef* a = ctx.In(0);
    const TensorRef* b = ctx.In(1);
    const TensorRef* y = ctx.Out(0);
    if (b->dtype != fb::DType_F32 || y->dtype != fb::DType_F32)
      return ctx.Decline("operands are not all F32");
    if (a->rank() > XNN_MAX_TENSOR_DIMS || b->rank() > XNN_MAX_TENSOR_DIMS)
      return ctx.Decline("rank above " + std::to_string(XNN_MAX_TENSOR_DIMS));
    const int rank = std::max(a->rank(), b->rank());
    std::vector<int64_t> want(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
      const int ia = d - (rank - a->rank()), ib = d - (rank - b->rank());
      const int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
      if (da != db && da != 1 && db != 1)
        return ctx.Error("shapes " + ShapeToString(a->shape) + " and " + ShapeToString(b->shape) +
                         " do not broadcast");
      want[static_cast<size_t>(d)] = da == 1 ? db : da;
    }
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, want));
    Range act;
    EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &act));
    size_t sa[XNN_MAX_TENSOR_DIMS], sb[XNN_MAX_TENSOR_DIMS];
    for (int d = 0; d < a->rank(); ++d) sa[d] = static_cast<size_t>(a->shape[d]);
    for (int d = 0; d < b->rank(); ++d) sb[d] = static_cast<size_t>(b->shape[d]);
    // Only one operand is ever a mapped constant in practice; copy it if it ends too close to
    // the end of the mapping for XNNPACK's over-reads.
    const auto* pa = reinterpret_cast<const float*>(Readable(ctx, *a));
    if (has_copy() && !ctx.OverreadSafe(*b))
      return ctx.Decline("both operands are constants at the mapping end");
    const auto* pb = reinterpret_cast<const float*>(Readable(ctx, *b));
    const size_t ra = static_cast<size_t>(a->rank()), rb = static_cast<size_t>(b->rank());
    switch (kOp) {
      case Binary::kAdd:
        XNN_CALL(ctx, xnn_create_add_nd_f32(act.lo, act.hi, 0, &op_));
        XNN_CALL(ctx, xnn_setup_add_nd_f32(op_, ra, sa, rb, sb, pa, pb, y->f32(), pool));
        break;
      case Binary::kSub:
        XNN_CALL(ctx, xnn_create_subtract_nd_f32(act.lo, act.hi, 0, &op_));
        XNN_CALL(ctx, xnn_setup_subtract_nd_f32(op_, ra, sa, rb, sb, pa, pb, y->f32(), pool));
        break;
      case Binary::kMul:
        XNN_CALL(ctx, xnn_create_multiply_nd_f32(act.lo, act.hi, 0, &op_));
        XNN_CALL(ctx, xnn_setup_multiply_nd_f32(op_, ra, sa, rb, sb, pa, pb, y->f32(), pool));
        break;
      case Binary::kDiv:
        XNN_CALL(ctx, xnn_create_divide_nd_f32(act.lo, act.hi, 0, &op_));
        XNN_CALL(ctx, xnn_setup_divide_nd_f32(op_, ra, sa, rb, sb, pa, pb, y->f32(), pool));
        break;
    }
    return Status::Ok();
  }
};

enum class Unary { kClamp, kSigmoid, kHardSwish, kLeakyRelu };

template <Unary kOp>
class UnaryKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    if (x->elements() != y->elements()) return ctx.Error("input and output sizes differ");
    if (x->elements() == 0) return ctx.Decline("empty tensor");
    // Contiguous rows of the last dimension; XNNPACK treats dense rows as one long vector.
    const size_t c = static_cast<size_t>(x->rank() ? std::max<int64_t>(x->shape.back(), 1) : 1);
    const size_t batch = static_cast<size_t>(x->elements()) / c;
    switch (kOp) {
      case Unary::kClamp: {
        Range r;
        EDGERT_RETURN_IF_ERROR(ReadRange(ctx, "min", "max", &r));
        XNN_CALL(ctx, xnn_create_clamp_nc_f32(c, c, c, r.lo, r.hi, 0, &op_));
        XNN_CALL(ctx, xnn_setup_clamp_nc_f32(op_, batch, x->f32(), y->f32(), pool));
        break;
      }
      case Unary::kSigmoid:
        XNN_CALL(ctx, xnn_create_sigmoid_nc_f32(c, c, c, 0, &op_));
        XNN_CALL(ctx, xnn_setup_sigmoid_nc_f32(op_, batch, x->f32(), y->f32(), pool));
        break;
      case Unary::kHardSwish:
        XNN_CALL(ctx, xnn_create_hardswish_nc_f32(c, c, c, 0, &op_));
        XNN_CALL(ctx, xnn_setup_hardswish_nc_f32(op_, batch, x->f32(), y->f32(), pool));
        break;
      case Unary::kLeakyRelu:
        XNN_CALL(ctx, xnn_create_leaky_relu_nc_f32(c, c, c, ctx.Float("alpha", 0.01f), 0, &op_));
        XNN_CALL(ctx, xnn_setup_leaky_relu_nc_f32(op_, batch, x->f32(), y->f32(), pool));
        break;
    }
    return Status::Ok();
  }
};

// Softmax over the last stored axis (attention's scores): XNNPACK's vectorized exp. Other axes
// go portable.
class SoftmaxKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    const int64_t axis = ctx.Int("axis", -1), r = x->rank();
    if (r == 0 || (axis != r - 1 && axis != -1)) return ctx.Decline("not the last axis");
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, x->shape));
    const size_t c = static_cast<size_t>(x->shape.back());
    if (c == 0) return ctx.Decline("empty axis");
    const size_t batch = static_cast<size_t>(x->elements()) / c;
    XNN_CALL(ctx, xnn_create_softmax_nc_f32(c, c, c, 0, &op_));
    XNN_CALL(ctx, xnn_setup_softmax_nc_f32(op_, batch, x->f32(), y->f32(), pool));
    return Status::Ok();
  }
};

// PRelu with a constant slope per channel of the last axis; other slopes go portable.
class PReluKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 2, 2, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* slope = ctx.In(1);
    const TensorRef* y = ctx.Out(0);
    if (!slope->constant) return ctx.Decline("slope is not constant");
    if (x->rank() < 1 || slope->rank() > x->rank() || y->shape != x->shape)
      return ctx.Decline("slope does not broadcast per channel");
    const int64_t c = x->shape.back();
    for (int d = 0; d < slope->rank(); ++d) {
      const int64_t want = d + 1 == slope->rank() ? c : 1;
      if (slope->shape[d] != want) return ctx.Decline("slope is not per channel of the last axis");
    }
    if (slope->elements() != c || c == 0) return ctx.Decline("slope is not per channel");
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    XNN_CALL(ctx, xnn_create_prelu_nc_f32(z(c), z(c), z(c), slope->f32(), 0, &op_));
    XNN_CALL(ctx, xnn_setup_prelu_nc_f32(op_, z(x->elements() / c), x->f32(), y->f32(), pool));
    return Status::Ok();
  }
};

// Linear resize where XNNPACK's coordinates equal ONNX's: half_pixel (and pytorch_half_pixel
// with outputs > 1), asymmetric (its TF legacy mode) and align_corners, with scales equal to
// out/in (XNNPACK always scales by in/out).
class ResizeKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    if (x->rank() != 4 || y->rank() != 4 || x->shape[0] != y->shape[0] ||
        x->shape[3] != y->shape[3])
      return ctx.Decline("not a 4-D NHWC resize");
    ResizeParams p;
    EDGERT_RETURN_IF_ERROR(ParseResize(ctx, *x, *y, &p));
    if (p.mode != ResizeMode::kLinear) return ctx.Decline("not a linear resize");
    uint32_t flags = 0;
    switch (p.coord) {
      case CoordMode::kAlignCorners:
        flags = XNN_FLAG_ALIGN_CORNERS;
        break;
      case CoordMode::kAsymmetric:
        flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
        break;
      case CoordMode::kHalfPixel:
        break;
      case CoordMode::kPytorchHalfPixel:
        if (y->shape[1] == 1 || y->shape[2] == 1) return ctx.Decline("pytorch_half_pixel to 1");
        break;
      default:
        return ctx.Decline("coordinate mode without an XNNPACK equivalent");
    }
    // XNNPACK derives the coordinates from the sizes, so it serves only when the ONNX
    // scales are exactly out/in (align_corners included: ONNX uses in * scale there).
    for (int a = 0; a < 2; ++a) {
      const double want =
          static_cast<double>(y->shape[1 + a]) / static_cast<double>(x->shape[1 + a]);
      if (std::fabs(p.scale[a] - want) > 1e-6 * want)
        return ctx.Decline("scales differ from output/input sizes");
    }
    const auto z = [](int64_t v) { return static_cast<size_t>(v); };
    const size_t c = z(x->shape[3]);
    XNN_CALL(ctx, xnn_create_resize_bilinear2d_nhwc_f32(c, c, c, flags, &op_));
    XNN_CALL(ctx, xnn_setup_resize_bilinear2d_nhwc_f32(op_, z(x->shape[0]), z(x->shape[1]),
                                                       z(x->shape[2]), z(y->shape[1]),
                                                       z(y->shape[2]), x->f32(), y->f32(), pool));
    return Status::Ok();
  }
};

class ConstantPadKernel : public F32XnnKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, 1, 1, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    if (ctx.Str("mode", "constant") != "constant") return ctx.Decline("non-constant pad mode");
    const size_t rank = static_cast<size_t>(x->rank());
    if (rank == 0 || rank > XNN_MAX_TENSOR_DIMS) return ctx.Decline("rank outside 1..6");
    const auto pads = ctx.Ints("pads", std::vector<int64_t>(2 * rank, 0));
    if (pads.size() != 2 * rank) return ctx.Error("pads needs 2 entries per dimension");
    size_t shape[XNN_MAX_TENSOR_DIMS], pre[XNN_MAX_TENSOR_DIMS], post[XNN_MAX_TENSOR_DIMS];
    std::vector<int64_t> want(rank);
    for (size_t d = 0; d < rank; ++d) {
      if (pads[d] < 0 || pads[d + rank] < 0) return ctx.Decline("negative pads (crop)");
      shape[d] = static_cast<size_t>(x->shape[d]);
      pre[d] = static_cast<size_t>(pads[d]);
      post[d] = static_cast<size_t>(pads[d + rank]);
      want[d] = x->shape[d] + pads[d] + pads[d + rank];
    }
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, want));
    if (x->elements() == 0) return ctx.Decline("empty input");
    const float value = ctx.Float("value", 0.f);
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    XNN_CALL(ctx, xnn_create_constant_pad_nd_x32(&bits, 0, &op_));
    XNN_CALL(ctx,
             xnn_setup_constant_pad_nd_x32(op_, rank, shape, pre, post, x->data, y->data, pool));
    return Status::Ok();
  }
};

class XnnpackProviderImpl : public KernelProvider {
 public:
  XnnpackProviderImpl() : KernelProvider("xnnpack") {
    const fb::DType f = fb::DType_F32;
    Register(fb::OpType_Conv2D, f, Make<ConvKernel, false>);
    Register(fb::OpType_ConvTranspose2D, f, Make<ConvKernel, true>);
    Register(fb::OpType_FullyConnected, f, Make<FullyConnectedKernel>);
    Register(fb::OpType_MaxPool2D, f, Make<Pool2DKernel<true>>);
    Register(fb::OpType_AvgPool2D, f, Make<Pool2DKernel<false>>);
    Register(fb::OpType_GlobalAvgPool, f, Make<GlobalAvgPoolKernel>);
    Register(fb::OpType_Add, f, Make<BinaryKernel<Binary::kAdd>>);
    Register(fb::OpType_Sub, f, Make<BinaryKernel<Binary::kSub>>);
    Register(fb::OpType_Mul, f, Make<BinaryKernel<Binary::kMul>>);
    Register(fb::OpType_Div, f, Make<BinaryKernel<Binary::kDiv>>);
    Register(fb::OpType_Clamp, f, Make<UnaryKernel<Unary::kClamp>>);
    Register(fb::OpType_Sigmoid, f, Make<UnaryKernel<Unary::kSigmoid>>);
    Register(fb::OpType_HardSwish, f, Make<UnaryKernel<Unary::kHardSwish>>);
    Register(fb::OpType_LeakyRelu, f, Make<UnaryKernel<Unary::kLeakyRelu>>);
    Register(fb::OpType_PRelu, f, Make<PReluKernel>);
    Register(fb::OpType_Resize, f, Make<ResizeKernel>);
    Register(fb::OpType_Pad, f, Make<ConstantPadKernel>);
    Register(fb::OpType_Softmax, f, Make<SoftmaxKernel>);
  }
};

}  // namespace

const KernelProvider& XnnpackProvider() {
  static const XnnpackProviderImpl provider;
  return provider;
}

}  // namespace edgert::engine
