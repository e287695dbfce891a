#!/usr/bin/env bash
# Copies into PREFIX/lib every shared library that PREFIX/bin/*, PREFIX/lib/*.so* and the Python
# extension PREFIX/python/*/*.so need,
# directly or indirectly, except the base every glibc board has (the dynamic loader, glibc's
# libraries, libstdc++ and libgcc_s). Libraries are looked up in LIBDIR... in order (for a cross
# build: the sysroot's library folders). Each bundled library gets RUNPATH $ORIGIN, so the
# bundled set resolves within lib/ (RUNPATH applies only to an object's own NEEDED entries).
# Usage: bundle_libs.sh PREFIX LIBDIR...
set -euo pipefail
prefix="$1"; shift
libdirs=("$@")
is_base() {
  case "$1" in
    ld-linux*.so.*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*|\
    libutil.so.*|libanl.so.*|libstdc++.so.*|libgcc_s.so.*) return 0 ;;
  esac
  return 1
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
declare -A seen=()
queue=()
for f in "$prefix"/bin/* "$prefix"/lib/*.so* "$prefix"/python/*/*.so; do
  [ -f "$f" ] && [ ! -L "$f" ] && queue+=("$f")
done
while [ "${#queue[@]}" -gt 0 ]; do
  obj="${queue[0]}"; queue=("${queue[@]:1}")
  for lib in $(needed "$obj"); do
    if is_base "$lib" || [ -n "${seen[$lib]:-}" ]; then continue; fi
    seen[$lib]=1
    if [ -e "$prefix/lib/$lib" ]; then queue+=("$prefix/lib/$lib"); continue; fi
    src=""
    for d in "${libdirs[@]}"; do
      if [ -e "$d/$lib" ]; then src="$d/$lib"; break; fi
    done
    if [ -z "$src" ]; then
      echo "bundle_libs.sh: $lib (needed by $(basename "$obj")) not found in: ${libdirs[*]}" >&2
      exit 1
    fi
    cp -L "$src" "$prefix/lib/$lib"
    chmod u+w "$prefix/lib/$lib"
    patchelf --set-rpath '$ORIGIN' "$prefix/lib/$lib"
    queue+=("$prefix/lib/$lib")
  done
done
echo "bundle_libs.sh: bundled ${#seen[@]} libraries into $prefix/lib" >&2
