#!/usr/bin/env bash
# The fleet walkthrough (README "Fleet"): the digits model on three boards at once with Ansible,
# one report for all of them.
#   1. setup      Debian packages (ansible among them), the arm64 sysroot, ONNX Runtime
#   2. build      the PC tools and the aarch64 board package
#   3. model      the digits CNN compiled to int8 (as in scripts/demo.sh), a held-out digit
#                 image, and ONNX Runtime's output for it (the PC reference)
#   4. boards     three stand-in boards (scripts/local_board.sh: sshd on loopback, tools under
#                 qemu), written into out/fleet/inventory.ini
#   5. playbook   fleet/fleet.yml: package, model and input to each board in parallel,
#                 model_info, perf, infer there, verifier on the PC
#   6. report     out/fleet/report.json and out/fleet/report.html; then the boards stop
# Usage: scripts/fleet_demo.sh [--skip-setup] [--boards N]   (N stand-in boards, default 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SETUP=1
NBOARDS=3
while [ "$#" -gt 0 ]; do
  case "$1" in
    --skip-setup) SETUP=0 ;;
    --boards) NBOARDS="${2:-}"; shift ;;
    -h|--help) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "fleet_demo.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
[[ "$NBOARDS" =~ ^[1-9]$ ]] || { echo "fleet_demo.sh: --boards takes 1..9" >&2; exit 2; }
step() { echo; echo "=== $* ==="; }
OUT=out/fleet
JOBS="$(nproc)"

step "1. setup"
if [ "$SETUP" = 1 ]; then scripts/setup.sh; fi

step "2. build: PC tools and the aarch64 board package"
cmake --preset host >/dev/null
cmake --build --preset host -j "$JOBS" --target model_compiler verifier
cmake --preset aarch64 >/dev/null
cmake --build --preset aarch64 -j "$JOBS" --target model_info infer perf verifier
ARM_BUILD="$(scripts/preset_dir.sh --relative aarch64)"
cpack --config "$ARM_BUILD/CPackConfig.cmake" -B "$ARM_BUILD/package" >/dev/null
PKG="$(ls "$ARM_BUILD"/package/edgert-*-Linux-aarch64.tar.gz)"

step "3. the digits model, a held-out digit, ONNX Runtime's output for it"
/usr/bin/python3 scripts/train_digits.py --data-only --out build/digits
"$(scripts/preset_dir.sh host)/apps/model_compiler" --config samples/configs/digits_int8.yaml
IMAGE=build/digits/test_png/0000_6.png
rm -rf "$OUT"
mkdir -p "$OUT/ref"
/usr/bin/python3 scripts/preprocess_ref.py rt "$IMAGE" --type gray --height 20 --width 20 \
  --range regular -o "$OUT/ref/rt.bin"
/usr/bin/python3 scripts/preprocess_ref.py train "$OUT/ref/rt.bin" --type-rt gray \
  --type-train gray --height 20 --width 20 --layout-train NCHW --range regular \
  --norm data_scale --scale 0.003921568627 -o "$OUT/ref/train.bin"
ORT_OPT=disabled node scripts/ort_run.js --model build/compiled/digits_int8_quantized_model.onnx \
  --input "input=$OUT/ref/train.bin" --output_dir "$OUT/ref/ort" --threads 1
cp "$OUT/ref/ort/logits.bin" "$OUT/ref/logits.bin"

step "4. $NBOARDS stand-in boards on loopback"
boards=()
stop_boards() {
  for b in ${boards[@]+"${boards[@]}"}; do scripts/local_board.sh stop "$OUT/$b"; done
}
trap stop_boards EXIT
{
  echo "# Written by scripts/fleet_demo.sh: stand-in boards on this PC (scripts/local_board.sh)."
  echo "[boards]"
  for i in $(seq "$NBOARDS"); do
    b="board$i"
    scripts/local_board.sh start "$OUT/$b" >&2
    boards+=("$b")
    # shellcheck source=/dev/null
    source "$OUT/$b/board.env"
    echo "$b ansible_host=$BOARD_HOST ansible_port=$BOARD_PORT ansible_user=$BOARD_USER" \
      "ansible_ssh_private_key_file=$BOARD_KEY edgert_remote_dir=$BOARD_DIR" \
      "edgert_remote_prefix=\"$BOARD_PREFIX\" ansible_remote_tmp=$ROOT/$OUT/$b/ansible-tmp"
  done
  echo
  echo "[boards:vars]"
  echo "edgert_arch=aarch64"
  echo "ansible_python_interpreter=/usr/bin/python3"
  echo "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"
} >"$OUT/inventory.ini"
cat "$OUT/inventory.ini"

step "5. the playbook: every board in parallel"
echo "\$ ansible-playbook -i $OUT/inventory.ini fleet/fleet.yml -e @fleet/models.example.yml"
ANSIBLE_CONFIG=fleet/ansible.cfg ansible-playbook -i "$OUT/inventory.ini" fleet/fleet.yml \
  -e @fleet/models.example.yml \
  -e "{\"edgert_packages\": {\"aarch64\": \"$ROOT/$PKG\"}, \"fleet_out\": \"$ROOT/$OUT\"}" \
  -e fleet_strict=true

step "6. the report"
echo "$OUT/report.json: $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"])' "$OUT/report.json")"
echo "$OUT/report.html: open it in a browser (one file, no network needed)"
