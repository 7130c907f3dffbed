# Sourced by guest test scripts: assertions that print TAP-like lines
# ("ok - NAME" / "not ok - NAME: why"), counted by tests/run.sh, and helpers
# to drive stackwatch's debugfs files.
SWD=/sys/kernel/debug/stackwatch
SW_FAILED=0

ok() { echo "ok - $1"; }
not_ok() { echo "not ok - $1: $2"; SW_FAILED=1; }
# check NAME CMD...: passes if CMD succeeds.
check() { local n=$1; shift; if "$@" >/dev/null 2>&1; then ok "$n"; else not_ok "$n" "failed: $*"; fi; }
# expect_eq NAME GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1 ($2)"; else not_ok "$1" "got '$2', want '$3'"; fi; }
# expect_cmp NAME A OP B  (integers; OP: -lt -le -gt -ge -eq -ne)
expect_cmp() {
  if [[ "$2" =~ ^-?[0-9]+$ && "$4" =~ ^-?[0-9]+$ ]] && test "$2" "$3" "$4"; then ok "$1 ($2 $3 $4)"
  else not_ok "$1" "expected $2 $3 $4"; fi
}
# sw_write FILE TEXT: writes TEXT in one write(2); prints OK or the errno name.
sw_write() {
  python3 -c '
import os, sys, errno
try:
    fd = os.open(sys.argv[1], os.O_WRONLY)
    os.write(fd, sys.argv[2].encode())
    os.close(fd)
    print("OK")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
' "$1" "$2"
}
# The module's files are read by field name, through the stackwatch command
# (rust/cli, built on the host into rust/target by tests/run.sh; it runs in
# the x86_64 guests, which boot the host's root) and jq: never by column number.
SWC=${SWC:-$SW_ROOT/rust/target/debug/stackwatch}
# sw_cli: true where the stackwatch command runs (not in a riscv64 guest).
sw_cli() { "$SWC" --version >/dev/null 2>&1; }
# sw_jq SECTIONS FILTER [JQ-OPTION...]: `stackwatch report --json` of the live
# module, made of SECTIONS only (comma-separated: table, counters, probes,
# budgets, tasks, max-trace, chains, histogram, all; each reads only its own
# files), through `jq -r [JQ-OPTION...] FILTER`. SW_FROM=DIR reads a saved
# copy instead (a directory with `summary` and the files SECTIONS need).
sw_jq() {
  local sections=$1 filter=$2; shift 2
  "$SWC" report --json --sections "$sections" ${SW_FROM:+--from "$SW_FROM"} | jq -r "$@" "$filter"
}
# sw_jq_in DIR SECTIONS FILTER [JQ-OPTION...]: sw_jq on the copy in DIR.
sw_jq_in() { local SW_FROM=$1; shift; sw_jq "$@"; }
# sw_sum_hits REGEX: the hits of the functions (not `(all)`) whose name matches REGEX.
sw_sum_hits() { sw_jq table '[.functions[] | select(.name | test($re)) | .hits] | add // 0' --arg re "$1"; }
# sw_defaults GROUP: the names of a group of the default probe set (xfs,
# block, nfsd, reclaim), as the module has them (rust/core/src/defaults.rs).
sw_defaults() {
  "$SWC" probes defaults --json | jq -r --arg g "$1" '.[] | select(.group == $g) | .functions | join(" ")'
}
# sw_re "NAME..." : a regex matching exactly these (space-separated) names.
sw_re() { echo "^(${1// /|})\$"; }
# sw_chain_through REGEX...: the function of the first chain in `traces`
# whose frames (innermost first) run through a function matching each REGEX,
# in this order, from the inside out; empty if none.
sw_chain_through() {
  sw_jq chains 'first(.chains[] | select([.frames[].function] | reduce .[] as $f (0; . as $k
      | if $k < ($res | length) and ($f | test($res[$k])) then $k + 1 else $k end) == ($res | length))
    | .function) // empty' --argjson res "$(jq -nc '$ARGS.positional' --args "$@")"
}
# sw_getppid_fn: a function under getppid() that ftrace can trace (Debian's
# kernel does not trace the x86_64 syscall wrappers; riscv64's and arm64's
# SYSCALL_DEFINE0 have no __do_sys_), for counts compared with a known number of calls;
# empty if none.
sw_getppid_fn() {
  local f
  for f in __do_sys_getppid __riscv_sys_getppid __arm64_sys_getppid __x64_sys_getppid; do
    if cut -d' ' -f1 /sys/kernel/tracing/available_filter_functions | grep -qx "$f"; then echo "$f"; return; fi
  done
}
# sw_getppid N: counts afresh (`reset`), then calls getppid() exactly N times.
sw_getppid() { echo 1 > $SWD/reset; perl -e 'getppid() for 1..$ARGV[0]' "$1"; }
# sw_save DIR FILE...: copies these files of the module, then `summary` (which
# every report needs), into DIR, for reading later (SW_FROM=DIR sw_jq ...).
sw_save() {
  local d=$1 f; shift
  mkdir -p "$d"
  for f in "$@" summary; do cat "$SWD/$f" > "$d/$f"; done
}
# sw_tasks_bad THREAD_SIZE: the pids of `tasks` rows whose used is not in
# (0, THREAD_SIZE], whose left is not THREAD_SIZE - used, or that are not in
# order (deepest first); empty if none.
sw_tasks_bad() {
  sw_jq tasks '.tasks.rows as $r | [range(0; $r | length) as $i | $r[$i]
    | select(.used <= 0 or .used > $ts or .left != $ts - .used or ($i > 0 and .used > $r[$i - 1].used)) | .pid]
    | map(tostring) | join(" ")' --argjson ts "$1"
}
# sw_checks_here: true where the stackwatch command runs; else, in a guest of
# another architecture (riscv64: the command is built for the host), says
# that the host's runner reads the saved files (tests/run.sh runs
# `SCRIPT --check OUT ...`) and is false; an x86_64 guest without it fails.
sw_checks_here() {
  sw_cli && return 0
  if [ "$(uname -m)" = x86_64 ]; then not_ok "the stackwatch command runs in this guest" "$SWC does not"
  else echo "no stackwatch command on $(uname -m): tests/run.sh checks the saved files on the host ($(basename "$0") --check)"; fi
  return 1
}
# sw_kconfig: the running kernel's .config (ours have /proc/config.gz; a
# stock kernel's comes from the cache, named by the runner in SW_KCONFIG).
sw_kconfig() { if [ -r /proc/config.gz ]; then zcat /proc/config.gz; else cat "${SW_KCONFIG:?no kernel config}"; fi; }
sw_load() { insmod "$SW_KO" "$@"; }
sw_unload() { rmmod stackwatch; }
finish() { echo "guest checks done (failed=$SW_FAILED)"; exit "$SW_FAILED"; }
# in_background CMD...: runs CMD, remembers its pid in BG_PIDS.
BG_PIDS=()
in_background() { "$@" & BG_PIDS+=($!); }
wait_background() { local p; for p in "${BG_PIDS[@]}"; do wait "$p" || true; done; BG_PIDS=(); }
# sw_kmemleak_scan OUT: two kmemleak scans (an object must be older than
# kmemleak's 5 s minimum age to be reported), the report saved in OUT; prints
# "TOTAL OURS": all unreferenced objects, and those whose allocation backtrace
# names stackwatch or an address no symbol covers (code of a module that has
# been unloaded: on our debug kernel only stackwatch and the test modules are
# ever unloaded).
sw_kmemleak_scan() {
  local k=/sys/kernel/debug/kmemleak
  sleep 6  # kmemleak's minimum object age (jiffies_min_age), not a time bound
  echo scan > $k; echo scan > $k
  cat $k > "$1"
  awk '/^unreferenced object/ { n++; mine[n] = 0 }
       /^    / && ($0 ~ /stackwatch/ || $0 ~ /^    0x[0-9a-f]+$/) { mine[n] = 1 }
       END { for (i in mine) o += mine[i]; print n + 0, o + 0 }' "$1"
}
