// Writes a small two-model .bin with the public writer API: a featuremap model and an NV12
// camera model. Until a real ONNX model is compiled, this is what the demo inspects.
//
//   write_sample_model OUT.bin
#include <cstring>
#include <iostream>

#include "edgert/model_writer.h"

namespace {

// A 1x1 conv from `cin` to `cout` channels over an NHWC activation, between two adapters.
edgert::ModelDef Conv1x1Model(const std::string& name, edgert::TensorDesc in,
                              const std::vector<int64_t>& nhwc, int64_t cout) {
  using edgert::TensorType;
  edgert::ModelDef m;
  m.name = name;
  const int64_t cin = nhwc[3];
  edgert::TensorDef w{"conv.weight", TensorType::kF32, {cout, 1, 1, cin}, {}, {}};
  w.data.resize(static_cast<size_t>(cout * cin) * sizeof(float));
  for (int64_t i = 0; i < cout * cin; ++i) {
    float v = (i % cin == i / cin % cin) ? 1.f : 0.f;  // identity-like weights
    std::memcpy(w.data.data() + i * sizeof(float), &v, sizeof(v));
  }
  auto out = edgert::MakeTensorDesc("out", TensorType::kF32, edgert::Layout::kNCHW,
                                    {nhwc[0], cout, nhwc[1], nhwc[2]});
  // The input's graph tensor is the user's aligned buffer (runtime/schema/IR.md).
  edgert::TensorDef in_t{in.name, in.type, in.aligned_shape, {}, {}};
  if (edgert::IsImageType(in.type))
    in_t = {in.name, TensorType::kU8, {in.aligned_byte_size}, {}, {}};
  m.tensors = {in_t,
               {"x", TensorType::kF32, nhwc, {}, {}},
               w,
               {"y", TensorType::kF32, {nhwc[0], nhwc[1], nhwc[2], cout}, {}, {}},
               {"out", TensorType::kF32, out->aligned_shape, {}, {}}};
  const std::vector<int64_t> to_nhwc = in.layout == edgert::Layout::kNCHW
                                           ? std::vector<int64_t>{0, 2, 3, 1}
                                           : std::vector<int64_t>{0, 1, 2, 3};
  m.nodes = {
      {"in_adapter", "InputAdapter", false, {0}, {1}, {edgert::AttrDef::Ints("perm", to_nhwc)}, ""},
      {"conv", "Conv2D", false, {1, 2, -1}, {3}, {}, "Conv"},
      {"out_adapter",
       "OutputAdapter",
       false,
       {3},
       {4},
       {edgert::AttrDef::Ints("perm", {0, 3, 1, 2})},
       ""}};
  m.inputs = {{in, 0, {}}};
  m.outputs = {{*out, 4, {}}};
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: write_sample_model OUT.bin\n";
    return 2;
  }
  using edgert::Layout;
  using edgert::TensorType;
  auto fm = edgert::MakeTensorDesc("data", TensorType::kF32, Layout::kNCHW, {1, 3, 7, 7});
  auto cam = edgert::MakeTensorDesc("image", TensorType::kImgNv12, Layout::kNHWC, {1, 6, 10, 3});
  if (!fm.ok() || !cam.ok()) {
    std::cerr << (fm.ok() ? cam.status() : fm.status()).ToString() << "\n";
    return 1;
  }
  edgert::ModelDef camera = Conv1x1Model("camera", *cam, {1, 6, 10, 3}, 3);
  camera.inputs[0].preprocess = {"nv12",
                                 "rgb",
                                 "NHWC",
                                 "NCHW",
                                 "regular",
                                 "data_mean_and_scale",
                                 {123.675f, 116.28f, 103.53f},
                                 {0.0171f, 0.0175f, 0.0174f}};
  edgert::Status s =
      edgert::WriteModelFile(argv[1], {Conv1x1Model("featuremap", *fm, {1, 7, 7, 3}, 4), camera});
  if (!s.ok()) {
    std::cerr << s.ToString() << "\n";
    return 1;
  }
  std::cerr << "wrote " << argv[1] << "\n";
  return 0;
}
