# Module reloads (issue 22, defects 7 and 8): xfs is loaded, used and
# removed CYCLES times with `xfs_*` (and a glob over vmlinux and XFS
# functions) attached and a small table (max_functions MAXF). Statistics are
# keyed by function address, and xfs comes back at other addresses (here: a
# small module more is loaded before it in each cycle, as on a machine where
# modules come and go; alone, it comes back where it was, whose rows it would
# then inherit): the slots of a module that went away must be reclaimed, not leak until the
# table fills and hits are dropped; and its rows must not stay behind under
# bare addresses (charged to whatever code reuses them): they are folded
# into `(all)` and counted in `unloaded`. No probe may keep an address of
# freed text: after each removal the ftrace-patched functions are exactly
# those stackwatch's probes cover, and none after rmmod stackwatch (the
# runner fails the run on any kernel warning).
# Run with --no-preload (xfs must not be loaded) and a blank virtio disk.
# Usage: reload.sh [CYCLES] [MAXF]
. "$(dirname "$0")/lib.sh"
cycles=${1:-10}
maxf=${2:-2048}
GLOB='xfs_*' WIDE='*_writepages'
ENABLED=/sys/kernel/tracing/enabled_functions
MNT=/mnt/swreload

loaded() { grep -q "^$1 " /proc/modules; }
# counter NAME [FILE]: a counter of the counters line of summary (or of
# FILE, a copy of it; empty if absent).
counter() { awk -v k="$1" '/^# off_stack /{for(i=2;i<NF;i++) if($i==k){print $(i+1); exit}}' "${2:-$SWD/summary}"; }
# Rows of summary (a copy in FILE), and record lines and frames of traces,
# named by a bare address.
bare_rows() { grep -c '^0x' "$1"; }
bare_traces() { grep -cE '^0x|^ +[0-9]+ 0x' $SWD/traces; }
# Functions the attached probes cover (after a removal only the glob over
# vmlinux functions is attached: no function is covered twice), and
# ftrace-patched functions (nothing but stackwatch traces in the guest).
covered() { sw_jq probes '[.probes.attached[].functions] | add // 0'; }
patched() { grep -c . $ENABLED 2>/dev/null; }

echo "kernel: $(uname -r)"
DEV=/dev/vda
check "xfs is not loaded before stackwatch" sh -c "! grep -q '^xfs ' /proc/modules"
check "mkfs.xfs on $DEV" mkfs.xfs -q -f $DEV
mkdir -p $MNT
check "insmod stackwatch probes=$GLOB,$WIDE max_functions=$maxf" \
  sw_load "probes=$GLOB,$WIDE" max_functions="$maxf"
dmesg | grep 'stackwatch: watching' | tail -n1
base_used=$(counter slots_used)
echo "slots in use before xfs: ${base_used:-?}"

# Small modules loaded one more a cycle, before xfs (kept until the end).
read -r -a SHIFT <<<"$(cd /lib/modules/"$(uname -r)"/kernel/fs/nls && ls nls_cp*.ko* | sed 's/\.ko.*//' | head -n "$cycles" | tr '\n' ' ')"
echo "modules loaded before xfs, one more a cycle: ${SHIFT[*]}"

