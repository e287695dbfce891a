// The tools against hostile files and flags (issue 15): no abort, no unbounded read, no write
// through a planted symlink or over a device, and a clear error (exit 1, or 2 for flags) instead.
// Files are directories, FIFOs, /dev/zero and sparse files (no disk is used), all in a temp dir.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/cli.h"
#include "common/file_read.h"
#include "edgert/model_writer.h"
#include "edgert_internal/file_io.h"
#include "infer/infer.h"
#include "model_info/model_info.h"
#include "perf/perf.h"
#include "test_util.h"

namespace edgert::app {
namespace {

namespace fs = std::filesystem;

class ToolsHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::TempDir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    model_ = dir_ + "/tiny.bin";
    ASSERT_TRUE(WriteModelFile(model_, {test::TinyModel()}).ok());
    // 1x3x5x7 F32: 420 bytes valid, 480 aligned.
    test::WriteFileBytes(dir_ + "/x.bin", std::vector<uint8_t>(420, 0));
  }
  std::string Fifo(const std::string& name) {
    const std::string p = dir_ + "/" + name;
    EXPECT_EQ(::mkfifo(p.c_str(), 0600), 0) << p;
    return p;
  }
  // A sparse file of `size` bytes: costs no disk, but reading it whole would take `size` RAM.
  std::string Sparse(const std::string& name, off_t size) {
    const std::string p = dir_ + "/" + name;
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, size), 0);
    ::close(fd);
    return p;
  }
  // infer --dump_intermediate 1 of model_ on x.bin into dir_/d; returns its index.json.
  nlohmann::json DumpIntermediates() {
    std::string out, err;
    EXPECT_EQ(test::RunToolMain(RunInfer,
                                {"--model_file", model_, "--input_file", dir_ + "/x.bin",
                                 "--dump_intermediate", "1", "--output_dir", dir_ + "/d"},
                                &out, &err),
              kExitOk)
        << err;
    const auto index = test::ReadFileBytes(dir_ + "/d/intermediate/index.json");
    return nlohmann::json::parse(std::string(index.begin(), index.end()), nullptr, false);
  }
  std::string dir_, model_;
};

TEST_F(ToolsHardeningTest, ReadFileRefusesWhatIsNotARegularFileBeforeReading) {
  auto d = ReadFile(dir_);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find(dir_ + ": is a directory, not a regular file"),
            std::string::npos)
      << d.status().message();
  auto z = ReadFile("/dev/zero");
  ASSERT_FALSE(z.ok());
  EXPECT_NE(z.status().message().find("/dev/zero: is a character device"), std::string::npos)
      << z.status().message();
  // A FIFO with no writer: opening it for reading would block forever.
  auto f = ReadFile(Fifo("fifo"));
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("is a FIFO"), std::string::npos) << f.status().message();
  auto big = ReadFile(Sparse("big.bin", off_t{1} << 30), 4096, "the 4096 bytes it may have");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("1073741824 bytes, more than the 4096 bytes it may have"),
            std::string::npos)
      << big.status().message();
  auto missing = ReadFile(dir_ + "/nope.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.bin: cannot open"), std::string::npos);
  test::WriteFileBytes(dir_ + "/ok.bin", {1, 2, 3});
  auto ok = ReadFile(dir_ + "/ok.bin", 3);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, (std::vector<uint8_t>{1, 2, 3}));
}

// Each was an abort (a directory), an endless read (/dev/zero) or a 1 GB read (29 s) before.
TEST_F(ToolsHardeningTest, InferInputFileThatIsNotAnInputIsAClearErrorAtOnce) {
  const std::string big = Sparse("big.bin", off_t{1} << 30);
  const std::string fifo = Fifo("fifo.bin");
  for (const auto& [file, message] : std::vector<std::pair<std::string, std::string>>{
           {dir_, "is a directory, not a regular file"},
           {dir_ + "/", "is a directory, not a regular file"},
           {"/dev/zero", "/dev/zero: is a character device, not a regular file"},
           {fifo, "is a FIFO, not a regular file"},
           {big, "1073741824 bytes, more than input 'data' takes (420 bytes valid or 480 aligned)"},
       }) {
    std::string out, err;
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(
        test::RunToolMain(RunInfer, {"--model_file", model_, "--input_file", file}, &out, &err),
        kExitFailure)
        << file << "\n"
        << err;
    EXPECT_NE(err.find(message), std::string::npos) << file << "\n" << err;
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 20)
        << file;
  }
}

