// Cubic Resize and tf_crop_and_resize against float64 values from the script below: an
// independent reimplementation of the ONNX specification's reference (it picks the neighbours as
// the k nearest indices of the edge-padded row, as onnx/reference/ops/op_resize.py does, where
// the kernel computes floor(x) - 1 .. floor(x) + 2). Each test quotes the resize(...) call that
// produced its literal, printed as ', '.join('%.9g' % v for v in y.ravel()). Shapes are tiny so
// qemu runs them too. Compiled into engine_ops_test and engine_ops_portable_test.
//
// clang-format off
// import numpy as np
// def coeffs(r, A):  # ONNX Resize cubic coefficients for ratio r in (0, 1]
//     s = 1 - r
//     return np.array([((A*(r+1)-5*A)*(r+1)+8*A)*(r+1)-4*A, ((A+2)*r-(A+3))*r*r+1,
//                      ((A+2)*s-(A+3))*s*s+1, ((A*(s+1)-5*A)*(s+1)+8*A)*(s+1)-4*A])
// def orig(x, ctm, scale, n_in, n_out, roi):
//     if ctm == 'half_pixel': return (x + 0.5) / scale - 0.5
//     if ctm == 'pytorch_half_pixel': return (x + 0.5) / scale - 0.5 if n_out > 1 else 0.0
//     if ctm == 'asymmetric': return x / scale
//     if ctm == 'align_corners':
//         L = scale * n_in
//         return 0.0 if L <= 1 else x * (n_in - 1) / (L - 1)
//     span = (roi[1] - roi[0]) * (n_in - 1)  # tf_crop_and_resize
//     return roi[0] * (n_in - 1) + (span / 2 if n_out == 1 else x * span / (n_out - 1))
// def interp1d(v, xo, mode, A, excl):  # v: 1-D float64, xo: source coordinate
//     n = len(v)
//     if mode == 'nearest':  # round_prefer_floor
//         r = np.floor(xo) if xo - np.floor(xo) == 0.5 else np.round(xo)
//         return v[int(min(max(r, 0), n - 1))]
//     k = 4 if mode == 'cubic' else 2
//     xi = np.floor(xo)
//     r = 1.0 if xo == xi else xo - xi
//     c = coeffs(r, A) if mode == 'cubic' else np.array([1 - r, r])
//     pad = np.pad(v, 2, mode='edge')  # the k nearest padded indices, ties to the smaller
//     idx = sorted(sorted(range(len(pad)), key=lambda i: (abs(xo + 2 - i), i))[:k])
//     o = np.array(idx) - 2
//     if excl:
//         c = np.where((o < 0) | (o >= n), 0.0, c)
//         c = c / c.sum()
//     return float(np.dot(c, pad[idx]))
// def resize(x, out_hw, scales, mode, ctm, A=-0.75, excl=0, roi=((0, 1), (0, 1)), extrap=0.0):
//     N, H, W, C = x.shape
//     y = np.zeros((N, out_hw[0], out_hw[1], C))
//     for b in range(N):
//         for oy in range(out_hw[0]):
//             fy = orig(oy, ctm, scales[0], H, out_hw[0], roi[0])
//             for ox in range(out_hw[1]):
//                 fx = orig(ox, ctm, scales[1], W, out_hw[1], roi[1])
//                 for ch in range(C):
//                     if ctm == 'tf_crop_and_resize' and not (0 <= fy <= H - 1 and 0 <= fx <= W - 1):
//                         y[b, oy, ox, ch] = extrap
//                         continue
//                     rows = [interp1d(x[b, h, :, ch], fx, mode, A, excl) for h in range(H)]
//                     y[b, oy, ox, ch] = interp1d(np.array(rows), fy, mode, A, excl)
//     return y
// def inp(shape):  # exact in float32: multiples of 1/8 in [-1, 1]
//     return (np.arange(np.prod(shape)) * 37 % 17 / 8.0 - 1).reshape(shape)
// f = lambda v: float(np.float32(v))  # the float32 scale the kernel sees
// clang-format on
#include <gtest/gtest.h>

