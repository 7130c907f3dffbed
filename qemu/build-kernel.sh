#!/usr/bin/env bash
# Builds one stackwatch test kernel (qemu/configs/<name>.config over base.config
# and, if present, qemu/configs/<arch>.config, applied to allnoconfig) into a
# cache directory outside the checkout, keyed by the source version, the merged
# fragment and the toolchain versions. Prints the build directory (usable as
# KDIR) on stdout. A built key is never rebuilt. A kernel whose fragment sets
# CONFIG_STACKWATCH=y has stackwatch built into its image
# (qemu/graft-stackwatch.sh): its key includes stackwatch's sources, and a
# change to them rebuilds incrementally in the previous build of that config.
#   qemu/build-kernel.sh [--print-dir] NAME      (NAME: x86_64-16k, ...)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

print_only=0
[ "${1:-}" = --print-dir ] && { print_only=1; shift; }
name=${1:?usage: build-kernel.sh [--print-dir] NAME}
cfgdir="$SW_ROOT/qemu/configs"
[ -f "$cfgdir/$name.config" ] || die "no kernel definition qemu/configs/$name.config"

arch=$(kernel_arch "$name")
image=$(arch_image "$arch")

src=$(kernel_src)
srcver=$(basename "$src")
toolchain="$(clang-19 --version | head -n1)|$(rustc --version)|$(bindgen --version 2>/dev/null | head -n1)"
# An architecture's common part (e.g. riscv64.config for riscv64-*) goes between
# base.config and the kernel's own fragment when it exists (none for x86_64).
parts=("$cfgdir/base.config")
[ -f "$cfgdir/${name%%-*}.config" ] && parts+=("$cfgdir/${name%%-*}.config")
fragment=$(cat "${parts[@]}" "$cfgdir/$name.config")
key=$(printf '%s\n%s\n%s\n%s\n' "$srcver" "$arch" "$toolchain" "$fragment" | sha256sum | cut -c1-16)
config_key=$key
builtin=0
if grep -qx 'CONFIG_STACKWATCH=y' <<<"$fragment"; then
  builtin=1
  key=$(printf '%s\n%s\n' "$config_key" "$("$SW_ROOT/qemu/graft-stackwatch.sh" --hash)" | sha256sum | cut -c1-16)
fi
out="$SW_CACHE/kernels/$name-$key"

if [ $print_only = 1 ]; then echo "$out"; exit 0; fi
if [ -f "$out/.stackwatch-built" ]; then
  say "kernel $name is cached: $out"
  echo "$out"; exit 0
fi

if [ $builtin = 1 ] && [ ! -d "$out" ]; then
  # Same config, older stackwatch sources: reuse that build (make rebuilds
  # what changed: stackwatch's objects and the link).
  for prev in "$SW_CACHE/kernels/$name"-*; do
    [ "$(cat "$prev/.stackwatch-config-key" 2>/dev/null)" = "$config_key" ] || continue
    say "kernel $name: stackwatch's sources changed; rebuilding incrementally from $prev"
    rm -f "$prev/.stackwatch-built"
    mv "$prev" "$out"
    break
  done
fi
mkdir -p "$out"
printf '%s\n' "$fragment" > "$out/stackwatch-fragment.config"
echo "$config_key" > "$out/.stackwatch-config-key"
[ $builtin = 1 ] && "$SW_ROOT/qemu/graft-stackwatch.sh" "$src" >&2
export CCACHE_BASEDIR="$SW_CACHE" CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime
mk=(make -C "$src" O="$out" ARCH="$arch" LLVM=-19 CC="ccache clang-19")

say "configuring kernel $name (key $key)"
run_logged "kernel-$name-config" "${mk[@]}" allnoconfig KCONFIG_ALLCONFIG="$out/stackwatch-fragment.config"
for opt in $(grep -v '^#' "$cfgdir/required.txt"); do
  grep -q "^$opt=y" "$out/.config" || die "kernel $name: $opt is not =y after configuring (unmet dependency?); see $out/.config"
done
while read -r line; do
  case "$line" in
    CONFIG_*=n) grep -q "^${line%%=*}=" "$out/.config" && say "  note: $line did not stick" ;;
    CONFIG_*=*) grep -qxF "$line" "$out/.config" || \
      say "  note: $line did not stick ($(grep "^${line%%=*}=" "$out/.config" || echo "${line%%=*} unset"))" ;;
  esac
done < "$out/stackwatch-fragment.config"
[ $builtin = 0 ] || grep -qx 'CONFIG_STACKWATCH=y' "$out/.config" ||
  die "kernel $name: CONFIG_STACKWATCH=y did not stick (needs RUST, KPROBES, FPROBE, STACKTRACE, DEBUG_FS); see $out/.config"

say "building kernel $name with $(nproc) cores (from scratch about 20 minutes; log: $SW_LOGS/kernel-$name-build.log)"
start=$SECONDS
run_logged "kernel-$name-build" "${mk[@]}" -j"$(( $(nproc) + 1 ))"
[ -f "$out/$image" ] || die "kernel $name: $image was not produced (log: $SW_LOGS/kernel-$name-build.log)"
ln -sfn "$image" "$out/stackwatch-image"
touch "$out/.stackwatch-built"
say "kernel $name built in $((SECONDS - start))s: $out"
echo "$out"
