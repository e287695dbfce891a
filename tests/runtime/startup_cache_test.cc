// The start-up cache (OpenOptions::cache_dir, SessionOptions::cache_dir): a second process-like
// start reads what the first wrote, gives bit-identical results to a session without a cache,
// and never trusts a changed model file or a corrupt, truncated or foreign cache file.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "edgert/model.h"
#include "edgert/session.h"
#include "engine/kernel.h"
#include "engine_test_util.h"
#include "test_util.h"

namespace edgert::test {
namespace {

// Two convolutions oneDNN takes where it is built in (x86-64): 3x3 16->32 and 1x1 32->32.
ModelDef TwoConvs() {
  GraphBuilder g("cached");
  const int x = g.Input("x", {1, 6, 6, 16});
  const int w1 = g.Const("w1", {32, 3, 3, 16}, RandomFloats(32 * 9 * 16, 1));
  const int b1 = g.Const("b1", {32}, RandomFloats(32, 2));
  const int w2 = g.Const("w2", {32, 1, 1, 32}, RandomFloats(32 * 32, 3));
  const int h = g.Tensor("h", {1, 6, 6, 32});
  const int y = g.Tensor("y", {1, 6, 6, 32});
  g.Node("Conv2D", {x, w1, b1}, {h},
         {AttrDef::Ints("pads", {1, 1, 1, 1}), AttrDef::Float("activation_min", 0.f)});
  g.Node("Conv2D", {h, w2, -1}, {y});
  g.Output("y", y);
  return g.def();
}

struct Started {
  std::vector<std::string> load_phases;
  WeightCacheReport cache;
  std::vector<float> out;
};

// Opens `path` and runs it once, as a process start would.
Started Start(const std::string& path, const std::string& cache_dir) {
  Started r;
  auto file = ModelFile::Open(path, {cache_dir});
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return r;
  for (const PhaseTiming& p : (*file)->load_phases()) r.load_phases.push_back(p.phase);
  auto model = (*file)->GetModel();
  EXPECT_TRUE(model.ok());
  SessionOptions options;
  options.cache_dir = cache_dir;
  auto session = Session::Create(*model, options);
  EXPECT_TRUE(session.ok()) << session.status().ToString();
  if (!session.ok()) return r;
  r.cache = (*session)->weight_cache();
  const TensorDesc& in = (*model)->inputs()[0];
  const std::vector<float> x = RandomFloats(in.aligned_byte_size / sizeof(float), 7);
  EXPECT_TRUE((*session)->SetInput(0, x.data(), in.aligned_byte_size).ok());
  EXPECT_TRUE((*session)->Run().ok());
  const TensorDesc& out = (*model)->outputs()[0];
  const auto* y = static_cast<const float*>((*session)->output_data(0));
  r.out.assign(y, y + out.aligned_byte_size / sizeof(float));
  return r;
}

bool Has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The one *.weights file in `dir`.
std::string WeightsFile(const std::string& dir) {
  std::string found;
  DIR* d = opendir(dir.c_str());
  while (dirent* e = d ? readdir(d) : nullptr) {
    const std::string n = e->d_name;
    if (n.size() > 8 && n.compare(n.size() - 8, 8, ".weights") == 0) found = dir + "/" + n;
  }
  if (d) closedir(d);
  return found;
}

// How many convolutions oneDNN packs weights for in TwoConvs: the cache's entries.
size_t ExpectedEntries() { return engine::DnnlProvider() ? 2 : 0; }

class StartupCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    model_ = dir_ + "/model.bin";
    ASSERT_TRUE(WriteModelFile(model_, {TwoConvs()}).ok());
    cache_ = dir_ + "/cache";  // created by the first start
    plain_ = Start(model_, "");
    ASSERT_FALSE(plain_.out.empty());
  }
  std::string dir_, model_, cache_;
  Started plain_;  // no cache: the reference
};

TEST_F(StartupCacheTest, SecondStartReadsWeightsWrittenByTheFirst) {
  const Started first = Start(model_, cache_);
  EXPECT_EQ(first.cache.hits, 0u);
  EXPECT_EQ(first.cache.misses, ExpectedEntries());
  EXPECT_TRUE(first.cache.written) << first.cache.note;
  EXPECT_EQ(first.cache.note, "new");
  EXPECT_EQ(first.out, plain_.out);  // bit for bit

  const Started second = Start(model_, cache_);
  EXPECT_EQ(second.cache.hits, ExpectedEntries());
  EXPECT_EQ(second.cache.misses, 0u);
  EXPECT_FALSE(second.cache.written);
  EXPECT_EQ(second.cache.path, first.cache.path);
  EXPECT_EQ(second.out, plain_.out);
}

