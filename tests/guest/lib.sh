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
# sw_field FILE FUNCTION COLUMN: column (1-based) of FUNCTION's row in a report.
sw_field() { awk -v f="$2" -v c="$3" '!/^#/ && $1 == f { print $c; exit }' "$1"; }
# sw_sum_hits PATTERN: sum of hits of summary rows whose name matches PATTERN.
sw_sum_hits() { awk -v p="$1" '!/^#/ && $1 != "(all)" && $1 ~ p { s += $2 } END { print s + 0 }' "$SWD/summary"; }
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
