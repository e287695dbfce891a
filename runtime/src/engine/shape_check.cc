#include "engine/shape_check.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "checked_math.h"

namespace edgert::engine {
namespace {

using Shape = std::vector<int64_t>;

Status Want(const NodeContext& ctx, size_t out, const Shape& want) {
  return CheckOutShape(ctx, *ctx.outputs[out], want);
}

Status WantDType(const NodeContext& ctx, size_t out, fb::DType want) {
  const TensorRef& t = *ctx.outputs[out];
  if (t.dtype != want)
    return ctx.Error("output '" + t.name + "' is " + fb::EnumNameDType(t.dtype) + ", expected " +
                     fb::EnumNameDType(want));
  return Status::Ok();
}

Status Overflow(const NodeContext& ctx, const std::string& what) {
  return ctx.Error(what + " overflows 64 bits");
}

Status Axis(const NodeContext& ctx, const char* attr, int64_t def, int rank, int* out) {
  const int64_t a = ctx.Int(attr, def);
  if (a < -rank || a >= rank)
    return ctx.Error(std::string(attr) + " " + std::to_string(a) + " is out of range for rank " +
                     std::to_string(rank));
  *out = static_cast<int>(a < 0 ? a + rank : a);
  return Status::Ok();
}

// perm must be a permutation of 0..rank-1.
Status Perm(const NodeContext& ctx, const Shape& perm, size_t rank) {
  if (perm.size() != rank)
    return ctx.Error("perm has " + std::to_string(perm.size()) + " entries for rank " +
                     std::to_string(rank));
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)])
      return ctx.Error("perm " + ShapeToString(perm) + " is not a permutation");
    seen[static_cast<size_t>(p)] = true;
  }
  return Status::Ok();
}

Shape Permute(const Shape& s, const Shape& perm) {
  Shape r(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) r[k] = s[static_cast<size_t>(perm[k])];
  return r;
}

// numpy broadcasting of the present inputs (shorter shapes get leading 1s).
Status Broadcast(const NodeContext& ctx, Shape* out) {
  size_t rank = 0;
  for (const TensorRef* t : ctx.inputs)
    if (t) rank = std::max(rank, t->shape.size());
  Shape r(rank, 1);
  for (const TensorRef* t : ctx.inputs) {
    if (!t) continue;
    const size_t lead = rank - t->shape.size();
    for (size_t d = 0; d < t->shape.size(); ++d) {
      const int64_t v = t->shape[d];
      int64_t& o = r[lead + d];
      if (v == o || v == 1) continue;
      if (o != 1) {
        std::string shapes;
        for (const TensorRef* u : ctx.inputs)
          if (u) shapes += (shapes.empty() ? "" : ", ") + ShapeToString(u->shape);
        return ctx.Error("input shapes " + shapes + " do not broadcast");
      }
      o = v;
    }
  }
  *out = r;
  return Status::Ok();
}

Status SameShape(const NodeContext& ctx, size_t min_in, size_t max_in) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(min_in, max_in, 1));
  return Want(ctx, 0, ctx.inputs[0]->shape);
}

Status SameBytes(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const TensorRef& out = *ctx.outputs[0];
  if (in.bytes() != out.bytes())
    return ctx.Error("output '" + out.name + "' " + ShapeToString(out.shape) + " has " +
                     std::to_string(out.bytes()) + " bytes, input '" + in.name + "' " +
                     ShapeToString(in.shape) + " has " + std::to_string(in.bytes()));
  return Status::Ok();
}

Status Elementwise(const NodeContext& ctx, size_t inputs) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(inputs, inputs, 1));
  Shape s;
  EDGERT_RETURN_IF_ERROR(Broadcast(ctx, &s));
  return Want(ctx, 0, s);
}

