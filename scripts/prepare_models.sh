#!/usr/bin/env bash
# Prepares the whole-model conformance data: generates the torchvision-style ONNX models
# (fixed random weights), their ONNX Runtime reference outputs, and compiles each into a .bin
# with the host model_compiler. Idempotent: each step skips what is already up to date.
# Usage: scripts/prepare_models.sh [MODELS_DIR] [COMPILER]
#   MODELS_DIR  default build/models
#   COMPILER    default build/host/apps/model_compiler
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/build/models}"
COMPILER="${2:-$ROOT/build/host/apps/model_compiler}"
if [ ! -x "$COMPILER" ]; then
  echo "prepare_models.sh: $COMPILER not found; build the host preset first" >&2
  exit 2
fi
mkdir -p "$DIR"
names="$(/usr/bin/python3 "$ROOT/scripts/gen_models.py" --list | tr '\n' ' ')"
missing=()
for n in $names; do
  if [ ! -f "$DIR/$n.onnx" ] || [ "$ROOT/scripts/gen_models.py" -nt "$DIR/$n.onnx" ]; then
    missing+=("$n")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[models] generating ${missing[*]}" >&2
  /usr/bin/python3 "$ROOT/scripts/gen_models.py" --out "$DIR" --only "$(IFS=,; echo "${missing[*]}")"
fi
echo "[models] ONNX Runtime references" >&2
"$ROOT/scripts/make_refs.sh" "$DIR"
for n in $names; do
  if [ ! -f "$DIR/$n.bin" ] || [ "$DIR/$n.onnx" -nt "$DIR/$n.bin" ] || [ "$COMPILER" -nt "$DIR/$n.bin" ]; then
    echo "[models] compiling $n" >&2
    "$COMPILER" --model "$DIR/$n.onnx" --output "$DIR/$n.bin"
  fi
done

# NV12 variants: the same ONNX compiled with an nv12 -> rgb input and the ImageNet normalization
# inside (ColorConvert + Normalize). NAME_nv12.input.bin is the NV12 buffer `infer` makes from a
# real JPEG (scripts/preprocess_ref.py rt), NAME_nv12.ort/ is ONNX Runtime on the float ONNX fed
# preprocess_ref.py's train tensor of it. No NAME_nv12.onnx exists, so make_refs.sh skips them.
IMAGE=/usr/share/doc/opencv-doc/examples/data/baboon.jpg
MEAN="123.675,116.28,103.53"
SCALE="0.01712,0.01751,0.01743"
PREF="$ROOT/scripts/preprocess_ref.py"
if [ ! -f "$IMAGE" ]; then
  echo "[models] $IMAGE missing (opencv-doc): no nv12 variants" >&2
else
  # base height width range
  for spec in "mobilenet_v2_tiny 32 32 regular" "dethead_tiny 16 16 bt601_video"; do
    read -r base h w range <<<"$spec"
    v="${base}_nv12"
    if [ -f "$DIR/$v.bin" ] && [ -f "$DIR/$v.ort/outputs.json" ] &&
       [ "$DIR/$v.ort/outputs.json" -nt "$DIR/$base.onnx" ] &&
       [ "$DIR/$v.ort/outputs.json" -nt "$PREF" ] && [ "$DIR/$v.bin" -nt "$COMPILER" ] &&
       [ "$DIR/$v.bin" -nt "$DIR/$base.onnx" ]; then
      continue
    fi
    echo "[models] $v: NV12 input from $(basename "$IMAGE"), ORT reference, compiling" >&2
    /usr/bin/python3 "$PREF" rt "$IMAGE" --type nv12 --height "$h" --width "$w" --range "$range" \
      -o "$DIR/$v.input.bin" >/dev/null
    /usr/bin/python3 "$PREF" train "$DIR/$v.input.bin" --type-rt nv12 --type-train rgb \
      --height "$h" --width "$w" --layout-train NCHW --range "$range" \
      --norm data_mean_and_scale --mean "$MEAN" --scale "$SCALE" -o "$DIR/$v.train.bin" >/dev/null
    rm -rf "$DIR/$v.ort.tmp"
    node "$ROOT/scripts/ort_run.js" --model "$DIR/$base.onnx" --input "input=$DIR/$v.train.bin" \
      --output_dir "$DIR/$v.ort.tmp" --threads 1
    rm -rf "$DIR/$v.ort"
    mv "$DIR/$v.ort.tmp" "$DIR/$v.ort"
    cat >"$DIR/$v.yaml" <<EOF
input_parameters:
  input_type_rt: 'nv12'
  input_type_train: 'rgb'
  input_space_and_range: '$range'
  norm_type: 'data_mean_and_scale'
  mean_value: '${MEAN//,/ }'
  scale_value: '${SCALE//,/ }'
EOF
    "$COMPILER" --config "$DIR/$v.yaml" --model "$DIR/$base.onnx" --output "$DIR/$v.bin"
  done
fi
echo "[models] ready in $DIR" >&2
