#!/usr/bin/python3
"""End to end: an NV12 camera model with the ImageNet normalization inside, on a real JPEG.

mobilenet_v2_tiny.onnx (float, input 1x3x32x32 RGB NCHW) is compiled with
samples/configs/nv12_example.yaml (nv12 -> rgb, data_mean_and_scale). `infer` runs it on the
JPEG (decode, resize, NV12 with LoadImageInput; then ColorConvert + Normalize in the model) and
dumps the output. ONNX Runtime runs the float ONNX on scripts/preprocess_ref.py's `train` tensor
of the same JPEG. The two outputs must agree: cosine >= 0.9999.

Usage: infer_nv12_e2e_test.py MODEL_COMPILER INFER MODELS_DIR [IMAGE]
MODELS_DIR/mobilenet_v2_tiny.onnx is used when present (scripts/prepare_models.sh), else it is
generated with scripts/gen_models.py into a temporary directory.
Exit 0 pass, 1 fail, 77 skip (no node/ONNX Runtime, no torch to generate the model, no image).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import preprocess_ref as ref  # noqa: E402

IMAGE = "/usr/share/doc/opencv-doc/examples/data/baboon.jpg"
CONFIG = os.path.join(ROOT, "samples", "configs", "nv12_example.yaml")
MODEL = "mobilenet_v2_tiny"
MIN_COSINE = 0.9999


def yaml_value(text, key):
    m = re.search(rf"^\s*{key}:\s*'([^']*)'", text, re.M)
    if not m:
        raise ValueError(f"{CONFIG}: no {key}")
    return m.group(1)


def cosine(a, b):
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30))


def ort(onnx_path, train_path, out_dir):
    subprocess.run(["node", os.path.join(ROOT, "scripts", "ort_run.js"), "--model", onnx_path,
                    "--input", f"input={train_path}", "--output_dir", out_dir, "--threads", "1"],
                   check=True, capture_output=True)
    with open(os.path.join(out_dir, "outputs.json")) as f:
        o = json.load(f)["outputs"][0]
    return np.fromfile(os.path.join(out_dir, o["file"]), np.float32)


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    compiler, infer, models = argv[1], argv[2], argv[3]
    image = argv[4] if len(argv) > 4 else IMAGE
    if not os.path.exists(image):
        print(f"SKIP: {image} not found")
        return 77
    ort_dir = os.environ.get("EDGERT_ORT_DIR", os.path.join(ROOT, ".cache", "ort"))
    if not shutil.which("node") or not os.path.isdir(os.path.join(ort_dir, "node_modules",
                                                                  "onnxruntime-node")):
        print("SKIP: node or onnxruntime-node (scripts/setup.sh) missing")
        return 77
    with open(CONFIG) as f:
        cfg = f.read()
    mean = [float(v) for v in yaml_value(cfg, "mean_value").split()]
    scale = [float(v) for v in yaml_value(cfg, "scale_value").split()]
    rng = yaml_value(cfg, "input_space_and_range")
    n, c, h, w = (int(v) for v in yaml_value(cfg, "input_shape").split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = os.path.join(models, MODEL + ".onnx")
        if not os.path.exists(onnx_path):
            try:
                subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "gen_models.py"),
                                "--out", tmp, "--only", MODEL], check=True)
            except subprocess.CalledProcessError:
                print("SKIP: could not generate the model (python3-torch missing?)")
                return 77
            onnx_path = os.path.join(tmp, MODEL + ".onnx")
        bin_path = os.path.join(tmp, "nv12.bin")
        subprocess.run([compiler, "--config", CONFIG, "--model", onnx_path, "--output", bin_path],
                       check=True)
        r = subprocess.run([infer, "--model_file", bin_path, "--input_file", image,
                            "--enable_dump", "--output_dir", tmp],
                           check=True, capture_output=True, text=True)
        print(r.stdout.strip())
        got = np.fromfile(os.path.join(tmp, "model_infer_output_0_output.bin"), np.float32)

        rt = ref.to_input_rt(image, "nv12", h, w, "NHWC", rng)
        train = ref.to_train(rt, "nv12", "rgb", h, w, "NHWC", "NCHW", rng,
                             "data_mean_and_scale", mean, scale)
        train_path = os.path.join(tmp, "train.bin")
        train.tofile(train_path)
        want = ort(onnx_path, train_path, os.path.join(tmp, "ort"))
        # A control: the same tensor with R and B swapped (a classic preprocessing bug) must
        # match clearly worse, or this comparison could not see such bugs.
        swapped_path = os.path.join(tmp, "train_bgr.bin")
        np.ascontiguousarray(train[:, ::-1]).tofile(swapped_path)
        wrong = ort(onnx_path, swapped_path, os.path.join(tmp, "ort_bgr"))

    if got.size != want.size:
        print(f"FAIL: infer dumped {got.size} values, ONNX Runtime {want.size}")
        return 1
    cos, err = cosine(got, want), float(np.max(np.abs(got - want)))
    cos_wrong, err_wrong = cosine(got, wrong), float(np.max(np.abs(got - wrong)))
    print(f"{MODEL} nv12 ({rng}) vs ONNX Runtime on preprocess_ref's train tensor: cosine "
          f"{cos:.8f}, max abs error {err:.3g} (max |ref| {float(np.max(np.abs(want))):.3g}); "
          f"control with R/B swapped: cosine {cos_wrong:.8f}, max abs error {err_wrong:.3g}")
    ok = cos >= MIN_COSINE and err < err_wrong
    print("PASSED" if ok else f"FAILED (need cosine >= {MIN_COSINE}, better than the control)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
