#include "edgert/session.h"

#include <pthreadpool.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <numeric>
#include <system_error>
#include <thread>

#include "edgert/tensor_io.h"
#include "engine/arena_planner.h"
#include "engine/fresh_memory.h"
#include "engine/kernel.h"
#include "engine/shape_check.h"
#include "model_impl.h"

namespace edgert {

using engine::Kernel;
using engine::KernelProvider;
using engine::NodeContext;
using engine::TensorRef;

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kArenaAlignment = 64;
// Slack after the last arena byte: XNNPACK may read up to XNN_EXTRA_BYTES (16) past a tensor.
constexpr size_t kArenaSlack = 64;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// The activation arena: zeroed, 64-byte aligned bytes, faulted in and in cache before the first
// Run. Arenas of 1 MiB and more are a FreshMapping (huge pages where the system allows,
// fresh_memory.h), faulted in with MADV_POPULATE_WRITE and then memset so the first Run starts in
// cache: skipping the memset once saved 10 ms at setup but cost as much in the first Run (14.5 ms
// instead of 5.7 for a 5.5 ms steady state). With 4 KiB pages, filling mobilenet_v2 f32's
// 6.3 MiB took ~12 ms on a quiet 2-core VM and ~22 CPU-ms under load; with huge pages about 1.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    if (!mapping_) std::free(data_);
  }
  // Reserves the bytes (their address is then fixed); false when they cannot be had. Blocks
  // under 1 MiB are zeroed here, larger ones by Fill.
  bool Reserve(size_t bytes) {
    if (bytes < (size_t{1} << 20)) {
      void* mem = nullptr;
      if (posix_memalign(&mem, kArenaAlignment, bytes) != 0 || !mem) return false;
      data_ = static_cast<uint8_t*>(mem);
      std::memset(data_, 0, bytes);
      return true;
    }
    mapping_ = engine::FreshMapping::Create(bytes);
    if (!mapping_) return false;
    data_ = mapping_->data();  // 2 MiB-aligned, and zero: fresh anonymous pages
    filled_ = bytes;
    return true;
  }
  // Faults a mapped arena in and brings it into cache. First touch of fresh memory is the
  // costly part, so the session runs this on one of the threads that set kernels up, alongside
  // them.
  void Fill() {
    if (!mapping_) return;
    madvise(data_, filled_, kPopulateWrite);  // fails before Linux 5.14: memset faults them then
    std::memset(data_, 0, filled_);
  }
  uint8_t* data() const { return data_; }

 private:
  static constexpr int kPopulateWrite = 23;  // MADV_POPULATE_WRITE (Linux 5.14), not in glibc 2.36
  std::shared_ptr<engine::FreshMapping> mapping_;  // null for a posix_memalign block
  uint8_t* data_ = nullptr;
  size_t filled_ = 0;  // bytes of the mapping in use
};

// The threads that set kernels up: options.setup_threads, or one per CPU this process may run
// on, at most 8 (0).
size_t SetupThreads(const SessionOptions& options) {
  if (options.setup_threads > 0) return static_cast<size_t>(options.setup_threads);
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 1;
  return static_cast<size_t>(std::clamp(cpus, 1, 8));
}

bool IsPlanarImage(TensorType t) { return t == TensorType::kImgNv12 || t == TensorType::kImgY; }

bool IsIdentityPerm(const NodeContext& ctx, size_t rank) {
  const std::vector<int64_t> perm = ctx.Ints("perm", {});
  if (perm.empty()) return true;
  if (perm.size() != rank) return false;
  for (size_t i = 0; i < rank; ++i)
    if (perm[i] != static_cast<int64_t>(i)) return false;
  return true;
}

// The dtype a node's kernel is looked up by: its first present input's, else its first output's.
// Int8-precision nodes are looked up as S8, so a float kernel never runs a quantized node.
fb::DType KeyDType(const NodeContext& ctx) {
  if (ctx.node && ctx.node->precision() == fb::Precision_Int8) return fb::DType_S8;
  for (const TensorRef* t : ctx.inputs)
    if (t) return t->dtype;
  return ctx.outputs.empty() ? fb::DType_F32 : ctx.outputs[0]->dtype;
}

class UnionFind {
 public:
  explicit UnionFind(size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), 0); }
  int Find(int x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void Join(int a, int b) { parent_[Find(a)] = Find(b); }

 private:
  std::vector<int> parent_;
};

// What the "graph" phase works out for the later ones.
struct GraphPlan {
  explicit GraphPlan(size_t tensors, size_t nodes)
      : is_input(tensors, false),
        producer(tensors, -1),
        last_use(tensors, -1),
        alias(nodes, false),
        groups(tensors),
        request_of(tensors, -1) {}
  std::vector<bool> is_input;                  // per tensor: a model input
  std::vector<int> producer;                   // per tensor: the node that writes it, or -1
  std::vector<int> last_use;                   // per tensor: the last node that reads it, or -1
  std::vector<bool> alias;                     // per node: its output shares its input's bytes
  UnionFind groups;                            // tensors that share bytes
  std::vector<engine::ArenaRequest> requests;  // one per group that needs arena bytes
  std::vector<int> request_of;                 // per tensor: its group's request, or -1
};

