#!/usr/bin/env bash
# Proves the aarch64 board package self-contained. It unpacks the tarball into an empty folder,
# then:
#   1. checks the layout, and RUNPATH $ORIGIN/../lib on every tool;
#   2. checks the NEEDED closure: every library any binary in it needs is in its lib/ or in the
#      base that every glibc board has (glibc, libstdc++, libgcc_s);
#   3. runs model_info and infer (on a JPEG: the image decoders' libraries load) under qemu with
#      -L at a minimal root that holds only that base, and compares infer's output with ONNX
#      Runtime's;
#   4. cross-builds the installed samples against the package with find_package(edgert), and runs
#      the featuremap sample at the minimal root.
#   5. runs the Python module from the package (PYTHONPATH=<package>/python) with the sysroot's
#      python3 and numpy under qemu: samples/python/classify.py (top-1 against ONNX Runtime) and
#      detect.py.
# Usage: package_test.sh PACKAGE.tar.gz SYSROOT TOOLCHAIN_FILE MODELS_DIR
set -euo pipefail
pkg="$1"
sysroot="$2"
toolchain="$3"
models="$4"
fail() { echo "FAIL: $*" >&2; exit 1; }
[ -f "$pkg" ] || fail "package $pkg not found (the package_build test makes it)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

tar -xzf "$pkg" -C "$tmp"
top="$(basename "$pkg" .tar.gz)"
root="$tmp/$top"
[ -d "$root" ] || fail "$pkg does not unpack into one folder $top/ (got: $(ls "$tmp"))"
echo "package: $(du -sh "$pkg" | cut -f1) packed, $(du -sh "$root" | cut -f1) unpacked," \
  "$(find "$root/lib" -maxdepth 1 -name '*.so*' | wc -l) shared libraries"

# 1. Layout.
for f in bin/model_info bin/infer bin/perf bin/verifier lib/libedgert.so include/edgert/session.h \
         lib/cmake/edgert/edgertConfig.cmake lib/cmake/edgert/edgertTargets.cmake \
         share/edgert/ARCH share/edgert/samples/CMakeLists.txt; do
  [ -e "$root/$f" ] || fail "$f missing from the package"
done
[ "$(cat "$root/share/edgert/ARCH")" = aarch64 ] ||
  fail "share/edgert/ARCH says '$(cat "$root/share/edgert/ARCH")', expected aarch64"
