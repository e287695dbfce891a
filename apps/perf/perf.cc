#include "perf/perf.h"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "common/html_report.h"
#include "common/inputs.h"
#include "common/open_model.h"
#include "common/report.h"
#include "edgert/model.h"
#include "edgert/session.h"
#include "edgert_internal/file_io.h"
#include "perf/stats.h"

namespace edgert::app {
namespace {

constexpr const char* kTool = "perf";
using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0, Clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

const char* kMetricHelp = R"(Metrics (all times in ms):
  model load time      opening, checking and mapping the .bin (once), by phase: map (open and
                       mmap), checksum, verify (FlatBuffers), parse
  session setup        creating thread 0's session and setting its inputs, by phase: graph,
                       plan (arena), arena (allocation), threads (pool), kernels (wall time of
                       the kernel setups, on up to 8 threads), kernels:<provider> (each
                       provider's share: weight packing, JIT; summed over those threads);
                       kernels_replanned where a first kernel setup was redone without u8
  u8 tensors           int8 activations held as u8 (value + 128) because the kernels on both
                       sides work on u8: oneDNN's int8 convolutions on CPUs without VNNI read
                       them in place instead of converting their input at every Run
  first inference      the first Run() of thread 0's session, after its setup; not in the stats
  start-up             model load time + session setup + first inference: file to first result
  latency              wall time of one Run() per frame; with --perf_fps, from the frame's
                       scheduled arrival to the end of its Run() (queueing included)
  min/mean/median/p90/p95/p99/max/stddev
                       over all measured frames of all threads; percentiles interpolate
                       linearly between ranks (numpy's default); stddev is the population one
  CoV                  stddev / mean; above 0.10 the run is flagged as noisy
  throughput           measured frames / wall time of the measured phase, in frames/s
  CPU usage            process CPU time / wall time of the measured phase (100% = one core)
  peak RSS             the process's maximum resident set size (getrusage), in MiB
  missed frames        --perf_fps only: frames that finished later than one frame period
                       after their arrival
  profile              --profile_path: per node count/total/avg/min/max ms and share of the
                       summed Run() time; "runtime overhead" is Run() time outside any node
)";

// --warmup: frames ("10", 0..1e9) or seconds ("2s", "0.5s", 0..86400).
struct Warmup {
  bool seconds = false;
  int64_t frames = 0;
  double s = 0;
};

Result<Warmup> ParseWarmup(const std::string& w) {
  const Status bad = InvalidArgument(
      "--warmup takes frames (\"10\", 0..1000000000) or seconds (\"2s\", 0..86400), got '" + w +
      "'");
  Warmup r;
  r.seconds = !w.empty() && w.back() == 's';
  const std::string num = r.seconds ? w.substr(0, w.size() - 1) : w;
  const std::string digits = r.seconds ? "0123456789." : "0123456789";
  if (num.empty() || num.size() > 12 || num.find_first_not_of(digits) != std::string::npos ||
      std::count(num.begin(), num.end(), '.') > 1 || num == ".")
    return bad;
  if (r.seconds) {
    r.s = std::strtod(num.c_str(), nullptr);
    if (r.s > 86400) return bad;
  } else {
    r.frames = std::strtoll(num.c_str(), nullptr, 10);
    if (r.frames > 1000000000) return bad;
  }
  return r;
}

Status Validate(const PerfParams& p) {
  if (p.model.model_file.empty()) return InvalidArgument("--model_file is required");
  EDGERT_RETURN_IF_ERROR(CheckThreadCount("--thread_num", p.run.thread_num));
  EDGERT_RETURN_IF_ERROR(CheckThreadCount("--intra_threads", p.run.intra_threads));
  if (p.run.setup_threads < 0 || p.run.setup_threads > 64)
    return InvalidArgument("--setup_threads must be in 0..64 (0: one per CPU, at most 8), got " +
                           std::to_string(p.run.setup_threads));
  if (p.run.frame_count < 1) return InvalidArgument("--frame_count must be >= 1");
  if (p.run.perf_time < 0 || p.run.perf_time_in_seconds < 0)
    return InvalidArgument("--perf_time and --perf_time_in_seconds must be >= 0");
  if (p.run.perf_time > 0 && p.run.perf_time_in_seconds > 0)
    return InvalidArgument("give --perf_time (minutes) or --perf_time_in_seconds, not both");
  if (p.run.perf_fps < 0) return InvalidArgument("--perf_fps must be >= 0");
  if (p.report.progress_frames < 1) return InvalidArgument("--progress_frames must be >= 1");
  EDGERT_RETURN_IF_ERROR(ParseWarmup(p.run.warmup).status());
  EDGERT_RETURN_IF_ERROR(ParseCpuList("--core_id", p.run.core_id).status());
  return Status::Ok();
}

struct NodeAgg {
  int64_t count = 0;
  double total_ms = 0, min_ms = 1e300, max_ms = 0;
};

// What one perf thread measured.
struct ThreadResult {
  std::vector<double> latencies_ms;
  std::vector<NodeAgg> nodes;
  std::vector<std::string> providers;  // per node: the kernel provider that ran it
  double run_ms_total = 0;             // summed Run() wall time of measured frames
  int64_t missed = 0;
  double first_inference_ms = 0;
  double setup_ms = 0;
  std::vector<PhaseTiming> setup_phases;
  WeightCacheReport weight_cache;
  size_t u8_tensors = 0;  // Session::u8_tensors
  std::atomic<int64_t> done{0};
  std::atomic<int64_t> sum_us{0};
  std::atomic<int64_t> max_us{0};
  std::atomic<int64_t> min_us{INT64_MAX};
};

// Everything the threads share.
struct Shared {
  std::shared_ptr<const Model> model;
  std::vector<std::vector<uint8_t>> inputs;
  const PerfParams* params = nullptr;
  std::vector<int> cores;
  std::atomic<int64_t> next_frame{0};
  std::atomic<bool> stop{false};
  std::atomic<int> exited{0};  // threads that have returned
  double duration_s = 0;       // 0: frame_count bounds the run
  // Start barrier: every thread sets up and warms up, then all start together.
  std::mutex mu;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  Clock::time_point t0;
  Status error;
};

void PinToCores(const std::vector<int>& cores) {
  if (cores.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cores) CPU_SET(c, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

void UpdateMinMax(std::atomic<int64_t>& a, int64_t v, bool is_max) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (is_max ? v > cur : v < cur)
    if (a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) break;
}

void PerfThread(Shared* sh, int index, ThreadResult* r) {
  const PerfParams& p = *sh->params;
  // The session's worker threads inherit this thread's affinity.
  PinToCores(sh->cores);
  Status status;
  std::unique_ptr<Session> session;
  const auto ts = Clock::now();
  SessionOptions opts;
  opts.num_threads = p.run.intra_threads;
  opts.setup_threads = p.run.setup_threads;
  opts.cache_dir = p.model.cache_dir;
  opts.profile = !p.report.profile_path.empty();
  auto created = Session::Create(sh->model, opts);
  if (!created.ok()) {
    status = created.status();
  } else {
    session = std::move(*created);
    r->setup_phases = session->setup_phases();
    r->weight_cache = session->weight_cache();
    r->u8_tensors = session->u8_tensors();
    for (size_t n = 0; n < sh->model->nodes().size(); ++n)
      r->providers.push_back(session->node_provider(static_cast<int>(n)));
    status = SetInputs(*session, sh->inputs);
  }
  r->setup_ms = MsSince(ts, Clock::now());
  if (status.ok()) {
    const auto t = Clock::now();
    status = session->Run();
    r->first_inference_ms = MsSince(t, Clock::now());
  }
  if (status.ok()) {
    const Warmup w = ParseWarmup(p.run.warmup).value();  // Validate checked it
    if (w.seconds) {
      const auto until = Clock::now() + std::chrono::duration<double>(w.s);
      while (status.ok() && Clock::now() < until) status = session->Run();
    } else {
      for (int64_t i = 0; i < w.frames && status.ok(); ++i) status = session->Run();
    }
  }
  {
    std::unique_lock<std::mutex> lock(sh->mu);
    if (!status.ok() && sh->error.ok())
      sh->error =
          Status(status.code(), "thread " + std::to_string(index) + ": " + status.message());
    ++sh->ready;
    sh->cv.notify_all();
    sh->cv.wait(lock, [&] { return sh->go; });
    if (!sh->error.ok()) return;
  }
  if (opts.profile) r->nodes.resize(sh->model->nodes().size());
  const bool paced = p.run.perf_fps > 0;
  const double period_ms = paced ? 1000.0 / p.run.perf_fps : 0;
  const auto deadline = sh->t0 + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(sh->duration_s));
  while (!sh->stop.load(std::memory_order_relaxed)) {
    const int64_t f = sh->next_frame.fetch_add(1);
    if (sh->duration_s == 0 && f >= p.run.frame_count) break;
    Clock::time_point arrival = Clock::now();
    if (paced) {
      arrival = sh->t0 +
                std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double, std::milli>(period_ms * static_cast<double>(f)));
      if (sh->duration_s > 0 && arrival >= deadline) break;
      std::this_thread::sleep_until(arrival);
    } else if (sh->duration_s > 0 && arrival >= deadline) {
      break;
    }
    const auto start = Clock::now();
    Status s = session->Run();
    const auto end = Clock::now();
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(sh->mu);
      if (sh->error.ok()) sh->error = s;
      sh->stop = true;
      return;
    }
    const double run_ms = MsSince(start, end);
    const double lat = MsSince(paced ? arrival : start, end);
    if (paced && lat > period_ms) ++r->missed;
    r->latencies_ms.push_back(lat);
    r->run_ms_total += run_ms;
    if (opts.profile) {
      for (const NodeTiming& t : session->timings()) {
        NodeAgg& a = r->nodes[static_cast<size_t>(t.node)];
        ++a.count;
        a.total_ms += t.ms;
        a.min_ms = std::min(a.min_ms, t.ms);
        a.max_ms = std::max(a.max_ms, t.ms);
      }
    }
    const auto us = static_cast<int64_t>(lat * 1000.0);
    r->sum_us.fetch_add(us, std::memory_order_relaxed);
    UpdateMinMax(r->max_us, us, true);
    UpdateMinMax(r->min_us, us, false);
    r->done.fetch_add(1, std::memory_order_release);
  }
}

// profile.html: bars of the mean time per Run() of each node (execution order) and of each op
// type, each with the runtime overhead (Run() time outside any node), and the profile table.
// `j` is profile.json's content, so the page shows exactly what the JSON holds.
Status WriteProfileHtml(const std::string& path, const Model& model, const nlohmann::json& j,
                        size_t runs) {
  const double per_run = runs > 0 ? 1.0 / static_cast<double>(runs) : 0;
  const double overhead = j["runtime_overhead_ms"].get<double>() * per_run;
  html::BarChart by_node, by_op;
  by_node.title = "Time per node, execution order";
  by_op.title = "Time per op type";
  by_node.value_label = by_op.value_label = "mean ms per Run()";
  by_node.series = {{"ms per Run()", {}, false}};
  by_op.series = by_node.series;
  std::map<std::string, double> op_ms;
  html::Table t;
  t.header = {"node",     "name",   "op_type", "precision", "provider",     "count",
              "total_ms", "avg_ms", "min_ms",  "max_ms",    "share_percent"};
  for (const auto& n : j["nodes"]) {
    const std::string op = n["op_type"].get<std::string>();
    const double ms = n["total_ms"].get<double>() * per_run;
    by_node.labels.push_back(std::to_string(n["node"].get<size_t>()) + " " +
                             n["name"].get<std::string>() + " [" + op + "]");
    by_node.series[0].values.push_back(ms);
    op_ms[op] += ms;
    t.rows.push_back({std::to_string(n["node"].get<size_t>()), n["name"].get<std::string>(), op,
                      n["precision"].get<std::string>(), n["provider"].get<std::string>(),
                      std::to_string(n["count"].get<int64_t>()),
                      html::Num(n["total_ms"].get<double>()), html::Num(n["avg_ms"].get<double>()),
                      html::Num(n["min_ms"].get<double>()), html::Num(n["max_ms"].get<double>()),
                      html::Num(n["share_percent"].get<double>(), 4)});
  }
  std::vector<std::pair<std::string, double>> ops(op_ms.begin(), op_ms.end());
  std::stable_sort(ops.begin(), ops.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [op, ms] : ops) {
    by_op.labels.push_back(op);
    by_op.series[0].values.push_back(ms);
  }
  for (html::BarChart* c : {&by_node, &by_op}) {
    c->labels.push_back("(runtime overhead)");
    c->series[0].values.push_back(overhead);
    c->row_classes.resize(c->labels.size());
    c->row_classes.back() = "overhead";
  }
  t.rows.push_back({"-1", "(runtime overhead)", "", "", "", "",
                    html::Num(j["runtime_overhead_ms"].get<double>()), "", "", "",
                    html::Num(j["runtime_overhead_percent"].get<double>(), 4)});
  std::ostringstream body;
  body << "<p class=\"note\">model " << html::Escape(model.name()) << ", " << runs
       << " measured Run() call(s), summed Run() time "
       << html::Num(j["summed_run_ms"].get<double>()) << " ms; runtime overhead "
       << html::Num(j["runtime_overhead_percent"].get<double>(), 4)
       << " % (Run() time outside any node)</p>\n"
       << html::BarChartSvg(by_op) << html::BarChartSvg(by_node) << "<h2>Per node</h2>\n"
       << html::TableHtml(t);
  return html::WritePage(path, html::Page("edgert perf profile: " + model.name(), body.str()));
}

Status WriteProfile(const std::string& dir, const Model& model,
                    const std::vector<std::unique_ptr<ThreadResult>>& results,
                    double* overhead_pct) {
  std::vector<NodeAgg> agg(model.nodes().size());
  double run_total = 0, node_total = 0;
  for (const auto& r : results) {
    run_total += r->run_ms_total;
    for (size_t i = 0; i < r->nodes.size(); ++i) {
      const NodeAgg& a = r->nodes[i];
      if (!a.count) continue;
      agg[i].count += a.count;
      agg[i].total_ms += a.total_ms;
      agg[i].min_ms = std::min(agg[i].min_ms, a.min_ms);
      agg[i].max_ms = std::max(agg[i].max_ms, a.max_ms);
      node_total += a.total_ms;
    }
  }
  const double overhead_ms = std::max(0.0, run_total - node_total);
  *overhead_pct = run_total > 0 ? 100.0 * overhead_ms / run_total : 0;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return FileError(dir + ": cannot create directory: " + ec.message());
  std::ostringstream csv;
  csv << "node,name,op_type,precision,provider,count,total_ms,avg_ms,min_ms,max_ms,"
         "share_percent\n";
  nlohmann::json j;
  j["schema_version"] = 1;
  j["summed_run_ms"] = run_total;
  j["runtime_overhead_ms"] = overhead_ms;
  j["runtime_overhead_percent"] = *overhead_pct;
  j["nodes"] = nlohmann::json::array();
  csv << std::setprecision(6);
  for (size_t i = 0; i < agg.size(); ++i) {
    const NodeInfo& n = model.nodes()[i];
    const NodeAgg& a = agg[i];
    const double avg = a.count ? a.total_ms / static_cast<double>(a.count) : 0;
    const double share = run_total > 0 ? 100.0 * a.total_ms / run_total : 0;
    const double mn = a.count ? a.min_ms : 0;
    // Every thread's Session sets up the same kernels; thread 0's names them.
    const std::string provider =
        !results.empty() && i < results[0]->providers.size() ? results[0]->providers[i] : "";
    csv << i << "," << n.name << "," << n.op_type << "," << n.precision << "," << provider << ","
        << a.count << "," << a.total_ms << "," << avg << "," << mn << "," << a.max_ms << ","
        << share << "\n";
    j["nodes"].push_back({{"node", i},
                          {"name", n.name},
                          {"op_type", n.op_type},
                          {"precision", n.precision},
                          {"provider", provider},
                          {"count", a.count},
                          {"total_ms", a.total_ms},
                          {"avg_ms", avg},
                          {"min_ms", mn},
                          {"max_ms", a.max_ms},
                          {"share_percent", share}});
  }
  csv << "-1,(runtime overhead),,,," << 0 << "," << overhead_ms << ",,,," << *overhead_pct << "\n";
  const std::string c = csv.str(), js = JsonText(j) + "\n";
  EDGERT_RETURN_IF_ERROR(WriteFileAtomic(dir + "/profile.csv", c.data(), c.size()));
  EDGERT_RETURN_IF_ERROR(WriteFileAtomic(dir + "/profile.json", js.data(), js.size()));
  size_t runs = 0;
  for (const auto& r : results) runs += r->latencies_ms.size();
  return WriteProfileHtml(dir + "/profile.html", model, j, runs);
}

// Everything a run measured, for the report.
struct PerfRun {
  OpenedModel opened;
  std::vector<std::unique_ptr<ThreadResult>> results;  // one per thread
  double wall_ms = 0;                                  // the measured phase
  double cpu_ms = 0;   // process CPU time (user + system) during the measured phase
  double rss_mib = 0;  // peak resident set size of the process
};

std::vector<int> Cores(const PerfParams& p) {
  return ParseCpuList("--core_id", p.run.core_id).value();  // Validate checked it
}

double DurationSeconds(const PerfParams& p) {
  return p.run.perf_time_in_seconds > 0 ? p.run.perf_time_in_seconds : p.run.perf_time * 60;
}

// The run: opens the model, loads (or makes) the inputs, sets up and warms up one session per
// thread, then measures. Progress goes to stderr, errors to the log. Returns an exit code.
int MeasurePerf(const PerfParams& p, PerfRun* run) {
  Shared sh;
  sh.params = &p;
  sh.cores = Cores(p);
  sh.duration_s = DurationSeconds(p);
  auto opened = OpenModel(p.model);
  if (!opened.ok()) {
    spdlog::error("{}", opened.status().ToString());
    return ExitCodeFor(opened.status());
  }
  run->opened = std::move(*opened);
  sh.model = run->opened.model();
  const Model& m = *sh.model;
  if (p.input.input_file.empty()) {
    for (size_t i = 0; i < m.input_count(); ++i)
      sh.inputs.push_back(RandomInput(m.inputs()[i], p.input.seed + static_cast<uint32_t>(i)));
  } else {
    auto inputs = LoadInputs(m, p.input.input_file);
    if (!inputs.ok()) {
      spdlog::error("{}", inputs.status().ToString());
      return ExitCodeFor(inputs.status());
    }
    sh.inputs = std::move(*inputs);
  }

  std::vector<std::unique_ptr<ThreadResult>>& results = run->results;
  for (int t = 0; t < p.run.thread_num; ++t) {
    results.push_back(std::make_unique<ThreadResult>());
    if (sh.duration_s == 0)
      results.back()->latencies_ms.reserve(static_cast<size_t>(p.run.frame_count));
    else
      results.back()->latencies_ms.reserve(1 << 16);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < p.run.thread_num; ++t)
    threads.emplace_back([&sh, &results, t] {
      PerfThread(&sh, t, results[static_cast<size_t>(t)].get());
      sh.exited.fetch_add(1);
    });
  rusage ru0{}, ru1{};
  {
    std::unique_lock<std::mutex> lock(sh.mu);
    sh.cv.wait(lock, [&] { return sh.ready == p.run.thread_num; });
    getrusage(RUSAGE_SELF, &ru0);
    sh.t0 = Clock::now();
    sh.go = true;
    sh.cv.notify_all();
  }
  // Progress on stderr while the threads run.
  int64_t last = 0;
  auto last_print = Clock::now();
  while (sh.exited.load() < p.run.thread_num) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int64_t done = 0, sum_us = 0, mx = 0, mn = INT64_MAX;
    for (const auto& r : results) {
      done += r->done.load(std::memory_order_acquire);
      sum_us += r->sum_us.load(std::memory_order_relaxed);
      mx = std::max(mx, r->max_us.load(std::memory_order_relaxed));
      mn = std::min(mn, r->min_us.load(std::memory_order_relaxed));
    }
    const auto now = Clock::now();
    if (done > last &&
        (done - last >= p.report.progress_frames || MsSince(last_print, now) >= 1000)) {
      std::ostringstream line;
      line << std::fixed << std::setprecision(3) << "Frame count: " << done << ", Thread Average: "
           << static_cast<double>(sum_us) / 1000.0 / static_cast<double>(done)
           << " ms, thread max latency: " << static_cast<double>(mx) / 1000.0
           << " ms, thread min latency: " << static_cast<double>(mn) / 1000.0
           << " ms, FPS: " << std::setprecision(2)
           << static_cast<double>(done) * 1000.0 / MsSince(sh.t0, now) << "\n";
      std::cerr << line.str();
      last = done;
      last_print = now;
    }
  }
  for (auto& t : threads) t.join();
  run->wall_ms = MsSince(sh.t0, Clock::now());
  getrusage(RUSAGE_SELF, &ru1);
  if (!sh.error.ok()) {
    spdlog::error("{}", sh.error.ToString());
    return kExitFailure;
  }
  auto tv_ms = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1e3 + static_cast<double>(tv.tv_usec) / 1e3;
  };
  run->cpu_ms =
      tv_ms(ru1.ru_utime) + tv_ms(ru1.ru_stime) - tv_ms(ru0.ru_utime) - tv_ms(ru0.ru_stime);
  run->rss_mib = static_cast<double>(ru1.ru_maxrss) / 1024.0;
  return kExitOk;
}

