#!/usr/bin/env bash
# Harness self-test of the runner's console scan (qemu/console.sh) on
# consoles made here: a serial console with NUL bytes and stray non-UTF-8
# bytes must still be read as text. A KASAN report before any line of
# stackwatch's is the kernel's own (boot once more); one after is ours
# (fail); a clean console has none. Prints "ok - ..." / "not ok - ...".
set -uo pipefail
. "$(dirname "$0")/../../qemu/console.sh"
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; }

# make_console FILE LINES...: the lines, with NULs and a non-UTF-8 byte
# where a serial console picks them up (at power-on and between lines).
make_console() {
  local f=$1 l; shift
  printf '\0\0\0\0SeaBIOS \xff\xfe\n' > "$f"
  for l in "$@"; do printf '%s\n\0\0' "$l" >> "$f"; done
}
report='[    2.345678] BUG: KASAN: wild-memory-access in rcu_is_watching+0x3c/0x80'
make_console "$dir/early" '[    0.000000] Linux version 7.3.4' "$report" \
  '[    9.000000] stackwatch: watching 17 functions' '[guest] ok - insmod stackwatch'
make_console "$dir/late" '[    0.000000] Linux version 7.3.4' '[    9.000000] stackwatch: watching 17 functions' \
  "$report" '[guest] ok - insmod stackwatch'
make_console "$dir/clean" '[    0.000000] Linux version 7.3.4' '[    9.000000] stackwatch: watching 17 functions' \
  '[guest] not ok - WARNING: a guest line is not a kernel report'

n=$(LC_ALL=C tr -cd '\000' < "$dir/early" | wc -c)
hit=$(console_first_report "$dir/early")
if [ "$hit" = "$report" ]; then ok "a KASAN report on a console with $n NUL bytes is found: '${hit#*] }'"
else nok "a KASAN report on a console with $n NUL bytes is missed (found '$hit')"; fi
if console_report_precedes_stackwatch "$dir/early"; then ok "a report before stackwatch's first line is the kernel's own while booting"
else nok "a report before stackwatch's first line is not taken as the kernel's own"; fi
if [ "$(console_first_report "$dir/late")" = "$report" ] && ! console_report_precedes_stackwatch "$dir/late"; then
  ok "a report after stackwatch's first line is found and counted against the run"
else nok "a report after stackwatch's first line: found '$(console_first_report "$dir/late")', before stackwatch: $(console_report_precedes_stackwatch "$dir/late" && echo yes || echo no)"; fi
if [ -z "$(console_first_report "$dir/clean")" ]; then ok "a clean console (NUL bytes, a guest line with WARNING:) has no report"
else nok "a clean console has a report: '$(console_first_report "$dir/clean")'"; fi
if [ -z "$(console_first_report "$dir/late" 'wild-memory-access')" ]; then ok "--allow drops a report it matches"
else nok "--allow did not drop the report it matches"; fi
d=$(console_clean "$dir/early")
left=$(LC_ALL=C tr -cd '\000' < "$dir/early" | wc -c)
if [ "$d" = "$n" ] && [ "$left" = 0 ] && grep -q 'stackwatch: watching' "$dir/early"; then
  ok "console_clean drops the $d NUL bytes and plain grep reads the console as text"
else nok "console_clean dropped '$d' of $n NUL bytes, $left left"; fi
