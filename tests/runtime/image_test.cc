// BGR24 -> image input conversion. The expected bytes come from a plain re-implementation of the
// formulas in README "Colour conversion", so these tests also pin the README to the code; a second
// group checks those formulas against libyuv itself on the CPU the test runs on (x86-64 natively,
// aarch64 under qemu). Edges: odd widths, stride > 3 * width, unaligned sources, sources ending
// at a page boundary, padding bytes.
#include "edgert/image.h"

#include <gtest/gtest.h>
#include <libyuv/convert.h>
#include <libyuv/convert_argb.h>
#include <libyuv/convert_from_argb.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "test_util.h"

namespace edgert {
namespace {

// ---- the documented formulas, written out plainly ----

int YFull(int b, int g, int r) { return (77 * r + 150 * g + 29 * b + 128) >> 8; }
int YVideo(int b, int g, int r) { return (66 * r + 129 * g + 25 * b + 4224) >> 8; }
int UFull(int b, int g, int r) { return (127 * b - 84 * g - 43 * r + 32896) >> 8; }
int VFull(int b, int g, int r) { return (127 * r - 107 * g - 20 * b + 32896) >> 8; }
int UVideo(int b, int g, int r) { return (112 * b - 74 * g - 38 * r + 32896) >> 8; }
int VVideo(int b, int g, int r) { return (112 * r - 94 * g - 18 * b + 32896) >> 8; }
// 4:2:0, on b2 = (sum of the 2x2 block + 1) >> 1 and likewise g2, r2.
int U2Full(int b2, int g2, int r2) { return (63 * b2 - 42 * g2 - 21 * r2 + 32896) >> 8; }
int V2Full(int b2, int g2, int r2) { return (63 * r2 - 53 * g2 - 10 * b2 + 32896) >> 8; }
int U2Video(int b2, int g2, int r2) { return (56 * b2 - 37 * g2 - 19 * r2 + 32896) >> 8; }
int V2Video(int b2, int g2, int r2) { return (56 * r2 - 47 * g2 - 9 * b2 + 32896) >> 8; }

struct Image {
  int64_t w, h;
  std::vector<uint8_t> bgr;  // tight, 3 * w per row
  int B(int64_t x, int64_t y) const { return bgr[static_cast<size_t>((y * w + x) * 3)]; }
  int G(int64_t x, int64_t y) const { return bgr[static_cast<size_t>((y * w + x) * 3 + 1)]; }
  int R(int64_t x, int64_t y) const { return bgr[static_cast<size_t>((y * w + x) * 3 + 2)]; }
};

Image RandomImage(int64_t w, int64_t h, uint32_t seed) {
  std::mt19937 rng(seed);
  Image im{w, h, std::vector<uint8_t>(static_cast<size_t>(w * h * 3))};
  for (auto& b : im.bgr) b = static_cast<uint8_t>(rng());
  // Extremes too: black, white, pure primaries.
  const uint8_t corners[][3] = {{0, 0, 0}, {255, 255, 255}, {255, 0, 0}, {0, 0, 255}};
  for (size_t i = 0; i < 4 && i * 3 < im.bgr.size(); ++i)
    std::memcpy(&im.bgr[i * 3], corners[i], 3);
  return im;
}

// Index of the first differing byte, -1 when equal (vector dumps are unreadable).
int64_t FirstMismatch(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  if (a.size() != b.size()) return static_cast<int64_t>(std::min(a.size(), b.size()));
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) return static_cast<int64_t>(i);
  return -1;
}

int64_t RoundUp16(int64_t v) { return (v + 15) / 16 * 16; }

// The expected aligned buffer, laid out from README's alignment rules (not from desc.stride).
std::vector<uint8_t> Expected(const Image& im, TensorType type, Layout layout, ColorRange range) {
  const bool full = range == ColorRange::kFull;
  const int64_t w = im.w, h = im.h;
  auto y_of = [&](int64_t x, int64_t y) {
    return full ? YFull(im.B(x, y), im.G(x, y), im.R(x, y))
                : YVideo(im.B(x, y), im.G(x, y), im.R(x, y));
  };
  std::vector<uint8_t> out;
  auto put = [&](int64_t off, int v) {
    EXPECT_GE(v, 0);
    EXPECT_LE(v, 255);
    out.at(static_cast<size_t>(off)) = static_cast<uint8_t>(v);
  };
  if (type == TensorType::kImgNv12 || type == TensorType::kImgY) {
    const int64_t row = RoundUp16(w);
    out.assign(static_cast<size_t>(row * (type == TensorType::kImgNv12 ? h * 3 / 2 : h)), 0);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) put(y * row + x, y_of(x, y));
    if (type == TensorType::kImgY) return out;
    for (int64_t y = 0; y < h; y += 2)
      for (int64_t x = 0; x < w; x += 2) {
        int b2 = 0, g2 = 0, r2 = 0;
        for (int dy = 0; dy < 2; ++dy)
          for (int dx = 0; dx < 2; ++dx) {
            b2 += im.B(x + dx, y + dy);
            g2 += im.G(x + dx, y + dy);
            r2 += im.R(x + dx, y + dy);
          }
        b2 = (b2 + 1) >> 1;
        g2 = (g2 + 1) >> 1;
        r2 = (r2 + 1) >> 1;
        const int64_t off = (h + y / 2) * row + x;
        put(off, full ? U2Full(b2, g2, r2) : U2Video(b2, g2, r2));
        put(off + 1, full ? V2Full(b2, g2, r2) : V2Video(b2, g2, r2));
      }
    return out;
  }
  const int64_t c = type == TensorType::kImgGray ? 1 : 3;
  auto channel = [&](int64_t x, int64_t y, int64_t ch) -> int {
    const int b = im.B(x, y), g = im.G(x, y), r = im.R(x, y);
    switch (type) {
      case TensorType::kImgGray:
        return y_of(x, y);
      case TensorType::kImgRgb:
        return ch == 0 ? r : ch == 1 ? g : b;
      case TensorType::kImgBgr:
        return ch == 0 ? b : ch == 1 ? g : r;
      default:  // YUV444
        if (ch == 0) return y_of(x, y);
        if (ch == 1) return full ? UFull(b, g, r) : UVideo(b, g, r);
        return full ? VFull(b, g, r) : VVideo(b, g, r);
    }
  };
  if (layout == Layout::kNHWC) {
    int64_t aw = w;  // rows are padded with whole pixels up to a multiple of 16 bytes
    while ((aw * c) % 16) ++aw;
    const int64_t row = aw * c;
    out.assign(static_cast<size_t>(row * h), 0);
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t ch = 0; ch < c; ++ch) put(y * row + x * c + ch, channel(x, y, ch));
  } else {
    const int64_t row = RoundUp16(w);
    out.assign(static_cast<size_t>(row * h * c), 0);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) put((ch * h + y) * row + x, channel(x, y, ch));
  }
  return out;
}

