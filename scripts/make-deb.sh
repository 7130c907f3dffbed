#!/usr/bin/env bash
# `make deb`: the two Debian packages, as Debian ships out-of-tree modules
# (zfs-dkms, v4l2loopback-dkms):
#   stackwatch-dkms_VERSION_all.deb  the module's sources in
#     /usr/src/stackwatch-VERSION with dkms.conf; on install DKMS builds it for
#     every installed kernel (and again on kernel upgrades), the Rust metadata
#     step (scripts/stock-kernel.sh, cached in /var/cache/stackwatch-dkms)
#     first, and signs it with the DKMS MOK key; Depends on dkms, the kernel's
#     toolchain and its linux-source. Ships /etc/modules-load.d/stackwatch.conf
#     and /etc/modprobe.d/stackwatch.conf commented out.
#   stackwatch_VERSION_amd64.deb  the command, its shell completions and its
#     man pages (docs/man).
# The CLI is built here (cargo build --release, glibc 2.34 and up); the
# packages are laid out and made with dpkg-deb (what dpkg-buildpackage runs
# in the end; no debhelper in the tool root) and dpkg-shlibdeps in the trixie
# tool root (scripts/toolroot.sh).
#   scripts/make-deb.sh [OUTDIR]     (default: deb/ in the checkout)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
out=$(realpath -m "${1:-$SW_ROOT/deb}")
version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$SW_ROOT/dkms.conf")
cli_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$SW_ROOT/rust/cli/Cargo.toml" | head -n1)
[ -n "$version" ] && [ "$version" = "$cli_version" ] ||
  die "dkms.conf's PACKAGE_VERSION ($version) and rust/cli's version ($cli_version) differ"
debver=$version-1
toolroot=$("$SW_ROOT/scripts/toolroot.sh")
in_root() { "$SW_ROOT/scripts/toolroot.sh" --run "$toolroot" "$@"; }
# The kernel series whose linux-source the metadata step needs.
majmin=$(cut -d. -f1,2 <<<"$(stock_default_release)")
# Maintainer: DEBFULLNAME and DEBEMAIL as Debian's tools take them, else the
# last commit's author.
maintainer="${DEBFULLNAME:-$(git -C "$SW_ROOT" log -1 --format=%an)} <${DEBEMAIL:-$(git -C "$SW_ROOT" log -1 --format=%ae)}>"
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$SW_ROOT" log -1 --format=%ct)}
work=$out/.build
rm -rf "$work"; mkdir -p "$work" "$out"
rm -f "$out"/stackwatch*.deb

# doc_files PKG DIR: copyright and changelog, as Debian policy asks.
doc_files() {
  local d=$2/usr/share/doc/$1
  mkdir -p "$d"
  cat > "$d/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: stackwatch

Files: *
Copyright: $(date -u +%Y -d @"$epoch") stackwatch developers
License: GPL-2
 On Debian systems the full text of the GNU General Public License version 2
 can be found in /usr/share/common-licenses/GPL-2.
EOF
  printf '%s (%s) unstable; urgency=medium\n\n  * Package of stackwatch %s.\n\n -- %s  %s\n' \
    "$1" "$debver" "$version" "$maintainer" "$(date -u -R -d @"$epoch")" |
    gzip -9n > "$d/changelog.Debian.gz"
}

# --- stackwatch-dkms -------------------------------------------------------------
p=$work/stackwatch-dkms
src=$p/usr/src/stackwatch-$version
mkdir -p "$src" "$p/DEBIAN" "$p/etc/modprobe.d" "$p/etc/modules-load.d"
# What builds the module: Kbuild, the sources (the module compiles rust/core
# and rust/format's sources in), and the metadata and build steps.
(cd "$SW_ROOT" && git ls-files -z Kbuild Makefile dkms.conf rust/kmod rust/core/src rust/format/src \
   scripts/lib.sh scripts/dkms-make.sh scripts/stock-kernel.sh scripts/toolroot.sh |
   xargs -0 cp --parents -t "$src")
# DKMS's build step keeps the metadata in a cache of the package's own,
# removed with it (postrm), without the unpacked linux-source.
sed -i 's|^MAKE\[0\]="scripts/dkms-make.sh|MAKE[0]="STACKWATCH_CACHE=/var/cache/stackwatch-dkms STACKWATCH_KEEP_SOURCE=0 scripts/dkms-make.sh|' "$src/dkms.conf"
grep -q '^MAKE\[0\]="STACKWATCH_CACHE=/var/cache/stackwatch-dkms STACKWATCH_KEEP_SOURCE=0 ' "$src/dkms.conf" || die "dkms.conf's MAKE line is not the expected one"
cat > "$p/etc/modules-load.d/stackwatch.conf" <<'EOF'
# Load stackwatch at boot: uncomment the next line. Its options (probes,
# threshold, budgets ...) go in /etc/modprobe.d/stackwatch.conf.
#stackwatch
EOF
cat > "$p/etc/modprobe.d/stackwatch.conf" <<'EOF'
# Options for stackwatch when it loads (modprobe stackwatch, or at boot through
# /etc/modules-load.d/stackwatch.conf). See `modinfo stackwatch` and
# /usr/share/doc/stackwatch-dkms. Uncomment and edit, for example:
#options stackwatch probes=default threshold=2048 budgets=default
EOF
printf '/etc/modprobe.d/stackwatch.conf\n/etc/modules-load.d/stackwatch.conf\n' > "$p/DEBIAN/conffiles"
deps="dkms, linux-source-$majmin"
for d in $("$SW_ROOT/scripts/toolroot.sh" --packages); do [ "$d" = dkms ] || deps="$deps, $d"; done
cat > "$p/DEBIAN/control" <<EOF
Package: stackwatch-dkms
Version: $debver
Architecture: all
Section: kernel
Priority: optional
Maintainer: $maintainer
Depends: $deps
Recommends: linux-headers-amd64 | linux-headers-generic, stackwatch
Installed-Size: $(du -sk "$p" | cut -f1)
Homepage: https://github.com/stackwatch/stackwatch
Description: kernel stack high-water marks per code path (DKMS module source)
 stackwatch is a Linux kernel module, written in Rust, that watches stack
 depth on the paths known to blow the kernel stack (XFS, device-mapper and
 the block layer, the NFS server, direct reclaim), keeps per-function
 high-water marks with the call chain that got there, and warns while there
 is still stack left.
 .
 This package has the module's source; DKMS builds it for each installed
 kernel (Debian's stock kernels lack the Rust metadata a Rust module needs:
 it is regenerated once per kernel from linux-source with the kernel's own
 toolchain) and signs it with the DKMS MOK key.
