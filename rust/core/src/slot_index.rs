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
    keys: &'a [AtomicUsize],
}

impl<'a> SlotIndex<'a> {
    /// A table over `keys` (all zero when empty; 0 is never a valid key).
    pub fn new(keys: &'a [AtomicUsize]) -> Self {
        SlotIndex { keys }
    }

    fn start(&self, key: usize) -> usize {
        // Fibonacci hashing of the address; kernel text addresses share high bits.
        let h = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        self.wrap(h as usize)
    }

    /// `i` reduced to a slot index: a mask when the capacity is a power of
    /// two (the kernel always allocates one), a division otherwise.
    fn wrap(&self, i: usize) -> usize {
        let n = self.keys.len().max(1);
        if n.is_power_of_two() {
            i & n.wrapping_sub(1)
        } else {
            i.checked_rem(n).unwrap_or(0)
        }
    }

    /// The slots `key` may be in, in the order they are tried, with their
    /// indexes (none for key 0).
    fn probe_order(&self, key: usize) -> impl Iterator<Item = (usize, &AtomicUsize)> + '_ {
        let tries = if key == 0 {
            0
        } else {
            MAX_PROBES.min(self.keys.len())
        };
        let start = self.start(key);
        (0..tries).map_while(move |i| {
            let idx = self.wrap(start.wrapping_add(i));
            self.keys.get(idx).map(|slot| (idx, slot))
        })
    }

    /// Index of `key`, inserting it if absent. `None` if the table is full
    /// around `key` or `key` is 0.
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

    /// Number of slots.
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
