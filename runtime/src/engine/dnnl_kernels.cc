// The oneDNN provider (x86-64 host builds only): f32 Conv2D, FullyConnected, MatMul and Gelu, and
// int8 Conv2D and FullyConnected where they are exact (see QConv2DKernel), on Debian's libdnnl 2.6,
// ahead of XNNPACK. The XNNPACK 2022 snapshot's AVX2 f32 igemm spills an accumulator in its inner
// loop (gcc build), which left f32 convolutions at ~40% of ONNX Runtime's speed; oneDNN's kernels
// are JIT-generated, so no compiler decides their register allocation. This file is the only place
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
// Threads: this libdnnl is built with GNU OpenMP, but oneDNN never gets a team: each node is
// split into bands of output rows, one single-threaded primitive per thread of the session's
// pthreadpool (OpenMP's team size is a per-thread setting, set to 1 around each call). An
// OpenMP team of its own made the session's threads and OpenMP's spinning workers fight for the
// same cores whenever oneDNN and XNNPACK nodes alternate (int8 mobilenet_v2, 2 threads: 8.5 ms
// against 5.7 ms with XNNPACK alone), and left f32 resnet18 at 2 threads at 25 or 34 ms,
// depending on the process.
#include <omp.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "engine/fresh_memory.h"
#include "engine/kernel.h"
#include "engine/tensor_kernels.h"

namespace edgert::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::atomic<size_t> kernels_set_up{0};

std::mutex decline_mutex;
std::string decline_for_testing;  // SetDnnlInt8DeclineForTesting

bool DeclinedForTesting(const std::string& node_name) {
  const std::lock_guard<std::mutex> lock(decline_mutex);
  return !decline_for_testing.empty() && node_name == decline_for_testing;
}

// EDGERT_DISABLE_VNNI=1 (read once, before oneDNN's first use) caps oneDNN below every VNNI ISA
// (avx512_core, which excludes both AVX512-VNNI and AVX-VNNI), so a VNNI machine runs exactly the
// kernels a CPU without VNNI runs, and the +-64 weight rule below applies again.
bool VnniDisabledByEnv() {
  static const bool disabled = EnvSet("EDGERT_DISABLE_VNNI");
  return disabled;
}

