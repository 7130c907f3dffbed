# The module as the stackwatch-dkms package installed it (issue 26):
# tests/host/deb-install.sh keeps DKMS's stackwatch.ko (built for the stock
# kernel, signed with the DKMS MOK key) and the package's two conffiles in
# DIR. Here it goes where DKMS put it, /lib/modules/RELEASE/updates/dkms/,
# depmod indexes it as DKMS's install does, and it is loaded the ways a user
# does: `modprobe stackwatch`, then at boot as the conffiles say once
# uncommented (systemd-modules-load with /etc/modprobe.d's options). The
# tree has the kernel's modules.builtin and modules.order but no other
# module: depmod over the guest's 4,000 compressed stock modules takes
# minutes under TCG (the storage modules are loaded before already).
#   deb_modprobe.sh DIR
. "$(dirname "$0")/lib.sh"
dir=${1:?usage: deb_modprobe.sh DIR}
rel=$(uname -r)
ko=$(ls "$dir"/stackwatch.ko* 2>/dev/null | head -n1)
[ -n "$ko" ] || { not_ok "DKMS's module" "none in $dir"; finish; }
mkdir -p "/tmp/mods/$rel/updates/dkms"
for f in modules.builtin modules.builtin.modinfo modules.order; do cp "/lib/modules/$rel/$f" "/tmp/mods/$rel/"; done
cp "$ko" "/tmp/mods/$rel/updates/dkms/"
mount --bind /tmp/mods /lib/modules
check "depmod" depmod -a
expect_eq "modprobe resolves stackwatch to updates/dkms" "$(modinfo -F filename stackwatch)" "/lib/modules/$rel/updates/dkms/${ko##*/}"
expect_eq "signed by the DKMS MOK key" "$(modinfo -F signer stackwatch)" "DKMS module signing key"
check "modprobe stackwatch" modprobe stackwatch
echo "kernel says: $(dmesg | grep -a -i 'stackwatch.*\(verification\|taint\)\|module verification' | tail -n1)"
expect_cmp "default probes attached" "$(sw_jq probes '.probes.attached | length')" -gt 10
check "stackwatch report" "$SWC" report
check "modprobe -r stackwatch" modprobe -r stackwatch

# At boot: the package's conffiles uncommented (threshold changed from the
# example's, to see it applied), read by systemd-modules-load and modprobe.
mkdir -p /tmp/modprobe.d /tmp/modules-load.d
cp -a /etc/modprobe.d/. /tmp/modprobe.d/ 2>/dev/null
sed 's/^#options /options /; s/threshold=2048/threshold=3072/' "$dir/modprobe.conf" > /tmp/modprobe.d/stackwatch.conf
sed 's/^#stackwatch$/stackwatch/' "$dir/modules-load.conf" > /tmp/modules-load.d/stackwatch.conf
grep -v '^#' /tmp/modprobe.d/stackwatch.conf /tmp/modules-load.d/stackwatch.conf
mount --bind /tmp/modprobe.d /etc/modprobe.d
if [ -x /lib/systemd/systemd-modules-load ]; then
  check "systemd-modules-load with the package's modules-load.d file" /lib/systemd/systemd-modules-load /tmp/modules-load.d/stackwatch.conf
else not_ok "systemd-modules-load" "not in the guest's root"; fi
check "loaded" test -d /sys/module/stackwatch
expect_eq "the options of /etc/modprobe.d/stackwatch.conf applied (threshold)" "$(cat /sys/module/stackwatch/parameters/threshold)" 3072
check "rmmod" sw_unload
finish
