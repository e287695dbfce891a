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

// A FLOAT16 TensorProto's values as their IEEE binary16 bit patterns, and one such value.
std::vector<uint16_t> HalfBits(const onnx::TensorProto& t);
float HalfValue(uint16_t h);

// True for the integer and bool ONNX data types ToInts reads.
bool IsIntegerType(int onnx_type);
// An integer or bool TensorProto's values, exactly, as int64 (bool as 0/1).
Result<std::vector<int64_t>> ToInts(const onnx::TensorProto& t);

}  // namespace edgert::test