// One CPU engine per process; oneDNN engines are thread-safe.
const dnnl::engine* CpuEngine(std::string* error) {
  static std::once_flag once;
  static dnnl::engine* engine = nullptr;
  static std::string init_error;
  std::call_once(once, [] {
    try {
      // The cap only holds when set before oneDNN's first JIT; this is the first use.
      if (VnniDisabledByEnv() && dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx512_core) != dnnl_success)
        init_error = "EDGERT_DISABLE_VNNI: oneDNN refused to cap its ISA";
      if (!init_error.empty()) return;
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

// Everything a Conv2D primitive needs, for any band of its output.
struct ConvSpec {
  ConvGeometry g;
  dnnl::memory::data_type src_dt = dnnl::memory::data_type::f32;
  dnnl::memory::data_type wei_dt = dnnl::memory::data_type::f32;
  dnnl::memory::data_type dst_dt = dnnl::memory::data_type::f32;
  size_t elem = 4;       // bytes per x and y element
  uint8_t* x = nullptr;  // what oneDNN reads as src (the arena, or the u8 copy)
  uint8_t* y = nullptr;
  const TensorRef* w = nullptr;
  const TensorRef* b = nullptr;
  dnnl::memory::data_type bias_dt = dnnl::memory::data_type::f32;
  dnnl::primitive_attr attr;
  // Decline unless oneDNN's implementation multiplies with VNNI (vpdpbusd, 32-bit sums).
  bool require_vnni = false;
};

// Whether a oneDNN implementation name ("brg:avx512_core_vnni", "jit_int8:avx2_vnni", ...)
// names an ISA whose int8 dot products accumulate in 32 bits: the VNNI ones and AMX.
bool ImplHasVnni(const std::string& impl) {
  return impl.find("vnni") != std::string::npos || impl.find("amx") != std::string::npos;
}

// Copies f32 weights from a plain layout `from` (no inner blocks, e.g. ohwi) into `to`, a blocked
// layout with at most one inner block and no extra data (the Acdb16a..Acdb64a and debcA16a
// layouts oneDNN's f32 convolutions want here), zeroing the padding of the blocked dim. oneDNN's
// reorder primitive does the same, but it JIT-compiles a kernel per shape first: in a cold
// mobilenet_v2 start that was 28 kernels, 8-30 ms, plus 7 ms of copying. Returns false, copying
// nothing, for any other pair of layouts; the caller then uses oneDNN's reorder.
bool CopyToBlockedLayout(const dnnl::memory::desc& from, const void* src,
                         const dnnl::memory::desc& to, void* dst) {
  const dnnl_memory_desc_t& f = from.data;
  const dnnl_memory_desc_t& t = to.data;
  constexpr int kMaxDims = 5;
  const int n = t.ndims;
  if (n < 1 || n > kMaxDims || f.ndims != n || f.data_type != dnnl_f32 || t.data_type != dnnl_f32 ||
      f.format_kind != dnnl_blocked || t.format_kind != dnnl_blocked || f.extra.flags != 0 ||
      t.extra.flags != 0 || f.offset0 != 0 || t.offset0 != 0 ||
      f.format_desc.blocking.inner_nblks != 0 || t.format_desc.blocking.inner_nblks > 1)
    return false;
  const dnnl_blocking_desc_t& tb = t.format_desc.blocking;
  const int blocked = tb.inner_nblks == 1 ? static_cast<int>(tb.inner_idxs[0]) : -1;
  const int64_t block = tb.inner_nblks == 1 ? tb.inner_blks[0] : 1;
  if (block < 1 || (blocked >= 0 && (blocked >= n || t.padded_dims[blocked] % block != 0)))
    return false;
  for (int d = 0; d < n; ++d)
    if (f.dims[d] != t.dims[d] || f.padded_dims[d] != f.dims[d] || f.padded_offsets[d] != 0 ||
        t.padded_offsets[d] != 0 || (d != blocked && t.padded_dims[d] != t.dims[d]))
      return false;
  // Per dim and index: the offset it adds in `to` and in `from` (-1: padding, written as zero).
  // Dims are right-aligned into kMaxDims (the leading ones of extent 1), then the longest moved
  // innermost, so the inner loop is long (a 1x1 convolution's W and H are 1).
  std::array<int, kMaxDims> dim_of{};
  int longest = kMaxDims - 1;
  for (int i = 0; i < kMaxDims; ++i) {
    dim_of[i] = i - (kMaxDims - n);
    if (dim_of[i] >= 0 && t.padded_dims[dim_of[i]] > t.padded_dims[dim_of[longest]]) longest = i;
  }
  std::rotate(dim_of.begin() + longest, dim_of.begin() + longest + 1, dim_of.end());
  std::array<std::vector<int64_t>, kMaxDims> to_off, from_off;
  for (int i = 0; i < kMaxDims; ++i) {
    const int d = dim_of[i];
    const int64_t extent = d < 0 ? 1 : t.padded_dims[d];
    to_off[i].assign(static_cast<size_t>(extent), 0);
    from_off[i].assign(static_cast<size_t>(extent), 0);
    for (int64_t x = 0; d >= 0 && x < extent; ++x) {
      to_off[i][static_cast<size_t>(x)] =
          d == blocked ? x / block * tb.strides[d] + x % block : x * tb.strides[d];
      from_off[i][static_cast<size_t>(x)] =
          x < f.dims[d] ? x * f.format_desc.blocking.strides[d] : -1;
    }
  }
  const auto* in = static_cast<const float*>(src);
  auto* out = static_cast<float*>(dst);
  const std::vector<int64_t>& to4 = to_off[4];
  const std::vector<int64_t>& from4 = from_off[4];
  for (size_t a = 0; a < to_off[0].size(); ++a)
    for (size_t b = 0; b < to_off[1].size(); ++b)
      for (size_t c = 0; c < to_off[2].size(); ++c)
        for (size_t d = 0; d < to_off[3].size(); ++d) {
          const int64_t fo[4] = {from_off[0][a], from_off[1][b], from_off[2][c], from_off[3][d]};
          float* o = out + (to_off[0][a] + to_off[1][b] + to_off[2][c] + to_off[3][d]);
          if (fo[0] < 0 || fo[1] < 0 || fo[2] < 0 || fo[3] < 0) {
            for (size_t e = 0; e < to4.size(); ++e) o[to4[e]] = 0.f;
            continue;
          }
          const float* i = in + (fo[0] + fo[1] + fo[2] + fo[3]);
          for (size_t e = 0; e < to4.size(); ++e) o[to4[e]] = from4[e] < 0 ? 0.f : i[from4[e]];
        }
  return true;
}

// Primitives that each compute one band of a node's output, a band per thread of the session's
// pthreadpool, each single-threaded (see DnnlConvKernel for why).
class DnnlBandsKernel : public Kernel {
 public:
  Status Run(pthreadpool_t pool) override {
    failed_.store(false, std::memory_order_relaxed);
    if (bands_.size() == 1 || !pool) {
      for (size_t i = 0; i < bands_.size(); ++i) RunBand(this, i);
    } else {
      pthreadpool_parallelize_1d(pool, RunBand, this, bands_.size(), 0);
    }
    if (failed_.load(std::memory_order_relaxed))
      return EngineError(where_ + ": dnnl_primitive_execute failed");
    return Status::Ok();
  }

 protected:
  using Args = std::vector<std::pair<int, dnnl::memory>>;

  // What every Setup starts with: the node's name for Run's errors, the process's oneDNN engine
  // (declining without one) and the number of bands to aim for (the pool's threads).
  Status Begin(const NodeContext& ctx, pthreadpool_t pool) {
    where_ = ctx.Where();
    std::string error;
    engine_ = CpuEngine(&error);
    if (!engine_) return ctx.Decline("onednn: " + error);
    threads_ = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    return Status::Ok();
  }

  // Declines a primitive that only oneDNN's reference code implements (far slower than XNNPACK
  // or the portable kernels).
  static Status NotReference(const NodeContext& ctx, const dnnl::primitive_desc& pd) {
    const std::string impl = pd.impl_info_str();
    if (impl.compare(0, 3, "ref") == 0)
      return ctx.Decline("onednn has only its reference implementation (" + impl + ")");
    return Status::Ok();
  }

  // One more band: the primitive of `pd` on `args`, plus a scratchpad of its own where it wants
  // one; NotReference first.
  Status AddBand(const NodeContext& ctx, const dnnl::primitive_desc& pd, const Args& args) {
    EDGERT_RETURN_IF_ERROR(NotReference(ctx, pd));
    Band band;
    band.stream = dnnl::stream(*engine_);
    for (const auto& [arg, mem] : args) band.Add(arg, mem);
    if (pd.scratchpad_desc().get_size() > 0)
      band.Add(DNNL_ARG_SCRATCHPAD, dnnl::memory(pd.scratchpad_desc(), *engine_));
    band.prim = dnnl::primitive(pd);
    bands_.push_back(std::move(band));
    return Status::Ok();
  }

  // Forgets the bands of a Setup that declined, before another try.
  void ClearBands() { bands_.clear(); }

  std::string where_;
  const dnnl::engine* engine_ = nullptr;
  int64_t threads_ = 1;

 private:
  struct Band {
    dnnl::stream stream;
    dnnl::primitive prim;
    // The dnnl::memory objects own or wrap the buffers and must live as long as the kernel.
    std::vector<dnnl::memory> mems;
    std::vector<dnnl_exec_arg_t> args;
    void Add(int arg, const dnnl::memory& m) {
      mems.push_back(m);
      args.push_back({arg, m.get()});
    }
  };

  // One band, on whichever pool thread pthreadpool gives it. The OpenMP team size is a
  // per-thread setting: 1 here, so oneDNN runs inline on this thread.
  static void RunBand(void* self, size_t i) {
    auto* k = static_cast<DnnlBandsKernel*>(self);
    Band& band = k->bands_[i];
    const OmpThreads omp(1);
    if (dnnl_primitive_execute(band.prim.get(), band.stream.get(),
                               static_cast<int>(band.args.size()),
                               band.args.data()) != dnnl_success)
      k->failed_.store(true, std::memory_order_relaxed);
  }

  std::vector<Band> bands_;
  std::atomic<bool> failed_{false};
};

// A oneDNN Conv2D, run as bands of output rows (batch items when N > 1), one band per thread of
// the session's pthreadpool, each band a single-threaded primitive. So oneDNN never starts its
// own OpenMP team: the session's threads do all the work, and nothing spins on the cores while
// the next node (often an XNNPACK one) runs. Splitting by rows costs each band its halo of
// input rows, which is re-read, not recomputed.
class DnnlConvKernel : public DnnlBandsKernel {
 protected:
  // Creates one primitive per band. Declines a band that only oneDNN's reference code
  // implements (far slower than XNNPACK); dnnl::error propagates to the caller. `shared_args`
  // (e.g. zero points) are bound to every band.
  Status Build(const NodeContext& ctx, ConvSpec& spec, const Args& shared_args) {
    using tag = dnnl::memory::format_tag;
    const ConvGeometry& g = spec.g;
    const dnnl::memory::dims w_dims =
        g.group == 1 ? dnnl::memory::dims{g.cout, g.cin, g.kh, g.kw}
                     : dnnl::memory::dims{g.group, g.cout / g.group, g.cin / g.group, g.kh, g.kw};
    const dnnl::memory::desc user_w_md(w_dims, spec.wei_dt, g.group == 1 ? tag::ohwi : tag::gohwi);
    const dnnl::memory::desc b_md =
        spec.b ? dnnl::memory::desc({g.cout}, spec.bias_dt, tag::a) : dnnl::memory::desc();
    dnnl::memory bias;
    if (spec.b) {
      bias_.assign(spec.b->data, spec.b->data + spec.b->bytes());
      bias = dnnl::memory(b_md, *engine_, bias_.data());
    }
    // Bands: rows of the one image, or batch items.
    const bool by_rows = g.n == 1;
    const int64_t extent = by_rows ? g.oh : g.n;
    const int64_t count = std::max<int64_t>(1, std::min(threads_, extent));
    const int64_t ekh = (g.kh - 1) * g.dilations[0] + 1;
    const int64_t row = g.w * g.cin, out_row = g.ow * g.cout;  // elements per row
    const OmpThreads omp(1);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t lo = extent * i / count, hi = extent * (i + 1) / count;
      int64_t n = g.n, h = g.h, oh = g.oh, pt = g.pads[0], pb = g.pads[2];
      size_t x_off = 0, y_off = 0;
      if (by_rows) {
        // Input rows [first, last) feed output rows [lo, hi); the clipped-off part is padding.
        const int64_t first = lo * g.strides[0] - g.pads[0];
        const int64_t last = (hi - 1) * g.strides[0] - g.pads[0] + ekh;
        pt = std::max<int64_t>(0, -first);
        pb = std::max<int64_t>(0, last - g.h);
        h = std::min(last, g.h) - std::max<int64_t>(0, first);
        oh = hi - lo;
        x_off = static_cast<size_t>(std::max<int64_t>(0, first) * row);
        y_off = static_cast<size_t>(lo * out_row);
      } else {
        n = hi - lo;
        x_off = static_cast<size_t>(lo * g.h * row);
        y_off = static_cast<size_t>(lo * g.oh * out_row);
      }
      const dnnl::memory::desc x_md({n, g.cin, h, g.w}, spec.src_dt, tag::nhwc);
      const dnnl::memory::desc y_md({n, g.cout, oh, g.ow}, spec.dst_dt, tag::nhwc);
      // oneDNN counts dilation from 0 (no dilation) where ONNX counts from 1.
      const dnnl::convolution_forward::desc desc(
          dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, x_md,
          dnnl::memory::desc(w_dims, spec.wei_dt, tag::any), b_md, y_md,
          {g.strides[0], g.strides[1]}, {g.dilations[0] - 1, g.dilations[1] - 1}, {pt, g.pads[1]},
          {pb, g.pads[3]});
      const dnnl::convolution_forward::primitive_desc pd(desc, spec.attr, *engine_);
      EDGERT_RETURN_IF_ERROR(NotReference(ctx, pd));
      impl_ = pd.impl_info_str();
      if (spec.require_vnni && !ImplHasVnni(impl_))
        return ctx.Decline("onednn's implementation " + impl_ + " has no VNNI");
      dnnl::stream stream(*engine_);
      Args args = {{DNNL_ARG_SRC, dnnl::memory(x_md, *engine_, spec.x + x_off * spec.elem)},
                   {DNNL_ARG_WEIGHTS, Weights(ctx, pd.weights_desc(), user_w_md, *spec.w, stream)},
                   {DNNL_ARG_DST, dnnl::memory(y_md, *engine_, spec.y + y_off * spec.elem)}};
      if (spec.b) args.emplace_back(DNNL_ARG_BIAS, bias);
      args.insert(args.end(), shared_args.begin(), shared_args.end());
      EDGERT_RETURN_IF_ERROR(AddBand(ctx, pd, args));
    }
    // Offered to the start-up cache only now: a kernel that declines is destroyed with its
    // weights, and the cache reads what it is offered when the session saves it.
    for (const auto& [key, m] : fresh_weights_)
      ctx.weight_cache->Put(key, m.get_data_handle(), m.get_desc().get_size());
    fresh_weights_.clear();
    ++kernels_set_up;
    return Status::Ok();
  }

  // Forgets the bands, weights and bias of a Build that declined, before another try.
  void Reset() {
    ClearBands();
    weights_.clear();
    fresh_weights_.clear();
    weight_blocks_.clear();
    bias_.clear();
  }

  std::string impl_;  // the implementation oneDNN chose (the last band's)

 private:
  // The weights in layout `md`, reordered once from the node's constant; bands whose
  // implementations want the same layout share one copy. Never the model's mapped bytes, whose
  // alignment oneDNN's kernels were never promised: a private copy, or a page-aligned blob of the
  // start-up cache, made by this reorder in an earlier process (keyed by oneDNN's version, the
  // node and the whole layout descriptor; the model and ISA key the cache file itself).
  dnnl::memory Weights(const NodeContext& ctx, const dnnl::memory::desc& md,
                       const dnnl::memory::desc& user_md, const TensorRef& w,
                       dnnl::stream& stream) {
    for (const dnnl::memory& m : weights_)
      if (m.get_desc() == md) return m;
    uint64_t key = 0;
    if (ctx.weight_cache) {
      const dnnl_version_t* v = dnnl_version();
      const int64_t seed[4] = {v->major, v->minor, v->patch, ctx.index};
      key = CacheKey(&md.data, sizeof(md.data), CacheKey(seed, sizeof(seed), 0));
      if (const void* hit = ctx.weight_cache->Find(key, md.get_size())) {
        // oneDNN only reads weights; the mapping is read-only, so a write would fault loudly.
        dnnl::memory weights(md, *engine_, const_cast<void*>(hit));
        weights_.push_back(weights);
        return weights;
      }
    }
    // From huge pages shared with other kernels' weights (fresh_memory.h): first touch of
    // page-by-page memory was most of a cold start's reorder time.
    PooledBlock block = AllocateLongLived(md.get_size(), 64);
    dnnl::memory weights =
        block.data ? dnnl::memory(md, *engine_, block.data) : dnnl::memory(md, *engine_);
    if (block.owner) weight_blocks_.push_back(std::move(block.owner));
    if (md != user_md && CopyToBlockedLayout(user_md, w.data, md, weights.get_data_handle())) {
      // copied without a reorder primitive
    } else if (md != user_md) {
      dnnl::memory user(user_md, *engine_, w.data);
      dnnl::reorder(user, weights).execute(stream, user, weights);
      stream.wait();
    } else {
      std::memcpy(weights.get_data_handle(), w.data, w.bytes());
    }
    if (ctx.weight_cache) fresh_weights_.emplace_back(key, weights);
    weights_.push_back(weights);
    return weights;
  }

  std::vector<std::shared_ptr<FreshMapping>> weight_blocks_;  // what weights_ may point into
  std::vector<dnnl::memory> weights_;
  std::vector<std::pair<uint64_t, dnnl::memory>> fresh_weights_;  // for the cache, once built
  std::vector<uint8_t> bias_;                                     // a copy of the constant bias
};

// The fused activation range [activation_min, activation_max] as a oneDNN post-op: none,
// eltwise_relu for (0, +inf), eltwise_clip when both bounds are finite; others decline.
Status F32PostOps(const NodeContext& ctx, dnnl::primitive_attr* attr) {
  Range r;
  EDGERT_RETURN_IF_ERROR(ReadActivationRange(ctx, &r));
  const float lo = r.lo, hi = r.hi;
  dnnl::post_ops post;
  if (lo == 0.f && hi == kInf) {
    post.append_eltwise(1.f, dnnl::algorithm::eltwise_relu, 0.f, 0.f);
  } else if (std::isfinite(lo) && std::isfinite(hi)) {
    post.append_eltwise(1.f, dnnl::algorithm::eltwise_clip, lo, hi);
  } else if (lo != -kInf || hi != kInf) {
    return ctx.Decline("activation range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                       "] has no oneDNN post-op");
  }
  attr->set_post_ops(post);
  return Status::Ok();
}

// FullyConnected's x [..., K], w [M, K], bias [M] and y [..., M] as the geometry of a 1x1
// convolution over rows = x.elements() / K rows of one column (w is then ohwi, H = W = 1).
Status ReadFcGeometry(const NodeContext& ctx, ConvGeometry* g) {
  const TensorRef* x = ctx.In(0);
  const TensorRef* w = ctx.In(1);
  const TensorRef* b = ctx.In(2);
  if (x->rank() < 1 || w->rank() != 2 || w->shape[1] != x->shape.back())
    return ctx.Error("weights " + ShapeToString(w->shape) + " do not fit input " +
                     ShapeToString(x->shape) + " (need [M,K])");
  const int64_t k = w->shape[1], m = w->shape[0];
  if (b && b->elements() != m) return ctx.Error("bias size differs from M");
  std::vector<int64_t> want(x->shape);
  want.back() = m;
  EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *ctx.Out(0), want));
  if (x->elements() == 0 || k == 0) return ctx.Decline("empty tensor");
  g->pads = {0, 0, 0, 0};
  g->strides = {1, 1};
  g->dilations = {1, 1};
  g->group = 1;
  g->n = 1;
  g->h = g->oh = x->elements() / k;
  g->w = g->ow = 1;
  g->cin = k;
  g->cout = m;
  g->kh = g->kw = 1;
  return Status::Ok();
}