// "model 'm': N node(s) cannot run: ..." for every node in `nodes`.
Status UnsupportedStatus(const std::string& at, const std::vector<std::string>& nodes) {
  std::string msg = at + ": " + std::to_string(nodes.size()) + " node(s) cannot run: ";
  for (size_t i = 0; i < nodes.size(); ++i) msg += (i ? "; " : "") + nodes[i];
  return Unsupported(msg);
}

// "node 3 'conv1' (Conv2D, F32)": a node and the dtype its kernel is looked up by.
std::string DescribeForLookup(const NodeContext& c) {
  return "node " + std::to_string(c.index) + " '" + c.name + "' (" + fb::EnumNameOpType(c.op) +
         ", " + fb::EnumNameDType(KeyDType(c)) + ")";
}

// Ends one named phase of Session::Create at each End() and records its wall time.
class PhaseClock {
 public:
  explicit PhaseClock(std::vector<PhaseTiming>* phases) : phases_(phases), start_(Clock::now()) {}
  void End(const std::string& phase) {
    const Clock::time_point now = Clock::now();
    phases_->push_back({phase, Ms(start_, now)});
    start_ = now;
  }
  // Starts the next phase now: the time since the last End() belongs to no phase.
  void Restart() { start_ = Clock::now(); }

 private:
  std::vector<PhaseTiming>* phases_;
  Clock::time_point start_;
};

// One node's kernel setup: the first provider whose kernel accepts the node runs it.
struct NodeSetup {
  std::unique_ptr<Kernel> kernel;
  std::string provider;
  Status error;         // a failure other than a decline
  std::string reasons;  // every provider's reason to decline
  // The kernel was given a tensor planned as u8 (TensorRef::as_u8) and did not honour it.
  bool ignored_u8 = false;
};

// Asks `providers` in order for node `c`; adds each provider's setup time to ms[provider].
void SetUpNode(const std::string& at, const std::vector<const KernelProvider*>& providers,
               NodeContext& c, pthreadpool_t pool, std::vector<double>& ms, NodeSetup* r) {
  for (size_t pi = 0; pi < providers.size(); ++pi) {
    const KernelProvider* p = providers[pi];
    engine::KernelFactory factory = p->Find(c.op, KeyDType(c));
    if (!factory) continue;
    const Clock::time_point t0 = Clock::now();
    std::unique_ptr<Kernel> k = factory();
    Status s = k->Setup(c, pool);
    ms[pi] += Ms(t0, Clock::now());
    if (s.ok()) {
      r->provider = p->name();
      if (const char* inner = k->inner_provider()) r->provider += std::string("+") + inner;
      if (!k->handles_u8()) {
        for (const std::vector<TensorRef*>* ts : {&c.inputs, &c.outputs})
          for (const TensorRef* t : *ts) r->ignored_u8 = r->ignored_u8 || (t && t->as_u8);
      }
      r->kernel = std::move(k);
      return;
    }
    if (s.code() != StatusCode::kUnsupported) {
      r->error = EngineError(at + ": " + s.message());
      return;
    }
    const std::string prefix = c.Where() + ": ";
    std::string why = s.message();
    if (why.compare(0, prefix.size(), prefix) == 0) why = why.substr(prefix.size());
    r->reasons += std::string(r->reasons.empty() ? "" : ", ") + p->name() + ": " + why;
  }
}

}  // namespace

struct Session::Impl {
  std::shared_ptr<const Model> model;
  SessionOptions options;
  // Kernels may run on weights mapped from the cache file: it outlives them (~Impl).
  std::unique_ptr<WeightCache> weight_cache;
  WeightCacheReport weight_cache_report;
  pthreadpool_t pool = nullptr;
  std::vector<TensorRef> tensors;
  std::vector<NodeContext> contexts;
  std::vector<std::string> node_providers;       // per node: Session::node_provider
  std::vector<std::unique_ptr<Kernel>> kernels;  // per node; null where the node is an alias
  std::vector<Kernel*> steps;                    // the kernels to run, in order
  Arena arena;
  size_t arena_bytes = 0;
  std::vector<uint8_t*> inputs, outputs;
  std::vector<NodeTiming> timings;
  double last_run_ms = 0;
  bool has_run = false;
  std::vector<PhaseTiming> setup_phases;
  size_t u8_tensors = 0;  // tensors planned as u8 (TensorRef::as_u8)

  ~Impl() {
    kernels.clear();
    if (pool) pthreadpool_destroy(pool);
  }

