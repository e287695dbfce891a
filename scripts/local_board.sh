#!/usr/bin/env bash
# A stand-in aarch64 board on this PC, for the walkthrough (scripts/demo.sh) and the deploy test:
# a real sshd on a free loopback port with throwaway keys, and an emulator root for
# qemu-aarch64-static that holds only what every glibc board has (the dynamic loader, glibc,
# libstdc++, libgcc_s). Everything else the package's tools need must come from the package
# itself. No binfmt registration: scripts/deploy.sh runs the tools through
# --remote_prefix "qemu-aarch64-static -L DIR/minroot".
#
# Usage:
#   scripts/local_board.sh start DIR [SYSROOT]   start sshd (keys, config, log in DIR) and make
#                                                DIR/minroot; writes DIR/board.env (below)
#   scripts/local_board.sh stop DIR              stop that sshd
#   scripts/local_board.sh minroot DIR [SYSROOT] only make DIR/minroot
# SYSROOT defaults to .cache/sysroot-aarch64 (scripts/setup.sh builds it).
# DIR/board.env (bash) sets BOARD_HOST, BOARD_PORT, BOARD_USER, BOARD_KEY (private key),
# BOARD_PREFIX (the emulator command) and BOARD_DIR (a remote working folder), and the array
# BOARD_DEPLOY_ARGS: the scripts/deploy.sh options that reach this board.
# sshd stops by itself after 2 hours, in case nobody calls stop.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { sed -n '9,20s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[ "$#" -ge 2 ] || usage
cmd="$1"
dir="$2"
sysroot="${3:-$ROOT/.cache/sysroot-aarch64}"
log() { echo "[board] $*" >&2; }
die() { echo "local_board.sh: $*" >&2; exit 1; }

make_minroot() {
  local root="$dir/minroot" lib d found
  [ -e "$sysroot/lib/ld-linux-aarch64.so.1" ] ||
    die "$sysroot has no aarch64 loader (run scripts/setup.sh to build the sysroot)"
  rm -rf "$root"
  mkdir -p "$root/lib"
  cp -L "$sysroot/lib/ld-linux-aarch64.so.1" "$root/lib/"
  for lib in libc.so.6 libm.so.6 libpthread.so.0 libdl.so.2 librt.so.1 libresolv.so.2 \
             libutil.so.1 libanl.so.1 libstdc++.so.6 libgcc_s.so.1; do
    found=0
    for d in lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu; do
      if [ -e "$sysroot/$d/$lib" ]; then
        mkdir -p "$root/$d"
        cp -L "$sysroot/$d/$lib" "$root/$d/"
        found=1
      fi
    done
    [ "$found" = 1 ] || die "$lib is not in $sysroot"
  done
}

case "$cmd" in
  minroot)
    mkdir -p "$dir"
    make_minroot
    ;;
  start)
    for p in /usr/sbin/sshd ssh-keygen qemu-aarch64-static /usr/bin/python3; do
      command -v "$p" >/dev/null || die "$p is missing (scripts/setup.sh installs it)"
    done
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/sshd.job" ] && kill -0 "$(cat "$dir/sshd.job")" 2>/dev/null; then
      die "a board already runs from $dir (job $(cat "$dir/sshd.job")); stop it first"
    fi
    make_minroot
    rm -f "$dir/host_key" "$dir/client_key" "$dir/host_key.pub" "$dir/client_key.pub"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
    ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key"
    cp "$dir/client_key.pub" "$dir/authorized_keys"
    port="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd.pid
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
PrintMotd no
EOF
    [ -d /run/sshd ] || mkdir -p /run/sshd || die "sshd needs /run/sshd (create it as root)"
    # -D keeps sshd in the foreground of its own background job, so timeout can bound it.
    nohup timeout 7200 /usr/sbin/sshd -D -e -f "$dir/sshd_config" >"$dir/sshd.log" 2>&1 &
    echo $! >"$dir/sshd.job"
    for _ in $(seq 100); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      kill -0 "$(cat "$dir/sshd.job")" 2>/dev/null || die "sshd exited: $(tail -n 5 "$dir/sshd.log")"
      sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
      die "sshd does not listen on 127.0.0.1:$port: $(tail -n 5 "$dir/sshd.log")"
    user="$(id -un)"
    cat >"$dir/board.env" <<EOF
BOARD_HOST=127.0.0.1
BOARD_PORT=$port
BOARD_USER=$user
BOARD_KEY=$dir/client_key
BOARD_PREFIX="qemu-aarch64-static -L $dir/minroot"
BOARD_DIR=$dir/remote
BOARD_DEPLOY_ARGS=(--host 127.0.0.1 --port $port --user $user --identity $dir/client_key
  --ssh_option StrictHostKeyChecking=no --ssh_option UserKnownHostsFile=/dev/null
  --remote_dir $dir/remote --remote_prefix "qemu-aarch64-static -L $dir/minroot")
EOF
    log "sshd on $user@127.0.0.1:$port (key $dir/client_key); tools run through" \
        "qemu-aarch64-static -L $dir/minroot; settings in $dir/board.env"
    ;;
  stop)
    if [ -f "$dir/sshd.job" ]; then
      # timeout passes the TERM on to sshd.
      kill "$(cat "$dir/sshd.job")" 2>/dev/null || true
      rm -f "$dir/sshd.job"
      log "stopped the board in $dir"
    fi
    ;;
  *) usage ;;
esac