// f32 Conv2D: x [N,H,W,Cin] and y [N,OH,OW,Cout] as nhwc memory on the arena; weights
// [Cout,KH,KW,Cin/g] are oneDNN's ohwi (g == 1) or gohwi with dims [g, Cout/g, Cin/g, KH, KW].
// f32 FullyConnected (IR.md) runs here too, as a 1x1 convolution over its rows
// (ReadFcGeometry), so the rows band across threads like a convolution's. It is taken from
// XNNPACK for start-up: XNNPACK packs its weights at every setup (mobilenet_v2's 1280x1000
// classifier: 20-50 ms, most of it first-touch page faults), where oneDNN's reordered weights
// come from the start-up cache.
class F32ConvKernel : public DnnlConvKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, pool));
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
    ConvSpec spec;
    spec.w = ctx.In(1);
    spec.b = ctx.In(2);
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    if (!spec.w->constant) return ctx.Decline("weights are not constant");
    if (spec.b && !spec.b->constant) return ctx.Decline("bias is not constant");
    for (const TensorRef* t : {x, spec.w, spec.b, y})
      if (t && t->dtype != fb::DType_F32) return ctx.Decline("not all tensors are f32");
    if (ctx.op == fb::OpType_FullyConnected) {
      EDGERT_RETURN_IF_ERROR(ReadFcGeometry(ctx, &spec.g));
    } else {
      EDGERT_RETURN_IF_ERROR(ReadConvGeometry(ctx, false, &spec.g));
      if (x->elements() == 0 || y->elements() == 0) return ctx.Decline("empty tensor");
    }
    EDGERT_RETURN_IF_ERROR(F32PostOps(ctx, &spec.attr));
    spec.attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    spec.x = x->data;
    spec.y = y->data;
    try {
      EDGERT_RETURN_IF_ERROR(Build(ctx, spec, {}));
    } catch (const dnnl::error& e) {
      // unimplemented or unsupported arguments: XNNPACK may take the node
      return ctx.Decline(std::string("onednn: ") + e.what());
    }
    return Status::Ok();
  }
};

