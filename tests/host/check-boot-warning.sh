#!/usr/bin/env bash
# Checks the console of a kernel that was meant to die of a stack overflow
# while booting with stackwatch built in (riscv64 4K; tests/run.sh riscv):
# stackwatch attached from early boot, warned with a chain while there was
# still stack left, and that warning reached the console before the kernel
# died, from the very initcall that was running when it died (the console has
# initcall_debug's "calling"/"returned" lines). Prints "ok - ..." / "not ok -
# ..." lines and one "summary: ..." line; exits 1 if any check failed.
#   tests/host/check-boot-warning.sh CONSOLE THREAD_SIZE
set -uo pipefail
console=${1:?usage: check-boot-warning.sh CONSOLE THREAD_SIZE}
ts=${2:?usage: check-boot-warning.sh CONSOLE THREAD_SIZE}
bad=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; bad=1; }

# Console lines without printk timestamps, numbered.
lines=$(sed -e 's/\r$//' -e 's/^\[ *[0-9.]*\] //' "$console" | cat -n)
line_of() { grep -aE "$1" <<<"$lines" | head -n 1 | awk '{print $1}'; }

if grep -aq 'stackwatch: attached from early boot' <<<"$lines"; then
  ok "stackwatch attached from early boot ($(grep -ao 'stackwatch: watching [0-9]* functions' <<<"$lines" | head -n1 | sed 's/stackwatch: //'))"
else nok "no 'attached from early boot' line: stackwatch did not start in the early initcall"; fi

death=$(line_of 'Kernel stack overflow|stack guard page was hit|Insufficient stack space')
if [ -z "$death" ]; then
  nok "the kernel did not die of its stack ($(grep -am1 'Kernel panic' "$console" || echo 'no panic'))"; echo "summary: no overflow"; exit 1
fi
death_text=$(sed -n "${death}p" <<<"$lines" | cut -f2-)
ok "the kernel died at console line $death: $death_text"

# Warnings before the death, and the last of them with its chain.
warns=$(awk -v d="$death" '$1 < d' <<<"$lines" | grep -a 'stackwatch: .*: only [0-9]* bytes of stack left' || true)
nw=$(grep -c . <<<"$warns")
if [ -z "$warns" ]; then
  nok "no stackwatch warning before the kernel died"; echo "summary: died without a warning"; exit 1
fi
last=$(tail -n 1 <<<"$warns")
lastno=$(awk '{print $1}' <<<"$last")
read -r fn remaining threshold used total < <(sed -E 's/.*stackwatch: ([^:]+): only ([0-9]+) bytes of stack left \(threshold ([0-9]+), ([0-9]+) of ([0-9]+) used\).*/\1 \2 \3 \4 \5/' <<<"$last")
ok "$nw warning(s) before the death; the last at line $lastno: $fn, $remaining bytes left of $total ($((death - lastno)) console lines before the death)"
[ "$total" = "$ts" ] && ok "warning reports THREAD_SIZE $total" || nok "warning reports THREAD_SIZE $total, expected $ts"
[ $((used + remaining)) = "$total" ] && ok "used $used + remaining $remaining = $total" || nok "used $used + remaining $remaining != $total"
[ "$remaining" -lt "$threshold" ] && ok "remaining $remaining < threshold $threshold" || nok "warned with $remaining left, not under the threshold $threshold"
[ "$remaining" -gt 0 ] && ok "the warning came while stack was left ($remaining bytes)" || nok "no stack left at the warning"

# The chain: the "stackwatch:   SIZE SYMBOL" lines right after the last warning.
chain=$(awk -v s="$lastno" '$1 > s' <<<"$lines" | cut -f2- | awk '/^stackwatch:   / { print; next } { exit }')
frames=$(grep -c . <<<"$chain")
sum=$(awk '{ s += $2 } END { print s + 0 }' <<<"$chain")
[ "$frames" -ge 3 ] && ok "the warning has a chain of $frames frames" || nok "the warning's chain has $frames frames"
[ "$sum" -gt 0 ] && [ "$sum" -le "$used" ] && ok "the chain's frame sizes add up to $sum of the $used bytes used" ||
  nok "the chain's frame sizes add up to $sum (used $used)"
grep -qE ' (kernel_init|kernel_init_freeable|do_initcalls|do_one_initcall)\+' <<<"$chain" &&
  ok "the chain runs from the boot path ($(grep -oE ' (kernel_init|do_one_initcall)\+' <<<"$chain" | head -n1 | tr -d ' +'))" ||
  nok "the chain does not reach kernel_init/do_one_initcall: $(tr '\n' '|' <<<"$chain" | cut -c1-300)"

# The initcall running when the kernel died (initcall_debug): the last
# "calling X" before the death without its "initcall X returned".
running=$(awk -v d="$death" '$1 < d' <<<"$lines" | cut -f2- | awk '
  /^calling  / { n = $2; sub(/\+.*/, "", n); open[n] = 1; last = n }
  /^initcall / { n = $2; sub(/\+.*/, "", n); delete open[n] }
  END { if (last in open) print last }')
if [ -z "$running" ]; then
  nok "cannot tell which initcall was running when the kernel died (no initcall_debug lines?)"
elif grep -q " $running+" <<<"$chain"; then
  ok "the last warning's chain runs through $running, the initcall that overflowed"
else
  nok "the last warning's chain does not run through $running, the initcall that overflowed"
fi
echo "summary: kernel died at line $death after $nw warning(s); last warning: $fn, used $used, remaining $remaining (threshold $threshold), chain $frames frames through ${running:-?}"
exit $bad
