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
# The digits held-out set and calibration samples (int8 accuracy tests), next to the models.
DIGITS="$(dirname "$DIR")/digits"
if [ ! -f "$DIGITS/digits_test_y.bin" ] || [ "$ROOT/scripts/train_digits.py" -nt "$DIGITS/digits_test_y.bin" ]; then
  echo "[models] digits data into $DIGITS" >&2
  /usr/bin/python3 "$ROOT/scripts/train_digits.py" --data-only --out "$DIGITS"
fi
echo "[models] ready in $DIR" >&2
