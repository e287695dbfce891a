#!/usr/bin/env bash
# Prepares the whole-model conformance data: generates the torchvision-style ONNX models
# (fixed random weights), their ONNX Runtime reference outputs, and compiles each into a .bin
# with the host model_compiler. Idempotent: each step skips what is already up to date.
# Usage: scripts/prepare_models.sh [MODELS_DIR] [COMPILER]
#   MODELS_DIR  default build/models
#   COMPILER    default: model_compiler in the host preset's build folder (scripts/preset_dir.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-$ROOT/build/models}"
COMPILER="${2:-$("$ROOT/scripts/preset_dir.sh" host)/apps/model_compiler}"
if [ ! -x "$COMPILER" ]; then
  echo "prepare_models.sh: $COMPILER not found; build the host preset first" >&2
  exit 2
fi
mkdir -p "$DIR"
# Absolute paths: the generated YAMLs resolve relative paths against their own folder.
DIR="$(cd "$DIR" && pwd)"
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
# Pending models (gen_models.py PENDING: ops not supported yet) are compiled too, but a failure
# there is reported, its log kept in NAME.compile.log and no NAME.bin left, instead of stopping.
pending=" $(/usr/bin/python3 "$ROOT/scripts/gen_models.py" --list-pending | tr '\n' ' ') "
for n in $names; do
  if [ ! -f "$DIR/$n.bin" ] || [ "$DIR/$n.onnx" -nt "$DIR/$n.bin" ] || [ "$COMPILER" -nt "$DIR/$n.bin" ]; then
    if [ "${pending#* $n }" != "$pending" ]; then
      if [ -f "$DIR/$n.compile.log" ] && [ ! -f "$DIR/$n.bin" ] &&
         [ "$DIR/$n.compile.log" -nt "$DIR/$n.onnx" ] && [ "$DIR/$n.compile.log" -nt "$COMPILER" ]; then
        continue
      fi
      echo "[models] compiling $n (pending)" >&2
      rm -f "$DIR/$n.bin"
      if "$COMPILER" --model "$DIR/$n.onnx" --output "$DIR/$n.bin" >"$DIR/$n.compile.log" 2>&1; then
        echo "[models] $n compiles now: remove it from PENDING in gen_models.py" >&2
      else
        echo "[models] $n does not compile yet (pending): $(grep -m1 error "$DIR/$n.compile.log" | cut -c1-240)" >&2
      fi
      continue
    fi
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
       [ -f "$DIR/$v.ort_bgr/outputs.json" ] &&
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
    # A deliberately wrong PC-side preprocessing (BGR fed to an RGB-trained model): the
    # verifier must fail against it (tests/apps/verifier_e2e_test.cc).
    /usr/bin/python3 "$PREF" train "$DIR/$v.input.bin" --type-rt nv12 --type-train bgr \
      --height "$h" --width "$w" --layout-train NCHW --range "$range" \
      --norm data_mean_and_scale --mean "$MEAN" --scale "$SCALE" -o "$DIR/$v.train_bgr.bin" >/dev/null
    rm -rf "$DIR/$v.ort_bgr.tmp" "$DIR/$v.ort_bgr"
    node "$ROOT/scripts/ort_run.js" --model "$DIR/$base.onnx" --input "input=$DIR/$v.train_bgr.bin" \
      --output_dir "$DIR/$v.ort_bgr.tmp" --threads 1
    mv "$DIR/$v.ort_bgr.tmp" "$DIR/$v.ort_bgr"
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

# The digits held-out set and calibration samples (int8 accuracy tests), next to the models.
DIGITS="$(dirname "$DIR")/digits"
if [ ! -f "$DIGITS/digits_test_y.bin" ] || [ "$ROOT/scripts/train_digits.py" -nt "$DIGITS/digits_test_y.bin" ]; then
  echo "[models] digits data into $DIGITS" >&2
  /usr/bin/python3 "$ROOT/scripts/train_digits.py" --data-only --out "$DIGITS"
fi
# digits int8: default calibration on 100 training digits, then ONNX Runtime on the float model
# and on the exported QDQ model. ORT runs the QDQ model with graph optimizations off (ONNX's
# QDQ semantics) for the agreement test; with them on (its fused QLinear kernels) the logits
# measured cosine 0.9855 against float on an AVX2-only x86, where the QDQ semantics give 0.9999.
if [ ! -f "$DIR/digits_int8.bin" ] || [ "$COMPILER" -nt "$DIR/digits_int8.bin" ] ||
   [ "$ROOT/samples/models/digits_cnn.onnx" -nt "$DIR/digits_int8.bin" ]; then
  echo "[models] compiling digits_int8" >&2
  printf '%s\n' "model_parameters:" "  onnx_model: '$ROOT/samples/models/digits_cnn.onnx'" \
    "  output_model_file_prefix: 'digits_int8'" "  working_dir: '$DIR'" \
    "calibration_parameters:" "  cal_data_dir: '$DIGITS/cal'" "  calibration_type: 'default'" \
    > "$DIR/digits_int8.yaml"
  "$COMPILER" --config "$DIR/digits_int8.yaml"
  node "$ROOT/scripts/ort_eval.js" "$ROOT/samples/models/digits_cnn.onnx" \
    "$DIGITS/digits_test_x.bin" "$DIGITS/ort_float_logits.bin"
  ORT_OPT=disabled node "$ROOT/scripts/ort_eval.js" "$DIR/digits_int8_quantized_model.onnx" \
    "$DIGITS/digits_test_x.bin" "$DIGITS/ort_qdq_logits.bin"
  node "$ROOT/scripts/ort_eval.js" "$DIR/digits_int8_quantized_model.onnx" \
    "$DIGITS/digits_test_x.bin" "$DIGITS/ort_qdq_opt_logits.bin"
  # The first held-out digit as a whole-model case (int8_wholemodel_test, also under qemu).
  head -c 1600 "$DIGITS/digits_test_x.bin" > "$DIR/digits_int8.input.bin"
  ORT_OPT=disabled node "$ROOT/scripts/ort_run.js" --model "$DIR/digits_int8_quantized_model.onnx" \
    --input "input=$DIR/digits_int8.input.bin" --output_dir "$DIR/digits_int8.ort" --threads 1
