#!/usr/bin/env bash
# The fleet playbook (fleet/fleet.yml) end to end against three stand-in boards on loopback
# (scripts/local_board.sh: a real sshd each, the aarch64 package run through qemu at a root that
# holds only glibc and libstdc++). One board is stopped before the run, so it is unreachable.
# Board 2 already holds the package, installed by scripts/deploy.sh. Then one playbook run:
# report.json must hold 2 boards with results and PASSED (against ONNX Runtime's output), the
# package uploaded to board 1 only (board 2's sha256 stamp matches), and board 3 failed at
# "connect" with ssh's reason; report.html must show the same (parsed with html.parser).
# Prints the playbook's wall time.
#
# Usage: fleet_test.sh PACKAGE.tar.gz HOST_VERIFIER MODELS_DIR [SYSROOT]
#   PACKAGE        the aarch64 board package (cpack)
#   HOST_VERIFIER  the host build's verifier
#   MODELS_DIR     scripts/prepare_models.sh's output (mobilenet_v2_tiny_nv12.*)
#   SYSROOT        the arm64 sysroot the emulator root is copied from
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ "$#" -ge 3 ] || { sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2; }
# Absolute: the playbook resolves relative paths against the repository, not the current folder.
PACKAGE="$(realpath -m "$1")" VERIFIER="$(realpath -m "$2")" MODELS="$(realpath -m "$3")"
SYSROOT="${4:-$ROOT/.cache/sysroot-aarch64}"
MODEL="$MODELS/mobilenet_v2_tiny_nv12.bin"
REF="$MODELS/mobilenet_v2_tiny_nv12.ort/output.bin"
IMAGE=/usr/share/doc/opencv-doc/examples/data/baboon.jpg
[ -f "$IMAGE" ] || IMAGE="$MODELS/mobilenet_v2_tiny_nv12.input.bin"

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
for f in "$PACKAGE" "$VERIFIER" "$MODEL" "$REF" "$IMAGE"; do
  [ -e "$f" ] || fail "$f is missing (cpack, the host build and scripts/prepare_models.sh make it)"
done
for p in ansible-playbook /usr/sbin/sshd qemu-aarch64-static /usr/bin/python3; do
  command -v "$p" >/dev/null || fail "$p is missing (scripts/setup.sh installs it)"
done

work="$(mktemp -d "${TMPDIR:-/tmp}/edgert-fleet-test.XXXXXX")"
boards=(board1 board2 board3)
cleanup() {
  for b in "${boards[@]}"; do "$ROOT/scripts/local_board.sh" stop "$work/$b" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# ---- three boards; the third is stopped: its port refuses connections -----------------------
{
  echo "[boards]"
  for b in "${boards[@]}"; do
    "$ROOT/scripts/local_board.sh" start "$work/$b" "$SYSROOT" 2>/dev/null ||
      fail "scripts/local_board.sh start $work/$b"
    # shellcheck source=/dev/null
    source "$work/$b/board.env"
    echo "$b ansible_host=$BOARD_HOST ansible_port=$BOARD_PORT ansible_user=$BOARD_USER" \
      "ansible_ssh_private_key_file=$BOARD_KEY edgert_remote_dir=$BOARD_DIR" \
      "edgert_remote_prefix=\"$BOARD_PREFIX\" edgert_arch=aarch64" \
      "ansible_python_interpreter=/usr/bin/python3 ansible_remote_tmp=$work/$b/ansible-tmp" \
      "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"
  done
} >"$work/inventory.ini"
down_port="$(sed -n 's/^board3 .*ansible_port=\([0-9]*\).*/\1/p' "$work/inventory.ini")"
"$ROOT/scripts/local_board.sh" stop "$work/board3" 2>/dev/null

cat >"$work/models.yml" <<EOF
edgert_models:
  - name: mobilenet_v2_tiny_nv12
    file: $MODEL
    inputs: [$IMAGE]
    refs: [$REF]
edgert_packages: {aarch64: $PACKAGE}
edgert_verifier: $VERIFIER
edgert_perf_args: --frame_count 3 --warmup 1
fleet_out: $work/out
EOF

# board2 already holds the package, installed by scripts/deploy.sh: the playbook must see its
# sha256 stamp and not upload it again.
# shellcheck source=/dev/null
source "$work/board2/board.env"
"$ROOT/scripts/deploy.sh" "${BOARD_DEPLOY_ARGS[@]}" --package "$PACKAGE" 2>"$work/deploy.log" ||
  { cat "$work/deploy.log"; fail "scripts/deploy.sh to board2"; }

play() {  # play NAME ARGS...: the playbook; its output in $work/NAME.log
  local name="$1" t0 rc=0
  shift
  t0="$(date +%s.%N)"
  ANSIBLE_CONFIG="$ROOT/fleet/ansible.cfg" ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" \
    ANSIBLE_NOCOLOR=1 ansible-playbook -i "$work/inventory.ini" "$ROOT/fleet/fleet.yml" "$@" \
    >"$work/$name.log" 2>&1 || rc=$?
  echo "=== $name: ansible-playbook exit $rc, $(awk -v a="$t0" -v b="$(date +%s.%N)" \
    'BEGIN { printf "%.1f", b - a }') s wall"
  if [ "$rc" != 0 ]; then
    tail -n 40 "$work/$name.log"
    fail "$name: ansible-playbook exit $rc"
  fi
}

# ---- the playbook on all three boards ---------------------------------------------------------
play playbook -e "@$work/models.yml"
/usr/bin/python3 - "$work/out" "$down_port" "$(basename "$PACKAGE")" <<'EOF' || fail "the report"
import html.parser, json, re, sys
out, down_port, pkg_name = sys.argv[1:]
version = re.match(r"edgert-(.*)-Linux-", pkg_name).group(1)
r = json.load(open(out + "/report.json"))
bad = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)
recs = {x["board"]: x for x in r["records"]}
check(sorted(recs) == ["board1", "board2", "board3"] and len(r["records"]) == 3,
      "one record per board x model")