EOF
cat > "$p/DEBIAN/postinst" <<EOF
#!/bin/sh
set -e
# DKMS: add, build and install for the installed kernels (as dh_dkms does).
if [ "\$1" = configure ]; then
  /usr/lib/dkms/common.postinst stackwatch $version /usr/share/stackwatch-dkms "" "\$2"
fi
exit 0
EOF
cat > "$p/DEBIAN/prerm" <<EOF
#!/bin/sh
set -e
case "\$1" in
  remove|upgrade|deconfigure)
    if [ "\$(dkms status -m stackwatch -v $version)" ]; then
      dkms remove -m stackwatch -v $version --all
    fi ;;
esac
exit 0
EOF
cat > "$p/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
# The Rust metadata the build step regenerated for each kernel.
case "$1" in
  remove|purge) rm -rf /var/cache/stackwatch-dkms ;;
esac
exit 0
EOF
chmod 0755 "$p/DEBIAN/postinst" "$p/DEBIAN/prerm" "$p/DEBIAN/postrm"
doc_files stackwatch-dkms "$p"

# --- stackwatch (the command) ---------------------------------------------------
say "building the stackwatch command (cargo build --release)"
run_logged deb-cli-build sh -c "cd '$SW_ROOT/rust/cli' && nice cargo build --release --quiet"
bin=$SW_ROOT/rust/target/release/stackwatch
p=$work/stackwatch
mkdir -p "$p/DEBIAN" "$p/usr/bin" "$p/usr/share/man/man1" "$p/usr/share/bash-completion/completions" \
  "$p/usr/share/zsh/vendor-completions" "$p/usr/share/fish/vendor_completions.d"
install -m 0755 "$bin" "$p/usr/bin/stackwatch"
strip --remove-section=.comment --remove-section=.note "$p/usr/bin/stackwatch"
"$bin" completions bash > "$p/usr/share/bash-completion/completions/stackwatch"
"$bin" completions zsh > "$p/usr/share/zsh/vendor-completions/_stackwatch"
"$bin" completions fish > "$p/usr/share/fish/vendor_completions.d/stackwatch.fish"
# The man pages, generated from the command's clap definitions (make docs).
for m in "$SW_ROOT"/docs/man/*.1; do gzip -9nc "$m" > "$p/usr/share/man/man1/${m##*/}.gz"; done
[ -f "$p/usr/share/man/man1/stackwatch.1.gz" ] || die "no docs/man/stackwatch.1 (make docs)"
doc_files stackwatch "$p"
# Its library dependencies, as dh_shlibdeps finds them.
mkdir -p "$work/shlibs/debian"
printf 'Source: stackwatch\n\nPackage: stackwatch\nArchitecture: amd64\n' > "$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && in_root dpkg-shlibdeps -O "$p/usr/bin/stackwatch" | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies for the stackwatch command"
cat > "$p/DEBIAN/control" <<EOF
Package: stackwatch
Version: $debver
Architecture: amd64
Section: admin
Priority: optional
Maintainer: $maintainer
Depends: $shlibs
Recommends: stackwatch-dkms
Installed-Size: $(du -sk "$p" | cut -f1)
Homepage: https://github.com/stackwatch/stackwatch
Description: kernel stack high-water marks per code path (command)
 stackwatch is a Linux kernel module, written in Rust, that watches stack
 depth on the paths known to blow the kernel stack and keeps per-function
 high-water marks with the call chain that got there.
 .
 This package has the stackwatch command: reports (text, JSON, markdown,
 flame graphs, Prometheus metrics), snapshots and their differences, and
 the module's controls (probes, threshold, budgets), which it reaches
 through debugfs or, under kernel lockdown, the module's parameters.
EOF

# Sourced, not run.
chmod 0644 "$work/stackwatch-dkms/usr/src/stackwatch-$version/scripts/lib.sh"
for p in stackwatch-dkms stackwatch; do
  (cd "$work/$p" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
  in_root dpkg-deb --root-owner-group -Zxz --build "$work/$p" "$out/" >/dev/null
done
rm -rf "$work"
ls "$out"/stackwatch*.deb
