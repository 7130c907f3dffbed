#!/usr/bin/env bash
# Makes the root file system of the guests of another architecture than this
# machine's (riscv64, arm64): Debian trixie (an official architecture there for
# both) with the tools the x86_64 guest takes from the host (bash, util-linux,
# kmod, xfsprogs, lvm2, thin-provisioning-tools, the NFS server, fio,
# stress-ng, python3, ...). mmdebstrap runs the packages' scripts under
# qemu-user-static (binfmt_misc). Built once per key (suite, architecture,
# package list, recipe) into $SW_CACHE/rootfs/ARCH-trixie-KEY/ and never
# changed afterwards, except that qemu/run.sh adds /sbin/stackwatch-preinit
# (qemu/guest/preinit.sh) and empty mount-point directories before it shares
# it read-only as the guest's 9p root. Also installs the architecture's QEMU
# system emulator on this machine. Prints the directory on stdout.
#   scripts/rootfs.sh [--print-dir] ARCH     (ARCH: riscv64 or arm64)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

print_only=0
[ "${1:-}" = --print-dir ] && { print_only=1; shift; }
arch=${1:?usage: scripts/rootfs.sh [--print-dir] riscv64|arm64}
# The Debian package with the QEMU system emulator, and qemu-user's name.
case "$arch" in
  riscv64) qemu_pkg=qemu-system-misc qemu_user=qemu-riscv64 ;;
  arm64) qemu_pkg=qemu-system-arm qemu_user=qemu-aarch64 ;;
  *) die "rootfs.sh: no root file system for architecture '$arch' (riscv64, arm64)" ;;
esac

suite=trixie
# Bump when the recipe below changes in a way the package list does not show.
recipe=1
PKGS=(
  bash coreutils util-linux mount findutils grep sed gawk gzip xz-utils kmod
  procps psmisc iproute2 python3 busybox-static
  xfsprogs lvm2 dmsetup thin-provisioning-tools
  nfs-kernel-server nfs-common rpcbind
  fio stress-ng
)
mirror=$(debian_mirror)
key=$( { printf '%s\n' "$recipe" "$suite" "$arch"; printf '%s\n' "${PKGS[@]}" | sort; } | sha256sum | cut -c1-16)
dir="$SW_CACHE/rootfs/$arch-$suite-$key"

made_once "$dir" $print_only "$arch root file system"

# Host packages: mmdebstrap (+ arch-test, which it needs for a foreign
# architecture), qemu-user-static (second stage), the system emulator for
# qemu/run.sh (qemu-system-misc: qemu-system-riscv64 with OpenSBI;
# qemu-system-arm: qemu-system-aarch64).
missing=()
for p in mmdebstrap arch-test qemu-user-static "$qemu_pkg"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive run_logged apt-install-rootfs \
    apt-get install -y --no-install-recommends "${missing[@]}" || {
      run_logged apt-update apt-get update
      DEBIAN_FRONTEND=noninteractive run_logged apt-install-rootfs \
        apt-get install -y --no-install-recommends "${missing[@]}"; }
fi

# The architecture's binaries run on this host through qemu-user-static; the
# F flag makes the kernel open the interpreter now, so it works inside the
# chroot too.
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
if [ ! -e "/proc/sys/fs/binfmt_misc/$qemu_user" ]; then
  say "registering $qemu_user with binfmt_misc"
  cat "/usr/lib/binfmt.d/$qemu_user.conf" > /proc/sys/fs/binfmt_misc/register
fi

tmp="$dir.tmp"
rm -rf "$tmp"
mkdir -p "$SW_CACHE/rootfs"
say "making the $arch Debian $suite root file system (key $key; ${#PKGS[@]} packages plus dependencies; log: $SW_LOGS/rootfs-$arch.log)"
start=$SECONDS
# Services (nfs-kernel-server, rpcbind, lvm2) are never started in the chroot:
# mmdebstrap installs a policy-rc.d for the installation.
run_logged "rootfs-$arch" mmdebstrap --mode=root --variant=minbase --arch="$arch" \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --include="$(IFS=,; echo "${PKGS[*]}")" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook='echo swguest > "$1/etc/hostname"' \
  --customize-hook='rm -f "$1/etc/machine-id"; : > "$1/etc/machine-id"' \
  "$suite" "$tmp" "deb $mirror $suite main"
mv "$tmp" "$dir"
touch "$dir.built"
say "$arch root file system made in $((SECONDS - start))s: $dir ($(du -sh "$dir" | cut -f1))"
echo "$dir"
