#!/usr/bin/python3
"""Writes image files of every kind edgert's decoder (apps/common/image_decode.cc) must read, each
with what OpenCV's cv2.imread(path, IMREAD_COLOR) returns for it: the independent reference.

  /usr/bin/python3 tests/apps/decode_cases.py OUTDIR

OUTDIR/cases.txt lists one case per line: `file height width` (the reference pixels are
OUTDIR/file.bgr, rows of width * 3 bytes); OUTDIR/errors.txt lists files that must fail, with a
fragment of the expected message: `file|fragment`.
"""
import os
import struct
import sys
import zlib

import cv2
import numpy as np
from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
cases, errors = [], []


def pattern(h, w, seed):
    """A smooth gradient plus noise: edges and flat areas both, so chroma and IDCT paths show."""
    rng = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([(xx * 255 // max(w - 1, 1)), (yy * 255 // max(h - 1, 1)),
                    ((xx + yy) * 7) % 256], axis=-1).astype(np.int32)
    rgb += rng.randint(-20, 21, rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def case(name):
    path = os.path.join(out, name)
    ref = cv2.imread(path, cv2.IMREAD_COLOR)
    assert ref is not None and ref.dtype == np.uint8 and ref.ndim == 3, name
    ref.tofile(path + ".bgr")
    cases.append(f"{name} {ref.shape[0]} {ref.shape[1]}")


rgb = pattern(37, 53, 1)
im = Image.fromarray(rgb)

# JPEG: chroma subsampling 4:2:0, 4:2:2, 4:4:4; gray; progressive; EXIF orientations 1..8.
for sub, tag in ((2, "420"), (1, "422"), (0, "444")):
    im.save(os.path.join(out, f"color_{tag}.jpg"), quality=90, subsampling=sub)
    case(f"color_{tag}.jpg")
im.convert("L").save(os.path.join(out, "gray.jpg"), quality=85)
case("gray.jpg")
im.save(os.path.join(out, "progressive.jpg"), quality=80, progressive=True)
case("progressive.jpg")
Image.fromarray(pattern(16, 16, 2)).save(os.path.join(out, "mcu_exact.jpg"), quality=95)
case("mcu_exact.jpg")
for o in range(1, 9):
    ex = Image.Exif()
    ex[0x0112] = o
    im.save(os.path.join(out, f"exif{o}.jpg"), quality=90, exif=ex.tobytes())
    case(f"exif{o}.jpg")

# PNG: RGB, RGBA, gray, gray + alpha, palette (with and without transparency), 1-bit, 16-bit
# gray and 16-bit color, EXIF orientations 3 and 6.
im.save(os.path.join(out, "rgb.png"))
case("rgb.png")
rgba = np.dstack([rgb, pattern(37, 53, 3)[..., 0]])
Image.fromarray(rgba, "RGBA").save(os.path.join(out, "rgba.png"))
case("rgba.png")
im.convert("L").save(os.path.join(out, "gray.png"))
case("gray.png")
im.convert("LA").save(os.path.join(out, "gray_alpha.png"))
case("gray_alpha.png")
pal = im.convert("P", palette=Image.ADAPTIVE, colors=200)
pal.save(os.path.join(out, "palette.png"))
case("palette.png")
pal.save(os.path.join(out, "palette_trns.png"), transparency=5)
case("palette_trns.png")
im.convert("1").save(os.path.join(out, "bilevel.png"))
case("bilevel.png")
g16 = (pattern(37, 53, 4)[..., 0].astype(np.uint16) * 257 + np.arange(53, dtype=np.uint16) * 3)
cv2.imwrite(os.path.join(out, "gray16.png"), g16)
case("gray16.png")
c16 = pattern(37, 53, 5).astype(np.uint16) * 251 + 7
cv2.imwrite(os.path.join(out, "color16.png"), c16)
case("color16.png")
for o in (3, 6):
    ex = Image.Exif()
    ex[0x0112] = o
    im.save(os.path.join(out, f"exif{o}.png"), exif=ex.tobytes())
    case(f"exif{o}.png")

# BMP: 24-bit (bottom-up, and the same rows top-down), 32-bit, 8-bit palette, 1-bit.
im.save(os.path.join(out, "rgb24.bmp"))
case("rgb24.bmp")
raw = bytearray(open(os.path.join(out, "rgb24.bmp"), "rb").read())
off, h = struct.unpack_from("<I", raw, 10)[0], struct.unpack_from("<i", raw, 22)[0]
row = ((53 * 24 + 31) // 32) * 4
rows = [raw[off + i * row: off + (i + 1) * row] for i in range(h)]
struct.pack_into("<i", raw, 22, -h)
raw[off:off + h * row] = b"".join(reversed(rows))
open(os.path.join(out, "topdown24.bmp"), "wb").write(bytes(raw))
case("topdown24.bmp")
Image.fromarray(rgba, "RGBA").save(os.path.join(out, "rgba32.bmp"))
case("rgba32.bmp")
pal.save(os.path.join(out, "palette8.bmp"))
case("palette8.bmp")
im.convert("1").save(os.path.join(out, "bilevel1.bmp"))
case("bilevel1.bmp")

# Files that must fail, with what the message must say.
jpg = open(os.path.join(out, "color_420.jpg"), "rb").read()
open(os.path.join(out, "truncated.jpg"), "wb").write(jpg[:200])
errors.append("truncated.jpg|corrupt JPEG")
open(os.path.join(out, "cut_data.jpg"), "wb").write(jpg[:len(jpg) * 2 // 3])
errors.append("cut_data.jpg|data ends early")
Image.fromarray(rgb).convert("CMYK").save(os.path.join(out, "cmyk.jpg"))
errors.append("cmyk.jpg|CMYK JPEG is not supported")
png = open(os.path.join(out, "rgb.png"), "rb").read()
open(os.path.join(out, "truncated.png"), "wb").write(png[:100])
errors.append("truncated.png|corrupt PNG")
bmp = bytearray(open(os.path.join(out, "palette8.bmp"), "rb").read())
struct.pack_into("<I", bmp, 30, 1)  # BI_RLE8
open(os.path.join(out, "rle8.bmp"), "wb").write(bytes(bmp))
errors.append("rle8.bmp|compression 1")
open(os.path.join(out, "text.jpg"), "wb").write(b"not an image at all\n")
errors.append("text.jpg|no known signature")
# Cut inside its data but still ending in an EOI marker: libjpeg warns (premature end of a data
# segment) and would gray-fill the rest; imread returns that. Here every libjpeg warning fails.
open(os.path.join(out, "cut_eoi.jpg"), "wb").write(jpg[:len(jpg) * 2 // 3] + b"\xff\xd9")
errors.append("cut_eoi.jpg|libjpeg warning: Corrupt JPEG data")
# A small JPEG whose frame header claims 16384x16384: refused by the decompression ratio before
# 768 MiB of pixels are allocated.
small = bytearray(open(os.path.join(out, "mcu_exact.jpg"), "rb").read())
sof = small.index(b"\xff\xc0")
struct.pack_into(">HH", small, sof + 5, 16384, 16384)
open(os.path.join(out, "huge_ratio.jpg"), "wb").write(bytes(small))
errors.append("huge_ratio.jpg|decompression ratio above 1000:1")
# The same for a PNG header (10000x10000, under the 2^28-pixel cap), its CRC fixed up.
ihdr = bytearray(png[8:33])
struct.pack_into(">II", ihdr, 8, 10000, 10000)
struct.pack_into(">I", ihdr, 21, zlib.crc32(bytes(ihdr[4:21])))
open(os.path.join(out, "huge_ratio.png"), "wb").write(png[:8] + bytes(ihdr) + png[33:])
errors.append("huge_ratio.png|decompression ratio above 1000:1")
# A text chunk with a wrong CRC: libpng warns and skips it; here that warning fails the file.
text = b"tEXt" + b"Comment\x00edgert"
bad_chunk = struct.pack(">I", len(text) - 4) + text + struct.pack(">I", zlib.crc32(text) ^ 1)
open(os.path.join(out, "bad_crc_text.png"), "wb").write(png[:33] + bad_chunk + png[33:])
errors.append("bad_crc_text.png|libpng warning")
errors.append("missing.png|cannot open")

open(os.path.join(out, "cases.txt"), "w").write("\n".join(cases) + "\n")
open(os.path.join(out, "errors.txt"), "w").write("\n".join(errors) + "\n")
print(f"decode_cases: {len(cases)} images and {len(errors)} failing files in {out}")