for b in ("board1", "board2"):
    x = recs[b]
    check(x["status"] == "ok" and x["verdict"] == "PASSED", b + ": results, PASSED")
    lat = x["latency_ms"]
    check(all(lat[k] is not None and lat[k] > 0 for k in lat) and
          lat["min"] <= lat["median"] <= lat["p99"] <= lat["max"], b + ": latency percentiles")
    check(x["throughput_fps"] > 0 and x["frames"] == 3, b + ": FPS over the 3 frames")
    check(x["worst_tensor"]["name"] == "model_infer_output_0_output.bin" and
          x["worst_tensor"]["cosine"] >= 0.999, b + ": worst tensor, cosine %.6f"
          % x["worst_tensor"]["cosine"])
    check(x["package_arch"] == "aarch64" and x["arch"] and x["cpu"] and x["cores"] >= 1,
          b + ": arch %s (runs %s), CPU %s" % (x["arch"], x["package_arch"], x["cpu"]))
    # board2 got the package from scripts/deploy.sh before: same stamp, no upload.
    check(x["package_version"] == version and x["package_uploaded"] is (b == "board1"),
          b + ": package %s, uploaded: %s" % (version, x["package_uploaded"]))
x = recs["board3"]
check(x["status"] == "failed" and x["failed_step"] == "connect" and
      down_port in x["reason"] and "refused" in x["reason"].lower(),
      "board3: failed at connect: %s" % x["reason"])
check(r["summary"] == {"records": 3, "passed": 2, "verdict_failed": 0, "run_failed": 1},
      "summary %s" % r["summary"])

class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.rows, s.bars, s.cur, s.scripts = [], [], None, 0
    def handle_starttag(s, tag, attrs):
        a = dict(attrs); c = a.get("class", "").split()
        if tag == "script": s.scripts += 1
        if tag == "tr" and "record" in c: s.cur = [a["data-board"], c, ""]; s.rows.append(s.cur)
        if tag == "rect" and "bar" in c: s.bars.append((a["data-board"], c))
    def handle_endtag(s, tag):
        if tag == "tr": s.cur = None
    def handle_data(s, d):
        if s.cur is not None: s.cur[2] += d
p = P(); p.feed(open(out + "/report.html").read())
check(p.scripts == 0, "report.html: no script")
check([(b, "pass" in c) for b, c, _ in p.rows] == [("board1", True), ("board2", True),
                                                   ("board3", False)],
      "report.html: a row per board, board1/2 pass")
check("error" in p.rows[2][1] and down_port in p.rows[2][2], "report.html: board3's reason")
check(sorted(b for b, c in p.bars if "pass" in c) == ["board1", "board2"],
      "report.html: a green bar for board1 and board2, none for board3")
sys.exit(1 if bad else 0)
EOF
[ -f "$work/out/boards/board1/models/mobilenet_v2_tiny_nv12/verifier.html" ] ||
  fail "no verifier.html for board1"

echo "fleet_test: all checks passed"