// The report of a run: statistics, the profile files when asked for, then text or JSON on
// `out`. Returns an exit code.
int ReportPerf(const PerfParams& p, const PerfRun& run, std::ostream& out) {
  const Model& m = *run.opened.model();
  const ModelFile& file = *run.opened.file;
  const auto& results = run.results;
  const double wall_ms = run.wall_ms, load_ms = run.opened.load_ms, rss_mib = run.rss_mib;
  const double cpu_pct = wall_ms > 0 ? 100.0 * run.cpu_ms / wall_ms : 0;
  const std::vector<int> cores = Cores(p);
  std::vector<double> all_lat;
  int64_t missed = 0;
  for (const auto& r : results) {
    all_lat.insert(all_lat.end(), r->latencies_ms.begin(), r->latencies_ms.end());
    missed += r->missed;
  }
  const LatencyStats st = ComputeStats(all_lat);
  const double fps = wall_ms > 0 ? static_cast<double>(st.count) * 1000.0 / wall_ms : 0;
  std::vector<std::string> warnings;
  if (st.cov > 0.10) {
    std::ostringstream w;
    w << "latency coefficient of variation is " << std::setprecision(3) << st.cov
      << " (> 0.10): the machine was noisy or throttling; results may be unstable";
    warnings.push_back(w.str());
  }
  double overhead_pct = -1;
  if (!p.report.profile_path.empty()) {
    Status s = WriteProfile(p.report.profile_path, m, results, &overhead_pct);
    if (!s.ok()) {
      spdlog::error("{}", s.ToString());
      return kExitFailure;
    }
  }
  for (const auto& w : warnings) spdlog::warn("{}", w);

  const double startup_ms = load_ms + results[0]->setup_ms + results[0]->first_inference_ms;
  const EngineInfo engine = GetEngineInfo();
  auto phases = [](const std::vector<PhaseTiming>& v) {
    std::string s;
    for (const PhaseTiming& t : v)
      s += fmt::format("{}{} {:.3f}", s.empty() ? "" : ", ", t.phase, t.ms);
    return s;
  };
  if (p.report.json) {
    nlohmann::json j;
    j["schema_version"] = 1;
    j["model_file"] = p.model.model_file;
    j["model_name"] = m.name();
    j["thread_num"] = p.run.thread_num;
    j["intra_threads"] = p.run.intra_threads;
    j["frame_count"] = st.count;
    j["duration_ms"] = wall_ms;
    j["cores"] = cores;
    j["perf_fps"] = p.run.perf_fps;
    j["inputs"] = p.input.input_file.empty() ? "random" : p.input.input_file;
    j["seed"] = p.input.seed;
    j["load_time_ms"] = load_ms;
    j["first_inference_ms"] = results[0]->first_inference_ms;
    j["session_setup_ms"] = results[0]->setup_ms;
    j["startup_ms"] = startup_ms;
    j["load_phases_ms"] = nlohmann::json::object();
    for (const PhaseTiming& t : file.load_phases()) j["load_phases_ms"][t.phase] = t.ms;
    j["setup_phases_ms"] = nlohmann::json::object();
    for (const PhaseTiming& t : results[0]->setup_phases) j["setup_phases_ms"][t.phase] = t.ms;
    j["engine"] = EngineJson(engine);
    j["u8_tensors"] = results[0]->u8_tensors;
    if (!p.model.cache_dir.empty()) {
      const WeightCacheReport& c = results[0]->weight_cache;
      j["weight_cache"] = {{"path", c.path},         {"hits", c.hits},       {"misses", c.misses},
                           {"rejected", c.rejected}, {"written", c.written}, {"note", c.note}};
    }
    j["latency_min_ms"] = st.min_ms;
    j["latency_mean_ms"] = st.mean_ms;
    j["latency_median_ms"] = st.median_ms;
    j["latency_p90_ms"] = st.p90_ms;
    j["latency_p95_ms"] = st.p95_ms;
    j["latency_p99_ms"] = st.p99_ms;
    j["latency_max_ms"] = st.max_ms;
    j["latency_stddev_ms"] = st.stddev_ms;
    j["latency_cov"] = st.cov;
    j["throughput_fps"] = fps;
    j["cpu_usage_percent"] = cpu_pct;
    j["peak_rss_mib"] = rss_mib;
    j["missed_frames"] = missed;
    if (overhead_pct >= 0) j["runtime_overhead_percent"] = overhead_pct;
    j["warnings"] = warnings;
    out << JsonText(j) << "\n";
    return kExitOk;
  }
  out << std::fixed << std::setprecision(3);
  out << "=== Running condition ===\n"
      << "Model: " << m.name() << " (" << p.model.model_file << ")\n"
      << "Threads: " << p.run.thread_num << " session(s) x " << p.run.intra_threads
      << " intra thread(s)\n"
      << "Frames measured: " << st.count << "\n"
      << "Measured phase: " << wall_ms << " ms\n"
      << "Cores: " << (p.run.core_id.empty() ? "any" : p.run.core_id) << "\n"
      << "Engine: " << EngineText(engine) << "\n";
  if (results[0]->u8_tensors > 0)
    out << "int8 tensors held as u8 between oneDNN kernels (no conversion pass): "
        << results[0]->u8_tensors << "\n";
  if (p.run.perf_fps > 0) out << "Pacing: " << p.run.perf_fps << " frames/s\n";
  out << "=== Perf result ===\n"
      << "Model load time: " << load_ms << " ms (" << phases(file.load_phases()) << ")\n"
      << "Session setup (thread 0): " << results[0]->setup_ms << " ms ("
      << phases(results[0]->setup_phases) << ")\n"
      << "First inference (thread 0): " << results[0]->first_inference_ms << " ms\n"
      << "Start-up (load + setup + first inference): " << startup_ms << " ms\n";
  if (!p.model.cache_dir.empty()) {
    const WeightCacheReport& c = results[0]->weight_cache;
    out << "Weight cache (thread 0): " << c.path << ": " << c.hits << " hit(s), " << c.misses
        << " miss(es), " << c.rejected << " rejected, " << (c.written ? "written" : "unchanged")
        << (c.note.empty() ? "" : " (" + c.note + ")") << "\n";
  }
  out << "Latency min: " << st.min_ms << " ms\n"
      << "Latency mean: " << st.mean_ms << " ms\n"
      << "Latency median: " << st.median_ms << " ms\n"
      << "Latency p90: " << st.p90_ms << " ms\n"
      << "Latency p95: " << st.p95_ms << " ms\n"
      << "Latency p99: " << st.p99_ms << " ms\n"
      << "Latency max: " << st.max_ms << " ms\n"
      << "Latency stddev: " << st.stddev_ms << " ms (CoV " << st.cov << ")\n"
      << "Throughput: " << fps << " FPS\n"
      << "CPU usage: " << cpu_pct << " % (100% = one core)\n"
      << "Peak RSS: " << rss_mib << " MiB\n";
  if (p.run.perf_fps > 0) out << "Missed frames: " << missed << " of " << st.count << "\n";
  if (overhead_pct >= 0)
    out << "Profile: " << p.report.profile_path << "/profile.{csv,json} (runtime overhead "
        << overhead_pct << " % of Run() time)\n";
  for (const auto& w : warnings) out << "WARNING: " << w << "\n";
  return kExitOk;
}

}  // namespace