for tool in "$root"/bin/*; do
  runpath="$(readelf -d "$tool" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
  [ "$runpath" = '$ORIGIN/../lib' ] || fail "$(basename "$tool"): RUNPATH '$runpath', expected \$ORIGIN/../lib"
  readelf -h "$tool" | grep -q 'AArch64' || fail "$(basename "$tool") is not an AArch64 binary"
done

ext="$(ls "$root"/python/edgert/_edgert.cpython-*-aarch64-linux-gnu.so 2>/dev/null | head -n1)"
[ -n "$ext" ] && [ -f "$root/python/edgert/__init__.py" ] ||
  fail "python/edgert/ (__init__.py and _edgert.cpython-*-aarch64-linux-gnu.so) missing"
runpath="$(readelf -d "$ext" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
[ "$runpath" = '$ORIGIN/../../lib' ] || fail "$(basename "$ext"): RUNPATH '$runpath', expected \$ORIGIN/../../lib"

# 2. NEEDED closure against lib/ plus the base.
base_re='^(ld-linux-aarch64\.so\.1|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
checked=0
while IFS= read -r obj; do
  readelf -h "$obj" >/dev/null 2>&1 || continue
  for lib in $(readelf -d "$obj" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    if [[ "$lib" =~ $base_re ]]; then continue; fi
    [ -e "$root/lib/$lib" ] || fail "${obj#"$root"/} needs $lib, which is neither in lib/ nor in the base"
  done
  checked=$((checked + 1))
done < <(find "$root/bin" "$root/lib" "$root/python/edgert" -maxdepth 1 -type f)
echo "NEEDED closure: $checked binaries resolve within lib/ and the base"

# 3. Run at a minimal root: the dynamic loader, glibc, libstdc++ and libgcc_s, nothing else.
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root_dir/scripts/local_board.sh" minroot "$tmp" "$sysroot" || fail "making the minimal root"
min="$tmp/minroot"
board() { qemu-aarch64-static -L "$min" "$@"; }
# compare WHAT OUT REF: float32 files, cosine >= 0.99999 (ONNX Runtime's output as REF).
compare() {
  /usr/bin/python3 - "$@" <<'EOF'
import sys
import numpy as np
what, a, b = sys.argv[1], np.fromfile(sys.argv[2], np.float32), np.fromfile(sys.argv[3], np.float32)
if a.size != b.size:
    sys.exit(f"FAIL: {what}: {sys.argv[2]} has {a.size} floats, {sys.argv[3]} {b.size}")
cos = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
print(f"{what} vs ONNX Runtime: cosine {cos:.8f}")
if cos < 0.99999:
    sys.exit(f"FAIL: {what}: cosine below 0.99999")
EOF
}
model="$models/mobilenet_v2_tiny_nv12.bin"
image=/usr/share/doc/opencv-doc/examples/data/baboon.jpg
ref="$models/mobilenet_v2_tiny_nv12.ort/output.bin"
for f in "$model" "$image" "$ref"; do [ -f "$f" ] || fail "$f missing (scripts/prepare_models.sh)"; done
board "$root/bin/model_info" --model_file "$model" >"$tmp/info.txt" 2>"$tmp/info.err" ||
  fail "model_info at the minimal root: $(cat "$tmp/info.err")"
grep -q 'input_type: *IMG_NV12\|IMG_NV12' "$tmp/info.txt" || fail "model_info printed no NV12 input"
board "$root/bin/infer" --model_file "$model" --input_file "$image" --enable_dump \
  --output_dir "$tmp/out" >/dev/null 2>"$tmp/infer.err" ||
  fail "infer at the minimal root: $(cat "$tmp/infer.err")"
out="$(ls "$tmp"/out/*.bin | head -n1)"
compare "infer at the minimal root" "$out" "$ref"
board "$root/bin/perf" --model_file "$model" --frame_count 3 >/dev/null 2>"$tmp/perf.err" ||
  fail "perf at the minimal root: $(cat "$tmp/perf.err")"
board "$root/bin/verifier" --help >/dev/null 2>&1 || fail "verifier --help at the minimal root"
echo "model_info, infer, perf and verifier run with only the base libraries outside the package"

# 4. A user's application: the installed samples, cross-built against the unpacked package.
cmake -S "$root/share/edgert/samples" -B "$tmp/samples" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DEDGERT_SYSROOT="$sysroot" \
  -Dedgert_DIR="$root/lib/cmake/edgert" >"$tmp/samples.log" 2>&1 ||
  { cat "$tmp/samples.log" >&2; fail "configuring the installed samples with find_package(edgert)"; }
cmake --build "$tmp/samples" >>"$tmp/samples.log" 2>&1 ||
  { cat "$tmp/samples.log" >&2; fail "building the installed samples against the package"; }
sample="$(find "$tmp/samples" -maxdepth 2 -type f -name 'featuremap_sample' | head -n1)"
[ -n "$sample" ] || fail "the samples build made no featuremap_sample"
board "$sample" "$models/resnet18_tiny.bin" "$models/resnet18_tiny.input.bin" "$tmp/fm" \
  >/dev/null 2>"$tmp/fm.err" || fail "featuremap_sample at the minimal root: $(cat "$tmp/fm.err")"
compare "featuremap_sample (built against the package)" "$(ls "$tmp"/fm/output_0_*.bin)" \
  "$models/resnet18_tiny.ort/output.bin"

# 5. Python: the board's python3 and numpy (here the sysroot's) with PYTHONPATH=<package>/python.
py() { PYTHONPATH="$root/python" PYTHONDONTWRITEBYTECODE=1 \
  qemu-aarch64-static -L "$sysroot" "$sysroot/usr/bin/python3" "$@"; }
samples="$root/share/edgert/samples/python"
py "$samples/classify.py" "$model" "$image" --top 5 >"$tmp/classify.txt" 2>"$tmp/classify.err" ||
  fail "classify.py from the package: $(cat "$tmp/classify.err")"
/usr/bin/python3 - "$tmp/classify.txt" "$ref" <<'EOF'
import re, sys
import numpy as np
printed = re.findall(r"^#0 class (\d+) score", open(sys.argv[1]).read(), re.M)
want = int(np.argmax(np.fromfile(sys.argv[2], np.float32)))
if not printed or int(printed[0]) != want:
    sys.exit(f"FAIL: classify.py from the package printed top-1 {printed}, ONNX Runtime's is {want}")
print(f"classify.py from the package: top-1 class {want}, as ONNX Runtime")
EOF
det="$models/dethead_tiny_nv12.bin"
py "$samples/detect.py" "$det" "$image" --conf 0.2 >"$tmp/detect.txt" 2>"$tmp/detect.err" ||
  fail "detect.py from the package: $(cat "$tmp/detect.err")"
grep -q 'box(es)' "$tmp/detect.txt" || fail "detect.py printed no box count: $(cat "$tmp/detect.txt")"
echo "detect.py from the package: $(head -n1 "$tmp/detect.txt")"
