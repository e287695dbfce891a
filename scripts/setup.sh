#!/usr/bin/env bash
# Installs everything edgert needs from Debian's packages and npm, idempotently:
#   - host build and test dependencies (-dev packages, flatc, protobuf, python3 modules for the
#     model generators, ONNX node test data);
#   - the aarch64 cross toolchain and qemu-user-static;
#   - an arm64 sysroot made with mmdebstrap, cached under .cache/ and rebuilt only when its
#     package list changes;
#   - ONNX Runtime (npm onnxruntime-node, --ignore-scripts), the independent reference.
# Usage: scripts/setup.sh [--no-sysroot] [--no-ort]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${EDGERT_CACHE:-$ROOT/.cache}"
WITH_SYSROOT=1
WITH_ORT=1
for arg in "$@"; do
  case "$arg" in
    --no-sysroot) WITH_SYSROOT=0 ;;
    --no-ort) WITH_ORT=0 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

log() { echo "[setup] $*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

HOST_PACKAGES=(
  build-essential cmake ninja-build pkg-config file ca-certificates clang-format-14
  clang-14 libclang-rt-14-dev
  libboost-program-options-dev libopencv-dev libyuv-dev libspdlog-dev libfmt-dev
  libjpeg62-turbo-dev libpng-dev libexif-dev
  libgtest-dev libgmock-dev libxnnpack-dev libpthreadpool-dev libcpuinfo-dev libdnnl-dev
  libflatbuffers-dev flatbuffers-compiler libyaml-cpp-dev nlohmann-json3-dev libxxhash-dev
  libonnx-dev libprotobuf-dev protobuf-compiler libssl-dev
  g++-aarch64-linux-gnu qemu-user-static mmdebstrap patchelf openssh-server openssh-client
  ansible
  libonnx-testdata opencv-doc
  python3-numpy python3-onnx python3-opencv python3-torch python3-torchvision python3-jsonschema
  python3-pil
  python3-dev pybind11-dev python3-pytest
)
# Node.js may already come from elsewhere with its own npm; Debian's npm conflicts with that.
if ! command -v npm >/dev/null 2>&1; then HOST_PACKAGES+=(nodejs npm); fi

# The packages whose arm64 builds go into the sysroot. Changing this list rebuilds it.
# (imgcodecs only for the classification sample, which decodes with cv::imread; the tools
# decode with libjpeg-turbo, libpng and libexif, so the board package does not carry it.
# python3-dev gives the Python headers the edgert module builds against; python3, numpy and
# pytest run the Python tests under qemu.)
SYSROOT_PACKAGES=(
  libc6-dev libstdc++-12-dev
  libboost-program-options-dev libyuv-dev libspdlog-dev libfmt-dev
  libjpeg62-turbo-dev libpng-dev libexif-dev
  libgtest-dev libgmock-dev libxnnpack-dev libpthreadpool-dev libcpuinfo-dev
  libflatbuffers-dev libyaml-cpp-dev nlohmann-json3-dev libxxhash-dev
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  python3-dev python3-numpy python3-pytest
)

missing=()
for p in "${HOST_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${#missing[@]} host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "host packages: all ${#HOST_PACKAGES[@]} installed"
fi

if [ "$WITH_SYSROOT" = 1 ]; then
  SYSROOT="$CACHE/sysroot-aarch64"
  STAMP_WANT="$(printf '%s\n' "${SYSROOT_PACKAGES[@]}" | sort | sha256sum | cut -c1-16)"
  STAMP_HAVE="$(cat "$SYSROOT/.edgert-stamp" 2>/dev/null || true)"
  if [ "$STAMP_WANT" != "$STAMP_HAVE" ]; then
    log "building the arm64 sysroot in $SYSROOT (package list $STAMP_WANT)"
    rm -rf "$SYSROOT.tmp" "$SYSROOT"
    mkdir -p "$CACHE"
    mmdebstrap --quiet --variant=extract --arch=arm64 \
      --include="$(IFS=,; echo "${SYSROOT_PACKAGES[*]}")" bookworm "$SYSROOT.tmp" \
      "deb http://deb.debian.org/debian bookworm main" \
      "deb http://deb.debian.org/debian bookworm-updates main" \
      "deb http://deb.debian.org/debian-security bookworm-security main"
    # Absolute symlinks point into the host's root; make them relative to the sysroot.
    (cd "$SYSROOT.tmp" && find . -type l -lname '/*' | while read -r link; do
      target="$(readlink "$link")"
      dir="$(dirname "$link")"
      rel="$(realpath -m --relative-to="$dir" ".$target")"
      ln -sfn "$rel" "$link"
    done)
    # The BLAS/LAPACK alternatives are made by maintainer scripts, which extract does not run.
    libdir="$SYSROOT.tmp/usr/lib/aarch64-linux-gnu"
    for lib in blas lapack; do
      if [ ! -e "$libdir/lib$lib.so.3" ]; then
        cand="$(ls "$libdir"/*/lib$lib.so.3 2>/dev/null | head -n1 || true)"
        if [ -n "$cand" ]; then ln -sfn "${cand#$libdir/}" "$libdir/lib$lib.so.3"; fi
      fi
    done
    echo "$STAMP_WANT" > "$SYSROOT.tmp/.edgert-stamp"
    mv "$SYSROOT.tmp" "$SYSROOT"
  else
    log "arm64 sysroot up to date ($SYSROOT)"
  fi
fi

if [ "$WITH_ORT" = 1 ]; then
  ORT_DIR="$CACHE/ort"
  ORT_VERSION="1.20.1"
  if [ ! -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ] ||
     ! grep -q "\"version\": \"$ORT_VERSION\"" "$ORT_DIR/node_modules/onnxruntime-node/package.json"; then
    log "installing onnxruntime-node@$ORT_VERSION into $ORT_DIR (--ignore-scripts)"
    mkdir -p "$ORT_DIR"
    (cd "$ORT_DIR" && npm install --silent --no-audit --no-fund --ignore-scripts \
      "onnxruntime-node@$ORT_VERSION" >&2)
  else
    log "onnxruntime-node $ORT_VERSION present"
  fi
fi
log "done"
