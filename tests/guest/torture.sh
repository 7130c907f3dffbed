# Issue 4: XFS on LVM (linear, and thin over linear), exported by the
# in-kernel NFS server and mounted back over loopback (v4.1 and v3), driven
# by bounded workloads with stackwatch (default set + xfs_*/nfsd*/dm_* globs)
# and the ftrace stack tracer running at the same time; debugfs snapshots
# after each workload; then the tracer once alone. Usage: torture.sh short|long
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/storage.sh"
. "$(dirname "$0")/workload.sh"
. "$(dirname "$0")/beside_tracer.sh"
mode=${1:-short}
if [ "$mode" = long ]; then SECS=120 NFILES=3000 FILL=85; else SECS=12 NFILES=300 FILL=70; fi
T=/sys/kernel/tracing
SNAPS=()

# --- storage: linear LV + thin LV, both XFS, both exported -------------------
lvm_config
disks=$(ls /dev/vd?)
# shellcheck disable=SC2086
pvcreate -q -y -ff $disks >/dev/null && vgcreate -q $VG $disks >/dev/null
lvcreate -q -y -L 1200M -n lin $VG >/dev/null
lvcreate -q -y -L 1200M -T $VG/pool >/dev/null && lvcreate -q -y -V 1500M -T $VG/pool -n thin >/dev/null
check "LVM: linear LV and thin LV on a thin pool" test -b /dev/$VG/lin -a -b /dev/$VG/thin
mkdir -p /mnt/lin /mnt/thin /mnt/nfs4 /mnt/nfs3
check "mkfs.xfs + mount (linear)" sh -c "mkfs.xfs -q -f /dev/$VG/lin && mount /dev/$VG/lin /mnt/lin"
check "mkfs.xfs + mount (thin)" sh -c "mkfs.xfs -q -f /dev/$VG/thin && mount /dev/$VG/thin /mnt/thin"
echo "dm devices: $(dmsetup ls | awk '{ printf "%s ", $1 }')"
XFS_MNT=/mnt/lin NFS_MNT=/mnt/nfs4 check "NFS v4.1 export of the linear XFS, mounted back" nfs_up 4.1
exportfs -o rw,no_root_squash,no_subtree_check,fsid=2,sync 127.0.0.1:/mnt/thin
check "NFS v3 export of the thin XFS, mounted back" mount -t nfs -o vers=3,nolock,proto=tcp,hard 127.0.0.1:/mnt/thin /mnt/nfs3
grep ' nfs' /proc/mounts | awk '{ print "mounted:", $1, $2, $3 }'

# --- stackwatch + the stack tracer, at the same time ------------------------
echo 0 > $T/stack_max_size
echo 1 > /proc/sys/kernel/stack_tracer_enabled
t0=$(date +%s%N)
check "insmod stackwatch probes=default,xfs_*,nfsd*,dm_*" sw_load 'probes=default,xfs_*,nfsd*,dm_*' threshold=0
echo "measure: load with globs took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
dmesg | grep 'stackwatch: watching' | tail -n1
sw_jq probes '.probes.attached[] | select(.mechanism == "ftrace") | "attached \(.spec) ftrace: \(.functions) functions"'

