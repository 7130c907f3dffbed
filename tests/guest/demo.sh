# The main job's guest side: XFS on LVM exported over NFS and mounted back,
# stackwatch loaded with its default set, a workload through NFS, then its
# files copied to the results folder, where the host shows the report
# (scripts/show-snapshot.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
storage_up linear || exit 1
target=$XFS_MNT
if nfs_up 4.1; then target=$NFS_MNT; else echo "demo: NFS set-up failed; running on XFS directly"; fi
sw_load || exit 1
dmesg | grep 'stackwatch: watching' | tail -n1
wl_fio "$target" 20
wl_smallfiles "$target" 300
mkdir -p "$SW_OUT/snapshot"
for f in summary traces max_trace histogram probes budgets thread_size threshold tasks; do cat $SWD/$f > "$SW_OUT/snapshot/$f"; done
uname -r > "$SW_OUT/snapshot/osrelease"
echo "snapshot taken for the host to show: $(grep '^(all)' $SWD/summary)"
sw_unload
nfs_down
storage_down
exit 0
