#!/usr/bin/env bash
# Boots a stackwatch test kernel (one of ours, or Debian's stock signed kernel:
# --kernel debian, debian-rt, debian-cloud, debian-arm64 (under
# qemu-system-aarch64, on an arm64 Debian root) or debian-RELEASE, with its own
# modules and qemu/initramfs.sh; a flavour's stackwatch.ko is the one
# scripts/build-module.sh builds for it) under
# QEMU (TCG) on a read-only 9p view of this machine's root file system (virtiofs
# for a kernel without 9p: Debian's cloud flavour), with N blank virtio disks, runs a guest
# script in it and collects the console. Fails (exit 1, naming the cause) on
# a kernel Oops/BUG/WARNING/panic/guard-page hit, a hang (timeout), a guest
# that dies before finishing, or a non-zero exit of the guest script.
# --append adds kernel parameters. --expect-death inverts the verdict for a
# kernel that is meant to die (riscv64 4K overflowing at boot): it passes when
# the kernel panics and QEMU exits, fails when the kernel survives or hangs;
# the caller checks the console (e.g. that a warning came first).
# --reboot: the guest may reset once, keeping its RAM (no -no-reboot; its
# init powers off instead of resetting at the end): the first boot must
# die, and is kept in OUT/console-boot1.log; the second runs the script to
# its end and is judged as usual. Files named reboot-* in OUT carry what
# the guest keeps from one boot to the next: removed before the first.
#   qemu/run.sh [--kernel NAME] [--disks N] [--disk-size SIZE] [--mem SIZE]
#               [--smp N] [--timeout SEC] [--out DIR] [--allow REGEX]
#               [--append PARAMS] [--expect-death] [--no-preload] [--net] [--quiet]
#               [--module PATH.ko] [--once] [--reboot]
#               SCRIPT [ARGS...]
# --once: no second boot when the kernel reports trouble before anything of
# stackwatch's ran (counting clean boots: tests/run.sh debug-boots).
# --no-preload: on a stock kernel, load none of the storage modules (xfs,
# dm, nfsd ...) before the script runs (the module-order test loads them).
# --net: a virtio-net NIC on QEMU user networking, where the guest reaches
# this machine's loopback as 10.0.2.2 (the netconsole test sends there).
# SW_QEMU_ARGS: more QEMU arguments (word-split), e.g. '-icount shift=6' for
# a guest that sees a slow CPU.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/console.sh"

kernel=debian disks=0 disk_size=4G mem=2G smp=2 timeout=600 out='' allow='^$' quiet=0
user_append='' expect_death=0 preload=1 module='' once=0 reboot=0
net=()
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --disks) disks=$2; shift 2 ;;
    --disk-size) disk_size=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --allow) allow=$2; shift 2 ;;
    --quiet) quiet=1; shift ;;
    --append) user_append=$2; shift 2 ;;
    --expect-death) expect_death=1; shift ;;
    --no-preload) preload=0; shift ;;
    --module) module=$2; shift 2 ;;
    --once) once=1; shift ;;
    --reboot) reboot=1; shift ;;
    --net) net=(-nic "user,model=virtio-net-pci"); shift ;;
    --) shift; break ;;
    -*) die "run.sh: unknown option $1" ;;
    *) break ;;
  esac
done
script=${1:?usage: qemu/run.sh [options] SCRIPT [ARGS...]}; shift
script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
[ -f "$script" ] || die "no guest script $script"

stock_env=
if release=$(stock_release "$kernel"); then
  # Debian's signed image as shipped; its modules and config from the cache.
  moddir=$(stock_moddir "$release")
  image="$moddir/vmlinuz"
  [ -f "$image" ] && [ -f "$moddir/modules.dep" ] || die "stock kernel $release is not fetched: run scripts/stock-kernel.sh --boot $release"
  initrd=stock   # made below, with the busybox of the guest's root
  stock_env="SW_MODULES_DIR='$(dirname "$moddir")'
