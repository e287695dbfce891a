#!/usr/bin/env bash
# The board-side helper scripts on the host: cmake/bundle_libs.sh (what the package's lib/ gets)
# and scripts/local_board.sh's argument and sysroot errors. Each failure must exit non-zero and
# name what is missing and where it was looked for.
# Usage: scripts_test.sh SOURCE_DIR TOOL LIBDIR
#   TOOL: a built program linked to libedgert.so.0 (the featuremap sample: a small closure)
#   LIBDIR: the folder that holds the built libedgert.so.0
set -euo pipefail
src="$1"
tool="$2"
libdir="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# expect RC PATTERN CMD...: CMD exits with RC and its stderr contains PATTERN (fixed string).
expect() {
  local want_rc="$1" pattern="$2" rc=0
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" != "$want_rc" ]; then
    fail "$* exited $rc, expected $want_rc; stderr: $(tail -n 3 "$tmp/err")"
  elif ! grep -qF -- "$pattern" "$tmp/err"; then
    fail "$* stderr lacks '$pattern': $(tail -n 3 "$tmp/err")"
  else
    echo "ok: $(basename "$2") -> $want_rc, '$pattern'"
  fi
}

# bundle_libs.sh: a library found nowhere is named with the object that needs it and the folders.
name="$(basename "$tool")"
mkdir -p "$tmp/pkg/bin" "$tmp/pkg/lib" "$tmp/empty"
cp "$tool" "$tmp/pkg/bin/"
expect 1 "(needed by $name) not found in: $tmp/empty" bash "$src/cmake/bundle_libs.sh" \
  "$tmp/pkg" "$tmp/empty"
# The first library it names is the tool's first NEEDED entry outside the glibc base
# (libedgert.so.0, or libasan.so.8 in a sanitizer build).
is_base='^(ld-linux.*|lib(c|m|pthread|dl|rt|resolv|util|anl)\.so\..*|libstdc\+\+\.so\..*|libgcc_s\.so\..*)$'
first="$(readelf -d "$tool" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | grep -vE "$is_base" | head -n 1)"
expect 1 "$first (needed by $name)" bash "$src/cmake/bundle_libs.sh" "$tmp/pkg" "$tmp/empty"

# ... and with the build's and the system's folders: every library the tool needs, except the
# glibc base, lands in lib/ with RUNPATH $ORIGIN, and the closure is complete.
multiarch="$(gcc -print-multiarch)"
expect 0 "bundle_libs.sh: bundled" bash "$src/cmake/bundle_libs.sh" "$tmp/pkg" "$libdir" \
  "/usr/lib/$multiarch" "/lib/$multiarch"
[ -f "$tmp/pkg/lib/libedgert.so.0" ] || fail "libedgert.so.0 was not bundled"
for lib in "$tmp"/pkg/lib/*; do
  rp="$(readelf -d "$lib" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')"
  [ "$rp" = '$ORIGIN' ] || fail "$(basename "$lib") has RUNPATH '$rp', expected \$ORIGIN"
  case "$(basename "$lib")" in
    libc.so.*|libstdc++.so.*|libgcc_s.so.*|libm.so.*) fail "base library $(basename "$lib") bundled" ;;
  esac
done
for obj in "$tmp"/pkg/bin/* "$tmp"/pkg/lib/*; do
  for need in $(readelf -d "$obj" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    case "$need" in
      ld-linux*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|\
      libutil.so.*|libanl.so.*|libstdc++.so.*|libgcc_s.so.*) ;;
      *) [ -f "$tmp/pkg/lib/$need" ] || fail "$(basename "$obj") needs $need, not in lib/" ;;
    esac
  done
done
echo "ok: $(ls "$tmp/pkg/lib" | wc -l) libraries bundled, closure complete"

# local_board.sh: no arguments is a usage error; a sysroot without the aarch64 loader is named.
expect 2 "Usage" bash "$src/scripts/local_board.sh"
mkdir -p "$tmp/fake_sysroot/lib"
expect 1 "$tmp/fake_sysroot has no aarch64 loader" bash "$src/scripts/local_board.sh" minroot \
  "$tmp/board" "$tmp/fake_sysroot"
touch "$tmp/fake_sysroot/lib/ld-linux-aarch64.so.1"
expect 1 "libc.so.6 is not in $tmp/fake_sysroot" bash "$src/scripts/local_board.sh" minroot \
  "$tmp/board" "$tmp/fake_sysroot"

[ "$fails" = 0 ] || { echo "$fails check(s) failed" >&2; exit 1; }
echo "scripts_test: all checks passed"
