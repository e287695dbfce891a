// DecodeImageFile (apps/common/image_decode.cc) against OpenCV's cv2.imread(IMREAD_COLOR): every
// case tests/apps/decode_cases.py writes (JPEG subsamplings, gray, progressive, EXIF orientations
// 1..8; PNG color types, palettes, 1- and 16-bit, EXIF; BMP 1/8/24/32-bit, top-down) must decode
// to exactly imread's bytes, and every bad file must fail with a message naming it and the reason.
// The cases come from the host's python (a CTest fixture), also for the aarch64 suite under qemu.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "common/image_decode.h"

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

}  // namespace
}  // namespace edgert::app