# The layers: nfsd*, xfs_* and dm_* by prefix (their globs are watched); the
# block layer and direct reclaim are the default set's groups (the block
# group but its dm_ names, which are dm's).
BLOCK_RE=$(sw_re "$(for n in $(sw_defaults block); do case $n in dm_*) ;; *) echo "$n" ;; esac; done | paste -sd ' ')")
RECLAIM_RE=$(sw_re "$(sw_defaults reclaim)")
# layers DIR: per layer, the hits and the deepest entry of the functions in
# DIR's summary, as JSON: {"nfsd": {"hits": N, "deepest": N}, ...}.
layers() {
  sw_jq_in "$1" table '
    def layer($re): [.functions[] | select(.name | test($re))]
      | {hits: (map(.hits) | add // 0), deepest: (map(.max_used) | max // 0)};
    {nfsd: layer("^nfsd"), xfs: layer("^xfs_"), dm: layer("^dm_"), block: layer($block), reclaim: layer($reclaim)}' \
    --arg block "$BLOCK_RE" --arg reclaim "$RECLAIM_RE"
}
# layer DIR NAME: the deepest entry of a layer in DIR (from its layers.json).
layer() { jq -r --arg l "$2" '.[$l].deepest' "$1/layers.json"; }
# snapshot NAME [traces]: copies the debugfs files and prints per-layer
# numbers; the per-function chains (`traces`) only when asked: on a kernel
# whose XFS is a module, rendering them resolves every XFS frame through the
# module's symbol table, about a minute under TCG with xfs_* watched.
snapshot() {
  local d files="summary max_trace histogram probes budgets thread_size tasks"
  d="$SW_OUT/snap-$(printf %02d ${#SNAPS[@]})-$1"
  mkdir -p "$d"
  [ "${2:-}" = traces ] && files="$files traces"
  for f in $files; do cat $SWD/$f > "$d/$f"; done
  uname -r > "$d/osrelease"
  cat $T/stack_max_size > "$d/ftrace_stack_max_size"; cat $T/stack_trace > "$d/ftrace_stack_trace"
  layers "$d" > "$d/layers.json"
  SNAPS+=("$d")
  echo "== after $1: stackwatch max $(sw_jq_in "$d" table .all.max_used), stack tracer max $(cat $T/stack_max_size)"
  jq -r 'to_entries[] | "   layer \(.key) \(.value.hits) \(.value.deepest)"' "$d/layers.json"
}

# --- workloads ---------------------------------------------------------------
echo "workload 1/7: buffered random writes + fsync over NFS v4.1"
wl_fio /mnt/nfs4 $SECS; snapshot buffered
echo "workload 2/7: direct writes over NFS v3 (thin LV)"
fio --directory=/mnt/nfs3 --name=direct --rw=write --bs=256k --direct=1 --size=128M --time_based --runtime=$SECS --ioengine=psync --numjobs=2 >/dev/null 2>&1 & p=$!
t=0; while kill -0 $p 2>/dev/null; do sleep 1; t=$((t+1)); [ $((t % 10)) = 0 ] && echo "  workload: direct $t/${SECS}s"; done; wait $p
snapshot direct
echo "workload 3/7: fsync-heavy small-file creation over NFS v4.1"
wl_smallfiles /mnt/nfs4 $NFILES; snapshot smallfiles
echo "workload 4/7: large sparse-file random writes (extent allocation, bmap btree splits) over NFS v3"
fio --directory=/mnt/nfs3 --name=extents --rw=randwrite --bs=4k --size=600M --io_size=$((SECS * 2))M --ioengine=psync --fsync=64 >/dev/null 2>&1 & p=$!
t=0; while kill -0 $p 2>/dev/null; do sleep 1; t=$((t+1)); [ $((t % 10)) = 0 ] && echo "  workload: extents $t s"; done; wait $p
echo "  extents of the file: $(xfs_bmap /mnt/thin/extents.0.0 2>/dev/null | wc -l)"
snapshot extents
echo "workload 5/7: many-directory metadata churn (stress-ng dir/dentry) over NFS v4.1"
timeout $((SECS + 30)) stress-ng --dir 2 --dentry 2 --temp-path /mnt/nfs4 --timeout ${SECS}s --quiet 2>&1 | tail -n 2
snapshot metadata
echo "workload 6/7: fragmented free space: fill the linear XFS to ${FILL}%, punch every other file, then write"
python3 - "$FILL" <<'PY'
import os, shutil, sys
fill, d = int(sys.argv[1]), "/mnt/lin/frag"
os.makedirs(d, exist_ok=True)
chunk, i = b"\0" * 65536, 0
while True:
    du = shutil.disk_usage("/mnt/lin")
    if du.used * 100 >= du.total * fill:
        break
    with open(f"{d}/f{i}", "wb") as f:
        f.write(chunk)
    i += 1
    if i % 2000 == 0:
        print(f"  workload: fill {i} files, {du.used * 100 // du.total}%", flush=True)
print(f"  workload: filled with {i} files")
PY
find /mnt/lin/frag -name 'f*[02468]' -delete; sync
echo "  free-space extents: $(xfs_db -r -c 'freesp -s' /dev/$VG/lin 2>/dev/null | tail -n1)"
fio --directory=/mnt/nfs4 --name=fragwrite --rw=write --bs=1M --size=$((FILL * 2))M --ioengine=psync --fsync=4 >/dev/null 2>&1
snapshot fragmented
echo "workload 7/7: writes from a memory-limited cgroup (memcg direct reclaim) over NFS and on XFS"
# Until the cgroup has entered direct reclaim, or each writer has written
# its cap (several times the limit): bounded by bytes, not by time.
squeeze_mb=$([ "$mode" = long ] && echo 160 || echo 48)
wl_squeeze squeeze $squeeze_mb /mnt/nfs4/squeeze /mnt/lin/squeeze
memcg_scan=$SQUEEZE_SCAN memcg_max=$SQUEEZE_MAX
grep -E '^(allocstall_normal|allocstall_dma32|pgscan_direct|pgscan_kswapd) ' /proc/vmstat | tr '\n' ' '; echo
snapshot reclaim traces

# --- assertions --------------------------------------------------------------
echo 0 > /proc/sys/kernel/stack_tracer_enabled
tracer_max=$(cat $T/stack_max_size)
global=$(sw_jq table .all.max_used)
# The deepest points (`tasks`), read while nfsd's threads and the
# workqueues' live on, so that this read covers the run; the checks against
# the tracer are beside_tracer.sh's, shared with the smoke.
TS=$(cat $SWD/thread_size)
sw_save "$SW_OUT/threads" tasks
cat $T/stack_trace > "$SW_OUT/ftrace_stack_trace"
bt_checks "$SW_OUT/threads" "$TS" "$global" "$tracer_max" "$SW_OUT/ftrace_stack_trace" "$(layer "${SNAPS[${#SNAPS[@]}-1]}" nfsd)"
# The what-if verdicts take the deepest thread stack: every budget the
# tracer's maximum overflows is called overflowed (entry depths alone said
# "fits" for some: issue 13).
"$SWC" report --json --from "${SNAPS[${#SNAPS[@]}-1]}" > "$SW_OUT/report.json" 2> "$SW_OUT/report.err"
verdicts=$(python3 - "$SW_OUT/report.json" "$tracer_max" <<'PY'
import json, sys
r, t = json.load(open(sys.argv[1])), int(sys.argv[2])
out = []
for b in r["what_if"]:
    v = b["verdict"]
    ok = v["measure"] == "thread_stack" and (v["fits"] is False if t > b["budget"] else True)
    out.append(f'{b["budget"]}:{"fits" if v["fits"] else "overflows"}({v["deepest"]},{v["measure"]}):{"ok" if ok else "WRONG"}')
print(" ".join(out))
PY
)
echo "what-if verdicts (tracer max $tracer_max): $verdicts"
expect_eq "what-if verdicts use the thread stacks and agree with the tracer's maximum" \
  "$(echo "$verdicts" | grep -c WRONG)/$([ -n "$verdicts" ] && echo some || echo none)" "0/some"
# The chains are read from the last snapshot (taken right after the last
# workload): on a kernel whose XFS is a module, rendering `traces` resolves
# every frame through the module's symbol table, which takes a while under TCG.
last=${SNAPS[${#SNAPS[@]}-1]}
# show_chain NAME: NAME's chain in the last snapshot's traces, laid out as there.
show_chain() {
  sw_jq_in "$last" chains '.chains[] | select(.function == $n)
    | "\(.function) \(.used) \(.remaining) \(.pid) \(.comm) \(.frames | length)", (.frames[] | "  \(.size) \(.symbol)")' --arg n "$1"
}
# Chain nfsd -> XFS -> dm/block (beside_tracer.sh).
chain=$(bt_nfsd_chain "$last")
expect_eq "a captured chain runs nfsd -> XFS -> dm/block in that order" "$([ -n "$chain" ] && echo yes || echo no)" yes
[ -n "$chain" ] && show_chain "$chain" | head -n 45 > "$SW_OUT/nfsd-xfs-dm-chain"
[ -n "$chain" ] && echo "chain found in the trace of $chain" && sed 's/^/    /' "$SW_OUT/nfsd-xfs-dm-chain" | head -n 40
expect_cmp "the squeezed writers hit the cgroup's limit: memory.events max" "${memcg_max:-0}" -gt 0
expect_cmp "the squeezed writers entered direct (memcg) reclaim: pgscan_direct" "${memcg_scan:-0}" -gt 0
# A reclaim function's deepest chain runs through the write path above it.
rchain=$(sw_jq_in "$last" chains 'first(.chains[] | select((.function | test($reclaim))
    and any(.frames[]; .function | test("^(xfs_|nfs_|iomap_)"))) | .function) // empty' --arg reclaim "$RECLAIM_RE")
expect_eq "a reclaim chain was entered from the NFS/XFS write path" "$([ -n "$rchain" ] && echo yes || echo no)" yes
[ -n "$rchain" ] && show_chain "$rchain" | head -n 60 > "$SW_OUT/reclaim-chain"
[ -n "$rchain" ] && echo "reclaim chain found in the trace of $rchain" && sed 's/^/    /' "$SW_OUT/reclaim-chain" | head -n 60
mono=yes
for layer in nfsd xfs dm block; do
  prev=0
  for d in "${SNAPS[@]}"; do
    v=$(layer "$d" $layer)
    [ "$v" -ge "$prev" ] || { mono="no ($layer: $prev then $v in $(basename "$d"))"; }
    prev=$v
  done
  expect_cmp "deepest $layer stack reported" "$prev" -gt 0
done
expect_eq "deepest bytes per layer monotonic across snapshots" "$mono" yes

# --- tear down, then the stack tracer alone over one workload ----------------
check "rmmod stackwatch after the run" sw_unload
echo 0 > $T/stack_max_size; echo 1 > /proc/sys/kernel/stack_tracer_enabled
wl_smallfiles /mnt/nfs4/alone $NFILES
echo 0 > /proc/sys/kernel/stack_tracer_enabled
echo "measure: stack tracer alone over smallfiles: $(cat $T/stack_max_size) bytes (with stackwatch loaded over all workloads: $tracer_max)"
cat $T/stack_max_size > "$SW_OUT/ftrace_alone_stack_max_size"
check "NFS unmounted" sh -c "umount /mnt/nfs4 && umount /mnt/nfs3"
check "NFS exports withdrawn and nfsd stopped" sh -c "exportfs -ua && rpc.nfsd 0 && ! grep -q . /proc/fs/nfsd/exports 2>/dev/null; true"
nfs_down
check "XFS unmounted" sh -c "umount /mnt/lin && umount /mnt/thin"
check "LVM torn down (no dm devices left)" sh -c "vgchange -q -an $VG >/dev/null && vgremove -q -f $VG >/dev/null && [ \$(dmsetup ls 2>/dev/null | grep -c $VG) = 0 ]"
finish
