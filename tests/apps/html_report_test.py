#!/usr/bin/python3
"""The tools' HTML reports, checked structurally with Python's html.parser.

  verifier --compare_dir A B --html: one point per intermediate node in execution order on both
      series (cosine, max abs error), values equal to numpy's on the same dumps, the first
      diverging node marked (and nothing marked when all agree);
  perf --profile_path DIR: profile.html has one bar per node plus the runtime overhead, and one
      per op type, matching profile.json;
  model_compiler (int8): <prefix>_quant_report.html has a single and a cumulative bar per
      int8 layer, worst first, matching <prefix>_quant_report.json.
Every page must be self-contained: no <script>, no external reference.

Usage: html_report_test.py VERIFIER PERF MODEL_COMPILER WRITE_SAMPLE_MODEL
"""
import html.parser
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


class Page(html.parser.HTMLParser):
    """Every element as (tag, attrs, enclosing svg's aria-label), and the text."""

    def __init__(self, path):
        super().__init__()
        self.elements, self.text, self.svg = [], [], None
        with open(path, encoding="utf-8") as f:
            self.feed(f.read())

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg = a.get("aria-label")
        self.elements.append((tag, a, self.svg))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag == "svg":
            self.svg = None

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag, cls=None, svg=None):
        out = []
        for t, a, s in self.elements:
            if t != tag or (svg is not None and s != svg):
                continue
            if cls is not None and not set(cls.split()) <= set(a.get("class", "").split()):
                continue
            out.append(a)
        return out


failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def self_contained(page, name):
    check(not page.find("script"), name + ": no <script>")
    refs = [a.get(k, "") for _, a, _ in page.elements for k in ("src", "href")]
    check(not [r for r in refs if r], name + ": no src/href references")
    check(len(page.find("svg")) >= 1, name + ": has an inline <svg>")


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 1.0 if na == 0 and nb == 0 else float(a @ b / (na * nb)) if na and nb else 0.0


def write_dumps(d, nodes):
    os.makedirs(os.path.join(d, "intermediate"))
    index = {"nodes": []}
    for name, op, arr in nodes:
        arr.astype(np.float32).tofile(os.path.join(d, "intermediate", name + ".bin"))
        index["nodes"].append({"node": name, "op_type": op, "source_op": op, "file": name + ".bin",
                               "shape": list(arr.shape), "dtype": "F32"})
    with open(os.path.join(d, "intermediate", "index.json"), "w") as f:
        json.dump(index, f)
    nodes[-1][2].astype(np.float32).tofile(os.path.join(d, "model_infer_output_0_out.bin"))


