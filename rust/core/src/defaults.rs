// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The default probe set: functions on the paths known to blow the stack.
//! Names missing from the running kernel are pending (listed in `probes`,
//! never fatal): many are in modules (xfs, dm_mod, nfsd, sunrpc, virtio_blk)
//! that may load later, and are attached when they do.

/// XFS allocation, btree splits, log forces, buffer locks, writeback.
pub const XFS: &[&str] = &[
    "xfs_bmapi_write",
    "xfs_file_fsync",
    "xfs_alloc_vextent_near_bno",
    "xfs_alloc_vextent_start_ag",
    "xfs_alloc_vextent_this_ag",
    "xfs_btree_split",
    "xfs_log_force",
    "xfs_log_force_seq",
    "xfs_buf_lock",
    "xfs_trans_commit",
    "xfs_iomap_write_direct",
    "xfs_iomap_write_unwritten",
    "xfs_vm_writepages",
];

/// Block layer and device-mapper re-entering `submit_bio`.
pub const BLOCK: &[&str] = &[
    "submit_bio",
    "submit_bio_noacct",
    "__submit_bio",
    "dm_submit_bio",
    "blk_mq_submit_bio",
    "virtio_queue_rq",
];

/// The NFS server.
pub const NFSD: &[&str] = &[
    "nfsd_dispatch",
    "nfsd4_proc_compound",
    "nfsd_vfs_write",
    "nfsd_read",
    "svc_process",
    "nfsd_commit",
];

/// Direct reclaim under writeback: global, and a memory cgroup over its limit.
pub const RECLAIM: &[&str] = &[
    "try_to_free_pages",
    "try_to_free_mem_cgroup_pages",
    "shrink_folio_list",
    "shrink_node",
];

/// All default groups, in report order.
pub const GROUPS: &[&[&str]] = &[XFS, BLOCK, NFSD, RECLAIM];

/// Every default name.
pub fn all() -> impl Iterator<Item = &'static str> {
    GROUPS.iter().flat_map(|g| g.iter().copied())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_valid_and_unique() {
        let v: std::vec::Vec<&str> = super::all().collect();
        for n in &v {
            crate::command::check_name(n).unwrap();
            assert!(!crate::command::is_glob(n));
        }
        let mut s = v.clone();
        s.sort();
        s.dedup();
        assert_eq!(s.len(), v.len());
    }
}