std::vector<int64_t> Shape(TensorType type, Layout layout, int64_t w, int64_t h) {
  const int64_t c = (type == TensorType::kImgY || type == TensorType::kImgGray) ? 1 : 3;
  return layout == Layout::kNCHW ? std::vector<int64_t>{1, c, h, w}
                                 : std::vector<int64_t>{1, h, w, c};
}

struct Case {
  TensorType type;
  Layout layout;
};

const Case kCases[] = {
    {TensorType::kImgNv12, Layout::kNHWC},   {TensorType::kImgNv12, Layout::kNCHW},
    {TensorType::kImgY, Layout::kNHWC},      {TensorType::kImgYuv444, Layout::kNHWC},
    {TensorType::kImgYuv444, Layout::kNCHW}, {TensorType::kImgRgb, Layout::kNHWC},
    {TensorType::kImgRgb, Layout::kNCHW},    {TensorType::kImgBgr, Layout::kNHWC},
    {TensorType::kImgBgr, Layout::kNCHW},    {TensorType::kImgGray, Layout::kNHWC},
    {TensorType::kImgGray, Layout::kNCHW},
};

bool Planar(TensorType t) { return t == TensorType::kImgNv12 || t == TensorType::kImgY; }

// Every type, layout and range; even and odd sizes (odd only where the type allows them), from
// sources with a tight and a wider stride that end at a page boundary, and from an unaligned one.
TEST(ImageConvertTest, AllTypesLayoutsRangesMatchFormulas) {
  const int64_t sizes[][2] = {{2, 2}, {6, 4}, {22, 6}, {70, 8}, {5, 3}, {13, 7}, {1, 1}};
  for (const Case& cs : kCases)
    for (ColorRange range : {ColorRange::kFull, ColorRange::kVideo})
      for (const auto& wh : sizes) {
        const int64_t w = wh[0], h = wh[1];
        if (Planar(cs.type) && (w % 2 || h % 2)) continue;
        auto desc = MakeTensorDesc("img", cs.type, cs.layout, Shape(cs.type, cs.layout, w, h));
        ASSERT_TRUE(desc.ok()) << desc.status().ToString();
        const Image im = RandomImage(w, h, static_cast<uint32_t>(w * 131 + h));
        const std::vector<uint8_t> want = Expected(im, cs.type, cs.layout, range);
        ASSERT_EQ(static_cast<int64_t>(want.size()), desc->aligned_byte_size);
        for (int64_t stride : {3 * w, 3 * w + 5}) {
          SCOPED_TRACE(std::string(TensorTypeName(cs.type)) + " " + LayoutName(cs.layout) + " " +
                       ColorRangeName(range) + " " + std::to_string(w) + "x" + std::to_string(h) +
                       " stride " + std::to_string(stride));
          const size_t src_bytes = static_cast<size_t>(stride * (h - 1) + 3 * w);
          std::vector<uint8_t> strided(src_bytes + 1);
          for (int64_t y = 0; y < h; ++y)
            std::memcpy(&strided[static_cast<size_t>(1 + y * stride)],
                        &im.bgr[static_cast<size_t>(y * w * 3)], static_cast<size_t>(3 * w));
          test::PageEndBuffer page(src_bytes);
          std::memcpy(page.data(), strided.data() + 1, src_bytes);
          for (const uint8_t* src : {static_cast<const uint8_t*>(page.data()),
                                     static_cast<const uint8_t*>(strided.data() + 1)}) {
            std::vector<uint8_t> got(want.size() + 1, 0xAB);  // 0xAB: stale padding must go
            Status s = ConvertBgr24ToInput(src, stride, w, h, range, *desc, got.data());
            ASSERT_TRUE(s.ok()) << s.ToString();
            EXPECT_EQ(got.back(), 0xAB) << "wrote past aligned_byte_size";
            got.pop_back();
            ASSERT_EQ(FirstMismatch(got, want), -1) << "first differing byte offset";
          }
        }
      }
}

