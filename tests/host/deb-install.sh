#!/usr/bin/env bash
# The Debian packages as a user installs them (issue 26): `apt install
# ./stackwatch-dkms_*.deb ./stackwatch_*.deb` into a trixie root that has the
# stock kernel's headers (a throwaway overlay over the trixie tool root, which
# has them, linux-source and the kernel's toolchain: no download). Checks
# that DKMS ran the metadata step and built and signed the module for that
# kernel, that the command runs, and that `apt remove` leaves only the two
# commented-out conffiles and `apt purge` nothing (the overlay's upper layer
# shows every file the packages left). Prints ok/not ok lines.
#   tests/host/deb-install.sh DEBDIR OUTDIR [RELEASE]
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
debs=$(realpath "${1:?usage: deb-install.sh DEBDIR OUTDIR [RELEASE]}")
out=$(realpath -m "${2:?}")
release=${3:-$(stock_default_release)}
need_root
ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1 ($2)"; else not_ok "$1" "got '$2', want '$3'"; fi; }

lower=$("$SW_ROOT/scripts/toolroot.sh" --print-dir)
root=$out/root upper=$out/upper
rm -rf "$out"; mkdir -p "$root" "$upper" "$out/work"
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$out/work" "$root" ||
  { not_ok "overlay over the tool root" "mount failed"; exit 1; }
cleanup() { umount "$root" 2>/dev/null; rm -rf "$out/work"; }
trap cleanup EXIT
in_root() { "$SW_ROOT/scripts/toolroot.sh" --run "$root" "$@"; }
# A machine running RELEASE has its own kernel's headers alone. The tool root
# holds other flavours' too (make test-kernels, make test-arm64), and DKMS
# builds for every kernel that has headers (an arm64 one it cannot, from
# here): they are hidden in the overlay, and their whiteouts not counted as
# left by the packages.
hidden=$out/hidden-kernels
: > "$hidden"
for d in "$root"/usr/lib/modules/*; do
  [ "${d##*/}" = "$release" ] || { rm -rf "$d" && echo "./usr/lib/modules/${d##*/}" >> "$hidden"; }
done
pkgs=("$debs"/stackwatch-dkms_*_all.deb "$debs"/stackwatch_*_amd64.deb)
[ -f "${pkgs[0]}" ] && [ -f "${pkgs[1]}" ] || { not_ok "packages in $debs" "missing"; exit 1; }
version=$(dpkg-deb -f "${pkgs[0]}" Version); version=${version%-*}
moddir=/lib/modules/$release/updates/dkms

# --- install ---------------------------------------------------------------------
start=$SECONDS
if in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}" > "$out/install.log" 2>&1; then
  ok "apt-get install ./stackwatch-dkms_*.deb ./stackwatch_*.deb ($((SECONDS - start))s; log: $out/install.log)"
else not_ok "apt-get install of the packages" "log: $out/install.log: $(tail -n3 "$out/install.log")"; fi
expect_eq "dkms status" "$(in_root dkms status -m stackwatch -k "$release" | tr -d '\r')" \
  "stackwatch/$version, $release, x86_64: installed"
ko=$(in_root sh -c "ls $moddir/stackwatch.ko*" 2>/dev/null | head -n1)
if [ -n "$ko" ]; then ok "module installed for $release: $ko"; else not_ok "module in $moddir" "none"; fi
expect_eq "its vermagic is the kernel's" "$(in_root modinfo -F vermagic "$ko" | cut -d' ' -f1)" "$release"
# Signed with the DKMS MOK key, the key a user enrols (mokutil --import).
mok_cn=$(in_root openssl x509 -in /var/lib/dkms/mok.pub -inform DER -noout -subject -nameopt multiline 2>/dev/null |
  sed -n 's/^ *commonName *= *//p')
