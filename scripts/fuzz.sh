#!/usr/bin/env bash
# Builds the libFuzzer targets (the fuzz preset: clang-14, ASan + UBSan) and runs each one for N
# seconds, one after the other, starting from its committed seed corpus fuzz/corpus/<name>/
# (new inputs go to build/fuzz/corpus/<name>/, crashes to build/fuzz/artifacts/<name>/).
# Prints executions, coverage (cov: edges, ft: features) and the outcome per target; exits 1
# when any target crashed, leaked, timed out or ran out of memory.
#
# Usage: scripts/fuzz.sh [--seconds N] [--only NAME[,NAME...]] [--no-build] [--jobs J]
#   --seconds N   time per target (default 60)
#   --only        run only these targets (names as in the list below, without fuzz_)
#   --no-build    use the existing build/fuzz
#   --jobs J      build parallelism (default: nproc)
# Targets: model_load input_file image_jpeg image_png image_bmp yaml_config onnx_import
#          verifier_index (fuzz/*.cc say what each one feeds).
# A reproducer: build/fuzz/fuzz/fuzz_<name> <file>; commit it to fuzz/corpus/<name>/ with the fix.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_PER=60
ONLY=""
BUILD=1
JOBS="$(nproc)"
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER="${2:?--seconds needs a number}"; shift 2 ;;
    --only) ONLY="${2:?--only needs target names}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --jobs) JOBS="${2:?--jobs needs a number}"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$SECONDS_PER" in ''|*[!0-9]*) echo "fuzz.sh: --seconds takes a whole number, got '$SECONDS_PER'" >&2; exit 2 ;; esac
[ "$SECONDS_PER" -ge 1 ] || { echo "fuzz.sh: --seconds must be >= 1" >&2; exit 2; }

TARGETS=(model_load input_file image_jpeg image_png image_bmp yaml_config onnx_import verifier_index)
if [ -n "$ONLY" ]; then
  IFS=, read -r -a wanted <<<"$ONLY"
  for t in "${wanted[@]}"; do
    [[ " ${TARGETS[*]} " == *" $t "* ]] || { echo "fuzz.sh: no target '$t' (have: ${TARGETS[*]})" >&2; exit 2; }
  done
  TARGETS=("${wanted[@]}")
fi

BUILD_DIR="$(scripts/preset_dir.sh fuzz)"
if [ "$BUILD" = 1 ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$JOBS"
fi

# Every sanitizer report is fatal and symbolized; leaks count as failures.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  bin="$BUILD_DIR/fuzz/fuzz_$t"
  [ -x "$bin" ] || { echo "fuzz.sh: $bin is missing (build the fuzz preset)" >&2; exit 1; }
  work="$BUILD_DIR/corpus/$t"
  artifacts="$BUILD_DIR/artifacts/$t/"
  log="$BUILD_DIR/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  echo "=== fuzz_$t: ${SECONDS_PER}s from fuzz/corpus/$t ($(ls "fuzz/corpus/$t" | wc -l) seeds) ==="
  rc=0
  "$bin" -max_total_time="$SECONDS_PER" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$work" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)"
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
  cov="$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)"
  ft="$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)"
  if [ "$rc" = 0 ]; then
    verdict=ok
  else
    verdict="FAILED (exit $rc; log $log; reproducer in $artifacts)"
    failed+=("$t")
    grep -E 'ERROR|SUMMARY|runtime error|terminate|==[0-9]+==' "$log" | head -n 20 || true
  fi
  summary+=("$(printf '%-16s execs %-10s cov %-7s ft %-7s %s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$verdict")")
  echo "${summary[-1]}"
done

echo
echo "=== fuzz summary (${SECONDS_PER}s per target) ==="
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