// Int8 Conv2D (IR.md "Int8"): S8 x and y with per-tensor zero points, symmetric S8 weights with
// one scale per output channel, S32 bias in units of x_scale * w_scale[c]. oneDNN 2.x computes
//   y = saturate(round_half_even(clip(scale[c] * (acc + bias[c])) + y_zp)),
//   acc = sum (x - x_zp) * w,  scale[c] = x_scale * w_scale[c] / y_scale,
// XNNPACK's fp32 requantization; the fused activation becomes a clip to [qmin - y_zp,
// qmax - y_zp] ahead of the zero point, which rounds to the same values as clamping the
// quantized result to [qmin, qmax] because rounding is monotonic.
//
// Exactness, and the two ways in. oneDNN's x86 int8 kernels multiply u8 by s8.
// - VNNI (AVX512-VNNI, AVX-VNNI, AMX): vpdpbusd sums the products in 32 bits, so any weights are
//   exact. x is handed over as s8, straight from the arena: oneDNN shifts it to u8 in registers
//   and subtracts 128 * sum(w) from a compensation it computes once with the weights. Chosen
//   when the implementation oneDNN picks for the s8 descriptor names a VNNI ISA.
// - Without VNNI (e.g. AVX2, or EDGERT_DISABLE_VNNI=1): vpmaddubsw sums two adjacent products
//   into a saturating 16-bit lane. With s8 x, oneDNN halves every weight to stay in range, which
//   costs each weight its low bit (mobilenet_v2 int8 against ORT: cosine 0.990); with u8 x,
//   full-range weights saturate wherever two adjacent channels are both near the top of their
//   range (0.987). So oneDNN takes a node only where saturation is impossible: x is handed over as
//   u8 (x ^ 0x80, zero point + 128) and every weight is within +-64, so 255 * (64 + 64) = 32640
//   fits 16 bits. model_compiler's `reduce_range: true` quantizes weights to that range (ONNX
//   Runtime's reduce_range). Other nodes stay on XNNPACK, which widens to 16 bits before
//   multiplying and is exact.
// The u8 x. Where the session planned x as u8 (TensorRef::as_u8: its producer, another of these
// kernels or a Quantize, writes it so, and all its consumers read it so), x is read in place.
// Otherwise it is converted at each Run into a kernel buffer, one pass over x. Likewise y is
// written as u8 (dst zero point + 128) where it is planned so.
class QConv2DKernel : public DnnlConvKernel {
 public:
  static constexpr int kMaxWeight = 64;

