#!/usr/bin/env bash
# DKMS's build step (dkms.conf): makes sure the kernel release has its Rust
# metadata (scripts/stock-kernel.sh: regenerated once with this machine's
# toolchain, refused if that is not the kernel's), then builds stackwatch.ko
# here, in DKMS's copy of the sources, against that KDIR. STACKWATCH_CACHE
# says where the metadata is kept (the package: /var/cache/stackwatch-dkms).
#   scripts/dkms-make.sh KERNELRELEASE
set -euo pipefail
. "$(dirname "$0")/lib.sh"
release=${1:?usage: scripts/dkms-make.sh KERNELRELEASE}
# DKMS runs on the machine the module is for: its toolchain is the one to use.
export STACKWATCH_TOOLROOT=${STACKWATCH_TOOLROOT:-/}
kdir=$("$SW_ROOT/scripts/stock-kernel.sh" "$release")
# STACKWATCH_KEEP_SOURCE=0 (the stackwatch-dkms package): the unpacked
# linux-source (1.8 GB) goes once the metadata is made (unpacked again only
# if a new headers version needs it).
[ "${STACKWATCH_KEEP_SOURCE:-1}" = 1 ] || rm -rf "$(stock_dir "$release")/src"
read -r -a args < "$kdir/.stackwatch-make"   # CC=... or LLVM=-N, from the kernel's .config
make -C "$kdir" M="$SW_ROOT" "${args[@]}" modules
