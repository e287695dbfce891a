// Named fusions; see fusion.h.

#include "model_compiler/lower/fusion.h"

#include <algorithm>
#include <cmath>
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

// The ONNX node that produces `name`, or nullptr (a graph input or initializer).
const Node* Producer(const Lowerer& ctx, const std::string& name) {
  for (const Node& m : ctx.model_.graph().node())
    for (const std::string& o : m.output())
      if (o == name) return &m;
  return nullptr;
}

// The producer of an inner value of a pattern: an `op` node (domain ai.onnx) whose output `name`
// has exactly `uses` readers (graph outputs count as readers); else nullptr.
const Node* Inner(const Lowerer& ctx, const std::string& name, const char* op, int uses = 1) {
  if (ctx.Uses(name) != uses) return nullptr;
  const Node* m = Producer(ctx, name);
  if (!m || m->op_type() != op || !(m->domain().empty() || m->domain() == "ai.onnx"))
    return nullptr;
  return m;
}

// The value of `name` when it is a constant with exactly one element.
bool Scalar(const Lowerer& ctx, const std::string& name, double* v) {
  auto it = ctx.values_.find(name);
  if (it == ctx.values_.end() || !it->second.is_const || it->second.c.size() != 1) return false;
  *v = it->second.c.At(0);
  return true;
}

bool ScalarNear(const Lowerer& ctx, const std::string& name, double want) {
  double v;
  return Scalar(ctx, name, &v) && std::fabs(v - want) <= 1e-4 * std::fabs(want);
}

// For a two-input node: the input that is not the scalar constant `want` (within 1e-4), or "".
std::string OtherThanScalar(const Lowerer& ctx, const Node& m, double want) {
  if (m.input_size() != 2) return "";
  if (ScalarNear(ctx, m.input(1), want)) return m.input(0);
  if (ScalarNear(ctx, m.input(0), want)) return m.input(1);
  return "";
}

bool IsActivation(const Lowerer& ctx, const std::string& name) {
  auto it = ctx.values_.find(name);
  return it != ctx.values_.end() && !it->second.is_const;
}

// A ReduceMean with keepdims over exactly the trailing axes a..rank-1: returns a, else -1.
int64_t TrailingMeanAxis(const Lowerer& ctx, const Node& m, int64_t rank) {
  if (AttrInt(m, "keepdims", 1) != 1) return -1;
  std::vector<int64_t> axes = AttrInts(m, "axes");
  if (ctx.opset_ >= 18) {
    if (m.input_size() < 2 || m.input(1).empty()) return -1;
    auto it = ctx.values_.find(m.input(1));
    if (it == ctx.values_.end() || !it->second.is_const) return -1;
    axes = it->second.c.Ints();
  }
  if (axes.empty()) return -1;
  std::set<int64_t> set;
  for (int64_t a : axes) set.insert(a < 0 ? a + rank : a);
  const int64_t first = *set.begin();
  if (first < 0 || *set.rbegin() != rank - 1 || static_cast<int64_t>(set.size()) != rank - first)
    return -1;
  return first;
}

// x^3 written as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x).
bool IsCube(const Lowerer& ctx, const std::string& name, const std::string& x) {
  if (const Node* p = Inner(ctx, name, "Pow"))
    return p->input(0) == x && ScalarNear(ctx, p->input(1), 3.0);
  const Node* m = Inner(ctx, name, "Mul");
  if (!m) return false;
  for (int k = 0; k < 2; ++k) {
    const Node* sq = Inner(ctx, m->input(1 - k), "Mul");
    if (m->input(k) == x && sq && sq->input(0) == x && sq->input(1) == x) return true;
  }
  return false;
}

