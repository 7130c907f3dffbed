// SPDX-License-Identifier: GPL-2.0 OR MIT
//! A fixed-capacity, lock-free map from a probed function's address to its
//! slot index, filled on first hit (probe handlers may not allocate or lock).
//! A reset zeroes the slots' contents and keeps the keys; the keys of a
//! module that went away are reclaimed (see [`SlotIndex::reclaim`]).
//!
//! Open addressing with linear probing. A reclaimed key becomes a tombstone
//! ([`FREED`]), never 0, so that the chains of the keys inserted after it
//! stay whole (`find` stops only at 0); an insert takes the first tombstone
//! of its chain, once it has seen the key is not further on. That is only
//! safe while no tombstone appears under a running insert (two inserts of
//! one key could then pick different places), so [`SlotIndex::reclaim`]
//! closes the table to inserts around its stores: inserts then fail (the
//! hit is counted as having no slot), lookups of present keys go on.

use core::sync::atomic::{
    AtomicBool, AtomicUsize,
    Ordering::{AcqRel, Acquire, Release, SeqCst},
};

/// How many slots a lookup probes before giving up.
const MAX_PROBES: usize = 64;

/// The key of a reclaimed slot: free for any key, but not the end of a
/// chain as 0 is. Never a function's address (nor is anything above it).
pub const FREED: usize = usize::MAX;

/// How many times an insert starts over after losing its place to another
/// key (each loss means the chain grew; bounded, as a handler must be).
const MAX_RETRIES: usize = 4;

/// The key half of the table; the caller keeps a parallel array of slots.
pub struct SlotIndex<'a> {
    /// The keys in use: the largest power-of-two prefix of those given, so
    /// that a probe position is a mask, never a division (the kernel always
    /// allocates a power of two).
    keys: &'a [AtomicUsize],
    /// Set while [`SlotIndex::reclaim`] runs: no insert may start.
    closed: &'a AtomicBool,
}

impl<'a> SlotIndex<'a> {
    /// A table over `keys` (all zero when empty; 0 and [`FREED`] are never
    /// valid keys), closed to inserts while `closed` is set (by `reclaim`:
    /// every user of one table passes the same flag). Only the largest
    /// power-of-two prefix of `keys` is used.
    #[inline(always)]
    pub fn new(keys: &'a [AtomicUsize], closed: &'a AtomicBool) -> Self {
        let n = keys.len();
        // A bit test, not `is_power_of_two` (a software popcount on kernels
        // built without POPCNT): this runs in the probe handler.
        let used = if n & n.wrapping_sub(1) == 0 {
            n
        } else {
            // n > 2 here: its top bit is at BITS - 1 - leading_zeros >= 1.
            1usize.wrapping_shl((usize::BITS - 1).wrapping_sub(n.leading_zeros()))
        };
        SlotIndex {
            keys: keys.get(..used).unwrap_or(&[]),
            closed,
        }
    }

    /// The mask that reduces a position to an index (the length is 0 or a
    /// power of two).
    #[inline(always)]
    fn mask(&self) -> usize {
        self.keys.len().wrapping_sub(1)
    }

