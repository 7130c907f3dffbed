#!/usr/bin/env bash
# The main job: set up everything (packages, toolchain, kernel source), build
# stackwatch.ko for Debian's stock kernel, boot it in QEMU with two disks, build
# XFS on LVM exported over NFS, run a workload with stackwatch loaded, and
# print the stackwatch report. Results stay in $STACKWATCH_CACHE/results.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
prepare debian
out="$SW_CACHE/results/demo-$(date +%Y%m%d-%H%M%S)"
qemu/run.sh --out "$out" --disks 2 --disk-size 3G --timeout 900 tests/guest/demo.sh
echo
echo "=============== stackwatch report (from $out/snapshot) ==============="
for f in summary max_trace budgets; do echo "--- $f"; cat "$out/snapshot/$f"; echo; done
