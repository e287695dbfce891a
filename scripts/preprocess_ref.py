#!/usr/bin/env python3
"""numpy reference of edgert's image preprocessing (README "Colour conversion").

Run with /usr/bin/python3 (Debian's python3-numpy and python3-opencv); libyuv is not needed.

  rt     image file -> the input_type_rt buffer `infer` builds from it, byte for byte:
         cv2.imread (IMREAD_COLOR, BGR), cv2.resize INTER_LINEAR to the input's valid W x H when
         the size differs, then edgert's integer BT.601 formulas.
  train  input_type_rt buffer -> the float32 input_type_train tensor the ONNX model expects
         after the in-model preprocessing (colour conversion per input_space_and_range, then
         norm_type). This is the definition the engine's preprocessing kernel implements.
  dump   prints an edgert float32 dump (np.fromfile) with its shape and statistics.

Examples:
  preprocess_ref.py rt cat.jpg --type nv12 --height 224 --width 224 --range regular -o rt.bin
  preprocess_ref.py train rt.bin --type-rt nv12 --type-train rgb --height 224 --width 224 \\
      --layout-train NCHW --range regular --norm data_mean_and_scale \\
      --mean 123.675,116.28,103.53 --scale 0.0171,0.0175,0.0174 -o train.bin
"""

import argparse
import math
import sys

import numpy as np

TYPES_RT = ("nv12", "y", "yuv444", "rgb", "bgr", "gray")
TYPES_TRAIN = ("rgb", "bgr", "yuv444", "gray")
RANGES = ("regular", "bt601_video")
NORMS = ("no_preprocess", "data_mean", "data_scale", "data_mean_and_scale")
LAYOUTS = ("NHWC", "NCHW")


def channels(type_name):
    return 1 if type_name in ("y", "gray") else 3


# ---- geometry (README "Tensor descriptions and alignment rules") ----

def _round_up(v, m):
    return (v + m - 1) // m * m


def row_geometry(type_rt, height, width, layout="NHWC", row_align=16):
    """(rows, valid_row_bytes, row_stride) of an input_type_rt buffer, all planes included."""
    if type_rt in ("nv12", "y"):
        if height % 2 or width % 2:
            raise ValueError(f"{type_rt} needs even height and width, got {width}x{height}")
        rows = height * 3 // 2 if type_rt == "nv12" else height
        return rows, width, _round_up(width, row_align)
    c = channels(type_rt)
    if layout == "NCHW":
        return c * height, width, _round_up(width, row_align)
    multiple = math.lcm(c, row_align) // c  # pad with whole pixels
    return height, width * c, _round_up(width, multiple) * c


def pad_rows(dense, type_rt, height, width, layout="NHWC", row_align=16):
    """Valid (dense) bytes -> aligned bytes: each row padded with zeros to the row stride."""
    rows, valid_row, stride = row_geometry(type_rt, height, width, layout, row_align)
    out = np.zeros((rows, stride), np.uint8)
    out[:, :valid_row] = np.asarray(dense, np.uint8).reshape(rows, valid_row)
    return out.reshape(-1)


def strip_rows(buf, type_rt, height, width, layout="NHWC", row_align=16):
    """An rt buffer of the valid or the aligned size -> its valid bytes (1-D)."""
    rows, valid_row, stride = row_geometry(type_rt, height, width, layout, row_align)
    flat = np.asarray(buf, np.uint8).reshape(-1)
    if flat.size == rows * valid_row:
        return flat
    if flat.size == rows * stride:
        return flat.reshape(rows, stride)[:, :valid_row].reshape(-1)
    raise ValueError(f"{type_rt} {width}x{height} {layout}: expected {rows * valid_row} bytes "
                     f"(valid) or {rows * stride} bytes (aligned), got {flat.size}")


# ---- image -> input_type_rt (integer, bit-exact with ConvertBgr24ToInput) ----