  // Runs the phases below in order, timing each into setup_phases.
  Status Build();

 private:
  const ModelImpl& mi() const { return internal::ModelAccess::Of(*model); }
  // The graph tensor of model input (or output) i.
  int InputTensor(size_t i) const;
  int OutputTensor(size_t i) const;

  // "graph": tensors with constants in place and model inputs/outputs bound to their
  // descriptions; nodes linked to their tensors, checked to read only written tensors; every
  // node checked to have some provider; aliases found; arena requests from tensor lifetimes.
  Status BindTensors(GraphPlan* g);
  Status LinkNodes(GraphPlan* g);
  Status CheckProvidersExist() const;
  // Every node's output shapes against its op's rule (shape_check.h), before anything is sized.
  Status CheckShapes() const;
  // The arena requests, and then the planned arena (`planned`, 0 before planning), against the
  // working-memory limit, with checked sums: nothing is allocated for a model that needs more.
  Status CheckWorkingMemory(const GraphPlan& g, size_t planned) const;
  void FindAliases(GraphPlan* g) const;
  void RequestArena(GraphPlan* g) const;
  // "arena": allocates the planned arena and points every activation at its slot.
  Status AllocateArena(const GraphPlan& g, const engine::ArenaPlan& plan);
  // "threads": the Run() thread pool.
  Status CreateThreadPool();
  // The start-up cache of packed weights (SessionOptions::cache_dir), before the kernels.
  void OpenWeightCache();
  // Which S8 activations are held as u8 (TensorRef::as_u8), before any kernel is set up.
  void PlanU8(const GraphPlan& g);
  // "kernels" and "kernels:<provider>": sets up every node that is not an alias. Where a kernel
  // did not honour the u8 plan, everything is set up again without it ("kernels_replanned").
  Status SetUpKernels(const GraphPlan& g);
  // Sets up the nodes `todo` on a team of threads into setups (per node) and adds each
  // provider's time to worker_ms (per thread). With `fill`, one thread zero-fills the arena.
  void SetUpNodes(const std::vector<int>& todo, bool fill, std::vector<NodeSetup>* setups,
                  std::vector<std::vector<double>>* worker_ms, double* fill_ms);
  // "cache_write": writes what the kernels packed back to the cache.
  void SaveWeightCache();
  // The input/output buffers and the profile's per-node records.
  void BindBuffers();

  std::string at_;  // "model 'name'", the prefix of Build's messages
  std::vector<const KernelProvider*> providers_;
};

int Session::Impl::InputTensor(size_t i) const {
  return mi().fb->inputs()->Get(static_cast<flatbuffers::uoffset_t>(i))->tensor();
}

int Session::Impl::OutputTensor(size_t i) const {
  return mi().fb->outputs()->Get(static_cast<flatbuffers::uoffset_t>(i))->tensor();
}

Status Session::Impl::Build() {
  PhaseClock clock(&setup_phases);
  at_ = "model '" + mi().name + "'";
  GraphPlan g(mi().tensors.size(), mi().nodes.size());
  EDGERT_RETURN_IF_ERROR(BindTensors(&g));
  EDGERT_RETURN_IF_ERROR(LinkNodes(&g));
  providers_ = engine::Providers();
  EDGERT_RETURN_IF_ERROR(CheckProvidersExist());
  EDGERT_RETURN_IF_ERROR(CheckShapes());
  FindAliases(&g);
  RequestArena(&g);
  EDGERT_RETURN_IF_ERROR(CheckWorkingMemory(g, 0));
  clock.End("graph");

  const engine::ArenaPlan plan =
      engine::PlanArena(g.requests, !options.capture_intermediates, kArenaAlignment);
  arena_bytes = plan.total;
  EDGERT_RETURN_IF_ERROR(CheckWorkingMemory(g, plan.total));
  clock.End("plan");

  EDGERT_RETURN_IF_ERROR(AllocateArena(g, plan));
  clock.End("arena");

  EDGERT_RETURN_IF_ERROR(CreateThreadPool());
  clock.End("threads");

  OpenWeightCache();
  PlanU8(g);
  EDGERT_RETURN_IF_ERROR(SetUpKernels(g));  // records its own phases
  if (weight_cache) {
    clock.Restart();
    SaveWeightCache();
    clock.End("cache_write");
  }
  BindBuffers();
  return Status::Ok();
}

void Session::Impl::OpenWeightCache() {
  if (options.cache_dir.empty()) return;
  // The blobs depend on the model (its checksum), this build and the CPU's ISA; kernels add
  // their library's version and the node to each key.
  const EngineInfo engine = GetEngineInfo();
  weight_cache = std::make_unique<WeightCache>(
      options.cache_dir, mi().name, mi().file_checksum,
      std::string("edgert ") + EDGERT_VERSION + " " + engine.arch + " " + engine.isa);
  for (NodeContext& c : contexts) c.weight_cache = weight_cache.get();
}

