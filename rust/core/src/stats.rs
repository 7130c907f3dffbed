// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Per-function (and global) stack-depth statistics, updated lock-free from
//! probe handlers: hits, maximum used bytes, histogram, budget overflows,
//! threshold crossings.

use super::budget_sizes::{Budgets, MAX_BUDGETS};
use super::hist::{Scale, BUCKETS};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// What one recorded sample changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The sample set a new maximum of used bytes.
    pub new_max: bool,
    /// The sample left fewer bytes than the threshold.
    pub below_threshold: bool,
}

/// Statistics of one probed function, or of all of them.
#[repr(C)]
pub struct DepthStats {
    // Hits are the histogram's sum: one atomic add per hit, not two.
    max_used: AtomicUsize,
    below_threshold: AtomicU64,
    hist: [AtomicU64; BUCKETS],
    over_budget: [AtomicU64; MAX_BUDGETS],
}

/// A plain copy of [`DepthStats`], for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// On-task-stack hits.
    pub hits: u64,
    /// Deepest use seen, in bytes.
    pub max_used: usize,
    /// Hits that left fewer bytes than the threshold.
    pub below_threshold: u64,
    /// Histogram of used bytes.
    pub hist: [u64; BUCKETS],
    /// Hits that would have overflowed each budget.
    pub over_budget: [u64; MAX_BUDGETS],
}

impl DepthStats {
    /// Empty statistics.
    pub const fn new() -> Self {
        DepthStats {
            max_used: AtomicUsize::new(0),
            below_threshold: AtomicU64::new(0),
            hist: [const { AtomicU64::new(0) }; BUCKETS],
            over_budget: [const { AtomicU64::new(0) }; MAX_BUDGETS],
        }
    }

    /// Records one on-task sample: `used` bytes, `remaining` left below the
    /// stack pointer, bucketed by `scale`. `threshold` is in remaining bytes
    /// (0: off). Lock-free, never panics; one atomic add in the common case.
    pub fn record(
        &self,
        used: usize,
        remaining: usize,
        scale: &Scale,
        threshold: usize,
        budgets: &Budgets,
    ) -> Outcome {
        if let Some(h) = self.hist.get(scale.bucket(used)) {
            h.fetch_add(1, Relaxed);
        }
        if used > budgets.smallest() {
            self.count_over_budget(used, budgets);
        }
        let below_threshold = remaining < threshold;
        if below_threshold {
            self.below_threshold.fetch_add(1, Relaxed);
        }
        let new_max = self.note_max(used);
        Outcome {
            new_max,
            below_threshold,
        }
    }

    #[cold]
    fn count_over_budget(&self, used: usize, budgets: &Budgets) {
        for (i, counter) in self.over_budget.iter().enumerate() {
            let b = budgets.get(i);
            if b != 0 && used > b {
                counter.fetch_add(1, Relaxed);
            }
        }
    }

    /// Raises the maximum to `used`; true if that is a new maximum. A plain
    /// load first, so the common case (not deeper) writes nothing.
    pub fn note_max(&self, used: usize) -> bool {
        used > self.max_used.load(Relaxed) && self.max_used.fetch_max(used, Relaxed) < used
    }

    /// Deepest use seen so far.
    pub fn max_used(&self) -> usize {
        self.max_used.load(Relaxed)
    }

    /// On-task hits so far.
    pub fn hits(&self) -> u64 {
        self.hist
            .iter()
            .fold(0u64, |a, h| a.saturating_add(h.load(Relaxed)))
    }

    /// Zeroes everything. Samples racing with a reset may land on either side.
    pub fn reset(&self) {
        self.max_used.store(0, Relaxed);
        self.below_threshold.store(0, Relaxed);
        for h in &self.hist {
            h.store(0, Relaxed);
        }
        for c in &self.over_budget {
            c.store(0, Relaxed);
        }
    }

    /// Adds the counts of `s` (a snapshot of other statistics) to these and
    /// raises the maximum to its: how the statistics of a function whose
    /// module went away are folded into the statistics of all such.
    pub fn add_snapshot(&self, s: &Snapshot) {
        self.max_used.fetch_max(s.max_used, Relaxed);
        self.below_threshold.fetch_add(s.below_threshold, Relaxed);
        for (d, v) in self.hist.iter().zip(s.hist.iter()) {
            d.fetch_add(*v, Relaxed);
        }
        for (d, v) in self.over_budget.iter().zip(s.over_budget.iter()) {
            d.fetch_add(*v, Relaxed);
        }
    }

    /// Zeroes the over-budget counts only.
    fn reset_over_budget(&self) {
        for c in &self.over_budget {
            c.store(0, Relaxed);
        }
    }

    /// A copy for reporting.
    pub fn snapshot(&self) -> Snapshot {
        let mut s = Snapshot {
            max_used: self.max_used.load(Relaxed),
            below_threshold: self.below_threshold.load(Relaxed),
            ..Snapshot::default()
        };
        for (d, h) in s.hist.iter_mut().zip(self.hist.iter()) {
            *d = h.load(Relaxed);
        }
        s.hits = s.hist.iter().fold(0u64, |a, h| a.saturating_add(*h));
        for (d, c) in s.over_budget.iter_mut().zip(self.over_budget.iter()) {
            *d = c.load(Relaxed);
        }
        s
    }
}