TEST_F(ToolsHardeningTest, WriteFileAtomicRefusesToReplaceWhatIsNotARegularFile) {
  // A FIFO stands in for a device node such as /dev/null (which a test must never touch).
  const std::string fifo = Fifo("out.bin");
  const std::string link = dir_ + "/link.bin";
  fs::create_symlink(fifo, link);
  for (const std::string& target : {fifo, link, dir_}) {
    Status s = WriteFileAtomic(target, "abc", 3);
    ASSERT_FALSE(s.ok()) << target;
    EXPECT_NE(s.message().find("not a regular file; refusing to replace it"), std::string::npos)
        << s.message();
  }
  struct stat st;
  ASSERT_EQ(::lstat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "the FIFO was replaced";
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the symlink was replaced";
  // The model compiler's --output and infer's dumps go through the same function.
  std::string out, err;
  EXPECT_EQ(test::RunToolMain(RunInfer,
                              {"--model_file", model_, "--input_file", dir_ + "/x.bin",
                               "--dump_raw", "--output_dir", dir_ + "/dump"},
                              &out, &err),
            kExitOk)
      << err;
  const std::string dump = dir_ + "/dump/model_infer_output_0_out.aligned.bin";
  ASSERT_TRUE(fs::remove(dump));
  ASSERT_EQ(::mkfifo(dump.c_str(), 0600), 0);
  EXPECT_EQ(test::RunToolMain(RunInfer,
                              {"--model_file", model_, "--input_file", dir_ + "/x.bin",
                               "--dump_raw", "--output_dir", dir_ + "/dump"},
                              &out, &err),
            kExitFailure);
  EXPECT_NE(err.find("is a FIFO, not a regular file"), std::string::npos) << err;
}

TEST_F(ToolsHardeningTest, NoWriteGoesThroughASymlinkPlantedAtATemporaryName) {
  const std::string victim = dir_ + "/victim.txt";
  test::WriteFileBytes(victim, {'k', 'e', 'e', 'p'});
  const std::string target = dir_ + "/model.bin";
  // The name the old code used (<file>.tmp.<pid>), and any name OpenNewFile is given.
  const std::string planted = target + ".tmp." + std::to_string(::getpid());
  fs::create_symlink(victim, planted);
  EXPECT_LT(OpenNewFile(planted), 0);
  EXPECT_EQ(errno, EEXIST);
  ASSERT_TRUE(WriteFileAtomic(target, "new", 3).ok());
  EXPECT_EQ(test::ReadFileBytes(victim), (std::vector<uint8_t>{'k', 'e', 'e', 'p'}));
  EXPECT_EQ(test::ReadFileBytes(target), (std::vector<uint8_t>{'n', 'e', 'w'}));
  // No temporary file is left behind: the folder holds the victim, the planted link, the
  // target and the fixture's files.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"model.bin", fs::path(planted).filename().string(),
                                             "tiny.bin", "victim.txt", "x.bin"}));
}

TEST_F(ToolsHardeningTest, ThreadAndCoreFlagsAreRangeChecked) {
  const std::string max = std::to_string(4 * OnlineCpus());
  struct Case {
    int (*tool)(int, char**, std::ostream&);
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {RunPerf, {"--core_id", "99999999999"}, "--core_id takes a comma list of CPU numbers"},
           {RunPerf, {"--core_id", "99999"}, "--core_id: CPU 99999 is not one this process may"},
           {RunPerf, {"--intra_threads", "1024"}, "--intra_threads must be in 1.." + max},
           {RunPerf, {"--thread_num", "1024"}, "--thread_num must be in 1.." + max},
           {RunPerf, {"--warmup", "99999999999999999999"}, "--warmup takes frames"},
           {RunInfer,
            {"--input_file", "x.bin", "--intra_threads", "1024"},
            "--intra_threads must be in 1.." + max},
       }) {
    std::vector<std::string> args = {"--model_file", model_};
    args.insert(args.end(), c.args.begin(), c.args.end());
    std::string out, err;
    EXPECT_EQ(test::RunToolMain(c.tool, args, &out, &err), kExitUsage) << c.args[0] << "\n" << err;
    EXPECT_NE(err.find(c.message), std::string::npos) << err;
  }
}

