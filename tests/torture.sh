#!/usr/bin/env bash
# The XFS-on-LVM-over-NFS torture run on its own: `tests/torture.sh short`
# (minutes; also part of tests/run.sh) or `long` (`make torture`).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
mode=${1:-long}
prepare debian
# The guest's checks read the module's files through the stackwatch command.
run_logged cli-build sh -c "cd '$SW_ROOT/rust/cli' && cargo build --quiet"
out="$SW_CACHE/results/torture-$mode-$(date +%Y%m%d-%H%M%S)"
qemu/run.sh --out "$out" --disks 3 --disk-size 2G --mem 1536M --timeout "$([ "$mode" = long ] && echo 5400 || echo 2400)" \
  tests/guest/torture.sh "$mode"
