#!/usr/bin/python3
"""fleet/summarize.py on hand-made board folders (no boards, no Ansible): every way a record
can end. Three boards x three models:
  boardA: m1 PASSED, m2 a FAILED verdict (its worst tensor is the one with the lower cosine),
          m3 a failed run (the step and reason from its status.json);
  boardB: failed while being set up (board.json): all three records failed with its reason;
  boardC: no board.json at all: "no result".
Checks report.json, report.html (html.parser) and the --strict exit code.

Usage: summarize_test.py SUMMARIZE_PY
"""
import html.parser
import json
import os
import subprocess
import sys
import tempfile

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def verifier_out(tensors, verdict):
    return json.dumps({"mode": "compare_dir", "tensors": tensors, "intermediate": [],
                       "first_divergence": "", "passed": verdict.startswith("PASSED")},
                      indent=2) + "\n" + verdict + "\n"


def perf(median):
    return json.dumps({"latency_%s_ms" % k: v for k, v in
                       [("min", median * 0.9), ("mean", median), ("median", median),
                        ("p90", median * 1.1), ("p95", median * 1.2), ("p99", median * 1.5),
                        ("max", median * 2)]} | {"throughput_fps": 1000 / median,
                                                 "frame_count": 50})


def main():
    summarize = sys.argv[1]
    with tempfile.TemporaryDirectory() as out:
        a = os.path.join(out, "boards", "boardA")
        write(a + "/board.json", json.dumps({"board": "boardA", "status": "ok", "arch": "aarch64",
                                             "package_arch": "aarch64", "cpu": "Cortex-A53",
                                             "cores": 4, "package_version": "0.1.0",
                                             "package_uploaded": False}))
        t = lambda n, c: {"name": n, "pass": c >= 0.999, "cosine": c, "max_abs_error": 1 - c,
                          "max_abs_index": "[3]"}
        write(a + "/models/m1/status.json", '{"status": "ok"}')
        write(a + "/models/m1/perf.json", perf(2.0))
        write(a + "/models/m1/verifier.out",
              verifier_out([t("out0.bin", 0.99995)], "PASSED: 1 tensor(s) compared"))
        write(a + "/models/m2/status.json", '{"status": "ok"}')
        write(a + "/models/m2/perf.json", perf(4.0))
        write(a + "/models/m2/verifier.out",
              verifier_out([t("out0.bin", 0.9991), t("out1.bin", 0.93), t("out2.bin", 0.98)],
                           "FAILED: tensor(s) 'out1.bin', 'out2.bin'"))
        write(a + "/models/m3/status.json", json.dumps({
            "status": "failed", "step": "m3: model_info, perf and infer on the board",
            "reason": "non-zero return code perf exited with 1: unsupported op"}))
        write(out + "/boards/boardB/board.json", json.dumps({
            "board": "boardB", "status": "failed", "step": "Check that a package fits the board",
            "reason": "no package for riscv64 in edgert_packages (aarch64)"}))
        os.makedirs(out + "/boards/boardC")
        cmd = [sys.executable, summarize, "--out", out, "--boards", "boardA,boardB,boardC",
               "--models", "m1,m2,m3"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        check(r.returncode == 0, "not strict: exit 0 (%d) %s" % (r.returncode, r.stderr))
        rs = subprocess.run(cmd + ["--strict", "1"], capture_output=True, text=True)
        check(rs.returncode == 1, "--strict 1 with failures: exit 1 (%d)" % rs.returncode)
        rep = json.load(open(out + "/report.json"))
        recs = {(x["board"], x["model"]): x for x in rep["records"]}
        check(len(rep["records"]) == 9, "9 records (3 boards x 3 models)")
        check(rep["summary"] == {"records": 9, "passed": 1, "verdict_failed": 1, "run_failed": 7},
              "summary %s" % rep["summary"])
        m1, m2, m3 = recs[("boardA", "m1")], recs[("boardA", "m2")], recs[("boardA", "m3")]
        check(m1["verdict"] == "PASSED" and m1["latency_ms"]["median"] == 2.0 and
              m1["latency_ms"]["p99"] == 3.0 and m1["throughput_fps"] == 500 and
              m1["cpu"] == "Cortex-A53" and m1["package_uploaded"] is False,
              "boardA/m1: PASSED with its latencies and board facts")
        check(m2["status"] == "ok" and m2["verdict"] == "FAILED" and
              m2["worst_tensor"]["name"] == "out1.bin" and m2["worst_tensor"]["cosine"] == 0.93,
              "boardA/m2: FAILED verdict, worst tensor out1.bin")
        check(m3["status"] == "failed" and m3["failed_step"].endswith("on the board") and
              "unsupported op" in m3["reason"], "boardA/m3: failed run with step and reason")
        check(all(recs[("boardB", m)]["status"] == "failed" and
                  "riscv64" in recs[("boardB", m)]["reason"] for m in ("m1", "m2", "m3")),
              "boardB: every model failed with the board's reason")
        check(all("no result" in recs[("boardC", m)]["reason"] for m in ("m1", "m2", "m3")),
              "boardC: no result")

        class P(html.parser.HTMLParser):
            rows, bars, scripts = [], [], 0

            def handle_starttag(self, tag, attrs):
                d, c = dict(attrs), dict(attrs).get("class", "").split()
                self.scripts += tag == "script"
                if tag == "tr" and "record" in c:
                    self.rows.append((d["data-board"], d["data-model"], c[1]))
                if tag == "rect" and "bar" in c:
                    self.bars.append((d["data-board"], c[1]))

        p = P()
        p.feed(open(out + "/report.html").read())
        check(p.scripts == 0, "report.html: no script")
        want = [("boardA", "m1", "pass"), ("boardB", "m1", "error"), ("boardC", "m1", "error"),
                ("boardA", "m2", "fail"), ("boardB", "m2", "error"), ("boardC", "m2", "error"),
                ("boardA", "m3", "error"), ("boardB", "m3", "error"), ("boardC", "m3", "error")]
        check(p.rows == want, "report.html: one row per board x model, by model, with the "
              "verdict's class")
        check(p.bars == [("boardA", "pass"), ("boardA", "fail")],
              "report.html: bars only for runs with results, coloured by verdict")
    print("%d check(s) failed" % len(failures) if failures else "all summary checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