void Session::Impl::SaveWeightCache() {
  weight_cache->Save();
  const WeightCache::Stats st = weight_cache->stats();
  weight_cache_report = {st.path, st.hits, st.misses, st.rejected, st.written, st.note};
}

Status Session::Impl::BindTensors(GraphPlan* g) {
  const ModelImpl& m = mi();
  const int tensor_count = static_cast<int>(m.tensors.size());
  tensors.resize(static_cast<size_t>(tensor_count));
  for (int t = 0; t < tensor_count; ++t) {
    const TensorInfo& info = m.tensors[static_cast<size_t>(t)];
    TensorRef& r = tensors[static_cast<size_t>(t)];
    r.index = t;
    r.name = info.name;
    r.dtype = m.fb->tensors()->Get(static_cast<flatbuffers::uoffset_t>(t))->dtype();
    r.shape = info.shape;
    r.element_size = ElementSize(info.dtype);
    r.constant = info.constant;
    if (r.constant) r.data = const_cast<uint8_t*>(m.ConstData(t));
  }
  auto bind = [&](const std::vector<TensorDesc>& descs, const char* kind,
                  int (Impl::*tensor_of)(size_t) const) -> Status {
    for (size_t i = 0; i < descs.size(); ++i) {
      TensorRef& r = tensors[static_cast<size_t>((this->*tensor_of)(i))];
      if (r.io || r.constant)
        return EngineError(at_ + ": " + kind + " " + std::to_string(i) + " '" + descs[i].name +
                           "' uses tensor '" + r.name +
                           "', which is a constant or another input/output");
      if (r.bytes() > static_cast<size_t>(descs[i].aligned_byte_size))
        return EngineError(at_ + ": " + kind + " " + std::to_string(i) + " '" + descs[i].name +
                           "': tensor '" + r.name + "' of shape " + ShapeToString(r.shape) +
                           " is larger than the aligned buffer (" +
                           std::to_string(descs[i].aligned_byte_size) + " bytes)");
      r.io = &descs[i];
    }
    return Status::Ok();
  };
  EDGERT_RETURN_IF_ERROR(bind(m.inputs, "input", &Impl::InputTensor));
  EDGERT_RETURN_IF_ERROR(bind(m.outputs, "output", &Impl::OutputTensor));
  for (size_t i = 0; i < m.inputs.size(); ++i)
    g->is_input[static_cast<size_t>(InputTensor(i))] = true;
  return Status::Ok();
}

Status Session::Impl::LinkNodes(GraphPlan* g) {
  const ModelImpl& m = mi();
  contexts.resize(m.nodes.size());
  for (size_t n = 0; n < contexts.size(); ++n) {
    const NodeInfo& info = m.nodes[n];
    NodeContext& c = contexts[n];
    c.index = static_cast<int>(n);
    c.node = m.fb->nodes()->Get(static_cast<flatbuffers::uoffset_t>(n));
    c.op = c.node->op();
    c.name = info.name;
    c.model = &m;
    for (int t : info.inputs) {
      if (t < 0) {
        c.inputs.push_back(nullptr);
        continue;
      }
      const size_t ti = static_cast<size_t>(t);
      TensorRef& r = tensors[ti];
      if (!r.constant && !g->is_input[ti] && g->producer[ti] < 0)
        return EngineError(at_ + ": " + c.Where() + " reads tensor '" + r.name +
                           "' before any node writes it");
      g->last_use[ti] = c.index;
      c.inputs.push_back(&r);
    }
    for (int t : info.outputs) {
      const size_t ti = static_cast<size_t>(t);
      TensorRef& r = tensors[ti];
      if (r.constant || g->is_input[ti] || g->producer[ti] >= 0)
        return EngineError(at_ + ": " + c.Where() + " writes tensor '" + r.name +
                           "', which is a constant, a model input or written by another node");
      g->producer[ti] = c.index;
      c.outputs.push_back(&r);
    }
  }
  for (size_t i = 0; i < m.outputs.size(); ++i)
    if (g->producer[static_cast<size_t>(OutputTensor(i))] < 0)
      return EngineError(at_ + ": output " + std::to_string(i) + " '" + m.outputs[i].name +
                         "' is never written by any node");
  return Status::Ok();
}

// Every node needs some provider for its (op, dtype); lists all that have none.
Status Session::Impl::CheckProvidersExist() const {
  std::vector<std::string> unsupported;
  for (const NodeContext& c : contexts) {
    bool found = false;
    for (const KernelProvider* p : providers_)
      found = found || p->Find(c.op, KeyDType(c)) != nullptr;
    if (!found) unsupported.push_back(DescribeForLookup(c));
  }
  return unsupported.empty() ? Status::Ok() : UnsupportedStatus(at_, unsupported);
}

