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
// oneDNN's execute itself still makes a few small heap allocations per call (its argument map:
// 347 small blocks per mobilenet_v2 run, ~7 per primitive, against ~10 ms of work); Run
// itself adds none.
//
// Threads: this libdnnl is built with GNU OpenMP. oneDNN sizes its work split from
// omp_get_max_threads() when a primitive is created, and an OpenMP team's size is a per-thread
// setting, so both Setup and Run set it to the session's thread count on the calling thread.
// With one thread, oneDNN runs inline and starts no OpenMP threads at all. GNU OpenMP reads
// OMP_WAIT_POLICY/GOMP_SPINCOUNT when it is loaded, before any of our code runs, so they are
// left to the user (passive or short spins measured no better here).
#include <omp.h>

#include <algorithm>
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

// The node the last oneDNN kernel set up on this thread belongs to. A session sets its nodes up
// in order on one thread, and a pool belongs to one session.
struct LastSetup {
  const Model::Impl* model = nullptr;
  pthreadpool_t pool = nullptr;
  int node = -1;
};
thread_local LastSetup last_setup;

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
// so sessions leave the calling thread's own setting as they found it.
class OmpThreads {
 public:
  explicit OmpThreads(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~OmpThreads() { omp_set_num_threads(saved_); }
  OmpThreads(const OmpThreads&) = delete;
  OmpThreads& operator=(const OmpThreads&) = delete;

 private:
  int saved_;
};

// Weights and bias must be constants (reordered once at setup), every tensor f32.
Status CheckF32Constants(const NodeContext& ctx, const TensorRef& x, const TensorRef& w,
                         const TensorRef* b, const TensorRef& y) {
  if (!w.constant) return ctx.Decline("weights are not constant");
  if (b && !b->constant) return ctx.Decline("bias is not constant");
  for (const TensorRef* t : {&x, &w, b, &y})
    if (t && t->dtype != fb::DType_F32) return ctx.Decline("not all tensors are f32");
  return Status::Ok();
}

class DnnlKernel : public Kernel {
 public:
  Status Run(pthreadpool_t pool) override {
    // The session's pthreadpool workers spin for a long while after an XNNPACK op (1M
    // iterations), on the cores oneDNN's OpenMP team needs: hand them an empty job that tells
    // them to sleep when done (mobilenet_v2, 2 threads: 16 -> 6 ms). Not when the node before
    // ran on oneDNN too: they sleep already, and waking them would fight OpenMP's spinning
    // workers for the cores (6.9 -> 6.1 ms).
    if (pool && !after_dnnl_)
      pthreadpool_parallelize_1d(
          pool, [](void*, size_t) {}, nullptr, static_cast<size_t>(threads_),
          PTHREADPOOL_FLAG_YIELD_WORKERS);
    // Cheap (the calling thread's ICV): the session may run on another thread than the one
    // that created it, each session has its own thread count, and the caller's own OpenMP
    // setting comes back afterwards.
    const OmpThreads omp(threads_);
    const dnnl_status_t s = dnnl_primitive_execute(prim_.get(), stream_.get(),
                                                   static_cast<int>(args_.size()), args_.data());
    if (s != dnnl_success)
      return EngineError(where_ + ": dnnl_primitive_execute failed with status " +
                         std::to_string(static_cast<int>(s)));
    return Status::Ok();
  }

 protected:
  // The engine, the node's name for Run's errors and the session's thread count.
  Status Begin(const NodeContext& ctx, pthreadpool_t pool) {
    where_ = ctx.Where();
    std::string error;
    engine_ = CpuEngine(&error);
    if (!engine_) return ctx.Decline("onednn: " + error);
    pool_ = pool;
    threads_ = pool ? static_cast<int>(pthreadpool_get_threads_count(pool)) : 1;
    return Status::Ok();
  }

  // The fused activation range [activation_min, activation_max] as oneDNN post-ops: none,
  // eltwise_relu for (0, +inf), eltwise_clip when both bounds are finite; others decline.
  static Status PostOps(const NodeContext& ctx, dnnl::primitive_attr* attr) {
    const float lo = ctx.Float("activation_min", -kInf);
    const float hi = ctx.Float("activation_max", kInf);
    const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (std::isnan(lo) || std::isnan(hi) || lo > hi)
      return ctx.Error("activation range " + range + " is empty");
    dnnl::post_ops post;
    if (lo == 0.f && hi == kInf) {
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
    } else if (std::isfinite(lo) && std::isfinite(hi)) {
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, lo, hi);
    } else if (lo != -kInf || hi != kInf) {
      return ctx.Decline("activation range " + range + " has no oneDNN post-op");
    }
    attr->set_post_ops(post);
    attr->set_scratchpad_mode(dnnl::scratchpad_mode::user);
    return Status::Ok();
  }

