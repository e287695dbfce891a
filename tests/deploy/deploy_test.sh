#!/usr/bin/env bash
# scripts/deploy.sh end to end against a real sshd on a free loopback port. The "board" is this
# machine (scripts/local_board.sh): the aarch64 package runs through --remote_prefix
# "qemu-aarch64-static -L MINROOT", where MINROOT holds only the aarch64 loader and the C/C++
# runtime (glibc, libstdc++, libgcc_s), so every other library has to come from the package's
# lib/. No binfmt needed.
#
# Usage: deploy_test.sh PACKAGE.tar.gz HOST_VERIFIER MODELS_DIR [SYSROOT]
#   PACKAGE        the aarch64 board package (cpack)
#   HOST_VERIFIER  the host build's verifier (compares the fetched board dumps)
#   MODELS_DIR     scripts/prepare_models.sh's output (mobilenet_v2_tiny_nv12.*)
#   SYSROOT        the arm64 sysroot MINROOT is copied from (default .cache/sysroot-aarch64)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEPLOY="$ROOT/scripts/deploy.sh"
[ "$#" -ge 3 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
PACKAGE="$1" VERIFIER="$2" MODELS="$3" SYSROOT="${4:-$ROOT/.cache/sysroot-aarch64}"
MODEL="$MODELS/mobilenet_v2_tiny_nv12.bin"
REF="$MODELS/mobilenet_v2_tiny_nv12.ort/output.bin"
WRONG_REF="$MODELS/mobilenet_v2_tiny_nv12.ort_bgr/output.bin"
IMAGE=/usr/share/doc/opencv-doc/examples/data/baboon.jpg
# infer makes the same NV12 buffer from the JPEG (prepare_models.sh); the .bin is the fallback.
[ -f "$IMAGE" ] || IMAGE="$MODELS/mobilenet_v2_tiny_nv12.input.bin"

fail() {
  if [ -s "${work:-}/sshd.log" ]; then
    echo "--- sshd log (tail)" >&2
    tail -n 20 "$work/sshd.log" >&2
  fi
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}
for f in "$PACKAGE" "$VERIFIER" "$MODEL" "$REF" "$WRONG_REF" "$IMAGE"; do
  [ -e "$f" ] || fail "$f is missing (cpack, the host build and scripts/prepare_models.sh make it)"
done
for p in /usr/sbin/sshd ssh ssh-keygen qemu-aarch64-static /usr/bin/python3 timeout; do
  command -v "$p" >/dev/null || fail "$p is missing (scripts/setup.sh installs it)"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/edgert-deploy-test.XXXXXX")"
board_started=""
cleanup() {
  if [ -n "$board_started" ]; then "$ROOT/scripts/local_board.sh" stop "$work" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# ---- the board: sshd on loopback + the minimal emulator root (scripts/local_board.sh) --------
"$ROOT/scripts/local_board.sh" start "$work" "$SYSROOT" || fail "scripts/local_board.sh start"
board_started=1
# shellcheck source=/dev/null
source "$work/board.env"
port="$BOARD_PORT"
qemu_root="$work/minroot"

user="$(id -un)"
common=(--host 127.0.0.1 --port "$port" --user "$user" --identity "$work/client_key"
  --ssh_option StrictHostKeyChecking=no --ssh_option UserKnownHostsFile=/dev/null
  --remote_dir "$BOARD_DIR" --package "$PACKAGE" --verifier "$VERIFIER")
emu=(--remote_prefix "qemu-aarch64-static -L $qemu_root")

# run NAME ARGS...: deploy.sh with ARGS; sets rc, NAME.out (stdout), NAME.err (stderr).
run() {
  local name="$1"
  shift
  rc=0
  local t0=$SECONDS
  "$DEPLOY" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  echo "=== $name: exit $rc ($((SECONDS - t0)) s)"
  sed 's/^/  | /' "$work/$name.err" "$work/$name.out"
}
expect_rc() { [ "$rc" = "$1" ] || fail "$2: exit $rc, expected $1"; }
expect_in() { grep -qF -- "$2" "$work/$1" || fail "$1 lacks '$2'"; }
expect_not_in() { ! grep -qF -- "$2" "$work/$1" || fail "$1 has '$2'"; }
last_line() { tail -n 1 "$work/$1"; }

# 1. Upload, infer with dumps on the board, fetch, verify against ONNX Runtime: PASSED.
run infer "${common[@]}" "${emu[@]}" --model "$MODEL" --input "$IMAGE" --fetch "$work/fetched" \
  --ref_file "$REF" -- infer --model_file '{model}' --input_file '{input}' --enable_dump \
  --output_dir '{out}'
expect_rc 0 "infer + verifier"
expect_in infer.err "uploading package ("
expect_in infer.err "to $user@127.0.0.1:$port:$BOARD_DIR"
[[ "$(last_line infer.out)" == PASSED* ]] ||
  fail "the last line is not PASSED: $(last_line infer.out)"
[ -f "$work/fetched/model_infer_output_0_output.bin" ] || fail "no fetched dump in $work/fetched"

# 2. The layer-by-layer workflow: board dumps with every node's output against the same dumps
# from the host build's infer (--ref_dir): the verifier walks the intermediate nodes too.
HOST_INFER="$(dirname "$VERIFIER")/infer"
[ -x "$HOST_INFER" ] || fail "$HOST_INFER is missing (the host build makes it next to the verifier)"
"$HOST_INFER" --model_file "$MODEL" --input_file "$IMAGE" --enable_dump --dump_intermediate 3 \
  --output_dir "$work/pc" >/dev/null 2>&1 || fail "host infer failed"
run ref_dir "${common[@]}" "${emu[@]}" --model "$MODEL" --input "$IMAGE" --fetch "$work/fetched" \
  --ref_dir "$work/pc" -- infer --model_file '{model}' --input_file '{input}' --enable_dump \
  --dump_intermediate 3 --output_dir '{out}'
expect_rc 0 "infer + verifier --ref_dir"
expect_in ref_dir.err "package unchanged"
expect_in ref_dir.out "no intermediate output below cosine"
[[ "$(last_line ref_dir.out)" == PASSED*intermediate* ]] ||
  fail "the last line is not PASSED with intermediates: $(last_line ref_dir.out)"

# 3. The same package again: no upload. Fetch and verify only (no tool) against a reference
# made with the wrong PC preprocessing: the verifier's FAILED line and exit code.
run wrong_ref "${common[@]}" "${emu[@]}" --fetch "$work/fetched" --ref_file "$WRONG_REF"
expect_rc 1 "verifier against a wrong reference"
expect_in wrong_ref.err "package unchanged"
expect_not_in wrong_ref.err "uploading package"
[[ "$(last_line wrong_ref.out)" == FAILED* ]] ||
  fail "the last line is not FAILED: $(last_line wrong_ref.out)"

# 4. model_info: its report comes back on stdout; model and input unchanged, not re-uploaded.
run model_info "${common[@]}" "${emu[@]}" --model "$MODEL" --input "$IMAGE" -- \
  model_info --model_file '{model}'
expect_rc 0 "model_info"
expect_in model_info.err "package unchanged"
expect_in model_info.err "model and inputs unchanged"
expect_in model_info.out "IMG_NV12"

# 5. perf: report on stdout, profile fetched from {out}.
run perf "${common[@]}" "${emu[@]}" --model "$MODEL" --fetch "$work/perf" -- \
  perf --model_file '{model}' --frame_count 5 --warmup 1 --profile_path '{out}/profile'
expect_rc 0 "perf"
expect_in perf.out "Latency p99"
[ -f "$work/perf/profile/profile.csv" ] || fail "perf's profile.csv was not fetched"

# 6. A closed port: exit 1, the message names user@host and the port.
closed="$(free_port)"
run closed --host 127.0.0.1 --port "$closed" --user "$user" --identity "$work/client_key" \
  --connect_timeout 5 --package "$PACKAGE" -- model_info --help
expect_rc 1 "closed port"
expect_in closed.err "$user@127.0.0.1 port $closed"

# 7. A usage error (unknown placeholder) fails before connecting: exit 2.
run usage "${common[@]}" -- model_info --model_file '{modle}'
expect_rc 2 "unknown placeholder"
expect_in usage.err "{modle}"

if [ "$(uname -m)" = x86_64 ]; then
  # 8. Without the emulator the x86_64 "board" is rejected, naming both architectures.
  run arch "${common[@]}" -- model_info --help
  expect_rc 1 "architecture mismatch"
  expect_in arch.err "aarch64"
  expect_in arch.err "x86_64"
  # 9. An emulator root without the aarch64 loader: the prefix check says so.
  mkdir -p "$work/emptyroot"
  run bad_prefix "${common[@]}" --remote_prefix "qemu-aarch64-static -L $work/emptyroot" -- \
    model_info --help
  expect_rc 1 "a prefix that cannot run the package"
  expect_in bad_prefix.err "--remote_prefix 'qemu-aarch64-static -L $work/emptyroot'"
fi
echo "deploy_test: all checks passed"
