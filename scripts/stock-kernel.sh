#!/usr/bin/env bash
# Makes an unmodified Debian kernel a build target for stackwatch: fetches the
# release's headers, kbuild and matching linux-source, regenerates the Rust
# metadata its headers package lacks (rust/*.rmeta, the proc-macro .so files,
# the assembly the kernel crate's macros include, scripts/target.json) with exactly the toolchain its .config names, and lays
# it over the headers in $SW_CACHE/stock/RELEASE/kdir (usable as KDIR). It
# refuses, naming the difference, when the toolchain's version texts differ
# from the .config's, when olddefconfig would change the stock .config, or
# when an exported Rust symbol it builds is not in the stock Module.symvers
# (the stock kernel has no MODVERSIONS: a silent layout drift would load and
# corrupt memory). The toolchain is the host's on a trixie host, else that of
# a trixie root made by scripts/toolroot.sh (STACKWATCH_TOOLROOT overrides:
# a directory, or / for the host).
#   scripts/stock-kernel.sh [RELEASE]               prints KDIR; RELEASE defaults
#                                                   to the running kernel if it is
#                                                   a Debian 7.x one, else 7.3.4+deb13-amd64
#   scripts/stock-kernel.sh --print-kdir [RELEASE]  prints KDIR, builds nothing
#   scripts/stock-kernel.sh --boot [RELEASE]        also fetches the signed image
#                                                   and its modules (for qemu/run.sh);
#                                                   prints the release's directory
#   scripts/stock-kernel.sh --dbg [RELEASE]         also fetches the DWARF vmlinux
#                                                   (the -dbg package, 1.2 GB); prints its path
#   scripts/stock-kernel.sh --check-toolchain [RELEASE]  only compares the toolchain
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=kdir
case "${1:-}" in
  --print-kdir) mode=print; shift ;;
  --boot) mode=boot; shift ;;
  --dbg) mode=dbg; shift ;;
  --check-toolchain) mode=check; shift ;;
  -*) die "stock-kernel.sh: unknown option $1" ;;
esac
release=${1:-$(stock_default_release)}
case "$release" in
  [0-9]*.*+deb*-*) ;;
  *) die "'$release' is not a Debian kernel release (like 7.3.4+deb13-amd64)" ;;
esac
dir=$(stock_dir "$release")
kdir=$dir/kdir
[ $mode = print ] && { echo "$kdir"; exit 0; }
need_root
mkdir -p "$dir"

# The toolchain's root: the host on trixie, else the project's trixie root.
toolroot=${STACKWATCH_TOOLROOT:-}
if [ -z "$toolroot" ]; then
  if grep -qx 'VERSION_CODENAME=trixie' /etc/os-release 2>/dev/null; then toolroot=/
  else toolroot=$("$SW_ROOT/scripts/toolroot.sh"); fi
fi
in_root() { "$SW_ROOT/scripts/toolroot.sh" --run "$toolroot" "$@"; }
if [ "$toolroot" = / ] && grep -qx 'VERSION_CODENAME=trixie' /etc/os-release 2>/dev/null; then
  # This machine's own toolchain (a trixie machine): install what is missing.
  missing=()
  for p in $("$SW_ROOT/scripts/toolroot.sh" --packages); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing the kernel's toolchain: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive run_logged stock-toolchain apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi
headers=/usr/src/linux-headers-$release
# The release's Debian architecture. A foreign one's (arm64 on an amd64 tool
# root) headers cannot be installed (they depend on gcc-14-for-host of their
# architecture): they are unpacked into the tool root, beside the host
# architecture's linux-kbuild of the same version (its scripts/ and tools/
# links point there: host binaries), with the cross compilers (and the
# C library olddefconfig links a test program with: CC_CAN_LINK).
case "$release" in
  *-arm64|*-arm64-16k) deb_arch=arm64 cross_pkgs="gcc-14-aarch64-linux-gnu gcc-14-arm-linux-gnueabihf libc6-dev-arm64-cross" ;;
  *) deb_arch=amd64 cross_pkgs= ;;
esac
foreign=0
[ "$(in_root dpkg --print-architecture)" = "$deb_arch" ] || foreign=1
hdr_stamp=$dir/.headers-version