  // The checks that need no oneDNN primitive: geometry (into *g), shapes, and the two measured
  // rules below, which leave to XNNPACK what it runs faster. PredictU8 asks the same questions.
  static Status Eligible(const NodeContext& ctx, ConvGeometry* g) {
    if (ctx.op == fb::OpType_FullyConnected) {
      // As a 1x1 convolution over its rows (see F32ConvKernel): on VNNI its
      // reordered weights come from the start-up cache, where XNNPACK repacks them every time.
      EDGERT_RETURN_IF_ERROR(ReadFcGeometry(ctx, g));
    } else {
      EDGERT_RETURN_IF_ERROR(ReadConvGeometry(ctx, false, g));
    }
    if (ctx.In(0)->elements() == 0 || ctx.Out(0)->elements() == 0)
      return ctx.Decline("empty tensor");
    // Measured on mobilenet_v2 (AVX2): XNNPACK's depthwise kernels are 2-4x faster, and below
    // 32 output channels the u8 copy of x is too large a share of the work.
    if (g->group > 1) return ctx.Decline("grouped int8 convolution: XNNPACK's is faster");
    if (g->cout < 32) return ctx.Decline("fewer than 32 output channels: XNNPACK's is faster");
    return Status::Ok();
  }

  // Without VNNI: declines weights beyond +-kMaxWeight, which `isa` (the implementation oneDNN
  // picked, for the message) would sum inexactly in 16 bits.
  static Status WeightsFit16Bits(const NodeContext& ctx, const std::string& isa) {
    const auto* wq = reinterpret_cast<const int8_t*>(ctx.In(1)->data);
    int wmax = 0;
    for (int64_t i = 0, e = ctx.In(1)->elements(); i < e; ++i)
      wmax = std::max(wmax, std::abs(wq[i]));
    if (wmax > kMaxWeight)
      return ctx.Decline("weights reach +-" + std::to_string(wmax) + ", beyond the +-" +
                         std::to_string(kMaxWeight) + " that " + isa + " (no VNNI) keeps exact");
    return Status::Ok();
  }

