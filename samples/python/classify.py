#!/usr/bin/env python3
"""Classifies an image with an edgert model: image file -> the model's image input (NV12 for a
camera model) -> forward -> top-k, in the style of hobot_dnn.pyeasy_dnn board scripts.

Usage: classify.py MODEL.bin IMAGE [--top 5]
  Prints "#k class C score S" lines (S: the float32, dequantized output).
Needs numpy and PYTHONPATH=<package>/python (or <build>/python). No OpenCV: edgert.imread
decodes JPEG/PNG/BMP to the bytes cv2.imread returns. Exit codes: 0 ok, 1 failure, 2 usage.
"""
import argparse
import sys

import numpy as np

import edgert as dnn  # was: from hobot_dnn import pyeasy_dnn as dnn


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="compiled .bin with one IMG_* input (e.g. nv12)")
    ap.add_argument("image", help="JPEG, PNG or BMP file")
    ap.add_argument("--top", type=int, default=5, help="how many classes to print (default 5)")
    args = ap.parse_args(argv)
    if args.top < 1:
        ap.error("--top must be >= 1")
    try:
        model = dnn.load(args.model)[0]
        inp = model.inputs[0]
        p = inp.properties
        if not p.tensor_type.startswith("IMG_"):
            print(f"classify.py: {args.model}: input '{inp.name}' is {p.tensor_type}, not an "
                  "image input (IMG_*)", file=sys.stderr)
            return 1
        bgr = dnn.imread(args.image)
        # Resized to the input's valid size and converted to its type and colour range: the
        # bytes `infer --input_file IMAGE` feeds. For an NV12 input this is the same as
        # dnn.bgr_to_nv12(bgr, size=(w, h), range=inp.color_range).
        x = dnn.image_to_input(bgr, inp)
        scores = model.forward(x)[0].numpy().ravel()
    except (RuntimeError, ValueError) as e:
        print(f"classify.py: {e}", file=sys.stderr)
        return 1
    print(f"{args.image}: {bgr.shape[1]}x{bgr.shape[0]} -> {p.tensor_type} "
          f"{'x'.join(map(str, p.valid_shape))}")
    order = np.argsort(-scores, kind="stable")[:args.top]
    for k, c in enumerate(order):
        print(f"#{k} class {c} score {scores[c]:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
