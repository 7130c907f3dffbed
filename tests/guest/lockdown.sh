# stackwatch under kernel lockdown (issue 26). Integrity lockdown refuses
# every debugfs file that can be written (fs/debugfs/file.c,
# debugfs_locked_down()): the controls go through the module parameters
# under /sys/module/stackwatch/parameters/ instead, with the same writes,
# all or nothing, and the same errnos; the CLI picks them itself.
#   lockdown.sh          load with parameters, raise the lockdown at run time
#                        (echo integrity > /sys/kernel/security/lockdown), then
#                        the controls (raw and through the CLI), unload, and the
#                        refusal of an unsigned module
#   lockdown.sh boot     booted with lockdown=integrity: the unsigned module is
#                        refused, with the kernel's message
#   lockdown.sh signed KO [FUZZ]  booted with lockdown=integrity on a kernel of ours
#                        with MODULE_SIG: the unsigned module refused, KO (the
#                        same module signed with the kernel's key) loads with
#                        the parameters, then the controls as above (FUZZ
#                        fuzzed writes: 300)
. "$(dirname "$0")/lib.sh"
P=/sys/module/stackwatch/parameters
LD=/sys/kernel/security/lockdown
# (The guest's init mounts no securityfs.)
mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security

# sw_read FILE: reads FILE; prints OK or the errno name.
sw_read() {
  python3 -c '
import sys, errno
try:
    open(sys.argv[1], "rb").read()
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
' "$1"
}
# insmod_refused: loads the module, which must fail; prints insmod's error
# and the kernel's line about it.
insmod_refused() {
  local out
  # The kernel's lockdown lines are rate-limited (printk_ratelimit: 10 in
  # 5 s): a burst of refused debugfs opens just before would hide this one.
  sleep 6
  if out=$(insmod "$SW_KO" 2>&1); then
    not_ok "unsigned module refused under lockdown" "insmod succeeded"
    sw_unload
    return
  fi
  echo "insmod says: $out"
  case "$out" in
    *"Operation not permitted"*) ok "insmod of the unsigned module fails with EPERM" ;;
    *) not_ok "insmod of the unsigned module fails with EPERM" "$out" ;;
  esac
  msg=$(dmesg | grep -a 'Lockdown: insmod: ' | tail -n1)
  echo "kernel says: ${msg:-nothing}"
  expect_eq "the kernel's message" "${msg#*Lockdown: }" \
    "insmod: unsigned module loading is restricted; see man kernel_lockdown.7"
  test -d /sys/module/stackwatch && not_ok "no module left" "/sys/module/stackwatch exists"
}

mode=${1:-runtime} fuzz=300
if [ "$mode" != runtime ]; then
  expect_eq "booted locked down (lockdown=integrity)" "$(grep -o '\[[a-z]*\]' $LD)" "[integrity]"
  insmod_refused
  [ "$mode" = boot ] && finish
  signed=${2:?usage: lockdown.sh signed SIGNED.ko [FUZZ]}
  fuzz=${3:-$fuzz}
  echo "signature: $(modinfo -F signer "$signed") ($(modinfo -F sig_hashalgo "$signed"))"
  SW_KO=$signed
fi

# --- load-time parameters: set before init runs, as before ------------------
# reset has no load-time value.
if [ "$mode" = runtime ]; then
  if out=$(insmod "$SW_KO" reset=1 2>&1); then not_ok "insmod reset=1 refused" "loaded"; sw_unload
  else
    if dmesg | grep -aqF 'stackwatch: reset: only once loaded (EBUSY)'; then ok "insmod reset=1 refused, saying why: $out"
    else not_ok "insmod reset=1 refused, saying why" "$(dmesg | tail -n2)"; fi
  fi
fi
check "insmod ${SW_KO##*/} probes=vfs_read,vfs_write threshold=3072 budgets=64 enabled=0" \
  sw_load probes=vfs_read,vfs_write threshold=3072 budgets=64 enabled=0
expect_eq "probes= attached at load" "$(sw_jq probes '[.probes.attached[].spec] | sort | join(" ")')" "vfs_read vfs_write"
expect_eq "threshold= at load" "$(sw_jq table .threshold)" 3072
expect_eq "enabled=0 at load" "$(sw_jq table .enabled)" false
expect_eq "budgets= at load" "$(sw_jq table '.budgets | map(tostring) | join(" ")')" 64

# --- lock down ----------------------------------------------------------------
echo "lockdown before: $(cat $LD)"
[ "$mode" = runtime ] && echo integrity > $LD
expect_eq "locked down (integrity)" "$(grep -o '\[[a-z]*\]' $LD)" "[integrity]"
for f in summary traces max_trace histogram tasks thread_size; do
  expect_eq "debugfs $f (0400) still reads" "$(sw_read "$SWD/$f")" OK
