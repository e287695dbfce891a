// Writes quant.bin for the Python tests: a model with a quantized (S8) output, which the
// compiled whole models here do not have (theirs end in float). Input 'x' F32 [1,10] ->
// Quantize (scale 0.05, zero point 3) -> output 'y' S8 [1,10], rows padded to 16 bytes.
//   write_quant_model OUT.bin
#include <iostream>

#include "edgert/model_writer.h"

int main(int argc, char** argv) {
  using edgert::Layout;
  using edgert::TensorType;
  if (argc != 2) {
    std::cerr << "usage: write_quant_model OUT.bin\n";
    return 2;
  }
  auto in = edgert::MakeTensorDesc("x", TensorType::kF32, Layout::kNone, {1, 10});
  auto out = edgert::MakeTensorDesc("y", TensorType::kS8, Layout::kNone, {1, 10});
  if (!in.ok() || !out.ok()) {
    std::cerr << (in.ok() ? out.status() : in.status()).ToString() << "\n";
    return 1;
  }
  edgert::Quantization q;
  q.scale = {0.05f};
  q.zero_point = {3};
  out->quant = q;
  edgert::ModelDef m;
  m.name = "quant";
  m.tensors = {{"x", TensorType::kF32, in->aligned_shape, {}, {}},
               {"xd", TensorType::kF32, {1, 10}, {}, {}},
               {"qd", TensorType::kS8, {1, 10}, q, {}},
               {"y", TensorType::kS8, out->aligned_shape, q, {}}};
  m.nodes = {{"in_adapter", "InputAdapter", false, {0}, {1}, {}, ""},
             {"quantize", "Quantize", true, {1}, {2}, {}, "QuantizeLinear"},
             {"out_adapter", "OutputAdapter", true, {2}, {3}, {}, ""}};
  m.inputs = {{*in, 0, {}}};
  m.outputs = {{*out, 3, {}}};
  edgert::Status s = edgert::WriteModelFile(argv[1], {m});
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
