//! A fixed-capacity, lock-free map from a probed function's address to its
//! slot index, filled on first hit (probe handlers may not allocate or lock).
//! Keys are never removed; a reset zeroes the slots' contents instead.

use core::sync::atomic::{
    AtomicUsize,
    Ordering::{AcqRel, Acquire},
};

/// How many slots a lookup probes before giving up.
const MAX_PROBES: usize = 64;

/// The key half of the table; the caller keeps a parallel array of slots.
pub struct SlotIndex<'a> {
    /// The keys in use: the largest power-of-two prefix of those given, so
    /// that a probe position is a mask, never a division (the kernel always
    /// allocates a power of two).
    keys: &'a [AtomicUsize],
}

impl<'a> SlotIndex<'a> {
    /// A table over `keys` (all zero when empty; 0 is never a valid key).
    /// Only its largest power-of-two prefix is used.
    #[inline(always)]
    pub fn new(keys: &'a [AtomicUsize]) -> Self {
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
        }
    }

    /// The mask that reduces a position to an index (the length is 0 or a
    /// power of two).
    #[inline(always)]
    fn mask(&self) -> usize {
        self.keys.len().wrapping_sub(1)
    }

    /// The slots `key` may be in, in the order they are tried, with their
    /// indexes (none for key 0).
    #[inline(always)]
    fn probe_order(&self, key: usize) -> impl Iterator<Item = (usize, &AtomicUsize)> + '_ {
        let tries = if key == 0 {
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
    /// around `key` or `key` is 0.
    #[inline(always)]
    pub fn get_or_insert(&self, key: usize) -> Option<usize> {
        for (idx, slot) in self.probe_order(key) {
            let cur = slot.load(Acquire);
            if cur == key {
                return Some(idx);
            }
            if cur == 0 {
                match slot.compare_exchange(0, key, AcqRel, Acquire) {
                    Ok(_) => return Some(idx),
                    Err(k) if k == key => return Some(idx),
                    Err(_) => continue,
                }
            }
        }
        None
    }

    /// Index of `key` if present.
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

    /// Key stored at `idx` (0: empty).
    pub fn key(&self, idx: usize) -> usize {
        self.keys.get(idx).map_or(0, |k| k.load(Acquire))
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

    fn keys(n: usize) -> Vec<AtomicUsize> {
        (0..n).map(|_| AtomicUsize::new(0)).collect()
    }

    #[test]
    fn insert_find_full() {
        let k = keys(8);
        let t = SlotIndex::new(&k);
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
        assert_eq!(SlotIndex::new(&empty).get_or_insert(5), None);
    }

    #[test]
    fn uses_the_power_of_two_prefix() {
        let k = keys(12);
        let t = SlotIndex::new(&k);
        assert_eq!(t.capacity(), 8);
        for i in 1..=8 {
            assert!(t.get_or_insert(i * 4096).unwrap() < 8);
        }
        assert_eq!(t.get_or_insert(999 * 4096), None, "the prefix is full");
        assert!(k[8..].iter().all(|k| k.load(Acquire) == 0));
        assert_eq!(SlotIndex::new(&keys(1)).capacity(), 1);
    }

    #[test]
    fn concurrent_inserts_agree() {
        let k: &'static [AtomicUsize] = std::boxed::Box::leak(keys(1024).into_boxed_slice());
        let hs: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || {
                    let t = SlotIndex::new(k);
                    (1..500usize)
                        .map(|i| t.get_or_insert(i * 64).unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let rs: Vec<Vec<usize>> = hs.into_iter().map(|h| h.join().unwrap()).collect();
        assert!(rs.windows(2).all(|w| w[0] == w[1]));
        let t = SlotIndex::new(k);
        assert_eq!((0..1024).filter(|&i| t.key(i) != 0).count(), 499);
    }
}