Status Session::Impl::CheckShapes() const {
  for (const NodeContext& c : contexts) {
    const Status s = engine::CheckNodeShapes(c);
    if (!s.ok()) return EngineError(at_ + ": " + s.message());
  }
  return Status::Ok();
}

Status Session::Impl::CheckWorkingMemory(const GraphPlan& g, size_t planned) const {
  Result<uint64_t> limit = engine::WorkingMemoryLimit();
  if (!limit.ok()) return InvalidArgument(at_ + ": " + limit.status().message());
  const std::string hint =
      " (the working-memory limit: EDGERT_MAX_WORKING_MB, default half of physical memory)";
  if (planned > 0) {
    if (planned > *limit || *limit - planned < kArenaSlack)
      return EngineError(at_ + ": the activation arena needs " +
                         engine::DescribeBytes(planned + kArenaSlack) + ", more than " +
                         engine::DescribeBytes(*limit) + hint);
    return Status::Ok();
  }
  // Before planning: no single buffer above the limit, and a sum the planner cannot overflow
  // (its offsets never exceed the sum of the aligned sizes).
  uint64_t sum = 0;
  for (size_t q = 0; q < g.requests.size(); ++q) {
    const uint64_t bytes = g.requests[q].bytes;
    if (bytes > *limit) {
      std::string names;
      for (size_t t = 0; t < tensors.size(); ++t)
        if (g.request_of[t] == static_cast<int>(q) && names.size() < 200)
          names += (names.empty() ? "'" : ", '") + tensors[t].name + "' " +
                   ShapeToString(tensors[t].shape);
      return EngineError(at_ + ": tensor " + names + " needs " + engine::DescribeBytes(bytes) +
                         ", more than " + engine::DescribeBytes(*limit) + hint);
    }
    if (__builtin_add_overflow(sum, bytes + kArenaAlignment, &sum))
      return EngineError(at_ + ": the activation buffers' sizes overflow 64 bits");
  }
  return Status::Ok();
}

// Reshape/Copy, and adapters that move no data, share their input's bytes. A group of aliased
// tensors holds at most one model input/output buffer and no constant.
void Session::Impl::FindAliases(GraphPlan* g) const {
  std::vector<int> group_io(tensors.size(), 0);
  for (size_t t = 0; t < tensors.size(); ++t) group_io[t] = tensors[t].io ? 1 : 0;
  for (const NodeContext& c : contexts) {
    if (c.inputs.size() != 1 || c.outputs.size() != 1 || !c.inputs[0]) continue;
    const TensorRef& in = *c.inputs[0];
    const TensorRef& out = *c.outputs[0];
    if (in.constant || in.bytes() != out.bytes()) continue;
    bool ok = false;
    if (c.op == fb::OpType_Reshape || c.op == fb::OpType_Copy) {
      ok = true;
    } else if (c.op == fb::OpType_InputAdapter || c.op == fb::OpType_OutputAdapter) {
      const TensorDesc* d = c.op == fb::OpType_InputAdapter ? in.io : out.io;
      const TensorRef& dense = c.op == fb::OpType_InputAdapter ? out : in;
      ok = d && !IsPlanarImage(d->type) && d->valid_shape == d->aligned_shape &&
           ElementSize(d->type) == dense.element_size &&
           static_cast<int64_t>(dense.bytes()) == d->valid_byte_size() &&
           dense.bytes() == static_cast<size_t>(d->aligned_byte_size) &&
           IsIdentityPerm(c, d->valid_shape.size());
    }
    const int a = g->groups.Find(in.index), b = g->groups.Find(out.index);
    if (!ok || a == b || group_io[static_cast<size_t>(a)] + group_io[static_cast<size_t>(b)] > 1)
      continue;
    const int io = group_io[static_cast<size_t>(a)] + group_io[static_cast<size_t>(b)];
    g->groups.Join(a, b);
    group_io[static_cast<size_t>(g->groups.Find(a))] = io;
    g->alias[static_cast<size_t>(c.index)] = true;
  }
}

// Lifetimes per alias group, in node steps. Model inputs and outputs live for the whole run, so
// inputs survive repeated Run() calls and outputs stay readable.
void Session::Impl::RequestArena(GraphPlan* g) const {
  const int node_count = static_cast<int>(contexts.size());
  std::vector<int> group_request(tensors.size(), -1);  // per group root
  for (size_t ti = 0; ti < tensors.size(); ++ti) {
    const TensorRef& r = tensors[ti];
    if (r.constant || (!r.io && g->producer[ti] < 0 && g->last_use[ti] < 0)) continue;
    int& q = group_request[static_cast<size_t>(g->groups.Find(r.index))];
    if (q < 0) {
      q = static_cast<int>(g->requests.size());
      g->requests.push_back({0, node_count, -1});
    }
    g->request_of[ti] = q;
    engine::ArenaRequest& req = g->requests[static_cast<size_t>(q)];
    size_t bytes = r.bytes();
    if (r.io) bytes = std::max(bytes, static_cast<size_t>(r.io->aligned_byte_size));
    req.bytes = std::max(req.bytes, bytes);
    const int first = r.io ? 0 : g->producer[ti];
    const int last = r.io ? node_count : std::max(g->last_use[ti], g->producer[ti]);
    req.first = std::min(req.first, first);
    req.last = std::max(req.last, last);
  }
}

