#!/usr/bin/env bash
# Runs an edgert tool on a board over SSH: uploads the board package, the model and the inputs,
# runs the tool there, fetches its output folder and, given PC references, compares the board
# outputs with them using the host verifier. See usage() or `scripts/deploy.sh --help`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ME="scripts/deploy.sh"

usage() {
  cat <<'EOF'
Usage: scripts/deploy.sh --host HOST --package PKG.tar.gz [options] [-- TOOL [ARGS...]]

Copies the edgert board package, a model and input files to USER@HOST over SSH, runs one
package tool there (model_info, infer, perf, verifier) with ARGS, fetches the remote output
folder and optionally compares the board's output dumps with PC references using the host
verifier. Without "-- TOOL" it only deploys (and fetches/verifies if asked).

Connection:
  --host HOST            board address (required)
  --port N               SSH port (default 22)
  --user USER            login user (default root)
  --identity FILE        private key (ssh -i; also sets IdentitiesOnly=yes)
  --ssh_option OPT       extra ssh option, as for ssh -o (repeatable), for example
                         --ssh_option StrictHostKeyChecking=no. Given before the script's
                         own defaults, so it can override them (except BatchMode=yes).
  --connect_timeout S    SSH connect timeout in seconds (default 10)

What to upload:
  --package FILE         board package edgert-<ver>-Linux-<arch>.tar.gz (required): one top
                         folder with bin/ lib/ include/ share/edgert/. Unpacked on the board as
                         REMOTE_DIR/pkg; skipped when the board already holds the same package
                         (sha256 stamp REMOTE_DIR/pkg/.edgert_package).
  --model FILE           model .bin, uploaded to REMOTE_DIR/data/model/<name> when changed
  --input FILE[,FILE]    input file(s), in model input order (repeatable); input i goes to
                         REMOTE_DIR/data/input<i>/<name> when changed
  --force_upload         upload package, model and inputs even when unchanged
  --remote_dir DIR       working folder on the board (default /tmp/edgert; relative paths
                         are relative to the login folder)

Running:
  --remote_prefix "CMD"  command prefix for every tool run on the board, passed to the remote
                         shell as written (for example "taskset -c 4-7", or an emulator such as
                         "qemu-aarch64-static -L /path/to/root"). Without a prefix the
                         board's `uname -m` must match the package's architecture; with one
                         a mismatch is allowed. Either way, after uploading, the package's
                         bin/model_info --help must run on the board (through the prefix).
  -- TOOL [ARGS...]      the package tool to run and its flags. These placeholders in ARGS
                         become board paths:
                           {model}    the uploaded --model
                           {input}    all uploaded inputs, comma-separated (for --input_file)
                           {input0}, {input1}, ...  one uploaded input
                           {out}      REMOTE_DIR/out: emptied before each run and the tool's
                                      working directory; this is what --fetch copies back
                           {pkg}      the unpacked package (REMOTE_DIR/pkg)
                           {dir}      REMOTE_DIR
                         Any other {name} is a usage error. The tool's stdout and stderr come
                         back on this script's stdout and stderr.

Results:
  --fetch DIR            copy the board's REMOTE_DIR/out into local DIR after the run. DIR must
                         be empty, missing, or an earlier --fetch folder (marked by
                         DIR/.edgert_fetch), which is emptied first.
  --ref_file F[,F]       PC reference outputs (np.tofile float32, valid shape, e.g. from ONNX
                         Runtime), in model output order. Needs --fetch and infer --enable_dump
                         --output_dir {out}. Reference i is compared with the fetched
                         model_infer_output_<i>_*.bin by "verifier --compare_dir".
  --ref_dir DIR          a PC dump folder (infer --enable_dump on the PC, possibly with
                         --dump_intermediate): "verifier --compare_dir FETCHED DIR" compares every
                         .bin both hold and names the first diverging node.
  --verifier PATH        host verifier (default: the host preset's build, apps/verifier)
  --verifier_option OPT  extra verifier flag (repeatable), for example
                         --verifier_option=--cos_threshold=0.9999

  -h, --help             show this help

Progress goes to stderr as "[deploy] ...". With --ref_file/--ref_dir the output ends with the
verifier's PASSED/FAILED line and the script exits with the verifier's exit code.
Exit codes: 0 ok, 1 failure (SSH, architecture, upload, remote tool, verification), 2 usage.

Example:
  scripts/deploy.sh --host 10.0.0.5 \
    --package build/aarch64/package/edgert-0.1.0-Linux-aarch64.tar.gz \
    --model m.bin --input img.jpg --fetch out/board --ref_file ort/output.bin -- \
    infer --model_file {model} --input_file {input} --enable_dump --output_dir {out}
EOF
}

log() { printf '[deploy] %s\n' "$*" >&2; }
die() {
  printf '[deploy] error: %s\n' "$*" >&2
  exit 1
}
usage_error() {
  printf '%s: %s\nTry '\''%s --help'\''.\n' "$ME" "$*" "$ME" >&2
  exit 2
}
q() { printf '%q' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# ---- arguments ---------------------------------------------------------------------------
host="" port=22 user=root identity="" connect_timeout=10 remote_dir=/tmp/edgert
package="" model="" fetch="" remote_prefix="" ref_file="" ref_dir="" force_upload=0
verifier="$("$ROOT/scripts/preset_dir.sh" host)/apps/verifier"
ssh_options=() inputs=() verifier_options=() tool_cmd=()
while [ "$#" -gt 0 ]; do
  opt="$1" val="" has_val=0
  case "$opt" in
    --*=*) val="${opt#*=}" opt="${opt%%=*}" has_val=1 ;;
  esac
  case "$opt" in
    -h | --help) usage; exit 0 ;;
    --force_upload) force_upload=1; shift; continue ;;
    --) shift; tool_cmd=("$@"); break ;;
    --host | --port | --user | --identity | --ssh_option | --connect_timeout | --remote_dir | \
      --package | --model | --input | --fetch | --remote_prefix | --ref_file | --ref_dir | \
      --verifier | --verifier_option) ;;
    *) usage_error "unknown option '$1'" ;;
  esac
  if [ "$has_val" = 0 ]; then
    [ "$#" -ge 2 ] || usage_error "$opt needs a value"
    val="$2"
    shift
  fi
  shift
  case "$opt" in
    --host) host="$val" ;;
    --port) port="$val" ;;
    --user) user="$val" ;;
    --identity) identity="$val" ;;
    --ssh_option) ssh_options+=(-o "$val") ;;
    --connect_timeout) connect_timeout="$val" ;;
    --remote_dir) remote_dir="$val" ;;
    --package) package="$val" ;;
    --model) model="$val" ;;
    --input) IFS=, read -r -a parts <<<"$val"; inputs+=("${parts[@]}") ;;
    --fetch) fetch="$val" ;;
    --remote_prefix) remote_prefix="$val" ;;
    --ref_file) ref_file="${ref_file:+$ref_file,}$val" ;;
    --ref_dir) ref_dir="$val" ;;
    --verifier) verifier="$val" ;;
    --verifier_option) verifier_options+=("$val") ;;
  esac
