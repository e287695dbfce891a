#!/usr/bin/python3
"""The fleet playbook's summary step: FLEET_OUT/report.json and FLEET_OUT/report.html.

Reads what fleet.yml left per board in FLEET_OUT/boards/<board>/ (board.json, and per model
models/<model>/{status.json, perf.json, model_info.json, verifier.out, verifier.html}) and writes
one record per board x model. A board without board.json, or a model without status.json, is
a failed record ("no result"): the playbook never got there. Python standard library only.

Usage: summarize.py --out FLEET_OUT --boards b1,b2 --models m1,m2 [--strict 0|1]
Prints one line per record. Exit 0; with --strict 1, exit 1 unless every record PASSED.
"""
import argparse
import datetime
import html
import json
import os
import sys
import tempfile

LATENCY_KEYS = ["min", "mean", "median", "p90", "p95", "p99", "max"]
BOARD_KEYS = ["address", "arch", "package_arch", "cpu", "cores", "remote_prefix", "remote_dir",
              "package_version", "package_sha256", "package_uploaded"]


def read_json(path):
    """The JSON in `path`, or None when the file is missing."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_verifier(path):
    """verifier --json's output: the JSON document, then the PASSED/FAILED line."""
    if not os.path.exists(path):
        return None, None
    with open(path, encoding="utf-8") as f:
        text = f.read().rstrip("\n")
    body, _, last = text.rpartition("\n")
    return json.loads(body), last


def worst_tensor(ver):
    """The compared output with the lowest cosine (errors first)."""
    worst = None
    for t in ver.get("tensors", []):
        key = (0, 0.0) if "error" in t else (1, t["cosine"])
        if worst is None or key < worst[0]:
            worst = (key, t)
    if worst is None:
        return None
    t = worst[1]
    if "error" in t:
        return {"name": t["name"], "error": t["error"]}
    return {"name": t["name"], "cosine": t["cosine"], "max_abs_error": t["max_abs_error"],
            "max_abs_index": t.get("max_abs_index", "")}


def model_record(board, model, bdir, bjson):
    rec = {"board": board, "model": model}
    for k in BOARD_KEYS:
        rec[k] = bjson.get(k) if bjson else None
    if bjson is None:
        rec.update(status="failed", failed_step="(none)",
                   reason="no result: the playbook stopped before this board was set up")
        return rec
    if bjson.get("status") != "ok":
        rec.update(status="failed", failed_step=bjson.get("step", ""),
                   reason=bjson.get("reason", ""))
        return rec
    mdir = os.path.join(bdir, "models", model)
    st = read_json(os.path.join(mdir, "status.json"))
    if st is None:
        rec.update(status="failed", failed_step="(none)",
                   reason="no result for this model: the board stopped before it finished")
        return rec
    if st.get("status") != "ok":
        rec.update(status="failed", failed_step=st.get("step", ""), reason=st.get("reason", ""))
        return rec
    rec["status"] = "ok"
    perf = read_json(os.path.join(mdir, "perf.json")) or {}
    rec["latency_ms"] = {k: perf.get("latency_%s_ms" % k) for k in LATENCY_KEYS}
    rec["throughput_fps"] = perf.get("throughput_fps")
    rec["frames"] = perf.get("frame_count")
    rec["load_time_ms"] = perf.get("load_time_ms")
    rec["first_inference_ms"] = perf.get("first_inference_ms")
    ver, line = read_verifier(os.path.join(mdir, "verifier.out"))
    rec["verdict"] = "PASSED" if line and line.startswith("PASSED") else "FAILED"
    rec["verdict_line"] = line
    rec["worst_tensor"] = worst_tensor(ver) if ver else None
    rec["first_divergence"] = (ver or {}).get("first_divergence", "")
    rec["files"] = {name: os.path.join("boards", board, "models", model, name)
                    for name in ["perf.json", "model_info.json", "verifier.out", "verifier.html"]
                    if os.path.exists(os.path.join(mdir, name))}
    return rec


