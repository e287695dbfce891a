// The oneDNN provider (x86-64 host builds only): f32 Conv2D on Debian's libdnnl 2.6, ahead of
// XNNPACK. The XNNPACK 2022 snapshot's AVX2 f32 igemm spills an accumulator in its inner loop
// (gcc build), which left f32 convolutions at ~40% of ONNX Runtime's speed; oneDNN's kernels are
// JIT-generated, so no compiler decides their register allocation. This file is the only place
// that calls oneDNN.
//
// Contract with the session, as for XNNPACK: shapes and data pointers are fixed at setup.
// Activations stay NHWC in the arena (oneDNN reads and writes them in place); the constant
// weights are reordered once at setup into the layout the chosen implementation wants, owned by
// the kernel, and so is the scratchpad (scratchpad_mode::user), so Run passes only pointers.
//
// Threads: this libdnnl is built with GNU OpenMP. oneDNN sizes its work split from
// omp_get_max_threads() when a primitive is created, and an OpenMP team's size is a per-thread
// setting, so both Setup and Run set it to the session's thread count on the calling thread.
// With one thread, oneDNN runs inline and starts no OpenMP threads at all.
#include <omp.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>

#include "engine/kernel.h"

namespace edgert::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::atomic<size_t> kernels_set_up{0};

// One CPU engine per process; oneDNN engines are thread-safe.
const dnnl::engine* CpuEngine(std::string* error) {
  static std::once_flag once;
  static dnnl::engine* engine = nullptr;
  static std::string init_error;
  std::call_once(once, [] {
    try {
      if (dnnl::engine::get_count(dnnl::engine::kind::cpu) > 0)
        engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);  // lives for the process
      else
        init_error = "no CPU engine";
    } catch (const dnnl::error& e) {
      init_error = e.what();
    }
  });
  if (!engine) *error = init_error;
  return engine;
}

// Sets the calling thread's OpenMP team size for the lifetime of the object, then restores it,
// so session creation leaves the creating thread's setting as it found it.
class OmpThreads {
 public:
  explicit OmpThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
};

Status CheckOutShape(const NodeContext& ctx, const TensorRef& t, const std::vector<int64_t>& want) {
  if (t.shape != want)
    return ctx.Error("output '" + t.name + "' has shape " + ShapeToString(t.shape) + ", expected " +
                     ShapeToString(want));
  return Status::Ok();
}

class DnnlKernel : public Kernel {
 public:
  Status Run(pthreadpool_t pool) override {
    // The session's pthreadpool workers spin for a long while after an XNNPACK op (1M
    // iterations), on the cores oneDNN's OpenMP team needs: hand them an empty job that tells
    // them to sleep when done. That took 2 threads from 16 to 5 ms on mobilenet_v2; skipping it
    // when the previous node was oneDNN too (workers already asleep) measured no better.
    if (pool)
      pthreadpool_parallelize_1d(
          pool, [](void*, size_t) {}, nullptr, static_cast<size_t>(threads_),
          PTHREADPOOL_FLAG_YIELD_WORKERS);
    // Cheap (writes the calling thread's ICV): the session may run on another thread than the
    // one that created it, and each session has its own thread count.
    omp_set_num_threads(threads_);
    const dnnl_status_t s = dnnl_primitive_execute(prim_.get(), stream_.get(),
                                                   static_cast<int>(args_.size()), args_.data());
    if (s != dnnl_success)
      return EngineError(where_ + ": dnnl_primitive_execute failed with status " +
                         std::to_string(static_cast<int>(s)));
    return Status::Ok();
  }

 protected:
  // Everything Run passes to oneDNN. The dnnl::memory objects own or wrap the buffers and must
  // live as long as the kernel.
  void AddArg(int arg, const dnnl::memory& m) {
    mems_.push_back(m);
    args_.push_back({arg, m.get()});
  }

  int threads_ = 1;
  std::string where_;
  dnnl::stream stream_;
  dnnl::primitive prim_;
  std::vector<dnnl::memory> mems_;
  std::vector<dnnl_exec_arg_t> args_;
  std::vector<float> bias_;  // a copy of the constant bias
};

