#!/usr/bin/python3
"""Every allowed input_type_rt -> input_type_train pair, end to end through the real tools,
against scripts/preprocess_ref.py (README "Colour conversion").

For each case: an ONNX model whose graph is one identity 1x1 Conv (so its output *is* the
preprocessed tensor) is compiled by model_compiler with the case's YAML input_parameters; `infer`
feeds it a real JPEG (LoadImageInput -> Session) and dumps the output; the dump must equal
preprocess_ref's `train` of its `rt` of the same JPEG within 1e-5 absolute.

Usage: preprocess_pairs_test.py MODEL_COMPILER INFER [IMAGE]   (run by ctest, host only)
Prints one line per case with its max abs error. Exit 0 pass, 1 fail, 77 skip (no onnx/image).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import preprocess_ref as ref  # noqa: E402

IMAGE = "/usr/share/doc/opencv-doc/examples/data/baboon.jpg"
TOL = 1e-5
IMAGENET = ("123.675 116.28 103.53", "0.01712 0.01751 0.01743")

PAIRS = {
    "nv12": ["yuv444", "rgb", "bgr", "gray"],
    "yuv444": ["yuv444", "rgb", "bgr"],
    "rgb": ["rgb", "bgr", "yuv444"],
    "bgr": ["bgr", "rgb", "yuv444"],
    "gray": ["gray"],
}
# (norm_type, mean, scale); mean/scale of one value serve every channel.
NORMS = [
    ("no_preprocess", None, None),
    ("data_mean_and_scale", IMAGENET[0], IMAGENET[1]),
    ("data_mean", "128", None),
    ("data_scale", None, "0.00390625"),
]


def cases():
    """(rt, train, range, norm, layout_rt, layout_train, h, w, row_align)."""
    out = []
    k = 0
    for rt, trains in PAIRS.items():
        ranges = ["regular", "bt601_video"]  # rgb/bgr ignore it: checked once each anyway
        for train in trains:
            for rng in ranges:
                norm = NORMS[k % len(NORMS)]
                k += 1
                if train == "gray" and norm[1] == IMAGENET[0]:
                    norm = ("data_mean_and_scale", "127.5", "0.0078125")
                # nv12 needs even sizes; the packed types get an odd width too.
                h, w = (12, 20) if rt == "nv12" else (11, 19)
                out.append((rt, train, rng, norm, "NHWC", "NCHW", h, w, 16))
    # Edge cases: planar (NCHW) rt buffers, an NHWC-trained model, other row alignments.
    out += [
        ("rgb", "bgr", "regular", NORMS[1], "NCHW", "NCHW", 11, 19, 16),
        ("bgr", "yuv444", "regular", NORMS[0], "NCHW", "NCHW", 11, 19, 16),
        ("yuv444", "rgb", "bt601_video", NORMS[1], "NCHW", "NCHW", 11, 19, 16),
        ("gray", "gray", "bt601_video", NORMS[2], "NCHW", "NCHW", 11, 19, 16),
        ("nv12", "rgb", "regular", NORMS[1], "NHWC", "NHWC", 12, 20, 16),
        ("rgb", "yuv444", "regular", NORMS[3], "NHWC", "NHWC", 11, 19, 16),
        ("nv12", "bgr", "bt601_video", NORMS[0], "NHWC", "NCHW", 12, 20, 64),
        ("rgb", "rgb", "regular", NORMS[0], "NHWC", "NCHW", 11, 19, 1),
    ]
    return out


def identity_model(path, c, h, w, nhwc):
    import onnx
    from onnx import TensorProto, helper

    shape = [1, h, w, c] if nhwc else [1, c, h, w]
    nodes = []
    conv_in = "x"
    if nhwc:
        nodes.append(helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 3, 1, 2]))
        conv_in = "xt"
    nodes.append(helper.make_node("Conv", [conv_in, "w"], ["y"], name="identity_conv"))
    weight = helper.make_tensor("w", TensorProto.FLOAT, [c, c, 1, 1],
                                np.eye(c, dtype=np.float32).reshape(-1).tolist())
    graph = helper.make_graph(nodes, "identity",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             [1, c, h, w])],
                              [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


def run_case(tmp, compiler, infer, image, case):
    rt, train, rng, (norm, mean, scale), layout_rt, layout_train, h, w, align = case
    c = 1 if train == "gray" else 3
    name = f"{rt}_{train}_{rng}_{norm}_{layout_rt}_{layout_train}_{align}"
    d = os.path.join(tmp, name)
    os.makedirs(d)
    onnx_path = os.path.join(d, "m.onnx")
    identity_model(onnx_path, c, h, w, layout_train == "NHWC")
    yaml = [
        "input_parameters:",
        f"  input_type_rt: '{rt}'",
        f"  input_type_train: '{train}'",
        f"  input_layout_rt: '{layout_rt}'",
        f"  input_layout_train: '{layout_train}'",
        f"  input_space_and_range: '{rng}'",
        f"  norm_type: '{norm}'",
    ]
    if mean:
        yaml.append(f"  mean_value: '{mean}'")
    if scale:
        yaml.append(f"  scale_value: '{scale}'")
    yaml += ["compiler_parameters:", f"  row_align_bytes: {align}"]
    with open(os.path.join(d, "m.yaml"), "w") as f:
        f.write("\n".join(yaml) + "\n")
    bin_path = os.path.join(d, "m.bin")
    subprocess.run([compiler, "--config", os.path.join(d, "m.yaml"), "--model", onnx_path,
                    "--output", bin_path], check=True, capture_output=True)
    subprocess.run([infer, "--model_file", bin_path, "--input_file", image, "--enable_dump",
                    "--output_dir", d], check=True, capture_output=True)
    got = np.fromfile(os.path.join(d, "model_infer_output_0_y.bin"), np.float32)
    # The reference: the rt buffer infer builds from the JPEG, then the train definition.
    rt_buf = ref.to_input_rt(image, rt, h, w, layout_rt, rng, aligned=True, row_align=align)
    want = ref.to_train(rt_buf, rt, train, h, w, layout_rt, "NCHW", rng, norm,
                        [float(v) for v in mean.split()] if mean else None,
                        [float(v) for v in scale.split()] if scale else None, align)
    want = want.reshape(-1)
    if got.size != want.size:
        return name, float("inf"), f"size {got.size} vs {want.size}"
    err = float(np.max(np.abs(got.astype(np.float64) - want)))
    return name, err, ""


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    compiler, infer = argv[1], argv[2]
    image = argv[3] if len(argv) > 3 else IMAGE
    try:
        import onnx  # noqa: F401
    except ImportError:
        print("SKIP: python3-onnx is not installed")
        return 77
    if not os.path.exists(image):
        print(f"SKIP: {image} not found (Debian's opencv-doc)")
        return 77
    failed = 0
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases():
            try:
                name, err, why = run_case(tmp, compiler, infer, image, case)
            except subprocess.CalledProcessError as e:
                print(f"FAIL {case}: {' '.join(e.cmd[:1])} exited {e.returncode}:\n"
                      f"{e.stderr.decode(errors='replace')}")
                failed += 1
                continue
            ok = err <= TOL
            worst = max(worst, err)
            failed += 0 if ok else 1
            print(f"{'ok  ' if ok else 'FAIL'} {name}: max abs error {err:.3g} {why}")
    print(f"{len(cases())} cases, {failed} failed, worst max abs error {worst:.3g} (tolerance "
          f"{TOL})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
