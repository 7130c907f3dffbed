#!/usr/bin/env bash
# Makes the riscv64 guests' root file system: Debian trixie (riscv64 is an
# official architecture there) with the tools the x86_64 guest takes from the
# host (bash, util-linux, kmod, xfsprogs, lvm2, thin-provisioning-tools, the NFS
# server, fio, stress-ng, python3, ...). mmdebstrap runs the packages' scripts
# under qemu-user-static (binfmt_misc). Built once per key (suite, architecture,
# package list, recipe) into $SW_CACHE/rootfs/riscv64-trixie-KEY/ and never
# changed afterwards, except that qemu/run.sh adds /sbin/stackwatch-preinit
# (qemu/guest/preinit.sh) and empty mount-point directories before it shares
# it read-only as the guest's 9p root.
# Prints the directory on stdout.
#   scripts/rootfs-riscv64.sh [--print-dir]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

print_only=0
[ "${1:-}" = --print-dir ] && { print_only=1; shift; }

suite=trixie arch=riscv64
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

made_once "$dir" $print_only "riscv64 root file system"

# Host packages: mmdebstrap (+ arch-test, which it needs for a foreign
# architecture), qemu-user-static (second stage), qemu-system-misc
# (qemu-system-riscv64 with OpenSBI, for qemu/run.sh).
missing=()
for p in mmdebstrap arch-test qemu-user-static qemu-system-misc; do
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

# riscv64 binaries run on this host through qemu-user-static; the F flag makes
# the kernel open the interpreter now, so it works inside the chroot too.
mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-riscv64 ]; then
  say "registering qemu-riscv64 with binfmt_misc"
  cat /usr/lib/binfmt.d/qemu-riscv64.conf > /proc/sys/fs/binfmt_misc/register
fi

tmp="$dir.tmp"
rm -rf "$tmp"
mkdir -p "$SW_CACHE/rootfs"
say "making the riscv64 Debian $suite root file system (key $key; ${#PKGS[@]} packages plus dependencies; log: $SW_LOGS/rootfs-riscv64.log)"
start=$SECONDS
# Services (nfs-kernel-server, rpcbind, lvm2) are never started in the chroot:
# mmdebstrap installs a policy-rc.d for the installation.
run_logged rootfs-riscv64 mmdebstrap --mode=root --variant=minbase --arch="$arch" \
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
say "riscv64 root file system made in $((SECONDS - start))s: $dir ($(du -sh "$dir" | cut -f1))"
echo "$dir"