TEST(RunToolTest, AnEscapedExceptionIsExitOneWithItsMessage) {
  ToolSteps steps;
  steps.work = []() -> int { throw std::runtime_error("boom from work"); };
  const ToolInfo info{"thrower", "", ""};
  po::options_description none;
  char arg0[] = "thrower";
  char* argv[] = {arg0, nullptr};
  ::testing::internal::CaptureStderr();
  const int rc = RunTool(1, argv, info, none, steps);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, kExitFailure);
  EXPECT_NE(err.find("thrower: internal error (please report it): boom from work"),
            std::string::npos)
      << err;
}

// A node named with a byte that is not UTF-8 (an old compiler, a hand-made .bin): every JSON
// writer replaces it with U+FFFD instead of aborting in nlohmann::json::dump.
TEST_F(ToolsHardeningTest, JsonWritersSurviveNamesThatAreNotUtf8) {
  ModelDef m = test::TinyModel(
      "bad\xff"
      "name");
  m.nodes[1].name = "conv\xff\xfe";
  ASSERT_TRUE(WriteModelFile(model_, {m}).ok());
  const std::string kReplaced = "conv\xef\xbf\xbd\xef\xbf\xbd";  // two U+FFFD
  std::string out, err;
  ASSERT_EQ(test::RunToolMain(RunModelInfo, {"--model_file", model_, "--json"}, &out, &err),
            kExitOk)
      << err;
  EXPECT_NE(out.find(kReplaced), std::string::npos) << out;
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
  ASSERT_EQ(test::RunToolMain(RunPerf,
                              {"--model_file", model_, "--frame_count", "2", "--json",
                               "--profile_path", dir_ + "/prof"},
                              &out, &err),
            kExitOk)
      << err;
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded()) << out;
  const auto prof = test::ReadFileBytes(dir_ + "/prof/profile.json");
  EXPECT_NE(std::string(prof.begin(), prof.end()).find(kReplaced), std::string::npos);
  const nlohmann::json j = DumpIntermediates();
  EXPECT_EQ(j["nodes"][1]["node"].get<std::string>(), kReplaced);
}

// "conv/x" and "conv_x" both sanitize to "conv_x": the second dump gets "conv_x_2", and
// index.json maps each node to its own file (before, the second overwrote the first).
TEST_F(ToolsHardeningTest, IntermediateDumpNamesThatClashGetASuffix) {
  ModelDef m = test::TinyModel();
  m.nodes[0].name = "conv/x";  // the input adapter: 1x5x7x3 F32
  m.nodes[1].name = "conv_x";  // the conv: 1x5x7x4 F32
  ASSERT_TRUE(WriteModelFile(model_, {m}).ok());
  const nlohmann::json j = DumpIntermediates();
  const std::string inter = dir_ + "/d/intermediate/";
  ASSERT_EQ(j["nodes"].size(), 3u);
  EXPECT_EQ(j["nodes"][0]["node"], "conv/x");
  EXPECT_EQ(j["nodes"][0]["file"], "conv_x.bin");
  EXPECT_EQ(j["nodes"][1]["node"], "conv_x");
  EXPECT_EQ(j["nodes"][1]["file"], "conv_x_2.bin");
  EXPECT_EQ(fs::file_size(inter + "conv_x.bin"), 1u * 5 * 7 * 3 * 4);
  EXPECT_EQ(fs::file_size(inter + "conv_x_2.bin"), 1u * 5 * 7 * 4 * 4);
}

}  // namespace
}  // namespace edgert::app
