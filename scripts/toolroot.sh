#!/usr/bin/env bash
# Makes the Debian trixie root whose toolchain builds modules for Debian's
# stock trixie(-backports) kernels: gcc-14, binutils, pahole, rustc 1.85.1 with
# rust-src, bindgen 0.71.1 and libclang-19, as the stock kernels were built
# with, plus dkms. On a host that is trixie itself no such root is needed (the
# host's toolchain is checked instead: scripts/stock-kernel.sh). Made once per
# key (suite, package list, recipe) with mmdebstrap into
# $SW_CACHE/toolroot/trixie-KEY/; kernel headers and linux-source are added to
# it per kernel release by scripts/stock-kernel.sh.
#   scripts/toolroot.sh [--print-dir]      prints the root's directory
#   scripts/toolroot.sh --packages         prints the toolchain's Debian packages
#   scripts/toolroot.sh --run ROOT CMD...  runs CMD inside ROOT (a private mount
#                                          namespace: /proc, /dev, a fresh /tmp,
#                                          and the checkout and the cache at
#                                          their own paths), in the same directory
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ "${1:-}" = --run ]; then
  root=${2:?usage: toolroot.sh --run ROOT CMD...}; shift 2
  # The root itself (/, or the tool root seen from inside it): nothing to enter.
  [ "$root" = / ] || [ "$root" -ef / ] && exec "$@"
  need_root
  # Everything is mounted in a mount namespace of its own: gone when CMD ends,
  # whatever happens to it.
  export SW_CACHE SW_ROOT CCACHE_DIR
  exec unshare --mount --propagation private -- bash -c '
    set -e
    root=$1; shift
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/tmp"
    for d in "$SW_CACHE" "$SW_ROOT" "$PWD" ${SW_TOOLROOT_BINDS:-}; do
      [ -n "$d" ] && [ -d "$d" ] || continue
      [ -d "$root$d" ] || mkdir -p "$root$d" 2>/dev/null || continue
      mountpoint -q "$root$d" || mount --bind "$d" "$root$d"
    done
    cd "$PWD"
    exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      SW_CACHE="$SW_CACHE" CCACHE_DIR="$CCACHE_DIR" bash -c "cd \"\$0\" && exec \"\$@\"" "$PWD" "$@"
  ' toolroot "$root" "$@"
fi

print_only=0
[ "${1:-}" = --print-dir ] && { print_only=1; shift; }

suite=trixie
# Bump when the recipe below changes in a way the package list does not show.
recipe=1
PKGS=(
  gcc-14 make bc flex bison libelf-dev libssl-dev dwarves kmod cpio xz-utils
  rustc rust-src bindgen libclang-19-dev dkms python3 ca-certificates
)
[ "${1:-}" = --packages ] && { printf '%s\n' "${PKGS[@]}"; exit 0; }
mirror=$(debian_mirror)
key=$( { printf '%s\n' "$recipe" "$suite"; printf '%s\n' "${PKGS[@]}" | sort; } | sha256sum | cut -c1-16)
dir="$SW_CACHE/toolroot/$suite-$key"

made_once "$dir" $print_only "trixie tool root"
if ! command -v mmdebstrap >/dev/null; then
  say "installing mmdebstrap"
  DEBIAN_FRONTEND=noninteractive run_logged apt-install-mmdebstrap \
    apt-get install -y --no-install-recommends mmdebstrap
fi
say "making the trixie tool root (gcc-14, rustc 1.85.1, bindgen 0.71.1; about 4 minutes): $dir"
start=$SECONDS
rm -rf "$dir" "$dir.tmp"; mkdir -p "$(dirname "$dir")"
run_logged toolroot mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PKGS[*]}")" \
  --aptopt='APT::Install-Recommends "false"' \
  "$suite" "$dir.tmp" "deb $mirror $suite main" "deb $mirror $suite-backports main"
# Name resolution for apt inside the root (kernel headers, linux-source).
cp -L /etc/resolv.conf "$dir.tmp/etc/resolv.conf" 2>/dev/null || true
mv "$dir.tmp" "$dir"
touch "$dir.built"
say "trixie tool root made in $((SECONDS - start))s"
echo "$dir"
