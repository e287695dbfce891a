#pragma once

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "edgert/status.h"

namespace edgert::test {

// A TensorProto's values as float (any numeric type converted) and its dims.
struct FloatTensor {
  std::string name;
  std::vector<int64_t> dims;
  std::vector<float> values;
  int onnx_type = 0;  // onnx::TensorProto::DataType
};

Result<onnx::TensorProto> ReadTensorProto(const std::string& path);
Result<FloatTensor> ToFloat(const onnx::TensorProto& t);

}  // namespace edgert::test
