#!/usr/bin/python3
"""Quantizes the trained digits CNN with PyTorch FX and exports it as QDQ ONNX, the way a user
does it: torch.ao.quantization.quantize_fx (prepare_fx, calibrate, convert_fx) with the default
qconfig mapping of the x86 backend (per-channel weights), then a plain torch.onnx.export, no
graph clean-up. The export carries scales and zero points through Identity, Cast and
ConstantOfShape chains and a Cast after every QuantizeLinear, which model_compiler's QDQ import
must fold (apps/model_compiler/qdq_import.cc).

The float network is samples/models/digits_cnn.onnx (scripts/train_digits.py, BatchNorm folded
into the convolutions at its export), rebuilt in torch from that file's weights, so no training
runs here. Calibration: the 100 training samples of DIGITS/digits_train_x.bin.

Usage: /usr/bin/python3 scripts/gen_fx_quant.py --digits build/digits --out MODEL.onnx
                                               [--float samples/models/digits_cnn.onnx]
Deterministic (no randomness; 1 thread). Prints the held-out top-1 of torch's float and
quantized models to stderr.
"""
import argparse
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def float_net(onnx_path):
    """scripts/train_digits.py's Net with BatchNorm folded, weights from its ONNX export."""
    net = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    m = onnx.load(onnx_path)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    weights = []
    for n in m.graph.node:
        if n.op_type in ('Conv', 'Gemm'):
            weights += [inits[n.input[1]], inits[n.input[2]]]
    params = list(net.parameters())
    assert len(params) == len(weights), (len(params), len(weights))
    with torch.no_grad():
        for p, w in zip(params, weights):
            assert tuple(p.shape) == w.shape, (p.shape, w.shape)
            p.copy_(torch.from_numpy(w.copy()))
    return net.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--digits', required=True, help='scripts/train_digits.py --out folder')
    ap.add_argument('--out', required=True, help='the QDQ ONNX file to write')
    ap.add_argument('--float', default=os.path.join(ROOT, 'samples', 'models', 'digits_cnn.onnx'))
    a = ap.parse_args()
    torch.set_num_threads(1)
    net = float_net(a.float)
    cal = np.fromfile(os.path.join(a.digits, 'digits_train_x.bin'), np.float32)
    cal = torch.from_numpy(cal.reshape(-1, 1, 20, 20))
    x = torch.from_numpy(
        np.fromfile(os.path.join(a.digits, 'digits_test_x.bin'), np.float32).reshape(-1, 1, 20, 20))
    y = np.fromfile(os.path.join(a.digits, 'digits_test_y.bin'), np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        prepared = prepare_fx(net, get_default_qconfig_mapping('x86'), (cal[:1],))
        with torch.no_grad():
            prepared(cal)
        q = convert_fx(prepared)
        tmp = a.out + '.tmp'
        torch.onnx.export(q, cal[:1], tmp, opset_version=13, input_names=['input'],
                          output_names=['logits'])
    with torch.no_grad():
        acc_f = (net(x).argmax(1).numpy() == y).mean()
        acc_q = (q(x).argmax(1).numpy() == y).mean()
    onnx.checker.check_model(onnx.load(tmp))
    os.replace(tmp, a.out)
    print(f'[gen_fx_quant] {a.out}: held-out top-1 torch float {acc_f:.4f}, '
          f'torch FX int8 {acc_q:.4f}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