SW_KCONFIG='$moddir/config'
SW_PRELOAD=$preload"
else
  kdir=$("$SW_ROOT/qemu/build-kernel.sh" --print-dir "$kernel")
  [ -f "$kdir/.stackwatch-built" ] || die "kernel $kernel is not built: run qemu/build-kernel.sh $kernel"
  image="$kdir/$(readlink "$kdir/stackwatch-image")"
  initrd=
fi
# The guest's root: this machine's own (x86_64), or for another architecture a
# Debian root of that architecture with this machine's root mounted at /host and
# the checkout, the cache, the script's and the results' directories bind-mounted
# at their own paths (qemu/guest/preinit.sh, then init.sh as on x86_64).
rootdir=/ init="$SW_ROOT/qemu/guest/init.sh" ko="$SW_ROOT/stackwatch.ko" extra_append='' extra_fs=()
arch=$(kernel_arch "$kernel")
read -r qemu_bin qemu_machine <<< "$(arch_qemu "$arch")"
case "$arch" in
  x86_64)
    qemu=("$qemu_bin" -machine "$qemu_machine" -cpu "${SW_QEMU_CPU:-max}"); console=ttyS0
    # On a kernel as slow as the debug one (KASAN and lockdep under TCG),
    # ACPI's _PRT method runs past AML's 30 s loop timeout, virtio's PCI
    # interrupts get no routing and the guest waits forever for its 9p root.
    # The PIRQ table routes them without running AML.
    # no5lvl: 4-level paging on the debug kernel. QEMU's max CPU has LA57, and
    # with 5-level paging pgtable_l5_enabled() is cpu_feature_enabled(LA57),
    # which identify_cpu() turns false for a moment (it zeroes
    # boot_cpu_data.x86_capability before get_cpu_cap() fills it again, with
    # interrupts on, arch/x86/kernel/cpu/common.c): an interrupt in that
    # window saw KASAN's shadow bounds for 4-level paging and reported the
    # per-CPU area (0xff11... in the 5-level direct map) as a
    # wild-memory-access in rcu_is_watching (1 boot in 14 on a busy machine).
    [ "$kernel" != x86_64-debug ] || extra_append=" pci=noacpi no5lvl" ;;
  riscv|arm64)
    if [ "$arch" = riscv ]; then
      # virt machine, OpenSBI from qemu-system-data; the 8250 UART at 0x10000000.
      qemu=("$qemu_bin" -machine "$qemu_machine"); console=ttyS0
      extra_append=" earlycon=uart8250,mmio,0x10000000"
    else
      # virt machine (PL011 UART), a CPU with pointer authentication (QEMU's
      # IMPDEF algorithm: the architected QARMA is slow under TCG) and BTI.
      qemu=("$qemu_bin" -machine "$qemu_machine" -cpu "${SW_QEMU_CPU:-max,pauth-impdef=on}"); console=ttyAMA0
    fi
    deb_arch=$(arch_debian "$arch")
    command -v "$qemu_bin" >/dev/null || die "$qemu_bin is missing: run scripts/rootfs.sh $deb_arch"
    rootdir=$("$SW_ROOT/scripts/rootfs.sh" --print-dir "$deb_arch")
    if [ ! -f "$rootdir.built" ]; then
      [ $expect_death = 1 ] || die "no $deb_arch root file system: run scripts/rootfs.sh $deb_arch"
      # A kernel meant to die while booting never gets to mount its root.
      rootdir="$SW_CACHE/rootfs/none"; mkdir -p "$rootdir/sbin"
    fi
    ko=$("$SW_ROOT/scripts/build-module.sh" --print-path "$kernel")
    cmp -s "$SW_ROOT/qemu/guest/preinit.sh" "$rootdir/sbin/stackwatch-preinit" ||
      install -m 0755 "$SW_ROOT/qemu/guest/preinit.sh" "$rootdir/sbin/stackwatch-preinit"
    mkdir -p "$rootdir/host"
    extra_append="$extra_append sw.init=$init"
    init=/sbin/stackwatch-preinit
    # shellcheck disable=SC2054 # QEMU options: the commas are its own
    extra_fs=(-fsdev local,id=host,path=/,security_model=none,readonly=on,multidevs=remap
              -device virtio-9p-pci,fsdev=host,mount_tag=host) ;;
  *) die "no QEMU machine for kernel $kernel yet" ;;
