#!/usr/bin/env bash
# What a user runs on a stackwatch snapshot, run and shown: the report
# (symbolized to file:line if the stock kernel's DWARF vmlinux is already
# cached; never downloaded here), its what-if lines, the flame graph and the
# bug-report text written next to it. The end of `make demo`.
#   scripts/show-snapshot.sh SNAPSHOT_DIR [RELEASE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
snap=${1:?usage: scripts/show-snapshot.sh SNAPSHOT_DIR [RELEASE]}
release=${2:-$(stock_release debian)}
[ -f "$snap/summary" ] || die "$snap: no summary file (not a stackwatch snapshot)"
run_logged cli-build sh -c "cd '$SW_ROOT/rust/cli' && cargo build --quiet"
sw=$SW_ROOT/rust/target/debug/stackwatch
vmlinux="$(stock_dir "$release")/root/usr/lib/debug/lib/modules/$release/vmlinux"
dwarf=()
if [ -f "$vmlinux" ]; then dwarf=(--vmlinux "$vmlinux"); shown="--vmlinux $vmlinux "
else shown=""; fi
out=$(dirname "$snap")

echo "=============== what a user runs (stackwatch, built in rust/cli) ==============="
echo "\$ stackwatch report --from $snap ${shown}--chains 1"
"$sw" report --from "$snap" "${dwarf[@]}" --chains 1
[ -n "$shown" ] || echo "(frames not resolved to file:line: the stock kernel's DWARF is not cached; scripts/stock-kernel.sh --dbg fetches it, 1.2 GB)"
echo
echo "\$ stackwatch report --from $snap --sections budgets     # the what-if lines"
"$sw" report --from "$snap" --sections budgets | tail -n +3
"$sw" flamegraph --from "$snap" "${dwarf[@]}" -o "$out/stack.svg"
"$sw" report --format markdown --from "$snap" "${dwarf[@]}" > "$out/report.md"
echo
echo "\$ stackwatch flamegraph --from $snap ${shown}> $out/stack.svg"
echo "flame graph written to $out/stack.svg (open it in a browser: hover a frame for its size and the bytes left, click to zoom)"
echo "\$ stackwatch report --format markdown --from $snap ${shown}> $out/report.md"
echo "bug-report text written to $out/report.md"
