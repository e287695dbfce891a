#include "engine/kernel.h"

#include <xnnpack.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace edgert::engine {
namespace {

const fb::Attr* Find(const fb::Node* node, const char* name) {
  if (!node || !node->attrs()) return nullptr;
  return node->attrs()->LookupByKey(name);
}

}  // namespace

bool NodeContext::Has(const char* attr) const { return Find(node, attr) != nullptr; }

int64_t NodeContext::Int(const char* attr, int64_t def) const {
  const fb::Attr* a = Find(node, attr);
  return a ? a->i() : def;
}

float NodeContext::Float(const char* attr, float def) const {
  const fb::Attr* a = Find(node, attr);
  return a ? a->f() : def;
}

std::string NodeContext::Str(const char* attr, const std::string& def) const {
  const fb::Attr* a = Find(node, attr);
  return a && a->s() ? a->s()->str() : def;
}

std::vector<int64_t> NodeContext::Ints(const char* attr, std::vector<int64_t> def) const {
  const fb::Attr* a = Find(node, attr);
  if (!a || !a->ints()) return def;
  return std::vector<int64_t>(a->ints()->begin(), a->ints()->end());
}

std::vector<float> NodeContext::Floats(const char* attr, std::vector<float> def) const {
  const fb::Attr* a = Find(node, attr);
  if (!a || !a->floats()) return def;
  return std::vector<float>(a->floats()->begin(), a->floats()->end());
}

std::string NodeContext::Where() const {
  return "node " + std::to_string(index) + " '" + name + "' (" + fb::EnumNameOpType(op) + ")";
}

Status NodeContext::Error(const std::string& msg) const {
  return EngineError(Where() + ": " + msg);
}

Status NodeContext::Decline(const std::string& msg) const {
  return Unsupported(Where() + ": " + msg);
}

Status NodeContext::CheckArity(size_t min_in, size_t max_in, size_t outs) const {
  if (inputs.size() < min_in || inputs.size() > max_in)
    return Error("has " + std::to_string(inputs.size()) + " inputs, expected " +
                 (min_in == max_in ? std::to_string(min_in)
                                   : std::to_string(min_in) + ".." + std::to_string(max_in)));
  for (size_t i = 0; i < min_in; ++i)
    if (!inputs[i]) return Error("input " + std::to_string(i) + " is absent but required");
  if (outputs.size() != outs)
    return Error("has " + std::to_string(outputs.size()) + " outputs, expected " +
                 std::to_string(outs));
  return Status::Ok();
}

bool NodeContext::OverreadSafe(const TensorRef& t) const {
  if (!t.constant) return true;  // the arena ends with XNN_EXTRA_BYTES of slack
  const uint8_t* end = model->data_section + model->data_size;
  return t.data + t.bytes() + XNN_EXTRA_BYTES <= end;
}

KernelFactory KernelProvider::Find(fb::OpType op, fb::DType dtype) const {
  for (const Entry& e : entries_)
    if (e.op == op && e.dtype == dtype) return e.factory;
  return nullptr;
}

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

U8Prediction KernelProvider::PredictU8(const NodeContext&) const {
  U8Prediction p;
  p.takes = true;
  return p;
}

void KernelProvider::Register(fb::OpType op, fb::DType dtype, KernelFactory factory) {
  entries_.push_back({op, dtype, factory});
}

void KernelProvider::RegisterAllDTypes(fb::OpType op, KernelFactory factory) {
  for (int d = fb::DType_MIN; d <= fb::DType_MAX; ++d)
    Register(op, static_cast<fb::DType>(d), factory);
}

namespace {
std::atomic<bool> xnnpack_enabled{true};
std::atomic<bool> dnnl_enabled{true};
}  // namespace

void SetXnnpackEnabledForTesting(bool enabled) { xnnpack_enabled = enabled; }
void SetDnnlEnabledForTesting(bool enabled) { dnnl_enabled = enabled; }

#ifndef EDGERT_HAVE_DNNL
const KernelProvider* DnnlProvider() { return nullptr; }
size_t DnnlKernelCountForTesting() { return 0; }
void SetDnnlInt8DeclineForTesting(const std::string&) {}
std::string DnnlIsa(bool* vnni) {
  *vnni = false;
  return "";
}
#endif

std::vector<const KernelProvider*> Providers() {
  if (!xnnpack_enabled) return {&Int8Provider(), &PortableProvider(), &PreprocessProvider()};
  // oneDNN first: it registers only Conv2D (f32 and int8), and declines what it cannot run.
  std::vector<const KernelProvider*> p;
  if (const KernelProvider* dnnl = dnnl_enabled ? DnnlProvider() : nullptr) p.push_back(dnnl);
  for (const KernelProvider* q :
       {&Int8Provider(), &XnnpackProvider(), &PortableProvider(), &PreprocessProvider()})
    p.push_back(q);
  return p;
}

Status CheckOutShape(const NodeContext& ctx, const TensorRef& t, const std::vector<int64_t>& want) {
  if (t.shape != want)
    return ctx.Error("output '" + t.name + "' has shape " + ShapeToString(t.shape) + ", expected " +
                     ShapeToString(want));
  return Status::Ok();
}