// One spatial size of a convolution or pooling window: the output length for input length `in`,
// padding `pad0` before and `pad1` after, kernel `k`, stride `s`, dilation `dil`. Attributes in
// range (k, s, dil >= 1, pads >= 0) are the caller's check.
Status WindowOut(const NodeContext& ctx, int64_t in, int64_t pad0, int64_t pad1, int64_t k,
                 int64_t s, int64_t dil, int64_t* out) {
  int64_t span, ek;
  if (!CheckedMul(k - 1, dil, &ek) || __builtin_add_overflow(ek, 1, &ek) ||
      __builtin_add_overflow(in, pad0, &span) || __builtin_add_overflow(span, pad1, &span))
    return Overflow(ctx, "the window geometry");
  if (span < ek)
    return ctx.Error("window of " + std::to_string(ek) + " is larger than the padded input " +
                     std::to_string(span));
  *out = (span - ek) / s + 1;
  return Status::Ok();
}

Status AllAtLeast(const NodeContext& ctx, const Shape& v, int64_t min, const char* what) {
  for (int64_t x : v)
    if (x < min)
      return ctx.Error(std::string(what) + " " + ShapeToString(v) +
                       " must be >= " + std::to_string(min));
  return Status::Ok();
}

Status Conv(const NodeContext& ctx, bool transpose) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
  const TensorRef& x = *ctx.inputs[0];
  const TensorRef& w = *ctx.inputs[1];
  const TensorRef* b = ctx.In(2);
  if (x.rank() != 4 || w.rank() != 4)
    return ctx.Error("needs an NHWC input and [Cout,KH,KW,Cin/group] weights, got " +
                     ShapeToString(x.shape) + " and " + ShapeToString(w.shape));
  const Shape pads = ctx.Ints("pads", {0, 0, 0, 0});
  const Shape st = ctx.Ints("strides", {1, 1});
  const Shape dil = ctx.Ints("dilations", {1, 1});
  const Shape adj = ctx.Ints("output_padding", {0, 0});
  const int64_t group = ctx.Int("group", 1);
  if (pads.size() != 4 || st.size() != 2 || dil.size() != 2 || adj.size() != 2 || group < 1)
    return ctx.Error("needs pads [t,l,b,r], strides [h,w], dilations [h,w], group >= 1");
  for (int64_t v : pads)
    if (v < 0) return ctx.Error("negative pads " + ShapeToString(pads));
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, st, 1, "strides"));
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, dil, 1, "dilations"));
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, adj, 0, "output_padding"));
  const int64_t cin = x.shape[3], cout = w.shape[0], kh = w.shape[1], kw = w.shape[2];
  if (kh < 1 || kw < 1) return ctx.Error("empty kernel " + ShapeToString(w.shape));
  if (cin % group || cout % group || w.shape[3] != cin / group)
    return ctx.Error("weights " + ShapeToString(w.shape) + " do not fit " + std::to_string(cin) +
                     " input channels in " + std::to_string(group) + " groups");
  if (b && b->elements() != cout)
    return ctx.Error("bias has " + std::to_string(b->elements()) + " elements for " +
                     std::to_string(cout) + " output channels");
  int64_t oh, ow;
  if (!transpose) {
    EDGERT_RETURN_IF_ERROR(WindowOut(ctx, x.shape[1], pads[0], pads[2], kh, st[0], dil[0], &oh));
    EDGERT_RETURN_IF_ERROR(WindowOut(ctx, x.shape[2], pads[1], pads[3], kw, st[1], dil[1], &ow));
  } else {
    // (in - 1) * stride + (k - 1) * dilation + 1 + output_padding - pads
    int64_t o[2];
    for (int i = 0; i < 2; ++i) {
      const int64_t in = x.shape[1 + static_cast<size_t>(i)];
      const int64_t k = i ? kw : kh;
      int64_t a, e;
      if (in < 1) return ctx.Error("empty input " + ShapeToString(x.shape));
      if (!CheckedMul(in - 1, st[static_cast<size_t>(i)], &a) ||
          !CheckedMul(k - 1, dil[static_cast<size_t>(i)], &e) || __builtin_add_overflow(a, e, &a) ||
          __builtin_add_overflow(a, 1, &a) ||
          __builtin_add_overflow(a, adj[static_cast<size_t>(i)], &a) ||
          __builtin_sub_overflow(a, pads[static_cast<size_t>(i)], &a) ||
          __builtin_sub_overflow(a, pads[static_cast<size_t>(i) + 2], &a))
        return Overflow(ctx, "the output size");
      if (a < 1) return ctx.Error("pads leave no output");
      o[i] = a;
    }
    oh = o[0];
    ow = o[1];
  }
  return Want(ctx, 0, {x.shape[0], oh, ow, cout});
}

