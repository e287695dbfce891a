// Alignment rules, checked against hand-computed descriptions.
#include "edgert/tensor_desc.h"

#include <gtest/gtest.h>

namespace edgert {
namespace {

TensorDesc Make(TensorType t, Layout l, std::vector<int64_t> shape, int align = 16) {
  auto r = MakeTensorDesc("t", t, l, std::move(shape), AlignmentRule{align});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(ValidateTensorDesc(*r).ok()) << ValidateTensorDesc(*r).ToString();
  return r.ok() ? *r : TensorDesc();
}

using V = std::vector<int64_t>;

TEST(TensorDescTest, FeaturemapNchwPadsWidthRowsTo16Bytes) {
  // W=7 f32 is 28 bytes per row, padded to 32 bytes = 8 elements.
  TensorDesc d = Make(TensorType::kF32, Layout::kNCHW, {1, 3, 5, 7});
  EXPECT_EQ(d.aligned_shape, (V{1, 3, 5, 8}));
  EXPECT_EQ(d.stride, (V{480, 160, 32, 4}));
  EXPECT_EQ(d.aligned_byte_size, 480);
  EXPECT_EQ(d.valid_byte_size(), 3 * 5 * 7 * 4);
}

TEST(TensorDescTest, FeaturemapAlreadyAlignedIsUnchanged) {
  TensorDesc d = Make(TensorType::kF32, Layout::kNCHW, {1, 3, 224, 224});
  EXPECT_EQ(d.aligned_shape, d.valid_shape);
  EXPECT_EQ(d.aligned_byte_size, 602112);
  EXPECT_EQ(d.valid_byte_size(), 602112);
}

TEST(TensorDescTest, FeaturemapNhwcPadsChannels) {
  TensorDesc f = Make(TensorType::kF32, Layout::kNHWC, {1, 7, 7, 3});
  EXPECT_EQ(f.aligned_shape, (V{1, 7, 7, 4}));
  EXPECT_EQ(f.stride, (V{784, 112, 16, 4}));
  TensorDesc s8 = Make(TensorType::kS8, Layout::kNHWC, {1, 2, 2, 3});
  EXPECT_EQ(s8.aligned_shape, (V{1, 2, 2, 16}));
  EXPECT_EQ(s8.aligned_byte_size, 64);
  TensorDesc u8 = Make(TensorType::kU8, Layout::kNHWC, {2, 1, 1, 17});
  EXPECT_EQ(u8.aligned_shape, (V{2, 1, 1, 32}));
}

TEST(TensorDescTest, OtherElementTypesAndRanks) {
  TensorDesc s16 = Make(TensorType::kS16, Layout::kNone, {3, 5});
  EXPECT_EQ(s16.aligned_shape, (V{3, 8}));
  EXPECT_EQ(s16.stride, (V{16, 2}));
  EXPECT_EQ(s16.aligned_byte_size, 48);
  TensorDesc s32 = Make(TensorType::kS32, Layout::kNone, {5});
  EXPECT_EQ(s32.aligned_shape, (V{8}));
  EXPECT_EQ(s32.aligned_byte_size, 32);
  TensorDesc f16 = Make(TensorType::kF16, Layout::kNone, {2, 3, 9});
  EXPECT_EQ(f16.aligned_shape, (V{2, 3, 16}));
  EXPECT_EQ(f16.stride, (V{96, 32, 2}));
  TensorDesc scalar = Make(TensorType::kF32, Layout::kNone, {});
  EXPECT_EQ(scalar.aligned_byte_size, 4);
}

TEST(TensorDescTest, Nv12RowStrideRoundsWidthTo16) {
  TensorDesc d = Make(TensorType::kImgNv12, Layout::kNHWC, {1, 6, 10, 3});
  EXPECT_EQ(d.aligned_shape, (V{1, 6, 16, 3}));
  EXPECT_EQ(d.stride, (V{144, 16, 1, 0}));  // 16-byte rows, 6 Y rows + 3 UV rows
  EXPECT_EQ(d.aligned_byte_size, 144);
  EXPECT_EQ(d.valid_byte_size(), 90);  // 10*6*3/2
  TensorDesc full = Make(TensorType::kImgNv12, Layout::kNHWC, {1, 224, 224, 3});
  EXPECT_EQ(full.aligned_byte_size, 224 * 224 * 3 / 2);
  TensorDesc nchw = Make(TensorType::kImgNv12, Layout::kNCHW, {2, 3, 4, 18});
  EXPECT_EQ(nchw.aligned_shape, (V{2, 3, 4, 32}));
  EXPECT_EQ(nchw.stride, (V{192, 0, 32, 1}));
  EXPECT_EQ(nchw.aligned_byte_size, 384);
}

TEST(TensorDescTest, StrideLargerThanWidthWithWiderAlignment) {
  TensorDesc d = Make(TensorType::kImgNv12, Layout::kNHWC, {1, 2, 10, 3}, 64);
  EXPECT_EQ(d.stride[1], 64);
  EXPECT_EQ(d.aligned_byte_size, 64 * 3);
  TensorDesc none = Make(TensorType::kF32, Layout::kNCHW, {1, 1, 2, 3}, 1);
  EXPECT_EQ(none.aligned_shape, none.valid_shape);
}

TEST(TensorDescTest, YPlaneHasNoUv) {
  TensorDesc d = Make(TensorType::kImgY, Layout::kNHWC, {1, 4, 6, 1});
  EXPECT_EQ(d.stride, (V{64, 16, 1, 0}));
  EXPECT_EQ(d.aligned_byte_size, 64);
  EXPECT_EQ(d.valid_byte_size(), 24);
}

TEST(TensorDescTest, Nv12OddSizesAreErrors) {
  auto w = MakeTensorDesc("cam", TensorType::kImgNv12, Layout::kNHWC, {1, 4, 5, 3});
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("even"), std::string::npos) << w.status().message();
  EXPECT_NE(w.status().message().find("cam"), std::string::npos);
  EXPECT_FALSE(MakeTensorDesc("y", TensorType::kImgY, Layout::kNHWC, {1, 3, 4, 1}).ok());
}

TEST(TensorDescTest, PackedImagesPadRowsWithWholePixels) {
  // 5 RGB pixels are 15 bytes; whole pixels that make a multiple of 16 bytes: 16 pixels.
  TensorDesc rgb = Make(TensorType::kImgRgb, Layout::kNHWC, {1, 2, 5, 3});
  EXPECT_EQ(rgb.aligned_shape, (V{1, 2, 16, 3}));
  EXPECT_EQ(rgb.stride, (V{96, 48, 3, 1}));
  TensorDesc wide = Make(TensorType::kImgBgr, Layout::kNHWC, {1, 1, 16, 3});
  EXPECT_EQ(wide.aligned_shape, wide.valid_shape);
  TensorDesc yuv = Make(TensorType::kImgYuv444, Layout::kNHWC, {1, 1, 1, 3});
  EXPECT_EQ(yuv.aligned_shape, (V{1, 1, 16, 3}));
  TensorDesc gray = Make(TensorType::kImgGray, Layout::kNHWC, {1, 3, 20, 1});
  EXPECT_EQ(gray.aligned_shape, (V{1, 3, 32, 1}));
  TensorDesc planar = Make(TensorType::kImgRgb, Layout::kNCHW, {1, 3, 4, 5});
  EXPECT_EQ(planar.aligned_shape, (V{1, 3, 4, 16}));
  EXPECT_EQ(planar.stride, (V{192, 64, 16, 1}));
}

TEST(TensorDescTest, BadImageDescriptionsAreErrors) {
  EXPECT_FALSE(MakeTensorDesc("x", TensorType::kImgBgr, Layout::kNHWC, {1, 4, 4, 1}).ok());
  EXPECT_FALSE(MakeTensorDesc("x", TensorType::kImgGray, Layout::kNHWC, {1, 4, 4, 3}).ok());
  EXPECT_FALSE(MakeTensorDesc("x", TensorType::kImgRgb, Layout::kNone, {1, 4, 4, 3}).ok());
  EXPECT_FALSE(MakeTensorDesc("x", TensorType::kImgRgb, Layout::kNHWC, {4, 4, 3}).ok());
  EXPECT_FALSE(MakeTensorDesc("x", TensorType::kF32, Layout::kNHWC, {1, 0, 4, 3}).ok());
  EXPECT_FALSE(MakeTensorDesc("x", TensorType::kF32, Layout::kNHWC, {1, 2}, AlignmentRule{0}).ok());
}

TEST(TensorDescTest, EveryTypeNameRoundTrips) {
  for (int i = 0; i <= static_cast<int>(TensorType::kF32); ++i) {
    auto t = static_cast<TensorType>(i);
    auto parsed = ParseTensorType(TensorTypeName(t));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(ElementSize(TensorType::kF32), 4u);
  EXPECT_EQ(ElementSize(TensorType::kF16), 2u);
  EXPECT_EQ(ElementSize(TensorType::kImgNv12), 1u);
  auto bad = ParseTensorType("float");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("IMG_NV12"), std::string::npos);
  EXPECT_EQ(*ParseLayout("nchw"), Layout::kNCHW);
  EXPECT_FALSE(ParseLayout("CHW").ok());
}

TEST(TensorDescTest, ValidateRejectsInconsistentDescriptions) {
  TensorDesc good = Make(TensorType::kF32, Layout::kNCHW, {1, 3, 5, 7});
  TensorDesc d = good;
  d.stride[2] = 28;
  EXPECT_FALSE(ValidateTensorDesc(d).ok());
  d = good;
  d.aligned_byte_size += 4;
  EXPECT_FALSE(ValidateTensorDesc(d).ok());
  d = good;
  d.aligned_shape[3] = 6;
  EXPECT_FALSE(ValidateTensorDesc(d).ok());
  d = good;
  d.aligned_shape[1] = 4;  // only the row dimension may be padded
  d.stride = {640, 160, 32, 4};
  d.aligned_byte_size = 640;
  EXPECT_FALSE(ValidateTensorDesc(d).ok());
  d = good;
  d.aligned_shape.pop_back();
  EXPECT_FALSE(ValidateTensorDesc(d).ok());
  TensorDesc nv12 = Make(TensorType::kImgNv12, Layout::kNHWC, {1, 6, 10, 3});
  nv12.stride[0] = 96;
  EXPECT_FALSE(ValidateTensorDesc(nv12).ok());
  d = good;
  d.quant.scale = {0.5f, 0.25f};
  d.quant.axis = -1;
  EXPECT_FALSE(ValidateTensorDesc(d).ok());
  d.quant.axis = 1;
  d.quant.scale = {0.5f, 0.25f, 1.f};
  d.quant.zero_point = {0, 0, 0};
  EXPECT_TRUE(ValidateTensorDesc(d).ok());
}

TEST(TensorDescTest, ToStringNamesEverything) {
  TensorDesc d = Make(TensorType::kImgNv12, Layout::kNHWC, {1, 6, 10, 3});
  std::string s = d.ToString();
  EXPECT_NE(s.find("IMG_NV12"), std::string::npos);
  EXPECT_NE(s.find("1x6x10x3"), std::string::npos);
  EXPECT_NE(s.find("1x6x16x3"), std::string::npos);
  EXPECT_NE(s.find("144 bytes"), std::string::npos);
}

// Products of dimensions that overflow 64 bits are errors, never wrapped sizes.
TEST(TensorDescTest, SizesBeyondSixtyFourBitsAreRejected) {
  const int64_t big = int64_t{1} << 24;
  auto r = MakeTensorDesc("huge", TensorType::kF32, Layout::kNHWC, {big, big, big, 4});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("more bytes than a 64-bit size can count"), std::string::npos)
      << r.status().ToString();
  auto nv12 = MakeTensorDesc("img", TensorType::kImgNv12, Layout::kNHWC, {big, big, big, 1});
  ASSERT_FALSE(nv12.ok());

  // A description as a file could hold it: every dimension <= 2^24 and stride <= 2^40, the
  // strides consistent, but the byte size 2^40 * 2^24 = 2^64 wraps to 0.
  TensorDesc d;
  d.name = "t";
  d.type = TensorType::kF32;
  d.layout = Layout::kNone;
  d.valid_shape = d.aligned_shape = {big, big, int64_t{1} << 14, 1};
  d.stride = {int64_t{1} << 40, int64_t{1} << 16, 4, 4};
  d.aligned_byte_size = 0;
  const Status s = ValidateTensorDesc(d);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("more bytes than a 64-bit size can count"), std::string::npos)
      << s.ToString();
}

}  // namespace
}  // namespace edgert
