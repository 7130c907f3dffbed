#!/usr/bin/env bash
# The warning leaves the dying machine: a guest with netconsole sends its
# kernel log over QEMU user networking to a UDP listener on this machine's
# loopback; stackwatch's threshold warning and its whole chain must arrive
# there (the chain's frame sizes adding up to the bytes used it names).
# Boots one guest (tests/guest/netconsole.sh). Prints "ok - ..." / "not ok -
# ..." lines (the guest's own too); exits 1 if any failed.
#   tests/host/netconsole.sh OUT_DIR [KERNEL]
set -uo pipefail
out=${1:?usage: netconsole.sh OUT_DIR [KERNEL]}
kernel=${2:-debian}
cd "$(dirname "$0")/../.." || exit 1
bad=0
ok() { echo "ok - $*"; }
nok() { echo "not ok - $*"; bad=1; }
mkdir -p "$out"; rm -f "$out/netconsole.udp" "$out/netconsole.udp.port"

# The listener binds a free loopback port itself and names it in a file.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".port", "w").write(str(s.getsockname()[1]))
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536))
' "$out/netconsole.udp" &
listener=$!
trap 'kill "$listener" 2>/dev/null' EXIT
for _ in $(seq 1 60); do [ -s "$out/netconsole.udp.port" ] && break; sleep 0.5; done
port=$(cat "$out/netconsole.udp.port" 2>/dev/null) || { nok "the UDP listener did not start"; exit 1; }

qemu/run.sh --kernel "$kernel" --net --timeout 600 --out "$out/guest" tests/guest/netconsole.sh "$port" \
  2> "$out/runner.log"
rc=$?
grep -a '^\[guest\] \(not \)\?ok - ' "$out/guest/console.log" | sed 's/^\[guest\] //'
[ $rc = 0 ] || nok "guest run: $(grep FAILED "$out/runner.log" | tail -n1 | sed 's/.*FAILED: //')"

# What arrived over the network: the warning line, then its chain.
got=$(tr -d '\r' < "$out/netconsole.udp" 2>/dev/null)
warn=$(grep -m1 'stackwatch: vfs_mkdir: only [0-9]* bytes of stack left' <<<"$got")
if [ -z "$warn" ]; then
  nok "no stackwatch warning received on 127.0.0.1:$port ($(wc -l <<<"$got") lines received)"; exit 1
fi
ok "received over netconsole on 127.0.0.1:$port: ${warn#*stackwatch: }"
used=$(sed -n 's/.*(threshold [0-9]*, \([0-9]*\) of [0-9]* used).*/\1/p' <<<"$warn")
# The chain: the lines after the warning, "stackwatch: SIZE symbol+0x../0x..".
chain=$(sed -n "/stackwatch: vfs_mkdir: only/,\$p" <<<"$got" | tail -n +2 |
  sed -n 's/^.*stackwatch: *\([0-9][0-9]*\) \([^ ]*+0x[0-9a-f]*\/0x[0-9a-f]*\).*/\1 \2/p' |
  awk 'NR > 1 && $2 ~ /^vfs_mkdir\+/ { exit } { print }')
frames=$(grep -c . <<<"$chain")
sum=$(awk '{ s += $1 } END { print s + 0 }' <<<"$chain")
if [ "$frames" -gt 1 ] && [ "$(head -n1 <<<"$chain" | cut -d' ' -f2 | cut -d+ -f1)" = vfs_mkdir ] && [ "$sum" = "$used" ]; then
  ok "its chain arrived too: $frames frames from $(head -n1 <<<"$chain" | cut -d' ' -f2) to $(tail -n1 <<<"$chain" | cut -d' ' -f2), sizes adding up to the $used bytes used"
else nok "the chain over netconsole: $frames frames adding up to $sum, the warning says $used used (see $out/netconsole.udp)"; fi
exit $bad