esac
# A stock kernel's initramfs, with the busybox of the guest's root (another
# architecture's, or this machine's).
if [ "$initrd" = stock ]; then
  initrd=$("$SW_ROOT/qemu/initramfs.sh" "$release" "$rootdir/bin/busybox")
fi
# A stock kernel other than the default one (debian-rt, debian-cloud): its
# module as scripts/build-module.sh builds it, unless --module names one.
if [ -n "$stock_env" ] && [ "$(stock_release "$kernel")" != "$(stock_release debian)" ]; then
  ko=$("$SW_ROOT/scripts/build-module.sh" --print-path "$kernel")
fi
# --module: a stackwatch.ko built elsewhere (scripts/build-module.sh).
[ -z "$module" ] || ko=$(readlink -f "$module")

[ -n "$out" ] || out="$SW_CACHE/results/$(date +%Y%m%d-%H%M%S)-$(basename "$script" .sh)-$$"
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/guest-exit" "$out/console.log" "$out/console-boot1.log" "$out"/reboot-*
cat > "$out/guest.env" <<ENV
SW_ROOT='$SW_ROOT'
SW_KERNEL='$kernel'
SW_KO='$ko'
SW_SCRIPT='$script'
SW_ARGS='$*'
$stock_env
ENV

diskdir="$SW_CACHE/disks/$$"
drives=()
if [ "$disks" -gt 0 ]; then
  mkdir -p "$diskdir"
  for i in $(seq 1 "$disks"); do
    truncate -s "$disk_size" "$diskdir/disk$i.img"
    drives+=(-drive "file=$diskdir/disk$i.img,if=virtio,format=raw,cache=unsafe,discard=unmap")
  done
fi
vfsd_pids=()
cleanup() {
  local p
  for p in "${vfsd_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$diskdir"
}
trap cleanup EXIT

# The guest's two shares (its root, read-only, and the results): over 9p, or
# over virtiofs for a kernel without 9p (Debian's cloud flavour has
# VIRTIO_FS built in and no 9p), served by QEMU's virtiofsd; vhost-user
# needs the guest's RAM in shared memory.
share_fs=9p
if [ -n "$stock_env" ] && ! grep -qE '^CONFIG_NET_9P_VIRTIO=[ym]' "$moddir/config" && grep -qx 'CONFIG_VIRTIO_FS=y' "$moddir/config"; then
  share_fs=virtiofs
fi
if [ "$share_fs" = 9p ]; then
  # shellcheck disable=SC2054 # QEMU options: the commas are its own
  shares=(-fsdev "local,id=root,path=$rootdir,security_model=none,readonly=on,multidevs=remap"
          -device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
          -fsdev "local,id=swout,path=$out,security_model=none,multidevs=remap"
          -device virtio-9p-pci,fsdev=swout,mount_tag=swout)
  root_append="root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose"
else
  virtiofsd=
  for f in /usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd; do [ -x "$f" ] && { virtiofsd=$f; break; }; done
  [ -n "$virtiofsd" ] ||
    die "kernel $kernel has no 9p: its guests need virtiofsd (Debian package virtiofsd, or QEMU 7's /usr/lib/qemu/virtiofsd)"
  mkdir -p "$diskdir"
  # shellcheck disable=SC2054 # QEMU options: the commas are its own
  shares=(-object "memory-backend-memfd,id=mem,size=$mem,share=on" -numa node,memdev=mem
          -chardev "socket,id=vfsroot,path=$diskdir/root.sock" -device vhost-user-fs-pci,chardev=vfsroot,tag=root
          -chardev "socket,id=vfsout,path=$diskdir/out.sock" -device vhost-user-fs-pci,chardev=vfsout,tag=swout)
  # The guest mounts its root read-only (virtiofsd itself has no such mode).
  root_append="root=root rootfstype=virtiofs"
  # Another architecture's root: this machine's root at /host over virtiofs too
  # (guest/preinit.sh mounts tag "host" either way).
  if [ "$rootdir" != / ]; then
    # shellcheck disable=SC2054 # QEMU options: the commas are its own
    extra_fs=(-chardev "socket,id=vfshost,path=$diskdir/host.sock" -device vhost-user-fs-pci,chardev=vfshost,tag=host)
  fi
