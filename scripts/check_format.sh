#!/usr/bin/env bash
# Checks that our C++ (every .cc and .h git tracks: generated code lives in the build folders and
# no third-party code is vendored) is formatted as clang-format-14 formats it with the
# repository's .clang-format. Lists the files that are not and exits 1.
# Usage: scripts/check_format.sh [--fix]   (--fix reformats those files in place instead)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: scripts/check_format.sh [--fix]" >&2; exit 2 ;;
esac
command -v clang-format-14 >/dev/null || { echo "check_format.sh: clang-format-14 missing (scripts/setup.sh installs it)" >&2; exit 2; }
mapfile -d '' files < <(git ls-files -z -- '*.cc' '*.h')
if [ "$fix" = 1 ]; then
  clang-format-14 -i "${files[@]}"
  echo "reformatted ${#files[@]} file(s) with clang-format-14"
  exit 0
fi
drift=()
for f in "${files[@]}"; do
  clang-format-14 --dry-run --Werror "$f" >/dev/null 2>&1 || drift+=("$f")
done
if [ "${#drift[@]}" -gt 0 ]; then
  printf '%s\n' "${drift[@]}" >&2
  echo "check_format.sh: ${#drift[@]} of ${#files[@]} C++ file(s) differ from clang-format-14" \
       "(see one: clang-format-14 --dry-run FILE; fix all: scripts/check_format.sh --fix)" >&2
  exit 1
fi
echo "clang-format-14: all ${#files[@]} C++ files formatted"
