#!/usr/bin/env bash
# Prints the build folder of a CMake configure preset: its binaryDir in CMakePresets.json with
# ${sourceDir} resolved. Scripts name build folders through this, so CMakePresets.json is the one
# place that says where each preset builds. --relative prints it relative to the source tree.
# Usage: scripts/preset_dir.sh [--relative] PRESET
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
relative=0
if [ "${1:-}" = --relative ]; then relative=1; shift; fi
if [ $# -ne 1 ]; then
  echo "usage: scripts/preset_dir.sh [--relative] PRESET (host, host-asan, aarch64)" >&2
  exit 2
fi
/usr/bin/python3 - "$ROOT" "$1" "$relative" <<'PY'
import json
import os
import sys

root, name, relative = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
with open(root + "/CMakePresets.json") as f:
    presets = json.load(f)["configurePresets"]
for p in presets:
    if p["name"] == name:
        path = p["binaryDir"].replace("${sourceDir}", root)
        print(os.path.relpath(path, root) if relative else path)
        sys.exit(0)
names = ", ".join(p["name"] for p in presets)
sys.exit(f"preset_dir.sh: CMakePresets.json has no configure preset '{name}' (it has: {names})")
PY
