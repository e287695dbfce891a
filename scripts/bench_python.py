#!/usr/bin/python3
"""Benchmarks the Python module's Model.forward() against `perf` on the same .bin, 1 thread.

Each round runs `perf --json` (one session, --intra_threads 1, the model's .input.bin) and then
the same number of forward() calls in this process (intra_threads=1, the same input as a numpy
array), alternately, so both see the same machine load. A forward() latency is the wall time of
the call: copying the input in, Run(), copying the outputs out and making the numpy objects.
Reported: each round's medians, and the median over rounds of each side's median with the
ratio python / perf (the overhead target is <= 1.03).

  /usr/bin/python3 scripts/bench_python.py [--model build/models/mobilenet_v2.bin]
      [--perf HOST_BUILD/apps/perf] [--pythonpath HOST_BUILD/python] [--rounds 5]
(HOST_BUILD: the host preset's build folder, scripts/preset_dir.sh host)
      [--frames 200] [--warmup 20]

This is a benchmark, not a test: numbers depend on the machine and its load.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def perf_median(perf, model, inp, frames, warmup):
    cmd = [perf, "--model_file", model, "--input_file", inp, "--thread_num", "1",
           "--intra_threads", "1", "--frame_count", str(frames), "--warmup", str(warmup), "--json"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"bench_python: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return json.loads(p.stdout)["latency_median_ms"]


def python_median(model, x, frames, warmup):
    for _ in range(warmup):
        model.forward(x, intra_threads=1)
    ms = []
    for _ in range(frames):
        t0 = time.perf_counter()
        model.forward(x, intra_threads=1)
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=os.path.join(ROOT, "build", "models", "mobilenet_v2.bin"))
    ap.add_argument("--input", help="np.tofile input (default: MODEL with .input.bin)")
    host_build = subprocess.run([os.path.join(ROOT, "scripts", "preset_dir.sh"), "host"],
                                check=True, capture_output=True, text=True).stdout.strip()
    ap.add_argument("--perf", default=os.path.join(host_build, "apps", "perf"))
    ap.add_argument("--pythonpath", default=os.path.join(host_build, "python"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    inp = args.input or args.model[:-len(".bin")] + ".input.bin"
    for f in (args.model, inp, args.perf):
        if not os.path.exists(f):
            sys.exit(f"bench_python: {f} missing (scripts/prepare_models.sh, cmake --build)")
    sys.path.insert(0, args.pythonpath)
    import edgert

    model = edgert.load(args.model)[0]
    x = np.fromfile(inp, model.inputs[0].properties.dtype)
    print(f"{os.path.basename(args.model)}: {args.rounds} rounds of {args.frames} frames "
          f"(+{args.warmup} warm-up), 1 thread")
    py, pf = [], []
    for r in range(args.rounds):
        pf.append(perf_median(args.perf, args.model, inp, args.frames, args.warmup))
        py.append(python_median(model, x, args.frames, args.warmup))
        print(f"  round {r}: perf median {pf[-1]:.3f} ms, forward() median {py[-1]:.3f} ms, "
              f"ratio {py[-1] / pf[-1]:.3f}")
    mp, mf = statistics.median(py), statistics.median(pf)
    print(f"median over rounds: perf {mf:.3f} ms, forward() {mp:.3f} ms, "
          f"ratio forward()/perf {mp / mf:.3f} (target <= 1.03)")


if __name__ == "__main__":
    main()
