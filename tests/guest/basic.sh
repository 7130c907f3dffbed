# The first end-to-end test: load stackwatch, read THREAD_SIZE back from
# debugfs and compare it with what the kernel was built with, unload, and
# check nothing is left behind. The runner fails the run on any kernel
# warning in the console.
. "$(dirname "$0")/lib.sh"
want=${1:-16384}

check "insmod stackwatch" sw_load
check "debugfs directory exists" test -d $SWD
expect_eq "thread_size matches the kernel" "$(cat $SWD/thread_size)" "$want"
cfg=$(sw_kconfig | sed -n 's/^CONFIG_THREAD_SIZE_ORDER=//p')
[ -n "$cfg" ] && expect_eq "thread_size = PAGE_SIZE << THREAD_SIZE_ORDER" "$(cat $SWD/thread_size)" $((4096 << cfg))
attached=$(grep -c '^attached ' $SWD/probes)
expect_cmp "default probes attached" "$attached" -gt 10
skipped=$(awk '$1 == "skipped" { printf "%s(%s) ", $2, $3 }' $SWD/probes)
echo "skipped default names: ${skipped:-none}"
expect_eq "module parameter budgets (sysfs)" "$(cat /sys/module/stackwatch/parameters/budgets)" default
# budgets=default: the what-if sizes 4096 and 8192 that are below THREAD_SIZE.
expected_budgets=$(for b in 4096 8192; do [ "$b" -lt "$want" ] && echo "$b"; done | tr '\n' ' ')
expect_eq "default budgets below THREAD_SIZE" "$(awk '!/^#/ { printf "%s ", $1 }' $SWD/budgets)" "$expected_budgets"
expect_eq "threshold default" "$(cat $SWD/threshold)" 2048
check "rmmod stackwatch" sw_unload
check "debugfs directory removed" test ! -e $SWD
check "module gone" sh -c '! grep -q "^stackwatch " /proc/modules'
finish