Status Pool(const NodeContext& ctx, bool avg) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& x = *ctx.inputs[0];
  const TensorRef& y = *ctx.outputs[0];
  const Shape k = ctx.Ints("kernel", {});
  const Shape s = ctx.Ints("strides", {1, 1});
  const Shape p = ctx.Ints("pads", {0, 0, 0, 0});
  const Shape d = ctx.Ints("dilations", {1, 1});
  if (k.size() != 2 || s.size() != 2 || p.size() != 4 || d.size() != 2)
    return ctx.Error("needs kernel [h,w], strides [h,w], pads [t,l,b,r], dilations [h,w]");
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, k, 1, "kernel"));
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, s, 1, "strides"));
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, d, 1, "dilations"));
  for (int64_t v : p)
    if (v < 0) return ctx.Error("negative pads " + ShapeToString(p));
  if (avg && (d[0] != 1 || d[1] != 1)) return ctx.Error("average pooling has no dilations");
  if (x.rank() != 4) return ctx.Error("needs an NHWC input, got " + ShapeToString(x.shape));
  int64_t oh, ow;
  EDGERT_RETURN_IF_ERROR(WindowOut(ctx, x.shape[1], p[0], p[2], k[0], s[0], d[0], &oh));
  EDGERT_RETURN_IF_ERROR(WindowOut(ctx, x.shape[2], p[1], p[3], k[1], s[1], d[1], &ow));
  // Average pooling may have one more row or column (ONNX ceil_mode, kernel.h PoolGeometry).
  if (avg && y.rank() == 4 && y.shape[0] == x.shape[0] && y.shape[3] == x.shape[3] &&
      (y.shape[1] == oh || y.shape[1] - 1 == oh) && (y.shape[2] == ow || y.shape[2] - 1 == ow))
    return Status::Ok();
  return Want(ctx, 0, {x.shape[0], oh, ow, x.shape[3]});
}

Status FullyConnected(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
  const TensorRef& x = *ctx.inputs[0];
  const TensorRef& w = *ctx.inputs[1];
  const TensorRef* b = ctx.In(2);
  if (x.rank() < 1 || w.rank() != 2 || w.shape[1] != x.shape.back())
    return ctx.Error("needs x [..., K] and weights [N, K], got " + ShapeToString(x.shape) +
                     " and " + ShapeToString(w.shape));
  if (b && b->elements() != w.shape[0])
    return ctx.Error("bias has " + std::to_string(b->elements()) + " elements for " +
                     std::to_string(w.shape[0]) + " outputs");
  Shape want = x.shape;
  want.back() = w.shape[0];
  return Want(ctx, 0, want);
}

Status Concat(const NodeContext& ctx) {
  if (ctx.inputs.empty()) return ctx.Error("has no inputs");
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(ctx.inputs.size(), ctx.inputs.size(), 1));
  const TensorRef& first = *ctx.inputs[0];
  int axis;
  EDGERT_RETURN_IF_ERROR(Axis(ctx, "axis", 0, first.rank(), &axis));
  Shape want = first.shape;
  want[static_cast<size_t>(axis)] = 0;
  for (const TensorRef* in : ctx.inputs) {
    bool fits = in->rank() == first.rank();
    for (int d = 0; fits && d < first.rank(); ++d)
      fits = d == axis || in->shape[static_cast<size_t>(d)] == first.shape[static_cast<size_t>(d)];
    if (!fits)
      return ctx.Error("input '" + in->name + "' " + ShapeToString(in->shape) +
                       " does not concatenate with " + ShapeToString(first.shape) + " along axis " +
                       std::to_string(axis));
    if (__builtin_add_overflow(want[static_cast<size_t>(axis)],
                               in->shape[static_cast<size_t>(axis)],
                               &want[static_cast<size_t>(axis)]))
      return Overflow(ctx, "the concatenated size");
  }
  return Want(ctx, 0, want);
}