/// Replaces the budgets with `new` and zeroes the over-budget counts of
/// every one of `stats`, so that a count is never shown under a size it was
/// not taken against: the budgets are first set to none (a hit that starts
/// now counts against none), `wait` waits for every hit that may still be
/// counting against the old sizes (in the kernel an RCU grace period: probe
/// handlers run with preemption off), then the counts are zeroed and the
/// new sizes set. Callers serialize calls (two interleaved could label one's
/// counts with the other's sizes).
pub fn rebudget<'s>(
    budgets: &Budgets,
    new: &[usize; MAX_BUDGETS],
    wait: impl FnOnce(),
    stats: impl Iterator<Item = &'s DepthStats>,
) {
    budgets.set(&[0; MAX_BUDGETS]);
    wait();
    for s in stats {
        s.reset_over_budget();
    }
    budgets.set(new);
}

impl Snapshot {
    /// Adds `other`'s counts to these and keeps the larger maximum, so the
    /// global statistics can be summed from the per-function ones at read
    /// time instead of being updated on shared cache lines at every hit.
    pub fn add(&mut self, other: &Snapshot) {
        self.hits = self.hits.saturating_add(other.hits);
        self.max_used = self.max_used.max(other.max_used);
        self.below_threshold = self.below_threshold.saturating_add(other.below_threshold);
        for (a, b) in self.hist.iter_mut().zip(other.hist.iter()) {
            *a = a.saturating_add(*b);
        }
        for (a, b) in self.over_budget.iter_mut().zip(other.over_budget.iter()) {
            *a = a.saturating_add(*b);
        }
    }
}

impl Default for DepthStats {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TS16K: Scale = Scale::new(16384);

    #[test]
    fn records_max_histogram_budgets_threshold() {
        let s = DepthStats::new();
        let b = Budgets::with_sizes(&[4096, 8192, 0, 0]);
        let o = s.record(5000, 16384 - 5000, &TS16K, 12000, &b);
        assert_eq!(
            o,
            Outcome {
                new_max: true,
                below_threshold: true
            }
        );
        let o = s.record(3000, 16384 - 3000, &TS16K, 1024, &b);
        assert_eq!(
            o,
            Outcome {
                new_max: false,
                below_threshold: false
            }
        );
        let o = s.record(9000, 16384 - 9000, &TS16K, 0, &b);
        assert!(o.new_max && !o.below_threshold);
        let snap = s.snapshot();
        assert_eq!(snap.hits, 3);
        assert_eq!(snap.max_used, 9000);
        assert_eq!(snap.over_budget[0], 2); // 5000 and 9000 > 4096
        assert_eq!(snap.over_budget[1], 1); // 9000 > 8192
        assert_eq!(snap.below_threshold, 1);
        assert_eq!(snap.hist.iter().sum::<u64>(), 3);
        assert_eq!(snap.hist[9000 / 512], 1);
        let folded = DepthStats::new();
        folded.add_snapshot(&snap);
        folded.add_snapshot(&snap);
        let f = folded.snapshot();
        assert_eq!((f.hits, f.max_used, f.below_threshold), (6, 9000, 2));
        assert_eq!((f.over_budget[0], f.over_budget[1]), (4, 2));
        assert_eq!(f.hist[9000 / 512], 2);
        let mut sum = Snapshot::default();
        sum.add(&snap);
        sum.add(&snap);
        assert_eq!(
            (
                sum.hits,
                sum.max_used,
                sum.over_budget[0],
                sum.hist[9000 / 512]
            ),
            (6, 9000, 4, 2)
        );
        assert!(!s.note_max(100) && s.note_max(9001) && !s.note_max(9001));
        s.reset();
        assert_eq!(s.snapshot(), Snapshot::default());
    }

    #[test]
    fn new_budgets_start_from_zero() {
        let s = DepthStats::new();
        let b = Budgets::with_sizes(&[4096, 8192, 0, 0]);
        for used in [5000, 6000, 9000] {
            s.record(used, 16384 - used, &TS16K, 0, &b);
        }
        assert_eq!(s.snapshot().over_budget, [3, 1, 0, 0]);
        let mut waited = false;
        rebudget(
            &b,
            &[8192, 16384, 0, 0],
            || {
                // Nothing counts while the handlers are waited for.
                assert_eq!(b.smallest(), usize::MAX);
                waited = true;
            },
            [&s].into_iter(),
        );
        assert!(waited);
        // 8192 is now budget 0: none of the counts above was taken against it.
        assert_eq!(s.snapshot().over_budget, [0; MAX_BUDGETS]);
        s.record(9000, 16384 - 9000, &TS16K, 0, &b);
        s.record(5000, 16384 - 5000, &TS16K, 0, &b);
        assert_eq!(s.snapshot().over_budget, [1, 0, 0, 0]);
        // The rest of the statistics stays.
        assert_eq!((s.hits(), s.max_used()), (5, 9000));
    }

    #[test]
    fn concurrent_max_is_exact() {
        let s = std::sync::Arc::new(DepthStats::new());
        let b = std::sync::Arc::new(Budgets::with_sizes(&[4096, 8192, 0, 0]));
        let handles: std::vec::Vec<_> = (0..4)
            .map(|t| {
                let (s, b) = (s.clone(), b.clone());
                std::thread::spawn(move || {
                    for i in 0..10_000usize {
                        {
                            let u = (i * 7 + t) % 16000;
                            s.record(u, 16384 - u, &TS16K, 0, &b);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(s.hits(), 40_000);
        assert_eq!(s.max_used(), 15_999);
    }
}