Status ReadConvGeometry(const NodeContext& ctx, bool transpose, ConvGeometry* g) {
  const TensorRef* x = ctx.In(0);
  const TensorRef* w = ctx.In(1);
  const TensorRef* b = ctx.In(2);
  const TensorRef* y = ctx.Out(0);
  if (!x || !w || !y || x->rank() != 4 || w->rank() != 4 || y->rank() != 4)
    return ctx.Error("needs NHWC input/output and [Cout,KH,KW,Cin/group] weights" +
                     (x && w ? ", got " + ShapeToString(x->shape) + ", " + ShapeToString(w->shape)
                             : std::string()));
  g->pads = ctx.Ints("pads", {0, 0, 0, 0});
  g->strides = ctx.Ints("strides", {1, 1});
  g->dilations = ctx.Ints("dilations", {1, 1});
  g->output_padding = ctx.Ints("output_padding", {0, 0});
  g->group = ctx.Int("group", 1);
  const auto& pads = g->pads;
  const auto& st = g->strides;
  const auto& dil = g->dilations;
  const auto& adj = g->output_padding;
  if (pads.size() != 4 || st.size() != 2 || dil.size() != 2 || adj.size() != 2 || g->group < 1)
    return ctx.Error("needs pads [t,l,b,r], strides [h,w], dilations [h,w], group >= 1");
  for (int64_t v : pads)
    if (v < 0) return ctx.Error("negative pads");
  if (std::min({st[0], st[1], dil[0], dil[1]}) < 1)
    return ctx.Error("strides and dilations must be >= 1");
  g->n = x->shape[0];
  g->h = x->shape[1];
  g->w = x->shape[2];
  g->cin = x->shape[3];
  g->cout = w->shape[0];
  g->kh = w->shape[1];
  g->kw = w->shape[2];
  if (g->cin % g->group || g->cout % g->group || w->shape[3] != g->cin / g->group)
    return ctx.Error("weights " + ShapeToString(w->shape) + " do not fit " +
                     std::to_string(g->cin) + " input channels in " + std::to_string(g->group) +
                     " groups");
  if (b && b->elements() != g->cout)
    return ctx.Error("bias has " + std::to_string(b->elements()) + " elements for " +
                     std::to_string(g->cout) + " output channels");
  const int64_t ekh = (g->kh - 1) * dil[0] + 1, ekw = (g->kw - 1) * dil[1] + 1;
  if (!transpose) {
    g->oh = (g->h + pads[0] + pads[2] - ekh) / st[0] + 1;
    g->ow = (g->w + pads[1] + pads[3] - ekw) / st[1] + 1;
  } else {
    g->oh = (g->h - 1) * st[0] + ekh + adj[0] - pads[0] - pads[2];
    g->ow = (g->w - 1) * st[1] + ekw + adj[1] - pads[1] - pads[3];
  }
  return CheckOutShape(ctx, *y, {g->n, g->oh, g->ow, g->cout});
}

Status ReadPoolGeometry(const NodeContext& ctx, bool avg, PoolGeometry* g) {
  const TensorRef* x = ctx.In(0);
  const TensorRef* y = ctx.Out(0);
  const std::vector<int64_t> k = ctx.Ints("kernel", {});
  const std::vector<int64_t> s = ctx.Ints("strides", {1, 1});
  const std::vector<int64_t> p = ctx.Ints("pads", {0, 0, 0, 0});
  const std::vector<int64_t> d = ctx.Ints("dilations", {1, 1});
  if (k.size() != 2 || s.size() != 2 || p.size() != 4 || d.size() != 2)
    return ctx.Error("needs kernel [h,w], strides [h,w], pads [t,l,b,r], dilations [h,w]");
  if (std::min({k[0], k[1], s[0], s[1], d[0], d[1]}) < 1)
    return ctx.Error("kernel, strides and dilations must be >= 1");
  if (std::min({p[0], p[1], p[2], p[3]}) < 0) return ctx.Error("negative pads");
  if (avg && (d[0] != 1 || d[1] != 1)) return ctx.Error("average pooling has no dilations");
  if (!x || !y || x->rank() != 4)
    return ctx.Error("needs an NHWC input" + (x ? ", got " + ShapeToString(x->shape) : ""));
  g->kh = k[0], g->kw = k[1], g->sh = s[0], g->sw = s[1], g->dh = d[0], g->dw = d[1];
  g->pt = p[0], g->pl = p[1], g->pb = p[2], g->pr = p[3];
  g->count_include_pad = avg && ctx.Int("count_include_pad", 0) != 0;
  g->n = x->shape[0], g->h = x->shape[1], g->w = x->shape[2], g->c = x->shape[3];
  g->oh = (g->h + g->pt + g->pb - (g->kh - 1) * g->dh - 1) / g->sh + 1;
  g->ow = (g->w + g->pl + g->pr - (g->kw - 1) * g->dw - 1) / g->sw + 1;
  g->extra_b = g->extra_r = 0;
  const std::vector<int64_t>& ys = y->shape;
  if (avg && y->rank() == 4 && ys[0] == g->n && ys[3] == g->c && ys[1] >= g->oh &&
      ys[1] <= g->oh + 1 && ys[2] >= g->ow && ys[2] <= g->ow + 1) {
    g->extra_b = std::max<int64_t>(0, (ys[1] - 1) * g->sh + g->kh - (g->h + g->pt + g->pb));
    g->extra_r = std::max<int64_t>(0, (ys[2] - 1) * g->sw + g->kw - (g->w + g->pl + g->pr));
    g->oh = ys[1];
    g->ow = ys[2];
    return Status::Ok();
  }
  return CheckOutShape(ctx, *y, {g->n, g->oh, g->ow, g->c});
}

