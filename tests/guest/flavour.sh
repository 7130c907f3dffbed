# One Debian kernel flavour loads stackwatch (make test-kernels): the guest
# runs the release it was meant to, the module built for it loads, reads
# back the kernel's THREAD_SIZE, attaches its default set (the XFS, dm
# and nfsd groups too, their modules being loaded), counts the calls of a
# function under getppid() exactly, and unloads leaving nothing behind.
# The module's files are saved and read through the stackwatch command:
# here, or in a guest it does not run in (arm64), by the host's runner:
#   flavour.sh RELEASE THREAD_SIZE           the guest's part, then the checks
#   flavour.sh --check OUT RELEASE THREAD_SIZE   the checks of the copies in OUT
. "$(dirname "$0")/lib.sh"

# flavour_checks OUT: the checks of what the guest's part saved in OUT.
flavour_checks() {
  local out=$1 attached g f missing fn before after
  attached=" $(sw_jq_in "$out/loaded" probes '[.probes.attached[].spec] | join(" ")') "
  for g in xfs block nfsd; do
    missing=()
    for f in $(sw_defaults "$g"); do
      case "$attached" in *" $f "*) ;; *) missing+=("$f") ;; esac
    done
    expect_eq "the default $g probes attached" "${#missing[@]} not attached${missing[*]:+: ${missing[*]}}" "0 not attached"
  done
  fn=$(cat "$out/getppid-fn" 2>/dev/null)
  [ -n "$fn" ] || { not_ok "a traceable function under getppid()" "none of the candidates"; return; }
  before=$(SW_FROM=$out/before sw_sum_hits "^$fn\$")
  after=$(SW_FROM=$out/after sw_sum_hits "^$fn\$")
  expect_eq "1000 getppid() calls counted ($fn)" "$((after - before))" 1000
}
if [ "${1:-}" = --check ]; then flavour_checks "${2:?usage: flavour.sh --check OUT RELEASE THREAD_SIZE}"; finish; fi

release=${1:?usage: flavour.sh RELEASE THREAD_SIZE}
want=${2:?usage: flavour.sh RELEASE THREAD_SIZE}
expect_eq "the guest runs $release" "$(uname -r)" "$release"
expect_eq "stackwatch.ko's vermagic is the running kernel's" \
  "$(modinfo -F vermagic "$SW_KO" | cut -d' ' -f1)" "$(uname -r)"
check "insmod stackwatch" sw_load
expect_eq "thread_size read back" "$(cat $SWD/thread_size)" "$want"
sw_save "$SW_OUT/loaded" probes
# A function under getppid()'s calls, counted once each.
fn=$(sw_getppid_fn)
echo "$fn" > "$SW_OUT/getppid-fn"
if [ -n "$fn" ]; then
  expect_eq "write +$fn" "$(sw_write $SWD/probes "+$fn")" OK
  sw_save "$SW_OUT/before" probes
  python3 -c 'import os
for _ in range(1000): os.getppid()'
  sw_save "$SW_OUT/after" probes
fi
check "rmmod stackwatch" sw_unload
expect_eq "no debugfs directory left" "$([ -e $SWD ] && echo left || echo gone)" gone
if sw_checks_here; then flavour_checks "$SW_OUT"; fi
finish