int RunPerf(int argc, char** argv, std::ostream& out) {
  PerfParams p;
  po::options_description input_opts("Input");
  AddInputFileOption(input_opts, &p.input.input_file, "default: deterministic random inputs");
  input_opts.add_options()("seed", po::value(&p.input.seed)->default_value(p.input.seed),
                           "seed of the random inputs");
  po::options_description run_opts("Run");
  run_opts.add_options()(
      "thread_num", po::value(&p.run.thread_num)->default_value(p.run.thread_num),
      "concurrent threads, each with its own session over the one shared model; 1..4 x the "
      "online CPUs")("intra_threads",
                     po::value(&p.run.intra_threads)->default_value(p.run.intra_threads),
                     "engine threads inside each session, 1..4 x the online CPUs")(
      "setup_threads", po::value(&p.run.setup_threads)->default_value(p.run.setup_threads),
      "threads that set each session's kernels up (weight packing, JIT) before the first frame; "
      "0: one per CPU the process may use, at most 8")(
      "frame_count", po::value(&p.run.frame_count)->default_value(p.run.frame_count),
      "measured frames over all threads (ignored with --perf_time*)")(
      "perf_time", po::value(&p.run.perf_time)->default_value(p.run.perf_time),
      "run for this many minutes instead of --frame_count (hrt_model_exec's unit)")(
      "perf_time_in_seconds",
      po::value(&p.run.perf_time_in_seconds)->default_value(p.run.perf_time_in_seconds),
      "run for this many seconds instead of --frame_count")(
      "warmup", po::value(&p.run.warmup)->default_value(p.run.warmup),
      "per-thread warm-up before measuring, not counted: frames (\"10\", up to 10^9) or seconds "
      "(\"2s\", up to 86400)")(
      "core_id", po::value(&p.run.core_id)->value_name("CORES"),
      "comma list of CPU cores the threads (and their engine workers) may run on; each must be "
      "one this process may use (sched_getaffinity, e.g. under taskset)")(
      "perf_fps", po::value(&p.run.perf_fps)->default_value(p.run.perf_fps),
      "paced run: frames arrive at this rate like from a camera; latency counts from arrival");
  po::options_description report_opts("Report");
  report_opts.add_options()("json", po::bool_switch(&p.report.json),
                            "print the report as JSON on stdout")(
      "profile_path", po::value(&p.report.profile_path)->value_name("DIR"),
      "write per-op timing to DIR/profile.csv and DIR/profile.json, and DIR/profile.html: "
      "bar charts of the time per node and per op type with the runtime overhead")(
      "progress_frames",
      po::value(&p.report.progress_frames)->default_value(p.report.progress_frames),
      "progress line on stderr every N frames (and at most every second)");
  po::options_description all;
  all.add(input_opts).add(run_opts).add(report_opts);
  const ToolInfo info{kTool, "--model_file model.bin [options]", kMetricHelp, &p.model,
                      /*cache_option=*/true};
  ToolSteps steps;
  steps.validate = [&](const po::variables_map&) { return Validate(p); };
  steps.log_settings = [&] {
    const double duration_s = DurationSeconds(p);
    spdlog::info(
        "=== perf settings === model_file: {}, model_name: {}, thread_num: {}, intra_threads: {}, "
        "setup_threads: {}, cache_dir: {}, {}, warmup: {}, core_id: {}, perf_fps: {}, inputs: {}",
        p.model.model_file, p.model.model_name.empty() ? "(only)" : p.model.model_name,
        p.run.thread_num, p.run.intra_threads, p.run.setup_threads,
        p.model.cache_dir.empty() ? "(none)" : p.model.cache_dir,
        duration_s > 0 ? fmt::format("duration: {} s", duration_s)
                       : fmt::format("frame_count: {}", p.run.frame_count),
        p.run.warmup, p.run.core_id.empty() ? "any" : p.run.core_id, p.run.perf_fps,
        p.input.input_file.empty() ? fmt::format("random (seed {})", p.input.seed)
                                   : p.input.input_file);
  };
  steps.work = [&] {
    PerfRun run;
    const int rc = MeasurePerf(p, &run);
    return rc != kExitOk ? rc : ReportPerf(p, run, out);
  };
  return RunTool(argc, argv, info, all, steps);
}

}  // namespace edgert::app