// Whether `a` is 1 + Erf(x / sqrt(2)) ("none") or 1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))
// ("tanh"), with every inner value read once; "" otherwise.
std::string GeluForm(const Lowerer& ctx, const std::string& a, const std::string& x) {
  const Node* add = Inner(ctx, a, "Add");
  if (!add) return "";
  const std::string e = OtherThanScalar(ctx, *add, 1.0);
  if (e.empty()) return "";
  if (const Node* erf = Inner(ctx, e, "Erf")) {
    if (const Node* div = Inner(ctx, erf->input(0), "Div"))
      return div->input(0) == x && ScalarNear(ctx, div->input(1), std::sqrt(2.0)) ? "none" : "";
    if (const Node* mul = Inner(ctx, erf->input(0), "Mul"))
      return OtherThanScalar(ctx, *mul, std::sqrt(0.5)) == x ? "none" : "";
    return "";
  }
  const Node* tanh = Inner(ctx, e, "Tanh");
  const Node* t = tanh ? Inner(ctx, tanh->input(0), "Mul") : nullptr;
  if (!t) return "";
  const Node* q = Inner(ctx, OtherThanScalar(ctx, *t, std::sqrt(2.0 / M_PI)), "Add");
  if (!q) return "";
  for (int k = 0; k < 2; ++k) {
    if (q->input(k) != x) continue;
    const Node* c = Inner(ctx, q->input(1 - k), "Mul");
    if (c && IsCube(ctx, OtherThanScalar(ctx, *c, 0.044715), x)) return "tanh";
  }
  return "";
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

Result<bool> FuseLayerNorm(Lowerer& ctx, const Node& n) {
  const std::string& d = n.input(0);
  const Node* sqrt = Inner(ctx, n.input(1), "Sqrt");
  const Node* add = sqrt ? Inner(ctx, sqrt->input(0), "Add") : nullptr;
  if (!add) return false;
  double eps = 0;
  int var_in = 0;
  if (Scalar(ctx, add->input(1), &eps)) {
    var_in = 0;
  } else if (Scalar(ctx, add->input(0), &eps)) {
    var_in = 1;
  } else {
    return false;  // eps computed at run time
  }
  const Node* var = Inner(ctx, add->input(var_in), "ReduceMean");
  const Node* pow = var ? Inner(ctx, var->input(0), "Pow") : nullptr;
  double e = 0;
  if (!pow || pow->input(0) != d || !Scalar(ctx, pow->input(1), &e) || e != 2.0) return false;
  const Node* sub = Inner(ctx, d, "Sub", 2);  // read by the Pow and this Div only
  if (!sub) return false;
  const std::string& x = sub->input(0);
  const Node* mean = Inner(ctx, sub->input(1), "ReduceMean");
  if (!mean || mean->input(0) != x || !IsActivation(ctx, x) || eps < 0) return false;
  const Value xv = ctx.values_.at(x);
  const int64_t r = static_cast<int64_t>(xv.shape.size());
  const int64_t axis = TrailingMeanAxis(ctx, *mean, r);
  if (axis < 0 || TrailingMeanAxis(ctx, *var, r) != axis) return false;
  EDGERT_RETURN_IF_ERROR(EmitLayerNorm(ctx, xv, axis, nullptr, nullptr, static_cast<float>(eps),
                                       n.output(0), "ReduceMean+Sub+Pow+ReduceMean+Add+Sqrt+Div"));
  return true;
}

bool FuseLayerNormAffine(Lowerer& ctx, const Node& n, const Value& a, const Value& b) {
  const std::string& op = n.op_type();
  for (int k = 0; k < 2; ++k) {
    const Value& act = k == 0 ? a : b;
    const Value& c = k == 0 ? b : a;
    if (act.is_const || !c.is_const) continue;
    const int p = ctx.FusibleProducer(n.input(k));
    if (p < 0 || ctx.m_.nodes[p].op != "LayerNorm") continue;
    NodeDef& ln = ctx.m_.nodes[p];
    const AttrDef* ax = FindIrAttr(ln, "axis");
    if (!ax || ln.inputs[2] >= 0 || ctx.m_.tensors[ln.inputs[1]].data.empty()) continue;
    const size_t r = act.shape.size();
    const size_t axis = static_cast<size_t>(ax->i);
    if (c.shape.size() > r) continue;
    Shape full(r - c.shape.size(), 1);
    full.insert(full.end(), c.shape.begin(), c.shape.end());
    bool fits = true;
    for (size_t i = 0; i < r; ++i)
      fits = fits && (full[i] == 1 || (i >= axis && full[i] == act.shape[i]));
    if (!fits) continue;
    const Shape norm(act.shape.begin() + static_cast<std::ptrdiff_t>(axis), act.shape.end());
    const Shape cs(full.begin() + static_cast<std::ptrdiff_t>(axis), full.end());
    const std::vector<float> cf = c.c.Floats();
    std::vector<float> v;
    for (int64_t o : BroadcastOffsets(cs, norm)) v.push_back(cf[static_cast<size_t>(o)]);
    if (op == "Mul") {
      TensorDef& st = ctx.m_.tensors[ln.inputs[1]];
      std::vector<float> s = TensorFloats(st);
      for (size_t i = 0; i < s.size(); ++i) s[i] *= v[i];
      SetTensorFloats(st, s);
    } else {
      const int bt = ctx.ConstTensor(n.input(1 - k) + "_ln_bias", norm, v);
      ctx.m_.nodes[p].inputs[2] = bt;
    }
    ctx.Rebind(n.input(k), n.output(0), p, op);
    return true;
  }
  return false;
}

namespace {

// The IR node producing `name` when it may absorb its consumer, also through ONNX Transposes
// that moved no data (they only changed the layout's `perm`): each value on the way has one
// reader and is no graph output, and the IR tensor has no other ONNX name. -1 otherwise.
int FusibleThroughTransposes(const Lowerer& ctx, const std::string& name) {
  const int direct = ctx.FusibleProducer(name);
  if (direct >= 0) return direct;
  auto it = ctx.values_.find(name);
  if (it == ctx.values_.end() || it->second.is_const) return -1;
  const int t = it->second.tensor;
  int names = 1;
  std::string cur = name;
  while (const Node* tr = Inner(ctx, cur, "Transpose")) {
    cur = tr->input(0);
    auto in = ctx.values_.find(cur);
    if (in == ctx.values_.end() || in->second.is_const || in->second.tensor != t) return -1;
    ++names;
    if (ctx.Uses(cur) != 1 || ctx.IsGraphOutput(cur)) return -1;
    if (ctx.Aliases(t) == names) return ctx.ProducerNode(t);
  }
  return -1;
}

}  // namespace

bool FuseFullyConnectedAffine(Lowerer& ctx, const Node& n, const Value& a, const Value& b) {
  const std::string& op = n.op_type();
  for (int k = 0; k < 2; ++k) {
    const Value& act = k == 0 ? a : b;
    const Value& c = k == 0 ? b : a;
    if (act.is_const || !c.is_const || c.shape.size() > act.shape.size()) continue;
    const int p = FusibleThroughTransposes(ctx, n.input(k));
    if (p < 0 || ctx.m_.nodes[p].op != "FullyConnected" || ctx.m_.nodes[p].int8) continue;
    NodeDef& fc = ctx.m_.nodes[p];
    if (FindIrAttr(fc, "activation_min") || FindIrAttr(fc, "activation_max")) continue;
    TensorDef& wt = ctx.m_.tensors[fc.inputs[1]];
    if (wt.data.empty() || wt.dtype != TensorType::kF32 || wt.quant.quantized()) continue;
    // The constant may vary only along the logical dim stored last (FC's output channels).
    const size_t r = act.shape.size();
    const size_t ch = static_cast<size_t>(act.perm[r - 1]);
    const int64_t n_out = act.shape[ch];
    Shape full(r - c.shape.size(), 1);
    full.insert(full.end(), c.shape.begin(), c.shape.end());
    bool fits = true;
    for (size_t i = 0; i < r; ++i) fits = fits && (full[i] == 1 || (i == ch && full[i] == n_out));
    if (!fits) continue;
    const std::vector<float> cf = c.c.Floats();
    std::vector<float> v(static_cast<size_t>(n_out));
    for (int64_t o = 0; o < n_out; ++o) v[o] = cf.size() == 1 ? cf[0] : cf[o];
    std::vector<float> bias(v.size(), 0.f);
    if (fc.inputs[2] >= 0) bias = TensorFloats(ctx.m_.tensors[fc.inputs[2]]);
    if (op == "Mul") {
      std::vector<float> w = TensorFloats(wt);
      const size_t per = w.size() / v.size();  // weights are [N, K]
      for (size_t o = 0; o < v.size(); ++o)
        for (size_t j = 0; j < per; ++j) w[o * per + j] *= v[o];
      SetTensorFloats(wt, w);
      for (size_t o = 0; o < v.size(); ++o) bias[o] *= v[o];
    } else {
      for (size_t o = 0; o < v.size(); ++o) bias[o] += v[o];
    }
    if (fc.inputs[2] >= 0) {
      SetTensorFloats(ctx.m_.tensors[fc.inputs[2]], bias);
    } else {
      fc.inputs[2] = ctx.ConstTensor(wt.name + "_bias", {n_out}, bias);
    }
    ctx.Rebind(n.input(k), n.output(0), p, op);
    return true;
  }
  return false;
}

Result<bool> FuseGelu(Lowerer& ctx, const Node& n) {
  // The three factors of the two Muls: 0.5, x and 1 + f(x), in any order.
  for (int k = 0; k < 2; ++k) {
    const Node* inner = Inner(ctx, n.input(k), "Mul");
    if (!inner) continue;
    const std::string f[3] = {n.input(1 - k), inner->input(0), inner->input(1)};
    for (int h = 0; h < 3; ++h) {
      if (!ScalarNear(ctx, f[h], 0.5)) continue;
      for (int j = 0; j < 3; ++j) {
        const int a = 3 - h - j;  // the third factor
        if (j == h || !IsActivation(ctx, f[j])) continue;
        const std::string form = GeluForm(ctx, f[a], f[j]);
        if (form.empty()) continue;
        const Value x = ctx.values_.at(f[j]);
        const int in = ctx.Stored(x, x.perm, f[j]);
        const int y = ctx.NewTensor(n.output(0), Permute(x.shape, x.perm));
        ctx.Emit(ctx.cur_name_, "Gelu", {in}, {y}, {AttrDef::String("approximate", form)},
                 form == "tanh" ? "GELU(tanh)" : "GELU(erf)");
        ctx.SetAct(n.output(0), y, x.shape, x.perm);
        return true;
      }
    }
  }
  return false;
}

}  // namespace edgert::compiler
