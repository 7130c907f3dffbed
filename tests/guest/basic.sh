# The first end-to-end test: load stackwatch, read THREAD_SIZE back from
# debugfs and compare it with what the kernel was built with, unload, and
# check nothing is left behind. The runner fails the run on any kernel
# warning in the console.
# The module's files are copied along the way and read by field name through
# the stackwatch command (basic_checks, below): here, or, in a guest the
# command does not run in (riscv64), by the host's runner on the copies:
#   basic.sh [THREAD_SIZE]             the guest's part, then the checks
#   basic.sh --check OUT THREAD_SIZE   the checks of the copies in OUT
. "$(dirname "$0")/lib.sh"

# basic_checks OUT THREAD_SIZE: the checks of what the guest's part saved in OUT.
basic_checks() {
  local out=$1 want=$2 fn step hits calls expected_budgets t_ts t_threads nthreads bad pid used comm pcomm again over64
  # at DIR SECTIONS FILTER [JQ-OPTION...]: sw_jq on the copy OUT/DIR.
  at() { sw_jq_in "$out/$1" "${@:2}"; }
  attached() { at "$1" probes '[.probes.attached[].spec] | join(" ")'; }

  expect_cmp "default probes attached" "$(at loaded probes '.probes.attached | length')" -gt 10
  echo "skipped default names: $(at loaded probes '[.probes.skipped[] | "\(.name)(\(.errno_name))"] | join(" ") | if . == "" then "none" else . end')"
  # budgets=default: the what-if sizes 4096 and 8192 that are below THREAD_SIZE.
  expected_budgets=$(for b in 4096 8192; do [ "$b" -lt "$want" ] && echo "$b"; done | paste -sd ' ')
  expect_eq "default budgets below THREAD_SIZE" "$(at loaded budgets '[.budget_totals[].budget | tostring] | join(" ")')" "$expected_budgets"

  # Every live thread's deepest point, read off its stack (issue 13).
  read -r t_ts t_threads < <(at loaded tasks '"\(.tasks.thread_size) \(.tasks.threads)"')
  expect_eq "tasks: thread_size in its header" "$t_ts" "$want"
  nthreads=$(wc -l < "$out/loaded/proc-comm")
  expect_cmp "tasks: scanned about as many threads as /proc lists ($nthreads)" "$t_threads" -ge $((nthreads * 8 / 10))
  bad=$(SW_FROM=$out/loaded sw_tasks_bad "$want")
  expect_eq "tasks: used in (0, THREAD_SIZE], left = THREAD_SIZE - used, deepest first" "${bad:-none}" none
  read -r pid used comm < <(at loaded tasks '.tasks.rows[0] | "\(.pid) \(.used) \(.comm)"')
  # (/proc adds a kworker's workqueue to its comm: compare the start.)
  pcomm=$(sed -n "s/^$pid //p" "$out/loaded/proc-comm")
  case "$comm:$pcomm" in
    ?*:"$comm"*) ok "tasks: the deepest thread's comm starts its /proc comm ($comm, $pcomm)" ;;
    *) not_ok "tasks: the deepest thread's comm" "'$comm' does not start /proc/$pid/comm '$pcomm'" ;;
  esac
  # Where the deepest points are: return addresses found just above them, each
  # a symbol of kernel or module text.
  expect_cmp "tasks: deepest points listed" "$(at loaded tasks '.tasks.points | length')" -ge 1
  expect_cmp "tasks: return addresses found above the deepest points" \
    "$(at loaded tasks '[.tasks.points[].frames[] | select(test($sym))] | length' --arg sym "$SYM_OFFSET")" -ge 3
  expect_eq "tasks: every frame is a symbol+offset" \
    "$(at loaded tasks '[.tasks.points[].frames[] | select(test($sym) | not)] | length' --arg sym "$SYM_OFFSET")" 0
  # A thread never shallower than at its last look: stacks are not re-zeroed.
  again=$(at again tasks '.tasks.rows[] | select(.pid == $p) | .used' --argjson p "${pid:-0}")
  expect_cmp "tasks: pid $pid's deepest point does not shrink between reads ($used, then ${again:-gone})" "${again:-$used}" -ge "$used"

  # A write to probes is applied in the order written (issue 14, finding 2),
  # all or nothing.
  expect_eq "clear then +glob: the glob is what is attached" "$(attached probes-1)" "vfs_rea*"
  expect_eq "+name then -name: not attached" "$(attached probes-2)" "vfs_rea*"
  expect_eq "-glob then +glob: attached again" "$(attached probes-3)" "vfs_rea*"
  expect_eq "the refused write changed nothing" "$(attached probes-4)" "vfs_rea*"
  expect_eq "the refused write changed nothing (clear not applied)" "$(attached probes-5)" "vfs_rea*"

  # A function's calls count once, however many probes cover it (issue 22,
  # defects 5 and 9).
  fn=$(cat "$out/getppid-fn" 2>/dev/null)
  if [ -n "$fn" ]; then
    # fn_hits DIR: fn's hits in the copy OUT/DIR.
    fn_hits() { at "$1" table '[.functions[] | select(.name == $f) | .hits] | add // 0' --arg f "$fn"; }
    for step in globs glob2 glob1 name-and-glob glob-again kprobe-and-glob kprobe-gone; do
      expect_eq "$step: $fn's hits are its calls ($(attached "getppid-$step"))" \
        "$(fn_hits "getppid-$step")" "$(cat "$out/getppid-$step/calls")"
      expect_eq "$step: $fn has one row" \
        "$(at "getppid-$step" table '[.functions[] | select(.name == $f)] | length' --arg f "$fn")" 1
    done
    # mech DIR SPEC: the mechanism of SPEC in the copy OUT/DIR.
    mech() { at "$1" probes '.probes.attached[] | select(.spec == $s) | .mechanism' --arg s "$2"; }
    expect_eq "a name at an ftrace site is on stackwatch's ftrace ops" "$(mech getppid-name-and-glob "$fn")" ftrace
    expect_eq "a glob is on stackwatch's ftrace ops" "$(mech getppid-globs "$(cat "$out/getppid-g1")")" ftrace
    expect_eq "kprobe:$fn is a kprobe" "$(mech getppid-kprobe-and-glob "kprobe:$fn")" kprobe
    expect_eq "kprobe:$fn's row counts its calls (it takes the function over)" \
      "$(at getppid-kprobe-and-glob probes '.probes.attached[] | select(.spec == $s) | .hits' --arg s "kprobe:$fn")" \
      "$(cat "$out/getppid-kprobe-and-glob/calls")"
    expect_eq "two globs: the attachments' hits add up to the functions'" \
      "$(at getppid-globs probes '[.probes.attached[].hits] | add')" \
      "$(at getppid-globs table '[.functions[].hits] | add')"
    for step in glob-replaced glob-cleared name-replaced; do
      hits=$(fn_hits "getppid-$step") calls=$(cat "$out/getppid-$step/calls")
      echo "measure: $step: $hits hits of $calls calls ($((calls - hits)) not counted while a probe was replaced)"
      expect_cmp "$step: $fn's hits at most its calls: none counted twice" "$hits" -le "$calls"
      expect_cmp "$step: $fn's hits counted" "$hits" -gt 0
    done
  fi

  # Writing budgets starts their counts afresh (finding 4): no count is shown
  # under a size it was not taken against.
  over64=$(at budgets-64 budgets '.budget_totals[] | select(.budget == 64) | .over')
  expect_cmp "hits over a 64-byte budget counted" "${over64:-0}" -gt 0
  expect_eq "nothing counted over THREAD_SIZE: the 64-byte counts are gone" \
    "$(at budgets-ts budgets '.budget_totals[] | select(.budget == $b) | .over' --argjson b "$want")" 0
  expect_eq "summary's over_$want column is 0 too" "$(at budgets-ts table '.all.over_budget[$b]' --arg b "$want")" 0
}
# A frame of the kernel's %pS: symbol+offset/size (then maybe [module]).
SYM_OFFSET='^[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]*/0x[0-9a-f]*'