def write_atomic(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-" + os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def fmt(v, digits=3):
    return "" if v is None else ("%.*f" % (digits, v))


def e(s):
    return html.escape("" if s is None else str(s), quote=True)


STYLE = """body{font-family:sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}
h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}th{background:#f0f0f0}
td.l,th.l{text-align:left}tr.pass td.verdict{background:#d4f4d4}
tr.fail td.verdict{background:#f8d0d0}tr.error td{background:#fde8c8}
svg.chart{display:block;margin:.6em 0;font-size:11px}svg.chart .axis{stroke:#444}
svg.chart .grid{stroke:#e4e4e4}rect.bar.pass{fill:#4c9a4c}rect.bar.fail{fill:#d62728}
svg.chart text.error{fill:#b35900}.note{color:#555;font-size:.9em}
"""


def bar_chart(model, recs):
    """Inline SVG: one bar per board, median latency, p99 as a whisker, verdict colours."""
    row_h, left, pw, top = 22, 190, 460, 28
    vals = [r["latency_ms"]["p99"] or 0 for r in recs if r["status"] == "ok"]
    hi = max(vals) if vals else 1.0
    hi = hi if hi > 0 else 1.0
    h = top + row_h * len(recs) + 34
    out = ['<svg xmlns="http://www.w3.org/2000/svg" class="chart bar-chart" width="%d" '
           'height="%d" data-model="%s">' % (left + pw + 150, h, e(model)),
           '<text x="%d" y="16" font-weight="bold">%s: median latency per board (ms), p99 '
           'whisker</text>' % (left, e(model))]
    for i in range(5):
        x = left + pw * i / 4
        out.append('<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>'
                   '<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                   % (x, x, top, h - 30, x, h - 16, e("%.3g" % (hi * i / 4))))
    for i, r in enumerate(recs):
        y = top + row_h * i
        out.append('<text x="%d" y="%d" text-anchor="end">%s</text>'
                   % (left - 6, y + 15, e(r["board"])))
        if r["status"] != "ok":
            out.append('<text class="error" x="%d" y="%d" data-board="%s">failed: %s</text>'
                       % (left + 4, y + 15, e(r["board"]), e(r["failed_step"])))
            continue
        med, p99 = r["latency_ms"]["median"] or 0, r["latency_ms"]["p99"] or 0
        cls = "pass" if r["verdict"] == "PASSED" else "fail"
        w = pw * med / hi
        out.append('<rect class="bar %s" x="%d" y="%d" width="%.1f" height="14" '
                   'data-board="%s" data-value="%s"><title>%s: median %s ms, p99 %s ms, %s'
                   '</title></rect>' % (cls, left, y + 4, max(w, 0.5), e(r["board"]), med,
                                        e(r["board"]), fmt(med), fmt(p99), r["verdict"]))
        xp = left + pw * p99 / hi
        out.append('<line class="axis" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>'
                   % (left + w, xp, y + 11, y + 11))
        out.append('<text x="%.1f" y="%d">%s ms, %s FPS</text>'
                   % (max(xp, left + w) + 6, y + 15, fmt(med), fmt(r["throughput_fps"], 1)))
    out.append('<line class="axis" x1="%d" x2="%d" y1="%d" y2="%d"/></svg>'
               % (left, left, top, h - 30))
    return "\n".join(out)


def report_html(report):
    recs = report["records"]
    s = report["summary"]
    body = ['<p class="note">Generated %s. %d board(s), %d model(s): %d record(s) PASSED, %d '
            'FAILED verdict(s), %d failed run(s). Latencies are in ms; boards that run through '
            'an emulator prefix (qemu) give emulated, not board, figures.</p>'
            % (e(report["generated_utc"]), len(report["boards"]), len(report["models"]),
               s["passed"], s["verdict_failed"], s["run_failed"])]
    for model in report["models"]:
        mrecs = [r for r in recs if r["model"] == model]
        body.append("<h2>%s</h2>" % e(model))
        body.append(bar_chart(model, mrecs))
        body.append('<table class="records"><tr><th class="l">board</th><th class="l">CPU</th>'
                    '<th class="l">package</th><th>median</th><th>p90</th><th>p99</th>'
                    '<th>max</th><th>FPS</th><th class="l">verdict</th>'
                    '<th class="l">worst tensor</th></tr>')
        for r in mrecs:
            if r["status"] != "ok":
                body.append('<tr class="record error" data-board="%s" data-model="%s">'
                            '<td class="l">%s</td><td class="l verdict" colspan="9">failed at '
                            '"%s": %s</td></tr>' % (e(r["board"]), e(model), e(r["board"]),
                                                    e(r["failed_step"]), e(r["reason"])))
                continue
            lat = r["latency_ms"]
            cls = "pass" if r["verdict"] == "PASSED" else "fail"
            wt = r["worst_tensor"] or {}
            worst = ("%s: cosine %.6f, max abs %.3g" % (wt["name"], wt["cosine"],
                                                        wt["max_abs_error"])
                     if "cosine" in wt else wt.get("error", ""))
            link = r["files"].get("verifier.html")
            verdict = ('<a href="%s">%s</a>' % (e(link), e(r["verdict"])) if link
                       else e(r["verdict"]))
            body.append('<tr class="record %s" data-board="%s" data-model="%s"><td class="l">%s'
                        '</td><td class="l">%s</td><td class="l">%s</td><td>%s</td><td>%s</td>'
                        '<td>%s</td><td>%s</td><td>%s</td><td class="l verdict">%s</td>'
                        '<td class="l">%s</td></tr>'
                        % (cls, e(r["board"]), e(model), e(r["board"]),
                           e("%s (%s, %s cores)" % (r["cpu"], r["arch"], r["cores"])),
                           e("%s %s" % (r["package_version"], r["package_arch"])),
                           fmt(lat["median"]), fmt(lat["p90"]), fmt(lat["p99"]),
                           fmt(lat["max"]), fmt(r["throughput_fps"], 1), verdict, e(worst)))
        body.append("</table>")
    body.append('<h2>Boards</h2><table class="boards"><tr><th class="l">board</th>'
                '<th class="l">status</th><th class="l">address</th><th class="l">arch</th>'
                '<th class="l">CPU</th><th>cores</th><th class="l">prefix</th>'
                '<th class="l">package</th><th class="l">uploaded</th></tr>')
    for b in report["boards"]:
        cls = "pass" if b["status"] == "ok" else "error"
        status = b["status"] if b["status"] == "ok" else "failed at \"%s\": %s" % (
            b.get("failed_step", ""), b.get("reason", ""))
        body.append('<tr class="board %s" data-board="%s"><td class="l">%s</td><td class="l">'
                    '%s</td><td class="l">%s</td><td class="l">%s</td><td class="l">%s</td>'
                    '<td>%s</td><td class="l">%s</td><td class="l">%s</td><td class="l">%s</td>'
                    '</tr>' % (cls, e(b["board"]), e(b["board"]), e(status), e(b.get("address")),
                               e("%s (runs %s)" % (b.get("arch"), b.get("package_arch"))
                                 if b.get("arch") else ""),
                               e(b.get("cpu")), e(b.get("cores")), e(b.get("remote_prefix")),
                               e(b.get("package_version")),
                               e({True: "yes", False: "no (stamp matched)"}.get(
                                   b.get("package_uploaded"), ""))))
    body.append("</table>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>edgert fleet report</title>\n<style>\n%s</style>\n</head>\n<body>\n"
            "<h1>edgert fleet report</h1>\n%s\n</body>\n</html>\n" % (STYLE, "\n".join(body)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="FLEET_OUT (holds boards/)")
    ap.add_argument("--boards", required=True, help="comma list of the boards of this run")
    ap.add_argument("--models", required=True, help="comma list of model names")
    ap.add_argument("--strict", default="0", choices=["0", "1"],
                    help="1: exit 1 unless every board x model PASSED")
    a = ap.parse_args()
    boards = [b for b in a.boards.split(",") if b]
    models = [m for m in a.models.split(",") if m]
    records, board_rows = [], []
    for b in boards:
        bdir = os.path.join(a.out, "boards", b)
        bjson = read_json(os.path.join(bdir, "board.json"))
        row = {"board": b, "status": (bjson or {}).get("status", "failed")}
        if bjson is None:
            row.update(failed_step="(none)",
                       reason="no result: the playbook stopped before this board was set up")
        elif row["status"] != "ok":
            row.update(failed_step=bjson.get("step", ""), reason=bjson.get("reason", ""))
        for k in BOARD_KEYS:
            row[k] = (bjson or {}).get(k)
        board_rows.append(row)
        records += [model_record(b, m, bdir, bjson) for m in models]
    summary = {
        "records": len(records),
        "passed": sum(r.get("verdict") == "PASSED" for r in records),
        "verdict_failed": sum(r["status"] == "ok" and r["verdict"] != "PASSED" for r in records),
        "run_failed": sum(r["status"] != "ok" for r in records),
    }
    report = {
        "schema_version": 1,
        "generated_utc": datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
        "models": models,
        "boards": board_rows,
        "records": records,
        "summary": summary,
    }
    os.makedirs(a.out, exist_ok=True)
    write_atomic(os.path.join(a.out, "report.json"), json.dumps(report, indent=2) + "\n")
    write_atomic(os.path.join(a.out, "report.html"), report_html(report))
    for r in records:
        if r["status"] != "ok":
            print("%s / %s: FAILED RUN at \"%s\": %s" % (r["board"], r["model"],
                                                         r["failed_step"], r["reason"]))
        else:
            print("%s / %s: %s, median %s ms, p99 %s ms, %s FPS" % (
                r["board"], r["model"], r["verdict"], fmt(r["latency_ms"]["median"]),
                fmt(r["latency_ms"]["p99"]), fmt(r["throughput_fps"], 1)))
    print("report: %s/report.json, %s/report.html (%d PASSED of %d)"
          % (a.out, a.out, summary["passed"], summary["records"]))
    if a.strict == "1" and summary["passed"] != summary["records"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
