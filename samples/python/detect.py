#!/usr/bin/env python3
"""Detects objects with an edgert model whose output is a YOLO-style head, decoded in numpy.

Usage: detect.py MODEL.bin IMAGE [--strides 8,4] [--anchors 3] [--conf 0.25] [--iou 0.45]
                 [--json boxes.json] [--draw out.jpg]

The head (as scripts/gen_models.py's DetHead): output 0 is [1, N, 5 + classes], already through
a sigmoid, rows ordered level by level (--strides), then grid row, grid column, anchor. Each row
is decoded the YOLOv5 way: centre = (2 p_xy - 0.5 + cell) * stride, size = (2 p_wh)^2 * anchor,
score = objectness * class probability; then per-class NMS. Boxes are in input pixels
(x1 y1 x2 y2). --draw draws them with OpenCV's Python bindings when importable; boxes are
printed either way. Exit codes: 0 ok, 1 failure, 2 usage.
"""
import argparse
import json
import sys

import numpy as np

import edgert as dnn

# YOLOv5's anchors (pixels) for strides 8, 16, 32; finer strides reuse the smallest set halved.
ANCHORS = {8: [(10, 13), (16, 30), (33, 23)], 16: [(30, 61), (62, 45), (59, 119)],
           32: [(116, 90), (156, 198), (373, 326)]}


def anchors_for(stride, count):
    base = ANCHORS.get(stride) or [(w * stride / 8, h * stride / 8) for w, h in ANCHORS[8]]
    return np.array(base[:count], np.float32)


def decode(det, height, width, strides, anchors, conf):
    """det [N, 5 + C] (sigmoid applied) -> boxes [M, 4] (x1 y1 x2 y2), scores [M], classes [M]."""
    rows = []
    for s in strides:
        gh, gw = height // s, width // s
        gy, gx = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        cells = np.stack([gx, gy], -1).reshape(-1, 1, 2).repeat(anchors, 1).reshape(-1, 2)
        rows.append((s, cells.astype(np.float32),
                     np.tile(anchors_for(s, anchors), (gh * gw, 1))))
    n = sum(len(c) for _, c, _ in rows)
    if det.shape[0] != n:
        raise ValueError(f"head has {det.shape[0]} rows; strides {strides} with {anchors} anchors "
                         f"on {width}x{height} give {n}")
    stride = np.concatenate([np.full(len(c), s, np.float32) for s, c, _ in rows])[:, None]
    cells = np.concatenate([c for _, c, _ in rows])
    wh_anchor = np.concatenate([a for _, _, a in rows])
    xy = (det[:, 0:2] * 2 - 0.5 + cells) * stride
    wh = (det[:, 2:4] * 2) ** 2 * wh_anchor
    cls = det[:, 5:].argmax(1)
    score = det[:, 4] * det[np.arange(len(det)), 5 + cls]
    keep = score >= conf
    boxes = np.concatenate([xy - wh / 2, xy + wh / 2], 1)[keep]
    return boxes, score[keep], cls[keep]


def nms(boxes, scores, classes, iou):
    """Indices kept by per-class greedy NMS, best score first."""
    order = np.argsort(-scores, kind="stable")
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(int(i))
        lt = np.maximum(boxes[i, :2], boxes[rest, :2])
        rb = np.minimum(boxes[i, 2:], boxes[rest, 2:])
        inter = np.prod(np.clip(rb - lt, 0, None), 1)
        overlap = inter / (area[i] + area[rest] - inter + 1e-9)
        order = rest[(overlap <= iou) | (classes[rest] != classes[i])]
    return keep


def detect(det, height, width, strides, anchors, conf, iou):
    """The whole post-processing: a list of {"box", "score", "class"} dicts, best first."""
    boxes, scores, classes = decode(det, height, width, strides, anchors, conf)
    return [{"box": [float(v) for v in boxes[i]], "score": float(scores[i]),
             "class": int(classes[i])} for i in nms(boxes, scores, classes, iou)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="compiled .bin with one IMG_* input and a YOLO-style output 0")
    ap.add_argument("image", help="JPEG, PNG or BMP file")
    ap.add_argument("--strides", default="8,4", help="the head's levels, in output order")
    ap.add_argument("--anchors", type=int, default=3, help="anchors per cell (default 3)")
    ap.add_argument("--conf", type=float, default=0.25, help="score threshold (default 0.25)")
    ap.add_argument("--iou", type=float, default=0.45, help="NMS IoU threshold (default 0.45)")
    ap.add_argument("--json", help="also write the boxes to this JSON file")
    ap.add_argument("--draw", help="draw the boxes on the resized image into this file (cv2)")
    args = ap.parse_args(argv)
    try:
        strides = [int(s) for s in args.strides.split(",")]
    except ValueError:
        ap.error(f"--strides: expected integers like 8,4, got '{args.strides}'")
    try:
        model = dnn.load(args.model)[0]
        inp = model.inputs[0]
        p = inp.properties
        if not p.tensor_type.startswith("IMG_"):
            print(f"detect.py: {args.model}: input '{inp.name}' is {p.tensor_type}, not an "
                  "image input (IMG_*)", file=sys.stderr)
            return 1
        h, w = p.valid_shape[2:4] if p.layout == "NCHW" else p.valid_shape[1:3]
        bgr = dnn.imread(args.image)
        det = model.forward(dnn.image_to_input(bgr, inp))[0].numpy()
        found = detect(det.reshape(-1, det.shape[-1]), h, w, strides, args.anchors, args.conf,
                       args.iou)
    except (RuntimeError, ValueError) as e:
        print(f"detect.py: {e}", file=sys.stderr)
        return 1
    print(f"{args.image} -> {w}x{h} {p.tensor_type}: {len(found)} box(es)")
    for d in found:
        print("class {} score {:.4f} box {:.1f} {:.1f} {:.1f} {:.1f}".format(
            d["class"], d["score"], *d["box"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(found, f, indent=1)
    if args.draw:
        try:
            import cv2
        except ImportError:
            print("detect.py: no OpenCV Python bindings here; boxes printed only",
                  file=sys.stderr)
            return 0
        img = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR)
        for d in found:
            x1, y1, x2, y2 = (int(round(v)) for v in d["box"])
            cv2.rectangle(img, (x1, y1), (x2, y2), (0, 255, 0), 1)
        if not cv2.imwrite(args.draw, img):
            print(f"detect.py: cannot write {args.draw}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
