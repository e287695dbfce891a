// Runs the ONNX backend node tests shipped in Debian's libonnx-testdata through
// model_compiler and the engine and compares with their output_*.pb.
//
// A test is *applicable* when every op in its graph has an entry in the compiler's op table
// (model_compiler/lower/op_table.h) covering the model's opset. Each applicable test must pass,
// or be listed in node_skips.txt with a one-line reason. Inputs that the table says edgert reads
// at compile time (weights, shapes, pads, scales...) are baked into the graph as initializers
// from the test's own input_*.pb, since compiled models are static.
//
// By default it runs three suites: data/node, data/pytorch-converted and data/pytorch-operator,
// and prints passed/failed/skipped counts per suite and over all three.
//
//   node_conformance [--data_dir DIR]... [--skips FILE] [--filter SUBSTR] [--verbose]
// Exit code 0 when no applicable test fails.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "edgert/model.h"
#include "edgert/model_writer.h"
#include "edgert/session.h"
#include "model_compiler/compiler.h"
#include "model_compiler/lower/op_table.h"
#include "onnx_tensor.h"

namespace fs = std::filesystem;

namespace edgert::test {
namespace {

constexpr float kRtol = 1e-4f;
constexpr float kAtol = 1e-5f;

struct Outcome {
  enum Kind { kPass, kFail, kSkip, kNotApplicable } kind;
  std::string detail;
};

std::map<std::string, std::string> LoadSkips(const std::string& path) {
  std::map<std::string, std::string> skips;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream is(line);
    std::string name, reason;
    is >> name;
    std::getline(is, reason);
    reason.erase(0, reason.find_first_not_of(" \t"));
    skips[name] = reason;
  }
  return skips;
}

// Integer and bool data: the IR narrows INT64 to S32 (IR.md "Tensors and layout"), so int64
// values outside int32 cannot be fed or expected; `what` names the tensor.
Status CheckInt32Range(const std::vector<int64_t>& v, const std::string& what) {
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] < INT32_MIN || v[i] > INT32_MAX)
      return Unsupported(what + " value " + std::to_string(v[i]) + " at " + std::to_string(i) +
                         " is outside int32 (the IR narrows INT64 to S32)");
  return Status::Ok();
}

template <typename T>
void PutAll(const std::vector<int64_t>& v, std::vector<uint8_t>* out) {
  out->resize(v.size() * sizeof(T));
  for (size_t i = 0; i < v.size(); ++i) {
    const T x = static_cast<T>(v[i]);
    std::memcpy(out->data() + i * sizeof(T), &x, sizeof(T));
  }
}

// Test data `t` as the valid-size bytes of a compiled input of type `type`.
Result<std::vector<uint8_t>> InputBytes(const onnx::TensorProto& t, TensorType type,
                                        const std::string& name) {
  std::vector<uint8_t> bytes;
  if (type == TensorType::kF32) {
    auto f = ToFloat(t);
    if (!f.ok()) return f.status();
    bytes.resize(f->values.size() * sizeof(float));
    if (!bytes.empty()) std::memcpy(bytes.data(), f->values.data(), bytes.size());
    return bytes;
  }
  if (type == TensorType::kF16) {
    if (t.data_type() != onnx::TensorProto::FLOAT16)
      return Unsupported("input '" + name + "' is F16 but its data is not FLOAT16");
    const std::vector<uint16_t> h = HalfBits(t);
    bytes.resize(h.size() * 2);
    if (!bytes.empty()) std::memcpy(bytes.data(), h.data(), bytes.size());
    return bytes;
  }
  auto v = ToInts(t);
  if (!v.ok()) return v.status();
  EDGERT_RETURN_IF_ERROR(CheckInt32Range(*v, "input '" + name + "'"));
  switch (type) {
    case TensorType::kS32:
      PutAll<int32_t>(*v, &bytes);
      break;
    case TensorType::kS16:
      PutAll<int16_t>(*v, &bytes);
      break;
    case TensorType::kS8:
      PutAll<int8_t>(*v, &bytes);
      break;
    case TensorType::kU8:
      PutAll<uint8_t>(*v, &bytes);
      break;
    default:
      return Unsupported("input '" + name + "' has a type the harness does not feed");
  }
  return bytes;
}

