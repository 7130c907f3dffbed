#!/usr/bin/env bash
# Checks the console of a kernel that was meant to die of a stack overflow
# while booting with stackwatch built in (riscv64 4K; tests/run.sh riscv):
# stackwatch attached from early boot, warned with a chain while there was
# still stack left, and that warning reached the console before the kernel
# died, from the very initcall that was running when it died (the console has
# initcall_debug's "calling"/"returned" lines). With a glob in
# stackwatch.probes=, also that the glob attached at core_initcall_sync. Every
# warning is checked too: each function is known by one address and warned
# once per depth (a name and a glob reaching it count it once), and its chain
# starts at the probed function with no frame of its own yet, followed by the
# probed function's real caller: with VMLINUX (the kernel's ELF image), the
# instruction before that frame's return address must be a call to the probed
# function. Prints "ok - ..." / "not ok - ..." lines and one "summary: ..."
# line; exits 1 if any check failed.
#   tests/host/check-boot-warning.sh CONSOLE THREAD_SIZE [VMLINUX]
set -uo pipefail
usage="usage: check-boot-warning.sh CONSOLE THREAD_SIZE [VMLINUX]"
console=${1:?$usage}
ts=${2:?$usage}
vmlinux=${3:-}
bad=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; bad=1; }

# Console lines without printk timestamps, numbered.
lines=$(sed -e 's/\r$//' -e 's/^\[ *[0-9.]*\] //' "$console" | cat -n)
line_of() { grep -aE "$1" <<<"$lines" | head -n 1 | awk '{print $1}'; }

if grep -aq 'stackwatch: attached from early boot' <<<"$lines"; then
  ok "stackwatch attached from early boot ($(grep -ao 'stackwatch: watching [0-9]* functions' <<<"$lines" | head -n1 | sed 's/stackwatch: //'))"
else nok "no 'attached from early boot' line: stackwatch did not start in the early initcall"; fi

# A glob on the command line attaches at core_initcall_sync.
probes=$(grep -aom1 'stackwatch\.probes=[^ ]*' <<<"$lines" | head -n1 | cut -d= -f2-)
if grep -q '[*?[]' <<<"$probes"; then
  if grep -aq 'stackwatch: attached the globs of stackwatch.probes=' <<<"$lines"; then
    ok "the globs of stackwatch.probes= attached at core_initcall_sync ($(grep -ao 'stackwatch: watching [0-9]* functions' <<<"$lines" | tail -n1 | sed 's/stackwatch: //'))"
  else nok "stackwatch.probes=$probes has a glob, but no 'attached the globs' line"; fi