done
for f in probes threshold budgets enabled; do
  expect_eq "debugfs $f (0600) refused" "$(sw_read "$SWD/$f")" EPERM
done
expect_eq "debugfs reset (0200) refused" "$(sw_write $SWD/reset 1)" EPERM
expect_eq "debugfs threshold write refused" "$(sw_write $SWD/threshold 4096)" EPERM
expect_eq "threshold unchanged by the refused write" "$(sw_jq table .threshold)" 3072

# --- the controls as module parameters, raw -----------------------------------
# last_warning: the module's last message (naming the bad value).
last_warning() { dmesg | grep -a 'stackwatch: ' | tail -n1 | sed 's/.*stackwatch: //'; }
expect_eq "threshold parameter reads the current value" "$(cat $P/threshold)" 3072
expect_eq "write threshold 4096" "$(sw_write $P/threshold 4096)" OK
expect_eq "threshold 4096 in summary" "$(sw_jq table .threshold)" 4096
expect_eq "threshold parameter reads 4096" "$(cat $P/threshold)" 4096
expect_eq "write threshold 99999999 (above THREAD_SIZE)" "$(sw_write $P/threshold 99999999)" ERANGE
echo "kernel says: $(last_warning)"
expect_eq "threshold unchanged after ERANGE" "$(sw_jq table .threshold)" 4096
expect_eq "write threshold 12abc" "$(sw_write $P/threshold 12abc)" EINVAL
case "$(last_warning)" in *"'12abc'"*) ok "the kernel's message names the bad value ($(last_warning))" ;;
  *) not_ok "the kernel's message names the bad value" "$(last_warning)" ;; esac

expect_eq "enabled parameter reads 0" "$(cat $P/enabled)" 0
expect_eq "write enabled 1" "$(sw_write $P/enabled 1)" OK
expect_eq "enabled in summary" "$(sw_jq table .enabled)" true
expect_eq "write enabled 2" "$(sw_write $P/enabled 2)" EINVAL
expect_eq "enabled unchanged after EINVAL" "$(sw_jq table .enabled)" true

expect_eq "write budgets '64 128'" "$(sw_write $P/budgets '64 128')" OK
expect_eq "budgets 64 128 in summary" "$(sw_jq table '.budgets | map(tostring) | join(" ")')" "64 128"
expect_eq "budgets parameter reads the budgets file" \
  "$(sw_jq budgets '[.budget_totals[].budget | tostring] | join(" ")')" "64 128"
expect_eq "write budgets 64 99999999" "$(sw_write $P/budgets '64 99999999')" ERANGE
expect_eq "budgets unchanged after ERANGE" "$(sw_jq table '.budgets | map(tostring) | join(" ")')" "64 128"
expect_eq "write budgets 1 2 3 4 5" "$(sw_write $P/budgets '1 2 3 4 5')" E2BIG

# A write to probes is applied in the order written, all or nothing (as
# basic.sh checks on the debugfs file).
attached() { sw_jq probes '[.probes.attached[].spec] | join(" ")'; }
expect_eq "write 'clear' then '+vfs_rea*' in one write" "$(sw_write $P/probes $'clear\n+vfs_rea*\n')" OK
expect_eq "clear then +glob: the glob is what is attached" "$(attached)" "vfs_rea*"
expect_eq "write '+vfs_write' then '-vfs_write'" "$(sw_write $P/probes $'+vfs_write\n-vfs_write\n')" OK
expect_eq "+name then -name: not attached" "$(attached)" "vfs_rea*"
expect_eq "write '+vfs_write' then a '-' of a spec not there" "$(sw_write $P/probes $'+vfs_write\n-vfs_fsync\n')" ENOENT
expect_eq "the refused write changed nothing" "$(attached)" "vfs_rea*"
expect_eq "write 'clear' then '+vfs_write' twice" "$(sw_write $P/probes $'clear\n+vfs_write\n+vfs_write\n')" EEXIST
expect_eq "the refused write changed nothing (clear not applied)" "$(attached)" "vfs_rea*"
expect_eq "write 'vfs_write' (no + or -)" "$(sw_write $P/probes vfs_write)" EINVAL
expect_eq "write '+no_such_function_26'" "$(sw_write $P/probes +no_such_function_26)" ENOENT
expect_eq "probes after the refused writes" "$(attached)" "vfs_rea*"
expect_eq "probes parameter reads the probes file (parsed by the CLI)" \
  "$(sw_read $P/probes):$(sw_jq probes '.probes.attached | length')" "OK:1"