  // Binds x, w (reordered once into the layout `pd` chose, kernel-owned), the optional bias,
  // y and the scratchpad, and creates the primitive. Declines a primitive that only oneDNN's
  // reference code implements: that is far slower than XNNPACK. dnnl::error propagates to the
  // caller.
  Status Bind(const NodeContext& ctx, const dnnl::primitive_desc& pd, const TensorRef& x,
              const dnnl::memory::desc& x_md, const TensorRef& w,
              const dnnl::memory::desc& user_w_md, const TensorRef* b,
              const dnnl::memory::desc& b_md, const TensorRef& y, const dnnl::memory::desc& y_md) {
    const std::string impl = pd.impl_info_str();
    if (impl.compare(0, 3, "ref") == 0)
      return ctx.Decline("onednn has only its reference implementation (" + impl + ")");
    stream_ = dnnl::stream(*engine_);
    const dnnl::memory::desc w_md = pd.weights_desc(0);
    dnnl::memory weights(w_md, *engine_);
    if (w_md != user_w_md) {
      dnnl::memory user_w(user_w_md, *engine_, w.data);
      dnnl::reorder(user_w, weights).execute(stream_, user_w, weights);
      stream_.wait();
    } else {
      // Same layout: still a private copy, not the mapped file, whose alignment oneDNN's
      // kernels were never promised.
      std::memcpy(weights.get_data_handle(), w.data, w.bytes());
    }
    AddArg(DNNL_ARG_SRC, dnnl::memory(x_md, *engine_, x.data));
    AddArg(DNNL_ARG_WEIGHTS, weights);
    if (b) {
      bias_.assign(b->f32(), b->f32() + b->elements());
      AddArg(DNNL_ARG_BIAS, dnnl::memory(b_md, *engine_, bias_.data()));
    }
    AddArg(DNNL_ARG_DST, dnnl::memory(y_md, *engine_, y.data));
    if (pd.scratchpad_desc().get_size() > 0)
      AddArg(DNNL_ARG_SCRATCHPAD, dnnl::memory(pd.scratchpad_desc(), *engine_));
    prim_ = dnnl::primitive(pd);
    ++kernels_set_up;
    const LastSetup& last = last_setup;
    after_dnnl_ = last.model == ctx.model && last.pool == pool_ && last.node == ctx.index - 1;
    last_setup = {ctx.model, pool_, ctx.index};
    return Status::Ok();
  }

  // Everything Run passes to oneDNN. The dnnl::memory objects own or wrap the buffers and must
  // live as long as the kernel.
  void AddArg(int arg, const dnnl::memory& m) {
    mems_.push_back(m);
    args_.push_back({arg, m.get()});
  }

  const dnnl::engine* engine_ = nullptr;
  // The node just before this one in the same session runs on oneDNN too.
  bool after_dnnl_ = false;
  pthreadpool_t pool_ = nullptr;
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
class Conv2DKernel : public DnnlKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, pool));
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* w = ctx.In(1);
    const TensorRef* b = ctx.In(2);
    const TensorRef* y = ctx.Out(0);
    EDGERT_RETURN_IF_ERROR(CheckF32Constants(ctx, *x, *w, b, *y));
    ConvGeometry cg;
    EDGERT_RETURN_IF_ERROR(ReadConvGeometry(ctx, false, &cg));
    const auto& pads = cg.pads;
    const auto& strides = cg.strides;
    const auto& dil = cg.dilations;
    const int64_t g = cg.group, n = cg.n, h = cg.h, wd = cg.w, cin = cg.cin, cout = cg.cout;
    const int64_t kh = cg.kh, kw = cg.kw, oh = cg.oh, ow = cg.ow;
    if (x->elements() == 0 || y->elements() == 0) return ctx.Decline("empty tensor");
    dnnl::primitive_attr attr;
    EDGERT_RETURN_IF_ERROR(PostOps(ctx, &attr));

    const OmpThreads omp(threads_);
    try {
      using tag = dnnl::memory::format_tag;
      const auto f32 = dnnl::memory::data_type::f32;
      const dnnl::memory::desc x_md({n, cin, h, wd}, f32, tag::nhwc);
      const dnnl::memory::desc y_md({n, cout, oh, ow}, f32, tag::nhwc);
      const dnnl::memory::dims w_dims = g == 1 ? dnnl::memory::dims{cout, cin, kh, kw}
                                               : dnnl::memory::dims{g, cout / g, cin / g, kh, kw};
      const dnnl::memory::desc user_w_md(w_dims, f32, g == 1 ? tag::ohwi : tag::gohwi);
      const dnnl::memory::desc b_md =
          b ? dnnl::memory::desc({cout}, f32, tag::a) : dnnl::memory::desc();
      // oneDNN counts dilation from 0 (no dilation) where ONNX counts from 1.
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, x_md,
          dnnl::memory::desc(w_dims, f32, tag::any), b_md, y_md, {strides[0], strides[1]},
          {dil[0] - 1, dil[1] - 1}, {pads[0], pads[1]}, {pads[2], pads[3]});
      const dnnl::convolution_forward::primitive_desc pd(desc, attr, *engine_);
      EDGERT_RETURN_IF_ERROR(Bind(ctx, pd, *x, x_md, *w, user_w_md, b, b_md, *y, y_md));
    } catch (const dnnl::error& e) {
      // unimplemented or unsupported arguments: XNNPACK may take the node
      return ctx.Decline(std::string("onednn: ") + e.what());
    }
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
