"""samples/python/classify.py and detect.py, run in-process (main(argv)) on the prepared NV12
models and a real JPEG, against ONNX Runtime's outputs for the same picture."""
import importlib.util
import json
import os
import re

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.environ.get("EDGERT_MODELS_DIR", os.path.join(ROOT, "build", "models"))
IMAGE = "/usr/share/doc/opencv-doc/examples/data/baboon.jpg"


def load_sample(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(ROOT, "samples", "python", name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def ort_output(model, index):
    d = os.path.join(MODELS, model + ".ort")
    with open(os.path.join(d, "outputs.json")) as f:
        o = json.load(f)["outputs"][index]
    return np.fromfile(os.path.join(d, o["file"]), np.float32).reshape(o["dims"])


def test_classify_top5_matches_onnxruntime(capsys):
    rc = load_sample("classify").main(
        [os.path.join(MODELS, "mobilenet_v2_tiny_nv12.bin"), IMAGE, "--top", "5"])
    out = capsys.readouterr().out
    assert rc == 0, out
    printed = [(int(c), float(s)) for c, s in re.findall(r"^#\d+ class (\d+) score (\S+)$", out, re.M)]
    ref = ort_output("mobilenet_v2_tiny_nv12", 0).ravel()
    order = np.argsort(-ref, kind="stable")
    assert len(printed) == 5
    assert printed[0][0] == order[0], (printed, order[:5])
    for k, (c, s) in enumerate(printed):  # near-ties may swap; scores must agree
        assert abs(ref[c] - s) <= 1e-3 * max(1.0, abs(s)), (c, s, ref[c])
        assert ref[c] >= ref[order[k]] - 1e-3


def test_detect_boxes_match_onnxruntime_decoded(tmp_path, capsys):
    det = load_sample("detect")
    boxes_json = tmp_path / "boxes.json"
    rc = det.main([os.path.join(MODELS, "dethead_tiny_nv12.bin"), IMAGE, "--conf", "0.2",
                   "--json", str(boxes_json), "--draw", str(tmp_path / "boxes.png")])
    out = capsys.readouterr().out
    assert rc == 0, out
    got = json.loads(boxes_json.read_text())
    # The same post-processing on ONNX Runtime's head output for the same picture.
    ref = ort_output("dethead_tiny_nv12", 0)
    want = det.detect(ref.reshape(-1, ref.shape[-1]), 16, 16, [8, 4], 3, 0.2, 0.45)
    assert len(want) > 0 and len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        assert g["class"] == w["class"]
        np.testing.assert_allclose(g["box"], w["box"], atol=1e-3)
        assert abs(g["score"] - w["score"]) < 1e-4
    assert f"{len(got)} box(es)" in out


def test_decode_hand_computed():
    # One row at cell (1, 0) of stride 8 (grid 2x2 on 16x16, anchor 0 = 10x13): p = 0.5 gives
    # centre (2*0.5 - 0.5 + cell) * 8 = (12, 4), size (2*0.5)^2 * anchor = 10x13.
    det = np.zeros((3 * 4, 6), np.float32)
    det[3 * 1 + 0] = [0.5, 0.5, 0.5, 0.5, 0.9, 0.8]
    boxes, scores, classes = load_sample("detect").decode(det, 16, 16, [8], 3, 0.5)
    np.testing.assert_allclose(boxes, [[7.0, -2.5, 17.0, 10.5]])
    np.testing.assert_allclose(scores, [0.72])
    assert classes.tolist() == [0]


def test_sample_errors(capsys):
    cls = load_sample("classify")
    assert cls.main(["/nonexistent/m.bin", IMAGE]) == 1
    assert "file error: /nonexistent/m.bin" in capsys.readouterr().err
    assert cls.main([os.path.join(MODELS, "resnet18_tiny.bin"), IMAGE]) == 1
    assert "input 'input' is F32, not an image input" in capsys.readouterr().err
    det = load_sample("detect")
    assert det.main([os.path.join(MODELS, "mobilenet_v2_tiny_nv12.bin"), IMAGE]) == 1
    assert "head has 1 rows; strides [8, 4] with 3 anchors on 32x32 give 240" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        det.main([os.path.join(MODELS, "dethead_tiny_nv12.bin"), IMAGE, "--strides", "a"])
    assert e.value.code == 2
