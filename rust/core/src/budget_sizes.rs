// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The sizes of the what-if budgets: smaller stack sizes against which every
//! hit is checked ("this path would have blown an 8K stack N times"); the
//! counts per budget are in the statistics, their text the format crate's
//! `budgets.rs`.

use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Most budgets that can be configured at once.
pub const MAX_BUDGETS: usize = 4;

/// The what-if sizes of `default` (the module's default, and what
/// `budgets=default` and a write of `default` set): the smaller kernel
/// stacks of the past, those below the running kernel's stack size.
pub const DEFAULT_BUDGETS: [usize; 2] = [4096, 8192];

/// The configured budget sizes in bytes; 0 marks an unused entry.
pub struct Budgets {
    sizes: [AtomicUsize; MAX_BUDGETS],
    /// The smallest configured size (`usize::MAX` if none): a hit at or
    /// below it overflows no budget, so the handler checks one value, not four.
    smallest: AtomicUsize,
}

impl Budgets {
    /// Budgets of these sizes (0: unused).
    pub fn with_sizes(sizes: &[usize; MAX_BUDGETS]) -> Self {
        let b = Budgets {
            sizes: [const { AtomicUsize::new(0) }; MAX_BUDGETS],
            smallest: AtomicUsize::new(usize::MAX),
        };
        b.set(sizes);
        b
    }

    /// The smallest configured budget, `usize::MAX` when there is none.
    pub fn smallest(&self) -> usize {
        self.smallest.load(Relaxed)
    }

    /// Size of budget `i` (0: unused).
    pub fn get(&self, i: usize) -> usize {
        self.sizes.get(i).map_or(0, |s| s.load(Relaxed))
    }

    /// Replaces all budgets; unused entries are 0.
    pub fn set(&self, new: &[usize; MAX_BUDGETS]) {
        // Lowered first and raised last, so that a racing hit may check the
        // sizes needlessly but never skips one that is configured.
        self.smallest.store(0, Relaxed);
        for (s, v) in self.sizes.iter().zip(new.iter()) {
            s.store(*v, Relaxed);
        }
        let min = new.iter().copied().filter(|v| *v != 0).min();
        self.smallest.store(min.unwrap_or(usize::MAX), Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_sizes_and_set() {
        let b = Budgets::with_sizes(&[4096, 8192, 0, 0]);
        assert_eq!((b.get(0), b.get(1), b.get(2), b.get(9)), (4096, 8192, 0, 0));
        assert_eq!(b.smallest(), 4096);
        b.set(&[0, 8192, 2048, 0]);
        assert_eq!((b.get(0), b.get(1), b.get(2)), (0, 8192, 2048));
        assert_eq!(b.smallest(), 2048);
        b.set(&[0; MAX_BUDGETS]);
        assert_eq!(b.smallest(), usize::MAX);
    }
}