  Status Run(pthreadpool_t pool) override {
    const size_t n = x_u8_.size();
    if (n == 0) {
      // the VNNI path reads s8 x in place, and every path reads a planned u8 x in place
    } else if (pool && threads_ > 1) {
      pthreadpool_parallelize_1d_tile_1d(pool, ToU8, this, n, (n + threads_ - 1) / threads_, 0);
    } else {
      ToU8(this, 0, n);
    }
    return DnnlConvKernel::Run(pool);
  }

  bool handles_u8() const override { return true; }

  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(Begin(ctx, pool));
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
    if (DeclinedForTesting(ctx.name)) return ctx.Decline("declined for testing");
    QConvParams qp;
    EDGERT_RETURN_IF_ERROR(ReadQConvParams(ctx, &qp));
    ConvSpec spec;
    EDGERT_RETURN_IF_ERROR(Eligible(ctx, &spec.g));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    // A planned u8 tensor (TensorRef::as_u8) holds v + 128: its zero point is 128 higher. The
    // clip below is relative to y's zero point, so it does not move.
    using dt = dnnl::memory::data_type;
    const int32_t x_shift = x->as_u8 ? 128 : 0;
    spec.wei_dt = dt::s8;
    spec.dst_dt = y->as_u8 ? dt::u8 : dt::s8;
    spec.bias_dt = dt::s32;
    spec.elem = 1;
    spec.w = ctx.In(1);
    spec.b = ctx.In(2);
    std::vector<float> scales(static_cast<size_t>(spec.g.cout));
    for (size_t c = 0; c < scales.size(); ++c) scales[c] = qp.x.s() * qp.w_scale[c] / qp.y.s();
    spec.attr.set_output_scales(1 << 1, scales);
    spec.attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
    spec.attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
    if (qp.qmin > -128 || qp.qmax < 127) {
      dnnl::post_ops post;
      post.append_eltwise(1.f, dnnl::algorithm::eltwise_clip,
                          static_cast<float>(qp.qmin - qp.y.zp()),
                          static_cast<float>(qp.qmax - qp.y.zp()));
      spec.attr.set_post_ops(post);
    }
    spec.attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    spec.y = y->data;
    zero_points_[1] = qp.y.zp() + (y->as_u8 ? 128 : 0);
    try {
      // VNNI: x in place (s8, or u8 where planned), any weights.
      spec.src_dt = x->as_u8 ? dt::u8 : dt::s8;
      spec.x = x->data;
      spec.require_vnni = true;
      zero_points_[0] = qp.x.zp() + x_shift;
      Status s = Build(ctx, spec, ZeroPointArgs());
      if (s.code() != StatusCode::kUnsupported) return s;
      Reset();
      // Without VNNI: u8 x (planned, or a copy made at each Run), weights within +-64.
      EDGERT_RETURN_IF_ERROR(WeightsFit16Bits(ctx, impl_));
      spec.src_dt = dt::u8;
      spec.require_vnni = false;
      zero_points_[0] = qp.x.zp() + 128;
      if (!x->as_u8) {
        x_ = x->data;
        x_u8_.assign(x->bytes(), 0);
        spec.x = x_u8_.data();
      }
      return Build(ctx, spec, ZeroPointArgs());
    } catch (const dnnl::error& e) {
      // unimplemented or unsupported arguments: the int8 provider's XNNPACK kernel takes it
      return ctx.Decline(std::string("onednn: ") + e.what());
    }
  }

 private:
  // The runtime zero points of x and y, bound to every band.
  Args ZeroPointArgs() {
    const dnnl::memory::desc zp_md({1}, dnnl::memory::data_type::s32, dnnl::memory::format_tag::a);
    return {
        {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, dnnl::memory(zp_md, *engine_, &zero_points_[0])},
        {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST,
         dnnl::memory(zp_md, *engine_, &zero_points_[1])}};
  }

  static void ToU8(void* self, size_t start, size_t count) {
    auto* k = static_cast<QConv2DKernel*>(self);
    const uint8_t* x = k->x_ + start;
    uint8_t* u = k->x_u8_.data() + start;
    for (size_t i = 0; i < count; ++i) u[i] = x[i] ^ 0x80;
  }

  std::array<int32_t, 2> zero_points_{};  // x, y as oneDNN reads them (u8: +128), at every Run
  const uint8_t* x_ = nullptr;
  std::vector<uint8_t> x_u8_;  // the per-Run u8 copy of x; empty where x is read in place
};

