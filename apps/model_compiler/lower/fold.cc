// Constant folding: a node whose inputs are all constants, and whose op has a fold function in
// op_table.cc, becomes constant values of its outputs instead of IR nodes. Folding is what makes
// shape arithmetic (Shape, Gather, Concat, Unsqueeze... on constants) and torch's Identity nodes
// on initializers disappear before lowering sees them.

#include "model_compiler/lower/lowerer.h"
#include "model_compiler/lower/op_table.h"

namespace edgert::compiler {

Status Lowerer::Fold(const Node& n, bool* done) {
  *done = false;
  const OnnxOp* op = FindOnnxOp(n.op_type());
  if (!op || !op->fold) return Status::Ok();
  if (!op->fold_always) {
    if (n.input_size() == 0) return Status::Ok();
    for (int k = 0; k < n.input_size(); ++k) {
      if (!Has(n, k)) continue;
      EDGERT_ASSIGN_OR_RETURN(const Value* v, In(n, k));
      if (!v->is_const) return Status::Ok();
    }
  }
  EDGERT_RETURN_IF_ERROR(op->fold(*this, n));
  *done = true;
  return Status::Ok();
}

}  // namespace edgert::compiler