def verifier_case(verifier, tmp, mode):
    """mode: "div" (nodes 4 and 7 diverge), "same" (small errors only), "identical" (equal
    dumps: cosines of 1 and 1 - 1 ulp, an axis range within rounding)."""
    diverge = mode == "div"
    rng = np.random.default_rng(7)
    ops = ["Conv2D", "Clamp", "DepthwiseConv2D", "Add", "AveragePool2D", "FullyConnected"]
    a_nodes, b_nodes = [], []
    for i in range(11):
        x = rng.standard_normal((1, 3, 4, 5)).astype(np.float32)
        y = x.copy()
        if diverge and i in (4, 7):  # 4: the first divergence; 7 diverges too
            y = (x + 0.8 * rng.standard_normal(x.shape)).astype(np.float32)
        elif i % 3 == 1 and mode == "same":  # small errors that stay above the threshold
            y = (x + 1e-4 * rng.standard_normal(x.shape)).astype(np.float32)
        name = "node_%02d/%s" % (i, ops[i % len(ops)].lower())
        a_nodes.append((name.replace("/", "_"), ops[i % len(ops)], x))
        b_nodes.append((name.replace("/", "_"), ops[i % len(ops)], y))
    tag = mode
    da, db = os.path.join(tmp, tag + "_a"), os.path.join(tmp, tag + "_b")
    write_dumps(da, b_nodes)  # the board side (compared) ...
    write_dumps(db, a_nodes)  # ... against the reference side
    out = os.path.join(tmp, tag + ".html")
    r = subprocess.run([verifier, "--compare_dir", da, db, "--html", out], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode in (0, 1), "verifier (%s) ran, exit %d" % (tag, r.returncode))
    page = Page(out)
    self_contained(page, "verifier.html (%s)" % tag)
    chart = "Per-layer cosine similarity, execution order"
    cos_pts = page.find("circle", "point s0", chart)
    err_pts = page.find("circle", "point s1", chart)
    check(len(cos_pts) == 11 and len(err_pts) == 11,
          "%s: one cosine and one max-abs point per node (got %d, %d)"
          % (tag, len(cos_pts), len(err_pts)))
    check([int(p["data-index"]) for p in cos_pts] == list(range(11)),
          tag + ": points in execution order")
    check([p["data-name"].split(" [")[0] for p in cos_pts] == [n for n, _, _ in a_nodes],
          tag + ": point names are the nodes, in the index order")
    want_cos = [cosine(y, x) for (_, _, x), (_, _, y) in zip(a_nodes, b_nodes)]
    want_err = [float(np.max(np.abs(y - x))) for (_, _, x), (_, _, y) in zip(a_nodes, b_nodes)]
    got_cos = [float(p["data-value"]) for p in cos_pts]
    got_err = [float(p["data-value"]) for p in err_pts]
    check(np.allclose(got_cos, want_cos, rtol=0, atol=1e-7),
          tag + ": cosine values equal numpy's (max diff %.2g)"
          % max(abs(g - w) for g, w in zip(got_cos, want_cos)))
    check(np.allclose(got_err, want_err, rtol=1e-6, atol=1e-9),
          tag + ": max abs error values equal numpy's")
    markers = page.find("line", "marker", chart)
    marked = sorted({int(p["data-index"]) for p in page.find("circle", "marked", chart)})
    if diverge:
        check(len(markers) == 1 and markers[0].get("data-index") == "4",
              "div: one marker line, at node 4 (got %s)" % [m.get("data-index") for m in markers])
        check(marked == [4], "div: only node 4's points are marked (got %s)" % marked)
        check(any("First diverging node" in t for t in page.text) and
              any(a_nodes[4][0] in t for t in page.text), "div: the page names node 4")
        trs = page.find("tr", "marked")
        check(len(trs) == 1, "div: one marked table row")
    else:
        check(not markers and not marked, tag + ": nothing marked")
    last = r.stdout.strip().splitlines()[-1]
    check(any(last in t for t in page.text), tag + ": the page shows the verdict line")


def perf_case(perf, writer, tmp):
    model = os.path.join(tmp, "m.bin")
    subprocess.run([writer, model], check=True, capture_output=True)
    prof = os.path.join(tmp, "prof")
    subprocess.run([perf, "--model_file", model, "--model_name", "featuremap", "--frame_count",
                    "20", "--warmup", "2", "--profile_path", prof], check=True,
                   capture_output=True)
    with open(os.path.join(prof, "profile.json")) as f:
        pj = json.load(f)
    page = Page(os.path.join(prof, "profile.html"))
    self_contained(page, "profile.html")
    nodes = page.find("rect", "bar", "Time per node, execution order")
    want = ["%d %s [%s]" % (n["node"], n["name"], n["op_type"]) for n in pj["nodes"]]
    check([b["data-label"] for b in nodes] == want + ["(runtime overhead)"],
          "profile.html: one bar per node in execution order, then the runtime overhead")
    runs = 20
    got = [float(b["data-value"]) for b in nodes]
    exp = [n["total_ms"] / runs for n in pj["nodes"]] + [pj["runtime_overhead_ms"] / runs]
    check(np.allclose(got, exp, rtol=1e-5, atol=1e-9),
          "profile.html: node bars are total_ms / frames from profile.json")
    ops = page.find("rect", "bar", "Time per op type")
    op_names = sorted({n["op_type"] for n in pj["nodes"]})
    check(sorted(b["data-label"] for b in ops[:-1]) == op_names and
          ops[-1]["data-label"] == "(runtime overhead)",
          "profile.html: one bar per op type (%s), then the overhead" % ",".join(op_names))
    for op in op_names:
        s = sum(n["total_ms"] for n in pj["nodes"] if n["op_type"] == op) / runs
        v = [float(b["data-value"]) for b in ops if b["data-label"] == op][0]
        check(abs(v - s) <= 1e-5 * max(s, 1e-9) + 1e-9, "profile.html: %s bar = its nodes' sum" % op)


