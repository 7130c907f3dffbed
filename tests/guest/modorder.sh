# Probes follow modules: on a kernel where XFS, device-mapper and nfsd are
# modules loaded after stackwatch, their default-set names and a glob over
# XFS functions wait as pending, attach when the modules come up, count XFS
# work, go back to pending when xfs is removed (no kernel warning: the runner
# fails the run on any), attach again when it returns, and stackwatch can be
# unloaded while xfs is loaded, busy, and while modules come and go.
# Run with --no-preload (the storage modules must not be loaded) and a blank
# virtio disk (--disks 1) or a loop device.
. "$(dirname "$0")/lib.sh"
export DM_DISABLE_UDEV=1
# A glob over XFS functions only; one over vmlinux and XFS functions (attached
# from the start, extended to xfs while it is loaded); one that also matches
# __init functions of xfs (xfs_init_caches...), which must be left out.
GLOB='xfs_buf_*' WIDE='*_writepages' INIT='xfs_init_*'
PROBES="probes=default,$GLOB,$WIDE,$INIT"
MNT=/mnt/swxfs

loaded() { grep -q "^$1 " /proc/modules; }
# states: "NAME STATE" for every row of probes (attached, pending, skipped).
states() {
  sw_jq probes '(.probes.attached[] | "\(.spec) attached"), (.probes.pending[] | "\(.name) pending"),
    (.probes.skipped[] | "\(.name) skipped")'
}
# pfield NAME FIELD: a field of NAME's attached or pending row of probes
# (mechanism; functions, hits: attached only).
pfield() {
  sw_jq probes 'first(.probes.attached[], .probes.pending[] | select((.spec // .name) == $n) | .[$f]) // empty' \
    --arg n "$1" --arg f "$2"
}
# expect_state LABEL STATE NAME...: every NAME is in STATE (all read at once).
expect_state() {
  local label=$1 want=$2 n name s st all bad=; shift 2
  [ $# -gt 0 ] || { not_ok "$label" "no names (the stackwatch command's default set?)"; return; }
  all=$(states)
  for n in "$@"; do
    st=$(while read -r name s; do [ "$name" = "$n" ] && { echo "$s"; break; }; done <<<"$all")
    [ "${st:-none}" = "$want" ] || bad="$bad $n=${st:-none}"
  done
  if [ -z "$bad" ]; then ok "$label: $* $want"; else not_ok "$label" "not $want:$bad"; fi
}
# The default set's names in the xfs, dm_mod and nfsd (with sunrpc) modules,
# and its other block-layer names (vmlinux, virtio_blk): its xfs and nfsd groups, and its
# block group split at dm_.
read -r -a XFS_NAMES <<<"$(sw_defaults xfs)"
read -r -a NFSD_NAMES <<<"$(sw_defaults nfsd)"
DM_NAMES=() BLOCK_NAMES=()
for n in $(sw_defaults block); do
  case $n in dm_*) DM_NAMES+=("$n") ;; *) BLOCK_NAMES+=("$n") ;; esac
done

echo "kernel: $(uname -r)"
# A scratch block device: the blank virtio disk, or a loop device on tmpfs.
if [ -b /dev/vda ]; then DEV=/dev/vda; else
  mkdir -p /run/swloop && mount -t tmpfs -o size=600M tmpfs /run/swloop &&
    truncate -s 512M /run/swloop/disk.img && DEV=$(losetup -f --show /run/swloop/disk.img); fi
echo "scratch device: ${DEV:-none}"

# 1. None of the storage modules is loaded.
for m in nfsd xfs dm_mod; do loaded "$m" && modprobe -r "$m" 2>/dev/null; done
for m in xfs dm_mod nfsd; do check "$m is not loaded before stackwatch" sh -c "! grep -q '^$m ' /proc/modules"; done

