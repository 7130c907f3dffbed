# Harness self-test on the debug kernel: a module that leaks a buffer on load
# (tests/modules/sw_leak_test.rs), unloaded, must show up in the same kmemleak
# check the stress suite makes of stackwatch.
# Usage: leak_check.sh TEST-MODULE-DIR
. "$(dirname "$0")/lib.sh"
[ -e /sys/kernel/debug/kmemleak ] || { not_ok "kernel has kmemleak" "no /sys/kernel/debug/kmemleak"; finish; }
read -r total0 ours0 < <(sw_kmemleak_scan "$SW_OUT/kmemleak-before")
check "insmod sw_leak_test" insmod "$1/sw_leak_test.ko"
check "rmmod sw_leak_test" rmmod sw_leak_test
read -r total ours < <(sw_kmemleak_scan "$SW_OUT/kmemleak")
echo "measure: kmemleak: $total0 -> $total unreferenced objects, $ours0 -> $ours from unloaded module code"
expect_cmp "kmemleak finds the test module's leak" "$ours" -gt "$ours0"
finish
