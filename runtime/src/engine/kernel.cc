#include "engine/kernel.h"

#include <xnnpack.h>

#include <algorithm>
#include <atomic>

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
#endif

std::vector<const KernelProvider*> Providers() {
  if (!xnnpack_enabled) return {&Int8Provider(), &PortableProvider(), &PreprocessProvider()};
  std::vector<const KernelProvider*> p = {&Int8Provider()};
  // oneDNN only registers f32 kernels, so int8 nodes never reach it.
  if (const KernelProvider* dnnl = dnnl_enabled ? DnnlProvider() : nullptr) p.push_back(dnnl);
  for (const KernelProvider* q : {&XnnpackProvider(), &PortableProvider(), &PreprocessProvider()})
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

}  // namespace edgert::engine
