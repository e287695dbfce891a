#pragma once

// The kernel provider interface of the engine. A provider maps (op, dtype) to a kernel factory;
// the session asks the providers in order (onednn where built, int8, xnnpack, portable, then
// preprocess) and the first kernel whose Setup accepts the node runs it. Shapes are fixed at setup,
// and so are data pointers: the arena is planned before any kernel is set up and never moves.

#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "edgert/tensor_desc.h"
#include "model_impl.h"
#include "startup_cache.h"

namespace edgert::engine {

// One graph tensor as the kernels see it. `data` is final when Setup runs: an arena slot, or
// the constant's bytes in the mapped file (kernels never write their inputs).
struct TensorRef {
  int index = -1;
  std::string name;
  fb::DType dtype = fb::DType_F32;
  std::vector<int64_t> shape;
  size_t element_size = 4;
  uint8_t* data = nullptr;
  bool constant = false;
  // The model input/output description when this tensor is a model input/output buffer.
  const TensorDesc* io = nullptr;
  // An S8 activation the session planned to hold as u8 (PlanU8 in session.cc): every value v
  // is stored as v ^ 0x80 (v + 128), so its zero point is 128 higher. Set only where the
  // producer writes it so and every consumer reads it so, at least one of them instead of
  // converting it at each Run (oneDNN's int8 convolutions without VNNI). Never set on model
  // inputs and outputs, constants, or with SessionOptions::capture_intermediates.
  bool as_u8 = false;

  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
  size_t bytes() const { return static_cast<size_t>(elements()) * element_size; }
  int rank() const { return static_cast<int>(shape.size()); }
  float* f32() const { return reinterpret_cast<float*>(data); }
};

// A node with its tensors and attributes, for kernel setup.
struct NodeContext {
  int index = -1;
  const fb::Node* node = nullptr;
  fb::OpType op = fb::OpType_Unknown;
  std::string name;
  std::vector<TensorRef*> inputs;  // nullptr where the input is absent (-1)
  std::vector<TensorRef*> outputs;
  const ModelImpl* model = nullptr;
  // The session's start-up cache of packed weights, or nullptr (SessionOptions::cache_dir).
  edgert::WeightCache* weight_cache = nullptr;

  bool Has(const char* attr) const;
  int64_t Int(const char* attr, int64_t def) const;
  float Float(const char* attr, float def) const;
  std::string Str(const char* attr, const std::string& def) const;
  std::vector<int64_t> Ints(const char* attr, std::vector<int64_t> def) const;
  std::vector<float> Floats(const char* attr, std::vector<float> def) const;