Status Split(const NodeContext& ctx) {
  if (ctx.outputs.empty()) return ctx.Error("has no outputs");
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, ctx.outputs.size()));
  const TensorRef& in = *ctx.inputs[0];
  int axis;
  EDGERT_RETURN_IF_ERROR(Axis(ctx, "axis", 0, in.rank(), &axis));
  const size_t a = static_cast<size_t>(axis);
  const Shape split = ctx.Ints("split", {});
  if (!split.empty() && split.size() != ctx.outputs.size())
    return ctx.Error("split has " + std::to_string(split.size()) + " sizes for " +
                     std::to_string(ctx.outputs.size()) + " outputs");
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, split, 0, "split"));
  int64_t taken = 0;
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    Shape want = in.shape;
    want[a] = split.empty() ? in.shape[a] / static_cast<int64_t>(ctx.outputs.size()) : split[i];
    EDGERT_RETURN_IF_ERROR(Want(ctx, i, want));
    if (__builtin_add_overflow(taken, want[a], &taken)) return Overflow(ctx, "the split sizes");
  }
  if (taken > in.shape[a])
    return ctx.Error("outputs take " + std::to_string(taken) + " along axis " +
                     std::to_string(axis) + ", input has " + std::to_string(in.shape[a]));
  return Status::Ok();
}

Status Slice(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const TensorRef& out = *ctx.outputs[0];
  const size_t rank = in.shape.size();
  const Shape starts = ctx.Ints("starts", Shape(rank, 0));
  const Shape steps = ctx.Ints("steps", Shape(rank, 1));
  if (starts.size() != rank || steps.size() != rank || out.shape.size() != rank)
    return ctx.Error("starts, steps and the output '" + out.name + "' " + ShapeToString(out.shape) +
                     " need one entry per input dimension (input " + ShapeToString(in.shape) + ")");
  for (size_t d = 0; d < rank; ++d) {
    const int64_t n = out.shape[d];
    if (steps[d] == 0 || steps[d] == INT64_MIN)
      return ctx.Error("step " + std::to_string(steps[d]) + " in dimension " + std::to_string(d));
    if (n == 0) continue;
    int64_t last;
    const bool ok = CheckedMul(n - 1, steps[d] < 0 ? -steps[d] : steps[d], &last) &&
                    !__builtin_add_overflow(starts[d], steps[d] < 0 ? -last : last, &last);
    if (!ok || starts[d] < 0 || starts[d] >= in.shape[d] || last < 0 || last >= in.shape[d])
      return ctx.Error("output '" + out.name + "' dimension " + std::to_string(d) + ": " +
                       std::to_string(n) + " elements from " + std::to_string(starts[d]) +
                       " by step " + std::to_string(steps[d]) + " leave the input's " +
                       std::to_string(in.shape[d]));
  }
  return Status::Ok();
}

