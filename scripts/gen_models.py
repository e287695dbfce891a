#!/usr/bin/python3
"""Generates the float ONNX test models (random weights, fixed seeds) and one input per model.

Run with Debian's interpreter, which has python3-torch, python3-torchvision, python3-onnx and
python3-numpy:

    /usr/bin/python3 scripts/gen_models.py [--out build/models] [--only NAME[,NAME]] [--fold-bn]
                                           [--list]

For every model NAME it writes, into --out:
    NAME.onnx        opset 13, exported from torch in eval mode with do_constant_folding=True;
                     one input named "input" (NCHW float32, static shape)
    NAME.input.bin   a deterministic input: float32, uniform in [-1, 1], np.tofile (raw LE)

Models:
    mobilenet_v2       torchvision mobilenet_v2,                    1x3x224x224 -> "output" [1,1000]
    resnet18           torchvision resnet18,                        1x3x224x224 -> "output" [1,1000]
    dethead            small detection head (see DetHead),          1x3x64x64   -> "det", "seg"
    mobilenet_v2_tiny  mobilenet_v2 width_mult=0.25,                1x3x32x32   -> "output" [1,1000]
    resnet18_tiny      torchvision resnet18 (full width),           1x3x32x32   -> "output" [1,1000]
    dethead_tiny       DetHead with fewer channels,                 1x3x16x16   -> "det", "seg"

Determinism: every model's seed is derived from its name only, so `--only` produces the same
files as a full run. Weights are random (torchvision's own init). BatchNorm is made
non-trivial: running statistics are first calibrated on random data (so activations stay in a
sane range through deep nets) and then perturbed, and gamma/beta are randomized.

BatchNorm nodes: torch's default eval export (TrainingMode.EVAL) folds every BatchNorm into the
preceding Conv ("eval peephole"), which would leave nothing for edgert's own BN folding to do.
This script therefore exports with TrainingMode.PRESERVE on a model in eval mode, which keeps
inference-mode BatchNormalization nodes in the graph. Pass --fold-bn to get torch's default
(folded) export instead.

Progress goes to stderr.
"""

import argparse
import os
import sys
import warnings
import zlib

import numpy as np
import torch
import torch.nn as nn
import torchvision

OPSET = 13


def log(msg):
    print(f"[gen_models] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# The detection-head-like test network.


class ConvBNReLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU(inplace=True),
        )


class DetHead(nn.Module):
    """A small FPN-ish detector: exercises Conv+BN+ReLU, Concat, Resize (nearest and bilinear),
    Sigmoid, Transpose + Reshape to [1, N, K].

    input [1,3,H,W]
      s1 = CBR(3->c, s2)            H/2
      s2 = CBR(c->2c, s2)           H/4
      s3 = CBR(2c->4c, s2)          H/8
      p4 = CBR(cat(up_nearest(s3), s2) -> 2c)             H/4   (Resize nearest)
      p2 = CBR(cat(up_bilinear(p4), s1) -> c)             H/2   (Resize linear, half_pixel)
      det: conv1x1 on s3 and on p4 -> A*(5+C) ch, permute(0,2,3,1), reshape [1,-1,5+C],
           concat over levels, sigmoid        -> "det" [1, A*(H/8*W/8 + H/4*W/4), 5+C]
      seg: conv1x1 on p2 -> S ch (with bias), sigmoid, permute, reshape -> "seg" [1, H/2*W/2, S]
    """

    def __init__(self, c=16, anchors=3, classes=4, seg_classes=2):
        super().__init__()
        self.k = 5 + classes
        self.seg_classes = seg_classes
        self.s1 = ConvBNReLU(3, c, 3, 2)
        self.s2 = ConvBNReLU(c, 2 * c, 3, 2)
        self.s3 = ConvBNReLU(2 * c, 4 * c, 3, 2)
        self.up_nearest = nn.Upsample(scale_factor=2, mode="nearest")
        self.up_bilinear = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.p4 = ConvBNReLU(4 * c + 2 * c, 2 * c, 3, 1)
        self.p2 = ConvBNReLU(2 * c + c, c, 3, 1)
        self.det8 = nn.Conv2d(4 * c, anchors * self.k, 1)
        self.det4 = nn.Conv2d(2 * c, anchors * self.k, 1)
        self.seg = nn.Conv2d(c, seg_classes, 1)

    def forward(self, x):
        s1 = self.s1(x)
        s2 = self.s2(s1)
        s3 = self.s3(s2)
        p4 = self.p4(torch.cat([self.up_nearest(s3), s2], dim=1))
        p2 = self.p2(torch.cat([self.up_bilinear(p4), s1], dim=1))
        d8 = self.det8(s3).permute(0, 2, 3, 1).reshape(1, -1, self.k)
        d4 = self.det4(p4).permute(0, 2, 3, 1).reshape(1, -1, self.k)
        det = torch.sigmoid(torch.cat([d8, d4], dim=1))
        seg = torch.sigmoid(self.seg(p2)).permute(0, 2, 3, 1).reshape(1, -1, self.seg_classes)
        return det, seg