Status ReadRange(const NodeContext& ctx, const char* lo_attr, const char* hi_attr, Range* r) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  r->lo = ctx.Float(lo_attr, -kInf);
  r->hi = ctx.Float(hi_attr, kInf);
  if (std::isnan(r->lo) || std::isnan(r->hi) || r->lo > r->hi)
    return ctx.Error(std::string(lo_attr) + ".." + hi_attr + " range [" + std::to_string(r->lo) +
                     ", " + std::to_string(r->hi) + "] is empty");
  return Status::Ok();
}

Status ReadActivationRange(const NodeContext& ctx, Range* r) {
  return ReadRange(ctx, "activation_min", "activation_max", r);
}

QParams QuantOf(const NodeContext& ctx, const TensorRef& t) {
  QParams q;
  const fb::Tensor* ft =
      ctx.model->fb->tensors()->Get(static_cast<flatbuffers::uoffset_t>(t.index));
  if (!ft || !ft->quant() || !ft->quant()->scale()) return q;
  q.scale.assign(ft->quant()->scale()->begin(), ft->quant()->scale()->end());
  if (ft->quant()->zero_point())
    q.zero_point.assign(ft->quant()->zero_point()->begin(), ft->quant()->zero_point()->end());
  q.zero_point.resize(q.scale.size(), 0);
  q.axis = ft->quant()->axis();
  return q;
}

Status ActQuant(const NodeContext& ctx, const TensorRef* t, QParams* q) {
  if (t->dtype != fb::DType_S8) return ctx.Error("tensor '" + t->name + "' is not S8");
  *q = QuantOf(ctx, *t);
  if (!q->per_tensor() || !(q->s() > 0.f) || !std::isfinite(q->s()) || q->zp() < -128 ||
      q->zp() > 127)
    return ctx.Error("S8 tensor '" + t->name +
                     "' needs one positive finite scale and a zero point in [-128, 127]");
  return Status::Ok();
}

void QuantizeRange(const Range& r, const QParams& q, int8_t* qmin, int8_t* qmax) {
  *qmin = std::isfinite(r.lo) ? QuantizeScaled(r.lo / q.s(), q.zp()) : int8_t{-128};
  *qmax = std::isfinite(r.hi) ? QuantizeScaled(r.hi / q.s(), q.zp()) : int8_t{127};
}

Status ReadQuantActivationRange(const NodeContext& ctx, const QParams& q, int8_t* qmin,
                                int8_t* qmax) {
  Range r;
  EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &r));
  QuantizeRange(r, q, qmin, qmax);
  return Status::Ok();
}

Status ReadQConvParams(const NodeContext& ctx, QConvParams* p) {
  const TensorRef* x = ctx.In(0);
  const TensorRef* w = ctx.In(1);
  const TensorRef* b = ctx.In(2);
  const TensorRef* y = ctx.Out(0);
  EDGERT_RETURN_IF_ERROR(ActQuant(ctx, x, &p->x));
  EDGERT_RETURN_IF_ERROR(ActQuant(ctx, y, &p->y));
  if (!w->constant || w->dtype != fb::DType_S8) return ctx.Error("weights must be constant S8");
  if (b && (!b->constant || b->dtype != fb::DType_S32))
    return ctx.Error("bias must be constant S32");
  const int64_t cout = w->shape.empty() ? 0 : w->shape[0];
  const QParams qw = QuantOf(ctx, *w);
  if (qw.scale.empty()) return ctx.Error("weights '" + w->name + "' have no quantization");
  if (qw.scale.size() != 1 && (qw.axis != 0 || static_cast<int64_t>(qw.scale.size()) != cout))
    return ctx.Error("weights need one scale or one per output channel (axis 0)");
  for (size_t i = 0; i < qw.scale.size(); ++i)
    if (qw.zero_point[i] != 0 || !(qw.scale[i] > 0.f))
      return ctx.Error("weights must be symmetric (zero point 0) with positive scales");
  p->w_scale.assign(static_cast<size_t>(cout), qw.scale[0]);
  if (!qw.per_tensor()) p->w_scale.assign(qw.scale.begin(), qw.scale.end());
  if (b && b->elements() != cout) return ctx.Error("bias size differs from Cout");
  return ReadQuantActivationRange(ctx, p->y, &p->qmin, &p->qmax);
}

}  // namespace edgert::engine