def load_bgr(image, height, width):
    """cv2.imread(IMREAD_COLOR) and, when the size differs, cv2.resize INTER_LINEAR to W x H.
    `image` is a path or an HxWx3 uint8 BGR array."""
    if isinstance(image, np.ndarray):
        bgr = image
    else:
        import cv2  # imported when needed: it takes about a second
        bgr = cv2.imread(str(image), cv2.IMREAD_COLOR)
        if bgr is None:
            raise ValueError(f"{image}: not an image OpenCV can decode")
    if bgr.dtype != np.uint8 or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 BGR image, got {bgr.dtype} {bgr.shape}")
    if bgr.shape[:2] != (height, width):
        import cv2
        bgr = cv2.resize(bgr, (width, height), interpolation=cv2.INTER_LINEAR)
    return bgr


def _luma(b, g, r, rng):
    if rng == "regular":
        return (77 * r + 150 * g + 29 * b + 128) >> 8
    return (66 * r + 129 * g + 25 * b + 0x1080) >> 8


# U = (ub*b - ug*g - ur*r + 0x8080) >> 8, V = (vr*r - vg*g - vb*b + 0x8080) >> 8.
_UV444 = {"regular": (127, 84, 43, 127, 107, 20), "bt601_video": (112, 74, 38, 112, 94, 18)}
# 4:2:0, applied to b2 = (sum of the 2x2 block + 1) >> 1 (twice the mean): the 4:4:4
# coefficients halved with integer division.
_UV420 = {"regular": (63, 42, 21, 63, 53, 10), "bt601_video": (56, 37, 19, 56, 47, 9)}


def _uv(b, g, r, k):
    ub, ug, ur, vr, vg, vb = k
    return (ub * b - ug * g - ur * r + 0x8080) >> 8, (vr * r - vg * g - vb * b + 0x8080) >> 8


