#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgert/model.h"
#include "edgert/status.h"
#include "edgert/tensor_desc.h"

namespace edgert {

struct SessionOptions {
  int num_threads = 1;                 // pthreadpool size for this session (1 = no pool, inline)
  bool profile = false;                // record per-node wall time of each Run()
  bool capture_intermediates = false;  // keep every node output readable after Run()
  // Threads that set the kernels up (weight packing, JIT) at Create: 0 = one per CPU the process
  // may run on, at most 8. Only start-up uses them; Run uses the num_threads pool.
  int setup_threads = 0;
  // Opt-in start-up cache folder (README "Start-up cache"), created if missing: weights that a
  // kernel library reorders for this CPU at setup (oneDNN's convolutions) are read from it
  // instead, each blob checked against its hash, and the file is rewritten when anything was
  // missing, stale or corrupt. A cache never fails a session: at worst it costs the speed-up.
  // "" = none.
  std::string cache_dir;
};

// What the start-up cache did for one Session::Create.
struct WeightCacheReport {
  std::string path;      // the cache file; "" when SessionOptions::cache_dir is empty
  size_t hits = 0;       // weights read from the file
  size_t misses = 0;     // weights packed at setup (absent, or rejected)
  size_t rejected = 0;   // present in the file but failed their hash
  bool written = false;  // the file was (re)written
  std::string note;      // why the file was not used or not written ("new", "corrupt", ...)
};

// What this build's engine runs on, for reports (model_info, perf).
struct EngineInfo {
  std::string arch;                    // "x86_64", "aarch64", ...
  std::vector<std::string> providers;  // kernel providers in the order they are asked
  std::string isa;  // the x86 ISA oneDNN's kernels use ("avx512_core_vnni"); "" without oneDNN
  bool int8_vnni = false;  // int8 Conv2D runs on oneDNN with full-range weights (VNNI)
};
EngineInfo GetEngineInfo();

// Wall time of one node in the last Run(), in execution order.
struct NodeTiming {
  int node;
  double ms;
};

// One inference context over a shared, immutable Model (float and int8 nodes alike). Owns the
// activation arena, the kernels and a thread pool. Not thread-safe: use one Session per thread.
class Session {
 public:
  // Plans the arena and sets up every kernel. Errors: kUnsupported names every node it cannot
  // run (op, dtype); kEngineError for setup failures; kInvalidArgument for bad options.
  static Result<std::unique_ptr<Session>> Create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const Model& model() const;

  // The session-owned aligned buffer of input i / output i: TensorDesc::aligned_byte_size bytes,
  // 64-byte aligned, valid until the session is destroyed. Input buffers keep their contents
  // across Run() calls. nullptr when i is out of range.
  void* input_data(size_t i);
  const void* output_data(size_t i) const;

  // Copies user data into input i: valid byte size (rows padded) or aligned byte size (as is),
  // see PrepareInput in tensor_io.h. kInputError names both accepted sizes otherwise.
  Status SetInput(size_t i, const void* data, size_t bytes);

  // Runs every node once. Allocates nothing.
  Status Run();

  // Output i as dense float32 in its valid shape (ReadOutputF32: padding stripped, dequantized).
  Status GetOutput(size_t i, std::vector<float>* out) const;

  // Per node of the last Run(), in execution order; empty unless options.profile.
  const std::vector<NodeTiming>& timings() const;
  // Wall time of the last Run() in ms (0 before the first).
  double last_run_ms() const;
  // The kernel provider that runs node `node`: "int8", "onednn" (x86 hosts), "xnnpack",
  // "portable" or "preprocess"; "int8+<provider>" for an int8 node that the int8 provider runs
  // on converted tensors with that provider's kernel (e.g. "int8+xnnpack" for an int8 Resize);
  // "alias" for a node that moves no data (its output shares its input's bytes). Empty when
  // `node` is out of range.
  std::string node_provider(int node) const;

  // With capture_intermediates: node `node`'s first output after Run(): stored shape (NHWC for
  // 4-D activations), dtype and a pointer valid until the next Run(). An error otherwise.
  struct TensorView {
    std::vector<int64_t> shape;
    TensorType dtype;
    const void* data;
  };
  Result<TensorView> NodeOutput(int node) const;

  // Bytes of the activation arena (model inputs and outputs included).
  size_t arena_bytes() const;

  // Where Create spent its time, in order: "graph" (tensor and node checks), "plan" (arena
  // plan), "arena" (allocation and zero fill), "threads" (the pool), "kernels" (wall time of all
  // kernel setups), then "kernels:<provider>" for each provider's kernel setups (weight packing,
  // JIT, summed over the setup threads), declined tries included. Before "kernels",
  // "kernels_replanned" where a first set-up was discarded because a kernel did not honour the
  // u8 plan (see u8_tensors; rare: a oneDNN decline that could not be foreseen).
  const std::vector<PhaseTiming>& setup_phases() const;
  // The start-up cache's work at Create (SessionOptions::cache_dir).
  const WeightCacheReport& weight_cache() const;
  // How many int8 activations the arena holds as u8 (each value + 128) because the kernels on
  // both sides work on u8: oneDNN's int8 convolutions on CPUs without VNNI, which otherwise
  // convert their input at every Run. 0 with capture_intermediates, which shows every tensor as
  // the model types it. Results are the same either way.
  size_t u8_tensors() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgert
