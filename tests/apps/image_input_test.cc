// Image files as tool inputs: decode, resize, convert (apps/common/image_input), and bit-identity
// with the numpy reference scripts/preprocess_ref.py (host builds only: the aarch64 sysroot has
// no python).
#include "common/image_input.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "edgert/tensor_io.h"
#include "test_util.h"

namespace edgert::app {
namespace {

// A 24-bit BMP (bottom-up rows padded to 4 bytes), so tests need no encoder.
void WriteBmp(const std::string& path, int w, int h, const std::vector<uint8_t>& bgr) {
  const int row = (3 * w + 3) / 4 * 4;
  const uint32_t size = 54 + static_cast<uint32_t>(row * h);
  std::vector<uint8_t> f(size, 0);
  auto put32 = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  f[0] = 'B';
  f[1] = 'M';
  put32(2, size);
  put32(10, 54);
  put32(14, 40);
  put32(18, static_cast<uint32_t>(w));
  put32(22, static_cast<uint32_t>(h));
  f[26] = 1;   // planes
  f[28] = 24;  // bits per pixel
  put32(34, static_cast<uint32_t>(row * h));
  for (int y = 0; y < h; ++y)
    std::copy_n(&bgr[static_cast<size_t>(3 * w * y)], 3 * w,
                &f[54 + static_cast<size_t>(row * (h - 1 - y))]);
  test::WriteFileBytes(path, f);
}

std::vector<uint8_t> RandomBgr(int w, int h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(static_cast<size_t>(3 * w * h));
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(ImageInputTest, DecodesWithoutResizeExactlyLikeTheRuntimeConversion) {
  const std::string dir = test::TempDir("ImageInputTest_NoResize");
  const auto bgr = RandomBgr(6, 4, 5);
  WriteBmp(dir + "/a.bmp", 6, 4, bgr);
  auto d = *MakeTensorDesc("data", TensorType::kImgNv12, Layout::kNHWC, {1, 4, 6, 3});
  std::string what;
  auto got = LoadImageInput(dir + "/a.bmp", d, ColorRange::kVideo, &what);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::vector<uint8_t> want(static_cast<size_t>(d.aligned_byte_size));
  ASSERT_TRUE(ConvertBgr24ToInput(bgr.data(), 18, 6, 4, ColorRange::kVideo, d, want.data()).ok());
  EXPECT_EQ(*got, want);
  EXPECT_EQ(what, dir +
                      "/a.bmp: decoded 6x4, no resize, converted to IMG_NV12 NHWC bt601_video, "
                      "valid 1x4x6x3 -> aligned 1x4x16x3, padding added");
}

TEST(ImageInputTest, ResizesToTheValidSize) {
  const std::string dir = test::TempDir("ImageInputTest_Resize");
  WriteBmp(dir + "/b.BMP", 10, 7, RandomBgr(10, 7, 6));
  auto d = *MakeTensorDesc("x", TensorType::kImgRgb, Layout::kNCHW, {1, 3, 3, 16});
  std::string what;
  auto got = LoadImageInput(dir + "/b.BMP", d, ColorRange::kFull, &what);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(static_cast<int64_t>(got->size()), d.aligned_byte_size);
  EXPECT_NE(what.find("decoded 10x7, resized to 16x3 (INTER_LINEAR), converted to IMG_RGB NCHW "
                      "regular, valid 1x3x3x16 -> aligned 1x3x3x16, no padding needed"),
            std::string::npos)
      << what;
}

TEST(ImageInputTest, ErrorsNameTheFile) {
  const std::string dir = test::TempDir("ImageInputTest_Errors");
  auto nv12 = *MakeTensorDesc("data", TensorType::kImgNv12, Layout::kNHWC, {1, 4, 6, 3});
  auto missing = LoadImageInput(dir + "/none.jpg", nv12, ColorRange::kFull, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kFileError);
  EXPECT_EQ(missing.status().message(),
            "image file " + dir + "/none.jpg: cannot open: No such file or directory");

  test::WriteFileBytes(dir + "/junk.jpg", {1, 2, 3, 4, 5});
  auto junk = LoadImageInput(dir + "/junk.jpg", nv12, ColorRange::kFull, nullptr);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), StatusCode::kInputError);
  EXPECT_EQ(junk.status().message().rfind(dir + "/junk.jpg: not a JPEG, PNG or BMP file", 0), 0u)
      << junk.status().message();

  WriteBmp(dir + "/ok.bmp", 2, 2, RandomBgr(2, 2, 1));
  auto fm = *MakeTensorDesc("x", TensorType::kF32, Layout::kNCHW, {1, 3, 2, 2});
  auto f = LoadImageInput(dir + "/ok.bmp", fm, ColorRange::kFull, nullptr);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            dir + "/ok.bmp: input 'x' is F32 featuremap; image files feed IMG_* inputs");

  auto batch = *MakeTensorDesc("data", TensorType::kImgBgr, Layout::kNHWC, {2, 2, 2, 3});
  auto b = LoadImageInput(dir + "/ok.bmp", batch, ColorRange::kFull, nullptr);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().message().rfind(dir + "/ok.bmp: input 'data': batch 2", 0), 0u)
      << b.status().message();

  EXPECT_TRUE(IsImageFile("a.JPEG"));
  EXPECT_TRUE(IsImageFile("dir.x/a.png"));
  EXPECT_FALSE(IsImageFile("a.bin"));
  EXPECT_FALSE(IsImageFile("png"));
}