fi
# FX-quantized digits CNN (scripts/gen_fx_quant.py): torch's own QDQ export, compiled as a user
# would (model_compiler --model), ORT on the same QDQ file (optimizations off: ONNX's QDQ
# semantics) over the held-out set, and its first digit as a whole-model case (also under qemu).
FX="$DIR/digits_fx_qdq.onnx"
if [ ! -f "$DIR/digits_fx.bin" ] || [ "$COMPILER" -nt "$DIR/digits_fx.bin" ] ||
   [ "$ROOT/scripts/gen_fx_quant.py" -nt "$DIR/digits_fx.bin" ] ||
   [ "$ROOT/samples/models/digits_cnn.onnx" -nt "$DIR/digits_fx.bin" ] ||
   [ ! -f "$DIR/digits_fx.ort/outputs.json" ]; then
  echo "[models] FX-quantized digits_fx" >&2
  /usr/bin/python3 "$ROOT/scripts/gen_fx_quant.py" --digits "$DIGITS" --out "$FX"
  ORT_OPT=disabled node "$ROOT/scripts/ort_eval.js" "$FX" "$DIGITS/digits_test_x.bin" \
    "$DIGITS/ort_fx_qdq_logits.bin"
  head -c 1600 "$DIGITS/digits_test_x.bin" > "$DIR/digits_fx.input.bin"
  rm -rf "$DIR/digits_fx.ort"
  ORT_OPT=disabled node "$ROOT/scripts/ort_run.js" --model "$FX" \
    --input "input=$DIR/digits_fx.input.bin" --output_dir "$DIR/digits_fx.ort" --threads 1
  "$COMPILER" --model "$FX" --output "$DIR/digits_fx.bin"
fi
# int8 whole models: calibrated (max) on 4 generated inputs (uniform [-1, 1], fixed seed),
# compared with ORT running NAME_int8_quantized_model.onnx (optimizations off, ONNX QDQ
# semantics) on NAME.input.bin (natively only; digits_int8 is the small qemu case). Each twice:
# NAME_int8 with 8-bit weights (XNNPACK's int8 kernels) and NAME_int8_rr with reduce_range
# (7-bit weights, which x86 hosts run on oneDNN's int8 kernels; see the README).
for n in mobilenet_v2 resnet18 convnext_o17 vit_o17; do
  [ -f "$DIR/$n.onnx" ] || continue
  if [ ! -d "$DIR/${n}_cal" ] || [ "$DIR/$n.onnx" -nt "$DIR/${n}_cal" ]; then
    /usr/bin/python3 - "$DIR/$n.onnx" "$DIR/${n}_cal" <<'PY'
import os, sys
import numpy as np, onnx
m = onnx.load(sys.argv[1])
shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
os.makedirs(sys.argv[2], exist_ok=True)
rng = np.random.RandomState(1)
for i in range(4):
    rng.uniform(-1, 1, shape).astype(np.float32).tofile(os.path.join(sys.argv[2], '%d.bin' % i))
PY
  fi
  in_name="$(/usr/bin/python3 -c "import onnx,sys; print(onnx.load(sys.argv[1]).graph.input[0].name)" "$DIR/$n.onnx")"
  for v in int8 int8_rr; do
    p="${n}_$v"
    if [ -f "$DIR/$p.bin" ] && [ "$DIR/$p.bin" -nt "$COMPILER" ] &&
       [ "$DIR/$p.bin" -nt "$DIR/$n.onnx" ] && [ -f "$DIR/$p.ort/outputs.json" ]; then
      continue
    fi
    echo "[models] $v $n" >&2
    rr=False
    [ "$v" = int8_rr ] && rr=True
    printf '%s\n' "model_parameters:" "  onnx_model: '$DIR/$n.onnx'" \
      "  output_model_file_prefix: '$p'" "  working_dir: '$DIR'" \
      "calibration_parameters:" "  cal_data_dir: '$DIR/${n}_cal'" "  calibration_type: 'max'" \
      "  reduce_range: $rr" > "$DIR/$p.yaml"
    "$COMPILER" --config "$DIR/$p.yaml"
    cp "$DIR/$n.input.bin" "$DIR/$p.input.bin"
    ORT_OPT=disabled node "$ROOT/scripts/ort_run.js" --model "$DIR/${p}_quantized_model.onnx" \
      --input "$in_name=$DIR/$n.input.bin" --output_dir "$DIR/$p.ort" --threads 1
  done
done
echo "[models] ready in $DIR" >&2
