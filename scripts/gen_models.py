#!/usr/bin/python3
"""Generates the float ONNX test models (random weights, fixed seeds) and one input per model.

Run with Debian's interpreter, which has python3-torch, python3-torchvision, python3-onnx and
python3-numpy:

    /usr/bin/python3 scripts/gen_models.py [--out build/models] [--only NAME[,NAME]] [--fold-bn]
                                           [--list]

For every model NAME it writes, into --out:
    NAME.onnx        opset 13 (NAME_o17, vit, convnext_tiny: 17), exported from torch in eval
                     mode with do_constant_folding=True;
                     one input named "input" (NCHW float32, static shape)
    NAME.input.bin   a deterministic input: float32, uniform in [-1, 1], np.tofile (raw LE)

Models:
    mobilenet_v2       torchvision mobilenet_v2,                    1x3x224x224 -> "output" [1,1000]
    resnet18           torchvision resnet18,                        1x3x224x224 -> "output" [1,1000]
    dethead            small detection head (see DetHead),          1x3x64x64   -> "det", "seg"
    mobilenet_v2_tiny  mobilenet_v2 width_mult=0.25,                1x3x32x32   -> "output" [1,1000]
    resnet18_tiny      torchvision resnet18 (full width),           1x3x32x32   -> "output" [1,1000]
    dethead_tiny       DetHead with fewer channels,                 1x3x16x16   -> "det", "seg"
    vit                VisionTransformer (vit_b_16's code), ViT-S/16 width, 6 layers, 1x3x224x224
    convnext_tiny      torchvision convnext_tiny,                   1x3x224x224 -> "output" [1,1000]
    swin_t             torchvision swin_t (full size, opset 17),    1x3x224x224 -> "output" [1,1000]
  and each of these at opset 13 (NAME_o13) and opset 17 (NAME_o17), small enough for qemu:
    vit                VisionTransformer, patch 8, 2 layers, dim 32, 1x3x32x32 -> "output" [1,10]
    swin               SwinTransformer (swin_t's code), dim 16, depths 2,2, window 4, 1x3x32x32
    convnext           ConvNeXt, two stages (16, 32 channels),      1x3x32x32   -> "output" [1,10]
    yolov8             YoloV8Style: C2f, SPPF, DFL head, in-graph anchors, 1x3x64x64 -> [1,8,84]
    unet               UNetStyle ending in ArgMax,                  1x3x32x32   -> [1,32,32] int64
PENDING lists the models model_compiler cannot compile yet, with the reason (--list-pending).

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
# Modern architectures (issue 14): transformers, ConvNeXt, a YOLOv8-style detector, a UNet.


class ConvBNSiLU(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1):
        super().__init__(
            nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False),
            nn.BatchNorm2d(cout),
            nn.SiLU(),
        )


class Bottleneck(nn.Module):
    def __init__(self, c, shortcut=True):
        super().__init__()
        self.cv1 = ConvBNSiLU(c, c, 3)
        self.cv2 = ConvBNSiLU(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """YOLOv8's C2f: 1x1 conv, split in two, n bottlenecks chained on the second half, every
    intermediate concatenated, 1x1 conv."""

    def __init__(self, cin, cout, n=1, shortcut=True):
        super().__init__()
        self.c = cout // 2
        self.cv1 = ConvBNSiLU(cin, 2 * self.c, 1)
        self.cv2 = ConvBNSiLU((2 + n) * self.c, cout, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        y.extend(m(y[-1]) for m in self.m)
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    def __init__(self, cin, cout, k=5):
        super().__init__()
        c = cin // 2
        self.cv1 = ConvBNSiLU(cin, c, 1)
        self.cv2 = ConvBNSiLU(4 * c, cout, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat([x, y1, y2, self.m(y2)], 1))


class DFL(nn.Module):
    """Distribution focal loss integral: softmax over reg_max bins, then a fixed 1x1 conv whose
    weights are 0..reg_max-1 (the expected bin)."""

    def __init__(self, reg_max=16):
        super().__init__()
        self.conv = nn.Conv2d(reg_max, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(reg_max, dtype=torch.float).view(1, reg_max, 1, 1)
        self.reg_max = reg_max

    def forward(self, x):
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.reg_max, a).transpose(2, 1).softmax(1)).view(b, 4, a)


def make_anchors(feats, strides, offset=0.5):
    """Anchor points and strides computed in the graph from the feature map shapes."""
    points, stride_t = [], []
    for f, s in zip(feats, strides):
        _, _, h, w = f.shape
        sx = torch.arange(w, dtype=f.dtype) + offset
        sy = torch.arange(h, dtype=f.dtype) + offset
        yy, xx = torch.meshgrid(sy, sx, indexing="ij")
        points.append(torch.stack((xx, yy), -1).view(-1, 2))
        stride_t.append(torch.full((h * w, 1), s, dtype=f.dtype))
    return torch.cat(points), torch.cat(stride_t)


class YoloV8Style(nn.Module):
    """A YOLOv8-style detector: backbone of strided convs and C2f blocks, SPPF, a top-down +
    bottom-up neck, and the decoupled head with DFL boxes (softmax + fixed 1x1 conv), anchors
    made in the graph, dist2bbox and sigmoid classes -> "output" [1, 4 + nc, anchors]."""

    def __init__(self, w=8, nc=4, reg_max=16):
        super().__init__()
        self.nc, self.reg_max, self.strides = nc, reg_max, (8, 16, 32)
        self.stem = nn.Sequential(ConvBNSiLU(3, w, 3, 2), ConvBNSiLU(w, 2 * w, 3, 2),
                                  C2f(2 * w, 2 * w, 1))
        self.p3 = nn.Sequential(ConvBNSiLU(2 * w, 4 * w, 3, 2), C2f(4 * w, 4 * w, 1))
        self.p4 = nn.Sequential(ConvBNSiLU(4 * w, 8 * w, 3, 2), C2f(8 * w, 8 * w, 1))
        self.p5 = nn.Sequential(ConvBNSiLU(8 * w, 8 * w, 3, 2), C2f(8 * w, 8 * w, 1),
                                SPPF(8 * w, 8 * w))
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.n4 = C2f(16 * w, 8 * w, 1, False)
        self.n3 = C2f(12 * w, 4 * w, 1, False)
        self.d3 = ConvBNSiLU(4 * w, 4 * w, 3, 2)
        self.m4 = C2f(12 * w, 8 * w, 1, False)
        self.d4 = ConvBNSiLU(8 * w, 8 * w, 3, 2)
        self.m5 = C2f(16 * w, 8 * w, 1, False)
        chs = (4 * w, 8 * w, 8 * w)
        c2, c3 = max(16, chs[0] // 4, 4 * reg_max), max(chs[0], nc)
        self.box = nn.ModuleList(nn.Sequential(ConvBNSiLU(c, c2, 3), ConvBNSiLU(c2, c2, 3),
                                               nn.Conv2d(c2, 4 * reg_max, 1)) for c in chs)
        self.cls = nn.ModuleList(nn.Sequential(ConvBNSiLU(c, c3, 3), ConvBNSiLU(c3, c3, 3),
                                               nn.Conv2d(c3, nc, 1)) for c in chs)
        self.dfl = DFL(reg_max)

    def forward(self, x):
        p3 = self.p3(self.stem(x))
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        n4 = self.n4(torch.cat([self.up(p5), p4], 1))
        n3 = self.n3(torch.cat([self.up(n4), p3], 1))
        m4 = self.m4(torch.cat([self.d3(n3), n4], 1))
        m5 = self.m5(torch.cat([self.d4(m4), p5], 1))
        feats = [n3, m4, m5]
        outs = [torch.cat([b(f), c(f)], 1) for f, b, c in zip(feats, self.box, self.cls)]
        anchors, strides = (t.transpose(0, 1) for t in make_anchors(feats, self.strides))
        y = torch.cat([o.view(o.shape[0], 4 * self.reg_max + self.nc, -1) for o in outs], 2)
        box, cls = y.split((4 * self.reg_max, self.nc), 1)
        lt, rb = self.dfl(box).chunk(2, 1)
        a = anchors.unsqueeze(0)
        x1y1, x2y2 = a - lt, a + rb
        xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1) * strides
        return torch.cat((xywh, cls.sigmoid()), 1)


class UNetStyle(nn.Module):
    """A small UNet: two poolings down, ConvTranspose up with skip concats, 1x1 classifier and
    ArgMax over the classes -> "output" [1, H, W] (int64 in ONNX)."""

    def __init__(self, c=8, classes=4):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(ConvBNReLU(cin, cout), ConvBNReLU(cout, cout))

        self.e1, self.e2, self.e3 = block(3, c), block(c, 2 * c), block(2 * c, 4 * c)
        self.pool = nn.MaxPool2d(2)
        self.u2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, 2)
        self.d2 = block(4 * c, 2 * c)
        self.u1 = nn.ConvTranspose2d(2 * c, c, 2, 2)
        self.d1 = block(2 * c, c)
        self.head = nn.Conv2d(c, classes, 1)

    def forward(self, x):
        e1 = self.e1(x)
        e2 = self.e2(self.pool(e1))
        e3 = self.e3(self.pool(e2))
        d2 = self.d2(torch.cat([self.u2(e3), e2], 1))
        d1 = self.d1(torch.cat([self.u1(d2), e1], 1))
        return self.head(d1).argmax(1)


def small_vit(image=32, patch=8, layers=2, heads=2, hidden=32, mlp=64):
    from torchvision.models.vision_transformer import VisionTransformer

    return VisionTransformer(image_size=image, patch_size=patch, num_layers=layers,
                             num_heads=heads, hidden_dim=hidden, mlp_dim=mlp, num_classes=10)


def small_swin():
    from torchvision.models.swin_transformer import SwinTransformer

    # swin_t's code (patch 4, shifted windows, PatchMerging) at a fraction of its size.
    return SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[2, 2], num_heads=[2, 4],
                           window_size=[4, 4], stochastic_depth_prob=0.0, num_classes=10)


def small_convnext():
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt

    return ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], num_classes=10)


def convnext_tiny():
    return torchvision.models.convnext_tiny()


# The whole-model tests of issue 14 at both opsets: NAME_o13 and NAME_o17.
MODERN = {
    "vit": (small_vit, (1, 3, 32, 32), ["output"]),
    "swin": (small_swin, (1, 3, 32, 32), ["output"]),
    "convnext": (small_convnext, (1, 3, 32, 32), ["output"]),
    "yolov8": (lambda: YoloV8Style(w=8), (1, 3, 64, 64), ["output"]),
    "unet": (lambda: UNetStyle(c=8), (1, 3, 32, 32), ["output"]),
}

# ----------------------------------------------------------------------------------------------
# Model table: name -> (builder, input shape, output names[, opset])

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
    # Benchmark sizes (scripts/bench.py): ViT with vit_b_16's code at ViT-S/16 width and half its
    # depth, and torchvision's convnext_tiny as it is.
    "vit": (lambda: small_vit(224, 16, 6, 6, 384, 1536), (1, 3, 224, 224), ["output"], 17),
    "convnext_tiny": (convnext_tiny, (1, 3, 224, 224), ["output"], 17),
    # torchvision's swin_t at full size (issue 14): 6280 ONNX nodes, host only.
    "swin_t": (lambda: torchvision.models.swin_t(), (1, 3, 224, 224), ["output"], 17),
}
for _n, (_b, _s, _o) in MODERN.items():
    for _opset in (13, 17):
        MODELS[f"{_n}_o{_opset}"] = (_b, _s, _o, _opset)

# Models that model_compiler cannot compile yet, with the reason: scripts/prepare_models.sh
# compiles them but does not stop when that fails, and tests/conformance/wholemodel_test.cc
# leaves them out. Remove a name once it compiles and matches ORT.
PENDING = {}


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


@torch.no_grad()
def randomize_init(model, gen):
    """Parameters that torchvision initializes to near-constants get random values, so that
    they are tested: ConvNeXt's layer scale (1e-6), ViT's class token and head (zeros),
    LayerNorm's weight (ones) and bias (zeros)."""
    for name, p in model.named_parameters():
        if name.endswith("layer_scale"):
            p.copy_(torch.rand(p.shape, generator=gen) * 0.5 + 0.5)
        elif name.endswith("class_token"):
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
        elif name.startswith("heads.head."):  # VisionTransformer zero-initializes its head
            p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
    for m in model.modules():
        if isinstance(m, nn.LayerNorm) and m.elementwise_affine:
            m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
            m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)


def build(name):
    """Returns (model in eval mode, input as float32 ndarray, number of BN layers) for NAME.
    Deterministic; usable from other scripts (import gen_models; gen_models.build(name))."""
    builder, shape = MODELS[name][:2]
    seed = seed_for(name)
    torch.manual_seed(seed)
    model = builder()
    gen = torch.Generator().manual_seed(seed + 1)
    randomize_init(model, gen)
    nbn = randomize_bn(model, shape, gen)
    model.eval()
    rng = np.random.default_rng(seed + 2)
    x = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
    return model, x, nbn


def export(name, out_dir, fold_bn):
    shape, output_names = MODELS[name][1:3]
    opset = MODELS[name][3] if len(MODELS[name]) > 3 else OPSET
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
            opset_version=opset,
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
        f"{name}: opset={opset} seed={seed} input={list(shape)} "
        f"bn={nbn}{' (folded)' if fold_bn else ''} "
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
    ap.add_argument("--list-pending", action="store_true",
                    help="print the models that do not compile yet (PENDING) and exit")
    args = ap.parse_args()

    if args.list:
        print("\n".join(MODELS))
        return 0
    if args.list_pending:
        print("\n".join(PENDING))
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