TEST(ImageConvertTest, GreyStaysNeutralAndRangesHitTheirLimits) {
  // Black and white pixels: full range Y 0/255, video range 16/235, chroma 128 throughout.
  Image im{4, 2, std::vector<uint8_t>(24, 0)};
  for (size_t i = 12; i < 24; ++i) im.bgr[i] = 255;  // second row white
  struct {
    ColorRange range;
    uint8_t black, white;
  } const ranges[] = {{ColorRange::kFull, 0, 255}, {ColorRange::kVideo, 16, 235}};
  for (const auto& r : ranges) {
    auto d = *MakeTensorDesc("x", TensorType::kImgYuv444, Layout::kNHWC, {1, 2, 4, 3});
    std::vector<uint8_t> out(static_cast<size_t>(d.aligned_byte_size));
    ASSERT_TRUE(ConvertBgr24ToInput(im.bgr.data(), 12, 4, 2, r.range, d, out.data()).ok());
    const size_t row = static_cast<size_t>(d.stride[1]);
    for (size_t x = 0; x < 4; ++x) {
      EXPECT_EQ(out[3 * x], r.black);
      EXPECT_EQ(out[row + 3 * x], r.white);
      for (size_t k : {3 * x + 1, 3 * x + 2, row + 3 * x + 1, row + 3 * x + 2})
        EXPECT_EQ(out[k], 128);
    }
  }
}