#include <string>

#include "engine_test_util.h"

namespace edgert::test {
namespace {

using V = std::vector<float>;
using D = std::vector<double>;
using S = std::vector<int64_t>;

// inp(shape) of the script: multiples of 1/8 in [-1, 1], exact in float32.
V Inp(const S& shape) {
  V x(static_cast<size_t>(Count(shape)));
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i * 37 % 17) / 8.f - 1.f;
  return x;
}

std::vector<AttrDef> Attrs(const std::string& mode, const std::string& ctm, float sh, float sw) {
  return {AttrDef::String("mode", mode), AttrDef::String("coordinate_transformation_mode", ctm),
          AttrDef::Floats("scales", {sh, sw})};
}

TEST(ResizeCubicTest, HalfPixelUpsample) {
  // resize(inp((1, 3, 3, 2)), (6, 4), (2.0, f(1.5)), 'cubic', 'half_pixel')
  const S xs = {1, 3, 3, 2};
  auto got =
      RunOp("Resize", {Var(xs, Inp(xs))}, {{1, 6, 4, 2}}, Attrs("cubic", "half_pixel", 2.f, 1.5f));
  ExpectClose(
      got[0],
      D{-1.07828776,   -0.70328776,  -0.708496094,  -0.333496094, -0.0904405382, 0.284559462,
        0.392198351,   0.767198351,  -1.04117839,   -0.666178385, -0.671386719,  -0.303390503,
        -0.0533311632, 0.332390679,  0.429307726,   0.868292914,  -0.981608073,  -0.606608073,
        -0.611816406,  -0.257827759, 0.00623914931, 0.413404677,  0.488878038,   1.0558336,
        -0.89860026,   -0.52360026,  -0.528808594,  -0.108673096, 0.0892469618,  0.395150644,
        0.571885851,   0.534536856,  -0.839029948,  -0.464029948, -0.469238281,  0.0598449707,
        0.148817274,   0.28793674,   0.631456163,   -0.40121799,  -0.801920573,  -0.426920573,
        -0.432128906,  0.163101196,  0.185926649,   0.22378427,   0.668565538,   -0.968413176},
      1e-5, 1e-5);
}

TEST(ResizeCubicTest, AlignCornersDownsampleExcludeOutside) {
  // resize(inp((1, 5, 6, 1)), (3, 4), (f(3 / 5), f(4 / 6)), 'cubic', 'align_corners', -0.5, 1)
  const S xs = {1, 5, 6, 1};
  auto attrs = Attrs("cubic", "align_corners", 3.f / 5, 4.f / 6);
  attrs.push_back(AttrDef::Float("cubic_coeff_a", -0.5f));
  attrs.push_back(AttrDef::Int("exclude_outside", 1));
  auto got = RunOp("Resize", {Var(xs, Inp(xs))}, {{1, 3, 4, 1}}, attrs);
  ExpectClose(got[0],
              D{-1, -0.375000025, 0.24999995, 0.874999963, -0.750000015, -0.12500004, 0.578703588,
                -0.999999714, -0.500000015, 0.12499996, 0.828703592, -0.749999841},
              1e-5, 1e-5);
}

TEST(ResizeCubicTest, AsymmetricBatchOfTwo) {
  // resize(inp((2, 2, 3, 1)), (3, 7), (1.5, 2.5), 'cubic', 'asymmetric')
  const S xs = {2, 2, 3, 1};
  auto got =
      RunOp("Resize", {Var(xs, Inp(xs))}, {{2, 3, 7, 1}}, Attrs("cubic", "asymmetric", 1.5f, 2.5f));
  ExpectClose(got[0], D{-1,          -0.8815,     -0.727,       -0.523,       -0.3685,
                        -0.25,       -0.2095,     -0.229166667, -0.110666667, 0.0438333333,
                        0.247833333, 0.402333333, 0.520833333,  0.561333333,  0.25,
                        0.3685,      0.523,       0.727,        0.8815,       1,
                        1.0405,      -0.875,      -0.7565,      -0.602,       -0.398,
                        -0.2435,     -0.125,      -0.0845,      -0.104166667, 0.0143333333,
                        0.168833333, 0.372833333, 0.527333333,  0.645833333,  0.686333333,
                        0.375,       0.4935,      0.648,        0.852,        1.0065,
                        1.125,       1.1655},
              1e-5, 1e-5);
}

TEST(ResizeCubicTest, PytorchHalfPixelToOneRowExcludeOutside) {
  // resize(inp((1, 4, 4, 2)), (1, 2), (0.25, 0.5), 'cubic', 'pytorch_half_pixel', -0.75, 1)
  const S xs = {1, 4, 4, 2};
  auto attrs = Attrs("cubic", "pytorch_half_pixel", 0.25f, 0.5f);
  attrs.push_back(AttrDef::Int("exclude_outside", 1));
  auto got = RunOp("Resize", {Var(xs, Inp(xs))}, {{1, 1, 2, 2}}, attrs);
  ExpectClose(got[0], D{-0.721428571, -0.346428571, -0.182142857, 0.192857143}, 1e-5, 1e-5);
}

// tf_crop_and_resize: roi [h_start, w_start, h_end, w_end]; rows whose source coordinate leaves
// the input take extrapolation_value (the last row of the cubic case, the first of the others).
std::vector<AttrDef> CropAttrs(const std::string& mode, const V& roi, float extrapolation) {
  auto attrs = Attrs(mode, "tf_crop_and_resize", 0.75f, 0.75f);
  attrs.push_back(AttrDef::Floats("roi", roi));
  attrs.push_back(AttrDef::Float("extrapolation_value", extrapolation));
  attrs.push_back(AttrDef::String("nearest_mode", "round_prefer_floor"));
  return attrs;
}

TEST(ResizeCropTest, CubicLinearAndNearest) {
  const S xs = {1, 4, 4, 1};
  // resize(inp((1, 4, 4, 1)), (3, 3), (0.75, 0.75), 'cubic', 'tf_crop_and_resize',
  //        roi=((f(0.2), f(1.3)), (f(0.1), f(0.6))), extrap=7.5)
  auto got = RunOp("Resize", {Var(xs, Inp(xs))}, {{1, 3, 3, 1}},
                   CropAttrs("cubic", {0.2f, 0.1f, 1.3f, 0.6f}, 7.5f));
  ExpectClose(got[0],
              D{0.14469877, 0.327117486, -0.618220084, -0.256202952, 0.0780569289, 0.509156326, 7.5,
                7.5, 7.5},
              1e-5, 1e-5);
  // The same with 'linear' and 'nearest', roi=((f(-0.2), f(0.9)), (f(0.1), f(0.6))), extrap=-3.0
  got = RunOp("Resize", {Var(xs, Inp(xs))}, {{1, 3, 3, 1}},
              CropAttrs("linear", {-0.2f, 0.1f, 0.9f, 0.6f}, -3.f));
  ExpectClose(got[0],
              D{-3, -3, -3, 0.581250027, 0.761562458, -0.471250161, -0.449999954, -0.168749941,
                0.112500072},
              1e-5, 1e-5);
  got = RunOp("Resize", {Var(xs, Inp(xs))}, {{1, 3, 3, 1}},
              CropAttrs("nearest", {-0.2f, 0.1f, 0.9f, 0.6f}, -3.f));
  ExpectClose(got[0], D{-3, -3, -3, 0.5, 0.875, -0.875, -0.75, -0.375, 0}, 0, 0);
}

}  // namespace
}  // namespace edgert::test
