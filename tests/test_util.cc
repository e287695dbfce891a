#include "test_util.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace edgert::test {

std::string TempDir(const std::string& test_name) {
  const char* base = std::getenv("EDGERT_TEST_TMP");
  std::filesystem::path dir = std::filesystem::path(base ? base : "/tmp/edgert_test") / test_name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

ModelDef TinyModel(const std::string& name) {
  ModelDef m;
  m.name = name;
  m.source_sha256 = std::string(64, '0');
  m.compile_config = "model_parameters: {}\n";
  auto in = MakeTensorDesc("data", TensorType::kF32, Layout::kNCHW, {1, 3, 5, 7});
  auto out = MakeTensorDesc("out", TensorType::kF32, Layout::kNCHW, {1, 4, 5, 7});
  EXPECT_TRUE(in.ok() && out.ok());
  TensorDef x{"data_nhwc", TensorType::kF32, {1, 5, 7, 3}, {}, {}};
  TensorDef w{"conv.weight", TensorType::kF32, {4, 3, 3, 3}, {}, {}};
  w.data.resize(4 * 3 * 3 * 3 * sizeof(float));
  for (size_t i = 0; i < w.data.size() / 4; ++i) {
    float v = 0.01f * static_cast<float>(i % 17) - 0.08f;
    std::memcpy(w.data.data() + 4 * i, &v, 4);
  }
  TensorDef b{"conv.bias", TensorType::kF32, {4}, {}, std::vector<uint8_t>(16, 0)};
  TensorDef y{"out_nhwc", TensorType::kF32, {1, 5, 7, 4}, {}, {}};
  TensorDef in_t{"data", TensorType::kF32, {1, 3, 5, 8}, {}, {}};
  TensorDef out_t{"out", TensorType::kF32, {1, 4, 5, 8}, {}, {}};
  m.tensors = {in_t, x, w, b, y, out_t};
  m.nodes.push_back(
      {"data_adapter", "InputAdapter", false, {0}, {1}, {AttrDef::Ints("perm", {0, 2, 3, 1})}, ""});
  m.nodes.push_back({"conv",
                     "Conv2D",
                     false,
                     {1, 2, 3},
                     {4},
                     {AttrDef::Ints("pads", {1, 1, 1, 1}), AttrDef::Ints("strides", {1, 1})},
                     "Conv"});
  m.nodes.push_back(
      {"out_adapter", "OutputAdapter", false, {4}, {5}, {AttrDef::Ints("perm", {0, 3, 1, 2})}, ""});
  m.inputs.push_back({*in, 0, {}});
  m.outputs.push_back({*out, 5, {}});
  return m;
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

int RunToolMain(int (*tool)(int, char**, std::ostream&), std::vector<std::string> args,
                std::string* out) {
  args.insert(args.begin(), "tool");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream os;
  const int rc = tool(static_cast<int>(argv.size()), argv.data(), os);
  *out = os.str();
  return rc;
}

int RunToolMain(int (*tool)(int, char**, std::ostream&), std::vector<std::string> args,
                std::string* out, std::string* err) {
  ::testing::internal::CaptureStderr();
  const int rc = RunToolMain(tool, std::move(args), out);
  *err = ::testing::internal::GetCapturedStderr();
  return rc;
}

::testing::AssertionResult IsUsageErrorNaming(int (*tool)(int, char**, std::ostream&),
                                              std::vector<std::string> args,
                                              const std::string& flag) {
  std::string out, err;
  const int rc = RunToolMain(tool, std::move(args), &out, &err);
  if (rc != 2)
    return ::testing::AssertionFailure() << "exit code " << rc << ", not 2; stderr:\n" << err;
  if (err.find("'" + flag + "'") == std::string::npos)
    return ::testing::AssertionFailure() << "stderr does not name '" << flag << "':\n" << err;
  return ::testing::AssertionSuccess();
}

PageEndBuffer::PageEndBuffer(size_t size) : size_(size) {
  page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  total_ = (size + page_ - 1) / page_ * page_ + page_;
  base_ = static_cast<uint8_t*>(
      mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  EXPECT_NE(base_, MAP_FAILED);
  mprotect(base_ + total_ - page_, page_, PROT_NONE);
}

PageEndBuffer::~PageEndBuffer() { munmap(base_, total_); }

}  // namespace edgert::test