// Conv2D: x [N,H,W,Cin] and y [N,OH,OW,Cout] as nhwc memory on the arena; weights
// [Cout,KH,KW,Cin/g] are oneDNN's ohwi (g == 1) or gohwi with dims [g, Cout/g, Cin/g, KH, KW].
// The fused activation range maps to no post-op, eltwise_relu (0, +inf) or eltwise_clip (both
// finite); any other range declines, and so does a node only oneDNN's reference code would run.
class Conv2DKernel : public DnnlKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    where_ = ctx.Where();
    std::string engine_error;
    const dnnl::engine* engine = CpuEngine(&engine_error);
    if (!engine) return ctx.Decline("onednn: " + engine_error);
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* w = ctx.In(1);
    const TensorRef* b = ctx.In(2);
    const TensorRef* y = ctx.Out(0);
    if (!w->constant) return ctx.Decline("weights are not constant");
    if (b && !b->constant) return ctx.Decline("bias is not constant");
    if (x->dtype != fb::DType_F32 || w->dtype != fb::DType_F32 || y->dtype != fb::DType_F32 ||
        (b && b->dtype != fb::DType_F32))
      return ctx.Decline("not all tensors are f32");
    if (x->rank() != 4 || w->rank() != 4 || y->rank() != 4)
      return ctx.Error("needs NHWC input/output and [Cout,KH,KW,Cin/group] weights, got " +
                       ShapeToString(x->shape) + ", " + ShapeToString(w->shape));
    const auto pads = ctx.Ints("pads", {0, 0, 0, 0});
    const auto strides = ctx.Ints("strides", {1, 1});
    const auto dil = ctx.Ints("dilations", {1, 1});
    const int64_t g = ctx.Int("group", 1);
    const float lo = ctx.Float("activation_min", -kInf);
    const float hi = ctx.Float("activation_max", kInf);
    if (pads.size() != 4 || strides.size() != 2 || dil.size() != 2 || g < 1)
      return ctx.Error("needs pads [t,l,b,r], strides [h,w], dilations [h,w], group >= 1");
    for (int64_t v : pads)
      if (v < 0) return ctx.Error("negative pads");
    for (int64_t v : strides)
      if (v < 1) return ctx.Error("strides must be >= 1");
    for (int64_t v : dil)
      if (v < 1) return ctx.Error("dilations must be >= 1");
    if (std::isnan(lo) || std::isnan(hi) || lo > hi)
      return ctx.Error("activation range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                       "] is empty");
    const int64_t n = x->shape[0], h = x->shape[1], wd = x->shape[2], cin = x->shape[3];
    const int64_t cout = w->shape[0], kh = w->shape[1], kw = w->shape[2];
    if (cin % g || cout % g || w->shape[3] != cin / g)
      return ctx.Error("weights " + ShapeToString(w->shape) + " do not fit " + std::to_string(cin) +
                       " input channels in " + std::to_string(g) + " groups");
    if (b && b->elements() != cout)
      return ctx.Error("bias has " + std::to_string(b->elements()) + " elements for " +
                       std::to_string(cout) + " output channels");
    const int64_t oh = (h + pads[0] + pads[2] - ((kh - 1) * dil[0] + 1)) / strides[0] + 1;
    const int64_t ow = (wd + pads[1] + pads[3] - ((kw - 1) * dil[1] + 1)) / strides[1] + 1;
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, {n, oh, ow, cout}));
    if (x->elements() == 0 || y->elements() == 0) return ctx.Decline("empty tensor");

    dnnl::post_ops post;
    if (lo == -kInf && hi == kInf) {
      // no activation
    } else if (lo == 0.f && hi == kInf) {
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    } else if (std::isfinite(lo) && std::isfinite(hi)) {
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, lo, hi);
    } else {
      return ctx.Decline("activation range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                         "] has no oneDNN post-op");
    }

    threads_ = pool ? static_cast<int>(pthreadpool_get_threads_count(pool)) : 1;
    const OmpThreads omp(threads_);
    try {
      using tag = dnnl::memory::format_tag;
      using dt = dnnl::memory::data_type;
      const dnnl::memory::desc src_md({n, cin, h, wd}, dt::f32, tag::nhwc);
      const dnnl::memory::desc dst_md({n, cout, oh, ow}, dt::f32, tag::nhwc);
      const dnnl::memory::dims w_dims = g == 1 ? dnnl::memory::dims{cout, cin, kh, kw}
                                               : dnnl::memory::dims{g, cout / g, cin / g, kh, kw};
      const dnnl::memory::desc user_w_md(w_dims, dt::f32, g == 1 ? tag::ohwi : tag::gohwi);
      const dnnl::memory::desc any_w_md(w_dims, dt::f32, tag::any);
      const dnnl::memory::desc bias_md =
          b ? dnnl::memory::desc({cout}, dt::f32, tag::a) : dnnl::memory::desc();
      // oneDNN counts dilation from 0 (no dilation) where ONNX counts from 1.
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src_md, any_w_md,
          bias_md, dst_md, {strides[0], strides[1]}, {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]},
          {pads[2], pads[3]});
      dnnl::primitive_attr attr;
      attr.set_post_ops(post);
      attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
      const dnnl::convolution_forward::primitive_desc pd(desc, attr, *engine);
      const std::string impl = pd.impl_info_str();
      // The reference implementation is far slower than XNNPACK: leave the node to it.
      if (impl.compare(0, 3, "ref") == 0)
        return ctx.Decline("onednn has only its reference implementation (" + impl + ")");

      stream_ = dnnl::stream(*engine);
      // The weights, reordered once into the implementation's layout (kernel-owned).
      dnnl::memory user_w(user_w_md, *engine, w->data);
      dnnl::memory weights = user_w;
      if (pd.weights_desc() != user_w_md) {
        weights = dnnl::memory(pd.weights_desc(), *engine);
        dnnl::reorder(user_w, weights).execute(stream_, user_w, weights);
        stream_.wait();
      } else {
        // The layouts agree: keep a private copy rather than point into the mapped file, whose
        // alignment oneDNN does not promise to tolerate.
        weights = dnnl::memory(user_w_md, *engine);
        std::memcpy(weights.get_data_handle(), w->data, w->bytes());
      }
      AddArg(DNNL_ARG_SRC, dnnl::memory(src_md, *engine, x->data));
      AddArg(DNNL_ARG_WEIGHTS, weights);
      if (b) {
        bias_.assign(b->f32(), b->f32() + cout);
        AddArg(DNNL_ARG_BIAS, dnnl::memory(bias_md, *engine, bias_.data()));
      }
      AddArg(DNNL_ARG_DST, dnnl::memory(dst_md, *engine, y->data));
      if (pd.scratchpad_desc().get_size() > 0)
        AddArg(DNNL_ARG_SCRATCHPAD, dnnl::memory(pd.scratchpad_desc(), *engine));
      prim_ = dnnl::convolution_forward(pd);
    } catch (const dnnl::error& e) {
      // unimplemented / invalid arguments: let XNNPACK have the node.
      return ctx.Decline(std::string("onednn: ") + e.what());
    }
    ++kernels_set_up;
    return Status::Ok();
  }
};

// EDGERT_DISABLE_DNNL=1 (read once) leaves every node to XNNPACK, for comparisons.
bool DisabledByEnv() {
  static const bool disabled = [] {
    const char* v = std::getenv("EDGERT_DISABLE_DNNL");
    return v && *v && std::strcmp(v, "0") != 0;
  }();
  return disabled;
}

class DnnlProviderImpl : public KernelProvider {
 public:
  DnnlProviderImpl() : KernelProvider("onednn") {
    Register(fb::OpType_Conv2D, fb::DType_F32, Make<Conv2DKernel>);
  }
};

}  // namespace

const KernelProvider* DnnlProvider() {
  if (DisabledByEnv()) return nullptr;
  static const DnnlProviderImpl provider;
  return &provider;
}

size_t DnnlKernelCountForTesting() { return kernels_set_up.load(); }

}  // namespace edgert::engine