# reset: a function's hits after a reset are its calls since.
FN=$(sw_getppid_fn)
if [ -n "$FN" ]; then
  expect_eq "write '+$FN'" "$(sw_write $P/probes "+$FN")" OK
  perl -e 'getppid() for 1..500'
  fn_hits() { sw_jq table '[.functions[] | select(.name == $f) | .hits] | add // 0' --arg f "$FN"; }
  expect_cmp "$FN counted before reset" "$(fn_hits)" -ge 500
  expect_eq "write reset 1" "$(sw_write $P/reset 1)" OK
  perl -e 'getppid() for 1..300'
  expect_eq "$FN's hits after reset are its 300 calls since" "$(fn_hits)" 300
  expect_eq "write reset 2" "$(sw_write $P/reset 2)" EINVAL
  expect_eq "write '-$FN'" "$(sw_write $P/probes "-$FN")" OK
else not_ok "the getppid function" "none of the known names in available_filter_functions"; fi

# --- the CLI, unchanged for the user -------------------------------------------
# cli NAME WANT-IN-OUTPUT ARGS...: runs the stackwatch command, which must
# succeed and print WANT-IN-OUTPUT.
cli() {
  local n=$1 want=$2 out; shift 2
  if out=$("$SWC" "$@" 2>&1); then
    case "$out" in *"$want"*) ok "$n" ;; *) not_ok "$n" "no '$want' in: $(echo "$out" | head -n3)" ;; esac
  else not_ok "$n" "exit $?: $(echo "$out" | tail -n3)"; fi
}
# cli_fails NAME WANT... : the stackwatch command must fail, saying each WANT.
cli_fails() {
  local n=$1 out w; shift
  local -a want=()
  while [ "$1" != -- ]; do want+=("$1"); shift; done; shift
  if out=$("$SWC" "$@" 2>&1); then not_ok "$n" "succeeded: $out"; return; fi
  echo "stackwatch $*: $out" | head -n2
  for w in "${want[@]}"; do
    case "$out" in *"$w"*) ;; *) not_ok "$n" "no '$w' in: $out"; return ;; esac
  done
  ok "$n"
}
cli "stackwatch report (probes section read from the parameter)" "  1 attached (" report
cli "stackwatch report --sections all" "thread_size" report --sections all
cli "stackwatch probes add vfs_write" "attached: vfs_write" probes add vfs_write
expect_eq "vfs_write attached" "$(attached)" "vfs_rea* vfs_write"
cli "stackwatch probes list" "vfs_write" probes list
cli "stackwatch probes remove vfs_write" "detached: vfs_write" probes remove vfs_write
expect_eq "vfs_write detached" "$(attached)" "vfs_rea*"
cli_fails "stackwatch probes remove vfs_write again: ENOENT, naming it" \
  "$P/probes" "'-vfs_write'" ENOENT -- probes remove vfs_write
cli "stackwatch threshold 8192" "threshold set to 8192" threshold 8192
expect_eq "threshold 8192 in summary" "$(sw_jq table .threshold)" 8192
cli "stackwatch threshold (read)" 8192 threshold
cli_fails "stackwatch threshold 99999999: ERANGE, naming it" "'99999999'" ERANGE -- threshold 99999999
expect_eq "threshold unchanged" "$(sw_jq table .threshold)" 8192
cli "stackwatch budgets 4096" "budgets set to 4096" budgets 4096
cli "stackwatch budgets (read)" "4096 bytes:" budgets
expect_eq "budgets 4096 in summary" "$(sw_jq table '.budgets | map(tostring) | join(" ")')" 4096
cli "stackwatch disable" "paused" disable
expect_eq "paused in summary" "$(sw_jq table .enabled)" false
cli "stackwatch enable" "resumed" enable
expect_eq "resumed in summary" "$(sw_jq table .enabled)" true
cli "stackwatch reset" "reset" reset
cli "stackwatch watch --count 2" "vfs_rea" watch --count 2 --interval 0.5
rm -rf /tmp/sw-snap
cli "stackwatch snapshot" "" snapshot /tmp/sw-snap
expect_eq "the snapshot has the controls (from the parameters)" \
  "$(SW_FROM=/tmp/sw-snap sw_jq probes,budgets '"\([.probes.attached[].spec] | join(" ")) \([.budget_totals[].budget] | join(" "))"')" "vfs_rea* 4096"

# The stress suite's fuzz (random, oversize and mutated writes, each result
# and the state read back against a model of the module), through the
# parameters.
python3 "$(dirname "$0")/stress_fuzz.py" $P "$fuzz" "$(cat "$SWD/thread_size")" 26 params

# --- unload while the parameters are written ------------------------------------
( while :; do
    echo 4096 > $P/threshold; cat $P/probes; echo 1 > $P/reset; echo +vfs_write > $P/probes; echo -vfs_write > $P/probes
  done ) >/dev/null 2>&1 &
writer=$!
sleep 1
check "rmmod while the parameters are written (locked down)" sw_unload
kill "$writer"; wait "$writer" 2>/dev/null
check "the module is gone" test ! -d /sys/module/stackwatch
# Once locked down, an unsigned module is refused.
[ "$mode" = runtime ] && insmod_refused
finish
