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

# Kernel names: our own test kernels are ARCH-SIZE (x86_64-16k, riscv64-8k,
# described by qemu/configs/NAME.config); Debian's stock kernels are
# "debian" (the default release), "debian-FLAVOUR" (a flavour of the default
# version: debian-rt and debian-cloud are its rt-amd64 and cloud-amd64
# flavours, debian-arm64, debian-rt-arm64 ... name the arm64 ones) or
# "debian-RELEASE" (debian-7.3.4+deb13-amd64).
STOCK_VERSION=7.3.4+deb13
STOCK_DEFAULT_RELEASE=$STOCK_VERSION-amd64
# stock_default_release: the running kernel if it is a Debian 7.x one, else the default.
stock_default_release() {
  local r; r=$(uname -r)
  case "$r" in 7.*+deb*-*) echo "$r" ;; *) echo "$STOCK_DEFAULT_RELEASE" ;; esac
}
# stock_release KERNEL: the Debian release of a stock kernel name; fails for ours.
stock_release() {
  case "$1" in
    debian) stock_default_release ;;
    debian-[0-9]*) echo "${1#debian-}" ;;
    debian-*-amd64|debian-*arm64*) echo "$STOCK_VERSION-${1#debian-}" ;;
    debian-*) echo "$STOCK_VERSION-${1#debian-}-amd64" ;;
    *) return 1 ;;
  esac
}
# stock_dir RELEASE: where a stock release's headers overlay, image and modules are cached.
stock_dir() { echo "$SW_CACHE/stock/$1"; }
# stock_moddir RELEASE: the release's /usr/lib/modules/RELEASE as unpacked
# from its packages (modules, modules.dep, vmlinuz, config).
stock_moddir() { echo "$SW_CACHE/stock/$1/root/usr/lib/modules/$1"; }
# kernel_arch KERNEL: the kernel's ARCH= (x86_64, riscv, arm64). The one place that
# tells a kernel's architecture from its name (Makefile, build-kernel.sh,
# build-module.sh and run.sh ask here).
kernel_arch() {
  case "$1" in
    x86_64-*|debian) echo x86_64 ;;
    riscv64-*) echo riscv ;;
    debian-*)
      case "$(stock_release "$1")" in
        *-amd64) echo x86_64 ;;
        *-arm64|*-arm64-16k) echo arm64 ;;
        *) die "cannot tell the architecture of kernel '$1'" ;;
      esac ;;
    *) die "cannot tell the architecture of kernel '$1'" ;;
  esac
}
# arch_image ARCH: the boot image a kernel build of ARCH makes (under O=).
arch_image() {
  case "$1" in
    x86_64) echo arch/x86/boot/bzImage ;;
    riscv) echo arch/riscv/boot/Image ;;
    arm64) echo arch/arm64/boot/Image ;;
    *) die "no boot image known for ARCH=$1" ;;
  esac
}
# arch_qemu ARCH: the QEMU system emulator and machine for ARCH.
arch_qemu() {
  case "$1" in
    x86_64) echo qemu-system-x86_64 pc ;;
    riscv) echo qemu-system-riscv64 virt ;;
    arm64) echo qemu-system-aarch64 virt ;;
    *) die "no QEMU machine known for ARCH=$1" ;;
  esac
}
# arch_debian ARCH: the Debian architecture of ARCH (its guests' root file
# system, scripts/rootfs.sh).
arch_debian() {
  case "$1" in
    x86_64) echo amd64 ;;
    riscv) echo riscv64 ;;
    arm64) echo arm64 ;;
    *) die "no Debian architecture known for ARCH=$1" ;;
  esac
}
# kernel_kdir KERNEL: the KDIR of a kernel (ours: its cached build; stock: the overlay).
kernel_kdir() {
  local rel
  if rel=$(stock_release "$1"); then "$SW_ROOT/scripts/stock-kernel.sh" --print-kdir "$rel"
  else "$SW_ROOT/qemu/build-kernel.sh" --print-dir "$1"; fi
}

# debian_mirror: the Debian mirror this machine's apt uses.
debian_mirror() {
  local m
  m=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# made_once DIR PRINT_ONLY WHAT: for a root made once into DIR (DIR.built when
# done): prints DIR and exits if only its path was asked for or it is made
# already; else returns, as root, for the caller to make it.
made_once() {
  [ "$2" = 1 ] && { echo "$1"; exit 0; }
  [ -f "$1.built" ] && { say "$3 is cached: $1"; echo "$1"; exit 0; }
  need_root
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

# prepare_kernel KERNEL: makes KERNEL ready to build against and boot: our
# own test kernels are built (cached), a stock one gets its Rust metadata,
# signed image and modules (cached). Sets KDIR.
prepare_kernel() {
  local rel
  if rel=$(stock_release "$1"); then
    "$SW_ROOT/scripts/stock-kernel.sh" --boot "$rel" >/dev/null
  else
    "$SW_ROOT/qemu/build-kernel.sh" "$1" >/dev/null
  fi
  KDIR=$(kernel_kdir "$1")
}

# prepare KERNEL: installs what is missing, makes the kernel ready and builds
# stackwatch.ko against it into the checkout; sets KDIR.
prepare() {
  local kernel=${1:-debian}
  "$SW_ROOT/scripts/setup.sh"
  prepare_kernel "$kernel"
  run_logged module-build make -s -C "$SW_ROOT" module KDIR="$KDIR" KERNEL="$kernel"
}