if [ "${1:-}" = --check ]; then basic_checks "${2:?usage: basic.sh --check OUT THREAD_SIZE}" "${3:?}"; finish; fi
want=${1:-16384}

check "insmod stackwatch" sw_load
check "debugfs directory exists" test -d $SWD
expect_eq "thread_size matches the kernel" "$(cat $SWD/thread_size)" "$want"
cfg=$(sw_kconfig | sed -n 's/^CONFIG_THREAD_SIZE_ORDER=//p')
[ -n "$cfg" ] && expect_eq "thread_size = PAGE_SIZE << THREAD_SIZE_ORDER" "$(cat $SWD/thread_size)" $((4096 << cfg))
# The controls are module parameters too (for lockdown, issue 26): a read
# shows what the debugfs file shows.
swp=/sys/module/stackwatch/parameters
expect_eq "module parameter budgets reads the budgets file" "$(cut -d' ' -f1 $swp/budgets | paste -sd' ')" "$(cut -d' ' -f1 $SWD/budgets | paste -sd' ')"
expect_eq "module parameter threshold reads the threshold file" "$(cat $swp/threshold)" "$(cat $SWD/threshold)"
expect_eq "threshold default" "$(cat $SWD/threshold)" 2048
# A glob never covers stackwatch's own functions (its C shim runs inside
# the handler; the stack tracer measures captures at sw_save_trace, so they
# stay traceable): `+sw_probe_*` matches only stackwatch's there.
AFF=/sys/kernel/tracing/available_filter_functions
expect_cmp "stackwatch's own C functions are traceable (sw_probe_*)" "$(grep -c '^sw_probe_[^ ]* \[stackwatch\]$' $AFF)" -gt 0
if [ "$(grep -c '^sw_probe_[^ ]*$' $AFF)" = 0 ]; then
  expect_eq "a glob of stackwatch's own functions (+sw_probe_*) covers none of them" "$(sw_write $SWD/probes '+sw_probe_*')" ENOENT