def to_input_rt(image, type_rt, height, width, layout="NHWC", rng="regular", aligned=False,
                row_align=16):
    """The input_type_rt buffer infer builds from `image` (path or BGR array).

    Returns uint8: with aligned=False the valid data, shaped (H*3/2, W) for nv12, (H, W) for y,
    (1, H, W, C) for NHWC and (1, C, H, W) for NCHW; with aligned=True the flat aligned buffer
    (each row zero-padded to its stride), as `infer --input_file` takes either."""
    if type_rt not in TYPES_RT:
        raise ValueError(f"type_rt {type_rt!r}: expected one of {TYPES_RT}")
    if rng not in RANGES:
        raise ValueError(f"range {rng!r}: expected one of {RANGES}")
    if type_rt in ("nv12", "y") and (height % 2 or width % 2):
        raise ValueError(f"{type_rt} needs even height and width, got {width}x{height}")
    bgr = load_bgr(image, height, width)
    b, g, r = (bgr[..., i].astype(np.int32) for i in range(3))
    if type_rt in ("nv12", "y", "gray"):
        planes = [_luma(b, g, r, rng)]
        if type_rt == "nv12":
            def sum2(c):
                return (c[0::2, 0::2] + c[0::2, 1::2] + c[1::2, 0::2] + c[1::2, 1::2] + 1) >> 1
            u, v = _uv(sum2(b), sum2(g), sum2(r), _UV420[rng])
            uv = np.empty((height // 2, width), np.int32)
            uv[:, 0::2], uv[:, 1::2] = u, v
            dense = np.concatenate([planes[0], uv]).astype(np.uint8)
        elif type_rt == "y":
            dense = planes[0].astype(np.uint8)
        else:
            dense = planes[0][None, :, :, None].astype(np.uint8)  # NHWC; NCHW is the same bytes
            if layout == "NCHW":
                dense = dense.transpose(0, 3, 1, 2)
    else:
        if type_rt == "yuv444":
            u, v = _uv(b, g, r, _UV444[rng])
            hwc = np.stack([_luma(b, g, r, rng), u, v], axis=-1)
        elif type_rt == "rgb":
            hwc = np.stack([r, g, b], axis=-1)
        else:
            hwc = np.stack([b, g, r], axis=-1)
        dense = hwc[None].astype(np.uint8)
        if layout == "NCHW":
            dense = dense.transpose(0, 3, 1, 2)
    dense = np.ascontiguousarray(dense)
    if aligned:
        return pad_rows(dense, type_rt, height, width, layout, row_align)
    return dense


# ---- input_type_rt -> input_type_train (float; the in-model preprocessing) ----

def _rt_planes(buf, type_rt, height, width, layout, row_align):
    """-> ("yuv", [Y, U, V] or [Y]) or ("rgb", [R, G, B]) as float64 HxW planes."""
    dense = strip_rows(buf, type_rt, height, width, layout, row_align).astype(np.float64)
    if type_rt == "nv12":
        y = dense[:height * width].reshape(height, width)
        uv = dense[height * width:].reshape(height // 2, width)
        # nearest (replicate) upsampling: each U,V pair covers its 2x2 block
        u = np.repeat(np.repeat(uv[:, 0::2], 2, axis=0), 2, axis=1)
        v = np.repeat(np.repeat(uv[:, 1::2], 2, axis=0), 2, axis=1)
        return "yuv", [y, u, v]
    if type_rt in ("y", "gray"):
        return "yuv", [dense.reshape(height, width)]
    c = 3
    if layout == "NCHW":
        p = dense.reshape(c, height, width)
    else:
        p = dense.reshape(height, width, c).transpose(2, 0, 1)
    if type_rt == "yuv444":
        return "yuv", [p[0], p[1], p[2]]
    if type_rt == "rgb":
        return "rgb", [p[0], p[1], p[2]]
    return "rgb", [p[2], p[1], p[0]]


def _full_range_yuv(planes, rng):
    """bt601_video -> full range: Y' = (Y-16)*255/219, U' = (U-128)*255/224 + 128 (same for V)."""
    if rng == "regular":
        return planes
    out = [(planes[0] - 16.0) * (255.0 / 219.0)]
    out += [(p - 128.0) * (255.0 / 224.0) + 128.0 for p in planes[1:]]
    return out


def to_train(buf, type_rt, type_train, height, width, layout_rt="NHWC", layout_train="NCHW",
             rng="regular", norm="no_preprocess", mean=None, scale=None, row_align=16):
    """input_type_rt buffer (valid or aligned, any shape) -> float32 input_type_train tensor,
    shaped (1, C, H, W) for NCHW or (1, H, W, C) for NHWC. See README "Colour conversion"."""
    if type_train not in TYPES_TRAIN:
        raise ValueError(f"type_train {type_train!r}: expected one of {TYPES_TRAIN}")
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r}: expected one of {NORMS}")
    kind, planes = _rt_planes(buf, type_rt, height, width, layout_rt, row_align)
    if kind == "yuv":
        planes = _full_range_yuv(planes, rng)
        if type_train == "gray":
            out = [np.clip(planes[0], 0.0, 255.0)]
        elif len(planes) == 1:
            raise ValueError(f"input_type_rt {type_rt} has no chroma for input_type_train "
                             f"{type_train}")
        elif type_train == "yuv444":
            out = [np.clip(p, 0.0, 255.0) for p in planes]
        else:
            y, u, v = planes[0], planes[1] - 128.0, planes[2] - 128.0
            r = y + 1.402 * v
            g = y - 0.344136 * u - 0.714136 * v
            b = y + 1.772 * u
            rgb = [np.clip(p, 0.0, 255.0) for p in (r, g, b)]
            out = rgb if type_train == "rgb" else rgb[::-1]
    else:
        r, g, b = planes
        if type_train == "rgb":
            out = [r, g, b]
        elif type_train == "bgr":
            out = [b, g, r]
        else:
            y = 0.299 * r + 0.587 * g + 0.114 * b
            if type_train == "gray":
                out = [y]
            else:
                u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128.0
                v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128.0
                out = [np.clip(p, 0.0, 255.0) for p in (y, u, v)]
    x = np.stack(out)  # C, H, W
    c = x.shape[0]

    def per_channel(vals, what):
        a = np.asarray(vals, np.float64).reshape(-1)
        if a.size == 1:
            a = np.repeat(a, c)
        if a.size != c:
            raise ValueError(f"{what}: {a.size} values for {c} channels")
        return a.reshape(c, 1, 1)

    if norm in ("data_mean", "data_mean_and_scale"):
        if mean is None:
            raise ValueError(f"norm {norm} needs mean")
        x = x - per_channel(mean, "mean")
    if norm in ("data_scale", "data_mean_and_scale"):
        if scale is None:
            raise ValueError(f"norm {norm} needs scale")
        x = x * per_channel(scale, "scale")
    x = x.astype(np.float32)[None]
    if layout_train == "NHWC":
        x = x.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x)


def read_dump(path, shape=None):
    """An edgert float32 dump (np.tofile of the valid shape) as an array, reshaped if given."""
    a = np.fromfile(path, np.float32)
    return a.reshape(shape) if shape is not None else a


# ---- CLI ----

def _floats(s):
    return [float(v) for v in s.split(",") if v.strip()]


def _shape(s):
    return tuple(int(v) for v in s.replace("x", ",").split(",") if v.strip())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    rt = sub.add_parser("rt", help="image file -> input_type_rt buffer (as infer builds it)")
    rt.add_argument("image")
    rt.add_argument("--type", required=True, choices=TYPES_RT)
    rt.add_argument("--height", type=int, required=True)
    rt.add_argument("--width", type=int, required=True)
    rt.add_argument("--layout", default="NHWC", choices=LAYOUTS)
    rt.add_argument("--range", default="regular", choices=RANGES)
    rt.add_argument("--aligned", action="store_true", help="write the aligned (padded) buffer")
    rt.add_argument("--row-align", type=int, default=16)
    rt.add_argument("-o", "--output", required=True)

    tr = sub.add_parser("train", help="input_type_rt buffer -> float32 input_type_train tensor")
    tr.add_argument("rt_file")
    tr.add_argument("--type-rt", required=True, choices=TYPES_RT)
    tr.add_argument("--type-train", required=True, choices=TYPES_TRAIN)
    tr.add_argument("--height", type=int, required=True)
    tr.add_argument("--width", type=int, required=True)
    tr.add_argument("--layout-rt", default="NHWC", choices=LAYOUTS)
    tr.add_argument("--layout-train", default="NCHW", choices=LAYOUTS)
    tr.add_argument("--range", default="regular", choices=RANGES)
    tr.add_argument("--norm", default="no_preprocess", choices=NORMS)
    tr.add_argument("--mean", type=_floats)
    tr.add_argument("--scale", type=_floats)
    tr.add_argument("--row-align", type=int, default=16)
    tr.add_argument("-o", "--output", required=True)

    dp = sub.add_parser("dump", help="print an edgert float32 dump")
    dp.add_argument("file")
    dp.add_argument("--shape", type=_shape)

    a = ap.parse_args(argv)
    try:
        if a.cmd == "rt":
            out = to_input_rt(a.image, a.type, a.height, a.width, a.layout, a.range, a.aligned,
                              a.row_align)
            out.tofile(a.output)
            print(f"{a.output}: {a.type} {a.layout} {a.range} {a.width}x{a.height} "
                  f"{'aligned' if a.aligned else 'valid'}, {out.size} bytes")
        elif a.cmd == "train":
            buf = np.fromfile(a.rt_file, np.uint8)
            out = to_train(buf, a.type_rt, a.type_train, a.height, a.width, a.layout_rt,
                           a.layout_train, a.range, a.norm, a.mean, a.scale, a.row_align)
            out.tofile(a.output)
            print(f"{a.output}: float32 {'x'.join(map(str, out.shape))} {a.type_train} "
                  f"{a.layout_train}, min {out.min():.6g} max {out.max():.6g}")
        else:
            x = read_dump(a.file, a.shape)
            print(f"{a.file}: float32 {'x'.join(map(str, x.shape))} min {x.min():.6g} "
                  f"max {x.max():.6g} mean {x.mean():.6g}")
    except (ValueError, OSError) as e:
        print(f"preprocess_ref.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
