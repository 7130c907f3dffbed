#!/usr/bin/env bash
# Installs everything stackwatch needs on a fresh Debian 12 machine, idempotently:
# apt packages (clang-19 toolchain, QEMU, the guest's storage tools), Debian's
# linux-source-7.3 from trixie-backports (pinned low), rust-src and bindgen-cli.
# Safe to run twice; quiet when there is nothing to do.
#   scripts/setup.sh [--docs]   --docs: also headless Chromium, which renders
#                               the README's flame graph picture (scripts/render-svg.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

need_root
did=0

# Rust comes from rustup (the kernel's build needs rust-src, the command and
# bindgen-cli need cargo): Debian 12 has no rustup package, so it is not
# installed here; stop before anything else is, naming it.
if ! command -v rustup >/dev/null 2>&1; then
  die "rustup is not installed (or not on PATH: $PATH): install it first (https://rustup.rs, as root: the stable toolchain), then run this again"
fi

# Debian packages the host needs: build toolchain, QEMU, and the tools the guest
# runs (the guest boots on a read-only view of this machine's root file system).
PKGS=(
  clang-19 lld-19 llvm-19 libclang-19-dev
  make flex bison bc libelf-dev libssl-dev cpio ccache kmod xz-utils
  qemu-system-x86 qemu-system-misc
  xfsprogs lvm2 thin-provisioning-tools nfs-kernel-server nfs-common rpcbind
  fio stress-ng busybox-static util-linux procps psmisc gzip python3 iproute2 gcc libc6-dev
  jq  # the guest checks read `stackwatch report --json` with it
  mmdebstrap shellcheck
  prometheus prometheus-node-exporter curl
)
case "${1:-}" in
  --docs) PKGS+=(chromium) ;;
  "") ;;
  *) die "unknown option '$1' (usage: scripts/setup.sh [--docs])" ;;
esac

SRC_LIST=/etc/apt/sources.list.d/stackwatch-trixie.sources
PIN=/etc/apt/preferences.d/stackwatch-trixie
if [ ! -f "$SRC_LIST" ] || [ ! -f "$PIN" ]; then
  say "adding Debian trixie + trixie-backports sources (pinned at priority 100) for linux-source-7.3"
  mirror=$(debian_mirror)
  cat > "$SRC_LIST" <<SRC
Types: deb
URIs: $mirror
Suites: trixie trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  cat > "$PIN" <<PINF
Package: *
Pin: release n=trixie
Pin-Priority: 100

Package: *
Pin: release n=trixie-backports
Pin-Priority: 100
PINF
  rm -f /var/lib/stackwatch-apt-updated
  did=1
fi

missing=()
for p in "${PKGS[@]}" linux-source-7.3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  did=1
  if [ ! -f /var/lib/stackwatch-apt-updated ]; then
    say "apt-get update"
    run_logged apt-update apt-get update
    touch /var/lib/stackwatch-apt-updated
  fi
  say "installing Debian packages: ${missing[*]}"
  # Services of packages installed here (nfs-kernel-server, rpcbind, lvm2) are
  # for the guest: do not start them on the host.
  policy=/usr/sbin/policy-rc.d; made_policy=0
  if [ ! -e $policy ]; then printf '#!/bin/sh\nexit 101\n' > $policy; chmod +x $policy; made_policy=1; fi
  trap '[ $made_policy = 1 ] && rm -f $policy' EXIT
  base=(); srcpk=()
  for p in "${missing[@]}"; do [ "$p" = linux-source-7.3 ] && srcpk+=("$p") || base+=("$p"); done
  [ ${#base[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive run_logged apt-install \
      apt-get install -y --no-install-recommends "${base[@]}"
  [ ${#srcpk[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive run_logged apt-install-src \
      apt-get install -y --no-install-recommends -t trixie-backports linux-source-7.3
  [ $made_policy = 1 ] && rm -f $policy
  trap - EXIT
fi

# A stock kernel's guest binds its modules (from the cache) here: the guest's
# root is this machine's, read-only, so the mount point must exist.
[ -d /lib/modules ] || { mkdir -p /lib/modules; did=1; }

# Rust: the kernel builds `core` itself from rust-src.
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  did=1; say "rustup component add rust-src"
  run_logged rust-src rustup component add rust-src
fi

# bindgen-cli (kernel 7.3 needs >= 0.71.1).
if ! command -v bindgen >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/bindgen" ]; then
  did=1; say "cargo install bindgen-cli (about 2 minutes)"
  run_logged bindgen cargo install --locked bindgen-cli
fi

# Kernel source, unpacked once per source version into the cache.
[ -f "$SW_CACHE/src/.stamp-$(dpkg-query -W -f='${Version}' linux-source-7.3)" ] || did=1
kernel_src >/dev/null && touch "$SW_CACHE/src/.stamp-$(dpkg-query -W -f='${Version}' linux-source-7.3)"
[ $did = 0 ] || say "setup complete: toolchain, packages and kernel source ($(kernel_src)) are in place"