  // "node 3 'conv1' (Conv2D)", the prefix of every message about this node.
  std::string Where() const;
  Status Error(const std::string& msg) const;    // kEngineError with Where()
  Status Decline(const std::string& msg) const;  // kUnsupported: let the next provider try
  // An input that must be present, or nullptr.
  TensorRef* In(size_t i) const { return i < inputs.size() ? inputs[i] : nullptr; }
  TensorRef* Out(size_t i) const { return i < outputs.size() ? outputs[i] : nullptr; }
  // Checks input/output counts (min..max inputs present by position, exact outputs).
  Status CheckArity(size_t min_in, size_t max_in, size_t outs) const;
  // True when XNNPACK may read XNN_EXTRA_BYTES past the end of `t` (arena tensors always are).
  bool OverreadSafe(const TensorRef& t) const;
};

// Fails with ctx.Error naming `t` when its shape is not `want`.
Status CheckOutShape(const NodeContext& ctx, const TensorRef& t, const std::vector<int64_t>& want);

// The geometry of a Conv2D node (with `transpose`, a DeConv2D node), shared by every provider:
// attributes pads [t,l,b,r], strides [h,w], dilations [h,w], group and, for DeConv2D,
// output_padding [h,w]; input 0 NHWC x, input 1 [Cout,KH,KW,Cin/group] weights, optional input 2
// bias of Cout elements, output 0 NHWC y of shape [n, oh, ow, cout].
struct ConvGeometry {
  std::vector<int64_t> pads, strides, dilations, output_padding;
  int64_t group = 1;
  int64_t n = 0, h = 0, w = 0, cin = 0, cout = 0, kh = 0, kw = 0, oh = 0, ow = 0;
};
// Reads and checks the geometry; errors (ctx.Error) name the attribute or shape at fault. The
// caller checks arity and tensor types first.
Status ReadConvGeometry(const NodeContext& ctx, bool transpose, ConvGeometry* g);

// The geometry of a MaxPool2D / AvgPool2D node (`avg`), shared by every provider (IR.md "Ops"):
// attributes kernel [h,w], strides [h,w] (1,1), pads [t,l,b,r] (0), dilations [h,w] (1,1;
// MaxPool2D only) and count_include_pad (0; AvgPool2D only); input 0 NHWC x, output 0 NHWC y of
// [n, oh, ow, c]. Average pooling may have one more output row or column than the padded input
// gives (ONNX ceil_mode): that overhang is extra_b/extra_r more bottom/right padding that never
// counts. oh, ow are y's.
struct PoolGeometry {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
  bool count_include_pad = false;
  int64_t n = 0, h = 0, w = 0, c = 0, oh = 0, ow = 0;
  int64_t extra_b = 0, extra_r = 0;
  bool padded() const { return pt || pl || pb || pr; }
};
// Reads and checks the geometry (every size >= 1, pads >= 0, y's shape); errors (ctx.Error) name
// the attribute or shape at fault. The caller checks arity first.
Status ReadPoolGeometry(const NodeContext& ctx, bool avg, PoolGeometry* g);

// A closed range [lo, hi] of real values; an infinite bound leaves that side open.
struct Range {
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
};
// The range given by attributes lo_attr and hi_attr (absent: -inf, +inf). An error (ctx.Error)
// when it is empty: a bound is NaN or lo > hi.
Status ReadRange(const NodeContext& ctx, const char* lo_attr, const char* hi_attr, Range* r);
// The node's fused activation range (activation_min, activation_max), checked as by ReadRange.
// Every provider reads it here.
Status ReadActivationRange(const NodeContext& ctx, Range* r);

// Quantization parameters of one tensor: one scale (and zero point) per tensor, or one per
// slice along `axis`.
struct QParams {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  int axis = -1;
  bool per_tensor() const { return scale.size() == 1; }
  float s() const { return scale[0]; }
  int32_t zp() const { return zero_point[0]; }
  bool operator==(const QParams& o) const {
    return scale == o.scale && zero_point == o.zero_point && axis == o.axis;
  }
};
// The quantization of tensor t as the model file holds it (empty scale: none).
QParams QuantOf(const NodeContext& ctx, const TensorRef& t);
// A per-tensor S8 activation's parameters; an error naming the tensor otherwise.
Status ActQuant(const NodeContext& ctx, const TensorRef* t, QParams* q);
inline int8_t Saturate(float v) {
  return static_cast<int8_t>(std::min(127.f, std::max(-128.f, v)));
}
// ONNX QuantizeLinear: saturate(round_half_even(v) + zero_point), rounding before the shift.
inline int8_t QuantizeScaled(float v, int32_t zp) {
  return Saturate(std::nearbyint(v) + static_cast<float>(zp));
}
// The quantized bounds [qmin, qmax] of range r (real units) for output parameters q: IR.md
// "Int8". An infinite bound is the end of the int8 range.
void QuantizeRange(const Range& r, const QParams& q, int8_t* qmin, int8_t* qmax);
// The node's fused activation range (ReadActivationRange) quantized for output parameters q.
Status ReadQuantActivationRange(const NodeContext& ctx, const QParams& q, int8_t* qmin,
                                int8_t* qmax);

// An int8 Conv2D / FullyConnected node's quantization (IR.md "Int8"): S8 per-tensor activations
// x (input 0) and y (output 0), constant symmetric S8 weights (input 1) with one scale or one per
// output channel (axis 0), optional constant S32 bias (input 2) of Cout elements.
struct QConvParams {
  QParams x, y;
  std::vector<float> w_scale;      // one per output channel (a per-tensor scale repeated)
  int8_t qmin = -128, qmax = 127;  // the fused activation range, quantized
};
Status ReadQConvParams(const NodeContext& ctx, QConvParams* p);

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Validates the node and prepares everything Run needs. kUnsupported declines the node (the
  // next provider is asked); any other error fails session creation. Setup may keep pointers
  // into activation tensors but must not read or write them: another setup thread is zero-
  // filling the arena meanwhile. Every arena byte is zero when the first Run starts, and model
  // inputs and outputs have arena bytes of their own.
  virtual Status Setup(const NodeContext& ctx, pthreadpool_t pool) = 0;
  // Computes the outputs. Must not allocate.
  virtual Status Run(pthreadpool_t pool) = 0;
  // For a kernel that runs another provider's kernel inside (the int8 provider's conversion
  // wrappers), that provider's name; nullptr otherwise.
  virtual const char* inner_provider() const { return nullptr; }
  // Whether Setup honoured TensorRef::as_u8 on every input and output it was given. A kernel
  // that did not (the default) reads and writes S8 as s8; the session then plans without u8.
  virtual bool handles_u8() const { return false; }
};

// What the kernel a provider would set up for a node does with S8 activations held as u8
// (TensorRef::as_u8), predicted from the node before any kernel is set up (KernelProvider::
// PredictU8). A wrong `takes` or ability costs a second set-up of the model without u8 tensors,
// never a wrong result: the session checks handles_u8() of every kernel that got one.
struct U8Prediction {
  bool takes = false;   // this provider runs the node (false: it declines; the next one is asked)
  bool reads = false;   // reads input 0 in place when it is held as u8
  bool gains = false;   // ... where it would otherwise convert input 0 to u8 at every Run
  bool writes = false;  // writes output 0 as u8 when planned so
};

using KernelFactory = std::unique_ptr<Kernel> (*)();
// One (op, dtype) a kernel file offers, with its factory: the portable provider registers the
// lists of elem_kernels.cc and tensor_kernels.cc this way.
struct KernelRegistration {
  fb::OpType op;
  fb::DType dtype;
  KernelFactory factory;
};

class KernelProvider {
 public:
  explicit KernelProvider(const char* name) : name_(name) {}
  virtual ~KernelProvider() = default;
  const char* name() const { return name_; }
  // The factory for (op, dtype), or nullptr when this provider has none.
  KernelFactory Find(fb::OpType op, fb::DType dtype) const;
  // For a node this provider has a factory for (Find): see U8Prediction. The default takes the
  // node and has no u8 ability.
  virtual U8Prediction PredictU8(const NodeContext& ctx) const;