Status Session::Impl::AllocateArena(const GraphPlan& g, const engine::ArenaPlan& plan) {
  if (!arena.Reserve(plan.total + kArenaSlack))
    return EngineError(at_ + ": cannot allocate the " + std::to_string(plan.total) +
                       "-byte activation arena");
  for (TensorRef& r : tensors) {
    const int q = g.request_of[static_cast<size_t>(r.index)];
    if (q >= 0) r.data = arena.data() + plan.offsets[static_cast<size_t>(q)];
  }
  return Status::Ok();
}

Status Session::Impl::CreateThreadPool() {
  if (options.num_threads <= 1) return Status::Ok();
  pool = pthreadpool_create(static_cast<size_t>(options.num_threads));
  if (!pool)
    return EngineError("cannot create a thread pool of " + std::to_string(options.num_threads) +
                       " threads");
  return Status::Ok();
}

// Issue 17, fewer passes: oneDNN's int8 convolutions without VNNI read x as u8, and converted
// it at each Run. An S8 tensor whose producer can write it as u8 (another such convolution, a
// Quantize) and whose consumers all read it so, at least one of them such a convolution, is
// held as u8 instead: no conversion. What each node's kernel would do is predicted by the
// provider that would take it (KernelProvider::PredictU8); SetUpKernels checks the kernels.
void Session::Impl::PlanU8(const GraphPlan& g) {
  // EDGERT_DISABLE_U8_PLAN=1 (read once) keeps every tensor s8: the before of a before/after.
  static const bool disabled = engine::EnvSet("EDGERT_DISABLE_U8_PLAN");
  // NodeOutput hands out the arena's bytes as the model's S8: keep them so.
  if (disabled || options.capture_intermediates) return;
  std::vector<engine::U8Prediction> pred(contexts.size());
  for (const NodeContext& c : contexts) {
    if (g.alias[static_cast<size_t>(c.index)]) continue;  // moves no data: no ability
    for (const KernelProvider* p : providers_) {
      if (!p->Find(c.op, KeyDType(c))) continue;
      pred[static_cast<size_t>(c.index)] = p->PredictU8(c);
      if (pred[static_cast<size_t>(c.index)].takes) break;
    }
  }
  // Per tensor: every reader reads it as u8 (as input 0), and one of them gains.
  std::vector<bool> all_read(tensors.size(), true), gains(tensors.size(), false);
  for (const NodeContext& c : contexts) {
    const engine::U8Prediction& p = pred[static_cast<size_t>(c.index)];
    for (size_t i = 0; i < c.inputs.size(); ++i) {
      if (!c.inputs[i]) continue;
      const auto t = static_cast<size_t>(c.inputs[i]->index);
      if (i != 0 || !p.takes || !p.reads) all_read[t] = false;
      if (i == 0 && p.gains) gains[t] = true;
    }
  }
  for (TensorRef& t : tensors) {
    const auto ti = static_cast<size_t>(t.index);
    const int producer = g.producer[ti];
    if (producer < 0 || t.io || t.constant || t.dtype != fb::DType_S8 || !all_read[ti] ||
        !gains[ti])
      continue;
    const NodeContext& c = contexts[static_cast<size_t>(producer)];
    const engine::U8Prediction& p = pred[static_cast<size_t>(producer)];
    if (!p.takes || !p.writes || c.outputs.size() != 1 || c.outputs[0] != &t ||
        !engine::QuantOf(c, t).per_tensor())
      continue;
    t.as_u8 = true;
    ++u8_tensors;
  }
}

