#!/usr/bin/env bash
# The test command: installs what is missing, checks the C++ formatting, then builds and tests
#   1. host        native build, whole-model data (scripts/prepare_models.sh), all tests;
#   2. host-asan   native build with ASan + UBSan, all tests;
#   3. aarch64     cross build, all tests under qemu-aarch64-static;
#   4. fuzz        every libFuzzer target for 30 s from its seed corpus (scripts/fuzz.sh);
#   5. host-tsan   ThreadSanitizer build of the multi-session tests and perf, run with 2 and 3
#                  sessions x 2 intra-op threads (suppressions: scripts/tsan.supp);
# checks that model_info prints the same on both architectures, and runs the README's main
# command (scripts/demo.sh, the walkthrough), which must end with PASSED.
# Exits non-zero on the first failure.
# Usage: scripts/test.sh [--skip-setup] [--no-asan] [--no-fuzz] [--no-tsan]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SETUP=1
ASAN=1
FUZZ=1
TSAN=1
for arg in "$@"; do
  case "$arg" in
    --skip-setup) SETUP=0 ;;
    --no-asan) ASAN=0 ;;
    --no-fuzz) FUZZ=0 ;;
    --no-tsan) TSAN=0 ;;
    *) echo "test.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done
JOBS="$(nproc)"
HOST_BUILD="$(scripts/preset_dir.sh host)"
ARM_BUILD="$(scripts/preset_dir.sh aarch64)"
step() { echo; echo "=== $* ==="; }

if [ "$SETUP" = 1 ]; then step "setup"; scripts/setup.sh; fi

step "format: clang-format-14 over our C++ (scripts/check_format.sh)"
scripts/check_format.sh

presets=(host)
if [ "$ASAN" = 1 ]; then presets+=(host-asan); fi
presets+=(aarch64)
for preset in "${presets[@]}"; do
  step "build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$JOBS"
  if [ "$preset" = host ]; then
    step "whole-model data: ONNX models, ONNX Runtime references, compiled .bin"
    scripts/prepare_models.sh build/models "$HOST_BUILD/apps/model_compiler"
  fi
  step "test: $preset"
  ctest --preset "$preset" -j "$JOBS"
done

if [ "$FUZZ" = 1 ]; then
  step "fuzz: every libFuzzer target for 30 s (scripts/fuzz.sh; clang-14, ASan + UBSan)"
  scripts/fuzz.sh --seconds 30 --jobs "$JOBS"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$HOST_BUILD/samples/write_sample_model" "$tmp/sample.bin"

if [ "$TSAN" = 1 ]; then
  # Only what runs sessions on several threads: the session suites and perf.
  step "build: host-tsan (engine_test, perf_test, perf)"
  TSAN_BUILD="$(scripts/preset_dir.sh host-tsan)"
  cmake --preset host-tsan >/dev/null
  cmake --build --preset host-tsan -j "$JOBS" --target engine_test perf_test perf
  step "test: host-tsan (multi-session tests; perf with 2 and 3 sessions x 2 intra threads)"
  export TSAN_OPTIONS="suppressions=$ROOT/scripts/tsan.supp halt_on_error=1 second_deadlock_stack=1"
  ctest --preset host-tsan -R '^(SessionTest|PerfTest)\.' -j "$JOBS"
  # The sample's featuremap model (portable kernels) and a tiny MobileNetV2 (oneDNN/XNNPACK).
  for model in "$tmp/sample.bin --model_name featuremap" build/models/mobilenet_v2_tiny.bin; do
    for sessions in 2 3; do
      echo "perf: $model, $sessions sessions x 2 intra threads"
      # shellcheck disable=SC2086  # $model is a path and optionally --model_name NAME
      "$TSAN_BUILD/apps/perf" --model_file $model --thread_num "$sessions" --intra_threads 2 \
        --frame_count 12 --warmup 1 >"$tmp/perf_tsan.log" 2>&1 ||
        { tail -n 60 "$tmp/perf_tsan.log"; echo "perf under TSan failed" >&2; exit 1; }
    done
  done
  echo "no data race reported"
  unset TSAN_OPTIONS
fi

step "model_info: aarch64 under qemu prints what the host prints"
SYSROOT="$ROOT/.cache/sysroot-aarch64"
# Drop what legitimately differs: load time, and the engine line/object (arch, ISA, providers).
strip_time() {
  /usr/bin/python3 -c '
import json, sys
text = sys.stdin.read()
try:
    j = json.loads(text)
except ValueError:
    print("".join(l for l in text.splitlines(True)
                  if not l.startswith(("Load model to DDR cost", "Engine on this machine"))), end="")
else:
    j.pop("load_time_ms"); j.pop("engine")
    print(json.dumps(j, indent=2))'
}
for fmt in "" "--json"; do
  "$HOST_BUILD/apps/model_info" --model_file "$tmp/sample.bin" $fmt 2>/dev/null | strip_time >"$tmp/host.txt"
  qemu-aarch64-static -L "$SYSROOT" "$ARM_BUILD/apps/model_info" --model_file "$tmp/sample.bin" $fmt \
    2>/dev/null | strip_time >"$tmp/arm.txt"
  diff -u "$tmp/host.txt" "$tmp/arm.txt"
done
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/arm.txt"
echo "model_info outputs identical (text and JSON); JSON parses"

step "walkthrough: scripts/demo.sh --skip-setup (the README's main command)"
if ! scripts/demo.sh --skip-setup >"$tmp/demo.log" 2>&1; then
  tail -n 40 "$tmp/demo.log"
  echo "the walkthrough failed (full log above: scripts/demo.sh --skip-setup)" >&2
  exit 1
fi
grep -q '^PASSED' "$tmp/demo.log" || { tail -n 40 "$tmp/demo.log"; echo "no PASSED line" >&2; exit 1; }
grep '^PASSED' "$tmp/demo.log"
echo
echo "ALL TESTS PASSED"
