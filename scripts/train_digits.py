#!/usr/bin/env python3
"""Trains the project's real-accuracy model: a small CNN on OpenCV's digits.png.

digits.png (Debian opencv-doc) holds 5000 handwritten digits of 20x20 pixels, 50 rows of 100;
the class of a digit is its row // 5. Samples are shuffled with a fixed seed; 4000 train the
network and the other 1000 are held out.

Writes
  samples/models/digits_cnn.onnx   opset 13, input 'input' [1,1,20,20] float (pixels / 255),
                                   output 'logits' [1,10]
  OUT/digits_test_x.bin            1000x1x20x20 float32 (np.tofile), OUT/digits_test_y.bin int64
  OUT/digits_train_x.bin           the first 100 training samples, for calibration
  OUT/cal/NNNN.bin                 the same 100 as one file each (cal_data_dir)
  OUT/cal_png/NNNN.png             the same 100 as 8-bit gray PNG images (the pixels of
                                   digits.png, exactly): cal_data_dir of an image-input model
  OUT/test_png/NNNN_L.png          the first 20 held-out digits as PNG, L = the label

Usage: /usr/bin/python3 scripts/train_digits.py [--out build/digits] [--onnx PATH]
                                               [--data-only]
Deterministic: fixed seeds, 2 threads, CPU.
"""
import argparse
import os

import cv2
import numpy as np
import torch
import torch.nn as nn

DIGITS = '/usr/share/doc/opencv-doc/examples/data/digits.png'
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load():
    img = cv2.imread(DIGITS, cv2.IMREAD_GRAYSCALE)
    assert img is not None and img.shape == (1000, 2000), DIGITS
    x = img.reshape(50, 20, 100, 20).transpose(0, 2, 1, 3).reshape(5000, 1, 20, 20)
    y = np.repeat(np.arange(50) // 5, 100)
    x = x.astype(np.float32) / 255.0
    perm = np.random.RandomState(0).permutation(5000)
    return x[perm], y[perm].astype(np.int64)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),                                    # 10x10
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.MaxPool2d(2),                                    # 5x5
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(64, 10))

    def forward(self, x):
        return self.f(x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(ROOT, 'build', 'digits'))
    ap.add_argument('--onnx', default=os.path.join(ROOT, 'samples', 'models', 'digits_cnn.onnx'))
    ap.add_argument('--data-only', action='store_true', help='write the data files only')
    a = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y = load()
    xtr, ytr, xte, yte = x[:4000], y[:4000], x[4000:], y[4000:]
    os.makedirs(os.path.join(a.out, 'cal'), exist_ok=True)
    xte.tofile(os.path.join(a.out, 'digits_test_x.bin'))
    yte.tofile(os.path.join(a.out, 'digits_test_y.bin'))
    xtr[:100].tofile(os.path.join(a.out, 'digits_train_x.bin'))
    for i in range(100):
        xtr[i].tofile(os.path.join(a.out, 'cal', '%04d.bin' % i))
    for sub, xs, names in (('cal_png', xtr[:100], ['%04d' % i for i in range(100)]),
                           ('test_png', xte[:20], ['%04d_%d' % (i, yte[i]) for i in range(20)])):
        os.makedirs(os.path.join(a.out, sub), exist_ok=True)
        for img, name in zip(xs, names):
            # x = pixel / 255 in float32: rounding x * 255 restores the pixel exactly.
            cv2.imwrite(os.path.join(a.out, sub, name + '.png'),
                        np.rint(img[0] * 255.0).astype(np.uint8))
    if a.data_only:
        return
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    tx, ty = torch.from_numpy(xtr), torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(0)
    for epoch in range(8):
        net.train()
        p = torch.randperm(4000, generator=g)
        for i in range(0, 4000, 64):
            idx = p[i:i + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(tx[idx]), ty[idx])
            loss.backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            acc = (net(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean()
        print('epoch %d loss %.4f held-out accuracy %.4f' % (epoch, loss.item(), acc))
    net.eval()
    torch.onnx.export(net, torch.zeros(1, 1, 20, 20), a.onnx, opset_version=13,
                      input_names=['input'], output_names=['logits'])
    print('wrote', a.onnx)


if __name__ == '__main__':
    main()
