// verifier --compare_dir with intermediate/index.json files that are valid JSON but not shaped
// as infer writes them: an error (exit 1) naming the file and the fault, never an abort.
// Found by fuzz_verifier_index (an uncaught nlohmann::json type_error, issue 15 item 1).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "test_util.h"
#include "verifier/verifier.h"

namespace edgert::app {
namespace {

void Write(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

TEST(VerifierIndexTest, WronglyShapedIndexIsAnErrorNamingTheFault) {
  const std::string dir = test::TempDir("VerifierIndexShape");
  const std::string floats(16, '\0');  // 4 float zeros
  const std::string good =
      R"({"nodes": [{"node": "c", "op_type": "Conv2D", "dtype": "F32", "file": "c.bin",
                     "shape": [4]}]})";
  const struct {
    const char* index;
    const char* fault;
  } cases[] = {
      {R"({"nodes": 5})", R"(expected an object with a "nodes" array)"},
      {R"([1, 2])", R"(expected an object with a "nodes" array)"},
      {R"({"nodes": [7]})", "nodes[0] is not an object"},
      {R"({"nodes": [{"node": 5, "op_type": "Conv2D", "dtype": "F32", "file": "c.bin",
                      "shape": [4]}]})",
       R"(nodes[0]: "node" is not a string)"},
      {R"({"nodes": [{"node": "c", "dtype": "F32", "shape": [4]}]})", R"(nodes[0] has no "file")"},
      {R"({"nodes": [{"node": "c", "op_type": "Conv2D", "dtype": "F32", "file": "c.bin",
                      "shape": ["4"]}]})",
       R"(nodes[0] ('c'): "shape" holds "4", not a non-negative integer)"},
      {R"({"nodes": [{"node": "c", "op_type": "Conv2D", "dtype": "F32", "file": "c.bin",
                      "shape": [4], "source_op": 3}]})",
       R"(nodes[0]: "source_op" is not a string)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.index);
    Write(dir + "/a/out.bin", floats);
    Write(dir + "/b/out.bin", floats);
    Write(dir + "/a/intermediate/c.bin", floats);
    Write(dir + "/b/intermediate/c.bin", floats);
    Write(dir + "/a/intermediate/index.json", good);
    Write(dir + "/b/intermediate/index.json", c.index);
    std::string out, err;
    EXPECT_EQ(test::RunToolMain(RunVerifier, {"--compare_dir", dir + "/a", dir + "/b"}, &out, &err),
              1);
    EXPECT_NE((out + err).find(dir + "/b/intermediate/index.json"), std::string::npos)
        << out << err;
    EXPECT_NE((out + err).find(c.fault), std::string::npos) << out << err;
  }
}

}  // namespace
}  // namespace edgert::app
