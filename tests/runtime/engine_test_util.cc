#include "engine_test_util.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

namespace edgert::test {

namespace {

std::vector<uint8_t> Bytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(float));
  if (!v.empty()) std::memcpy(b.data(), v.data(), b.size());
  return b;
}

}  // namespace

int64_t Count(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

GraphBuilder::GraphBuilder(std::string name) {
  def_.name = std::move(name);
  def_.source_sha256 = std::string(64, '0');
}

int GraphBuilder::Input(const std::string& name, const std::vector<int64_t>& shape) {
  auto desc = MakeTensorDesc(name, TensorType::kF32, Layout::kNone, shape);
  EXPECT_TRUE(desc.ok()) << desc.status().ToString();
  const int buf = static_cast<int>(def_.tensors.size());
  def_.tensors.push_back({name, TensorType::kF32, desc->aligned_shape, {}, {}});
  def_.inputs.push_back({*desc, buf, {}});
  const int dense = Tensor(name + "_dense", shape);
  Node("InputAdapter", {buf}, {dense});
  return dense;
}

int GraphBuilder::Const(const std::string& name, const std::vector<int64_t>& shape,
                        const std::vector<float>& data) {
  EXPECT_EQ(static_cast<int64_t>(data.size()), Count(shape)) << name;
  def_.tensors.push_back({name, TensorType::kF32, shape, {}, Bytes(data)});
  return static_cast<int>(def_.tensors.size()) - 1;
}

int GraphBuilder::Tensor(const std::string& name, const std::vector<int64_t>& shape) {
  def_.tensors.push_back({name, TensorType::kF32, shape, {}, {}});
  return static_cast<int>(def_.tensors.size()) - 1;
}

void GraphBuilder::Node(const std::string& op, std::vector<int> inputs, std::vector<int> outputs,
                        std::vector<AttrDef> attrs) {
  NodeDef n;
  n.name = op + "_" + std::to_string(def_.nodes.size());
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attrs = std::move(attrs);
  def_.nodes.push_back(std::move(n));
}

void GraphBuilder::Output(const std::string& name, int t) {
  const std::vector<int64_t> shape = def_.tensors[static_cast<size_t>(t)].shape;
  auto desc = MakeTensorDesc(name, TensorType::kF32, Layout::kNone, shape);
  EXPECT_TRUE(desc.ok()) << desc.status().ToString();
  const int buf = static_cast<int>(def_.tensors.size());
  def_.tensors.push_back({name, TensorType::kF32, desc->aligned_shape, {}, {}});
  def_.outputs.push_back({*desc, buf, {}});
  Node("OutputAdapter", {t}, {buf});
}

std::shared_ptr<const Model> Load(const ModelDef& def) {
  auto bytes = SerializeModelFile({def});
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  if (!bytes.ok()) return nullptr;
  auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), def.name + ".bin");
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return nullptr;
  auto model = (*file)->GetModel();
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

Status TryRunOp(const std::string& op, const std::vector<OpInput>& inputs,
                const std::vector<std::vector<int64_t>>& out_shapes, std::vector<AttrDef> attrs,
                std::vector<std::vector<float>>* outputs, const SessionOptions& options) {
  GraphBuilder g(op);
  std::vector<int> ins, outs;
  std::vector<const std::vector<float>*> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const OpInput& in = inputs[i];
    const std::string name = "in" + std::to_string(i);
    if (in.absent) {
      ins.push_back(-1);
    } else if (in.constant) {
      ins.push_back(g.Const(name, in.shape, in.data));
    } else {
      ins.push_back(g.Input(name, in.shape));
      feeds.push_back(&in.data);
    }
  }
  for (size_t i = 0; i < out_shapes.size(); ++i)
    outs.push_back(g.Tensor("y" + std::to_string(i), out_shapes[i]));
  g.Node(op, ins, outs, std::move(attrs));
  for (size_t i = 0; i < outs.size(); ++i) g.Output("out" + std::to_string(i), outs[i]);
  auto model = Load(g.def());
  if (!model) return EngineError("model did not load");
  auto session = Session::Create(model, options);
  if (!session.ok()) return session.status();
  for (size_t i = 0; i < feeds.size(); ++i)
    EDGERT_RETURN_IF_ERROR(
        (*session)->SetInput(i, feeds[i]->data(), feeds[i]->size() * sizeof(float)));
  EDGERT_RETURN_IF_ERROR((*session)->Run());
  outputs->resize(outs.size());
  for (size_t i = 0; i < outs.size(); ++i)
    EDGERT_RETURN_IF_ERROR((*session)->GetOutput(i, &(*outputs)[i]));
  return Status::Ok();
}

std::vector<std::vector<float>> RunOp(const std::string& op, const std::vector<OpInput>& inputs,
                                      const std::vector<std::vector<int64_t>>& out_shapes,
                                      std::vector<AttrDef> attrs, const SessionOptions& options) {
  std::vector<std::vector<float>> outputs;
  Status s = TryRunOp(op, inputs, out_shapes, std::move(attrs), &outputs, options);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) outputs.assign(out_shapes.size(), {});
  return outputs;
}

std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

void ExpectClose(const std::vector<float>& got, const std::vector<double>& want, double atol,
                 double rtol) {
  ASSERT_EQ(got.size(), want.size());
  int misses = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = atol + rtol * std::fabs(want[i]);
    const bool ok = std::fabs(static_cast<double>(got[i]) - want[i]) <= tol ||
                    (std::isinf(want[i]) && static_cast<double>(got[i]) == want[i]);
    if (!ok && ++misses <= 5)
      ADD_FAILURE() << "element " << i << ": got " << got[i] << ", want " << want[i];
  }
  EXPECT_EQ(misses, 0) << misses << " of " << got.size() << " elements differ";
}

void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, double atol,
                 double rtol) {
  ExpectClose(got, std::vector<double>(want.begin(), want.end()), atol, rtol);
}

}  // namespace edgert::test