peak=0 first_in='' first_after='' dropped_any=0 bare_any=0 patched_bad=0 unloaded_before=0
for c in $(seq 1 "$cycles"); do
  [ -n "${SHIFT[c - 1]:-}" ] && modprobe "${SHIFT[c - 1]}"
  modprobe xfs || { not_ok "modprobe xfs (cycle $c)" "failed"; break; }
  addr=$(awk '$1 == "xfs" {print $6}' /proc/modules)
  mount -t xfs $DEV $MNT || { not_ok "mount XFS (cycle $c)" "failed"; break; }
  dd if=/dev/zero of=$MNT/f$c bs=64k count=16 conv=fsync status=none
  for i in 1 2 3 4 5 6 7 8; do echo "$c $i" > $MNT/s$i; done
  rm -f $MNT/s1 $MNT/s2; sync
  umount $MNT
  # One read of summary each time (rendering it is the slow part here).
  cat $SWD/summary > /tmp/summary.in
  used_in=$(counter slots_used /tmp/summary.in) dropped=$(counter dropped /tmp/summary.in)
  xfs_rows=$(grep -c '^xfs_' /tmp/summary.in)
  rmmod xfs || { not_ok "rmmod xfs (cycle $c)" "failed"; break; }
  cat $SWD/summary > /tmp/summary.out
  used_out=$(counter slots_used /tmp/summary.out) unloaded=$(counter unloaded /tmp/summary.out)
  br=$(bare_rows /tmp/summary.out) bt=$(bare_traces) cov=$(covered) pat=$(patched)
  echo "cycle $c: xfs at $addr; with xfs: ${xfs_rows} xfs rows, slots_used ${used_in:-?}, dropped $dropped;" \
    "after rmmod: slots_used ${used_out:-?}, unloaded ${unloaded:-?}, bare rows $br, bare trace lines $bt," \
    "covered $cov, ftrace-patched $pat"
  [ "${dropped:-1}" = 0 ] || dropped_any=$((dropped_any + 1))
  [ "$br" = 0 ] && [ "$bt" = 0 ] || bare_any=$((bare_any + 1))
  [ "$pat" = "$cov" ] || patched_bad=$((patched_bad + 1))
  [ "${used_in:-0}" -gt "$peak" ] && peak=${used_in:-0}
  [ -n "$first_after" ] || first_after=${used_out:-}
  [ -n "$first_in" ] || first_in=${used_in:-}
  if [ "$c" = 1 ]; then
    grep -E '^0x' /tmp/summary.out | head -n 3
    expect_cmp "xfs functions were hit in cycle 1" "$xfs_rows" -gt 100
  fi
  expect_cmp "cycle $c: the gone module's hits are counted in 'unloaded'" "${unloaded:-0}" -gt "$unloaded_before"
  unloaded_before=${unloaded:-0}
done
cp $SWD/summary $SWD/traces $SWD/probes "$SW_OUT/" 2>/dev/null
expect_eq "no hit dropped in $cycles reload cycles (cycles with drops)" "$dropped_any" 0
expect_eq "no row or frame under a bare address after a removal (cycles with some)" "$bare_any" 0
expect_eq "no xfs row left once xfs is gone" "$(grep -c '^xfs_' $SWD/summary)" 0
# (Within a few: a vmlinux function first hit in a later cycle takes one.)
expect_cmp "slots in use after the last removal about as after the first (${first_after:-?})" \
  "$(counter slots_used)" -le "$(( ${first_after:-0} + 8 ))"
# (A later load may hit a few functions the first did not.)
expect_cmp "slots in use with xfs loaded stay about those of its first load (${first_in:-?} + 64)" \
  "${first_in:+$peak}" -le "$(( ${first_in:-0} + 64 ))"
expect_eq "the (all) row keeps the gone module's hits" \
  "$(awk '$1 == "(all)" {print ($2 >= u) ? "yes" : "no"}' u="$unloaded_before" $SWD/summary)" yes
expect_eq "ftrace-patched functions are those the probes cover, after every removal (cycles not)" "$patched_bad" 0

# A glob attached while a module's init runs (defect 8): it must leave out
# the init text, freed once the module is live (the ops' filter would keep those
# addresses, and removing the glob would then fail in ftrace as a whole and
# leave the module's other function patched). sw_slowinit_test's init calls
# an __init function, then sleeps; one function of it stays after init.
SLOW=$SW_ROOT/tests/modules/sw_slowinit_test.ko SLOWGLOB='sw_slowinit_*'
insmod "$SLOW" init_ms=4000 & ipid=$!
for _ in $(seq 1 400); do
  [ "$(cat /sys/module/sw_slowinit_test/initstate 2>/dev/null)" = coming ] && break
  sleep 0.01
