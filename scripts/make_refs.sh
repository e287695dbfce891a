#!/usr/bin/env bash
# Makes the ONNX Runtime reference outputs for the models in MODELS_DIR.
# Usage: scripts/make_refs.sh MODELS_DIR [--force]
#   For every MODELS_DIR/NAME.onnx that has a MODELS_DIR/NAME.input.bin, runs scripts/ort_run.js
#   (the model's single input fed from NAME.input.bin) and writes MODELS_DIR/NAME.ort/
#   (outputs.json + one .bin per output). A model is skipped when its NAME.ort/outputs.json is
#   newer than both NAME.onnx and NAME.input.bin (--force redoes all). Runs with 1 intra-op
#   thread. ORT is found as ort_run.js documents ($EDGERT_ORT_DIR or <repo>/.cache/ort).
# Exit: 0 all done, 1 some model failed, 2 usage.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
FORCE=0
DIR=""
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "make_refs.sh: unknown option '$arg'" >&2; exit 2 ;;
    *) if [ -n "$DIR" ]; then echo "make_refs.sh: one MODELS_DIR only" >&2; exit 2; fi
       DIR="$arg" ;;
  esac
done
if [ -z "$DIR" ]; then sed -n '2,9p' "$0" >&2; exit 2; fi
if [ ! -d "$DIR" ]; then echo "make_refs.sh: '$DIR' is not a directory" >&2; exit 2; fi
NODE="${NODE:-node}"

made=0 skipped=0 failed=0 seen=0
shopt -s nullglob
for model in "$DIR"/*.onnx; do
  name="$(basename "$model" .onnx)"
  input="$DIR/$name.input.bin"
  out="$DIR/$name.ort"
  [ -f "$input" ] || continue
  seen=$((seen + 1))
  if [ "$FORCE" = 0 ] && [ -f "$out/outputs.json" ] &&
     [ "$out/outputs.json" -nt "$model" ] && [ "$out/outputs.json" -nt "$input" ]; then
    echo "[make_refs] $name: up to date" >&2
    skipped=$((skipped + 1))
    continue
  fi
  echo "[make_refs] $name: running ORT" >&2
  rm -rf "$out.tmp"
  if "$NODE" "$HERE/ort_run.js" --model "$model" --input "input=$input" \
       --output_dir "$out.tmp" --threads 1; then
    rm -rf "$out"
    mv "$out.tmp" "$out"
    made=$((made + 1))
  else
    rm -rf "$out.tmp"
    echo "[make_refs] $name: FAILED" >&2
    failed=$((failed + 1))
  fi
done
echo "[make_refs] $DIR: $seen model(s): $made made, $skipped up to date, $failed failed" >&2
[ "$failed" = 0 ]