[ -n "$mok_cn" ] || mok_cn=$(in_root openssl x509 -in /var/lib/dkms/mok.pub -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
expect_eq "signed by the DKMS MOK key" "$(in_root modinfo -F signer "$ko")" "$mok_cn"
# (modprobe's index is not checked here: the root has the kernel's headers
# but not its modules, so DKMS skips depmod; tests/guest/deb_modprobe.sh
# loads this module from updates/dkms with modprobe.)
# Kept for the guest that loads it (tests/guest/deb_modprobe.sh), with DKMS's build log.
mkdir -p "$out/dkms"
[ -z "$ko" ] || cp "$root$ko" "$out/dkms/"
cp "$root/var/lib/dkms/stackwatch/$version/$release/x86_64/log/make.log" "$out/dkms/make.log" 2>/dev/null
cp "$root/etc/modprobe.d/stackwatch.conf" "$out/dkms/modprobe.conf"
cp "$root/etc/modules-load.d/stackwatch.conf" "$out/dkms/modules-load.conf"
in_root test -f "/var/cache/stackwatch-dkms/stock/$release/kdir/.stackwatch-key" &&
  ok "the metadata step regenerated $release's Rust metadata (/var/cache/stackwatch-dkms)" ||
  not_ok "the metadata step" "no /var/cache/stackwatch-dkms/stock/$release/kdir"
grep -h 'regenerated in' "$out/dkms/make.log" 2>/dev/null | sed 's/^/  /'
expect_eq "stackwatch --version" "$(in_root stackwatch --version)" "stackwatch $version"
for f in /usr/share/man/man1/stackwatch.1.gz /usr/share/bash-completion/completions/stackwatch \
         /usr/share/zsh/vendor-completions/_stackwatch /usr/share/fish/vendor_completions.d/stackwatch.fish; do
  in_root test -s "$f" && ok "installed $f" || not_ok "installed $f" "missing"
done
for f in /etc/modules-load.d/stackwatch.conf /etc/modprobe.d/stackwatch.conf; do
  expect_eq "$f: shipped commented out" "$(in_root grep -cv '^#' "$f")" 0
done

# --- remove, then purge ------------------------------------------------------------
# left: what the packages left in the root, apart from the package manager's
# own records and logs and what was there before (depmod's indexes are
# rewritten in place; the DKMS MOK key is dkms's, kept for the next module).
left() {
  # (Directories only where the layer below has none.)
  (cd "$upper" && find . -mindepth 1 \( -type f -o -type l -o -type c \) -printf '%p\n'
   find . -mindepth 1 -type d -printf '%p\n' | while read -r d; do [ -e "$lower/$d" ] || echo "$d"; done) |
    grep -Ev '^\./(var/lib/dpkg|var/lib/apt|var/log|var/cache/(apt|debconf|ldconfig)|var/lib/dkms/mok\.(key|pub)$|etc/ld\.so\.cache$|tmp|proc|dev|work|var/cache/stackwatch$)' |
    grep -Ev "^\./lib/modules/$release/modules\.[a-z.]*$|^\./usr/lib/modules/$release/modules\.[a-z.]*$" |
    grep -vxF -f "$hidden" |
    while read -r f; do if [ -c "$upper/$f" ]; then echo "deleted:${f#.}"; else echo "${f#.}"; fi; done |
    grep -v "^${SW_ROOT}\|^${SW_CACHE}" | sort
}
if in_root env DEBIAN_FRONTEND=noninteractive apt-get remove -y stackwatch stackwatch-dkms > "$out/remove.log" 2>&1; then
  ok "apt-get remove stackwatch stackwatch-dkms"
else not_ok "apt-get remove" "log: $out/remove.log"; fi
expect_eq "after remove: only the conffiles are left" "$(left | paste -sd' ')" \
  "/etc/modprobe.d/stackwatch.conf /etc/modules-load.d /etc/modules-load.d/stackwatch.conf"
expect_eq "after remove: no DKMS tree" "$(in_root ls /var/lib/dkms 2>/dev/null | grep -c stackwatch)" 0
if in_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y stackwatch stackwatch-dkms > "$out/purge.log" 2>&1; then
  ok "apt-get purge stackwatch stackwatch-dkms"
else not_ok "apt-get purge" "log: $out/purge.log"; fi
expect_eq "after purge: nothing is left" "$(left | paste -sd' ')" ""
