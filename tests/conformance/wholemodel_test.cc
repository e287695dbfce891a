// Whole models against ONNX Runtime: torchvision-style networks with fixed random weights,
// compiled by model_compiler, run by the engine, compared with onnxruntime-node's outputs on
// the same input. The data comes from scripts/prepare_models.sh (EDGERT_MODELS_DIR). The *_nv12
// variants take an NV12 buffer made from a real JPEG and convert and normalize it inside the
// model; their reference is ONNX Runtime on scripts/preprocess_ref.py's train tensor.
// Required per output: cosine >= 0.99999 and max abs error <= 1e-4 * max |reference|.
#include <gtest/gtest.h>

#include <string>

#include "ort_reference.h"

namespace edgert {
namespace {

class WholeModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(WholeModelTest, MatchesOnnxRuntime) {
  test::ExpectMatchesOrtReference(test::ModelsDir(), GetParam(), 0.99999, 1e-4);
}

// The issue-14 models (scripts/gen_models.py), each exported at opset 13 and 17 and small enough
// for qemu: vit (torchvision VisionTransformer), convnext (ConvNeXt), yolov8 (YoloV8Style: C2f,
// SPPF, DFL head, in-graph anchors), unet (UNetStyle ending in ArgMax, an int64 reference);
// swin (torchvision SwinTransformer: shifted windows, rank-6 window partition, the attention
// mask folded from ScatterND/Mod/Where, Dropout exported with training_mode true and ratio 0);
// vit and convnext_tiny are the bench sizes, swin_t is torchvision's at full size (host only).
#ifdef EDGERT_WHOLEMODEL_TINY_ONLY
// Under qemu, XNNPACK runs ~500x slower: only the small variants.
INSTANTIATE_TEST_SUITE_P(Models, WholeModelTest,
                         ::testing::Values("mobilenet_v2_tiny", "resnet18_tiny", "dethead_tiny",
                                           "mobilenet_v2_tiny_nv12", "dethead_tiny_nv12",
                                           "convnext_o13", "convnext_o17", "vit_o13", "vit_o17",
                                           "yolov8_o13", "yolov8_o17", "unet_o13", "unet_o17",
                                           "swin_o13", "swin_o17"));
#else
INSTANTIATE_TEST_SUITE_P(Models, WholeModelTest,
                         ::testing::Values("mobilenet_v2", "resnet18", "dethead",
                                           "mobilenet_v2_tiny", "resnet18_tiny", "dethead_tiny",
                                           "mobilenet_v2_tiny_nv12", "dethead_tiny_nv12",
                                           "convnext_o13", "convnext_o17", "convnext_tiny",
                                           "vit_o13", "vit_o17", "yolov8_o13", "yolov8_o17",
                                           "unet_o13", "unet_o17", "swin_o13", "swin_o17", "vit",
                                           "swin_t"));
#endif

}  // namespace
}  // namespace edgert