Status Transpose(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  Shape perm = ctx.Ints("perm", {});
  if (perm.empty())  // ONNX default: reverse the axes
    for (size_t i = in.shape.size(); i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  EDGERT_RETURN_IF_ERROR(Perm(ctx, perm, in.shape.size()));
  return Want(ctx, 0, Permute(in.shape, perm));
}

Status Pad(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const size_t rank = in.shape.size();
  const Shape pads = ctx.Ints("pads", Shape(2 * rank, 0));
  if (pads.size() != 2 * rank)
    return ctx.Error("pads has " + std::to_string(pads.size()) + " entries for rank " +
                     std::to_string(rank));
  Shape want(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (__builtin_add_overflow(in.shape[d], pads[d], &want[d]) ||
        __builtin_add_overflow(want[d], pads[d + rank], &want[d]))
      return Overflow(ctx, "the padded size");
    if (want[d] < 0) return ctx.Error("pads crop dimension " + std::to_string(d) + " below 0");
  }
  return Want(ctx, 0, want);
}

Status Resize(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const TensorRef& out = *ctx.outputs[0];
  if (in.rank() != 4 || out.rank() != 4 || in.shape[0] != out.shape[0] ||
      in.shape[3] != out.shape[3])
    return ctx.Error("needs NHWC input and output with equal N and C, got " +
                     ShapeToString(in.shape) + " -> " + ShapeToString(out.shape));
  return Status::Ok();
}

Status Reduce(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const int rank = in.rank();
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  Shape axes = ctx.Ints("axes", {});
  if (axes.empty())
    for (int d = 0; d < rank; ++d) axes.push_back(d);
  for (int64_t a : axes) {
    if (a < -rank || a >= rank)
      return ctx.Error("axis " + std::to_string(a) + " is out of range for rank " +
                       std::to_string(rank));
    reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
  }
  const bool keep = ctx.Int("keepdims", 1) != 0;
  Shape want;
  for (size_t d = 0; d < reduced.size(); ++d)
    if (!reduced[d])
      want.push_back(in.shape[d]);
    else if (keep)
      want.push_back(1);
  return Want(ctx, 0, want);
}

Status ArgReduce(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  int axis;
  EDGERT_RETURN_IF_ERROR(Axis(ctx, "axis", 0, in.rank(), &axis));
  Shape want = in.shape;
  if (ctx.Int("keepdims", 1) != 0)
    want[static_cast<size_t>(axis)] = 1;
  else
    want.erase(want.begin() + axis);
  EDGERT_RETURN_IF_ERROR(WantDType(ctx, 0, fb::DType_S32));
  return Want(ctx, 0, want);
}

Status GlobalPool(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  if (in.rank() != 4) return ctx.Error("needs an NHWC input, got " + ShapeToString(in.shape));
  return Want(ctx, 0, {in.shape[0], 1, 1, in.shape[3]});
}

Status Softmax(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(SameShape(ctx, 1, 1));
  int axis;
  return Axis(ctx, "axis", -1, ctx.inputs[0]->rank(), &axis);
}

Status LayerNorm(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(SameShape(ctx, 2, 3));
  const TensorRef& x = *ctx.inputs[0];
  int axis;
  EDGERT_RETURN_IF_ERROR(Axis(ctx, "axis", -1, x.rank(), &axis));
  const Shape tail(x.shape.begin() + axis, x.shape.end());
  for (size_t i = 1; i < ctx.inputs.size(); ++i) {
    const TensorRef* t = ctx.inputs[i];
    if (t && t->shape != tail)
      return ctx.Error(std::string(i == 1 ? "scale" : "bias") + " '" + t->name + "' has shape " +
                       ShapeToString(t->shape) +
                       ", expected x.shape[axis:] = " + ShapeToString(tail));
  }
  return Status::Ok();
}

Status MatMul(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
  const TensorRef& a = *ctx.inputs[0];
  const TensorRef& b = *ctx.inputs[1];
  const size_t r = a.shape.size();
  if (r < 2 || b.shape.size() != r)
    return ctx.Error("inputs " + ShapeToString(a.shape) + " and " + ShapeToString(b.shape) +
                     " must have one rank >= 2");
  if (a.shape[r - 1] != b.shape[r - 2])  // the kernels' words (ReadMatMulGeometry)
    return ctx.Error("inputs " + ShapeToString(a.shape) + " and " + ShapeToString(b.shape) +
                     " do not multiply (K " + std::to_string(a.shape[r - 1]) + " vs " +
                     std::to_string(b.shape[r - 2]) + ")");
  Shape want(r);
  for (size_t d = 0; d + 2 < r; ++d) {
    if (a.shape[d] != b.shape[d] && a.shape[d] != 1 && b.shape[d] != 1)
      return ctx.Error("batch dimensions of " + ShapeToString(a.shape) + " and " +
                       ShapeToString(b.shape) + " do not broadcast");
    want[d] = a.shape[d] == 1 ? b.shape[d] : a.shape[d];
  }
  want[r - 2] = a.shape[r - 2];
  want[r - 1] = b.shape[r - 1];
  return Want(ctx, 0, want);
}

Status Gather(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
  const TensorRef& x = *ctx.inputs[0];
  const TensorRef& idx = *ctx.inputs[1];
  if (!idx.constant || idx.dtype != fb::DType_S32)
    return ctx.Error("indices '" + idx.name + "' must be a constant S32 tensor");
  int axis;
  EDGERT_RETURN_IF_ERROR(Axis(ctx, "axis", 0, x.rank(), &axis));
  Shape want(x.shape.begin(), x.shape.begin() + axis);
  want.insert(want.end(), idx.shape.begin(), idx.shape.end());
  want.insert(want.end(), x.shape.begin() + axis + 1, x.shape.end());
  if (want.size() > 8) return ctx.Error("output rank " + std::to_string(want.size()) + " above 8");
  return Want(ctx, 0, want);
}

// ScatterND: data, indices (S32, last dim k in [1, rank of data]), updates (data's dtype, shape
// indices.shape[:-1] + data.shape[k:]) -> data's shape and dtype.
Status ScatterND(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(3, 3, 1));
  const TensorRef& x = *ctx.inputs[0];
  const TensorRef& idx = *ctx.inputs[1];
  const TensorRef& upd = *ctx.inputs[2];
  if (idx.dtype != fb::DType_S32)
    return ctx.Error("indices '" + idx.name + "' is " + fb::EnumNameDType(idx.dtype) +
                     ", expected S32");
  if (idx.rank() < 1 || idx.shape.back() < 1 || idx.shape.back() > x.rank())
    return ctx.Error("indices '" + idx.name + "' " + ShapeToString(idx.shape) +
                     ": expected rank >= 1 and a last dimension in [1, " +
                     std::to_string(x.rank()) + "]");
  if (upd.dtype != x.dtype)
    return ctx.Error("updates '" + upd.name + "' is " + fb::EnumNameDType(upd.dtype) +
                     ", expected data's " + fb::EnumNameDType(x.dtype));
  Shape want(idx.shape.begin(), idx.shape.end() - 1);
  want.insert(want.end(), x.shape.begin() + idx.shape.back(), x.shape.end());
  if (upd.shape != want)
    return ctx.Error("updates '" + upd.name + "' " + ShapeToString(upd.shape) + ", expected " +
                     ShapeToString(want));
  const std::string red = ctx.Str("reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" && red != "min")
    return ctx.Error("reduction '" + red + "', expected none, add, mul, max or min");
  EDGERT_RETURN_IF_ERROR(WantDType(ctx, 0, x.dtype));
  return Want(ctx, 0, x.shape);
}