 protected:
  void Register(fb::OpType op, fb::DType dtype, KernelFactory factory);
  void RegisterAllDTypes(fb::OpType op, KernelFactory factory);

 private:
  struct Entry {
    fb::OpType op;
    fb::DType dtype;
    KernelFactory factory;
  };
  const char* name_;
  std::vector<Entry> entries_;
};

const KernelProvider& XnnpackProvider();
const KernelProvider& PortableProvider();
const KernelProvider& PreprocessProvider();  // ColorConvert, Normalize
// Int8-precision nodes and the Quantize/Dequantize/Requantize conversions (int8_kernels.cc).
const KernelProvider& Int8Provider();
// Conv2D (f32, and int8 where exact) on oneDNN (dnnl_kernels.cc), x86-64 host builds only:
// nullptr where it is not built in or the environment has EDGERT_DISABLE_DNNL=1 (read once).
const KernelProvider* DnnlProvider();
// In order of preference.
std::vector<const KernelProvider*> Providers();
// Tests only: with false, sessions created afterwards use the portable provider alone.
void SetXnnpackEnabledForTesting(bool enabled);
// Tests only: with false, sessions created afterwards skip the oneDNN provider.
void SetDnnlEnabledForTesting(bool enabled);
// Tests only: how many oneDNN kernels this process has set up (0 where oneDNN is not built in).
size_t DnnlKernelCountForTesting();
// Tests only: oneDNN's int8 convolution declines the node of this name (empty: none) in sessions
// created afterwards, though PredictU8 says it takes it: the session's replanning path.
void SetDnnlInt8DeclineForTesting(const std::string& node_name);
// The x86 ISA oneDNN's kernels use ("avx2", "avx512_core_vnni", ...; capped below VNNI by
// EDGERT_DISABLE_VNNI=1), and in *vnni whether it has VNNI. "" and false where the oneDNN
// provider is not built in or is disabled.
std::string DnnlIsa(bool* vnni);

// Whether environment variable `name` is set to something other than "" or "0" (the engine's
// EDGERT_DISABLE_* switches; callers read it once).
bool EnvSet(const char* name);

// The factory of kernel K, constructed with the constants kArgs (Make<ConvKernel, true>).
template <typename K, auto... kArgs>
std::unique_ptr<Kernel> Make() {
  return std::make_unique<K>(kArgs...);
}

}  // namespace edgert::engine