# 2. stackwatch first: their names wait as pending, the rest attaches.
check "insmod stackwatch $PROBES" sw_load "$PROBES"
cp $SWD/probes "$SW_OUT/probes-1-loaded" 2>/dev/null
dmesg | grep 'stackwatch: watching' | tail -n1
grep -v '^attached' $SWD/probes
check "probes has the '# state name mechanism' header" grep -qx '# state name mechanism' $SWD/probes
expect_state "XFS names wait" pending "${XFS_NAMES[@]}"
expect_state "dm names wait" pending "${DM_NAMES[@]}"
expect_state "nfsd names wait" pending "${NFSD_NAMES[@]}"
expect_state "the XFS globs wait" pending "$GLOB" "$INIT"
expect_state "a glob with vmlinux functions is attached" attached "$WIDE"
wide_funcs=$(pfield "$WIDE" functions)
expect_eq "a pending name is for the ftrace ops too" "$(pfield xfs_buf_lock mechanism)" ftrace
expect_eq "a pending glob is for the ftrace ops" "$(pfield "$GLOB" mechanism)" ftrace
expect_state "block-layer names outside dm_mod are attached" attached "${BLOCK_NAMES[@]}"
expect_eq "no default name skipped as ENOENT" "$(sw_jq probes '[.probes.skipped[] | select(.errno_name == "ENOENT")] | length')" 0
expect_eq "a run-time +name of an unknown symbol still fails" "$(sw_write $SWD/probes '+no_such_function_xyz')" ENOENT
expect_eq "+name of a pending name is EEXIST" "$(sw_write $SWD/probes '+xfs_buf_lock')" EEXIST

# 3. The modules come up: their names attach.
# A load that fails after the COMING notifier (a bad parameter): attached at
# COMING, detached at the GOING that follows without LIVE.
check "modprobe dm_mod major=notanumber fails" sh -c '! modprobe dm_mod major=notanumber'
expect_state "dm names wait again after the failed load" pending "${DM_NAMES[@]}"
check "modprobe xfs" modprobe xfs
check "modprobe dm_mod" modprobe dm_mod
check "modprobe nfsd" modprobe nfsd
cp $SWD/probes "$SW_OUT/probes-2-modules" 2>/dev/null
grep -E "^attached (xfs|dm_|nfsd)" $SWD/probes
expect_state "XFS names attached once xfs is up" attached "${XFS_NAMES[@]}"
expect_state "dm names attached once dm_mod is up" attached "${DM_NAMES[@]}"
expect_state "nfsd names attached once nfsd is up" attached "${NFSD_NAMES[@]}"
expect_state "the XFS globs attached once xfs is up" attached "$GLOB" "$INIT"
glob_funcs=$(pfield "$GLOB" functions)
expect_cmp "the XFS glob covers XFS functions" "${glob_funcs:-0}" -gt 5
expect_cmp "the vmlinux+XFS glob now covers XFS functions too" "$(pfield "$WIDE" functions)" -gt "${wide_funcs:-0}"
init_funcs=$(pfield "$INIT" functions)
echo "functions: $GLOB $glob_funcs, $WIDE $wide_funcs -> $(pfield "$WIDE" functions), $INIT $init_funcs"
expect_eq "xfs_buf_lock is one function" "$(pfield xfs_buf_lock functions)" 1
dmesg | grep 'stackwatch: xfs: attached' | head -n3

# 4. XFS at work (on dm-linear when dm works, so dm_submit_bio runs too).
sectors=$(blockdev --getsz "$DEV" 2>/dev/null)
if dmsetup create swlin --table "0 $sectors linear $DEV 0" >/dev/null 2>&1 && [ -b /dev/mapper/swlin ]; then
  XDEV=/dev/mapper/swlin; else XDEV=$DEV; fi
echo "XFS on $XDEV"
mkdir -p $MNT
check "mkfs.xfs" mkfs.xfs -q -f "$XDEV"
check "mount XFS" mount -t xfs "$XDEV" $MNT
dd if=/dev/zero of=$MNT/f bs=64k count=256 conv=fsync status=none
for i in $(seq 1 50); do echo "$i" > $MNT/s$i; done; sync
xfs_hits=$(sw_sum_hits '^xfs_'); glob_hits=$(pfield "$GLOB" hits); lock_hits=$(pfield xfs_buf_lock hits)
expect_cmp "XFS functions were hit (summary)" "$xfs_hits" -gt 0
expect_cmp "the XFS glob counted hits" "${glob_hits:-0}" -gt 0
expect_cmp "xfs_buf_lock counted hits" "${lock_hits:-0}" -gt 0
[ "$XDEV" != "$DEV" ] && expect_cmp "dm_submit_bio was hit" "$(pfield dm_submit_bio hits)" -gt 0
grep -E '^xfs_|^dm_' $SWD/summary | head -n 5
cp $SWD/summary $SWD/probes "$SW_OUT/" 2>/dev/null
check "umount XFS" umount $MNT