// MatMul of two tensors (IR.md): one oneDNN matmul per band of batch matrices, a band per thread
// of the session's pthreadpool, each primitive single-threaded as for Conv2D. Batch dims that
// broadcast (a or b has 1 where y has more) run as one primitive over the whole shapes, which
// oneDNN's matmul broadcasts itself.
class DnnlMatMulKernel : public DnnlBandsKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 2, 1));
    const TensorRef* a = ctx.In(0);
    const TensorRef* b = ctx.In(1);
    const TensorRef* y = ctx.Out(0);
    if (a->dtype != fb::DType_F32 || b->dtype != fb::DType_F32 || y->dtype != fb::DType_F32)
      return ctx.Decline("onednn: f32 only");
    MatMulGeometry g;
    EDGERT_RETURN_IF_ERROR(ReadMatMulGeometry(ctx, &g));
    if (a->rank() > DNNL_MAX_NDIMS) return ctx.Decline("onednn: rank above DNNL_MAX_NDIMS");
    EDGERT_RETURN_IF_ERROR(Begin(ctx, pool));
    const int64_t count = static_cast<int64_t>(g.a_offset.size());
    const bool broadcast = a->elements() != count * g.m * g.k || b->elements() != count * g.k * g.n;
    const int64_t bands = broadcast ? 1 : std::max<int64_t>(1, std::min(threads_, count));
    using dims = dnnl::memory::dims;
    // Dense row-major f32 of shape `d`.
    auto md = [](const dims& d) {
      dims st(d.size());
      int64_t acc = 1;
      for (size_t i = d.size(); i-- > 0;) {
        st[i] = acc;
        acc *= d[i];
      }
      return dnnl::memory::desc(d, dnnl::memory::data_type::f32, st);
    };
    const OmpThreads omp(1);
    for (int64_t i = 0; i < bands; ++i) {
      const int64_t lo = count * i / bands, hi = count * (i + 1) / bands;
      const dims ad = broadcast ? dims(a->shape) : dims{hi - lo, g.m, g.k};
      const dims bd = broadcast ? dims(b->shape) : dims{hi - lo, g.k, g.n};
      const dims yd = broadcast ? dims(y->shape) : dims{hi - lo, g.m, g.n};
      const dnnl::engine& e = *engine_;
      const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(md(ad), md(bd), md(yd)), e);
      EDGERT_RETURN_IF_ERROR(
          AddBand(ctx, pd,
                  {{DNNL_ARG_SRC, dnnl::memory(md(ad), e, a->f32() + lo * g.m * g.k)},
                   {DNNL_ARG_WEIGHTS, dnnl::memory(md(bd), e, b->f32() + lo * g.k * g.n)},
                   {DNNL_ARG_DST, dnnl::memory(md(yd), e, y->f32() + lo * g.m * g.n)}}));
    }
    ++kernels_set_up;
    return Status::Ok();
  }
};

// Gelu (IR.md) as oneDNN's JIT eltwise (gelu_erf, gelu_tanh): the portable kernel's erf is a
// rational function that this generic x86-64 build (SSE2) runs 4 lanes at a time, which made
// GELU a fifth of ViT's and over a third of ConvNeXt's time. The tensor is cut into bands of
// contiguous elements, a band per thread of the session's pthreadpool. An `approximate` other
// than "none"/"tanh" is declined, so the portable kernel reports it.
class DnnlGeluKernel : public DnnlBandsKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(1, 1, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* y = ctx.Out(0);
    if (x->dtype != fb::DType_F32 || y->dtype != fb::DType_F32)
      return ctx.Decline("onednn: f32 only");
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, x->shape));
    const std::string approx = ctx.Str("approximate", "none");
    if (approx != "none" && approx != "tanh") return ctx.Decline("onednn: unknown approximate");
    const dnnl::algorithm alg =
        approx == "tanh" ? dnnl::algorithm::eltwise_gelu_tanh : dnnl::algorithm::eltwise_gelu_erf;
    EDGERT_RETURN_IF_ERROR(Begin(ctx, pool));
    const int64_t n = x->elements();
    if (n == 0) return ctx.Decline("onednn: empty tensor");
    // Bands of at least 16k elements: below that a thread's start costs more than it saves.
    const int64_t bands = std::max<int64_t>(1, std::min(threads_, n / 16384));
    const OmpThreads omp(1);
    try {
      for (int64_t i = 0; i < bands; ++i) {
        const int64_t lo = n * i / bands, hi = n * (i + 1) / bands;
        const dnnl::memory::desc md({hi - lo}, dnnl::memory::data_type::f32,
                                    dnnl::memory::format_tag::a);
        const dnnl::eltwise_forward::primitive_desc pd(
            dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference, alg, md, 0.f, 0.f),
            *engine_);
        EDGERT_RETURN_IF_ERROR(
            AddBand(ctx, pd,
                    {{DNNL_ARG_SRC, dnnl::memory(md, *engine_, x->f32() + lo)},
                     {DNNL_ARG_DST, dnnl::memory(md, *engine_, y->f32() + lo)}}));
      }
    } catch (const dnnl::error& e) {
      return ctx.Decline(std::string("onednn: ") + e.what());  // the portable kernel takes it
    }
    ++kernels_set_up;
    return Status::Ok();
  }
};

