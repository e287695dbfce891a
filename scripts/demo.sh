#!/usr/bin/env bash
# The demo: sets up, builds natively, writes a sample model and inspects it with model_info.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup.sh --no-sysroot
cmake --preset host >/dev/null
cmake --build --preset host -j "$(nproc)"
mkdir -p out/demo
build/host/samples/write_sample_model out/demo/sample.bin
build/host/apps/model_info --model_file out/demo/sample.bin