done

# ---- validation (usage errors first, then local files) -------------------------------------
[ -n "$host" ] || usage_error "--host is required"
[ -n "$package" ] || usage_error "--package is required"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
  usage_error "--port must be 1..65535, got '$port'"
[[ "$connect_timeout" =~ ^[0-9]+$ ]] && [ "$connect_timeout" -ge 1 ] ||
  usage_error "--connect_timeout must be a whole number of seconds >= 1, got '$connect_timeout'"
[ -n "$remote_dir" ] || usage_error "--remote_dir must not be empty"
[ -z "$ref_file" ] || [ -z "$ref_dir" ] ||
  usage_error "give at most one of --ref_file and --ref_dir"
if [ -n "$ref_file$ref_dir" ] && [ -z "$fetch" ]; then
  usage_error "--ref_file/--ref_dir compare fetched board outputs: give --fetch DIR too"
fi
tool="" tool_args=()
if [ "${#tool_cmd[@]}" -gt 0 ]; then
  tool="${tool_cmd[0]}"
  tool_args=("${tool_cmd[@]:1}")
  [[ "$tool" =~ ^[A-Za-z0-9_.-]+$ ]] ||
    usage_error "TOOL must be a program name in the package's bin/, got '$tool'"
fi
for a in ${tool_args[@]+"${tool_args[@]}"}; do
  rest="$a"
  for i in "${!inputs[@]}"; do rest="${rest//"{input$i}"/}"; done
  for p in '{model}' '{input}' '{out}' '{pkg}' '{dir}'; do rest="${rest//"$p"/}"; done
  if [[ "$rest" =~ \{[A-Za-z0-9_]+\} ]]; then
    usage_error "unknown placeholder ${BASH_REMATCH[0]} in '$a' (known: {model} {input}" \
      "{input0}.. {out} {pkg} {dir}; {inputN} needs N+1 --input files)"
  fi
  if [[ "$a" == *"{model}"* ]] && [ -z "$model" ]; then
    usage_error "'$a' uses {model}: give --model"
  fi
  if [[ "$a" == *"{input}"* ]] && [ "${#inputs[@]}" = 0 ]; then
    usage_error "'$a' uses {input}: give --input"
  fi