TEST(ImageConvertTest, Errors) {
  std::vector<uint8_t> src(3 * 8 * 8, 7), dst(4096);
  auto nv12 = *MakeTensorDesc("data", TensorType::kImgNv12, Layout::kNHWC, {1, 4, 6, 3});
  Status s = ConvertBgr24ToInput(src.data(), 18, 8, 4, ColorRange::kFull, nv12, dst.data());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "input 'data': image is 8x4 (WxH), the input needs 6x4 (valid 1x4x6x3 IMG_NV12 NHWC)");

  auto batch = *MakeTensorDesc("data", TensorType::kImgRgb, Layout::kNHWC, {2, 4, 6, 3});
  s = ConvertBgr24ToInput(src.data(), 18, 6, 4, ColorRange::kFull, batch, dst.data());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("batch 2"), std::string::npos) << s.message();

  s = ConvertBgr24ToInput(src.data(), 17, 6, 4, ColorRange::kFull, nv12, dst.data());
  EXPECT_NE(s.message().find("stride 17"), std::string::npos) << s.message();

  s = ConvertBgr24ToInput(nullptr, 18, 6, 4, ColorRange::kFull, nv12, dst.data());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);

  auto fm = *MakeTensorDesc("fm", TensorType::kF32, Layout::kNHWC, {1, 4, 6, 3});
  s = ConvertBgr24ToInput(src.data(), 18, 6, 4, ColorRange::kFull, fm, dst.data());
  EXPECT_EQ(s.message(), "input 'fm' is F32, not an IMG_* image type");

  // Odd NV12/Y sizes: MakeTensorDesc refuses them, so forge one; the conversion still refuses.
  for (TensorType t : {TensorType::kImgNv12, TensorType::kImgY}) {
    auto odd = *MakeTensorDesc("odd", t, Layout::kNHWC, {1, 4, 6, t == TensorType::kImgY ? 1 : 3});
    odd.valid_shape[2] = 5;
    s = ConvertBgr24ToInput(src.data(), 15, 5, 4, ColorRange::kFull, odd, dst.data());
    EXPECT_FALSE(s.ok()) << TensorTypeName(t);
  }
}

TEST(ImageConvertTest, ParseColorRange) {
  EXPECT_EQ(*ParseColorRange("regular"), ColorRange::kFull);
  EXPECT_EQ(*ParseColorRange(""), ColorRange::kFull);
  EXPECT_EQ(*ParseColorRange("bt601_video"), ColorRange::kVideo);
  auto bad = ParseColorRange("bt709");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown input_space_and_range 'bt709' (expected regular or bt601_video)");
  EXPECT_STREQ(ColorRangeName(ColorRange::kVideo), "bt601_video");
}

// ---- the formulas against libyuv itself, on this CPU ----

// libyuv's chroma differs between its x86 and aarch64 builds. On aarch64 (the board) it computes
// exactly the formulas above, which edgert uses everywhere; its x86 build averages the block with
// two rounds of pavgb, ((a + b + 1) >> 1 vertically, then horizontally) and, for limited range,
// truncates instead of rounding (+0x8000). This test pins both.
#if defined(__aarch64__)
constexpr bool kLibyuvIsBoardFormula = true;
#else
constexpr bool kLibyuvIsBoardFormula = false;
#endif

int Avg(int a, int b) { return (a + b + 1) >> 1; }