Status Expand(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const TensorRef& out = *ctx.outputs[0];
  bool ok = in.rank() == out.rank();
  for (size_t d = 0; ok && d < in.shape.size(); ++d)
    ok = in.shape[d] == out.shape[d] || in.shape[d] == 1;
  if (!ok)
    return ctx.Error("input '" + in.name + "' " + ShapeToString(in.shape) +
                     " does not broadcast to output '" + out.name + "' " +
                     ShapeToString(out.shape));
  return Status::Ok();
}

Status Tile(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const Shape repeats = ctx.Ints("repeats", {});
  if (repeats.size() != in.shape.size())
    return ctx.Error("repeats has " + std::to_string(repeats.size()) + " entries for rank " +
                     std::to_string(in.shape.size()));
  EDGERT_RETURN_IF_ERROR(AllAtLeast(ctx, repeats, 1, "repeats"));
  Shape want(in.shape.size());
  for (size_t d = 0; d < want.size(); ++d)
    if (!CheckedMul(in.shape[d], repeats[d], &want[d])) return Overflow(ctx, "the tiled size");
  return Want(ctx, 0, want);
}

Status Cast(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(SameShape(ctx, 1, 1));
  const int64_t to = ctx.Int("to", -1);
  const fb::DType out = ctx.outputs[0]->dtype;
  if (to != static_cast<int64_t>(out))
    return ctx.Error("to " + std::to_string(to) + " is not the output's dtype " +
                     fb::EnumNameDType(out) + " (" + std::to_string(static_cast<int>(out)) + ")");
  return Status::Ok();
}