// Weight packing and JIT make up most of start-up, and nodes set up independently, so a team of
// threads takes them in turn; results are read back in node order, so errors are what one
// thread would report.
void Session::Impl::SetUpNodes(const std::vector<int>& todo, bool fill,
                               std::vector<NodeSetup>* setups,
                               std::vector<std::vector<double>>* worker_ms, double* fill_ms) {
  setups->clear();
  setups->resize(contexts.size());
  const size_t workers = std::min(todo.size(), SetupThreads(options));
  // Per worker and provider: setup time, summed into the report afterwards.
  worker_ms->assign(std::max<size_t>(workers, 1), std::vector<double>(providers_.size(), 0.0));
  std::atomic<size_t> next{0};
  // The first worker to start fills the arena, the others set kernels up meanwhile: kernels only
  // keep pointers into the arena at setup (kernel.h), and the team joins before the first Run.
  std::atomic<bool> fill_taken{!fill};
  auto work = [&](size_t w) {
    if (!fill_taken.exchange(true)) {
      const Clock::time_point t0 = Clock::now();
      arena.Fill();
      *fill_ms = Ms(t0, Clock::now());
    }
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < todo.size();) {
      NodeContext& c = contexts[static_cast<size_t>(todo[i])];
      NodeSetup& r = (*setups)[static_cast<size_t>(c.index)];
      try {
        SetUpNode(at_, providers_, c, pool, (*worker_ms)[w], &r);
      } catch (const std::bad_alloc&) {
        r.error = EngineError(at_ + ": " + c.Where() + ": out of memory during setup");
      } catch (const std::exception& e) {
        r.error = EngineError(at_ + ": " + c.Where() + ": " + e.what());
      }
    }
  };
  std::vector<std::thread> team;
  try {
    for (size_t w = 1; w < workers; ++w) team.emplace_back(work, w);
  } catch (const std::system_error&) {
    // fewer threads than asked for: those started and this one share the work
  }
  work(0);
  for (std::thread& t : team) t.join();
}

Status Session::Impl::SetUpKernels(const GraphPlan& g) {
  const size_t node_count = contexts.size();
  std::vector<int> todo;
  for (const NodeContext& c : contexts)
    if (!g.alias[static_cast<size_t>(c.index)]) todo.push_back(c.index);
  std::vector<NodeSetup> setups;
  std::vector<std::vector<double>> worker_ms;
  double fill_ms = 0;
  Clock::time_point start = Clock::now();
  SetUpNodes(todo, true, &setups, &worker_ms, &fill_ms);
  if (std::any_of(setups.begin(), setups.end(), [](const NodeSetup& r) { return r.ignored_u8; })) {
    // A kernel other than the one predicted took a node next to a u8 tensor (a decline oneDNN
    // alone knows of): set everything up again with every tensor s8, as without the plan.
    setups.clear();
    for (TensorRef& t : tensors) t.as_u8 = false;
    u8_tensors = 0;
    // The cache holds pointers to the discarded kernels' weights.
    if (weight_cache) {
      weight_cache.reset();
      OpenWeightCache();
    }
    setup_phases.push_back({"kernels_replanned", Ms(start, Clock::now())});
    start = Clock::now();
    SetUpNodes(todo, false, &setups, &worker_ms, &fill_ms);
  }
  const double kernels_ms = Ms(start, Clock::now());

  kernels.resize(node_count);
  node_providers.assign(node_count, "alias");
  std::vector<std::string> unsupported;
  for (int n : todo) {
    NodeSetup& r = setups[static_cast<size_t>(n)];
    if (!r.error.ok()) return r.error;
    if (!r.kernel) {
      unsupported.push_back(DescribeForLookup(contexts[static_cast<size_t>(n)]) + " [" + r.reasons +
                            "]");
      continue;
    }
    kernels[static_cast<size_t>(n)] = std::move(r.kernel);
    node_providers[static_cast<size_t>(n)] = r.provider;
    steps.push_back(kernels[static_cast<size_t>(n)].get());
  }
  if (!unsupported.empty()) return UnsupportedStatus(at_, unsupported);
  setup_phases.push_back({"kernels", kernels_ms});
  for (size_t pi = 0; pi < providers_.size(); ++pi) {
    double ms = 0;
    for (const std::vector<double>& w : worker_ms) ms += w[pi];
    if (ms > 0) setup_phases.push_back({std::string("kernels:") + providers_[pi]->name(), ms});
  }
  setup_phases.push_back({"arena_fill", fill_ms});  // inside "kernels", on one of its threads
  return Status::Ok();
}

void Session::Impl::BindBuffers() {
  for (size_t i = 0; i < mi().inputs.size(); ++i)
    inputs.push_back(tensors[static_cast<size_t>(InputTensor(i))].data);
  for (size_t i = 0; i < mi().outputs.size(); ++i)
    outputs.push_back(tensors[static_cast<size_t>(OutputTensor(i))].data);
  if (options.profile) {
    timings.resize(contexts.size());
    for (size_t n = 0; n < contexts.size(); ++n) timings[n] = {static_cast<int>(n), 0.0};
  }
}

