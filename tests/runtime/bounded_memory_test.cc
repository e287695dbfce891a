// Bounded memory at load (issue 15): Session::Create checks every node's output shapes against
// its op's rule (runtime/src/engine/shape_check.cc) and the arena against the working-memory
// limit (EDGERT_MAX_WORKING_MB) before it allocates anything. Tiny models that claim huge
// activations must fail with a clear error, fast, in little memory: each such case runs in a
// child process that measures its own peak RSS and wall time around the load.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "engine/kernel.h"
#include "engine/shape_check.h"
#include "engine_test_util.h"
#include "model_impl.h"

namespace edgert::test {
namespace {

// Sets an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_, old_.c_str(), 1);
    else
      unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// A /proc/self/status field in kB ("VmHWM", "VmRSS"), or -1.
long StatusKb(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.compare(0, key.size(), key) == 0) return std::atol(line.c_str() + key.size());
  return -1;
}

struct LoadOutcome {
  bool created = false;
  std::string message;
  double seconds = 0;
  long peak_growth_kb = 0;  // peak RSS during the load minus RSS before it
};

// Serializes `def`, loads it and creates a session, in a child process; reports the outcome,
// the wall time and the growth of the peak RSS over the load.
LoadOutcome LoadInChild(const ModelDef& def) {
  int fds[2];
  if (pipe(fds) != 0) return {false, "pipe failed", 0, 0};
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    // Reset the peak to the current RSS (Linux clear_refs "5"); where that is refused, the peak
    // keeps the parent's history and the growth is overstated, never understated.
    if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
      std::fputs("5", f);
      std::fclose(f);
    }
    const long before = StatusKb("VmRSS");
    const auto t0 = std::chrono::steady_clock::now();
    std::string msg;
    bool created = false;
    {
      Result<std::vector<uint8_t>> bytes = SerializeModelFile({def});
      if (!bytes.ok()) {
        msg = "serialize: " + bytes.status().message();
      } else {
        auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), "huge.bin");
        auto model =
            file.ok() ? (*file)->GetModel() : Result<std::shared_ptr<const Model>>(file.status());
        if (!model.ok()) {
          msg = "load: " + model.status().message();
        } else {
          auto session = Session::Create(*model);
          created = session.ok();
          msg = created ? "" : session.status().message();
        }
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const long growth = StatusKb("VmHWM") - before;
    const std::string out = std::to_string(created) + "\n" + std::to_string(s) + "\n" +
                            std::to_string(growth) + "\n" + msg;
    if (write(fds[1], out.data(), out.size()) != static_cast<ssize_t>(out.size())) _exit(3);
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  LoadOutcome o;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    o.message = "the child died (status " + std::to_string(status) + ")";
    return o;
  }
  size_t a = text.find('\n'), b = text.find('\n', a + 1), c = text.find('\n', b + 1);
  o.created = text.substr(0, a) == "1";
  o.seconds = std::atof(text.substr(a + 1, b - a - 1).c_str());
  o.peak_growth_kb = std::atol(text.substr(b + 1, c - b - 1).c_str());
  o.message = text.substr(c + 1);
  return o;
}

void ExpectFastAndSmall(const LoadOutcome& o) {
  EXPECT_LT(o.seconds, 1.0) << o.message;
  EXPECT_LT(o.peak_growth_kb, 100 * 1024) << o.message;
}

// x [1,4] -> Clamp -> y whose shape claims `claimed` elements: an output that does not match
// its producer.
ModelDef ClampClaiming(const std::vector<int64_t>& claimed) {
  GraphBuilder g("huge");
  const int x = g.Input("x", {1, 4});
  const int y = g.Tensor("y", claimed);
  g.Node("Clamp", {x}, {y}, {AttrDef::Float("min", 0.f)});
  g.Output("out", y);
  return g.def();
}

