// DecodeImageFile (apps/common/image_decode.cc) against OpenCV's cv2.imread(IMREAD_COLOR): every
// case tests/apps/decode_cases.py writes (JPEG subsamplings, gray, progressive, EXIF orientations
// 1..8; PNG color types, palettes, 1- and 16-bit, EXIF; BMP 1/8/24/32-bit, top-down) must decode
// to exactly imread's bytes, and every bad file must fail with a message naming it and the reason.
// The cases come from the host's python (a CTest fixture), also for the aarch64 suite under qemu.
#include "common/image_decode.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace edgert::app {
namespace {

std::string CasesDir() {
  const char* d = std::getenv("EDGERT_DECODE_CASES");
  return d ? d : "";
}

std::vector<std::string> Lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

TEST(ImageDecodeTest, MatchesOpenCvImreadOnEveryCase) {
  const std::string dir = CasesDir();
  ASSERT_FALSE(dir.empty()) << "EDGERT_DECODE_CASES is not set (the decode_cases fixture sets it)";
  const auto cases = Lines(dir + "/cases.txt");
  ASSERT_GE(cases.size(), 30u) << dir << "/cases.txt";
  for (const std::string& line : cases) {
    std::istringstream fields(line);
    std::string name;
    int h = 0, w = 0;
    fields >> name >> h >> w;
    SCOPED_TRACE(name);
    auto img = DecodeImageFile(dir + "/" + name);
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    ASSERT_EQ(img->height, h);
    ASSERT_EQ(img->width, w);
    std::ifstream ref_in(dir + "/" + name + ".bgr", std::ios::binary);
    const std::vector<uint8_t> ref((std::istreambuf_iterator<char>(ref_in)),
                                   std::istreambuf_iterator<char>());
    ASSERT_EQ(img->bgr.size(), ref.size());
    size_t differ = 0, first = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      if (img->bgr[i] != ref[i] && differ++ == 0) first = i;
    EXPECT_EQ(differ, 0u) << "bytes differing from cv2.imread; first at pixel " << first / 3
                          << " (y " << first / 3 / static_cast<size_t>(w) << "): got "
                          << int(img->bgr[first]) << ", imread " << int(ref[first]);
  }
}

TEST(ImageDecodeTest, BadFilesNameTheFileAndTheReason) {
  const std::string dir = CasesDir();
  ASSERT_FALSE(dir.empty()) << "EDGERT_DECODE_CASES is not set (the decode_cases fixture sets it)";
  const auto errors = Lines(dir + "/errors.txt");
  ASSERT_GE(errors.size(), 6u);
  for (const std::string& line : errors) {
    const size_t bar = line.find('|');
    const std::string path = dir + "/" + line.substr(0, bar), want = line.substr(bar + 1);
    auto img = DecodeImageFile(path);
    ASSERT_FALSE(img.ok()) << path << " decoded";
    EXPECT_NE(img.status().message().find(path), std::string::npos) << img.status().ToString();
    EXPECT_NE(img.status().message().find(want), std::string::npos)
        << img.status().ToString() << " lacks '" << want << "'";
  }
}

// Every proper prefix of a JPEG, a PNG and two BMPs (each byte of the headers, then every 5th)
// fails with the file named, and never crashes or reads out of bounds (the ASan suite runs this
// too). imread would return a JPEG cut inside its data, gray-filled; here that is an error.
TEST(ImageDecodeTest, EveryTruncationFailsCleanly) {
  const std::string dir = CasesDir();
  ASSERT_FALSE(dir.empty()) << "EDGERT_DECODE_CASES is not set (the decode_cases fixture sets it)";
  const std::string cut = dir + "/cut.bin";
  for (const char* name : {"color_420.jpg", "palette.png", "palette8.bmp", "rgb24.bmp"}) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_GT(bytes.size(), 100u) << name;
    size_t failed = 0;
    size_t tried = 0;
    for (size_t n = 0; n < bytes.size(); n += n < 256 ? 1 : 5, ++tried) {
      std::ofstream(cut, std::ios::binary | std::ios::trunc)
          .write(bytes.data(), static_cast<std::streamsize>(n));
      auto img = DecodeImageFile(cut);
      if (!img.ok()) {
        ++failed;
        ASSERT_NE(img.status().message().find(cut), std::string::npos) << img.status().ToString();
      }
    }
    // Every proper prefix lacks pixel data, so every one must fail.
    EXPECT_EQ(failed, tried) << name;
  }
}

// A header that claims more than 2^28 pixels is refused before pixels are allocated.
TEST(ImageDecodeTest, HugeDimensionsAreRefused) {
  const std::string dir = CasesDir();
  ASSERT_FALSE(dir.empty()) << "EDGERT_DECODE_CASES is not set (the decode_cases fixture sets it)";
  std::ifstream in(dir + "/rgb24.bmp", std::ios::binary);
  std::string bmp((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const int32_t side = 60000;  // 3.6e9 pixels
  std::memcpy(&bmp[18], &side, 4);
  std::memcpy(&bmp[22], &side, 4);
  const std::string path = dir + "/huge.bmp";
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(bmp.data(), static_cast<std::streamsize>(bmp.size()));
  auto img = DecodeImageFile(path);
  ASSERT_FALSE(img.ok());
  EXPECT_NE(img.status().message().find("larger than 2^28 pixels"), std::string::npos)
      << img.status().ToString();
}

}  // namespace
}  // namespace edgert::app
