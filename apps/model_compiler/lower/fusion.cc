// Named fusions; see fusion.h.

#include "model_compiler/lower/fusion.h"

#include <algorithm>
#include <set>

namespace edgert::compiler {
namespace {

// IR ops that take activation_min/activation_max, so a following Relu/Clip can fuse into them.
bool TakesActivation(const std::string& op) {
  static const std::set<std::string> ops = {
      "Conv2D", "ConvTranspose2D", "FullyConnected", "MaxPool2D", "AvgPool2D", "Add", "Sub", "Mul",
      "Div"};
  return ops.count(op) > 0;
}

}  // namespace

bool FuseClampIntoProducer(Lowerer& ctx, const Node& n, float lo, float hi) {
  const int p = ctx.FusibleProducer(n.input(0));
  if (p < 0) return false;
  NodeDef& pn = ctx.m_.nodes[p];
  std::string kmin = "activation_min", kmax = "activation_max";
  if (pn.op == "Clamp") {
    kmin = "min";
    kmax = "max";
  } else if (!TakesActivation(pn.op)) {
    return false;
  }
  const float nlo = std::max(IrFloat(pn, kmin, -kInf), lo);
  const float nhi = std::min(IrFloat(pn, kmax, kInf), hi);
  if (nlo > nhi) return false;
  if (nlo > -kInf) SetIrFloat(pn, kmin, nlo);
  if (nhi < kInf) SetIrFloat(pn, kmax, nhi);
  ctx.Rebind(n.input(0), n.output(0), p, n.op_type());
  return true;
}

bool FuseBatchNormIntoConv(Lowerer& ctx, const Node& n, const std::vector<float>& s,
                           const std::vector<float>& t) {
  const int p = ctx.FusibleProducer(n.input(0));
  if (p < 0) return false;
  NodeDef& conv = ctx.m_.nodes[p];
  if ((conv.op != "Conv2D" && conv.op != "ConvTranspose2D") || FindIrAttr(conv, "activation_min") ||
      FindIrAttr(conv, "activation_max"))
    return false;
  const int64_t c = static_cast<int64_t>(s.size());
  TensorDef& wt = ctx.m_.tensors[conv.inputs[1]];
  std::vector<float> w = TensorFloats(wt);
  const size_t per = w.size() / static_cast<size_t>(c);  // weights are [Cout, ...]
  for (int64_t o = 0; o < c; ++o)
    for (size_t j = 0; j < per; ++j) w[o * per + j] *= s[o];
  SetTensorFloats(wt, w);
  std::vector<float> bias(c, 0.f);
  if (conv.inputs[2] >= 0) bias = TensorFloats(ctx.m_.tensors[conv.inputs[2]]);
  for (int64_t o = 0; o < c; ++o) bias[o] = bias[o] * s[o] + t[o];
  if (conv.inputs[2] >= 0) {
    SetTensorFloats(ctx.m_.tensors[conv.inputs[2]], bias);
  } else {
    const int bt = ctx.ConstTensor(ctx.m_.tensors[conv.inputs[1]].name + "_bn_bias", {c}, bias);
    ctx.m_.nodes[p].inputs[2] = bt;
  }
  ctx.Rebind(n.input(0), n.output(0), p, "BatchNormalization");
  return true;
}

bool FuseSwish(Lowerer& ctx, const Node& n, const Value& a, const Value& b) {
  if (a.is_const || b.is_const) return false;
  for (int k = 0; k < 2; ++k) {
    const Value& other = k == 0 ? b : a;
    const std::string& sig_name = n.input(k);
    const int p = ctx.FusibleProducer(sig_name);
    if (p < 0 || ctx.m_.nodes[p].op != "Sigmoid" || ctx.m_.nodes[p].inputs[0] != other.tensor)
      continue;
    const Value& sig = k == 0 ? a : b;
    if (sig.perm != other.perm || sig.shape != other.shape) continue;
    ctx.m_.nodes[p].op = "Swish";
    ctx.m_.nodes[p].name = ctx.cur_name_;
    ctx.Rebind(sig_name, n.output(0), p, "Mul");
    return true;
  }
  return false;
}

}  // namespace edgert::compiler