// LayerNorm (IR.md) as oneDNN's layer normalization, which normalises over the last logical
// dimension: the stored axes axis..rank-1 are dense, so x is a [rows, d] matrix with d =
// prod(shape[axis:]), and scale/bias are d floats. Rows are cut into bands, one per thread of
// the session's pthreadpool (the portable kernel runs on one thread).
class DnnlLayerNormKernel : public DnnlBandsKernel {
 public:
  Status Setup(const NodeContext& ctx, pthreadpool_t pool) override {
    EDGERT_RETURN_IF_ERROR(ctx.CheckArity(2, 3, 1));
    const TensorRef* x = ctx.In(0);
    const TensorRef* scale = ctx.In(1);
    const TensorRef* bias = ctx.In(2);
    const TensorRef* y = ctx.Out(0);
    for (const TensorRef* t : {x, scale, bias, y})
      if (t && t->dtype != fb::DType_F32) return ctx.Decline("onednn: f32 only");
    EDGERT_RETURN_IF_ERROR(CheckOutShape(ctx, *y, x->shape));
    const int rank = x->rank();
    const int64_t axis = ctx.Int("axis", -1);
    // Out-of-range axes, wrong scale shapes and negative epsilons are the portable kernel's
    // errors to report.
    if (axis < -rank || axis >= rank) return ctx.Decline("onednn: axis out of range");
    const size_t a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    const std::vector<int64_t> norm(x->shape.begin() + static_cast<std::ptrdiff_t>(a),
                                    x->shape.end());
    for (const TensorRef* p : {scale, bias})
      if (p && p->shape != norm) return ctx.Decline("onednn: scale/bias shape");
    const float eps = ctx.Float("epsilon", 1e-5f);
    if (!(eps >= 0.f)) return ctx.Decline("onednn: epsilon");
    int64_t d = 1;
    for (int64_t v : norm) d *= v;
    const int64_t rows = d ? x->elements() / d : 0;
    if (rows == 0 || d == 0) return ctx.Decline("onednn: empty tensor");
    EDGERT_RETURN_IF_ERROR(Begin(ctx, pool));
    // Bands of at least 16k elements, as for Gelu.
    const int64_t bands = std::max<int64_t>(1, std::min({threads_, rows, rows * d / 16384}));
    auto flags = dnnl::normalization_flags::use_scale;
    if (bias) flags |= dnnl::normalization_flags::use_shift;
    const dnnl::memory::desc cd({d}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
    const OmpThreads omp(1);
    try {
      for (int64_t i = 0; i < bands; ++i) {
        const int64_t lo = rows * i / bands, hi = rows * (i + 1) / bands;
        const dnnl::memory::desc md({hi - lo, d}, dnnl::memory::data_type::f32,
                                    dnnl::memory::format_tag::ab);
        const dnnl::layer_normalization_forward::primitive_desc pd(
            dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_inference, md, eps,
                                                    flags),
            *engine_);
        const dnnl::engine& e = *engine_;
        Args args = {{DNNL_ARG_SRC, dnnl::memory(md, e, x->f32() + lo * d)},
                     {DNNL_ARG_DST, dnnl::memory(md, e, y->f32() + lo * d)},
                     {DNNL_ARG_SCALE, dnnl::memory(cd, e, scale->f32())}};
        if (bias) args.emplace_back(DNNL_ARG_SHIFT, dnnl::memory(cd, e, bias->f32()));
        // Inference computes the statistics itself; should an implementation still want
        // somewhere to put them, it gets its own buffers.
        if (pd.mean_desc().get_size() > 0) {
          args.emplace_back(DNNL_ARG_MEAN, dnnl::memory(pd.mean_desc(), e));
          args.emplace_back(DNNL_ARG_VARIANCE, dnnl::memory(pd.variance_desc(), e));
        }
        EDGERT_RETURN_IF_ERROR(AddBand(ctx, pd, args));
      }
    } catch (const dnnl::error& e) {
      return ctx.Decline(std::string("onednn: ") + e.what());  // the portable kernel takes it
    }
    ++kernels_set_up;
    return Status::Ok();
  }
};

// EDGERT_DISABLE_DNNL=1 (read once) leaves every node to XNNPACK, for comparisons.
bool DisabledByEnv() {
  static const bool disabled = EnvSet("EDGERT_DISABLE_DNNL");
  return disabled;
}

class DnnlProviderImpl : public KernelProvider {
 public:
  DnnlProviderImpl() : KernelProvider("onednn") {
    Register(fb::OpType_Conv2D, fb::DType_F32, Make<F32ConvKernel>);
    Register(fb::OpType_FullyConnected, fb::DType_F32, Make<F32ConvKernel>);
    Register(fb::OpType_Conv2D, fb::DType_S8, Make<QConv2DKernel>);
    Register(fb::OpType_FullyConnected, fb::DType_S8, Make<QConv2DKernel>);
    Register(fb::OpType_MatMul, fb::DType_F32, Make<DnnlMatMulKernel>);
    Register(fb::OpType_Gelu, fb::DType_F32, Make<DnnlGeluKernel>);
    Register(fb::OpType_LayerNorm, fb::DType_F32, Make<DnnlLayerNormKernel>);
  }

  // An int8 convolution that QConv2DKernel takes reads and writes planned u8 tensors; without
  // VNNI it gains, as it would otherwise convert x at each Run. One it declines goes to XNNPACK.
  U8Prediction PredictU8(const NodeContext& ctx) const override {
    U8Prediction p;
    p.takes = true;
    if (ctx.op != fb::OpType_Conv2D && ctx.op != fb::OpType_FullyConnected) return p;
    if (!ctx.node || ctx.node->precision() != fb::Precision_Int8) return p;
    bool vnni = false;
    const std::string isa = DnnlIsa(&vnni);
    ConvGeometry g;
    QConvParams qp;
    if (ctx.CheckArity(2, 3, 1).ok() && ReadQConvParams(ctx, &qp).ok() &&
        QConv2DKernel::Eligible(ctx, &g).ok() &&
        (vnni || QConv2DKernel::WeightsFit16Bits(ctx, isa).ok())) {
      p.reads = p.writes = true;
      p.gains = !vnni;
    } else {
      p.takes = false;
    }
    return p;
  }
};

}  // namespace

const KernelProvider* DnnlProvider() {
  if (DisabledByEnv()) return nullptr;
  static const DnnlProviderImpl provider;
  return &provider;
}

size_t DnnlKernelCountForTesting() { return kernels_set_up.load(); }

void SetDnnlInt8DeclineForTesting(const std::string& node_name) {
  const std::lock_guard<std::mutex> lock(decline_mutex);
  decline_for_testing = node_name;
}

std::string DnnlIsa(bool* vnni) {
  *vnni = false;
  std::string error;
  if (!DnnlProvider() || !CpuEngine(&error)) return "";
  const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
  // The VNNI bits of dnnl_cpu_isa_t: avx512_core_vnni (and the ISAs above it) and avx2_vnni.
  *vnni = (isa & 0x40) == 0x40 || (isa & 0x400) == 0x400;
  switch (isa) {
    case dnnl_cpu_isa_sse41:
      return "sse41";
    case dnnl_cpu_isa_avx:
      return "avx";
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    case dnnl_cpu_isa_avx2_vnni:
      return "avx2_vnni";
    default:
      return "isa_" + std::to_string(static_cast<int>(isa));
  }
}

}  // namespace edgert::engine
