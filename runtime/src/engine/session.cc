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
#include "engine/kernel.h"
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
// Run. Arenas of 1 MiB and more are an anonymous mapping whose pages the kernel maps in one call
// (MADV_POPULATE_WRITE) before the memset: posix_memalign + memset faulted mobilenet_v2 f32's
// 16 MB in page by page, 20-26 ms; populate + memset takes about 12. Skipping the memset (the
// pages are zero already) saved 10 ms more at setup but cost as much in the first Run, whose
// writes then missed the cache: 14.5 ms instead of 5.7 for a 5.5 ms steady state. (Transparent
// huge pages stalled 30-120 ms whenever the kernel had to compact memory first.)
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    if (mapped_)
      munmap(data_, mapped_);
    else
      std::free(data_);
  }
  // False when the memory cannot be had.
  bool Allocate(size_t bytes) {
    if (bytes < (size_t{1} << 20)) {
      void* mem = nullptr;
      if (posix_memalign(&mem, kArenaAlignment, bytes) != 0 || !mem) return false;
      data_ = static_cast<uint8_t*>(mem);
      std::memset(data_, 0, bytes);
      return true;
    }
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    data_ = static_cast<uint8_t*>(p);  // page-aligned
    mapped_ = bytes;
    madvise(p, bytes, kPopulateWrite);  // fails before Linux 5.14: memset faults them then
    std::memset(p, 0, bytes);
    return true;
  }
  uint8_t* data() const { return data_; }

 private:
  static constexpr int kPopulateWrite = 23;  // MADV_POPULATE_WRITE (Linux 5.14), not in glibc 2.36
  uint8_t* data_ = nullptr;
  size_t mapped_ = 0;  // bytes mapped; 0 for a posix_memalign block
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
  std::vector<const char*> node_providers;  // per node: the provider's name, or "alias"
  std::vector<std::unique_ptr<Kernel>> kernels;  // per node; null where the node is an alias
  std::vector<Kernel*> steps;                    // the kernels to run, in order
  Arena arena;
  size_t arena_bytes = 0;
  std::vector<uint8_t*> inputs, outputs;
  std::vector<NodeTiming> timings;
  double last_run_ms = 0;
  bool has_run = false;
  std::vector<PhaseTiming> setup_phases;

  ~Impl() {
    kernels.clear();
    if (pool) pthreadpool_destroy(pool);
  }

  Status Build();
};

