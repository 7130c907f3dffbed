# One Debian kernel flavour loads stackwatch (make test-kernels): the guest
# runs the release it was meant to, the module built for it loads, reads
# back the kernel's THREAD_SIZE, attaches its default set (the XFS, dm
# and nfsd groups too, their modules being loaded), counts the calls of a
# function under getppid() exactly, and unloads leaving nothing behind.
#   flavour.sh RELEASE THREAD_SIZE
. "$(dirname "$0")/lib.sh"
release=${1:?usage: flavour.sh RELEASE THREAD_SIZE}
want=${2:?usage: flavour.sh RELEASE THREAD_SIZE}
expect_eq "the guest runs $release" "$(uname -r)" "$release"
expect_eq "stackwatch.ko's vermagic is the running kernel's" \
  "$(modinfo -F vermagic "$SW_KO" | cut -d' ' -f1)" "$(uname -r)"
check "insmod stackwatch" sw_load
expect_eq "thread_size read back" "$(cat $SWD/thread_size)" "$want"
attached=" $(sw_jq probes '[.probes.attached[].spec] | join(" ")') "
for g in xfs block nfsd; do
  missing=()
  for f in $(sw_defaults "$g"); do
    case "$attached" in *" $f "*) ;; *) missing+=("$f") ;; esac
  done
  expect_eq "the default $g probes attached" "${#missing[@]} not attached${missing[*]:+: ${missing[*]}}" "0 not attached"
done
# __do_sys_getppid's calls, counted once each.
expect_eq "write +__do_sys_getppid" "$(sw_write $SWD/probes '+__do_sys_getppid')" OK
before=$(sw_sum_hits '^__do_sys_getppid$')
python3 -c 'import os
for _ in range(1000): os.getppid()'
after=$(sw_sum_hits '^__do_sys_getppid$')
expect_eq "1000 getppid() calls counted" "$((after - before))" 1000
check "rmmod stackwatch" sw_unload
expect_eq "no debugfs directory left" "$([ -e $SWD ] && echo left || echo gone)" gone
finish