done
expect_eq "sw_slowinit_test is in its init" "$(cat /sys/module/sw_slowinit_test/initstate 2>/dev/null)" coming
expect_eq "+$SLOWGLOB while its init runs" "$(sw_write $SWD/probes "+$SLOWGLOB")" OK
in_init=$(cat /sys/module/sw_slowinit_test/initstate 2>/dev/null)
slow_funcs=$(sw_jq probes 'first(.probes.attached[] | select(.spec == $s) | .functions) // empty' --arg s "$SLOWGLOB")
check "sw_slowinit_test loaded" wait $ipid
expect_eq "the glob was attached during the init" "$in_init" coming
expect_eq "the glob covers the module's one function outside its init text" "$slow_funcs" 1
expect_eq "that function is patched" "$(grep -c '^sw_slowinit' $ENABLED)" 1
expect_eq "-$SLOWGLOB" "$(sw_write $SWD/probes "-$SLOWGLOB")" OK
expect_eq "no function of the module patched once the glob is removed" "$(grep -c '^sw_slowinit' $ENABLED)" 0
check "rmmod sw_slowinit_test" rmmod sw_slowinit_test
expect_eq "ftrace-patched functions are those the probes cover" "$(patched)" "$(covered)"

# A module loaded where a watched one went (issue 23): an ftrace_ops keeps
# a gone module's addresses in its filter (ftrace_release_mod() cleans only
# trace arrays' ops), and ftrace_module_enable() traces a module loaded later
# at those addresses before its COMING notifier runs; stackwatch takes them
# out at GOING. sw_reuse_test, loaded right after sw_slowinit_test went, gets
# its place; its init calls its function 1000 times.
ADDRS=/sys/kernel/tracing/available_filter_functions_addrs
check "insmod sw_slowinit_test init_ms=0" insmod "$SLOW" init_ms=0
old_base=$(awk '$1 == "sw_slowinit_test" {print $6}' /proc/modules)
# (The compiler names it sw_slowinit_core.constprop.0 or so.)
read -r old_ip core < <(awk '$2 ~ /^sw_slowinit_core/ {print $1, $2; exit}' $ADDRS)
expect_eq "+$core" "$(sw_write $SWD/probes "+$core")" OK
expect_eq "$core is watched by stackwatch's ftrace ops" \
  "$(sw_jq probes '.probes.attached[] | select(.spec == $c) | .mechanism' --arg c "$core")" ftrace
expect_eq "$core is patched" "$(grep -c '^sw_slowinit_core' $ENABLED)" 1
check "rmmod sw_slowinit_test" rmmod sw_slowinit_test
expect_eq "$core is pending once its module is gone" \
  "$(sw_jq probes '.probes.pending[] | select(.name == $c) | .mechanism' --arg c "$core")" ftrace
slots_before=$(counter slots_used)
check "insmod sw_reuse_test (at the gone module's place)" insmod "$SW_ROOT/tests/modules/sw_reuse_test.ko"
new_base=$(awk '$1 == "sw_reuse_test" {print $6}' /proc/modules)
echo "sw_slowinit_test was at $old_base ($core's ftrace site $old_ip); sw_reuse_test is at $new_base"
grep 'sw_reuse' $ADDRS
expect_eq "sw_reuse_test was loaded where sw_slowinit_test was" "$new_base" "$old_base"
expect_eq "an ftrace site of sw_reuse_test is where $core's was" \
  "$(awk -v ip="$old_ip" '$1 == ip && /\[sw_reuse_test\]/' $ADDRS | wc -l)" 1
expect_eq "no function of sw_reuse_test is traced" "$(grep -c 'sw_reuse' $ENABLED)" 0
expect_eq "no row of sw_reuse_test in summary" "$(grep -c '^sw_reuse' $SWD/summary)" 0
expect_eq "no slot taken by its 1000 calls (slots_used)" "$(counter slots_used)" "$slots_before"
check "rmmod sw_reuse_test" rmmod sw_reuse_test
expect_eq "-$core" "$(sw_write $SWD/probes "-$core")" OK

check "rmmod stackwatch" sw_unload
expect_eq "no ftrace-patched function left after rmmod stackwatch" "$(patched)" 0
expect_eq "nothing left in enabled_functions" "$(grep -c . $ENABLED 2>/dev/null)" 0
dmesg | grep -E 'stackwatch: xfs: .*(reclaimed|pending)' | tail -n 3
for m in "${SHIFT[@]}"; do modprobe -r "$m"; done
finish
