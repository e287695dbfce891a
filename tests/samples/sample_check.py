#!/usr/bin/python3
"""Runs a sample program and checks what it did against ONNX Runtime's outputs.

The sample command follows `--` and may start with an emulator (qemu under the aarch64
build); this script itself runs on the host.

  sample_check.py classification --ref ORT_OUTPUT.bin [--score-tol T] -- CMD...
      CMD prints "#k class C score S" lines. Its top-1 must be the argmax of the ORT output,
      each printed class must score, in ORT, within T of ORT's k-th best score (the order is
      right up to near-ties), and each printed score must be within T of ORT's score for it.
  sample_check.py featuremap --ort-dir DIR --out-dir OUT [--min-cosine C] [--max-abs A]
                             [--expect-padding] [--compile COMPILER YAML ONNX BIN] -- CMD...
      OUT is removed, CMD creates it and writes OUT/output_<i>_<name>.bin; each must match ORT's output i of
      DIR/outputs.json in size, cosine >= C and max |diff| <= A. --expect-padding requires the
      sample to report padding on its input (so the stride handling was exercised).
      --compile first compiles ONNX with YAML into BIN (skip, exit 77, without COMPILER).
  sample_check.py exit --code N [--stderr TEXT] -- CMD...
      CMD must exit with N, and its stderr must contain TEXT.

Exit 0 pass, 1 fail, 77 skip.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

SKIP = 77


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    return 1


def run(cmd):
    print("running: " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    return p


def need_files(*paths):
    """The first missing path, or None (test data comes from scripts/prepare_models.sh)."""
    for p in paths:
        if not os.path.exists(p):
            return p
    return None


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def check_classification(args, cmd):
    missing = need_files(args.ref)
    if missing:
        return fail(f"{missing} missing: run scripts/prepare_models.sh")
    ref = np.fromfile(args.ref, np.float32).ravel()
    p = run(cmd)
    if p.returncode != 0:
        return fail(f"exit code {p.returncode}")
    printed = [(int(c), float(s)) for c, s in
               re.findall(r"^\s*#\d+ class (\d+) score (\S+)$", p.stdout, re.M)]
    if not printed:
        return fail("no '#k class C score S' lines in the output")
    if len(printed) != min(args.top, ref.size):
        return fail(f"printed {len(printed)} classes, expected {min(args.top, ref.size)}")
    order = np.argsort(-ref, kind="stable")
    expected_top1 = int(order[0])
    print(f"ORT top-{len(printed)}: " +
          ", ".join(f"{int(c)} ({ref[c]:.6g})" for c in order[:len(printed)]))
    if printed[0][0] != expected_top1:
        return fail(f"top-1 class {printed[0][0]}, ONNX Runtime's argmax is {expected_top1}")
    tol = args.score_tol
    for k, (c, s) in enumerate(printed):
        if not 0 <= c < ref.size:
            return fail(f"#{k + 1}: class {c} out of range [0, {ref.size})")
        if abs(ref[c] - ref[order[k]]) > tol:
            return fail(f"#{k + 1}: class {c} scores {ref[c]:.6g} in ORT, ORT's #{k + 1} is "
                        f"class {int(order[k])} with {ref[order[k]]:.6g} (tolerance {tol})")
        if abs(s - ref[c]) > tol:
            return fail(f"#{k + 1}: class {c} printed score {s:.6g}, ORT {ref[c]:.6g} "
                        f"(tolerance {tol})")
    print(f"PASS: top-1 {expected_top1}, top-{len(printed)} order and scores within {tol}")
    return 0


def check_featuremap(args, cmd):
    with_compile = args.compile is not None
    if with_compile:
        compiler, yaml, onnx, out_bin = args.compile
        if not os.path.exists(compiler):
            print(f"SKIP: no model compiler at {compiler} (build the host preset)",
                  file=sys.stderr)
            return SKIP
        missing = need_files(yaml, onnx)
        if missing:
            return fail(f"{missing} missing: run scripts/prepare_models.sh")
        os.makedirs(os.path.dirname(out_bin), exist_ok=True)
        c = run([compiler, "--config", yaml, "--model", onnx, "--output", out_bin])
        if c.returncode != 0:
            return fail(f"model_compiler exit code {c.returncode}")
    manifest = os.path.join(args.ort_dir, "outputs.json")
    missing = need_files(manifest)
    if missing:
        return fail(f"{missing} missing: run scripts/prepare_models.sh")
    with open(manifest) as f:
        outputs = json.load(f)["outputs"]
    # Removed, not emptied: the sample must create it.
    shutil.rmtree(args.out_dir, ignore_errors=True)
    p = run(cmd)
    if p.returncode != 0:
        return fail(f"exit code {p.returncode}")
    if args.expect_padding:
        line = re.search(r"^input 0 .*$", p.stdout, re.M)
        if not line or "padding bytes" not in line.group(0):
            return fail("the sample reports no padding on input 0; this case must exercise it")
    written = sorted(os.listdir(args.out_dir))
    if len(written) != len(outputs):
        return fail(f"wrote {written}, ORT has {len(outputs)} outputs")
    for i, o in enumerate(outputs):
        mine = [w for w in written if w.startswith(f"output_{i}_")]
        if len(mine) != 1:
            return fail(f"no single output_{i}_*.bin in {written}")
        got = np.fromfile(os.path.join(args.out_dir, mine[0]), np.float32)
        want = np.fromfile(os.path.join(args.ort_dir, o["file"]), np.float32)
        if got.size != want.size:
            return fail(f"{mine[0]}: {got.size} floats, ORT '{o['name']}' {o['dims']} has "
                        f"{want.size}")
        cos = cosine(got, want)
        max_abs = float(np.max(np.abs(got.astype(np.float64) - want)))
        print(f"{mine[0]} vs ORT '{o['name']}' {o['dims']}: cosine {cos:.8f}, "
              f"max |diff| {max_abs:.3g}")
        if not (cos >= args.min_cosine and max_abs <= args.max_abs):
            return fail(f"{mine[0]}: need cosine >= {args.min_cosine} and max |diff| <= "
                        f"{args.max_abs}")
    print(f"PASS: {len(outputs)} output(s) match ONNX Runtime")
    return 0


def check_exit(args, cmd):
    p = run(cmd)
    if p.returncode != args.code:
        return fail(f"exit code {p.returncode}, expected {args.code}")
    if args.stderr and args.stderr not in p.stderr:
        return fail(f"stderr does not mention '{args.stderr}'")
    print(f"PASS: exit code {args.code}")
    return 0


def main(argv):
    if "--" not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    ours, cmd = argv[:split], argv[split + 1:]
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("classification")
    c.add_argument("--ref", required=True)
    c.add_argument("--top", type=int, default=5)
    c.add_argument("--score-tol", type=float, default=1e-3)
    f = sub.add_parser("featuremap")
    f.add_argument("--ort-dir", required=True)
    f.add_argument("--out-dir", required=True)
    f.add_argument("--min-cosine", type=float, default=0.99999)
    f.add_argument("--max-abs", type=float, default=1e-3)
    f.add_argument("--expect-padding", action="store_true")
    f.add_argument("--compile", nargs=4, metavar=("COMPILER", "YAML", "ONNX", "BIN"))
    e = sub.add_parser("exit")
    e.add_argument("--code", type=int, required=True)
    e.add_argument("--stderr", default="")
    args = parser.parse_args(ours[1:])
    if not cmd:
        return fail("no command after --")
    return {"classification": check_classification, "featuremap": check_featuremap,
            "exit": check_exit}[args.mode](args, cmd)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
