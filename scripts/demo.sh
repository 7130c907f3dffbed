#!/usr/bin/env bash
# The main job: set up everything (packages, toolchain, kernel source), build
# stackwatch.ko for Debian's stock kernel, boot it in QEMU with two disks, build
# XFS on LVM exported over NFS, run a workload with stackwatch loaded, then
# show what a user runs on the snapshot it took: `stackwatch report`
# (symbolized if the stock kernel's DWARF is cached), the what-if lines, the
# flame graph. Results stay in $STACKWATCH_CACHE/results.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
prepare debian
out="$SW_CACHE/results/demo-$(date +%Y%m%d-%H%M%S)"
qemu/run.sh --out "$out" --disks 2 --disk-size 3G --timeout 900 tests/guest/demo.sh
echo
# What a user runs on it: the report, the what-if lines, the flame graph.
scripts/show-snapshot.sh "$out/snapshot"
