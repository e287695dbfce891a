// Index results: ArgMax and ArgMin, computed on the stored layout (a 4-D NHWC activation reduces
// its stored channel axis) into an S32 tensor (IR.md "Tensors and layout").

#include "model_compiler/lower/lowerer.h"

namespace edgert::compiler {

Status LowerArgMinMax(Lowerer& ctx, const Node& n) {
  EDGERT_ASSIGN_OR_RETURN(const Value* xp, ctx.In(n, 0));
  const Value x = *xp;
  const int64_t r = static_cast<int64_t>(x.shape.size());
  int64_t axis = AttrInt(n, "axis", 0);
  if (axis < -r || axis >= r)
    return ctx.Bad("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(r));
  if (axis < 0) axis += r;
  const bool keepdims = AttrInt(n, "keepdims", 1) != 0;
  const int64_t last = AttrInt(n, "select_last_index", 0);
  const Perm perm = x.is_const ? IdentityPerm(x.shape.size()) : x.perm;
  const int in = ctx.Stored(x, perm, n.input(0));
  const int64_t stored_axis = InversePerm(perm)[static_cast<size_t>(axis)];
  Shape out_shape = x.shape;
  Perm out_perm = perm;
  if (keepdims) {
    out_shape[static_cast<size_t>(axis)] = 1;
  } else {
    // Drop the axis from the shape and from the storage order, renumbering the dims after it.
    out_shape.erase(out_shape.begin() + axis);
    out_perm.clear();
    for (int p : perm)
      if (p != axis) out_perm.push_back(p > axis ? p - 1 : p);
  }
  const int out = ctx.NewTensor(n.output(0), Permute(out_shape, out_perm));
  ctx.m_.tensors[static_cast<size_t>(out)].dtype = TensorType::kS32;
  ctx.Emit(ctx.cur_name_, n.op_type(), {in}, {out},
           {AttrDef::Int("axis", stored_axis), AttrDef::Int("keepdims", keepdims ? 1 : 0),
            AttrDef::Int("select_last_index", last != 0 ? 1 : 0)},
           n.op_type());
  ctx.SetAct(n.output(0), out, out_shape, out_perm);
  return Status::Ok();
}

}  // namespace edgert::compiler