fi
# start_virtiofsd: one daemon per share, for one QEMU run (each ends when
# QEMU disconnects); waits for their sockets.
start_virtiofsd() {
  local name src i up
  local names=(root out)
  [ "$rootdir" = / ] || names+=(host)
  for name in "${names[@]}"; do
    src=$rootdir; [ $name = out ] && src=$out; [ $name = host ] && src=/
    rm -f "$diskdir/$name.sock"
    "$virtiofsd" --socket-path="$diskdir/$name.sock" -o source="$src" -o cache=always -o sandbox=chroot \
      >"$out/virtiofsd-$name.log" 2>&1 &
    vfsd_pids+=($!)
  done
  for i in $(seq 1 50); do
    up=1
    for name in "${names[@]}"; do [ -S "$diskdir/$name.sock" ] || up=0; done
    [ $up = 1 ] && return 0
    sleep 0.2
  done
  die "virtiofsd did not start (logs: $out/virtiofsd-*.log)"
}

if [ "$rootdir" != / ]; then
  # Directories the guest needs at their host paths; each is a mount point in
  # the guest's root (made here: empty directories in the cached root).
  binds=
  for d in "$SW_ROOT" "$SW_CACHE" "$(dirname "$script")" "$out"; do
    case ",$binds," in *",$d,"*) continue ;; esac
    under=0
    for b in ${binds//,/ }; do case "$d/" in "$b"/*) under=1 ;; esac; done
    [ $under = 1 ] && continue
    mkdir -p "$rootdir$d"
    binds=${binds:+$binds,}$d
  done
  # A stock kernel's modules are bind-mounted at /lib/modules (guest/init.sh).
  [ -z "$stock_env" ] || mkdir -p "$rootdir/lib/modules"
  extra_append="$extra_append sw.bind=$binds"
fi
noreboot=(-no-reboot)
if [ $reboot = 1 ]; then noreboot=(); extra_append="$extra_append sw.poweroff"; fi
append="console=$console $root_append ro init=$init panic=-1 sw.out=$out$extra_append${user_append:+ $user_append}"
# boot: one QEMU run of the guest; sets qrc and took.
boot() {
  say "booting $kernel (TCG ${SW_TCG_THREAD:-single}-threaded, $smp CPUs, $mem${SW_QEMU_ARGS:+, $SW_QEMU_ARGS}) for $(basename "$script") $*; console: $out/console.log"
  start=$SECONDS
  set +e
  # Single-threaded TCG by default: the guest still has $smp CPUs (interleaved),
  # but cross-vCPU code patching (ftrace/kprobe text_poke_bp) is coherent. With
  # multi-threaded TCG we saw a stray "Oops: int3" in a patched ftrace site while
  # kprobes were unregistered under load (see README); SW_TCG_THREAD=multi
  # brings it back.
  [ "$share_fs" = 9p ] || start_virtiofsd
  timeout -k 10 "$timeout" "${qemu[@]}" -accel "tcg,thread=${SW_TCG_THREAD:-single}" -smp "$smp" -m "$mem" \
    -display none -vga none "${noreboot[@]}" -serial "file:$out/console.log" -monitor none \
    -kernel "$image" ${initrd:+-initrd "$initrd"} -append "$append" \
    "${shares[@]}" "${extra_fs[@]}" \
    -device virtio-rng-pci "${drives[@]}" "${net[@]}" ${SW_QEMU_ARGS:-} >"$out/qemu.log" 2>&1 &
  qpid=$!
  # Show the guest script's own lines ("[guest] ...") while it runs: complete
  # lines only, polled, so nothing is left running when QEMU ends.
  shown=0
  show_new() {
    local n
    n=$(wc -l < "$out/console.log" 2>/dev/null || echo 0)
    if [ "$n" -gt "$shown" ]; then
      [ $quiet = 1 ] || sed -n "$((shown + 1)),${n}p" "$out/console.log" | grep -a '^\[guest\]' | sed 's/^\[guest\] /  | /' >&2
      shown=$n
    fi
  }
  while kill -0 $qpid 2>/dev/null; do sleep 2; show_new; done
  wait $qpid; qrc=$?
  set -e
  show_new
  took=$((SECONDS - start))
}
boot "$@"

# The console as text from here on: NUL bytes dropped (qemu/console.sh).
nuls=$(console_clean "$out/console.log")
[ "$nuls" = 0 ] || say "dropped $nuls NUL bytes from the console"
# --reboot: the first boot must have died; the second is judged below.
if [ $reboot = 1 ] && [ $qrc != 124 ] && [ $qrc != 137 ]; then
  second=$(LC_ALL=C grep -naE '^(\[ *[0-9.]+\] )?Linux version ' "$out/console.log" | sed -n 2p | cut -d: -f1)
  if [ -z "$second" ]; then
    tail -n 15 "$out/console.log" >&2
    say "FAILED: expected the first boot to die and the guest to boot again; it booted once (qemu exit $qrc); console: $out/console.log"; exit 1
  fi
  head -n $((second - 1)) "$out/console.log" > "$out/console-boot1.log"
  tail -n +"$second" "$out/console.log" > "$out/console.log.2" && mv "$out/console.log.2" "$out/console.log"
  died=$(grep -aE 'Kernel panic|Kernel stack overflow|stack guard page was hit|Insufficient stack space' "$out/console-boot1.log" | head -n 1 || true)
  if [ -z "$died" ]; then
    say "FAILED: the first boot reset without dying; console: $out/console-boot1.log"; exit 1
  fi
  say "the first boot died as expected: $died (console: $out/console-boot1.log); the second is judged"
fi
hit=$(console_first_report "$out/console.log" "$allow")
# A report while the kernel itself boots, before anything of stackwatch's
# ran (no line names it yet: not the module, not the guest's init), is the
# kernel's, not ours. Boot once more rather than fail a suite for it; said,
# and the first console kept.
if [ -n "$hit" ] && [ $expect_death = 0 ] && [ $once = 0 ] && console_report_precedes_stackwatch "$out/console.log" "$allow"; then
  mv "$out/console.log" "$out/console-boot1.log"
  rm -f "$out/guest-exit"
  say "the kernel reported '$hit' while booting, before anything of stackwatch ran (console: $out/console-boot1.log): booting once more"
  boot "$@"
  nuls=$(console_clean "$out/console.log")
  hit=$(console_first_report "$out/console.log" "$allow")
fi
if [ $expect_death = 1 ]; then
  died=$(grep -aE 'Kernel panic|Kernel stack overflow|stack guard page was hit|Insufficient stack space' "$out/console.log" | head -n 1 || true)
  if [ $qrc = 124 ] || [ $qrc = 137 ]; then
    say "FAILED: expected the kernel to die; it hung instead (killed after ${timeout}s); console: $out/console.log"; exit 1
  elif [ -z "$died" ]; then
    say "FAILED: expected the kernel to die; it survived (qemu exit $qrc after ${took}s); console: $out/console.log"; exit 1
  fi
  say "the kernel died as expected after ${took}s: $died; console: $out/console.log"
  exit 0
fi
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
  tail -n 15 "$out/console.log" >&2
  say "FAILED: guest hung: killed after ${timeout}s with no exit ($(basename "$script")); console: $out/console.log"
  exit 1
fi
if [ -n "$hit" ]; then
  grep -av '^\[guest\]' "$out/console.log" | grep -a -B2 -A12 -m1 -F "$hit" >&2 || true
  say "FAILED: the kernel reported: $hit  ($(basename "$script"); console: $out/console.log)"
  exit 1
fi
if [ ! -f "$out/guest-exit" ]; then
  tail -n 20 "$out/console.log" >&2
  say "FAILED: the guest died before $(basename "$script") finished (qemu exit $qrc); console: $out/console.log, qemu: $out/qemu.log"
  exit 1
fi
grc=$(cat "$out/guest-exit")
if [ "$grc" != 0 ]; then
  say "FAILED: guest script $(basename "$script") exited $grc after ${took}s; console: $out/console.log"
  exit 1
fi
say "guest run finished cleanly in ${took}s; results: $out"