TEST_F(StartupCacheTest, CorruptBlobIsRejectedAndRebuilt) {
  if (ExpectedEntries() == 0) GTEST_SKIP() << "no kernel library here packs weights (no oneDNN)";
  Start(model_, cache_);
  const std::string weights = WeightsFile(cache_);
  ASSERT_FALSE(weights.empty());
  std::vector<uint8_t> bytes = ReadFileBytes(weights);
  ASSERT_GT(bytes.size(), 4096u);
  bytes[4096 + 100] ^= 0x5a;  // inside the first blob, which starts on the first page boundary
  WriteFileBytes(weights, bytes);

  const Started damaged = Start(model_, cache_);
  EXPECT_EQ(damaged.cache.rejected, 1u);
  EXPECT_EQ(damaged.cache.hits, ExpectedEntries() - 1);
  EXPECT_TRUE(damaged.cache.written);
  EXPECT_EQ(damaged.out, plain_.out);

  const Started repaired = Start(model_, cache_);
  EXPECT_EQ(repaired.cache.hits, ExpectedEntries());
  EXPECT_EQ(repaired.cache.rejected, 0u);
  EXPECT_EQ(repaired.out, plain_.out);
}

TEST_F(StartupCacheTest, TruncatedOrForeignCacheFileIsIgnored) {
  Start(model_, cache_);
  const std::string weights = WeightsFile(cache_);
  ASSERT_FALSE(weights.empty());
  std::vector<uint8_t> bytes = ReadFileBytes(weights);

  WriteFileBytes(weights, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 200));
  Started s = Start(model_, cache_);
  EXPECT_EQ(s.cache.note, "truncated or corrupt");
  EXPECT_EQ(s.cache.hits, 0u);
  EXPECT_TRUE(s.cache.written);
  EXPECT_EQ(s.out, plain_.out);

  WriteFileBytes(weights, std::vector<uint8_t>(50, 0));
  s = Start(model_, cache_);
  EXPECT_EQ(s.cache.note, "not a cache file");
  EXPECT_EQ(s.out, plain_.out);

  // The same header made for another ISA or library: the environment string differs.
  std::vector<uint8_t> foreign = bytes;
  foreign[48] ^= 1;  // the first byte of the 80-byte environment field
  WriteFileBytes(weights, foreign);
  s = Start(model_, cache_);
  EXPECT_EQ(s.cache.note, "made for another model, library or CPU");
  EXPECT_EQ(s.cache.hits, 0u);
  EXPECT_EQ(s.out, plain_.out);
}

TEST_F(StartupCacheTest, UnwritableFolderCostsOnlyTheSpeedUp) {
  WriteFileBytes(dir_ + "/file", {1, 2, 3});
  const Started s = Start(model_, dir_ + "/file");  // a file where the folder should be
  EXPECT_FALSE(s.cache.written);
  EXPECT_NE(s.cache.note, "");
  EXPECT_EQ(s.out, plain_.out);
  EXPECT_TRUE(Has(s.load_phases, "checksum"));
}

// The checksum stamp: written only for a file unchanged for a few seconds, then standing in for
// the checksum pass until the file changes. An edit in place keeps the inode and can keep size
// and mtime, but not the change time.
TEST_F(StartupCacheTest, ChecksumStampSkipsThePassUntilTheFileChanges) {
  const Started fresh = Start(model_, cache_);
  EXPECT_TRUE(Has(fresh.load_phases, "checksum"));  // just written: not stamped yet
  EXPECT_TRUE(Has(Start(model_, cache_).load_phases, "checksum"));

  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_TRUE(Has(Start(model_, cache_).load_phases, "checksum"));  // verified, now stamped
  EXPECT_TRUE(Has(Start(model_, cache_).load_phases, "checksum_stamp"));

  // Flip one weight byte in place, keeping the size and restoring the modification time.
  struct stat before;
  ASSERT_EQ(stat(model_.c_str(), &before), 0);
  std::vector<uint8_t> bytes = ReadFileBytes(model_);
  const int fd = ::open(model_.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  uint8_t b = bytes[bytes.size() - 8] ^ 0x01;
  ASSERT_EQ(pwrite(fd, &b, 1, static_cast<off_t>(bytes.size() - 8)), 1);
  const struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(futimens(fd, times), 0);
  ::close(fd);
  auto reopened = ModelFile::Open(model_, {cache_});
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.status().message().find("checksum mismatch"), std::string::npos)
      << reopened.status().ToString();
}

}  // namespace
}  // namespace edgert::test
