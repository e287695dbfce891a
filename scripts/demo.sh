#!/usr/bin/env bash
# The walkthrough (README "Walkthrough"), end to end, from an ONNX file on the PC to a PASSED
# verdict computed from board outputs:
#   1. setup            Debian packages, the arm64 sysroot, ONNX Runtime (npm)
#   2. build            the PC tools (host) and the board package (aarch64, CPack tarball)
#   3. data             real handwritten digits (OpenCV's digits.png) as PNG images
#   4. compile          the digits CNN to int8 for a gray camera, calibrated on 100 digit PNGs
#   5. model_info       the compiled model's inputs, outputs and graph
#   6. infer            one held-out digit image, top-5 on the PC
#   7. perf             latency and throughput on the PC
#   8. PC reference     ONNX Runtime on the exported QDQ model, same image
#   9. the board        scripts/local_board.sh: a real sshd on loopback; tools run under qemu
#                       at a root that holds only glibc and libstdc++ (set EDGERT_BOARD to
#                       "user@host[:port]" to use a real aarch64 board instead)
#  10. deploy           model_info and perf on the board
#  11. verify           infer on the board, fetch its dumps, verifier on the PC: PASSED
# Outputs go to out/walkthrough. Usage: scripts/demo.sh [--skip-setup]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SETUP=1
for arg in "$@"; do
  case "$arg" in
    --skip-setup) SETUP=0 ;;
    -h|--help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done
step() { echo; echo "=== $* ==="; }
show() { echo "\$ $*"; "$@"; }
OUT=out/walkthrough
rm -rf "$OUT"
mkdir -p "$OUT"
JOBS="$(nproc)"

step "1. setup"
if [ "$SETUP" = 1 ]; then scripts/setup.sh; fi

step "2. build: PC tools and the aarch64 board package"
cmake --preset host >/dev/null
cmake --build --preset host -j "$JOBS" --target model_compiler model_info infer perf verifier
cmake --preset aarch64 >/dev/null
cmake --build --preset aarch64 -j "$JOBS" --target model_info infer perf verifier
ARM_BUILD="$(scripts/preset_dir.sh --relative aarch64)"
cpack --config "$ARM_BUILD/CPackConfig.cmake" -B "$ARM_BUILD/package" >/dev/null
PKG="$(ls "$ARM_BUILD"/package/edgert-*-Linux-aarch64.tar.gz)"
echo "board package: $PKG ($(du -h "$PKG" | cut -f1))"
BIN="$(scripts/preset_dir.sh --relative host)/apps"

step "3. data: OpenCV's 5000 handwritten digits -> build/digits (cal_png/, test_png/)"
/usr/bin/python3 scripts/train_digits.py --data-only --out build/digits
IMAGE=build/digits/test_png/0000_6.png  # a held-out 6

step "4. compile to int8, calibrated on 100 digit images"
show "$BIN/model_compiler" --config samples/configs/digits_int8.yaml
MODEL=build/compiled/digits_int8.bin

step "5. model_info"
show "$BIN/model_info" --model_file "$MODEL"

step "6. infer on an image (PC)"
show "$BIN/infer" --model_file "$MODEL" --input_file "$IMAGE" --enable_cls_post_process \
  --enable_dump --output_dir "$OUT/pc"

step "7. perf (PC)"
show "$BIN/perf" --model_file "$MODEL" --frame_count 500 --thread_num 2

step "8. PC reference: ONNX Runtime on digits_int8_quantized_model.onnx, same image"
/usr/bin/python3 scripts/preprocess_ref.py rt "$IMAGE" --type gray --height 20 --width 20 \
  --range regular -o "$OUT/rt.bin"
/usr/bin/python3 scripts/preprocess_ref.py train "$OUT/rt.bin" --type-rt gray --type-train gray \
  --height 20 --width 20 --layout-train NCHW --range regular --norm data_scale \
  --scale 0.003921568627 -o "$OUT/train.bin"
# Optimizations off: ONNX's QDQ semantics, not ORT's fused QLinear kernels (README "int8").
show env ORT_OPT=disabled node scripts/ort_run.js \
  --model build/compiled/digits_int8_quantized_model.onnx --input "input=$OUT/train.bin" \
  --output_dir "$OUT/ort" --threads 1
REF="$OUT/ort/logits.bin"

step "9. the board"
if [ -n "${EDGERT_BOARD:-}" ]; then
  # user@host[:port]: a real aarch64 board with key-based SSH login.
  target="${EDGERT_BOARD%%:*}"
  port=22
  if [ "$target" != "$EDGERT_BOARD" ]; then port="${EDGERT_BOARD##*:}"; fi
  BOARD_DEPLOY_ARGS=(--host "${target#*@}" --port "$port")
  if [ "${target#*@}" != "$target" ]; then BOARD_DEPLOY_ARGS+=(--user "${target%%@*}"); fi
  echo "board: $EDGERT_BOARD"
else
  scripts/local_board.sh start "$OUT/board"
  trap 'scripts/local_board.sh stop "$OUT/board"' EXIT
  # shellcheck source=/dev/null
  source "$OUT/board/board.env"
fi
deploy() { show scripts/deploy.sh "${BOARD_DEPLOY_ARGS[@]}" --package "$PKG" "$@"; }

step "10. deploy: model_info and perf on the board"
deploy --model "$MODEL" -- model_info --model_file '{model}'
deploy --model "$MODEL" -- perf --model_file '{model}' --frame_count 50

step "11. infer on the board, fetch the dumps, verifier on the PC against ONNX Runtime"
deploy --model "$MODEL" --input "$IMAGE" --fetch "$OUT/board_out" --ref_file "$REF" \
  -- infer --model_file '{model}' --input_file '{input}' --enable_dump --output_dir '{out}'
