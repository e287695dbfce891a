#!/usr/bin/env bash
# The demo, end to end on the PC: set up, build, make a sample ONNX model (torchvision
# resnet18 architecture, fixed random weights), compile it with the sample YAML, then
# model_info, infer (dumps in out/demo), perf, and verifier against ONNX Runtime's output.
# Then an NV12 camera variant (mobilenet_v2_tiny with the colour conversion and the ImageNet
# normalization compiled in) runs infer on a JPEG (dumps in out/demo_nv12).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
step() { echo; echo "=== $* ==="; }
step "setup"
scripts/setup.sh --no-sysroot
step "build"
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)"
BIN=build/host/apps
step "sample ONNX model"
if [ ! -f build/models/resnet18_tiny.onnx ]; then
  /usr/bin/python3 scripts/gen_models.py --out build/models --only resnet18_tiny
fi
step "compile: model_compiler --config samples/configs/featuremap_example.yaml"
$BIN/model_compiler --config samples/configs/featuremap_example.yaml
MODEL=build/compiled/resnet18_tiny.bin
step "model_info --model_file $MODEL"
$BIN/model_info --model_file "$MODEL"
step "infer: dumps in out/demo"
$BIN/infer --model_file "$MODEL" --input_file build/models/resnet18_tiny.input.bin \
  --enable_dump --enable_cls_post_process --output_dir out/demo
step "perf"
$BIN/perf --model_file "$MODEL" --frame_count 100 --thread_num 2
step "verifier against ONNX Runtime on the same input"
scripts/make_refs.sh build/models >/dev/null 2>&1 || { echo "make_refs.sh failed" >&2; exit 1; }
$BIN/verifier --model_file "$MODEL" --input_file build/models/resnet18_tiny.input.bin \
  --ref_file build/models/resnet18_tiny.ort/output.bin
step "NV12 camera model: model_compiler --config samples/configs/nv12_example.yaml"
if [ ! -f build/models/mobilenet_v2_tiny.onnx ]; then
  /usr/bin/python3 scripts/gen_models.py --out build/models --only mobilenet_v2_tiny
fi
$BIN/model_compiler --config samples/configs/nv12_example.yaml
NV12=build/compiled/mobilenet_v2_tiny_nv12.bin
$BIN/model_info --model_file "$NV12"
IMAGE=/usr/share/doc/opencv-doc/examples/data/baboon.jpg
step "infer on $IMAGE (decoded, resized to 32x32, NV12; converted and normalized in the model)"
$BIN/infer --model_file "$NV12" --input_file "$IMAGE" --enable_dump --dump_intermediate 1 \
  --enable_cls_post_process --output_dir out/demo_nv12
echo "dumps: out/demo_nv12/model_infer_output_0_output.bin (float32, 1x1000);"
echo "       out/demo_nv12/intermediate/ (input_color_convert.bin: the RGB image as float NHWC,"
echo "       input_normalize.bin: after mean/scale; index.json lists every node)"
