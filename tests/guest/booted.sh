# A boot and nothing else (the debug kernel's repeated boots, tests/run.sh
# debug-boots): the runner fails the run on any report in the console; the
# guest says it got to user space.
. "$(dirname "$0")/lib.sh"
ok "booted to user space ($(uname -r), $(nproc) CPUs)"
finish