# 5. xfs goes away: its names are pending again, the others stay attached.
check "rmmod xfs with stackwatch attached to it (by name and glob)" rmmod xfs
check "xfs is gone" sh -c "! grep -q '^xfs ' /proc/modules"
cp $SWD/probes "$SW_OUT/probes-3-xfs-removed" 2>/dev/null
expect_state "XFS names pending again" pending "${XFS_NAMES[@]}"
expect_state "the XFS globs pending again" pending "$GLOB" "$INIT"
expect_eq "the vmlinux+XFS glob is back to its vmlinux functions" "$(pfield "$WIDE" functions)" "$wide_funcs"
expect_state "dm and nfsd names still attached" attached "${DM_NAMES[@]}" "${NFSD_NAMES[@]}"
check "summary still reads (rows of the gone module)" sh -c "cat $SWD/summary $SWD/traces $SWD/histogram >/dev/null"
dmesg | grep 'stackwatch: xfs: .* is pending' | head -n3

# 6. xfs comes back: they attach again and count again.
check "modprobe xfs again" modprobe xfs
expect_state "XFS names attached again" attached "${XFS_NAMES[@]}"
expect_state "the XFS globs attached again" attached "$GLOB" "$INIT"
expect_eq "the XFS glob covers as many functions as before" "$(pfield "$GLOB" functions)" "$glob_funcs"
expect_eq "so does the XFS init glob" "$(pfield "$INIT" functions)" "$init_funcs"
check "mount XFS again" mount -t xfs "$XDEV" $MNT
dd if=/dev/zero of=$MNT/g bs=64k count=64 conv=fsync status=none
expect_cmp "xfs_buf_lock counts again after the reload" "$(pfield xfs_buf_lock hits)" -gt "${lock_hits:-0}"
expect_cmp "the XFS glob counts again after the reload" "$(pfield "$GLOB" hits)" -gt "${glob_hits:-0}"
cp $SWD/probes "$SW_OUT/probes-4-xfs-back" 2>/dev/null

# 7. stackwatch goes while xfs is loaded and busy, and comes back.
( for i in $(seq 1 200); do dd if=/dev/zero of=$MNT/bg bs=64k count=16 conv=fsync status=none 2>/dev/null || break; done ) &
bg=$!
sleep 2
check "rmmod stackwatch while xfs is loaded and writing" sw_unload
# Loaded after xfs (its init text gone): the init glob must cover what it
# covered when attached as xfs came up, its __init functions left out.
check "insmod stackwatch with xfs loaded" sw_load "$PROBES"
expect_state "XFS names attached at load" attached "${XFS_NAMES[@]}" "$GLOB" "$INIT"
expect_eq "the XFS init glob covers the same functions as when xfs came up" "$(pfield "$INIT" functions)" "$init_funcs"
check "rmmod stackwatch again" sw_unload
wait $bg
check "umount XFS" umount $MNT
check "modprobe -r xfs after stackwatch is gone" modprobe -r xfs
check "xfs is gone" sh -c "! grep -q '^xfs ' /proc/modules"

# 8. stackwatch unloaded and reloaded while xfs comes and goes.
( for i in $(seq 1 8); do modprobe xfs; modprobe -r xfs; done ) &
bg=$!
for i in 1 2 3 4; do
  check "insmod stackwatch while xfs comes and goes ($i)" sw_load "$PROBES"
  sleep 1
  check "rmmod stackwatch while xfs comes and goes ($i)" sw_unload
done
wait $bg
check "stackwatch is gone" sh -c "! grep -q '^stackwatch ' /proc/modules"
loaded xfs && modprobe -r xfs
[ "$XDEV" != "$DEV" ] && dmsetup remove swlin
check "modprobe -r nfsd dm_mod" modprobe -r nfsd dm_mod
finish
