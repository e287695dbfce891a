#pragma once

// Reading ONNX: constant tensors (initializers, Constant values) and node attributes. Shared by
// constant folding and lowering, so that both see an op's inputs the same way.

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

#include "edgert/status.h"
#include "model_compiler/graph_util.h"

namespace edgert::compiler {

// float -> int64 without undefined behaviour for values out of range (INT64_MAX as "to the end"
// is common in Slice ends and does not survive a trip through float or double).
int64_t SaturatingInt(double d);

// A folded constant in logical (ONNX) order. Integer tensors (shapes, indices) keep int64.
struct Const {
  Shape shape;
  bool is_int = false;
  std::vector<float> f;
  std::vector<int64_t> i;

  size_t size() const { return is_int ? i.size() : f.size(); }
  double At(size_t k) const { return is_int ? static_cast<double>(i[k]) : f[k]; }
  std::vector<float> Floats() const {
    if (!is_int) return f;
    return std::vector<float>(i.begin(), i.end());
  }
  std::vector<int64_t> Ints() const {
    if (is_int) return i;
    std::vector<int64_t> out(f.size());
    for (size_t k = 0; k < f.size(); ++k) out[k] = SaturatingInt(f[k]);
    return out;
  }
  static Const FromFloats(Shape s, std::vector<float> v) {
    Const c;
    c.shape = std::move(s);
    c.f = std::move(v);
    return c;
  }
  static Const FromInts(Shape s, std::vector<int64_t> v) {
    Const c;
    c.shape = std::move(s);
    c.is_int = true;
    c.i = std::move(v);
    return c;
  }
};

std::string Join(const std::vector<std::string>& v, const std::string& sep = ", ");
// The ONNX element type's name ("FLOAT", "INT64"...), for messages.
const char* ElemTypeName(int t);
// True for the ONNX integer and bool element types.
bool IsIntType(int t);
// Reads an initializer or Constant value. `what` names it in errors.
Result<Const> ReadTensor(const onnx::TensorProto& t, const std::string& what);

// The offset of the first byte of `s` that is not part of well-formed UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or std::string::npos when all is.
size_t InvalidUtf8Offset(const std::string& s);

// Every name in the graph (graph inputs, outputs, initializers, and each node's name, inputs and
// outputs) must be valid UTF-8: names end up in JSON reports and dump file names. The error
// names the node by index (and op type) or the graph input/output/initializer by index, with
// the offset and value of the bad byte.
Status CheckNamesAreUtf8(const onnx::GraphProto& g, const std::string& label);

// Node attributes; an absent attribute gives `def`.
const onnx::AttributeProto* FindAttr(const onnx::NodeProto& n, const std::string& name);
int64_t AttrInt(const onnx::NodeProto& n, const std::string& name, int64_t def);
float AttrFloat(const onnx::NodeProto& n, const std::string& name, float def);
std::string AttrStr(const onnx::NodeProto& n, const std::string& name, const std::string& def);
std::vector<int64_t> AttrInts(const onnx::NodeProto& n, const std::string& name,
                              std::vector<int64_t> def = {});
std::vector<float> AttrFloats(const onnx::NodeProto& n, const std::string& name);

}  // namespace edgert::compiler
