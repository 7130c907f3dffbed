#!/usr/bin/env bash
# Puts stackwatch's own sources (Kbuild, rust/kmod, rust/core/src) into a
# kernel source tree as drivers/misc/stackwatch/, with a CONFIG_STACKWATCH
# Kconfig entry, so that a kernel configured with CONFIG_STACKWATCH=y has it
# built into its image (the same code as stackwatch.ko; see boot.rs).
# Idempotent: the hooks are added once, the sources replaced every time.
#   qemu/graft-stackwatch.sh --hash      print a hash of the grafted sources
#   qemu/graft-stackwatch.sh SRC         graft into the tree at SRC
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

# What the module compiles: Kbuild, rust/kmod, the rust/core files that
# rust/kmod/swcore.rs includes and the rust/format files that
# rust/kmod/swformat.rs includes (not the CLI's: a change to those must not
# re-key or rebuild a kernel).
files() {
  cd "$SW_ROOT"
  { printf '%s\n' Kbuild rust/kmod/*.rs rust/kmod/shim/*.rs rust/kmod/probes/*.rs rust/kmod/*.c rust/kmod/*.h
    sed -n 's@^#\[path = "\.\./\(core\|format\)/src/\(.*\)"\]$@rust/\1/src/\2@p' rust/kmod/swcore.rs rust/kmod/swformat.rs
  } | grep -v '^rust/kmod/shim_generated.rs$'
}

if [ "${1:-}" = --hash ]; then
  (cd "$SW_ROOT" && files | while read -r f; do printf '%s\n' "$f"; cat "$f"; done) | sha256sum | cut -c1-16
  exit 0
fi
src=${1:?usage: graft-stackwatch.sh --hash | SRC}
[ -f "$src/drivers/misc/Kconfig" ] || die "graft-stackwatch.sh: $src is not a kernel source tree"
dst="$src/drivers/misc/stackwatch"

rm -rf "$dst"
mkdir -p "$dst"
files | while read -r f; do
  mkdir -p "$dst/$(dirname "$f")"
  cp "$SW_ROOT/$f" "$dst/$f"
done
cat > "$dst/Kconfig" <<'KCONFIG'
# SPDX-License-Identifier: GPL-2.0
# Grafted by stackwatch's qemu/graft-stackwatch.sh.
config STACKWATCH
	bool "stackwatch: per-path kernel stack high-water marks, built in"
	depends on RUST && KPROBES && FPROBE && STACKTRACE && DEBUG_FS
	help
	  stackwatch built into the image. With stackwatch.probes= on the
	  kernel command line it attaches from an early initcall and warns
	  (with the call chain) before a boot-time stack overflow; debugfs
	  files appear under /sys/kernel/debug/stackwatch/ later in boot.
KCONFIG

grep -q '^obj-$(CONFIG_STACKWATCH)' "$src/drivers/misc/Makefile" ||
  printf 'obj-$(CONFIG_STACKWATCH)\t+= stackwatch/\n' >> "$src/drivers/misc/Makefile"
if ! grep -q 'drivers/misc/stackwatch/Kconfig' "$src/drivers/misc/Kconfig"; then
  [ "$(tail -n 1 "$src/drivers/misc/Kconfig")" = endmenu ] ||
    die "graft-stackwatch.sh: drivers/misc/Kconfig does not end with endmenu; cannot hook the Kconfig entry"
  sed -i '$i source "drivers/misc/stackwatch/Kconfig"' "$src/drivers/misc/Kconfig"
fi
say "grafted stackwatch ($("$0" --hash)) into $dst"
