#!/usr/bin/env bash
# Runs perf --json (plain, profiled, paced, with a start-up cache twice) and validates each report
# against the schema.
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
for f in d e; do
  "$perf" --model_file "$tmp/m.bin" --model_name featuremap --frame_count 2 \
    --cache_dir "$tmp/cache" --json >"$tmp/$f.json" 2>/dev/null
done
/usr/bin/python3 -c 'import json,sys
d, e = (json.load(open(f))["weight_cache"] for f in sys.argv[1:])
assert d["written"] and d["note"] == "new" and d["hits"] == 0, d
assert not e["written"] and e["misses"] == 0 and e["hits"] == d["misses"], e
print("weight_cache", d, e)' "$tmp/d.json" "$tmp/e.json"
for f in a b c d e; do
  /usr/bin/python3 -c 'import json,sys,jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
print(sys.argv[1], "valid")' "$tmp/$f.json" "$schema"
done