Status Compare(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(Elementwise(ctx, 2));
  return WantDType(ctx, 0, fb::DType_U8);
}

// InputAdapter: the model input's valid shape, transposed by perm, in the output's element
// count (and shape where the ranks agree); NV12 keeps its planes.
Status InputAdapter(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const TensorRef& out = *ctx.outputs[0];
  if (!in.io) return ctx.Error("input '" + in.name + "' is not a model input buffer");
  const TensorDesc& d = *in.io;
  if (ElementSize(d.type) != out.element_size)
    return ctx.Error(std::string("input type ") + TensorTypeName(d.type) +
                     " does not match the output's element size");
  if (static_cast<int64_t>(out.bytes()) != d.valid_byte_size())
    return ctx.Error("output '" + out.name + "' " + ShapeToString(out.shape) + " has " +
                     std::to_string(out.bytes()) + " bytes, the input's valid data " +
                     std::to_string(d.valid_byte_size()));
  if (d.type == TensorType::kImgNv12) return Status::Ok();
  const size_t rank = d.valid_shape.size();
  Shape perm = ctx.Ints("perm", {});
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(i));
  EDGERT_RETURN_IF_ERROR(Perm(ctx, perm, rank));
  if (out.shape.size() == rank) return Want(ctx, 0, Permute(d.valid_shape, perm));
  return Status::Ok();
}

// OutputAdapter: the input transposed by perm is the model output's valid shape.
Status OutputAdapter(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  const TensorRef& out = *ctx.outputs[0];
  if (!out.io) return ctx.Error("output '" + out.name + "' is not a model output buffer");
  Shape perm = ctx.Ints("perm", {});
  if (perm.empty())
    for (size_t i = 0; i < in.shape.size(); ++i) perm.push_back(static_cast<int64_t>(i));
  EDGERT_RETURN_IF_ERROR(Perm(ctx, perm, in.shape.size()));
  const Shape shape = Permute(in.shape, perm);
  if (shape != out.io->valid_shape)
    return ctx.Error("input '" + in.name + "' transposed is " + ShapeToString(shape) +
                     ", the output's valid shape is " + ShapeToString(out.io->valid_shape));
  return Status::Ok();
}

// ColorConvert: image input N,H,W (by its layout) -> F32 [N,H,W,C_train].
Status ColorConvert(const NodeContext& ctx) {
  EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
  const TensorRef& in = *ctx.inputs[0];
  if (!in.io || !IsImageType(in.io->type) || in.io->valid_shape.size() != 4)
    return ctx.Error("input '" + in.name + "' is not a 4-D image model input buffer");
  const TensorDesc& d = *in.io;
  const bool nchw = d.layout == Layout::kNCHW;
  const int64_t c = ctx.Str("train", "") == "gray" ? 1 : 3;
  EDGERT_RETURN_IF_ERROR(WantDType(ctx, 0, fb::DType_F32));
  return Want(ctx, 0,
              {d.valid_shape[0], d.valid_shape[nchw ? 2 : 1], d.valid_shape[nchw ? 3 : 2], c});
}

}  // namespace

