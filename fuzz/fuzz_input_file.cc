// libFuzzer target: the .txt (whitespace-separated numbers) and raw .bin input readers behind
// infer/perf/verifier --input_file (app::LoadInputFile). The first bytes choose the model input
// the file is read for (featuremap dtype, layout, valid shape, row alignment) and the file kind;
// the rest is the file.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/inputs.h"
#include "edgert/tensor_desc.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  edgert::fuzz::Quiet();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using edgert::TensorType;
  FuzzedDataProvider in(data, size);
  static const TensorType kTypes[] = {TensorType::kF32, TensorType::kS8,  TensorType::kU8,
                                      TensorType::kS16, TensorType::kS32, TensorType::kF16};
  const TensorType type = in.PickValueInArray(kTypes);
  const int rank = in.ConsumeIntegralInRange(1, 4);
  std::vector<int64_t> shape;
  for (int i = 0; i < rank; ++i) shape.push_back(in.ConsumeIntegralInRange<int64_t>(1, 9));
  const edgert::Layout layout =
      rank == 4 && in.ConsumeBool() ? edgert::Layout::kNCHW : edgert::Layout::kNone;
  edgert::AlignmentRule rule;
  rule.row_align_bytes = in.ConsumeBool() ? 16 : 1;
  const bool txt = in.ConsumeBool();
  auto desc = edgert::MakeTensorDesc("x", type, layout, shape, rule);
  if (!desc.ok()) return 0;
  const std::vector<uint8_t> file = in.ConsumeRemainingBytes<uint8_t>();
  const std::string path =
      edgert::fuzz::WriteScratch(txt ? "input.txt" : "input.bin", file.data(), file.size());
  auto bytes = edgert::app::LoadInputFile(path, *desc);
  // An accepted file always fills exactly the aligned buffer.
  if (bytes.ok() && bytes->size() != static_cast<size_t>(desc->aligned_byte_size)) __builtin_trap();
  return 0;
}
