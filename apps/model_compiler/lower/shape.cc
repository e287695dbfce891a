// Shape and data movement: Constant, Shape, ConstantOfShape, Identity, Dropout, Cast, Gather,
// Transpose, Reshape, Flatten, Squeeze, Unsqueeze, Concat, Split, Slice, Pad. Folding and
// lowering of an op read its attributes and inputs through one reader (ReadPerm, ReadSlice,
// ReadConcat, ReshapeTarget).

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {
namespace {

// Transpose's perm (default: reversed axes), checked to be a permutation of `rank` axes.
Result<Perm> ReadPerm(Lowerer& ctx, const Node& n, size_t rank) {
  std::vector<int64_t> p64 = AttrInts(n, "perm");
  if (p64.empty())
    for (size_t d = rank; d-- > 0;) p64.push_back(static_cast<int64_t>(d));
  // Checked on the int64 values: a narrowing cast first could turn 2^32 into a valid axis 0.
  std::vector<bool> seen(rank, false);
  bool ok = p64.size() == rank;
  for (int64_t d : p64) {
    ok = ok && d >= 0 && d < static_cast<int64_t>(rank) && !seen[static_cast<size_t>(d)];
    if (ok) seen[static_cast<size_t>(d)] = true;
  }
  if (!ok) {
    std::string text;
    for (int64_t d : p64) text += (text.empty() ? "" : ",") + std::to_string(d);
    return ctx.Bad("perm [" + text + "] is not a permutation of rank " + std::to_string(rank));
  }
  return Perm(p64.begin(), p64.end());
}

// Slice resolved against an input shape: per logical dim the first index, the end (exclusive;
// -1 means "before 0" for negative steps), the step and the output length.
struct SliceSpec {
  Shape begin, end, step, out_shape;
};

Result<SliceSpec> ReadSlice(Lowerer& ctx, const Node& n, const Shape& shape) {
  const int64_t r = static_cast<int64_t>(shape.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (ctx.opset_ < 10) {
    starts = AttrInts(n, "starts");
    ends = AttrInts(n, "ends");
    axes = AttrInts(n, "axes");
  } else {
    EDGERT_ASSIGN_OR_RETURN(Const s, ctx.ConstIn(n, 1, "starts"));
    EDGERT_ASSIGN_OR_RETURN(Const e, ctx.ConstIn(n, 2, "ends"));
    starts = s.Ints();
    ends = e.Ints();
    EDGERT_RETURN_IF_ERROR(ctx.IntsIfGiven(n, 3, "axes", &axes));
    EDGERT_RETURN_IF_ERROR(ctx.IntsIfGiven(n, 4, "steps", &steps));
  }
  if (ends.size() != starts.size() || (!axes.empty() && axes.size() != starts.size()) ||
      (!steps.empty() && steps.size() != starts.size()))
    return ctx.Bad("starts/ends/axes/steps differ in length");
  SliceSpec s{Shape(r, 0), shape, Shape(r, 1), shape};
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t ax = axes.empty() ? static_cast<int64_t>(k) : axes[k];
    if (ax < 0) ax += r;
    if (ax < 0 || ax >= r) return ctx.Bad("axis out of range");
    const int64_t dim = shape[ax];
    const int64_t step = steps.empty() ? 1 : steps[k];
    if (step == 0) return ctx.Bad("step 0");
    int64_t b = starts[k], e = ends[k];
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      b = std::clamp<int64_t>(b, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      s.out_shape[ax] = std::max<int64_t>(0, (e - b + step - 1) / step);
    } else {
      b = std::clamp<int64_t>(b, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      s.out_shape[ax] = std::max<int64_t>(0, (b - e - step - 1) / (-step));
    }
    s.begin[ax] = b;
    s.end[ax] = e;
    s.step[ax] = step;
  }
  return s;
}

// Concat's inputs (legacy empty 1-D placeholders dropped), axis and output shape, checked.
struct ConcatSpec {
  std::vector<const Value*> parts;
  std::vector<std::string> names;
  int64_t axis = 0;
  Shape out_shape;
};

Result<ConcatSpec> ReadConcat(Lowerer& ctx, const Node& n) {
  ConcatSpec c;
  std::vector<const Value*> all;
  for (int k = 0; k < n.input_size(); ++k) {
    EDGERT_ASSIGN_OR_RETURN(const Value* v, ctx.In(n, k));
    all.push_back(v);
  }
  if (all.empty()) return ctx.Bad("no inputs");
  const size_t r = all[0]->shape.size();
  for (size_t k = 0; k < all.size(); ++k) {
    const Value* v = all[k];
    if (Numel(v->shape) == 0 && v->shape.size() == 1 && r > 1) continue;  // legacy empty
    c.parts.push_back(v);
    c.names.push_back(n.input(static_cast<int>(k)));
  }
  int64_t axis = AttrInt(n, "axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(r);
  if (axis < 0 || axis >= static_cast<int64_t>(r)) return ctx.Bad("axis out of range");
  c.axis = axis;
  c.out_shape = all[0]->shape;
  c.out_shape[axis] = 0;
  for (const Value* v : c.parts) {
    if (v->shape.size() != r) return ctx.Bad("inputs differ in rank");
    for (size_t d = 0; d < r; ++d)
      if (static_cast<int64_t>(d) != axis && v->shape[d] != all[0]->shape[d])
        return ctx.Bad("input shapes " + ShapeToString(v->shape) + " and " +
                       ShapeToString(all[0]->shape) + " differ outside the axis");
    c.out_shape[axis] += v->shape[axis];
  }
  return c;
}

Result<Shape> ReshapeTarget(Lowerer& ctx, const Node& n, const Shape& in) {
  const std::string& op = n.op_type();
  const int64_t r = static_cast<int64_t>(in.size());
  if (op == "Flatten") {
    int64_t axis = AttrInt(n, "axis", 1);
    if (axis < 0) axis += r;
    if (axis < 0 || axis > r) return ctx.Bad("axis out of range");
    int64_t a = 1, b = 1;
    for (int64_t d = 0; d < r; ++d) (d < axis ? a : b) *= in[d];
    return Shape{a, b};
  }
  if (op == "Squeeze" || op == "Unsqueeze") {
    std::vector<int64_t> axes;
    if (ctx.opset_ >= 13) {
      EDGERT_RETURN_IF_ERROR(ctx.IntsIfGiven(n, 1, "axes", &axes));
    } else {
      axes = AttrInts(n, "axes");
    }
    if (op == "Squeeze") {
      std::set<int64_t> drop;
      for (int64_t a : axes) drop.insert(a < 0 ? a + r : a);
      Shape out;
      for (int64_t d = 0; d < r; ++d) {
        const bool squeeze = axes.empty() ? in[d] == 1 : drop.count(d) > 0;
        if (squeeze && in[d] != 1)
          return ctx.Bad("cannot squeeze a dimension of size " + std::to_string(in[d]));
        if (!squeeze) out.push_back(in[d]);
      }
      return out;
    }
    const int64_t orank = r + static_cast<int64_t>(axes.size());
    std::set<int64_t> add;
    for (int64_t a : axes) add.insert(a < 0 ? a + orank : a);
    Shape out;
    size_t j = 0;
    for (int64_t d = 0; d < orank; ++d) out.push_back(add.count(d) ? 1 : in[j++]);
    if (j != in.size()) return ctx.Bad("bad Unsqueeze axes");
    return out;
  }
  // Reshape
  std::vector<int64_t> spec;
  if (ctx.opset_ < 5) {
    spec = AttrInts(n, "shape");
  } else {
    EDGERT_ASSIGN_OR_RETURN(Const c, ctx.ConstIn(n, 1, "the shape"));
    spec = c.Ints();
  }
  const bool allowzero = AttrInt(n, "allowzero", 0) != 0;
  Shape out(spec.size());
  int infer = -1;
  int64_t known = 1;
  for (size_t d = 0; d < spec.size(); ++d) {
    if (spec[d] == -1) {
      if (infer >= 0) return ctx.Bad("more than one -1 in the shape");
      infer = static_cast<int>(d);
      continue;
    }
    if (spec[d] < -1)
      return ctx.Bad("shape[" + std::to_string(d) + "] is " + std::to_string(spec[d]) +
                     "; a dimension is >= 0, or -1 for the inferred one");
    if (spec[d] == 0 && !allowzero) {
      if (d >= in.size()) return ctx.Bad("shape 0 refers to a missing input dimension");
      out[d] = in[d];
    } else {
      out[d] = spec[d];
    }
    if (__builtin_mul_overflow(known, out[d], &known))
      return ctx.Bad("the shape's element count overflows 64 bits");
  }
  if (infer >= 0) {
    if (known == 0 || Numel(in) % known != 0)
      return ctx.Bad("cannot infer -1 reshaping " + ShapeToString(in));
    out[infer] = Numel(in) / known;
  }
  if (Numel(out) != Numel(in))
    return ctx.Bad("cannot reshape " + ShapeToString(in) + " to " + ShapeToString(out));
  return out;
}

// The constant of shape `shape` whose element k is a's element offsets[k].
Const PickConst(const Const& a, Shape shape, const std::vector<int64_t>& offsets) {
  Const c;
  c.shape = std::move(shape);
  c.is_int = a.is_int;
  for (int64_t off : offsets) {
    if (a.is_int) {
      c.i.push_back(a.i[static_cast<size_t>(off)]);
    } else {
      c.f.push_back(a.f[static_cast<size_t>(off)]);
    }
  }
  return c;
}

// Gather against a data shape: the axis (normalized), the indices (normalized to [0, dim),
// each checked), the output shape and the element counts around the axis.
struct GatherSpec {
  int64_t axis = 0, outer = 1, inner = 1;
  Shape idx_shape, out_shape;
  std::vector<int64_t> ids;
};

Result<GatherSpec> ReadGather(Lowerer& ctx, const Node& n, const Shape& shape) {
  const int64_t r = static_cast<int64_t>(shape.size());
  EDGERT_ASSIGN_OR_RETURN(Const idx, ctx.ConstIn(n, 1, "indices"));
  GatherSpec g;
  g.axis = AttrInt(n, "axis", 0);
  if (g.axis < -r || g.axis >= r)
    return ctx.Bad("axis " + std::to_string(g.axis) + " out of range for rank " +
                   std::to_string(r));
  if (g.axis < 0) g.axis += r;
  const int64_t dim = shape[static_cast<size_t>(g.axis)];
  g.idx_shape = idx.shape;
  for (int64_t id : idx.Ints()) {
    const int64_t j = id < 0 ? id + dim : id;
    if (j < 0 || j >= dim)
      return ctx.Bad("index " + std::to_string(id) + " out of range for axis " +
                     std::to_string(g.axis) + " of size " + std::to_string(dim));
    g.ids.push_back(j);
  }
  for (int64_t d = 0; d < g.axis; ++d) {
    g.out_shape.push_back(shape[d]);
    g.outer *= shape[d];
  }
  for (int64_t d : idx.shape) g.out_shape.push_back(d);
  for (int64_t d = g.axis + 1; d < r; ++d) {
    g.out_shape.push_back(shape[d]);
    g.inner *= shape[d];
  }
  return g;
}

// Expand's output shape: x and the shape input broadcast both ways (numpy).
Result<Shape> ExpandTarget(Lowerer& ctx, const Node& n, const Shape& x) {
  EDGERT_ASSIGN_OR_RETURN(Const shape, ctx.ConstIn(n, 1, "the shape"));
  auto out = BroadcastShapes(x, shape.Ints());
  if (!out.ok())
    return ctx.Bad("input " + ShapeToString(x) + " does not broadcast to shape " +
                   ShapeToString(shape.Ints()));
  return *out;
}

// Tile's repeats, one per dim, each >= 0 (0 gives an empty output).
Result<std::vector<int64_t>> TileRepeats(Lowerer& ctx, const Node& n, const Shape& x) {
  EDGERT_ASSIGN_OR_RETURN(Const rc, ctx.ConstIn(n, 1, "repeats"));
  std::vector<int64_t> reps = rc.Ints();
  if (reps.size() != x.size())
    return ctx.Bad("repeats has " + std::to_string(reps.size()) + " values for an input of rank " +
                   std::to_string(x.size()));
  for (int64_t r : reps)
    if (r < 0) return ctx.Bad("repeats " + ShapeToString(reps) + " has a negative value");
  return reps;
}

Status EmitReshape(Lowerer& ctx, const Value& x, const Shape& out_shape,
                   const std::string& out_name, const std::string& source_op) {
  // The stored bytes are in logical order when the non-1 dims keep their relative order.
  int last = -1;
  bool in_order = true;
  for (int d : x.perm) {
    if (x.shape[d] == 1) continue;
    in_order = in_order && d > last;
    last = d;
  }
  const int in = in_order ? x.tensor : ctx.Logical(x, out_name);
  const int out = ctx.NewTensor(out_name, out_shape, x.dtype);
  ctx.Emit(ctx.cur_name_, "Reshape", {in}, {out}, {}, source_op);
  ctx.SetAct(out_name, out, out_shape, IdentityPerm(out_shape.size()));
  return Status::Ok();
}

// Dropout runs as inference: the data output is the input. Training mode is refused unless the
// ratio is a constant 0, where it too is the identity (ONNX: mask all true, scale 1/(1-0));
// torch writes that for attention dropout with p=0 (torchvision's Swin) when exported with
// TrainingMode.PRESERVE. The mask output is then all true whatever the data: a constant bool
// (0/1 integers, as comparisons fold) of the data's shape.
Status CheckDropout(Lowerer& ctx, const Node& n) {
  if (ctx.Has(n, 2)) {
    EDGERT_ASSIGN_OR_RETURN(Const t, ctx.ConstIn(n, 2, "training_mode"));
    if (t.size() > 0 && t.At(0) != 0) {
      if (!ctx.Has(n, 1)) return ctx.NotSupported("training_mode true with the default ratio 0.5");
      EDGERT_ASSIGN_OR_RETURN(Const r, ctx.ConstIn(n, 1, "ratio (training_mode true)"));
      if (r.size() != 1 || r.At(0) != 0)
        return ctx.NotSupported("training_mode true with a ratio other than 0");
    }
  }
  if (n.output_size() > 1 && !n.output(1).empty()) {
    EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
    int64_t count = 1;
    for (int64_t d : x->shape) count *= d;
    ctx.SetConst(n.output(1),
                 Const::FromInts(x->shape, std::vector<int64_t>(static_cast<size_t>(count), 1)));
  }
  return Status::Ok();
}

}  // namespace

// ---- folding ----

Status FoldConstant(Lowerer& ctx, const Node& n) {
  Const c;
  if (const auto* a = FindAttr(n, "value")) {
    EDGERT_ASSIGN_OR_RETURN(c,
                            ReadTensor(a->t(), ctx.label_ + ": Constant '" + ctx.cur_name_ + "'"));
  } else if (const auto* a = FindAttr(n, "value_float")) {
    c = Const::FromFloats({}, {a->f()});
  } else if (const auto* a = FindAttr(n, "value_floats")) {
    std::vector<float> v(a->floats().begin(), a->floats().end());
    c = Const::FromFloats({static_cast<int64_t>(v.size())}, v);
  } else if (const auto* a = FindAttr(n, "value_int")) {
    c = Const::FromInts({}, {a->i()});
  } else if (const auto* a = FindAttr(n, "value_ints")) {
    std::vector<int64_t> v(a->ints().begin(), a->ints().end());
    c = Const::FromInts({static_cast<int64_t>(v.size())}, v);
  } else {
    return ctx.NotSupported("only value, value_float(s) and value_int(s) are supported");
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

// Shape needs only the input's (static) shape, whether or not it is a constant.
Status FoldShape(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const int64_t r = static_cast<int64_t>(x->shape.size());
  int64_t start = AttrInt(n, "start", 0), end = AttrInt(n, "end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, start, r);
  std::vector<int64_t> dims(x->shape.begin() + start, x->shape.begin() + end);
  ctx.SetConst(n.output(0), Const::FromInts({static_cast<int64_t>(dims.size())}, dims));
  return Status::Ok();
}

Status FoldConstantOfShape(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(Const s, ctx.ConstIn(n, 0, "the shape"));
  Const c;
  c.shape = s.Ints();
  Const value = Const::FromFloats({1}, {0.f});
  if (const auto* a = FindAttr(n, "value")) {
    EDGERT_ASSIGN_OR_RETURN(value,
                            ReadTensor(a->t(), ctx.label_ + ": '" + ctx.cur_name_ + "' value"));
  }
  c.is_int = value.is_int;
  const size_t count = static_cast<size_t>(Numel(c.shape));
  if (c.is_int) {
    c.i.assign(count, value.i.empty() ? 0 : value.i[0]);
  } else {
    c.f.assign(count, value.f.empty() ? 0.f : value.f[0]);
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

// Identity and Dropout (inference: the data output is the input).
Status FoldIdentity(Lowerer& ctx, const Node& n) {
  if (n.op_type() == "Dropout") EDGERT_RETURN_IF_ERROR(CheckDropout(ctx, n));
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  ctx.SetConst(n.output(0), x->c);
  return Status::Ok();
}

Status FoldCast(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Const& a = x->c;
  const int to = static_cast<int>(AttrInt(n, "to", onnx::TensorProto::FLOAT));
  if (IsIntType(to)) {
    std::vector<int64_t> v(a.size());
    for (size_t k = 0; k < v.size(); ++k) {
      if (to == onnx::TensorProto::BOOL) {
        v[k] = a.At(k) != 0;
      } else {
        v[k] = a.is_int ? a.i[k] : SaturatingInt(a.f[k]);
      }
    }
    ctx.SetConst(n.output(0), Const::FromInts(a.shape, v));
  } else {
    ctx.SetConst(n.output(0), Const::FromFloats(a.shape, a.Floats()));
  }
  return Status::Ok();
}

Status FoldGather(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Const& a = x->c;
  EDGERT_ASSIGN_OR_RETURN(GatherSpec g, ReadGather(ctx, n, a.shape));
  const int64_t dim = a.shape[static_cast<size_t>(g.axis)];
  std::vector<int64_t> offsets;
  for (int64_t o = 0; o < g.outer; ++o)
    for (int64_t j : g.ids)
      for (int64_t in = 0; in < g.inner; ++in) offsets.push_back((o * dim + j) * g.inner + in);
  ctx.SetConst(n.output(0), PickConst(a, g.out_shape, offsets));
  return Status::Ok();
}

Status FoldExpand(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Const& a = x->c;
  EDGERT_ASSIGN_OR_RETURN(Shape out, ExpandTarget(ctx, n, a.shape));
  ctx.SetConst(n.output(0), PickConst(a, out, BroadcastOffsets(a.shape, out)));
  return Status::Ok();
}

Status FoldTile(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Const& a = x->c;
  EDGERT_ASSIGN_OR_RETURN(std::vector<int64_t> reps, TileRepeats(ctx, n, a.shape));
  const size_t r = a.shape.size();
  Shape out(r);
  for (size_t d = 0; d < r; ++d) out[d] = a.shape[d] * reps[d];
  std::vector<int64_t> offsets(static_cast<size_t>(Numel(out))), idx(r, 0);
  for (int64_t& off : offsets) {
    off = 0;
    for (size_t d = 0; d < r; ++d) off = off * a.shape[d] + idx[d] % a.shape[d];
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  ctx.SetConst(n.output(0), PickConst(a, out, offsets));
  return Status::Ok();
}

// Range(start, limit, delta): ceil((limit - start) / delta) values (at least 0).
Status FoldRange(Lowerer& ctx, const Node& n) {
  Const v[3];
  const char* what[3] = {"start", "limit", "delta"};
  for (int k = 0; k < 3; ++k) {
    EDGERT_ASSIGN_OR_RETURN(v[k], ctx.ConstIn(n, k, what[k]));
    if (v[k].size() != 1) return ctx.Bad(std::string(what[k]) + " must be a scalar");
  }
  Const c;
  c.is_int = v[0].is_int && v[1].is_int && v[2].is_int;
  if (c.is_int) {
    const int64_t start = v[0].i[0], limit = v[1].i[0], delta = v[2].i[0];
    if (delta == 0) return ctx.Bad("delta is 0");
    const int64_t span = limit - start;
    const int64_t count = std::max<int64_t>(0, span / delta + (span % delta != 0 ? 1 : 0));
    for (int64_t k = 0; k < count; ++k) c.i.push_back(start + k * delta);
  } else {
    // The ONNX function body computes in the input type: the count, then prev += delta.
    const float start = static_cast<float>(v[0].At(0)), limit = static_cast<float>(v[1].At(0));
    const float delta = static_cast<float>(v[2].At(0));
    if (delta == 0.f || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta))
      return ctx.Bad("start, limit and delta must be finite and delta non-zero");
    const double count = std::max(0.f, std::ceil((limit - start) / delta));
    if (count > 1e9) return ctx.Bad("Range of " + std::to_string(count) + " values");
    float x = start;
    for (int64_t k = 0; k < static_cast<int64_t>(count); ++k, x += delta) c.f.push_back(x);
  }
  c.shape = {static_cast<int64_t>(c.size())};
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

// Reshape, Flatten, Squeeze and Unsqueeze of a constant: the same values, a new shape.
Status FoldReshapeLike(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  EDGERT_ASSIGN_OR_RETURN(Shape s, ReshapeTarget(ctx, n, x->shape));
  Const c = x->c;
  c.shape = s;
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

Status FoldTranspose(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Const& a = x->c;
  EDGERT_ASSIGN_OR_RETURN(Perm p, ReadPerm(ctx, n, a.shape.size()));
  Const c;
  c.shape = Permute(a.shape, p);
  c.is_int = a.is_int;
  if (a.is_int) {
    c.i = TransposeData(a.i, a.shape, p);
  } else {
    c.f = TransposeData(a.f, a.shape, p);
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

Status FoldConcat(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(ConcatSpec spec, ReadConcat(ctx, n));
  bool any_float = false;
  for (const Value* v : spec.parts) any_float = any_float || !v->c.is_int;
  int64_t outer = 1;
  for (int64_t d = 0; d < spec.axis; ++d) outer *= spec.out_shape[d];
  Const c;
  c.shape = spec.out_shape;
  c.is_int = !any_float;
  for (int64_t o = 0; o < outer; ++o)
    for (const Value* v : spec.parts) {
      const Const& p = v->c;
      const int64_t chunk = Numel(p.shape) / std::max<int64_t>(outer, 1);
      for (int64_t k = 0; k < chunk; ++k) {
        const size_t src = static_cast<size_t>(o * chunk + k);
        if (c.is_int) {
          c.i.push_back(p.i[src]);
        } else {
          c.f.push_back(static_cast<float>(p.At(src)));
        }
      }
    }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

Status FoldSlice(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Const& a = x->c;
  const int64_t r = static_cast<int64_t>(a.shape.size());
  EDGERT_ASSIGN_OR_RETURN(SliceSpec s, ReadSlice(ctx, n, a.shape));
  const Shape& b = s.begin;
  const Shape& st = s.step;
  const Shape& len = s.out_shape;
  std::vector<int64_t> strides(r, 1);
  for (int64_t d = r - 2; d >= 0; --d) strides[d] = strides[d + 1] * a.shape[d + 1];
  Const c;
  c.shape = len;
  c.is_int = a.is_int;
  const int64_t total = Numel(len);
  std::vector<int64_t> idx(r, 0);
  for (int64_t k = 0; k < total; ++k) {
    int64_t off = 0;
    for (int64_t d = 0; d < r; ++d) off += (b[d] + idx[d] * st[d]) * strides[d];
    if (c.is_int) {
      c.i.push_back(a.i[off]);
    } else {
      c.f.push_back(a.f[off]);
    }
    for (int64_t d = r - 1; d >= 0; --d) {
      if (++idx[d] < len[d]) break;
      idx[d] = 0;
    }
  }
  ctx.SetConst(n.output(0), std::move(c));
  return Status::Ok();
}

// ---- lowering ----

// Identity and Dropout of an activation: the same tensor under a new name.
Status LowerIdentity(Lowerer& ctx, const Node& n) {
  if (n.op_type() == "Dropout") EDGERT_RETURN_IF_ERROR(CheckDropout(ctx, n));
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Value v = *x;
  ctx.SetAct(n.output(0), v.tensor, v.shape, v.perm);
  return Status::Ok();
}

// No data moves: the same stored bytes seen through a new logical order.
Status LowerTranspose(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* x, ctx.In(n, 0));
  const Value v = *x;
  const size_t r = v.shape.size();
  EDGERT_ASSIGN_OR_RETURN(Perm p, ReadPerm(ctx, n, r));
  const Perm inv_p = InversePerm(p);
  Perm out_perm(r);
  for (size_t i = 0; i < r; ++i) out_perm[i] = inv_p[v.perm[i]];
  ctx.SetAct(n.output(0), v.tensor, Permute(v.shape, p), out_perm);
  return Status::Ok();
}

// Gather on run-time data: the data in logical order, the indices an S32 constant (IR.md).
Status LowerGather(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(GatherSpec g, ReadGather(ctx, n, x.shape));
  const int in = ctx.Logical(x, n.input(0));
  const int idx = ctx.NewTensor(n.input(1), g.idx_shape);
  TensorDef& t = ctx.m_.tensors[static_cast<size_t>(idx)];
  t.dtype = TensorType::kS32;
  std::vector<int32_t> ids(g.ids.begin(), g.ids.end());
  t.data.resize(ids.size() * sizeof(int32_t));
  if (!ids.empty()) std::memcpy(t.data.data(), ids.data(), t.data.size());
  const int out = ctx.NewTensor(n.output(0), g.out_shape, x.dtype);
  ctx.Emit(ctx.cur_name_, "Gather", {in, idx}, {out}, {AttrDef::Int("axis", g.axis)}, "Gather");
  ctx.SetAct(n.output(0), out, g.out_shape, IdentityPerm(g.out_shape.size()));
  return Status::Ok();
}

// Expand and Tile on run-time data: the data in logical order, at the output's rank.
Status LowerExpand(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Shape out_shape, ExpandTarget(ctx, n, x.shape));
  if (out_shape == x.shape) {  // nothing to broadcast
    ctx.SetAct(n.output(0), x.tensor, x.shape, x.perm);
    return Status::Ok();
  }
  int in = ctx.Logical(x, n.input(0));
  if (x.shape.size() < out_shape.size()) {
    Shape padded(out_shape.size() - x.shape.size(), 1);
    padded.insert(padded.end(), x.shape.begin(), x.shape.end());
    const int r =
        ctx.NewTensor(n.input(0) + "_rank" + std::to_string(padded.size()), padded, x.dtype);
    ctx.Emit(ctx.cur_name_ + "/reshape", "Reshape", {in}, {r}, {}, "Expand");
    in = r;
  }
  const int out = ctx.NewTensor(n.output(0), out_shape, x.dtype);
  ctx.Emit(ctx.cur_name_, "Expand", {in}, {out}, {}, "Expand");
  ctx.SetAct(n.output(0), out, out_shape, IdentityPerm(out_shape.size()));
  return Status::Ok();
}

Status LowerTile(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(std::vector<int64_t> reps, TileRepeats(ctx, n, x.shape));
  Shape out_shape(x.shape.size());
  for (size_t d = 0; d < x.shape.size(); ++d) out_shape[d] = x.shape[d] * reps[d];
  if (out_shape == x.shape) {  // every repeat 1 (or a dim of 0 elements)
    ctx.SetAct(n.output(0), x.tensor, x.shape, x.perm);
    return Status::Ok();
  }
  const int in = ctx.Logical(x, n.input(0));
  const int out = ctx.NewTensor(n.output(0), out_shape, x.dtype);
  ctx.Emit(ctx.cur_name_, "Tile", {in}, {out}, {AttrDef::Ints("repeats", reps)}, "Tile");
  ctx.SetAct(n.output(0), out, out_shape, IdentityPerm(out_shape.size()));
  return Status::Ok();
}

Status LowerReshapeLike(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(Shape out_shape, ReshapeTarget(ctx, n, x.shape));
  return EmitReshape(ctx, x, out_shape, n.output(0), n.op_type());
}

Status LowerConcat(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(ConcatSpec spec, ReadConcat(ctx, n));
  const size_t r = spec.out_shape.size();
  Perm target = IdentityPerm(r);
  TensorType dtype = TensorType::kF32;
  for (const Value* v : spec.parts)
    if (!v->is_const) {
      target = v->perm;
      dtype = v->dtype;
      break;
    }
  std::vector<int> tensors;
  for (size_t k = 0; k < spec.parts.size(); ++k) {
    if (Numel(spec.parts[k]->shape) == 0) continue;
    tensors.push_back(ctx.Stored(*spec.parts[k], target, spec.names[k], dtype));
  }
  const int64_t stored_axis = InversePerm(target)[spec.axis];
  const int out = ctx.NewTensor(n.output(0), Permute(spec.out_shape, target), dtype);
  ctx.Emit(ctx.cur_name_, "Concat", tensors, {out}, {AttrDef::Int("axis", stored_axis)}, "Concat");
  ctx.SetAct(n.output(0), out, spec.out_shape, target);
  return Status::Ok();
}

Status LowerSplit(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  int64_t axis = AttrInt(n, "axis", 0);
  if (axis < 0) axis += r;
  if (axis < 0 || axis >= r) return ctx.Bad("axis out of range");
  std::vector<int64_t> sizes;
  if (ctx.opset_ >= 13) {
    EDGERT_RETURN_IF_ERROR(ctx.IntsIfGiven(n, 1, "split", &sizes));
  } else {
    sizes = AttrInts(n, "split");
  }
  const int64_t outs = n.output_size();
  if (sizes.empty()) {
    const int64_t dim = x.shape[axis];
    const int64_t each = (dim + outs - 1) / outs;
    for (int64_t k = 0; k < outs; ++k) sizes.push_back(std::min(each, dim - k * each));
  }
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  if (static_cast<int64_t>(sizes.size()) != outs || total != x.shape[axis])
    return ctx.Bad("split sizes do not match the outputs or the axis length");
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  const int in = ctx.Stored(x, perm, n.input(0));
  std::vector<int> out_t;
  std::vector<Shape> out_shapes;
  for (int64_t k = 0; k < outs; ++k) {
    Shape s = x.shape;
    s[axis] = sizes[k];
    out_shapes.push_back(s);
    out_t.push_back(ctx.NewTensor(n.output(k), Permute(s, perm), x.dtype));
  }
  ctx.Emit(ctx.cur_name_, "Split", {in}, out_t,
           {AttrDef::Int("axis", InversePerm(perm)[axis]), AttrDef::Ints("split", sizes)}, "Split");
  for (int64_t k = 0; k < outs; ++k)
    if (!n.output(k).empty()) ctx.SetAct(n.output(k), out_t[k], out_shapes[k], perm);
  return Status::Ok();
}

Status LowerSlice(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  EDGERT_ASSIGN_OR_RETURN(SliceSpec s, ReadSlice(ctx, n, x.shape));
  const Perm perm = x.perm;
  const int in = ctx.Stored(x, perm, n.input(0));
  const int out = ctx.NewTensor(n.output(0), Permute(s.out_shape, perm), x.dtype);
  ctx.Emit(
      ctx.cur_name_, "Slice", {in}, {out},
      {AttrDef::Ints("starts", Permute(s.begin, perm)), AttrDef::Ints("ends", Permute(s.end, perm)),
       AttrDef::Ints("steps", Permute(s.step, perm))},
      "Slice");
  ctx.SetAct(n.output(0), out, s.out_shape, perm);
  return Status::Ok();
}

Status LowerPad(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  std::vector<int64_t> pads;
  float value = 0.f;
  if (ctx.opset_ < 11) {
    pads = AttrInts(n, "pads");
    value = AttrFloat(n, "value", 0.f);
  } else {
    EDGERT_ASSIGN_OR_RETURN(Const p, ctx.ConstIn(n, 1, "pads"));
    pads = p.Ints();
    if (ctx.Has(n, 2)) {
      EDGERT_ASSIGN_OR_RETURN(Const v, ctx.ConstIn(n, 2, "constant_value"));
      if (v.size() > 0) value = static_cast<float>(v.At(0));
    }
  }
  std::vector<int64_t> axes;
  if (ctx.Has(n, 3)) {
    EDGERT_ASSIGN_OR_RETURN(Const a, ctx.ConstIn(n, 3, "axes"));
    axes = a.Ints();
  } else {
    for (int64_t d = 0; d < r; ++d) axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size()) return ctx.Bad("pads needs 2 values per axis");
  Shape begin(r, 0), end(r, 0);
  const size_t na = axes.size();
  for (size_t k = 0; k < na; ++k) {
    int64_t ax = axes[k] < 0 ? axes[k] + r : axes[k];
    if (ax < 0 || ax >= r) return ctx.Bad("axis out of range");
    begin[ax] = pads[k];
    end[ax] = pads[k + na];
  }
  std::string mode = AttrStr(n, "mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return ctx.NotSupported("Pad mode '" + mode + "'");
  Shape out_shape = x.shape;
  for (int64_t d = 0; d < r; ++d) {
    out_shape[d] += begin[d] + end[d];
    if (out_shape[d] <= 0) return ctx.Bad("padding leaves an empty dimension");
    if (mode == "reflect" && (begin[d] >= x.shape[d] || end[d] >= x.shape[d]))
      return ctx.Bad("reflect padding must be smaller than the dimension");
  }
  const Perm perm = x.is_const ? IdentityPerm(r) : x.perm;
  const int in = ctx.Stored(x, perm, n.input(0));
  std::vector<int64_t> ir_pads = Permute(begin, perm);
  const Shape pe = Permute(end, perm);
  ir_pads.insert(ir_pads.end(), pe.begin(), pe.end());
  const int out = ctx.NewTensor(n.output(0), Permute(out_shape, perm), x.dtype);
  ctx.Emit(ctx.cur_name_, "Pad", {in}, {out},
           {AttrDef::Ints("pads", ir_pads), AttrDef::String("mode", mode),
            AttrDef::Float("value", value)},
           "Pad");
  ctx.SetAct(n.output(0), out, out_shape, perm);
  return Status::Ok();
}

}  // namespace edgert::compiler
