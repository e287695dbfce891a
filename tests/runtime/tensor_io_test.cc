// Input preparation and output reading, libyuv-style: odd widths, stride > width, unaligned
// pointers, and sources that end at a page boundary so an over-read faults.
#include "edgert/tensor_io.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "test_util.h"

namespace edgert {
namespace {

std::vector<uint8_t> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(CopyPlanePaddedTest, OddWidthStrideLargerThanWidthUnaligned) {
  const int64_t w = 7, h = 5, src_stride = 9, dst_stride = 16;
  auto src = Random(static_cast<size_t>(src_stride * h + 1), 1);
  std::vector<uint8_t> dst(static_cast<size_t>(dst_stride * h + 1), 0xAB);
  // Offsets of 1 make both pointers unaligned.
  CopyPlanePadded(src.data() + 1, src_stride, dst.data() + 1, dst_stride, w, h);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < dst_stride; ++x) {
      uint8_t got = dst[static_cast<size_t>(1 + y * dst_stride + x)];
      uint8_t want = x < w ? src[static_cast<size_t>(1 + y * src_stride + x)] : 0;
      ASSERT_EQ(got, want) << "row " << y << " col " << x;
    }
  EXPECT_EQ(dst[0], 0xAB) << "wrote before dst";
}

TEST(PrepareInputTest, Nv12ValidSizeIsPaddedPlaneByPlane) {
  auto d = *MakeTensorDesc("img", TensorType::kImgNv12, Layout::kNHWC, {1, 4, 6, 3});
  ASSERT_EQ(d.valid_byte_size(), 36);  // 6x4 Y + 6x2 UV
  ASSERT_EQ(d.aligned_byte_size, 96);  // stride 16
  test::PageEndBuffer src(36);
  for (int i = 0; i < 36; ++i) src.data()[i] = static_cast<uint8_t>(i + 1);
  std::vector<uint8_t> dst(96, 0xFF);
  ASSERT_TRUE(PrepareInput(d, src.data(), 36, dst.data()).ok());
  for (int row = 0; row < 6; ++row)  // 4 Y rows + 2 UV rows
    for (int x = 0; x < 16; ++x)
      ASSERT_EQ(dst[static_cast<size_t>(row * 16 + x)], x < 6 ? row * 6 + x + 1 : 0)
          << "row " << row << " x " << x;
}

TEST(PrepareInputTest, AlignedSizeIsCopiedAsIs) {
  auto d = *MakeTensorDesc("img", TensorType::kImgNv12, Layout::kNHWC, {1, 4, 6, 3});
  test::PageEndBuffer src(96);
  auto bytes = Random(96, 2);
  std::memcpy(src.data(), bytes.data(), 96);
  std::vector<uint8_t> dst(96);
  ASSERT_TRUE(PrepareInput(d, src.data(), 96, dst.data()).ok());
  EXPECT_EQ(dst, bytes);
}

TEST(PrepareInputTest, FeaturemapRowsAndPackedRgb) {
  auto f = *MakeTensorDesc("fm", TensorType::kF32, Layout::kNCHW, {1, 2, 3, 5});
  std::vector<float> src(30);
  for (int i = 0; i < 30; ++i) src[static_cast<size_t>(i)] = static_cast<float>(i) + 0.5f;
  test::PageEndBuffer page(120);
  std::memcpy(page.data(), src.data(), 120);
  std::vector<float> dst(static_cast<size_t>(f.aligned_byte_size / 4), -1.f);
  ASSERT_TRUE(PrepareInput(f, page.data(), 120, dst.data()).ok());
  for (int r = 0; r < 6; ++r)
    for (int x = 0; x < 8; ++x)
      ASSERT_EQ(dst[static_cast<size_t>(r * 8 + x)], x < 5 ? r * 5 + x + 0.5f : 0.f);

  auto rgb = *MakeTensorDesc("rgb", TensorType::kImgRgb, Layout::kNHWC, {1, 2, 5, 3});
  auto pix = Random(30, 3);
  std::vector<uint8_t> out(static_cast<size_t>(rgb.aligned_byte_size));
  ASSERT_TRUE(PrepareInput(rgb, pix.data(), 30, out.data()).ok());
  for (int y = 0; y < 2; ++y)
    for (int x = 0; x < 48; ++x)
      ASSERT_EQ(out[static_cast<size_t>(y * 48 + x)],
                x < 15 ? pix[static_cast<size_t>(y * 15 + x)] : 0);
}

TEST(PrepareInputTest, WrongSizeNamesBothSizes) {
  auto d = *MakeTensorDesc("data", TensorType::kF32, Layout::kNCHW, {1, 3, 5, 7});
  std::vector<uint8_t> src(100), dst(static_cast<size_t>(d.aligned_byte_size));
  Status s = PrepareInput(d, src.data(), src.size(), dst.data());
  ASSERT_EQ(s.code(), StatusCode::kInputError);
  EXPECT_EQ(s.message(),
            "input 'data': expected 420 bytes (valid 1x3x5x7 F32) or 480 bytes (aligned 1x3x5x8), "
            "got 100");
}

TEST(ReadOutputF32Test, StripsPaddingAndDequantizes) {
  auto d = *MakeTensorDesc("o", TensorType::kS8, Layout::kNone, {2, 3});
  ASSERT_EQ(d.aligned_shape, (std::vector<int64_t>{2, 16}));
  std::vector<int8_t> buf(32, 99);  // padding garbage must not leak
  const int8_t vals[6] = {-128, -1, 0, 1, 5, 127};
  for (int i = 0; i < 3; ++i) {
    buf[static_cast<size_t>(i)] = vals[i];
    buf[static_cast<size_t>(16 + i)] = vals[3 + i];
  }
  d.quant = {{0.5f}, {-2}, -1};
  std::vector<float> out;
  ASSERT_TRUE(ReadOutputF32(d, buf.data(), &out).ok());
  EXPECT_EQ(out, (std::vector<float>{-63.f, 0.5f, 1.f, 1.5f, 3.5f, 64.5f}));
  d.quant = {{1.f, 2.f, 4.f}, {0, 1, 0}, 1};  // per axis 1
  ASSERT_TRUE(ReadOutputF32(d, buf.data(), &out).ok());
  EXPECT_EQ(out, (std::vector<float>{-128.f, -4.f, 0.f, 1.f, 8.f, 508.f}));
}

TEST(ReadOutputF32Test, F16AndF32) {
  auto h = *MakeTensorDesc("h", TensorType::kF16, Layout::kNone, {3});
  // 1.0, -2.5, smallest subnormal 2^-24
  std::vector<uint16_t> buf = {0x3C00, 0xC100, 0x0001, 0, 0, 0, 0, 0};
  std::vector<float> out;
  ASSERT_TRUE(ReadOutputF32(h, buf.data(), &out).ok());
  EXPECT_EQ(out, (std::vector<float>{1.f, -2.5f, 5.9604645e-8f}));
  auto f = *MakeTensorDesc("f", TensorType::kF32, Layout::kNCHW, {1, 1, 2, 3});
  std::vector<float> fb = {1, 2, 3, 9, 4, 5, 6, 9};
  ASSERT_TRUE(ReadOutputF32(f, fb.data(), &out).ok());
  EXPECT_EQ(out, (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace edgert
