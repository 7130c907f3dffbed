# Shared shell helpers for stackwatch's scripts: logging, cache paths, toolchain
# environment and the kernel source location. Sourced, not run.
SW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SW_CACHE=${STACKWATCH_CACHE:-/var/cache/stackwatch}
SW_LOGS=${STACKWATCH_LOGS:-$SW_CACHE/logs}
mkdir -p "$SW_CACHE" "$SW_LOGS"
# CI may run with a bare environment: find HOME (rustup's toolchain lives there).
export HOME="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
export PATH="$HOME/.cargo/bin:$PATH"
export LIBCLANG_PATH=/usr/lib/llvm-19/lib
export CCACHE_DIR=${CCACHE_DIR:-$SW_CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}

say() { printf '[stackwatch %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[stackwatch] FAILED: %s\n' "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "must run as root (apt, QEMU's 9p root share)"; }

# run_logged NAME CMD...: runs CMD with its output in $SW_LOGS/NAME.log, printing
# a progress line every 30 s, and on failure names the log and shows its tail.
run_logged() {
  local name=$1; shift
  local log="$SW_LOGS/$name.log" start=$SECONDS last=$SECONDS
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 $pid 2>/dev/null; do
    sleep 2
    if (( SECONDS - last >= 30 )) && kill -0 $pid 2>/dev/null; then
      last=$SECONDS
      say "  ... $name running for $((SECONDS - start))s: $(tail -n1 "$log" | cut -c1-100)"
    fi
  done
  if ! wait $pid; then
    tail -n 25 "$log" >&2
    die "$name (log: $log)"
  fi
}

# kernel_src: prints the unpacked Linux source directory, unpacking it once.
kernel_src() {
  local tarball ver dir
  tarball=$(ls /usr/src/linux-source-7.3.tar.xz 2>/dev/null) || die "linux-source-7.3 is not installed: run scripts/setup.sh"
  ver=$(dpkg-query -W -f='${Version}' linux-source-7.3)
  dir="$SW_CACHE/src/linux-source-$(printf %s "$ver" | tr -c "A-Za-z0-9.\n-" _)"
  if [ ! -f "$dir/.unpacked" ]; then
    say "unpacking $tarball into $dir"
    rm -rf "$dir"; mkdir -p "$dir"
    tar -C "$dir" --strip-components=1 -xJf "$tarball"
    touch "$dir/.unpacked"
  fi
  echo "$dir"
}

# prepare KERNEL: installs what is missing, builds (or reuses) the test kernel
# and stackwatch.ko against it; sets KDIR.
prepare() {
  local kernel=${1:-x86_64-16k}
  "$SW_ROOT/scripts/setup.sh"
  "$SW_ROOT/qemu/build-kernel.sh" "$kernel" >/dev/null
  KDIR=$("$SW_ROOT/qemu/build-kernel.sh" --print-dir "$kernel")
  run_logged module-build make -s -C "$SW_ROOT" module KDIR="$KDIR" KERNEL="$kernel"
}