fi

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
# Every warning before the death: "LINE FUNCTION USED NFRAMES SIZE0 SYM0 SIZE1
# SYM1" (SYMk as "name+0xoff/0xsize"; "-" where the chain has no such frame).
records=$(awk -v d="$death" '$1 < d' <<<"$lines" | cut -f1,2 | awk -F'\t' '
  function flush() { if (no != "") print no, fn, used, n, (n > 0 ? s0 : "-"), (n > 0 ? y0 : "-"), (n > 1 ? s1 : "-"), (n > 1 ? y1 : "-") }
  $2 ~ /stackwatch: .*: only [0-9]+ bytes of stack left/ {
    flush(); no = $1; n = 0
    fn = $2; sub(/.*stackwatch: /, "", fn); sub(/: only .*/, "", fn)
    used = $2; sub(/.*, /, "", used); sub(/ of .*/, "", used)
    next }
  no != "" && $2 ~ /^stackwatch:   / {
    split($2, f, " "); if (n == 0) { s0 = f[2]; y0 = f[3] } else if (n == 1) { s1 = f[2]; y1 = f[3] }; n++; next }
  { flush(); no = "" }
  END { flush() }')
nrec=$(grep -c . <<<"$records")

# One function, one address: frame 0 of every warning is the warned function
# at the same offset (a kprobe and the ftrace ops on it report one address), and no
# function warns twice at the same depth (which two slots for it would do).
twoaddr=$(awk '{ n = $6; sub(/\+.*/, "", n); o = $6; sub(/^[^+]*\+/, "", o); sub(/\/.*/, "", o)
  if (n != $2) print "warned " $2 " with frame 0 " $6
  else if ((n in off) && off[n] != o) print n " at +" off[n] " and +" o
  off[n] = o }' <<<"$records" | sort -u)
[ -z "$twoaddr" ] && ok "each of the $nrec warnings' functions has one address (frame 0 is the warned function)" ||
  nok "a function under two addresses: $(tr '\n' ';' <<<"$twoaddr")"
twice=$(awk '{ print $2, $3 }' <<<"$records" | sort | uniq -d)
[ -z "$twice" ] && ok "no function warned twice at the same depth (counted once)" ||
  nok "warned twice at the same depth (two slots for one function): $(tr '\n' ';' <<<"$twice")"

# Each chain at the probed function's entry: frame 0 has no frame of its own
# yet (0 bytes), frame 1 is its caller.
nozero=$(awk '$5 != "0" { print $2 " " $5 }' <<<"$records")
[ -z "$nozero" ] && ok "frame 0 (the probed function at its entry) is charged 0 bytes in every chain" ||
  nok "frame 0 charged bytes (its caller's frame): $(head -n 5 <<<"$nozero" | tr '\n' ';')"
short=$(awk '$4 < 2 { print $2 " (" $4 " frame, " $5 " bytes)" }' <<<"$records")
[ -z "$short" ] && ok "every chain has its caller frame" ||
  nok "chains without a caller frame: $(sort -u <<<"$short" | head -n 5 | tr '\n' ';')"
if [ -n "$vmlinux" ]; then
  # What the instruction before a return address calls: the callee's name,
  # "indirect", or "none" (no call there).
  nm=$(llvm-nm-19 -S "$vmlinux" 2>/dev/null | awk '$3 ~ /^[tTwW]$/')
  called_before() {  # called_before NAME OFF (OFF: the return address's offset in NAME)
    local addr insn
    addr=$(awk -v n="$1" '$4 == n { print $1 }' <<<"$nm" | head -n1)
    [ -z "$addr" ] && { echo "unknown"; return; }
    # Hex addresses (bash's arithmetic is signed: printf shows it unsigned).
    # The last two instructions before it: a call is "auipc ra, HI" then
    # "jalr LO(ra)" (vmlinux is linked without relaxation), to
    # auipc's address + (HI << 12) + LO, computed here (llvm-objdump's own
    # annotation of it is wrong); "jalr REG" is an indirect call.
    insn=$(llvm-objdump-19 -d --no-show-raw-insn --start-address="0x$addr" \
             --stop-address="$(printf '0x%x' $((16#$addr + $2)))" "$vmlinux" 2>/dev/null |
             grep -E '^ *[0-9a-f]+:[[:space:]]' | tail -n 2 | tr '\t\n' '  ')
    local re='^ *([0-9a-f]+): +auipc +ra, +0x([0-9a-f]+) +[0-9a-f]+: +jalr +(-?0x[0-9a-f]+)\(ra\)'
    if [[ $insn =~ $re ]]; then
      local hi=$((16#${BASH_REMATCH[2]})) target
      [ $hi -ge $((1 << 19)) ] && hi=$((hi - (1 << 20)))
      target=$(printf '%016x' $((16#${BASH_REMATCH[1]} + (hi << 12) + BASH_REMATCH[3])))
      awk -v a="$target" '$1 == a { print $4; f = 1; exit } END { if (!f) print "0x" a }' <<<"$nm"
    elif [[ $insn =~ jalr\ +[a-z0-9]+\ *$ ]]; then echo indirect
    else echo "none"; fi
  }
  wrong="" checked=0 indirect=0
  while read -r _ wfn _ n _ _ _ y1; do
    [ "$n" -ge 2 ] || continue
    [[ $y1 =~ ^([^+]+)\+(0x[0-9a-f]+)/(0x[0-9a-f]+)$ ]] || { wrong+="$wfn: frame 1 '$y1' unreadable; "; continue; }
    callee=$(called_before "${BASH_REMATCH[1]}" "$((BASH_REMATCH[2]))")
    case $callee in
      "$wfn") checked=$((checked + 1)) ;;
      indirect) indirect=$((indirect + 1)) ;;
      *) wrong+="$wfn: frame 1 $y1 returns from a call to $callee; " ;;
    esac
  done <<<"$records"
  [ -z "$wrong" ] && ok "frame 1 of every chain is the probed function's caller ($checked direct calls to it in vmlinux, $indirect indirect)" ||
    nok "frame 1 is not the probed function's caller: ${wrong:0:600}"
fi
echo "summary: kernel died at line $death after $nw warning(s); last warning: $fn, used $used, remaining $remaining (threshold $threshold), chain $frames frames through ${running:-?}"
exit $bad