else echo "the kernel has sw_probe_* functions of its own: the glob check is left out"; fi
# The files as loaded, every live thread's deepest point (`tasks`) among
# them, with /proc's threads ("TID COMM") to compare it with.
sw_save "$SW_OUT/loaded" probes budgets tasks
for t in /proc/[0-9]*/task/[0-9]*; do echo "${t##*/} $(cat "$t/comm" 2>/dev/null)"; done > "$SW_OUT/loaded/proc-comm"
sed -n '/^point /,$p' "$SW_OUT/loaded/tasks" | head -n 14
# Again, for a thread never shallower than at its last look.
sw_save "$SW_OUT/again" tasks

# A write to probes is applied in the order written (issue 14, finding 2),
# all or nothing: the probes after each write are saved (probes-1..5).
expect_eq "write 'clear' then '+vfs_rea*' in one write" "$(sw_write $SWD/probes $'clear\n+vfs_rea*\n')" OK
sw_save "$SW_OUT/probes-1" probes
expect_eq "write '+vfs_write' then '-vfs_write'" "$(sw_write $SWD/probes $'+vfs_write\n-vfs_write\n')" OK
sw_save "$SW_OUT/probes-2" probes
expect_eq "write '-vfs_rea*' then '+vfs_rea*'" "$(sw_write $SWD/probes $'-vfs_rea*\n+vfs_rea*\n')" OK
sw_save "$SW_OUT/probes-3" probes
expect_eq "write '+vfs_write' then a '-' of a spec not there" "$(sw_write $SWD/probes $'+vfs_write\n-vfs_fsync\n')" ENOENT
sw_save "$SW_OUT/probes-4" probes
expect_eq "write 'clear' then '+vfs_write' then '+vfs_write'" "$(sw_write $SWD/probes $'clear\n+vfs_write\n+vfs_write\n')" EEXIST
sw_save "$SW_OUT/probes-5" probes

# Writing budgets starts their counts afresh (finding 4).
expect_eq "+vfs_read (a function that the reads below hit)" "$(sw_write $SWD/probes +vfs_read)" OK
expect_eq "budgets 64" "$(sw_write $SWD/budgets 64)" OK
for _ in 1 2 3; do cat $SWD/summary $SWD/histogram >/dev/null; done
sw_save "$SW_OUT/budgets-64" budgets
expect_eq "budgets $want (THREAD_SIZE)" "$(sw_write $SWD/budgets "$want")" OK
sw_save "$SW_OUT/budgets-ts" budgets