# ----------------------------------------------------------------------------------------------
# Model table: name -> (builder, input shape, output names)

MODELS = {
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(), (1, 3, 224, 224), ["output"]),
    "resnet18": (lambda: torchvision.models.resnet18(), (1, 3, 224, 224), ["output"]),
    "dethead": (lambda: DetHead(c=16), (1, 3, 64, 64), ["det", "seg"]),
    "mobilenet_v2_tiny": (
        lambda: torchvision.models.mobilenet_v2(width_mult=0.25),
        (1, 3, 32, 32),
        ["output"],
    ),
    "resnet18_tiny": (lambda: torchvision.models.resnet18(), (1, 3, 32, 32), ["output"]),
    "dethead_tiny": (lambda: DetHead(c=8), (1, 3, 16, 16), ["det", "seg"]),
}


def seed_for(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


@torch.no_grad()
def randomize_bn(model, shape, gen, calib_batches=3, calib_batch=4):
    """Calibrates BN running stats on random data, then perturbs them and gamma/beta."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        return 0
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative average over the calibration batches
    model.train()
    cshape = (calib_batch,) + tuple(shape[1:])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reproducible statistics, independent of the machine's cores
    try:
        for _ in range(calib_batches):
            model(torch.rand(cshape, generator=gen) * 2 - 1)
    finally:
        torch.set_num_threads(threads)
    model.eval()
    for bn in bns:
        n = bn.num_features
        bn.weight.copy_(torch.rand(n, generator=gen) + 0.5)  # gamma in [0.5, 1.5)
        bn.bias.copy_(torch.randn(n, generator=gen) * 0.1)
        bn.running_mean.add_(torch.randn(n, generator=gen) * 0.1 * bn.running_var.sqrt())
        bn.running_var.mul_(torch.rand(n, generator=gen) * 0.5 + 0.75)  # x [0.75, 1.25)
        bn.running_var.clamp_(min=1e-3)
        bn.momentum = 0.1
    return len(bns)


def build(name):
    """Returns (model in eval mode, input as float32 ndarray, number of BN layers) for NAME.
    Deterministic; usable from other scripts (import gen_models; gen_models.build(name))."""
    builder, shape, _ = MODELS[name]
    seed = seed_for(name)
    torch.manual_seed(seed)
    model = builder()
    gen = torch.Generator().manual_seed(seed + 1)
    nbn = randomize_bn(model, shape, gen)
    model.eval()
    rng = np.random.default_rng(seed + 2)
    x = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
    return model, x, nbn


def export(name, out_dir, fold_bn):
    _, shape, output_names = MODELS[name]
    seed = seed_for(name)
    model, x, nbn = build(name)

    onnx_path = os.path.join(out_dir, f"{name}.onnx")
    input_path = os.path.join(out_dir, f"{name}.input.bin")
    tmp_onnx = onnx_path + ".tmp"
    tmp_input = input_path + ".tmp"

    training = torch.onnx.TrainingMode.EVAL if fold_bn else torch.onnx.TrainingMode.PRESERVE
    with warnings.catch_warnings():
        # PRESERVE + constant folding warns about training mode; the model is in eval mode.
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            torch.from_numpy(x),
            tmp_onnx,
            export_params=True,
            opset_version=OPSET,
            do_constant_folding=True,
            training=training,
            input_names=["input"],
            output_names=output_names,
        )
    x.tofile(tmp_input)

    import onnx  # after torch: keeps the import cost out of --list

    m = onnx.load(tmp_onnx)
    onnx.checker.check_model(m)
    os.replace(tmp_input, input_path)
    os.replace(tmp_onnx, onnx_path)  # the model last: make_refs.sh compares against its mtime

    with torch.no_grad():
        y = model(torch.from_numpy(x))
    ys = y if isinstance(y, (tuple, list)) else (y,)
    ops = sorted({n.op_type for n in m.graph.node})
    log(
        f"{name}: seed={seed} input={list(shape)} bn={nbn}{' (folded)' if fold_bn else ''} "
        f"outputs={[list(t.shape) for t in ys]} size={os.path.getsize(onnx_path)}B "
        f"nodes={len(m.graph.node)} ops={','.join(ops)}"
    )


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="build/models", help="output directory (default build/models)")
    ap.add_argument("--only", default="", help="comma-separated subset of: " + ",".join(MODELS))
    ap.add_argument("--fold-bn", action="store_true",
                    help="let torch fold BatchNorm into Conv at export (default: keep BN nodes)")
    ap.add_argument("--list", action="store_true", help="print the model names and exit")
    args = ap.parse_args()

    if args.list:
        print("\n".join(MODELS))
        return 0
    names = [n for n in args.only.split(",") if n] if args.only else list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"gen_models.py: unknown model(s) {unknown}; known: {list(MODELS)}", file=sys.stderr)
        return 2

    os.makedirs(args.out, exist_ok=True)
    log(f"torch {torch.__version__}, torchvision {torchvision.__version__}, opset {OPSET}, "
        f"out={args.out}")
    for name in names:
        log(f"{name}: exporting ...")
        export(name, args.out, args.fold_bn)
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