Status CheckNodeShapes(const NodeContext& ctx) {
  // No default: -Wswitch (an error here) names any OpType this switch forgets.
  switch (ctx.op) {
    case fb::OpType_Unknown:
      break;
    case fb::OpType_InputAdapter:
      return InputAdapter(ctx);
    case fb::OpType_OutputAdapter:
      return OutputAdapter(ctx);
    case fb::OpType_ColorConvert:
      return ColorConvert(ctx);
    case fb::OpType_Conv2D:
      return Conv(ctx, false);
    case fb::OpType_ConvTranspose2D:
      return Conv(ctx, true);
    case fb::OpType_FullyConnected:
      return FullyConnected(ctx);
    case fb::OpType_MaxPool2D:
      return Pool(ctx, false);
    case fb::OpType_AvgPool2D:
      return Pool(ctx, true);
    case fb::OpType_GlobalAvgPool:
    case fb::OpType_GlobalMaxPool:
      return GlobalPool(ctx);
    case fb::OpType_Add:
    case fb::OpType_Sub:
    case fb::OpType_Mul:
    case fb::OpType_Div:
    case fb::OpType_PRelu:
    case fb::OpType_Pow:
    case fb::OpType_Mod:
      return Elementwise(ctx, 2);
    case fb::OpType_Equal:
    case fb::OpType_Greater:
    case fb::OpType_Less:
      return Compare(ctx);
    case fb::OpType_Where:
      return Elementwise(ctx, 3);
    case fb::OpType_Clamp:
    case fb::OpType_LeakyRelu:
    case fb::OpType_Sigmoid:
    case fb::OpType_Tanh:
    case fb::OpType_HardSigmoid:
    case fb::OpType_HardSwish:
    case fb::OpType_Swish:
    case fb::OpType_Normalize:
    case fb::OpType_Quantize:
    case fb::OpType_Dequantize:
    case fb::OpType_Requantize:
    case fb::OpType_Sqrt:
    case fb::OpType_Reciprocal:
    case fb::OpType_Exp:
    case fb::OpType_Log:
    case fb::OpType_Abs:
    case fb::OpType_Neg:
    case fb::OpType_Erf:
    case fb::OpType_Not:
    case fb::OpType_Gelu:
      return SameShape(ctx, 1, 1);
    case fb::OpType_Cast:
      return Cast(ctx);
    case fb::OpType_Concat:
      return Concat(ctx);
    case fb::OpType_Split:
      return Split(ctx);
    case fb::OpType_Slice:
      return Slice(ctx);
    case fb::OpType_Reshape:
    case fb::OpType_Copy:
      return SameBytes(ctx);
    case fb::OpType_Transpose:
      return Transpose(ctx);
    case fb::OpType_Pad:
      return Pad(ctx);
    case fb::OpType_Resize:
      return Resize(ctx);
    case fb::OpType_Softmax:
      return Softmax(ctx);
    case fb::OpType_ReduceMean:
    case fb::OpType_ReduceSum:
    case fb::OpType_ReduceMax:
    case fb::OpType_ReduceMin:
      return Reduce(ctx);
    case fb::OpType_LayerNorm:
      return LayerNorm(ctx);
    case fb::OpType_MatMul:
      return MatMul(ctx);
    case fb::OpType_Gather:
      return Gather(ctx);
    case fb::OpType_Expand:
      return Expand(ctx);
    case fb::OpType_Tile:
      return Tile(ctx);
    case fb::OpType_ArgMax:
    case fb::OpType_ArgMin:
      return ArgReduce(ctx);
    case fb::OpType_ScatterND:
      return ScatterND(ctx);
  }
  return ctx.Error(
      "op " + std::to_string(static_cast<int>(ctx.op)) +
      " has no shape rule (runtime/src/engine/shape_check.cc), so it cannot be checked");
}

Result<uint64_t> WorkingMemoryLimit() {
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  if (const char* env = std::getenv("EDGERT_MAX_WORKING_MB")) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    if (errno || end == env || *end || env[0] == '-' || mb == 0 || mb > (UINT64_MAX >> 20))
      return InvalidArgument(std::string("EDGERT_MAX_WORKING_MB is '") + env +
                             "', expected a whole number of MiB from 1 to " +
                             std::to_string(UINT64_MAX >> 20));
    return static_cast<uint64_t>(mb) * kMiB;
  }
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return uint64_t{1} << 62;  // unknown: no limit but overflow's
  return static_cast<uint64_t>(pages) / 2 * static_cast<uint64_t>(page);
}

std::string DescribeBytes(uint64_t bytes) {
  char mib[32];
  std::snprintf(mib, sizeof(mib), "%.1f", static_cast<double>(bytes) / (1 << 20));
  return std::string(mib) + " MiB (" + std::to_string(bytes) + " bytes)";
}

}  // namespace edgert::engine