TEST(ImageLibyuvFormulaTest, LumaAndChromaMatchTheDocumentedIntegers) {
  for (int64_t w : {64, 22}) {
    const int64_t h = 6;
    const Image im = RandomImage(w, h, 77);
    const int iw = static_cast<int>(w), ih = static_cast<int>(h);
    std::vector<uint8_t> argb(static_cast<size_t>(w * h * 4));
    libyuv::RGB24ToARGB(im.bgr.data(), iw * 3, argb.data(), iw * 4, iw, ih);
    std::vector<uint8_t> y(static_cast<size_t>(w * h)), u(y.size()), v(y.size());
    for (bool full : {true, false}) {
      SCOPED_TRACE(std::string(full ? "full" : "video") + " width " + std::to_string(w));
      for (int path = 0; path < 2; ++path) {
        if (full && path == 0)
          libyuv::ARGBToJ420(argb.data(), iw * 4, y.data(), iw, u.data(), iw / 2, v.data(), iw / 2,
                             iw, ih);
        else if (full)
          libyuv::RGB24ToJ420(im.bgr.data(), iw * 3, y.data(), iw, u.data(), iw / 2, v.data(),
                              iw / 2, iw, ih);
        else if (path == 0)
          libyuv::ARGBToI420(argb.data(), iw * 4, y.data(), iw, u.data(), iw / 2, v.data(), iw / 2,
                             iw, ih);
        else
          libyuv::RGB24ToI420(im.bgr.data(), iw * 3, y.data(), iw, u.data(), iw / 2, v.data(),
                              iw / 2, iw, ih);
        for (int64_t py = 0; py < h; ++py)
          for (int64_t px = 0; px < w; ++px) {
            const int b = im.B(px, py), g = im.G(px, py), r = im.R(px, py);
            ASSERT_EQ(y[static_cast<size_t>(py * w + px)], full ? YFull(b, g, r) : YVideo(b, g, r))
                << "Y at " << px << "," << py << " path " << path;
          }
        for (int64_t py = 0; py < h; py += 2)
          for (int64_t px = 0; px < w; px += 2) {
            int want_u, want_v;
            if (kLibyuvIsBoardFormula) {
              auto sum2 = [&](int (Image::*ch)(int64_t, int64_t) const) {
                return ((im.*ch)(px, py) + (im.*ch)(px + 1, py) + (im.*ch)(px, py + 1) +
                        (im.*ch)(px + 1, py + 1) + 1) >>
                       1;
              };
              const int b2 = sum2(&Image::B), g2 = sum2(&Image::G), r2 = sum2(&Image::R);
              want_u = full ? U2Full(b2, g2, r2) : U2Video(b2, g2, r2);
              want_v = full ? V2Full(b2, g2, r2) : V2Video(b2, g2, r2);
            } else {
              auto avg = [&](int (Image::*ch)(int64_t, int64_t) const) {
                return Avg(Avg((im.*ch)(px, py), (im.*ch)(px, py + 1)),
                           Avg((im.*ch)(px + 1, py), (im.*ch)(px + 1, py + 1)));
              };
              const int b = avg(&Image::B), g = avg(&Image::G), r = avg(&Image::R);
              want_u = full ? UFull(b, g, r) : (112 * b - 74 * g - 38 * r + 0x8000) >> 8;
              want_v = full ? VFull(b, g, r) : (112 * r - 94 * g - 18 * b + 0x8000) >> 8;
            }
            const size_t k = static_cast<size_t>(py / 2 * (w / 2) + px / 2);
            ASSERT_EQ(u[k], want_u) << "U at block " << px << "," << py << " path " << path;
            ASSERT_EQ(v[k], want_v) << "V at block " << px << "," << py << " path " << path;
          }
      }
    }
    // Limited-range 4:4:4 (libyuv has no full-range ARGB-to-444), and the luma-only functions.
    libyuv::ARGBToI444(argb.data(), iw * 4, y.data(), iw, u.data(), iw, v.data(), iw, iw, ih);
    const int round = kLibyuvIsBoardFormula ? 0x8080 : 0x8000;
    for (int64_t i = 0; i < w * h; ++i) {
      const int b = im.bgr[static_cast<size_t>(3 * i)], g = im.bgr[static_cast<size_t>(3 * i + 1)],
                r = im.bgr[static_cast<size_t>(3 * i + 2)];
      const size_t k = static_cast<size_t>(i);
      ASSERT_EQ(y[k], YVideo(b, g, r)) << i;
      ASSERT_EQ(u[k], (112 * b - 74 * g - 38 * r + round) >> 8) << i;
      ASSERT_EQ(v[k], (112 * r - 94 * g - 18 * b + round) >> 8) << i;
    }
    libyuv::RGB24ToJ400(im.bgr.data(), iw * 3, y.data(), iw, iw, ih);
    libyuv::ARGBToI400(argb.data(), iw * 4, u.data(), iw, iw, ih);
    for (int64_t i = 0; i < w * h; ++i) {
      const int b = im.bgr[static_cast<size_t>(3 * i)], g = im.bgr[static_cast<size_t>(3 * i + 1)],
                r = im.bgr[static_cast<size_t>(3 * i + 2)];
      ASSERT_EQ(y[static_cast<size_t>(i)], YFull(b, g, r)) << i;
      ASSERT_EQ(u[static_cast<size_t>(i)], YVideo(b, g, r)) << i;
    }
  }
}

}  // namespace
}  // namespace edgert