# install_cross: for a foreign release, its architecture's package lists, the
# cross compilers and the host's linux-kbuild of the version.
install_cross() {
  in_root dpkg --print-foreign-architectures | grep -qx "$deb_arch" || {
    in_root dpkg --add-architecture "$deb_arch"
    run_logged "stock-$release-apt-update" in_root apt-get update; }
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive run_logged "stock-$release-cross" \
    in_root apt-get install -y --no-install-recommends $cross_pkgs "linux-kbuild-$STOCK_VERSION"
}
install_headers() {
  say "installing linux-headers-$release in the tool root ($toolroot)"
  stamp="$dir/.apt-updated"
  [ -n "$(find "$stamp" -mmin -1440 2>/dev/null)" ] || { run_logged "stock-$release-apt-update" in_root apt-get update; touch "$stamp"; }
  if [ $foreign = 0 ]; then
    DEBIAN_FRONTEND=noninteractive run_logged "stock-$release-headers" \
      in_root apt-get install -y --no-install-recommends "linux-headers-$release"
    in_root dpkg-query -W -f='${Version}' "linux-headers-$release" > "$hdr_stamp"
    return
  fi
  install_cross
  run_logged "stock-$release-headers" in_root sh -c "cd \$(mktemp -d) && apt-get download 'linux-headers-$release:$deb_arch' &&
    dpkg-deb -f linux-headers-*.deb Version > '$hdr_stamp' && dpkg-deb -x linux-headers-*.deb / && rm linux-headers-*.deb"
  [ "$(in_root dpkg-query -W -f='${Version}' "linux-kbuild-$STOCK_VERSION")" = "$(cat "$hdr_stamp")" ] ||
    die "linux-kbuild-$STOCK_VERSION in the tool root is not version $(cat "$hdr_stamp") of linux-headers-$release"
}
# The release's .config: from its headers in the tool root, else from its
# package in the cache (scripts/stock-kernel.sh --boot), else the headers are
# installed first. The toolchain is compared with it before anything is built.
if in_root test -f "$headers/.config"; then config=$(in_root cat "$headers/.config")
elif [ -f "$(stock_moddir "$release")/config" ]; then config=$(cat "$(stock_moddir "$release")/config")
else install_headers; config=$(in_root cat "$headers/.config"); fi
kconf() { sed -n "s/^CONFIG_$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p" <<<"$config"; }
grep -qx 'CONFIG_RUST=y' <<<"$config" || die "$release is not built with CONFIG_RUST=y: no Rust module can load into it"

# The compiler the kernel was built with, from its .config.
if grep -qx 'CONFIG_CC_IS_CLANG=y' <<<"$config"; then
  llvm_major=$(( $(kconf CLANG_VERSION) / 10000 ))
  cc=${STACKWATCH_CC:-clang-$llvm_major}; make_args="LLVM=-$llvm_major"
else
  cc=${STACKWATCH_CC:-$(kconf CC_VERSION_TEXT | cut -d' ' -f1)}; make_args="CC=$cc"
fi
[ -z "${STACKWATCH_CC:-}" ] || make_args="CC=$STACKWATCH_CC"
rustc=${STACKWATCH_RUSTC:-rustc}

# toolchain_check: each version text the kernel's .config records against the
# tool root's; prints the differences and fails if there are any.
toolchain_check() {
  local bad=0 want got
  want=$(kconf CC_VERSION_TEXT); got=$(in_root sh -c "LC_ALL=C $cc --version 2>/dev/null | head -n1" || true)
  [ "$want" = "$got" ] || { echo "  C compiler ($cc): kernel built with '$want', this toolchain has '${got:-nothing}'"; bad=1; }
  want=$(kconf RUSTC_VERSION_TEXT); got=$(in_root sh -c "$rustc --version 2>/dev/null" || true)
  [ "$want" = "$got" ] || { echo "  rustc ($rustc): kernel built with '$want', this toolchain has '${got:-nothing}'"; bad=1; }
  want=$(kconf BINDGEN_VERSION_TEXT); got=$(in_root sh -c 'bindgen --version 2>/dev/null | head -n1' || true)
  [ "$want" = "$got" ] || { echo "  bindgen: kernel built with '$want', this toolchain has '${got:-nothing}'"; bad=1; }
  want=$(kconf PAHOLE_VERSION)
  got=$(in_root sh -c 'pahole --version 2>/dev/null' | sed -n 's/^v\([0-9]*\)\.\([0-9]*\).*/\1\2/p' || true)
  [ "$want" = "${got:-0}" ] || { echo "  pahole: kernel built with version $want, this toolchain has '${got:-nothing}'"; bad=1; }
  return $bad
}
[ $foreign = 0 ] || in_root sh -c "command -v $cc" >/dev/null || install_cross
# arm64's prepare builds the 32-bit vDSO: on an arm64 machine too, its compiler.
if [ $foreign = 0 ] && [ "$deb_arch" = arm64 ] && ! in_root sh -c 'command -v arm-linux-gnueabihf-gcc-14' >/dev/null; then
  DEBIAN_FRONTEND=noninteractive run_logged "stock-$release-compat" \
    in_root apt-get install -y --no-install-recommends gcc-14-arm-linux-gnueabihf
