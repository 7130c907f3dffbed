# Harness self-test: loads a module that WARNs. The runner must fail the run.
insmod "$SW_ROOT/tests/modules/sw_warn_test.ko"
rmmod sw_warn_test
exit 0
