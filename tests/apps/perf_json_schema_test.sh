#!/usr/bin/env bash
# Runs perf --json (plain, profiled, paced) and validates each report against the schema.
set -euo pipefail
perf="$1" writer="$2" schema="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$writer" "$tmp/m.bin" 2>/dev/null
"$perf" --model_file "$tmp/m.bin" --model_name featuremap --frame_count 20 --json >"$tmp/a.json" 2>/dev/null
"$perf" --model_file "$tmp/m.bin" --model_name featuremap --frame_count 20 --thread_num 2 \
  --profile_path "$tmp/prof" --json >"$tmp/b.json" 2>/dev/null
"$perf" --model_file "$tmp/m.bin" --model_name featuremap --frame_count 5 --perf_fps 500 \
  --json >"$tmp/c.json" 2>/dev/null
for f in a b c; do
  /usr/bin/python3 -c 'import json,sys,jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
print(sys.argv[1], "valid")' "$tmp/$f.json" "$schema"
done