TEST(BoundedMemoryTest, OutputLargerThanItsProducerWritesIsRefusedBeforeAllocation) {
  // 1 GiB of F32 claimed by a Clamp of 4 elements. Before the shape check the session mapped
  // and zero-filled the whole arena before any kernel looked at the shapes.
  const LoadOutcome o = LoadInChild(ClampClaiming({16384, 16384}));
  ASSERT_FALSE(o.created);
  EXPECT_NE(o.message.find("node 1 'Clamp_1' (Clamp)"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("output 'y' has shape 16384x16384, expected 1x4"), std::string::npos)
      << o.message;
  ExpectFastAndSmall(o);
}

TEST(BoundedMemoryTest, ConsistentModelOverTheLimitIsRefusedWithNeedAndLimit) {
  // Shapes that agree, 2 x 256 MiB of activations (input buffer, dense copy, output), against a
  // 64 MiB limit.
  ScopedEnv env("EDGERT_MAX_WORKING_MB", "64");
  GraphBuilder g("big");
  const int x = g.Input("x", {64, 1 << 20});
  const int y = g.Tensor("y", {64, 1 << 20});
  g.Node("Clamp", {x}, {y}, {AttrDef::Float("min", 0.f)});
  g.Output("out", y);
  const LoadOutcome o = LoadInChild(g.def());
  ASSERT_FALSE(o.created);
  EXPECT_NE(o.message.find("needs 256.0 MiB (268435456 bytes), more than 64.0 MiB (67108864 "
                           "bytes) (the working-memory limit: EDGERT_MAX_WORKING_MB"),
            std::string::npos)
      << o.message;
  ExpectFastAndSmall(o);
}

TEST(BoundedMemoryTest, PlannedArenaOverTheLimitIsRefused) {
  // Every buffer alone fits 64 MiB; the input (its dense copy aliases it), the intermediate y
  // and the output z (3 x 24 MiB, live at once) do not.
  ScopedEnv env("EDGERT_MAX_WORKING_MB", "64");
  GraphBuilder g("sum");
  const int x = g.Input("x", {1, 6 << 20});
  const int y = g.Tensor("y", {1, 6 << 20});
  const int z = g.Tensor("z", {1, 6 << 20});
  g.Node("Clamp", {x}, {y}, {AttrDef::Float("min", 0.f)});
  g.Node("Clamp", {y}, {z}, {AttrDef::Float("max", 1.f)});
  g.Output("out", z);
  const LoadOutcome o = LoadInChild(g.def());
  ASSERT_FALSE(o.created);
  EXPECT_NE(o.message.find("the activation arena needs"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("more than 64.0 MiB"), std::string::npos) << o.message;
  ExpectFastAndSmall(o);
}

TEST(BoundedMemoryTest, ModelWithinTheLimitRuns) {
  ScopedEnv env("EDGERT_MAX_WORKING_MB", "1");
  std::vector<std::vector<float>> out;
  ASSERT_TRUE(
      TryRunOp("Clamp", {Var({1, 4}, {-1, 2, -3, 4})}, {{1, 4}}, {AttrDef::Float("min", 0.f)}, &out)
          .ok());
  ExpectClose(out[0], std::vector<double>{0, 2, 0, 4});
}

TEST(BoundedMemoryTest, BadLimitVariableIsAnError) {
  for (const char* bad : {"abc", "0", "-5", "12MB", ""}) {
    ScopedEnv env("EDGERT_MAX_WORKING_MB", bad);
    std::vector<std::vector<float>> out;
    const Status s = TryRunOp("Clamp", {Var({1, 4}, {1, 2, 3, 4})}, {{1, 4}}, {}, &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("EDGERT_MAX_WORKING_MB is '" + std::string(bad) + "'"),
              std::string::npos)
        << s.message();
  }
}

// One node whose output shape contradicts its op: the error names the node and what the rule
// expected.
struct BadShapeCase {
  const char* label;
  const char* op;
  std::vector<OpInput> inputs;
  std::vector<std::vector<int64_t>> outputs;
  std::vector<AttrDef> attrs;
  const char* expect;                            // a substring of the error
  std::vector<std::vector<int64_t>> fixed = {};  // output shapes the rule accepts, if any
};

// Runs the shape rule of a one-node graph directly (CheckNodeShapes), so rules of ops whose
// kernels live elsewhere are tested too. Inputs are plain graph tensors (constants where asked).
Status CheckRule(const std::string& op, const std::vector<OpInput>& inputs,
                 const std::vector<std::vector<int64_t>>& outs, std::vector<AttrDef> attrs) {
  GraphBuilder g(op);
  std::vector<int> in_ids, out_ids;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const OpInput& in = inputs[i];
    const std::string name = "in" + std::to_string(i);
    in_ids.push_back(in.constant ? g.Const(name, in.shape, in.data) : g.Tensor(name, in.shape));
  }
  for (size_t i = 0; i < outs.size(); ++i)
    out_ids.push_back(g.Tensor("y" + std::to_string(i), outs[i]));
  g.Node(op, in_ids, out_ids, std::move(attrs));
  std::shared_ptr<const Model> model = Load(g.def());
  if (!model) return EngineError("model did not load");
  const ModelImpl& m = internal::ModelAccess::Of(*model);
  std::vector<engine::TensorRef> refs(m.tensors.size());
  for (size_t t = 0; t < refs.size(); ++t) {
    refs[t].index = static_cast<int>(t);
    refs[t].name = m.tensors[t].name;
    refs[t].dtype = m.fb->tensors()->Get(static_cast<flatbuffers::uoffset_t>(t))->dtype();
    refs[t].shape = m.tensors[t].shape;
    refs[t].element_size = ElementSize(m.tensors[t].dtype);
    refs[t].constant = m.tensors[t].constant;
  }
  engine::NodeContext c;
  c.index = 0;
  c.node = m.fb->nodes()->Get(0);
  c.op = c.node->op();
  c.name = m.nodes[0].name;
  c.model = &m;
  for (int t : m.nodes[0].inputs) c.inputs.push_back(&refs[static_cast<size_t>(t)]);
  for (int t : m.nodes[0].outputs) c.outputs.push_back(&refs[static_cast<size_t>(t)]);
  return engine::CheckNodeShapes(c);
}

TEST(BoundedMemoryTest, EveryRuleRefusesAWrongOutputShape) {
  const std::vector<float> w8(8, 1.f);
  const std::vector<BadShapeCase> cases = {
      {"conv",
       "Conv2D",
       {Var({1, 4, 4, 1}, {}), Const({2, 3, 3, 1}, std::vector<float>(18, 1.f))},
       {{1, 4, 4, 2}},
       {},
       "expected 1x2x2x2",
       {{1, 2, 2, 2}}},
      {"conv window > input",
       "Conv2D",
       {Var({1, 2, 2, 1}, {}), Const({1, 3, 3, 1}, std::vector<float>(9, 1.f))},
       {{1, 1, 1, 1}},
       {},
       "window of 3 is larger than the padded input 2"},
      {"conv huge dilation",
       "Conv2D",
       {Var({1, 2, 2, 1}, {}), Const({1, 3, 3, 1}, std::vector<float>(9, 1.f))},
       {{1, 1, 1, 1}},
       {AttrDef::Ints("dilations", {INT64_MAX, 1})},
       "overflows 64 bits"},
      {"deconv",
       "ConvTranspose2D",
       {Var({1, 2, 2, 1}, {}), Const({1, 3, 3, 1}, std::vector<float>(9, 1.f))},
       {{1, 2, 2, 1}},
       {AttrDef::Ints("strides", {2, 2})},
       "expected 1x5x5x1",
       {{1, 5, 5, 1}}},
      {"deconv huge stride",
       "ConvTranspose2D",
       {Var({1, 2, 2, 1}, {}), Const({1, 3, 3, 1}, std::vector<float>(9, 1.f))},
       {{1, 2, 2, 1}},
       {AttrDef::Ints("strides", {INT64_MAX, 1})},
       "overflows 64 bits"},
      {"maxpool",
       "MaxPool2D",
       {Var({1, 4, 4, 2}, {})},
       {{1, 4, 4, 2}},
       {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("strides", {2, 2})},
       "expected 1x2x2x2",
       {{1, 2, 2, 2}}},
      {"maxpool negative kernel",
       "MaxPool2D",
       {Var({1, 4, 4, 2}, {})},
       {{1, 4, 4, 2}},
       {AttrDef::Ints("kernel", {-2147483648LL, 2})},
       "kernel -2147483648x2 must be >= 1"},
      {"fc",
       "FullyConnected",
       {Var({3, 4}, {}), Const({2, 4}, w8)},
       {{3, 4}},
       {},
       "expected 3x2",
       {{3, 2}}},
      {"global pool",
       "GlobalAvgPool",
       {Var({1, 4, 4, 2}, {})},
       {{1, 4, 4, 2}},
       {},
       "expected 1x1x1x2",
       {{1, 1, 1, 2}}},
      {"add", "Add", {Var({2, 1}, {}), Var({1, 3}, {})}, {{2, 4}}, {}, "expected 2x3", {{2, 3}}},
      {"add no broadcast",
       "Add",
       {Var({2, 3}, {}), Var({3, 3}, {})},
       {{3, 3}},
       {},
       "do not broadcast"},
      {"unary", "Sigmoid", {Var({2, 3}, {})}, {{3, 2}}, {}, "expected 2x3", {{2, 3}}},
      {"concat",
       "Concat",
       {Var({2, 3}, {}), Var({2, 5}, {})},
       {{2, 9}},
       {AttrDef::Int("axis", 1)},
       "expected 2x8",
       {{2, 8}}},
      {"split",
       "Split",
       {Var({2, 6}, {})},
       {{2, 3}, {2, 4}},
       {AttrDef::Int("axis", 1), AttrDef::Ints("split", {3, 4})},
       "outputs take 7 along axis 1, input has 6"},
      {"slice",
       "Slice",
       {Var({2, 6}, {})},
       {{2, 4}},
       {AttrDef::Ints("starts", {0, 3}), AttrDef::Ints("steps", {1, 1})},
       "4 elements from 3 by step 1 leave the input's 6"},
      {"reshape",
       "Reshape",
       {Var({2, 6}, {})},
       {{2, 7}},
       {},
       "has 56 bytes, input 'in0' 2x6 has 48"},
      {"transpose", "Transpose", {Var({2, 6}, {})}, {{2, 6}}, {}, "expected 6x2", {{6, 2}}},
      {"transpose bad perm",
       "Transpose",
       {Var({2, 6}, {})},
       {{2, 6}},
       {AttrDef::Ints("perm", {0, 0})},
       "is not a permutation"},
      {"pad",
       "Pad",
       {Var({2, 6}, {})},
       {{2, 6}},
       {AttrDef::Ints("pads", {0, 1, 0, 1})},
       "expected 2x8",
       {{2, 8}}},
      {"pad overflow",
       "Pad",
       {Var({2, 6}, {})},
       {{2, 6}},
       {AttrDef::Ints("pads", {0, INT64_MAX, 0, 1})},
       "overflows 64 bits"},
      {"resize",
       "Resize",
       {Var({1, 2, 2, 3}, {})},
       {{1, 4, 4, 2}},
       {AttrDef::String("mode", "nearest")},
       "equal N and C"},
      {"softmax",
       "Softmax",
       {Var({2, 3}, {})},
       {{2, 3}},
       {AttrDef::Int("axis", 2)},
       "axis 2 is out of range for rank 2"},
      {"reduce",
       "ReduceMean",
       {Var({2, 3}, {})},
       {{2, 3}},
       {AttrDef::Ints("axes", {1})},
       "expected 2x1",
       {{2, 1}}},
      {"reduce sum",
       "ReduceSum",
       {Var({2, 3}, {})},
       {{3}},
       {AttrDef::Ints("axes", {1}), AttrDef::Int("keepdims", 0)},
       "expected 2",
       {{2}}},
      {"layernorm",
       "LayerNorm",
       {Var({2, 3}, {}), Const({2}, {1, 1})},
       {{2, 3}},
       {AttrDef::Int("axis", 1)},
       "expected x.shape[axis:] = 3"},
      {"matmul",
       "MatMul",
       {Var({2, 3}, {}), Var({3, 4}, {})},
       {{2, 3}},
       {},
       "expected 2x4",
       {{2, 4}}},
      {"matmul k",
       "MatMul",
       {Var({2, 3}, {}), Var({4, 4}, {})},
       {{2, 4}},
       {},
       "do not multiply (K 3 vs 4)"},
      {"expand", "Expand", {Var({2, 3}, {})}, {{2, 6}}, {}, "does not broadcast to output"},
      {"tile",
       "Tile",
       {Var({2, 3}, {})},
       {{2, 3}},
       {AttrDef::Ints("repeats", {1, 2})},
       "expected 2x6",
       {{2, 6}}},
      {"tile overflow",
       "Tile",
       {Var({2, 3}, {})},
       {{2, 3}},
       {AttrDef::Ints("repeats", {1, INT64_MAX})},
       "overflows 64 bits"},
      {"gelu", "Gelu", {Var({2, 3}, {})}, {{2, 4}}, {}, "expected 2x3", {{2, 3}}},
      {"layernorm ok",
       "LayerNorm",
       {Var({2, 3}, {}), Const({3}, {1, 1, 1})},
       {{2, 4}},
       {AttrDef::Int("axis", 1)},
       "expected 2x3",
       {{2, 3}}},
      {"matmul batch",
       "MatMul",
       {Var({3, 1, 2, 5}, {}), Var({1, 4, 5, 6}, {})},
       {{3, 4, 2, 5}},
       {},
       "expected 3x4x2x6",
       {{3, 4, 2, 6}}},
      {"expand ok",
       "Expand",
       {Var({2, 1}, {})},
       {{3, 4}},
       {},
       "does not broadcast to output",
       {{2, 4}}},
      {"argmax",
       "ArgMax",
       {Var({2, 3}, {})},
       {{2, 1}},
       {AttrDef::Int("axis", 1)},
       "is F32, expected S32"},
      {"where",
       "Where",
       {Var({2, 1}, {}), Var({1, 3}, {}), Var({2, 3}, {})},
       {{2, 2}},
       {},
       "expected 2x3",
       {{2, 3}}},
      {"avgpool ceil",
       "AvgPool2D",
       {Var({1, 5, 5, 1}, {})},
       {{1, 4, 4, 1}},
       {AttrDef::Ints("kernel", {2, 2}), AttrDef::Ints("strides", {2, 2})},
       "expected 1x2x2x1",
       {{1, 3, 3, 1}}},
      {"deconv pads",
       "ConvTranspose2D",
       {Var({1, 1, 1, 1}, {}), Const({1, 1, 1, 1}, {1.f})},
       {{1, 1, 1, 1}},
       {AttrDef::Ints("pads", {1, 0, 0, 0})},
       "pads leave no output"},
      {"pow", "Pow", {Var({2, 3}, {}), Var({2, 3}, {})}, {{2, 4}}, {}, "expected 2x3", {{2, 3}}},
  };
  for (const BadShapeCase& c : cases) {
    SCOPED_TRACE(c.label);
    std::vector<OpInput> inputs = c.inputs;
    for (OpInput& in : inputs)
      if (in.data.empty()) in.data.assign(static_cast<size_t>(Count(in.shape)), 0.5f);
    const Status s = CheckRule(c.op, inputs, c.outputs, c.attrs);
    EXPECT_EQ(s.code(), StatusCode::kEngineError) << s.message();
    EXPECT_NE(s.message().find(std::string("(") + c.op + "): "), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << s.message();
    // The same node with the output shape the rule wants passes.
    if (c.fixed.empty()) continue;
    const Status ok = CheckRule(c.op, inputs, c.fixed, c.attrs);
    EXPECT_TRUE(ok.ok()) << ok.message();
  }
}

// Through the session: the rule runs before the arena exists, and a consistent graph runs.
TEST(BoundedMemoryTest, SessionRunsTheRulesBeforeKernels) {
  std::vector<std::vector<float>> out;
  const Status s = TryRunOp("Transpose", {Var({2, 3}, {1, 2, 3, 4, 5, 6})}, {{2, 3}}, {}, &out);
  EXPECT_EQ(s.code(), StatusCode::kEngineError);
  EXPECT_NE(s.message().find("model 'Transpose': node 1 'Transpose_1' (Transpose): output 'y0' "
                             "has shape 2x3, expected 3x2"),
            std::string::npos)
      << s.message();
  ASSERT_TRUE(TryRunOp("Transpose", {Var({2, 3}, {1, 2, 3, 4, 5, 6})}, {{3, 2}}, {}, &out).ok());
  ExpectClose(out[0], std::vector<double>{1, 4, 2, 5, 3, 6});
}

}  // namespace
}  // namespace edgert::test
