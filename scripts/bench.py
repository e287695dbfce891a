#!/usr/bin/python3
"""Benchmarks edgert against ONNX Runtime on the same models, same machine, same run.

For each model and thread count, edgert (`perf --json`) and ONNX Runtime (`ort_run.js --bench`)
are measured alternately for several rounds; the reported latency is the median over rounds of
each round's median, and the ratio is edgert / ORT (below 1.0 means edgert is faster).

  /usr/bin/python3 scripts/bench.py [--models mobilenet_v2,resnet18,vit,convnext_tiny]
      [--threads 1,2]
      [--rounds 3] [--frames 50] [--warmup 10] [--scaling 1,2,4] [--profile] [--int8]
      [--startup] [--u8_plan]

--startup measures time to first result in fresh processes (warm file cache, cold process):
edgert's load + session setup + first inference (perf --json, with its phase breakdown) against
ORT's InferenceSession.create + first run, at 1 intra thread, over --rounds processes each. It
also prints the load average and each perf process's CPU time (user + system, whole process),
which a busy machine inflates far less than wall times.

--u8_plan runs every int8 model on the path CPUs without VNNI take (EDGERT_DISABLE_VNNI=1), with
int8 activations held as u8 between oneDNN's convolutions and without (EDGERT_DISABLE_U8_PLAN=1),
alternately: the before and after of that plan, edgert only.

vit (torchvision's VisionTransformer code, ViT-S/16 width, 6 layers) and convnext_tiny
(torchvision) are f32 rows only: --int8, --startup, --profile and --scaling skip them. A model
that model_compiler cannot compile yet (scripts/gen_models.py PENDING) gets a row saying so.

Data comes from scripts/prepare_models.sh (build/models). This is a benchmark, not a test:
numbers depend on the machine and its load.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The host preset's build folder (CMakePresets.json names it; scripts/preset_dir.sh).
HOST_BUILD = subprocess.run([os.path.join(ROOT, "scripts/preset_dir.sh"), "host"], check=True,
                            capture_output=True, text=True).stdout.strip()


def run(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=None if env is None else {**os.environ, **env})
    if p.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return p.stdout


def edgert(perf, model_bin, inp, intra, sessions, frames, warmup, profile_dir=None, cache_dir=None,
           env=None):
    """perf --json's report, plus "process_cpu_ms": the process's user + system CPU time. `env`
    adds environment variables for that process."""
    cmd = [perf, "--model_file", model_bin, "--input_file", inp, "--intra_threads", str(intra),
           "--thread_num", str(sessions), "--frame_count", str(frames), "--warmup", str(warmup),
           "--json"]
    if cache_dir:
        cmd += ["--cache_dir", cache_dir]
    if profile_dir:
        cmd += ["--profile_path", profile_dir]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(run(cmd, env))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    report["process_cpu_ms"] = 1000 * (after.ru_utime - before.ru_utime + after.ru_stime -
                                       before.ru_stime)
    return report


def ort(model_onnx, inp, threads, frames, warmup):
    out = run(["node", os.path.join(ROOT, "scripts/ort_run.js"), "--model", model_onnx,
               "--input", f"input={inp}", "--threads", str(threads), "--bench", str(frames),
               "--warmup", str(warmup)])
    return json.loads(out.strip().splitlines()[-1])


def startup(a, results):
    """Model file to first result, in fresh processes: edgert perf vs ORT's create + first run.

    Each model twice: without a start-up cache, and with a --cache_dir that one untimed run has
    filled (the checksum stamp and oneDNN's reordered weights)."""
    # Wall times on a shared machine grow with its load; the process's CPU time (its threads'
    # user + system time, including what the dynamic loader does before main) much less.
    print("\nstart-up, fresh process each round (warm file cache), 1 intra thread, median ms;"
          " '+cache': perf --cache_dir, filled by an untimed run; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + ":")
    print(f"{'model':<27}{'edgert':>9}{'load':>7}{'setup':>7}{'1st run':>8}{'CPU':>7}{'ORT':>9}"
          f"{'ratio':>7}   edgert phases (median ms)")
    for name in [n for n in a.models.split(",") if n not in F32_ONLY]:
        for variant, onnx in (("", name + ".onnx"), ("_int8", name + "_int8_quantized_model.onnx")):
            model_bin = os.path.join(a.models_dir, name + variant + ".bin")
            onnx_path = os.path.join(a.models_dir, onnx)
            inp = os.path.join(a.models_dir, name + ".input.bin")
            if not (os.path.exists(model_bin) and os.path.exists(onnx_path)):
                print(f"{name + variant:<20} skipped: {model_bin} or {onnx_path} missing")
                continue
            cache = tempfile.mkdtemp(prefix="edgert_bench_cache_")
            edgert(a.perf, model_bin, inp, 1, 1, 1, "0", cache_dir=cache)
            cold, warm, ort_ms = [], [], []
            for _ in range(a.rounds):
                cold.append(edgert(a.perf, model_bin, inp, 1, 1, 1, "0"))
                warm.append(edgert(a.perf, model_bin, inp, 1, 1, 1, "0", cache_dir=cache))
                o = ort(onnx_path, inp, 1, 1, 0)
                ort_ms.append(o["create_ms"] + o["first_run_ms"])
            shutil.rmtree(cache, ignore_errors=True)
            for label, runs in ((name + variant, cold), (name + variant + " +cache", warm)):
                startup_row(label, runs, ort_ms, results)


def startup_row(label, runs, ort_ms, results):
    med = lambda key: statistics.median(r[key] for r in runs)
    # In the order they happen (JSON objects come back sorted by key).
    order = ["map", "checksum", "checksum_stamp", "verify", "parse", "graph", "plan", "arena",
             "threads", "kernels", "arena_fill"]
    phases = {}
    for group in ("load_phases_ms", "setup_phases_ms"):
        for k in sorted(runs[0][group], key=lambda k: (order + [k]).index(k)):
            phases[k] = statistics.median(r[group].get(k, 0.0) for r in runs)
    e, o = med("startup_ms"), statistics.median(ort_ms)
    results.append({"model": label, "startup": True, "edgert_startup_ms": e,
                    "edgert_load_ms": med("load_time_ms"),
                    "edgert_setup_ms": med("session_setup_ms"),
                    "edgert_first_inference_ms": med("first_inference_ms"),
                    "edgert_process_cpu_ms": med("process_cpu_ms"),
                    "edgert_phases_ms": phases, "ort_create_first_run_ms": o,
                    "edgert_rounds": [r["startup_ms"] for r in runs], "ort_rounds": ort_ms})
    print(f"{label:<27}{e:>9.1f}{med('load_time_ms'):>7.1f}{med('session_setup_ms'):>7.1f}"
          f"{med('first_inference_ms'):>8.1f}{med('process_cpu_ms'):>7.1f}{o:>9.1f}{e / o:>7.3f}   "
          + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()), flush=True)


# Models benchmarked in f32 only (no int8 variants are prepared for them).
F32_ONLY = {"vit", "convnext_tiny"}


def u8_plan(a, ready, results):
    """--u8_plan: the non-VNNI int8 path with int8 activations held as u8 between oneDNN's
    convolutions (Session::u8_tensors) against the same with EDGERT_DISABLE_U8_PLAN=1, where each
    of those convolutions converts its input at every run. Alternately, in one run."""
    print("\nu8 plan, non-VNNI path (EDGERT_DISABLE_VNNI=1): median ms with the plan and without "
          "it (EDGERT_DISABLE_U8_PLAN=1)")
    print(f"{'model':<22}{'threads':>8}{'u8 tensors':>11}{'plan':>9}{'no plan':>9}{'ratio':>8}")
    for name in [n for n in ready if n not in F32_ONLY]:
        for variant in ("_int8", "_int8_rr"):
            model_bin = os.path.join(a.models_dir, name + variant + ".bin")
            inp = os.path.join(a.models_dir, name + ".input.bin")
            if not os.path.exists(model_bin):
                sys.exit(f"bench: {model_bin} missing; run scripts/prepare_models.sh first")
            for t in [int(x) for x in a.threads.split(",")]:
                on, off, count = [], [], 0
                for _ in range(a.rounds):
                    r = edgert(a.perf, model_bin, inp, t, 1, a.frames, a.warmup,
                               env={"EDGERT_DISABLE_VNNI": "1"})
                    on.append(r["latency_median_ms"])
                    count = r["u8_tensors"]
                    off.append(edgert(a.perf, model_bin, inp, t, 1, a.frames, a.warmup,
                                      env={"EDGERT_DISABLE_VNNI": "1",
                                           "EDGERT_DISABLE_U8_PLAN": "1"})["latency_median_ms"])
                e, o = statistics.median(on), statistics.median(off)
                results.append({"model": name + variant, "threads": t, "u8_plan": True,
                                "u8_tensors": count, "plan_median_ms": e, "no_plan_median_ms": o,
                                "plan_rounds": on, "no_plan_rounds": off})
                print(f"{name + variant:<22}{t:>8}{count:>11}{e:>9.3f}{o:>9.3f}{e / o:>8.3f}",
                      flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="mobilenet_v2,resnet18,vit,convnext_tiny")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--frames", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--scaling", default="", help="session counts for a throughput table, e.g. 1,2,4")
    ap.add_argument("--profile", action="store_true", help="also report runtime overhead at 1 thread")
    ap.add_argument("--int8", action="store_true",
                    help="also edgert NAME_int8.bin and NAME_int8_rr.bin vs ORT f32 and ORT on their "
                         "_quantized_model.onnx")
    ap.add_argument("--startup", action="store_true",
                    help="also time model file to first result (NAME.bin and NAME_int8.bin vs ORT on "
                         "NAME.onnx and the QDQ export), fresh process each round")
    ap.add_argument("--u8_plan", action="store_true",
                    help="int8 models on the non-VNNI path (EDGERT_DISABLE_VNNI=1) with the u8 "
                         "plan and without it (EDGERT_DISABLE_U8_PLAN=1), alternately")
    ap.add_argument("--models_dir", default=os.path.join(ROOT, "build/models"))
    ap.add_argument("--perf", default=os.path.join(HOST_BUILD, "apps/perf"))
    ap.add_argument("--json_out", default="", help="also write all results as JSON here")
    a = ap.parse_args()
    results = []
    print(f"{'model':<16}{'threads':>8}{'edgert ms':>12}{'ORT ms':>10}{'ratio':>8}")
    ready = []
    for name in a.models.split(","):
        onnx_path = os.path.join(a.models_dir, name + ".onnx")
        model_bin = os.path.join(a.models_dir, name + ".bin")
        inp = os.path.join(a.models_dir, name + ".input.bin")
        log = os.path.join(a.models_dir, name + ".compile.log")
        if not os.path.exists(model_bin) and os.path.exists(log):
            print(f"{name:<16}  not compiled yet (pending): see {log}", flush=True)
            results.append({"model": name, "not_compiled": log})
            continue
        ready.append(name)
        for path in (onnx_path, model_bin, inp):
            if not os.path.exists(path):
                sys.exit(f"bench: {path} missing; run scripts/prepare_models.sh first")
        for t in [int(x) for x in a.threads.split(",")]:
            e_meds, o_meds = [], []
            for _ in range(a.rounds):
                e_meds.append(edgert(a.perf, model_bin, inp, t, 1, a.frames, a.warmup)["latency_median_ms"])
                o_meds.append(ort(onnx_path, inp, t, a.frames, a.warmup)["median_ms"])
            e, o = statistics.median(e_meds), statistics.median(o_meds)
            results.append({"model": name, "threads": t, "edgert_median_ms": e, "ort_median_ms": o,
                            "ratio": e / o, "edgert_rounds": e_meds, "ort_rounds": o_meds})
            print(f"{name:<16}{t:>8}{e:>12.3f}{o:>10.3f}{e / o:>8.3f}", flush=True)
    if a.profile:
        print("\nruntime overhead outside kernels (profile on, 1 thread):")
        for name in [n for n in ready if n not in F32_ONLY]:
            with tempfile.TemporaryDirectory() as d:
                r = edgert(a.perf, os.path.join(a.models_dir, name + ".bin"),
                           os.path.join(a.models_dir, name + ".input.bin"), 1, 1, a.frames, a.warmup, d)
            print(f"  {name}: {r['runtime_overhead_percent']:.2f} % of Run() time")
            results.append({"model": name, "runtime_overhead_percent": r["runtime_overhead_percent"]})
    if a.scaling:
        print(f"\nthroughput scaling (sessions x 1 intra thread, {os.cpu_count()} CPUs):")
        print(f"{'model':<16}{'sessions':>9}{'FPS':>10}{'median ms':>11}{'p99 ms':>9}")
        for name in [n for n in ready if n not in F32_ONLY]:
            for s in [int(x) for x in a.scaling.split(",")]:
                r = edgert(a.perf, os.path.join(a.models_dir, name + ".bin"),
                           os.path.join(a.models_dir, name + ".input.bin"), 1, s, a.frames * s, a.warmup)
                print(f"{name:<16}{s:>9}{r['throughput_fps']:>10.1f}{r['latency_median_ms']:>11.3f}"
                      f"{r['latency_p99_ms']:>9.3f}", flush=True)
                results.append({"model": name, "sessions": s, "throughput_fps": r["throughput_fps"],
                                "latency_median_ms": r["latency_median_ms"]})
    if a.int8:
        print("\nint8: edgert NAME_int8.bin (8-bit weights) and NAME_int8_rr.bin (reduce_range: 7-bit "
              "weights, oneDNN on x86)\nvs ORT f32 (NAME.onnx) and ORT int8 (the same .bin's QDQ export, "
              "ORT's default optimizations)")
        print(f"{'model':<22}{'threads':>8}{'edgert i8':>11}{'ORT f32':>9}{'ORT i8':>8}"
              f"{'/ORT f32':>10}{'/ORT i8':>9}")
        for name in [n for n in ready if n not in F32_ONLY]:
            for variant in ("_int8", "_int8_rr"):
                model_bin = os.path.join(a.models_dir, name + variant + ".bin")
                qdq = os.path.join(a.models_dir, name + variant + "_quantized_model.onnx")
                inp = os.path.join(a.models_dir, name + ".input.bin")
                for path in (model_bin, qdq):
                    if not os.path.exists(path):
                        sys.exit(f"bench: {path} missing; run scripts/prepare_models.sh first")
                for t in [int(x) for x in a.threads.split(",")]:
                    e_meds, f_meds, q_meds = [], [], []
                    for _ in range(a.rounds):
                        e_meds.append(edgert(a.perf, model_bin, inp, t, 1, a.frames,
                                             a.warmup)["latency_median_ms"])
                        f_meds.append(ort(os.path.join(a.models_dir, name + ".onnx"), inp, t, a.frames,
                                          a.warmup)["median_ms"])
                        q_meds.append(ort(qdq, inp, t, a.frames, a.warmup)["median_ms"])
                    e, f, q = (statistics.median(v) for v in (e_meds, f_meds, q_meds))
                    results.append({"model": name + variant, "threads": t, "int8": True,
                                    "edgert_int8_median_ms": e, "ort_f32_median_ms": f,
                                    "ort_int8_median_ms": q})
                    print(f"{name + variant:<22}{t:>8}{e:>11.3f}{f:>9.3f}{q:>8.3f}{e / f:>10.3f}"
                          f"{e / q:>9.3f}", flush=True)
    if a.u8_plan:
        u8_plan(a, ready, results)
    if a.startup:
        startup(a, results)
    if a.json_out:
        with open(a.json_out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