done

for f in "$package" ${model:+"$model"} ${inputs[@]+"${inputs[@]}"}; do
  [ -f "$f" ] || die "$f: no such file"
done
[ -z "$identity" ] || [ -f "$identity" ] || die "--identity $identity: no such file"
refs=()
if [ -n "$ref_file" ]; then
  IFS=, read -r -a refs <<<"$ref_file"
  for f in "${refs[@]}"; do [ -f "$f" ] || die "--ref_file $f: no such file"; done
fi
[ -z "$ref_dir" ] || [ -d "$ref_dir" ] || die "--ref_dir $ref_dir: not a directory"
if [ -n "$fetch" ] && [ -d "$fetch" ] && [ -n "$(ls -A "$fetch")" ] &&
  [ ! -f "$fetch/.edgert_fetch" ]; then
  die "--fetch $fetch is not empty and not an earlier --fetch folder (no .edgert_fetch):" \
    "refusing to empty it"
fi
[ ! -e "$fetch" ] || [ -d "$fetch" ] || die "--fetch $fetch is not a directory"
if [ -n "$ref_file$ref_dir" ] && [ ! -x "$verifier" ]; then
  die "host verifier $verifier not found (build it: cmake --build --preset host --target" \
    "verifier, or give --verifier)"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/edgert-deploy.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# ---- the package ---------------------------------------------------------------------------
# One decompression pass (packages bundle their libraries and run to tens of MB): unpack only
# TOP/bin/* and TOP/share/edgert/ARCH. tar fails when ARCH is absent, which is allowed.
mkdir "$tmp/pkg"
tar -xzf "$package" -C "$tmp/pkg" --wildcards --no-wildcards-match-slash '*/bin/*' \
  '*/share/edgert/ARCH' 2>"$tmp/tar.err" || true
if grep -v -e 'Not found in archive' -e 'Exiting with failure status' "$tmp/tar.err" |
  grep -q .; then
  die "$package: not a readable .tar.gz ($(grep -m 1 . "$tmp/tar.err"))"