    /// The slots `key` may be in, in the order they are tried, with their
    /// indexes (none for key 0 or [`FREED`]).
    #[inline(always)]
    fn probe_order(&self, key: usize) -> impl Iterator<Item = (usize, &AtomicUsize)> + '_ {
        let tries = if key == 0 || key == FREED {
            0
        } else {
            MAX_PROBES.min(self.keys.len())
        };
        // Fibonacci hashing of the address; kernel text addresses share high bits.
        let start = ((key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize;
        let mask = self.mask();
        (0..tries).map_while(move |i| {
            let idx = start.wrapping_add(i) & mask;
            self.keys.get(idx).map(|slot| (idx, slot))
        })
    }

    /// Index of `key`, inserting it if absent. `None` if the table is full
    /// around `key`, closed to inserts (and `key` absent), or `key` is not
    /// a valid key.
    #[inline(always)]
    pub fn get_or_insert(&self, key: usize) -> Option<usize> {
        for _ in 0..MAX_RETRIES {
            // The first free place of the chain: a tombstone, or the 0 that
            // ends it (`key` is not in the chain past that 0).
            let mut free = None;
            for (idx, slot) in self.probe_order(key) {
                match slot.load(Acquire) {
                    cur if cur == key => return Some(idx),
                    0 => {
                        free = free.or(Some((idx, slot, 0)));
                        break;
                    }
                    FREED => free = free.or(Some((idx, slot, FREED))),
                    _ => {}
                }
            }
            let (idx, slot, old) = free?;
            // Checked after the scan: an insert that saw the flag clear here
            // runs entirely before `reclaim` frees a place (it waits for it),
            // or entirely after (see `reclaim`).
            if self.closed.load(SeqCst) {
                return None;
            }
            match slot.compare_exchange(old, key, AcqRel, Acquire) {
                Ok(_) => return Some(idx),
                Err(k) if k == key => return Some(idx),
                // Another key took the place: look again.
                Err(_) => continue,
            }
        }
        None
    }

    /// Index of `key` if present (a tombstone does not end the chain).
    #[inline(always)]
    pub fn find(&self, key: usize) -> Option<usize> {
        for (idx, slot) in self.probe_order(key) {
            match slot.load(Acquire) {
                cur if cur == key => return Some(idx),
                0 => return None,
                _ => {}
            }
        }
        None
    }

    /// Key stored at `idx` (0: empty or reclaimed).
    pub fn key(&self, idx: usize) -> usize {
        match self.keys.get(idx).map_or(0, |k| k.load(Acquire)) {
            FREED => 0,
            k => k,
        }
    }

    /// Number of keys in the table.
    pub fn in_use(&self) -> usize {
        (0..self.keys.len()).filter(|&i| self.key(i) != 0).count()
    }

    /// Reclaims the places of every key for which `gone` is true: `clear`
    /// gets each one's index and key first (to fold away and zero what the
    /// caller keeps there), then the place is free for any key. Returns how
    /// many were reclaimed. Process context, one caller at a time.
    ///
    /// The caller guarantees that nothing looks up or inserts a `gone` key
    /// any more (its probes are detached, running handlers waited for), and
    /// `grace` must wait for every insert running when it is called (for
    /// the kernel: `synchronize_rcu`, as probe handlers run with preemption
    /// off). The table is closed to inserts, then `grace` lets every insert
    /// that may not have seen that finish; only then do places go free, and
    /// the table opens again after a second `grace`, when every insert
    /// that saw a place still taken is over. So no two inserts that both
    /// succeed ever see a place both taken and free: each picks the first
    /// free place of the chain as it stands, and one key gets one place.
    pub fn reclaim(
        &self,
        mut gone: impl FnMut(usize) -> bool,
        mut clear: impl FnMut(usize, usize),
        grace: impl Fn(),
    ) -> usize {
        let mut n = 0usize;
        for (idx, k) in self.keys.iter().enumerate() {
            if self.key(idx) == 0 || !gone(k.load(Acquire)) {
                continue;
            }
            if n == 0 {
                self.closed.store(true, SeqCst);
                grace();
            }
            clear(idx, k.load(Acquire));
            // Release: what `clear` zeroed is seen zeroed by the next key
            // to take the place (its insert's compare-exchange acquires).
            k.store(FREED, Release);
            n = n.saturating_add(1);
        }
        if n != 0 {
            grace();
            self.closed.store(false, SeqCst);
        }
        n
    }

    /// Number of slots in use.
    pub fn capacity(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    static OPEN: AtomicBool = AtomicBool::new(false);

    fn keys(n: usize) -> Vec<AtomicUsize> {
        (0..n).map(|_| AtomicUsize::new(0)).collect()
    }

    #[test]
    fn insert_find_full() {
        let k = keys(8);
        let t = SlotIndex::new(&k, &OPEN);
        let a = t.get_or_insert(0xffff_ffff_8100_0000).unwrap();
        assert_eq!(t.get_or_insert(0xffff_ffff_8100_0000), Some(a));
        assert_eq!(t.find(0xffff_ffff_8100_0000), Some(a));
        assert_eq!(t.key(a), 0xffff_ffff_8100_0000);
        assert_eq!(t.find(0x1234), None);
        assert_eq!(t.get_or_insert(0), None);
        for i in 1..8 {
            assert!(t.get_or_insert(i * 16).is_some());
        }
        assert_eq!(t.get_or_insert(999), None, "full table must refuse");
        let empty: [AtomicUsize; 0] = [];
        assert_eq!(SlotIndex::new(&empty, &OPEN).get_or_insert(5), None);
    }

    #[test]
    fn uses_the_power_of_two_prefix() {
        let k = keys(12);
        let t = SlotIndex::new(&k, &OPEN);
        assert_eq!(t.capacity(), 8);
        for i in 1..=8 {
            assert!(t.get_or_insert(i * 4096).unwrap() < 8);
        }
        assert_eq!(t.get_or_insert(999 * 4096), None, "the prefix is full");
        assert!(k[8..].iter().all(|k| k.load(Acquire) == 0));
        assert_eq!(SlotIndex::new(&keys(1), &OPEN).capacity(), 1);
    }

    #[test]
    fn concurrent_inserts_agree() {
        let k: &'static [AtomicUsize] = std::boxed::Box::leak(keys(1024).into_boxed_slice());
        let hs: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let t = SlotIndex::new(k, &OPEN);
                    (1..500usize)
                        .map(|i| t.get_or_insert(i * 64).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let rs: Vec<Vec<usize>> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(rs.windows(2).all(|w| w[0] == w[1]));
        let t = SlotIndex::new(k, &OPEN);
        assert_eq!((0..1024).filter(|&i| t.key(i) != 0).count(), 499);
    }

    /// Keys that all start their chain at the same place (the hash's top
    /// bits are equal for keys that differ only in bits it shifts away).
    fn colliding(n: usize, cap: usize) -> Vec<usize> {
        let k = keys(cap);
        let t = SlotIndex::new(&k, &OPEN);
        let start = |key: usize| t.probe_order(key).next().map(|(i, _)| i);
        let want = start(0x1000);
        let mut out = Vec::new();
        let mut key = 0x1000usize;
        while out.len() < n {
            if start(key) == want {
                out.push(key);
            }
            key += 8;
        }
        out
    }

    #[test]
    fn reclaim_keeps_later_keys_of_a_chain_findable() {
        let k = keys(64);
        let closed = AtomicBool::new(false);
        let t = SlotIndex::new(&k, &closed);
        let c = colliding(4, 64);
        let idx: Vec<usize> = c.iter().map(|&x| t.get_or_insert(x).unwrap()).collect();
        // One chain: consecutive places.
        for w in idx.windows(2) {
            assert_eq!(w[1], (w[0] + 1) & 63);
        }
        let mut cleared = Vec::new();
        let graces = std::cell::Cell::new(0);
        let n = t.reclaim(
            |key| key == c[1],
            |i, key| cleared.push((i, key)),
            || graces.set(graces.get() + 1),
        );
        assert_eq!(n, 1);
        assert_eq!(cleared, [(idx[1], c[1])]);
        assert_eq!(
            graces.get(),
            2,
            "closed, then opened, each after a grace period"
        );
        assert!(!closed.load(SeqCst), "open again");
        // The keys after the tombstone are still found where they were, not
        // inserted a second time into the freed place.
        assert_eq!(t.find(c[1]), None);
        assert_eq!(t.key(idx[1]), 0);
        assert_eq!(t.find(c[2]), Some(idx[2]));
        assert_eq!(t.get_or_insert(c[3]), Some(idx[3]));
        assert_eq!(t.get_or_insert(c[0]), Some(idx[0]));
        assert_eq!(t.in_use(), 3);
        // A new key of the chain takes the freed place, and is found there.
        let fresh = colliding(5, 64)[4];
        assert_eq!(t.get_or_insert(fresh), Some(idx[1]));
        assert_eq!(t.find(fresh), Some(idx[1]));
        // The gone key comes back: a new place (the chain's end).
        assert_eq!(t.get_or_insert(c[1]), Some((idx[3] + 1) & 63));
        assert_eq!(t.in_use(), 5);
        // Nothing gone: no grace period, no change.
        assert_eq!(t.reclaim(|_| false, |_, _| panic!(), || panic!()), 0);
    }

    #[test]
    fn reloads_never_fill_the_table() {
        // A module of 40 functions loaded at a new address each time, into
        // a table of 64: without reclaiming, the second load would not fit.
        let k = keys(64);
        let closed = AtomicBool::new(false);
        let t = SlotIndex::new(&k, &closed);
        let resident: Vec<usize> = (1..=10).map(|i| 0xffff_ffff_8100_0000 + i * 0x40).collect();
        for &r in &resident {
            t.get_or_insert(r).unwrap();
        }
        for cycle in 0..100usize {
            let base = 0xffff_ffff_c000_0000 + cycle * 0x10_0000;
            let module: Vec<usize> = (0..40).map(|i| base + i * 0x30).collect();
            for &f in &module {
                assert!(t.get_or_insert(f).is_some(), "cycle {cycle}: no place");
            }
            assert_eq!(t.in_use(), 50);
            let range = base..base + 0x10_0000;
            let n = t.reclaim(|key| range.contains(&key), |_, _| {}, || {});
            assert_eq!(n, 40);
            assert_eq!(t.in_use(), 10);
            for &r in &resident {
                assert!(t.find(r).is_some(), "cycle {cycle}: resident key lost");
            }
        }
        // The same keys, the same places, however the tombstones lie.
        let again: Vec<_> = resident.iter().map(|&r| t.get_or_insert(r)).collect();
        let found: Vec<_> = resident.iter().map(|&r| t.find(r)).collect();
        assert_eq!(again, found);
    }

    #[test]
    fn closed_table_refuses_inserts_but_finds() {
        let k = keys(16);
        let closed = AtomicBool::new(false);
        let t = SlotIndex::new(&k, &closed);
        let a = t.get_or_insert(0x4000).unwrap();
        closed.store(true, SeqCst);
        assert_eq!(t.get_or_insert(0x4000), Some(a));
        assert_eq!(t.get_or_insert(0x8000), None);
        assert_eq!(t.find(0x4000), Some(a));
        closed.store(false, SeqCst);
        assert!(t.get_or_insert(0x8000).is_some());
        assert_eq!(t.get_or_insert(FREED), None);
        assert_eq!(t.find(FREED), None);
    }

    #[test]
    fn concurrent_inserts_with_tombstones_agree() {
        // Tombstones all over the table; then threads insert the same keys:
        // each key ends up in one place.
        let k: &'static [AtomicUsize] = std::boxed::Box::leak(keys(1024).into_boxed_slice());
        let closed: &'static AtomicBool =
            std::boxed::Box::leak(std::boxed::Box::new(AtomicBool::new(false)));
        let t = SlotIndex::new(k, closed);
        for i in 1..800usize {
            t.get_or_insert(i * 4096).unwrap();
        }
        assert_eq!(t.reclaim(|key| key % 8192 == 0, |_, _| {}, || {}), 399);
        let hs: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let t = SlotIndex::new(k, closed);
                    (1..600usize)
                        .map(|i| t.get_or_insert(i * 64 + 1).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let rs: Vec<Vec<usize>> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(rs.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(t.in_use(), 400 + 599);
        let mut seen = std::collections::HashSet::new();
        for i in 0..1024 {
            let key = t.key(i);
            assert!(key == 0 || seen.insert(key), "key {key:#x} twice");
        }
    }

    #[test]
    fn reclaims_racing_inserts_give_one_key_one_place() {
        // Three "handlers" insert the same fresh keys at once, round after
        // round, each insert inside a read-side section (a read lock), while
        // a reclaimer frees the keys of two rounds before with a write lock
        // as its grace period: every key must end up in exactly one place,
        // the one every inserter got, however tombstones and inserts meet.
        use std::sync::{Arc, Barrier, RwLock};
        const ROUNDS: usize = 300;
        const PER_ROUND: usize = 8;
        let k: &'static [AtomicUsize] = std::boxed::Box::leak(keys(64).into_boxed_slice());
        let closed: &'static AtomicBool =
            std::boxed::Box::leak(std::boxed::Box::new(AtomicBool::new(false)));
        let rcu = Arc::new(RwLock::new(()));
        let barrier = Arc::new(Barrier::new(4));
        // All in one chain: every reclaim leaves tombstones in the very
        // chain the inserters scan.
        let all: &'static [usize] = colliding(ROUNDS * PER_ROUND, 64).leak();
        let round_keys = |r: usize| all[r * PER_ROUND..(r + 1) * PER_ROUND].to_vec();
        let got: Arc<Vec<Vec<AtomicUsize>>> = Arc::new(
            (0..3)
                .map(|_| {
                    (0..ROUNDS * PER_ROUND)
                        .map(|_| AtomicUsize::new(0))
                        .collect()
                })
                .collect(),
        );
        let inserters: Vec<_> = (0..3)
            .map(|t| {
                let (rcu, barrier, got) = (rcu.clone(), barrier.clone(), got.clone());
                std::thread::spawn(move || {
                    let index = SlotIndex::new(k, closed);
                    for r in 0..ROUNDS {
                        barrier.wait();
                        for (j, key) in round_keys(r).into_iter().enumerate() {
                            let idx = loop {
                                let _reader = rcu.read().unwrap();
                                if let Some(i) = index.get_or_insert(key) {
                                    break i;
                                }
                            };
                            got[t][r * PER_ROUND + j].store(idx + 1, SeqCst);
                        }
                        barrier.wait();
                    }
                })
            })
            .collect();
        let index = SlotIndex::new(k, closed);
        for r in 0..ROUNDS {
            barrier.wait();
            if r >= 2 {
                let old = round_keys(r - 2);
                let n = index.reclaim(
                    |key| old.contains(&key),
                    |_, _| {},
                    || drop(rcu.write().unwrap()),
                );
                assert_eq!(n, PER_ROUND);
            }
            barrier.wait();
            for (j, key) in round_keys(r).into_iter().enumerate() {
                let places = (0..64).filter(|&i| index.key(i) == key).count();
                assert_eq!(places, 1, "round {r}: key {key:#x} in {places} places");
                let at = index.find(key).unwrap() + 1;
                for g in got.iter() {
                    assert_eq!(
                        g[r * PER_ROUND + j].load(SeqCst),
                        at,
                        "round {r}: inserters disagree"
                    );
                }
            }
        }
        for h in inserters {
            h.join().unwrap();
        }
    }
}