def quant_case(compiler, tmp):
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    rng = np.random.default_rng(3)
    nodes, inits, prev = [], [], "x"
    chans = [3, 6, 6, 4]
    for i in range(3):
        w = (rng.standard_normal((chans[i + 1], chans[i], 3, 3)) * 0.3).astype(np.float32)
        inits += [numpy_helper.from_array(w, "w%d" % i),
                  numpy_helper.from_array(np.zeros(chans[i + 1], np.float32), "b%d" % i)]
        nodes.append(helper.make_node("Conv", [prev, "w%d" % i, "b%d" % i], ["c%d" % i],
                                      name="conv%d" % i, pads=[1, 1, 1, 1]))
        nodes.append(helper.make_node("Relu", ["c%d" % i], ["r%d" % i], name="relu%d" % i))
        prev = "r%d" % i
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                      [1, 3, 8, 8])],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, 4, 8, 8])],
                          inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, os.path.join(tmp, "q.onnx"))
    cal = os.path.join(tmp, "cal")
    os.makedirs(cal)
    for i in range(6):
        rng.standard_normal((1, 3, 8, 8)).astype(np.float32).tofile(os.path.join(cal, "%d.bin" % i))
    with open(os.path.join(tmp, "q.yaml"), "w") as f:
        f.write("""model_parameters:
  onnx_model: 'q.onnx'
  output_model_file_prefix: 'q'
  working_dir: 'out'
input_parameters:
  input_name: 'x'
  input_type_rt: 'featuremap'
  input_type_train: 'featuremap'
  input_layout_train: 'NCHW'
  norm_type: 'no_preprocess'
calibration_parameters:
  cal_data_dir: 'cal'
  calibration_type: 'max'
""")
    subprocess.run([compiler, "--config", os.path.join(tmp, "q.yaml")], check=True,
                   capture_output=True)
    with open(os.path.join(tmp, "out", "q_quant_report.json")) as f:
        qj = json.load(f)
    page = Page(os.path.join(tmp, "out", "q_quant_report.html"))
    self_contained(page, "quant_report.html")
    chart = "Per-layer cosine to float, worst first"
    single = page.find("rect", "bar s0", chart)
    cumul = page.find("rect", "bar s1", chart)
    labels = ["%s [%s]" % (l["node"], l["op"]) for l in qj["layers"]]
    check(len(labels) >= 3, "quant report: %d int8 layers" % len(labels))
    check([b["data-label"] for b in single] == labels and
          [b["data-label"] for b in cumul] == labels,
          "quant_report.html: a single and a cumulative bar per layer, in the JSON's order")
    check(np.allclose([float(b["data-value"]) for b in single],
                      [l["single_cosine"] for l in qj["layers"]], atol=1e-7) and
          np.allclose([float(b["data-value"]) for b in cumul],
                      [l["cumulative_cosine"] for l in qj["layers"]], atol=1e-7),
          "quant_report.html: bar values equal the JSON's cosines")
    worst = [min(float(s["data-value"]), float(c["data-value"])) for s, c in zip(single, cumul)]
    check(worst == sorted(worst), "quant_report.html: worst layer first")


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    verifier, perf, compiler, writer = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("div", "same", "identical"):
            verifier_case(verifier, tmp, mode)
        perf_case(perf, writer, tmp)
        quant_case(compiler, tmp)
    print("%d check(s) failed" % len(failures) if failures else "all HTML checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