# A function's calls count once, however many probes cover it (issue 22,
# defects 5 and 9): FN, under getppid(), called a known number of times,
# under two globs that both cover it, then while probes over it are
# replaced. The files after each step are saved (getppid-*), the calls made
# in getppid-*/calls.
FN=$(sw_getppid_fn)
G1="${FN%id}*" G2="${FN%pid}*" N=3000
echo "$FN" > "$SW_OUT/getppid-fn"; echo "$G1" > "$SW_OUT/getppid-g1"
# getppid_step NAME WRITE: WRITE to probes, then N calls, saved in getppid-NAME.
getppid_step() {
  expect_eq "$1: write '${2//$'\n'/ }'" "$(sw_write $SWD/probes "$2")" OK
  sw_getppid $N
  getppid_save "$1"
  echo $N > "$SW_OUT/getppid-$1/calls"
}
# getppid_save NAME: the files, saved in getppid-NAME with counting paused (a
# getp* call between two reads would change one and not the other).
getppid_save() {
  echo 0 > $SWD/enabled
  sw_save "$SW_OUT/getppid-$1" probes
  echo 1 > $SWD/enabled
}
# getppid_replacing NAME WRITE: while perl calls getppid() in a loop (and
# counts its calls), WRITE (which replaces probes over FN) REPLACES times:
# each write changes ftrace's filter (code patched under TCG: seconds each),
# and each is a window for a hit counted twice or lost.
REPLACES=6
getppid_replacing() {
  local out=$SW_OUT/getppid-$1 stop=$SW_OUT/getppid-stop i r=
  mkdir -p "$out"; rm -f "$stop"
  echo 1 > $SWD/reset
  perl -e 'my $n = 0; until (-e $ARGV[0]) { getppid() for 1..50; $n += 50 } print "$n\n"' "$stop" > "$out/calls" &
  for i in $(seq $REPLACES); do r=$(sw_write $SWD/probes "$2"); [ "$r" = OK ] || break; done
  touch "$stop"; wait $!
  expect_eq "$1: $REPLACES writes of '${2//$'\n'/ }' while getppid() is called ($i)" "$r" OK
  getppid_save "$1"
}
if [ -n "$FN" ]; then
  getppid_step globs "clear"$'\n'"+$G1"$'\n'"+$G2"$'\n'
  getppid_step glob2 "-$G1"$'\n'
  getppid_step glob1 "+$G1"$'\n'"-$G2"$'\n'
  getppid_step name-and-glob "+$FN"$'\n'
  getppid_step glob-again "-$FN"$'\n'
  getppid_step kprobe-and-glob "+kprobe:$FN"$'\n'
  getppid_step kprobe-gone "-kprobe:$FN"$'\n'
  getppid_replacing glob-replaced "-$G1"$'\n'"+$G1"$'\n'
  getppid_replacing glob-cleared "clear"$'\n'"+$G1"$'\n'
  expect_eq "write 'clear', '+$FN'" "$(sw_write $SWD/probes "clear"$'\n'"+$FN"$'\n')" OK
  getppid_replacing name-replaced "-$FN"$'\n'"+$FN"$'\n'
else
  not_ok "a traceable function under getppid()" "none of the candidates"
fi

# A threshold that can never warn is refused (issue 22, defect 6): one at or
# below the stack the warning itself needs, which the refusal names.
expect_eq "threshold 1 (can never warn) refused" "$(sw_write $SWD/threshold 1)" EINVAL
min=$(dmesg | sed -n 's/.*stackwatch: threshold: [0-9]* is below \([0-9]*\),.*/\1/p' | tail -n1)
expect_cmp "the refusal names the least threshold that can warn" "${min:-0}" -gt 1
min=${min:-2}
expect_eq "threshold $((min - 1)) refused" "$(sw_write $SWD/threshold $((min - 1)))" EINVAL
expect_eq "threshold $min accepted" "$(sw_write $SWD/threshold $min)" OK
expect_eq "threshold reads back $min" "$(cat $SWD/threshold)" "$min"
expect_eq "threshold 0 (off) accepted" "$(sw_write $SWD/threshold 0)" OK

# Every detach took its functions out of the ftrace ops' filter in one
# batch (a batch ftrace refuses is rebuilt from scratch, with this line).
expect_eq "no ftrace filter had to be rebuilt" "$(dmesg | grep -c 'taking functions out of the ftrace filter failed')" 0
check "rmmod stackwatch" sw_unload
check "debugfs directory removed" test ! -e $SWD
check "module gone" sh -c '! grep -q "^stackwatch " /proc/modules'
check "insmod threshold=$((min - 1)) refused" sh -c "! insmod '$SW_KO' threshold=$((min - 1))"
expect_cmp "insmod threshold=$((min - 1)): the refusal names the value and the least" \
  "$(dmesg | grep -c "threshold=$((min - 1)) is below $min,")" -ge 1
check "module not loaded after the refusal" sh -c '! grep -q "^stackwatch " /proc/modules'
if sw_checks_here; then basic_checks "$SW_OUT" "$want"; fi
finish
