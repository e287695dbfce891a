// --input_file .txt parsing (apps/common/inputs.cc): numbers are converted to the input's type;
// a number that type cannot hold is an input error naming the file, the value and the input.
#include "common/inputs.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

#include "test_util.h"

namespace edgert::app {
namespace {

std::string WriteText(const std::string& dir, const std::string& text) {
  const std::string path = dir + "/in.txt";
  std::ofstream(path) << text;
  return path;
}

TensorDesc Desc(TensorType type) {
  auto d = MakeTensorDesc("x", type, Layout::kNone, {4}, AlignmentRule{1});
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  return *d;
}

TEST(InputsTxtTest, IntegerValuesAtTheEndsOfTheRangeConvert) {
  const std::string dir = test::TempDir("InputsTxtEnds");
  auto u8 = LoadInputFile(WriteText(dir, "0 255 7 1"), Desc(TensorType::kU8));
  ASSERT_TRUE(u8.ok()) << u8.status().ToString();
  EXPECT_EQ(*u8, (std::vector<uint8_t>{0, 255, 7, 1}));
  auto s8 = LoadInputFile(WriteText(dir, "-128 127 -1 0"), Desc(TensorType::kS8));
  ASSERT_TRUE(s8.ok()) << s8.status().ToString();
  EXPECT_EQ(*s8, (std::vector<uint8_t>{0x80, 0x7f, 0xff, 0}));
  auto s32 = LoadInputFile(WriteText(dir, "-2147483648 2147483647 0 5"), Desc(TensorType::kS32));
  ASSERT_TRUE(s32.ok()) << s32.status().ToString();
  int32_t v[4];
  std::memcpy(v, s32->data(), sizeof(v));
  EXPECT_EQ(v[0], INT32_MIN);
  EXPECT_EQ(v[1], INT32_MAX);
  EXPECT_EQ(v[3], 5);
}

// Found by fuzz_input_file: "-2" for a U8 input was converted with undefined behaviour (UBSan:
// "-2 is outside the range of representable values of type 'unsigned char'").
TEST(InputsTxtTest, ValueOutsideTheIntegerTypeIsAnInputError) {
  const std::string dir = test::TempDir("InputsTxtRange");
  const struct {
    TensorType type;
    const char* text;
    const char* value;
  } cases[] = {
      {TensorType::kU8, "1 -2 3 4", "value 1 (-2.000000)"},
      {TensorType::kU8, "1 2 256 4", "value 2 (256.000000)"},
      {TensorType::kS8, "-129 0 0 0", "value 0 (-129.000000)"},
      {TensorType::kS16, "0 0 0 40000", "value 3 (40000.000000)"},
      {TensorType::kS32, "0 3e9 0 0", "value 1 (3000000000.000000)"},
  };
  for (const auto& c : cases) {
    auto r = LoadInputFile(WriteText(dir, c.text), Desc(c.type));
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInputError);
    EXPECT_NE(r.status().message().find(c.value), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(std::string("is out of range for input 'x' of type ") +
                                        TensorTypeName(c.type)),
              std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find(dir + "/in.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace edgert::app