#if defined(EDGERT_PREPROCESS_REF)
struct RefCase {
  const char* type;  // preprocess_ref.py --type
  TensorType tensor_type;
  Layout layout;
  int w, h;
};

// Bit-identity with scripts/preprocess_ref.py on a real JPEG (Debian's opencv-doc), every type,
// layout and range, valid and aligned outputs, resized (even and odd sizes) and not resized.
TEST(ImageInputTest, NumpyReferenceIsBitIdentical) {
  const std::string dir = test::TempDir("ImageInputTest_Numpy");
  const std::string image = EDGERT_REF_IMAGE;
  std::vector<RefCase> cases = {
      {"nv12", TensorType::kImgNv12, Layout::kNHWC, 40, 30},
      {"nv12", TensorType::kImgNv12, Layout::kNHWC, 512, 512},  // the JPEG's own size
      {"nv12", TensorType::kImgNv12, Layout::kNCHW, 64, 48},
      {"y", TensorType::kImgY, Layout::kNHWC, 40, 30},
      {"yuv444", TensorType::kImgYuv444, Layout::kNHWC, 37, 45},
      {"yuv444", TensorType::kImgYuv444, Layout::kNCHW, 37, 45},
      {"rgb", TensorType::kImgRgb, Layout::kNHWC, 37, 45},
      {"rgb", TensorType::kImgRgb, Layout::kNCHW, 37, 45},
      {"bgr", TensorType::kImgBgr, Layout::kNHWC, 33, 20},
      {"bgr", TensorType::kImgBgr, Layout::kNCHW, 33, 20},
      {"gray", TensorType::kImgGray, Layout::kNHWC, 37, 45},
      {"gray", TensorType::kImgGray, Layout::kNCHW, 50, 7},
  };
  // One python process writes every reference (importing cv2 takes about a second).
  std::string py =
      "import sys\nsys.path.insert(0, '" +
      std::string(EDGERT_PREPROCESS_REF).substr(0, std::string(EDGERT_PREPROCESS_REF).rfind('/')) +
      "')\nimport preprocess_ref as p\n";
  auto name = [&](size_t i, const char* range, bool aligned) {
    return dir + "/case" + std::to_string(i) + "_" + range + (aligned ? "_aligned" : "_valid") +
           ".bin";
  };
  for (size_t i = 0; i < cases.size(); ++i)
    for (const char* range : {"regular", "bt601_video"})
      for (bool aligned : {false, true})
        py += "p.to_input_rt('" + image + "', '" + cases[i].type + "', " +
              std::to_string(cases[i].h) + ", " + std::to_string(cases[i].w) + ", '" +
              LayoutName(cases[i].layout) + "', '" + range + "', " + (aligned ? "True" : "False") +
              ").tofile('" + name(i, range, aligned) + "')\n";
  test::WriteFileBytes(dir + "/make_refs.py", std::vector<uint8_t>(py.begin(), py.end()));
  ASSERT_EQ(std::system((std::string(EDGERT_PYTHON) + " " + dir + "/make_refs.py").c_str()), 0);
  // The command line once, for its wiring.
  const std::string cli = std::string(EDGERT_PYTHON) + " " + EDGERT_PREPROCESS_REF + " rt " +
                          image + " --type nv12 --height 30 --width 40 --range bt601_video " +
                          "--aligned -o " + dir + "/cli.bin > /dev/null";
  ASSERT_EQ(std::system(cli.c_str()), 0);
  EXPECT_EQ(test::ReadFileBytes(dir + "/cli.bin"),
            test::ReadFileBytes(name(0, "bt601_video", true)));

  for (size_t i = 0; i < cases.size(); ++i) {
    const RefCase& c = cases[i];
    const int64_t ch =
        (c.tensor_type == TensorType::kImgY || c.tensor_type == TensorType::kImgGray) ? 1 : 3;
    auto d = *MakeTensorDesc("img", c.tensor_type, c.layout,
                             c.layout == Layout::kNCHW ? std::vector<int64_t>{1, ch, c.h, c.w}
                                                       : std::vector<int64_t>{1, c.h, c.w, ch});
    for (ColorRange range : {ColorRange::kFull, ColorRange::kVideo}) {
      SCOPED_TRACE(d.ToString() + " " + ColorRangeName(range));
      auto ours = LoadImageInput(image, d, range, nullptr);
      ASSERT_TRUE(ours.ok()) << ours.status().ToString();
      const auto aligned = test::ReadFileBytes(name(i, ColorRangeName(range), true));
      ASSERT_EQ(aligned.size(), ours->size());
      size_t diff = 0;
      while (diff < aligned.size() && aligned[diff] == (*ours)[diff]) ++diff;
      EXPECT_EQ(diff, aligned.size()) << "first differing byte of the aligned buffer";
      const auto valid = test::ReadFileBytes(name(i, ColorRangeName(range), false));
      ASSERT_EQ(static_cast<int64_t>(valid.size()), d.valid_byte_size());
      std::vector<uint8_t> padded(static_cast<size_t>(d.aligned_byte_size));
      ASSERT_TRUE(PrepareInput(d, valid.data(), valid.size(), padded.data()).ok());
      EXPECT_TRUE(padded == *ours) << "valid reference, padded by PrepareInput, differs";
    }
  }
}
#else
TEST(ImageInputTest, NumpyReferenceIsBitIdentical) {
  GTEST_SKIP() << "needs /usr/bin/python3 and opencv-doc's baboon.jpg (host builds only)";
}
#endif

}  // namespace
}  // namespace edgert::app
