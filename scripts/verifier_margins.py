#!/usr/bin/python3
"""How close the prepared whole-model comparisons come to failing verifier's default rule.

For every model NAME in the models folder (scripts/prepare_models.sh) that has NAME.bin,
NAME.input.bin and NAME.ort/outputs.json (ONNX Runtime's outputs on the same input), runs

    verifier --model_file NAME.bin --input_file NAME.input.bin --ref_file <ORT outputs> --json

with the default thresholds, and prints per output the cosine, tol_use (the worst element's
|a - ref| / (atol + rtol*|ref|); <= 1 passes) and the margin 1 - tol_use, then the worst one.
Exit 0 when every comparison passes, 1 otherwise.

Usage: scripts/verifier_margins.py [--verifier PATH] [--models DIR] [verifier flags...]
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--verifier", default=os.path.join(ROOT, "build/host/apps/verifier"))
    ap.add_argument("--models", default=os.path.join(ROOT, "build/models"))
    args, extra = ap.parse_known_args()
    rows, failed = [], 0
    for entry in sorted(os.listdir(args.models)):
        if not entry.endswith(".ort"):
            continue
        name = entry[: -len(".ort")]
        model = os.path.join(args.models, name + ".bin")
        inp = os.path.join(args.models, name + ".input.bin")
        meta = os.path.join(args.models, entry, "outputs.json")
        if not (os.path.isfile(model) and os.path.isfile(inp) and os.path.isfile(meta)):
            continue
        with open(meta) as f:
            outs = json.load(f)["outputs"]
        refs = ",".join(os.path.join(args.models, entry, o["file"]) for o in outs)
        cmd = [args.verifier, "--model_file", model, "--input_file", inp, "--ref_file", refs,
               "--json"] + extra
        p = subprocess.run(cmd, capture_output=True, text=True)
        body, _, verdict = p.stdout.rstrip("\n").rpartition("\n")
        try:
            report = json.loads(body)
        except ValueError:
            print(f"{name}: no report (exit {p.returncode}): {p.stdout}{p.stderr}")
            failed += 1
            continue
        failed += p.returncode != 0
        for t in report["tensors"]:
            use = t.get("tolerance_use", "inf")
            use = float("inf") if use == "inf" else float(use)
            rows.append((use, name, t["name"], t.get("cosine", 0.0), t.get("atol", 0.0),
                         t.get("rtol", 0.0), verdict.split(":")[0]))
    print(f"{'model':28} {'output':8} {'cosine':>10} {'atol':>10} {'rtol':>6} {'tol_use':>8} "
          f"{'margin':>8}  verdict")
    for use, name, out, cos, atol, rtol, verdict in rows:
        print(f"{name:28} {out:8} {cos:10.6f} {atol:10.3g} {rtol:6.3g} {use:8.3f} "
              f"{1 - use:8.3f}  {verdict}")
    if rows:
        worst = max(rows)
        print(f"worst: {worst[1]} '{worst[2]}' uses {worst[0]:.3f} of its allowance "
              f"(margin {1 - worst[0]:.3f}) across {len(rows)} output(s)")
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main())