fi
tops=()
for d in "$tmp/pkg"/*/; do [ -d "$d" ] && tops+=("$(basename "$d")"); done
[ "${#tops[@]}" = 1 ] && [ -d "$tmp/pkg/${tops[0]}/bin" ] ||
  die "$package: expected one top folder holding bin/ lib/ include/ share/edgert/"
top="${tops[0]}"
pkg_bin="$tmp/pkg/$top/bin"
[ -f "$pkg_bin/model_info" ] || die "$package: no $top/bin/model_info"
if [ -n "$tool" ] && [ ! -f "$pkg_bin/$tool" ]; then
  usage_error "'$tool' is not in the package's bin/ (it has: $(cd "$pkg_bin" && echo *))"
fi
# The package's architecture: share/edgert/ARCH, else file(1) on bin/model_info, else the name.
normalize_arch() {
  case "$1" in
    arm64 | aarch64) echo aarch64 ;;
    amd64 | x86_64 | x86-64) echo x86_64 ;;
    *) echo "$1" ;;
  esac
}
pkg_arch="" arch_source=""
if [ -f "$tmp/pkg/$top/share/edgert/ARCH" ]; then
  pkg_arch="$(tr -d '[:space:]' <"$tmp/pkg/$top/share/edgert/ARCH")"
  arch_source="share/edgert/ARCH"
fi
if [ -z "$pkg_arch" ] && command -v file >/dev/null; then
  case "$(file -b "$pkg_bin/model_info")" in
    *aarch64*) pkg_arch=aarch64 ;;
    *x86-64*) pkg_arch=x86_64 ;;
    *RISC-V*) pkg_arch=riscv64 ;;
    *"ARM,"*) pkg_arch=armv7l ;;
  esac
  arch_source="file bin/model_info"
fi
if [ -z "$pkg_arch" ] && [[ "$(basename "$package")" =~ -Linux-([A-Za-z0-9_]+)\.tar\.gz$ ]]; then
  pkg_arch="${BASH_REMATCH[1]}"
  arch_source="the package name"
fi
[ -n "$pkg_arch" ] || die "$package: cannot tell its architecture (no share/edgert/ARCH)"
pkg_arch="$(normalize_arch "$pkg_arch")"
pkg_sha="$(sha256sum "$package" | cut -d ' ' -f 1)"

# ---- SSH -----------------------------------------------------------------------------------
target="$user@$host"
where="$target:$port"
ssh_cmd=(ssh -p "$port" -o BatchMode=yes ${ssh_options[@]+"${ssh_options[@]}"}
  -o "ConnectTimeout=$connect_timeout" -o ServerAliveInterval=15 -o ServerAliveCountMax=4
  -o LogLevel=ERROR)
[ -z "$identity" ] || ssh_cmd+=(-i "$identity" -o IdentitiesOnly=yes)
ssh_cmd+=("$target")

# remote WHAT SCRIPT [< stdin]: runs SCRIPT (sh) on the board and returns its exit status; its
# stderr is kept in $tmp/ssh.err. SCRIPT's status travels in a last stderr line, so a failing
# SSH (exit 255, no such line) is told apart from a remote command exiting 255 (an emulator
# that cannot start, say); the former ends this script with a message naming the board.
remote() {
  local what="$1" script="$2" rc=0 last
  "${ssh_cmd[@]}" "($script
); echo \"edgert-exit \$?\" >&2" 2>"$tmp/ssh.raw" || rc=$?
  last="$(tail -n 1 "$tmp/ssh.raw")"
  grep -v '^edgert-exit [0-9]*$' "$tmp/ssh.raw" >"$tmp/ssh.err" || true
  if [[ "$last" =~ ^edgert-exit\ ([0-9]+)$ ]]; then
    return "${BASH_REMATCH[1]}"
  fi
  die "SSH to $target port $port failed while $what (ssh exit $rc): $(tail -n 1 "$tmp/ssh.err")"
}

# One round trip: create the remote folder, report its absolute path, the architecture, the
# installed package's stamp and the sha256 of the data files already there.
model_rel="" input_rels=()
[ -z "$model" ] || model_rel="model/$(basename "$model")"
for i in "${!inputs[@]}"; do input_rels+=("input$i/$(basename "${inputs[$i]}")"); done
data_locals=() data_rels=()
if [ -n "$model" ]; then data_locals+=("$model"); data_rels+=("$model_rel"); fi
for i in "${!inputs[@]}"; do data_locals+=("${inputs[$i]}"); data_rels+=("${input_rels[$i]}"); done
probe="mkdir -p $(q "$remote_dir") && cd $(q "$remote_dir") || exit 3
printf 'dir %s\n' \"\$(pwd)\"
printf 'arch %s\n' \"\$(uname -m)\"
if [ -f pkg/.edgert_package ]; then printf 'pkg %s\n' \"\$(cat pkg/.edgert_package)\"; fi"
if [ "${#data_rels[@]}" -gt 0 ]; then
  probe+="
for f in"
  for r in "${data_rels[@]}"; do probe+=" $(q "$r")"; done
  probe+="; do
  if [ -f \"data/\$f\" ]; then
    printf 'data %s %s\n' \"\$(sha256sum \"data/\$f\" | cut -d ' ' -f 1)\" \"\$f\"
  fi
done"
fi
log "connecting to $where"
rc=0
remote "connecting" "$probe" >"$tmp/probe" || rc=$?
if [ "$rc" != 0 ]; then
  die "cannot use $remote_dir on $where (exit $rc): $(tail -n 1 "$tmp/ssh.err")"
fi
probe_out="$(cat "$tmp/probe")"
rdir="" remote_arch="" remote_pkg=""
declare -A remote_sha=()
while IFS= read -r line; do
  case "$line" in
    "dir "*) rdir="${line#dir }" ;;
    "arch "*) remote_arch="${line#arch }" ;;
    "pkg "*) remote_pkg="${line#pkg }" ;;
    "data "*) rest="${line#data }"; remote_sha["${rest#* }"]="${rest%% *}" ;;
  esac
done <<<"$probe_out"
[ -n "$rdir" ] && [ -n "$remote_arch" ] || die "unexpected answer from $where: $probe_out"
remote_arch="$(normalize_arch "$remote_arch")"
rpkg="$rdir/pkg"

if [ "$remote_arch" != "$pkg_arch" ]; then
  if [ -z "$remote_prefix" ]; then
    die "architecture mismatch: the package is $pkg_arch (from $arch_source), the board" \
      "$where is $remote_arch (uname -m). Use a package built for $remote_arch, or run" \
      "through an emulator with --remote_prefix."
  fi
  log "package is $pkg_arch, board is $remote_arch: running through" \
    "--remote_prefix '$remote_prefix'"
fi

# ---- uploads -------------------------------------------------------------------------------
if [ "$force_upload" = 0 ] && [ "$remote_pkg" = "$pkg_sha" ]; then
  log "package unchanged on $where (sha256 ${pkg_sha:0:12}), not uploading"
else
  log "uploading package ($(mb "$(stat -c %s "$package")")) to $where:$rdir"
  rc=0
  remote "uploading the package" "set -e; cd $(q "$rdir"); rm -rf pkg.new; mkdir pkg.new
tar -C pkg.new -xzf -
rm -rf pkg; mv pkg.new/$(q "$top") pkg; rmdir pkg.new
echo $pkg_sha > pkg/.edgert_package" <"$package" || rc=$?
  [ "$rc" = 0 ] ||
    die "unpacking the package in $where:$rdir failed (exit $rc): $(tail -n 3 "$tmp/ssh.err")"
fi

changed=() bytes=0
for i in "${!data_rels[@]}"; do
  rel="${data_rels[$i]}"
  sha="$(sha256sum "${data_locals[$i]}" | cut -d ' ' -f 1)"
  if [ "$force_upload" = 1 ] || [ "${remote_sha[$rel]:-}" != "$sha" ]; then
    mkdir -p "$tmp/stage/$(dirname "$rel")"
    ln -s "$(realpath "${data_locals[$i]}")" "$tmp/stage/$rel"
    changed+=("$rel")
    bytes=$((bytes + $(stat -L -c %s "${data_locals[$i]}")))
  fi
done
if [ "${#data_rels[@]}" -gt 0 ]; then
  if [ "${#changed[@]}" = 0 ]; then
    log "model and inputs unchanged on $where, not uploading"
  else
    log "uploading ${changed[*]} ($(mb "$bytes")) to $where:$rdir/data"
    rc=0
    remote "uploading the model and inputs" \
      "mkdir -p $(q "$rdir/data") && tar -C $(q "$rdir/data") -xf -" \
      < <(tar -C "$tmp/stage" -chf - "${changed[@]}") || rc=$?
    [ "$rc" = 0 ] ||
      die "uploading to $where:$rdir/data failed (exit $rc): $(tail -n 3 "$tmp/ssh.err")"
  fi
fi

# The package must run on the board (through the prefix if any): catches a wrong prefix, a
# missing library or a foreign architecture before the real run.
prefix_words="${remote_prefix:+$remote_prefix }"
rc=0
remote "checking the package" \
  "cd $(q "$rdir") && ${prefix_words}$(q "$rpkg/bin/model_info") --help >/dev/null" || rc=$?
if [ "$rc" != 0 ]; then
  how="on $where"
  [ -z "$remote_prefix" ] || how="through --remote_prefix '$remote_prefix' on $where"
  die "the package's bin/model_info --help does not run $how (exit $rc):" \
    "$(tail -n 3 "$tmp/ssh.err")"
fi

# ---- the run -------------------------------------------------------------------------------
run_rc=0
if [ -n "$tool" ]; then
  remote_inputs=()
  for r in ${input_rels[@]+"${input_rels[@]}"}; do remote_inputs+=("$rdir/data/$r"); done
  joined_inputs="$(IFS=,; echo "${remote_inputs[*]-}")"
  rcmd="cd $(q "$rdir") && rm -rf out && mkdir out && cd out &&"
  rcmd+=" ${prefix_words}$(q "$rpkg/bin/$tool")"
  for a in ${tool_args[@]+"${tool_args[@]}"}; do
    for i in "${!remote_inputs[@]}"; do a="${a//"{input$i}"/"${remote_inputs[$i]}"}"; done
    a="${a//"{model}"/"$rdir/data/$model_rel"}"
    a="${a//"{input}"/"$joined_inputs"}"
    a="${a//"{out}"/"$rdir/out"}"
    a="${a//"{pkg}"/"$rpkg"}"
    a="${a//"{dir}"/"$rdir"}"
    rcmd+=" $(q "$a")"
  done
  log "running on $where: ${prefix_words}$tool ${tool_args[*]-}"
  # Streamed, not captured: the tool's stdout and stderr are the user's to see.
  "${ssh_cmd[@]}" "$rcmd" </dev/null || run_rc=$?
  if [ "$run_rc" = 255 ]; then
    log "SSH to $target port $port failed while running $tool, or $tool exited with 255" \
      "(see the message above)"
  fi
  [ "$run_rc" = 0 ] || log "$tool exited with $run_rc on $where"
fi

# ---- fetch ---------------------------------------------------------------------------------
if [ -n "$fetch" ]; then
  [ ! -f "$fetch/.edgert_fetch" ] || find "$fetch" -mindepth 1 -delete
  mkdir -p "$fetch"
  rc=0
  remote "fetching $rdir/out" "cd $(q "$rdir/out") && tar -cf - ." >"$tmp/out.tar" || rc=$?
  [ "$rc" = 0 ] || die "fetching $where:$rdir/out failed (exit $rc): $(tail -n 1 "$tmp/ssh.err")"
  tar -C "$fetch" -xf "$tmp/out.tar"
  printf '%s\n' "fetched from $where:$rdir/out by $ME" >"$fetch/.edgert_fetch"
  nfiles="$(find "$fetch" -type f ! -name .edgert_fetch | wc -l)"
  log "fetched $nfiles file(s) ($(mb "$(stat -c %s "$tmp/out.tar")") tar) from" \
    "$where:$rdir/out into $fetch"
fi
if [ "$run_rc" != 0 ]; then
  die "$tool failed on $where (exit $run_rc)"
fi

# ---- verify --------------------------------------------------------------------------------
if [ -n "$ref_file$ref_dir" ]; then
  pc_dir="$ref_dir"
  if [ -n "$ref_file" ]; then
    # Give each reference the name of the board dump it is compared with.
    mapfile -t dumps < <(find "$fetch" -maxdepth 1 -name 'model_infer_output_*.bin' \
      ! -name '*.aligned.bin' -printf '%f\n' | sort)
    [ "${#dumps[@]}" -gt 0 ] ||
      die "no model_infer_output_*.bin in $fetch: run infer --enable_dump --output_dir {out}" \
        "to compare with --ref_file"
    [ "${#dumps[@]}" = "${#refs[@]}" ] ||
      die "the board dumped ${#dumps[@]} output(s) (${dumps[*]}), --ref_file gives ${#refs[@]}"
    pc_dir="$tmp/ref"
    mkdir -p "$pc_dir"
    for i in "${!refs[@]}"; do
      name="$(printf '%s\n' "${dumps[@]}" | grep "^model_infer_output_${i}_" || true)"
      [ -n "$name" ] || die "no model_infer_output_${i}_*.bin in $fetch for --ref_file ${refs[$i]}"
      cp "${refs[$i]}" "$pc_dir/$name"  # a copy: the verifier reads only files inside the folder
    done
  fi
  log "comparing board outputs in $fetch with ${ref_dir:-$ref_file} (verifier --compare_dir)"
  rc=0
  "$verifier" --compare_dir "$fetch" "$pc_dir" ${verifier_options[@]+"${verifier_options[@]}"} ||
    rc=$?
  exit "$rc"
fi
log "done"