fi
if ! diffs=$(toolchain_check); then
  printf '%s\n' "$diffs" >&2
  die "the toolchain in $toolroot is not the one $release was built with (above): its Rust metadata would not match the kernel"
fi
[ $mode = check ] && { say "toolchain in $toolroot matches $release's .config"; exit 0; }
in_root test -f "$headers/.config" || install_headers
[ "$(in_root cat "$headers/.config")" = "$config" ] || die "$headers/.config is not the .config of $release's image"

# The key of the metadata: the headers' version and the .config (which names
# the toolchain, checked above); a different key regenerates.
if [ ! -s "$hdr_stamp" ]; then
  if [ $foreign = 1 ]; then install_headers
  else in_root dpkg-query -W -f='${Version}' "linux-headers-$release" > "$hdr_stamp"; fi
fi
hdr_ver=$(cat "$hdr_stamp")
# Bump recipe when what is laid over the headers changes.
recipe=2
key=$(printf '%s\n' "$recipe" "$hdr_ver" "$make_args" "$(sha256sum <<<"$config")" | sha256sum | cut -c1-16)

if [ "$(cat "$kdir/.stackwatch-key" 2>/dev/null)" != "$key" ]; then
  majmin=$(cut -d. -f1,2 <<<"$release")
  say "regenerating Rust metadata for $release (linux-source-$majmin $hdr_ver, $cc, $(kconf RUSTC_VERSION_TEXT))"
  start=$SECONDS
  if ! in_root dpkg-query -W -f='${Version}\n' "linux-source-$majmin" 2>/dev/null | grep -qxF "$hdr_ver"; then
    DEBIAN_FRONTEND=noninteractive run_logged "stock-$release-source" \
      in_root apt-get install -y --no-install-recommends "linux-source-$majmin=$hdr_ver"
  fi
  # One unpacked source per version, shared by its flavours (each builds
  # out of tree, O=): unpacked under a lock, so flavours may run at once.
  src="$SW_CACHE/stock/src-$majmin-$(tr -c 'A-Za-z0-9.\n-' _ <<<"$hdr_ver")" build="$dir/build"
  exec {srclock}>"$src.lock"
  flock "$srclock"
  if [ "$(cat "$src/.unpacked" 2>/dev/null)" != "$hdr_ver" ]; then
    rm -rf "$src"; mkdir -p "$src"
    run_logged "stock-$release-unpack" in_root tar -C "$src" --strip-components=1 -xJf "/usr/src/linux-source-$majmin.tar.xz"
    echo "$hdr_ver" > "$src/.unpacked"
  fi
  flock -u "$srclock"
  rm -rf "$build"; mkdir -p "$build"
  printf '%s\n' "$config" > "$build/.config"
  kv=$(in_root cat "$headers/.kernelvariables")
  arch=$(sed -n 's/^override ARCH = //p' <<<"$kv")
  cross=$(sed -n 's/^override CROSS_COMPILE = //p' <<<"$kv")
  compat=$(sed -n 's/^override CROSS_COMPILE_COMPAT = //p' <<<"$kv")
  mk=(make -C "$src" O="$build" ARCH="${arch:-x86}" CROSS_COMPILE="$cross" "$make_args")
  # arm64's prepare builds the 32-bit vDSO (COMPAT_VDSO) with trixie's
  # versioned arm-linux-gnueabihf-gcc-14 (the unversioned name is another package).
  [ -z "$compat" ] || mk+=(CROSS_COMPILE_COMPAT="$compat" CC_COMPAT="${compat}gcc-14")
  run_logged "stock-$release-olddefconfig" in_root "${mk[@]}" olddefconfig
  if ! changed=$(diff <(grep -v '^#' <<<"$config" | grep .) <(grep -v '^#' "$build/.config" | grep .)); then
    printf '%s\n' "$changed" | head -n 40 >&2
    die "olddefconfig changes $release's stock .config with this toolchain ($(grep -c '^[<>]' <<<"$changed") lines, above: < stock, > here): the metadata would not match the kernel"
  fi
  run_logged "stock-$release-prepare" in_root "${mk[@]}" -j"$(( $(nproc) + 1 ))" prepare
  # Every Rust symbol the metadata refers to must be exported by the kernel.
  symvers=$(in_root cat "$headers/Module.symvers")
  ours=$(cat "$build"/rust/exports_*_generated.h | sed -n 's/^EXPORT_SYMBOL_RUST_GPL(\(.*\));$/\1/p' | sort -u)
  [ -n "$ours" ] || die "prepare produced no exported Rust symbols (log: $SW_LOGS/stock-$release-prepare.log)"
  unexported=$(comm -23 <(printf '%s\n' "$ours") <(awk '{print $2}' <<<"$symvers" | sort -u))
  if [ -n "$unexported" ]; then
    head -n 10 <<<"$unexported" | sed 's/^/  /' >&2
    die "$(wc -l <<<"$unexported") of $(wc -l <<<"$ours") exported Rust symbols built here are not in $release's Module.symvers (first ones above): refusing metadata that does not match the kernel"
  fi
  # The overlay: the headers' files by link, plus scripts/target.json and rust/.
  rm -rf "$kdir"; mkdir -p "$kdir/scripts" "$kdir/rust"
  common=$(in_root sed -n 's/^include //p' "$headers/Makefile")
  printf 'KBUILD_OUTPUT=%s\ninclude %s\n' "$kdir" "$common" > "$kdir/Makefile"
  for f in .config .kernelvariables Module.symvers arch include tools vmlinux; do
    in_root test -e "$headers/$f" && ln -s "$headers/$f" "$kdir/$f"
  done
  for f in $(in_root ls -A "$headers/scripts/"); do ln -s "$headers/scripts/$f" "$kdir/scripts/$f"; done
  # (x86 only: arm64's rustc target is built in.)
  [ ! -f "$build/scripts/target.json" ] || cp "$build/scripts/target.json" "$kdir/scripts/"
  cp "$build"/rust/*.rmeta "$build"/rust/*.so "$kdir/rust/"
  # Assembly the kernel crate's macros include! from the objtree where they
  # expand, in the module (warn_on!, static_branch!).
  mkdir -p "$kdir/rust/kernel"
  cp "$build"/rust/kernel/generated_arch_*.rs "$kdir/rust/kernel/"
  echo "$toolroot" > "$kdir/.stackwatch-toolroot"
  echo "$make_args" > "$kdir/.stackwatch-make"
  echo "$release" > "$kdir/.stackwatch-release"
  echo "$key" > "$kdir/.stackwatch-key"
  rm -rf "$build"
  say "Rust metadata for $release regenerated in $((SECONDS - start))s ($(wc -l <<<"$ours") exported Rust symbols, all in the stock Module.symvers): KDIR=$kdir"
fi

# fetch_deb NAME [PATH...]: downloads the package (same version as the
# headers) and unpacks it into $dir/root (only PATH... if given), once.
fetch_deb() {
  local p=$1; shift
  mkdir -p "$dir/debs" "$dir/root"
  [ -f "$dir/debs/.$p-$hdr_ver" ] && return 0
  say "fetching $p $hdr_ver"
  rm -f "$dir/debs/${p}_"*.deb
  run_logged "stock-$release-download" in_root sh -c "cd '$dir/debs' && apt-get download '$p:$deb_arch=$hdr_ver'"
  dpkg-deb --fsys-tarfile "$dir/debs/${p}_"*.deb | tar -x -C "$dir/root" "$@"
  rm -f "$dir/debs/${p}_"*.deb
  touch "$dir/debs/.$p-$hdr_ver"
}
case $mode in
  boot)
    for p in binary modules base; do fetch_deb "linux-$p-$release"; done
    moddir=$(stock_moddir "$release")
    [ -f "$moddir/vmlinuz" ] || die "no vmlinuz in linux-binary-$release ($moddir)"
    # modules.dep is made at install time (depmod in the package's scripts).
    if [ ! -f "$moddir/modules.dep" ]; then
      mkdir -p "$dir/root/lib"; ln -sfn ../usr/lib/modules "$dir/root/lib/modules"
      depmod -b "$dir/root" "$release"
    fi
    echo "$dir" ;;
  dbg)
    # 7.8 GB unpacked: only the kernel's DWARF vmlinux.
    v=./usr/lib/debug/lib/modules/$release/vmlinux
    fetch_deb "linux-image-$release-dbg" "$v"
    [ -f "$dir/root/$v" ] || die "no $v in linux-image-$release-dbg"
    echo "$dir/root/${v#./}" ;;
  *) echo "$kdir" ;;
esac
