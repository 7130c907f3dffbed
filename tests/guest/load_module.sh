# Harness self-test: loads a deliberately broken test module (default: the
# one that WARNs; or the .ko given, e.g. the lock-order inversion on the
# debug kernel). The runner must fail the run and name the kernel's report.
ko=${1:-$SW_ROOT/tests/modules/sw_warn_test.ko}
insmod "$ko"
rmmod "$(basename "$ko" .ko)"
exit 0