Status Session::Impl::Build() {
  const Model::Impl& mi = model->impl();
  const fb::Model* fm = mi.fb;
  const std::string at = "model '" + mi.name + "'";
  const int tensor_count = static_cast<int>(mi.tensors.size());
  const int node_count = static_cast<int>(mi.nodes.size());
  Clock::time_point phase_start = Clock::now();
  auto end_phase = [&](const std::string& phase) {
    const Clock::time_point now = Clock::now();
    setup_phases.push_back({phase, Ms(phase_start, now)});
    phase_start = now;
  };

  // Tensors, constants in place.
  tensors.resize(static_cast<size_t>(tensor_count));
  for (int t = 0; t < tensor_count; ++t) {
    const TensorInfo& info = mi.tensors[static_cast<size_t>(t)];
    TensorRef& r = tensors[static_cast<size_t>(t)];
    r.index = t;
    r.name = info.name;
    r.dtype = fm->tensors()->Get(static_cast<flatbuffers::uoffset_t>(t))->dtype();
    r.shape = info.shape;
    r.element_size = ElementSize(info.dtype);
    r.constant = info.constant;
    if (r.constant) r.data = const_cast<uint8_t*>(mi.ConstData(t));
  }
  auto bind_io = [&](const flatbuffers::Vector<flatbuffers::Offset<fb::IoDesc>>* v,
                     const std::vector<TensorDesc>& descs, const char* kind) -> Status {
    for (size_t i = 0; i < descs.size(); ++i) {
      const int t = v->Get(static_cast<flatbuffers::uoffset_t>(i))->tensor();
      TensorRef& r = tensors[static_cast<size_t>(t)];
      if (r.io || r.constant)
        return EngineError(at + ": " + kind + " " + std::to_string(i) + " '" + descs[i].name +
                           "' uses tensor '" + r.name +
                           "', which is a constant or another input/output");
      if (r.bytes() > static_cast<size_t>(descs[i].aligned_byte_size))
        return EngineError(at + ": " + kind + " " + std::to_string(i) + " '" + descs[i].name +
                           "': tensor '" + r.name + "' of shape " + ShapeToString(r.shape) +
                           " is larger than the aligned buffer (" +
                           std::to_string(descs[i].aligned_byte_size) + " bytes)");
      r.io = &descs[i];
    }
    return Status::Ok();
  };
  EDGERT_RETURN_IF_ERROR(bind_io(fm->inputs(), mi.inputs, "input"));
  EDGERT_RETURN_IF_ERROR(bind_io(fm->outputs(), mi.outputs, "output"));
  std::vector<bool> is_input(static_cast<size_t>(tensor_count), false);
  for (size_t i = 0; i < mi.inputs.size(); ++i)
    is_input[static_cast<size_t>(
        fm->inputs()->Get(static_cast<flatbuffers::uoffset_t>(i))->tensor())] = true;

  // Nodes, producers and last uses.
  std::vector<int> producer(static_cast<size_t>(tensor_count), -1);
  std::vector<int> last_use(static_cast<size_t>(tensor_count), -1);
  contexts.resize(static_cast<size_t>(node_count));
  for (int n = 0; n < node_count; ++n) {
    const NodeInfo& info = mi.nodes[static_cast<size_t>(n)];
    NodeContext& c = contexts[static_cast<size_t>(n)];
    c.index = n;
    c.node = fm->nodes()->Get(static_cast<flatbuffers::uoffset_t>(n));
    c.op = c.node->op();
    c.name = info.name;
    c.model = &mi;
    for (int t : info.inputs) {
      if (t < 0) {
        c.inputs.push_back(nullptr);
        continue;
      }
      TensorRef& r = tensors[static_cast<size_t>(t)];
      if (!r.constant && !is_input[static_cast<size_t>(t)] && producer[static_cast<size_t>(t)] < 0)
        return EngineError(at + ": " + c.Where() + " reads tensor '" + r.name +
                           "' before any node writes it");
      last_use[static_cast<size_t>(t)] = n;
      c.inputs.push_back(&r);
    }
    for (int t : info.outputs) {
      TensorRef& r = tensors[static_cast<size_t>(t)];
      if (r.constant || is_input[static_cast<size_t>(t)] || producer[static_cast<size_t>(t)] >= 0)
        return EngineError(at + ": " + c.Where() + " writes tensor '" + r.name +
                           "', which is a constant, a model input or written by another node");
      producer[static_cast<size_t>(t)] = n;
      c.outputs.push_back(&r);
    }
  }
  for (size_t i = 0; i < mi.outputs.size(); ++i) {
    const int t = fm->outputs()->Get(static_cast<flatbuffers::uoffset_t>(i))->tensor();
    if (producer[static_cast<size_t>(t)] < 0)
      return EngineError(at + ": output " + std::to_string(i) + " '" + mi.outputs[i].name +
                         "' is never written by any node");
  }

  // Every node needs some provider for its (op, dtype); list all that have none.
  const std::vector<const KernelProvider*> providers = engine::Providers();
  std::vector<std::string> unsupported;
  auto describe = [](const NodeContext& c) {
    return "node " + std::to_string(c.index) + " '" + c.name + "' (" + fb::EnumNameOpType(c.op) +
           ", " + fb::EnumNameDType(KeyDType(c)) + ")";
  };
  for (const NodeContext& c : contexts) {
    bool found = false;
    for (const KernelProvider* p : providers)
      found = found || p->Find(c.op, KeyDType(c)) != nullptr;
    if (!found) unsupported.push_back(describe(c));
  }
  auto unsupported_status = [&]() {
    std::string msg = at + ": " + std::to_string(unsupported.size()) + " node(s) cannot run: ";
    for (size_t i = 0; i < unsupported.size(); ++i) msg += (i ? "; " : "") + unsupported[i];
    return Unsupported(msg);
  };
  if (!unsupported.empty()) return unsupported_status();

  // Aliases: Reshape/Copy, and adapters that move no data, share their input's bytes. A group
  // of aliased tensors holds at most one model input/output buffer and no constant.
  UnionFind groups(static_cast<size_t>(tensor_count));
  std::vector<int> group_io(static_cast<size_t>(tensor_count), 0);
  for (int t = 0; t < tensor_count; ++t)
    group_io[static_cast<size_t>(t)] = tensors[static_cast<size_t>(t)].io ? 1 : 0;
  std::vector<bool> alias(static_cast<size_t>(node_count), false);
  for (NodeContext& c : contexts) {
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
    const int a = groups.Find(in.index), b = groups.Find(out.index);
    if (!ok || a == b || group_io[static_cast<size_t>(a)] + group_io[static_cast<size_t>(b)] > 1)
      continue;
    const int io = group_io[static_cast<size_t>(a)] + group_io[static_cast<size_t>(b)];
    groups.Join(a, b);
    group_io[static_cast<size_t>(groups.Find(a))] = io;
    alias[static_cast<size_t>(c.index)] = true;
  }

  // Lifetimes per group, in node steps. Model inputs and outputs live for the whole run, so
  // inputs survive repeated Run() calls and outputs stay readable.
  std::vector<engine::ArenaRequest> requests;
  std::vector<int> request_of(static_cast<size_t>(tensor_count), -1);
  for (int t = 0; t < tensor_count; ++t) {
    const TensorRef& r = tensors[static_cast<size_t>(t)];
    const size_t ti = static_cast<size_t>(t);
    if (r.constant || (!r.io && producer[ti] < 0 && last_use[ti] < 0)) continue;
    const int g = groups.Find(t);
    int& q = request_of[static_cast<size_t>(g)];
    if (q < 0) {
      q = static_cast<int>(requests.size());
      requests.push_back({0, node_count, -1});
    }
    engine::ArenaRequest& req = requests[static_cast<size_t>(q)];
    size_t bytes = r.bytes();
    if (r.io) bytes = std::max(bytes, static_cast<size_t>(r.io->aligned_byte_size));
    req.bytes = std::max(req.bytes, bytes);
    const int first = r.io ? 0 : producer[ti];
    const int last = r.io ? node_count : std::max(last_use[ti], producer[ti]);
    req.first = std::min(req.first, first);
    req.last = std::max(req.last, last);
  }
  end_phase("graph");
  const engine::ArenaPlan plan =
      engine::PlanArena(requests, !options.capture_intermediates, kArenaAlignment);
  arena_bytes = plan.total;
  end_phase("plan");
  if (!arena.Allocate(plan.total + kArenaSlack))
    return EngineError(at + ": cannot allocate the " + std::to_string(plan.total) +
                       "-byte activation arena");
  for (int t = 0; t < tensor_count; ++t) {
    TensorRef& r = tensors[static_cast<size_t>(t)];
    if (r.constant) continue;
    const int q = request_of[static_cast<size_t>(groups.Find(t))];
    if (q >= 0) r.data = arena.data() + plan.offsets[static_cast<size_t>(q)];
  }
  end_phase("arena");

  if (options.num_threads > 1) {
    pool = pthreadpool_create(static_cast<size_t>(options.num_threads));
    if (!pool)
      return EngineError("cannot create a thread pool of " + std::to_string(options.num_threads) +
                         " threads");
  }
  end_phase("threads");

  // Kernels: the first provider whose kernel accepts the node runs it. Weight packing and JIT
  // make up most of start-up, and nodes set up independently, so a team of threads takes them in
  // turn; results are read back in node order, so errors are what one thread would report.
  struct NodeSetup {
    std::unique_ptr<Kernel> kernel;
    const char* provider = nullptr;
    Status error;         // a failure other than a decline
    std::string reasons;  // every provider's reason to decline
  };
  std::vector<NodeSetup> setups(static_cast<size_t>(node_count));
  auto set_up = [&](NodeContext& c, std::vector<double>& ms) {
    NodeSetup& r = setups[static_cast<size_t>(c.index)];
    for (size_t pi = 0; pi < providers.size(); ++pi) {
      const KernelProvider* p = providers[pi];
      engine::KernelFactory factory = p->Find(c.op, KeyDType(c));
      if (!factory) continue;
      const Clock::time_point t0 = Clock::now();
      std::unique_ptr<Kernel> k = factory();
      Status s = k->Setup(c, pool);
      ms[pi] += Ms(t0, Clock::now());
      if (s.ok()) {
        r.kernel = std::move(k);
        r.provider = p->name();
        return;
      }
      if (s.code() != StatusCode::kUnsupported) {
        r.error = EngineError(at + ": " + s.message());
        return;
      }
      const std::string prefix = c.Where() + ": ";
      std::string why = s.message();
      if (why.compare(0, prefix.size(), prefix) == 0) why = why.substr(prefix.size());
      r.reasons += std::string(r.reasons.empty() ? "" : ", ") + p->name() + ": " + why;
    }
  };
  std::vector<int> todo;
  for (const NodeContext& c : contexts)
    if (!alias[static_cast<size_t>(c.index)]) todo.push_back(c.index);
  const size_t workers = std::min(todo.size(), SetupThreads(options));
  // Per worker and provider: setup time, summed into the report afterwards.
  std::vector<std::vector<double>> worker_ms(std::max<size_t>(workers, 1),
                                             std::vector<double>(providers.size(), 0.0));
  std::atomic<size_t> next{0};
  auto work = [&](size_t w) {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < todo.size();) {
      NodeContext& c = contexts[static_cast<size_t>(todo[i])];
      try {
        set_up(c, worker_ms[w]);
      } catch (const std::bad_alloc&) {
        setups[static_cast<size_t>(c.index)].error =
            EngineError(at + ": " + c.Where() + ": out of memory during setup");
      } catch (const std::exception& e) {
        setups[static_cast<size_t>(c.index)].error =
            EngineError(at + ": " + c.Where() + ": " + e.what());
      }
    }
  };
  if (!options.cache_dir.empty()) {
    // The blobs depend on the model (its checksum), this build and the CPU's ISA; kernels add
    // their library's version and the node to each key.
    const EngineInfo engine = GetEngineInfo();
    weight_cache = std::make_unique<WeightCache>(
        options.cache_dir, mi.name, mi.file_checksum,
        std::string("edgert ") + EDGERT_VERSION + " " + engine.arch + " " + engine.isa);
    for (NodeContext& c : contexts) c.weight_cache = weight_cache.get();
  }
  const Clock::time_point kernels_start = Clock::now();
  std::vector<std::thread> team;
  try {
    for (size_t w = 1; w < workers; ++w) team.emplace_back(work, w);
  } catch (const std::system_error&) {
    // fewer threads than asked for: those started and this one share the work
  }
  work(0);
  for (std::thread& t : team) t.join();
  const double kernels_ms = Ms(kernels_start, Clock::now());

  kernels.resize(static_cast<size_t>(node_count));
  node_providers.assign(static_cast<size_t>(node_count), "alias");
  for (int n : todo) {
    NodeSetup& r = setups[static_cast<size_t>(n)];
    if (!r.error.ok()) return r.error;
    if (!r.kernel) {
      unsupported.push_back(describe(contexts[static_cast<size_t>(n)]) + " [" + r.reasons + "]");
      continue;
    }
    kernels[static_cast<size_t>(n)] = std::move(r.kernel);
    node_providers[static_cast<size_t>(n)] = r.provider;
    steps.push_back(kernels[static_cast<size_t>(n)].get());
  }
  if (!unsupported.empty()) return unsupported_status();
  setup_phases.push_back({"kernels", kernels_ms});
  for (size_t pi = 0; pi < providers.size(); ++pi) {
    double ms = 0;
    for (const std::vector<double>& w : worker_ms) ms += w[pi];
    if (ms > 0) setup_phases.push_back({std::string("kernels:") + providers[pi]->name(), ms});
  }
  if (weight_cache) {
    phase_start = Clock::now();
    weight_cache->Save();
    const WeightCache::Stats st = weight_cache->stats();
    weight_cache_report = {st.path, st.hits, st.misses, st.rejected, st.written, st.note};
    end_phase("cache_write");
  }

  for (size_t i = 0; i < mi.inputs.size(); ++i)
    inputs.push_back(
        tensors[static_cast<size_t>(
                    fm->inputs()->Get(static_cast<flatbuffers::uoffset_t>(i))->tensor())]
            .data);
  for (size_t i = 0; i < mi.outputs.size(); ++i)
    outputs.push_back(
        tensors[static_cast<size_t>(
                    fm->outputs()->Get(static_cast<flatbuffers::uoffset_t>(i))->tensor())]
            .data);
  if (options.profile) {
    timings.resize(static_cast<size_t>(node_count));
    for (int n = 0; n < node_count; ++n) timings[static_cast<size_t>(n)] = {n, 0.0};
  }
  return Status::Ok();
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
const WeightCacheReport& Session::weight_cache() const { return impl_->weight_cache_report; }

}  // namespace edgert