EngineInfo GetEngineInfo() {
  EngineInfo info;
#if defined(__x86_64__)
  info.arch = "x86_64";
#elif defined(__aarch64__)
  info.arch = "aarch64";
#else
  info.arch = "other";
#endif
  try {
    for (const KernelProvider* p : engine::Providers()) info.providers.push_back(p->name());
    info.isa = engine::DnnlIsa(&info.int8_vnni);
  } catch (const std::exception&) {
    // out of memory for a few short strings: report what was gathered
  }
  return info;
}

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::Create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options) {
  if (!model) return InvalidArgument("Session::Create: the model is null");
  if (options.num_threads < 1 || options.num_threads > 1024)
    return InvalidArgument("Session::Create: num_threads is " +
                           std::to_string(options.num_threads) + ", expected 1..1024");
  if (options.setup_threads < 0 || options.setup_threads > 64)
    return InvalidArgument("Session::Create: setup_threads is " +
                           std::to_string(options.setup_threads) + ", expected 0 (auto) or 1..64");
  try {
    auto impl = std::make_unique<Impl>();
    impl->model = std::move(model);
    impl->options = options;
    EDGERT_RETURN_IF_ERROR(impl->Build());
    return std::unique_ptr<Session>(new Session(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return EngineError("Session::Create: out of memory");
  } catch (const std::exception& e) {
    return EngineError(std::string("Session::Create: ") + e.what());
  }
}

const Model& Session::model() const { return *impl_->model; }

void* Session::input_data(size_t i) {
  return i < impl_->inputs.size() ? impl_->inputs[i] : nullptr;
}

const void* Session::output_data(size_t i) const {
  return i < impl_->outputs.size() ? impl_->outputs[i] : nullptr;
}

Status Session::SetInput(size_t i, const void* data, size_t bytes) {
  const auto& descs = impl_->model->inputs();
  if (i >= descs.size())
    return InvalidArgument("SetInput: input " + std::to_string(i) + " out of range (model has " +
                           std::to_string(descs.size()) + " inputs)");
  if (!data) return InvalidArgument("SetInput: input " + std::to_string(i) + ": data is null");
  return PrepareInput(descs[i], data, bytes, impl_->inputs[i]);
}

Status Session::Run() {
  Impl& s = *impl_;
  try {
    const Clock::time_point start = Clock::now();
    if (s.options.profile) {
      for (size_t n = 0; n < s.kernels.size(); ++n) {
        Kernel* k = s.kernels[n].get();
        if (!k) {
          s.timings[n].ms = 0.0;
          continue;
        }
        const Clock::time_point t0 = Clock::now();
        Status st = k->Run(s.pool);
        s.timings[n].ms = Ms(t0, Clock::now());
        if (!st.ok()) return st;
      }
    } else {
      for (Kernel* k : s.steps) EDGERT_RETURN_IF_ERROR(k->Run(s.pool));
    }
    s.last_run_ms = Ms(start, Clock::now());
    s.has_run = true;
    return Status::Ok();
  } catch (const std::exception& e) {
    return EngineError(std::string("Run: ") + e.what());
  }
}

Status Session::GetOutput(size_t i, std::vector<float>* out) const {
  const auto& descs = impl_->model->outputs();
  if (i >= descs.size())
    return InvalidArgument("GetOutput: output " + std::to_string(i) + " out of range (model has " +
                           std::to_string(descs.size()) + " outputs)");
  if (!out) return InvalidArgument("GetOutput: out is null");
  try {
    return ReadOutputF32(descs[i], impl_->outputs[i], out);
  } catch (const std::bad_alloc&) {
    return EngineError("GetOutput: out of memory");
  }
}

const std::vector<NodeTiming>& Session::timings() const { return impl_->timings; }

double Session::last_run_ms() const { return impl_->last_run_ms; }

std::string Session::node_provider(int node) const {
  if (node < 0 || static_cast<size_t>(node) >= impl_->node_providers.size()) return "";
  return impl_->node_providers[static_cast<size_t>(node)];
}

Result<Session::TensorView> Session::NodeOutput(int node) const {
  const Impl& s = *impl_;
  if (!s.options.capture_intermediates)
    return InvalidArgument("NodeOutput: the session was created without capture_intermediates");
  if (node < 0 || node >= static_cast<int>(s.contexts.size()))
    return InvalidArgument("NodeOutput: node " + std::to_string(node) +
                           " out of range (model has " + std::to_string(s.contexts.size()) +
                           " nodes)");
  if (!s.has_run) return InvalidArgument("NodeOutput: call Run() first");
  const NodeContext& c = s.contexts[static_cast<size_t>(node)];
  if (c.outputs.empty()) return InvalidArgument("NodeOutput: " + c.Where() + " has no outputs");
  try {
    const TensorRef& t = *c.outputs[0];
    return TensorView{t.shape, TensorTypeFromDType(t.dtype), t.data};
  } catch (const std::bad_alloc&) {
    return EngineError("NodeOutput: out of memory");
  }
}

size_t Session::arena_bytes() const { return impl_->arena_bytes; }

const std::vector<PhaseTiming>& Session::setup_phases() const { return impl_->setup_phases; }
size_t Session::u8_tensors() const { return impl_->u8_tensors; }
const WeightCacheReport& Session::weight_cache() const { return impl_->weight_cache_report; }

}  // namespace edgert