// An integer output's values, exactly: the valid elements of the aligned buffer, by stride.
std::vector<int64_t> OutputInts(const TensorDesc& d, const void* aligned) {
  const auto* base = static_cast<const uint8_t*>(aligned);
  const size_t rank = d.valid_shape.size();
  std::vector<int64_t> out, idx(rank, 0);
  const int64_t n = d.element_count();
  for (int64_t e = 0; e < n; ++e) {
    int64_t off = 0;
    for (size_t k = 0; k < rank; ++k) off += idx[k] * d.stride[k];
    const uint8_t* p = base + off;
    switch (d.type) {
      case TensorType::kS32: {
        int32_t x;
        std::memcpy(&x, p, 4);
        out.push_back(x);
        break;
      }
      case TensorType::kS16: {
        int16_t x;
        std::memcpy(&x, p, 2);
        out.push_back(x);
        break;
      }
      case TensorType::kS8:
        out.push_back(static_cast<int8_t>(*p));
        break;
      default:
        out.push_back(*p);
        break;
    }
    for (size_t k = rank; k-- > 0;) {
      if (++idx[k] < d.valid_shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

Outcome RunOne(const fs::path& dir, const std::string& tmp_dir, bool verbose) {
  onnx::ModelProto model;
  {
    std::ifstream f(dir / "model.onnx", std::ios::binary);
    if (!model.ParseFromIstream(&f)) return {Outcome::kFail, "cannot parse model.onnx"};
  }
  int64_t opset = 0;
  for (const auto& os : model.opset_import())
    if (os.domain().empty() || os.domain() == "ai.onnx") opset = os.version();
  std::set<std::string> unsupported;
  for (const auto& n : model.graph().node()) {
    const compiler::OnnxOp* op = compiler::FindOnnxOp(n.op_type());
    if (!op || opset < op->opset_min || opset > op->opset_max) unsupported.insert(n.op_type());
  }
  if (!unsupported.empty()) return {Outcome::kNotApplicable, *unsupported.begin()};

  // Which graph inputs must become constants.
  std::set<std::string> to_bake;
  for (const auto& n : model.graph().node())
    for (const compiler::ConstInput& c : compiler::FindOnnxOp(n.op_type())->const_inputs)
      if (c.index < n.input_size() && !n.input(c.index).empty()) to_bake.insert(n.input(c.index));
  std::vector<fs::path> sets;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return {Outcome::kFail, "no test_data_set_*"};

  std::string worst;
  for (const fs::path& set : sets) {
    onnx::ModelProto m = model;
    auto* graph = m.mutable_graph();
    std::map<std::string, onnx::TensorProto> feeds;
    google::protobuf::RepeatedPtrField<onnx::ValueInfoProto> kept;
    int idx = 0;
    for (const auto& in : model.graph().input()) {
      bool is_init = false;
      for (const auto& init : model.graph().initializer()) is_init |= init.name() == in.name();
      if (is_init) {
        *kept.Add() = in;
        continue;
      }
      auto t = ReadTensorProto((set / ("input_" + std::to_string(idx++) + ".pb")).string());
      if (!t.ok()) return {Outcome::kFail, t.status().ToString()};
      if (to_bake.count(in.name())) {
        onnx::TensorProto init = *t;
        init.set_name(in.name());
        *graph->add_initializer() = init;
        // It stays a graph input too: before IR version 4 the checker wants every initializer
        // listed there (test_Embedding), and the compiler takes such an input as a constant.
        *kept.Add() = in;
        continue;
      }
      *kept.Add() = in;
      feeds[in.name()] = *t;
    }
    *graph->mutable_input() = kept;
    const std::string onnx_path = tmp_dir + "/model.onnx";
    {
      std::ofstream f(onnx_path, std::ios::binary | std::ios::trunc);
      m.SerializeToOstream(&f);
    }
    compiler::CompileConfig config;
    auto def = compiler::CompileOnnxFile(onnx_path, config);
    if (!def.ok()) return {Outcome::kFail, "compile: " + def.status().ToString()};
    auto bytes = SerializeModelFile({*def});
    if (!bytes.ok()) return {Outcome::kFail, "serialize: " + bytes.status().ToString()};
    auto file = ModelFile::FromBytes(bytes->data(), bytes->size(), dir.filename().string());
    if (!file.ok()) return {Outcome::kFail, "load: " + file.status().ToString()};
    auto session = Session::Create(*(*file)->GetModel());
    if (!session.ok()) return {Outcome::kFail, "session: " + session.status().ToString()};
    const Model& cm = (*session)->model();
    for (size_t i = 0; i < cm.input_count(); ++i) {
      const auto& desc = cm.inputs()[i];
      auto it = feeds.find(desc.name);
      if (it == feeds.end()) return {Outcome::kFail, "no data for input '" + desc.name + "'"};
      auto bytes = InputBytes(it->second, desc.type, desc.name);
      if (!bytes.ok()) return {Outcome::kFail, bytes.status().ToString()};
      Status s = (*session)->SetInput(i, bytes->data(), bytes->size());
      if (!s.ok()) return {Outcome::kFail, s.ToString()};
    }
    if (Status s = (*session)->Run(); !s.ok()) return {Outcome::kFail, "run: " + s.ToString()};
    for (int o = 0; o < model.graph().output_size(); ++o) {
      auto t = ReadTensorProto((set / ("output_" + std::to_string(o) + ".pb")).string());
      if (!t.ok()) return {Outcome::kFail, t.status().ToString()};
      auto want = ToFloat(*t);
      if (!want.ok()) return {Outcome::kFail, want.status().ToString()};
      const std::string& name = model.graph().output(o).name();
      size_t oi = cm.output_count();
      for (size_t k = 0; k < cm.output_count(); ++k)
        if (cm.outputs()[k].name == name) oi = k;
      if (oi == cm.output_count()) return {Outcome::kFail, "missing output '" + name + "'"};
      if (IsIntegerType(t->data_type())) {  // integer and bool outputs compare exactly
        const TensorDesc& desc = cm.outputs()[oi];
        auto exp = ToInts(*t);
        if (!exp.ok()) return {Outcome::kFail, exp.status().ToString()};
        if (Status s = CheckInt32Range(*exp, "expected output '" + name + "'"); !s.ok())
          return {Outcome::kFail, s.ToString()};
        if (desc.type == TensorType::kF32)
          return {Outcome::kFail, "output '" + name + "' is an integer type but compiled as F32"};
        if (desc.valid_shape != want->dims && !(want->dims.empty() && desc.element_count() == 1))
          return {Outcome::kFail, "output '" + name + "' shape " + ShapeToString(desc.valid_shape) +
                                      ", expected " + ShapeToString(want->dims)};
        const std::vector<int64_t> got = OutputInts(desc, (*session)->output_data(oi));
        if (got.size() != exp->size())
          return {Outcome::kFail, "output '" + name + "' has " + std::to_string(got.size()) +
                                      " values, expected " + std::to_string(exp->size())};
        for (size_t i = 0; i < got.size(); ++i)
          if (got[i] != (*exp)[i])
            return {Outcome::kFail, "output '" + name + "': element " + std::to_string(i) + " is " +
                                        std::to_string(got[i]) + ", expected " +
                                        std::to_string((*exp)[i]) + " (exact)"};
        continue;
      }
      std::vector<float> got;
      if (Status s = (*session)->GetOutput(oi, &got); !s.ok())
        return {Outcome::kFail, s.ToString()};
      if (cm.outputs()[oi].valid_shape != want->dims && !(want->dims.empty() && got.size() == 1))
        return {Outcome::kFail, "output '" + name + "' shape " +
                                    ShapeToString(cm.outputs()[oi].valid_shape) + ", expected " +
                                    ShapeToString(want->dims)};
      if (got.size() != want->values.size())
        return {Outcome::kFail, "output '" + name + "' has " + std::to_string(got.size()) +
                                    " values, expected " + std::to_string(want->values.size())};
      size_t bad = 0, first_bad = 0;
      double max_err = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        const float g = got[i], w = want->values[i];
        if (std::isnan(w) && std::isnan(g)) continue;
        const float err = std::fabs(g - w);
        max_err = std::max<double>(max_err, err);
        if (!(err <= kAtol + kRtol * std::fabs(w))) {
          if (!bad) first_bad = i;
          ++bad;
        }
      }
      if (bad) {
        std::ostringstream os;
        os << "output '" << name << "': " << bad << "/" << got.size()
           << " elements outside rtol 1e-4 atol 1e-5, max abs error " << max_err << "; first at "
           << first_bad << ": got " << got[first_bad] << " expected " << want->values[first_bad];
        return {Outcome::kFail, os.str()};
      }
      if (verbose) {
        std::ostringstream os;
        os << " max_err(" << name << ")=" << max_err;
        worst += os.str();
      }
    }
  }
  return {Outcome::kPass, worst};
}

}  // namespace
}  // namespace edgert::test

int main(int argc, char** argv) {
  using edgert::test::Outcome;
  // The three suites of Debian's libonnx-testdata that hold single-op (or single-module) models.
  const std::string root = "/usr/share/libonnx-testdata/data/";
  std::vector<std::string> data_dirs;
  std::string skips_path = EDGERT_NODE_SKIPS;
  std::string filter;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--data_dir" && i + 1 < argc)
      data_dirs.push_back(argv[++i]);
    else if (a == "--skips" && i + 1 < argc)
      skips_path = argv[++i];
    else if (a == "--filter" && i + 1 < argc)
      filter = argv[++i];
    else if (a == "--verbose")
      verbose = true;
    else {
      std::cerr << "usage: node_conformance [--data_dir DIR]... [--skips FILE] [--filter SUBSTR] "
                   "[--verbose]\n"
                   "  --data_dir DIR  a suite of ONNX backend tests (repeatable; default: "
                   "node, pytorch-converted and pytorch-operator under "
                << root
                << ")\n"
                   "  --skips FILE    tests allowed to fail, one '<name> <reason>' a line\n"
                   "  --filter SUBSTR run only the tests whose directory name contains SUBSTR\n"
                   "  --verbose       print passing and not-applicable tests too\n";
      return 2;
    }
  }
  if (data_dirs.empty())
    data_dirs = {root + "node", root + "pytorch-converted", root + "pytorch-operator"};
  for (const std::string& d : data_dirs) {
    if (!fs::is_directory(d)) {
      std::cerr << "node_conformance: " << d
                << " is missing (install Debian's libonnx-testdata: scripts/setup.sh)\n";
      return 1;
    }
  }
  const auto skips = edgert::test::LoadSkips(skips_path);
  const std::string tmp =
      (fs::temp_directory_path() / ("edgert_node_" + std::to_string(getpid()))).string();
  fs::create_directories(tmp);
  int total_passed = 0, total_failed = 0, total_skipped = 0;
  std::set<std::string> listed_but_passing, seen;
  std::ostringstream summary;
  for (const std::string& data_dir : data_dirs) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(data_dir))
      if (e.is_directory() && e.path().filename().string().find(filter) != std::string::npos)
        dirs.push_back(e.path());
    std::sort(dirs.begin(), dirs.end());
    int passed = 0, failed = 0, skipped = 0, not_applicable = 0;
    for (const fs::path& dir : dirs) {
      const std::string name = dir.filename().string();
      seen.insert(name);
      Outcome r = edgert::test::RunOne(dir, tmp, verbose);
      auto skip = skips.find(name);
      if (r.kind == Outcome::kNotApplicable) {
        ++not_applicable;
        if (verbose) std::cout << "n/a   " << name << " (" << r.detail << ")\n";
        continue;
      }
      if (skip != skips.end()) {
        ++skipped;
        std::cout << "SKIP  " << name << ": " << skip->second << "\n";
        if (r.kind == Outcome::kPass) listed_but_passing.insert(name);
        continue;
      }
      if (r.kind == Outcome::kPass) {
        ++passed;
        if (verbose) std::cout << "PASS  " << name << r.detail << "\n";
      } else {
        ++failed;
        std::cout << "FAIL  " << name << ": " << r.detail << "\n";
      }
    }
    summary << fs::path(data_dir).filename().string() << ": " << passed << " passed, " << failed
            << " failed, " << skipped << " skipped of " << passed + failed + skipped
            << " applicable (" << not_applicable
            << " not applicable: ops outside the supported set)\n";
    total_passed += passed;
    total_failed += failed;
    total_skipped += skipped;
  }
  fs::remove_all(tmp);
  for (const auto& n : listed_but_passing)
    std::cout << "note: " << n << " is in the skip list but passes now; remove it\n";
  if (filter.empty() && data_dirs.size() == 3)
    for (const auto& s : skips)
      if (!seen.count(s.first))
        std::cout << "note: " << s.first << " is in the skip list but is no test here\n";
  const int applicable = total_passed + total_failed + total_skipped;
  std::cout << summary.str() << "all suites: " << total_passed << " of " << applicable
            << " applicable tests pass (" << (applicable ? 100.0 * total_passed / applicable : 0.0)
            << " %), " << total_failed << " failed, " << total_skipped << " skipped\n";
  return total_failed == 0 ? 0 : 1;
}
