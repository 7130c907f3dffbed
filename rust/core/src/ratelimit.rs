// SPDX-License-Identifier: GPL-2.0 OR MIT
//! A lock-free "at most one event per interval" limiter for the threshold
//! warning, driven by a caller-supplied clock (jiffies in the kernel), that
//! still lets a markedly deeper warning through: a burst of shallow warnings
//! must not hide the one that matters, the last before an overflow.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// Allows one event per `interval` ticks across all CPUs, and any event at
/// least `step` bytes deeper than every event allowed so far.
pub struct RateLimit {
    next: AtomicU64,
    deepest: AtomicUsize,
}

impl RateLimit {
    /// A limiter that allows the first event.
    pub const fn new() -> Self {
        RateLimit {
            next: AtomicU64::new(0),
            deepest: AtomicUsize::new(0),
        }
    }

    /// True if an event at `now`, `used` bytes deep, may go out: the interval
    /// since the last one has passed (then the next is allowed at
    /// `now + interval`; exactly one of several racing callers wins), or it
    /// is at least `step` bytes deeper than any allowed before.
    pub fn allow(&self, now: u64, interval: u64, used: usize, step: usize) -> bool {
        if used >= self.deepest.load(Relaxed).saturating_add(step) {
            // Counts as the interval's event: shallow ones wait for the next.
            self.next.fetch_max(now.saturating_add(interval), Relaxed);
        } else if !self.interval_passed(now, interval) {
            return false;
        }
        self.deepest.fetch_max(used, Relaxed);
        true
    }

    fn interval_passed(&self, now: u64, interval: u64) -> bool {
        let next = self.next.load(Relaxed);
        if now < next {
            return false;
        }
        self.next
            .compare_exchange(next, now.saturating_add(interval), Relaxed, Relaxed)
            .is_ok()
    }

    /// Forgets the last event and the deepest.
    pub fn reset(&self) {
        self.next.store(0, Relaxed);
        self.deepest.store(0, Relaxed);
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_interval() {
        let r = RateLimit::new();
        assert!(r.allow(100, 10, 3000, 256));
        assert!(!r.allow(105, 10, 3000, 256));
        assert!(r.allow(110, 10, 3000, 256));
        r.reset();
        assert!(r.allow(111, 10, 3000, 256));
    }

    #[test]
    fn deeper_by_a_step_passes_inside_the_interval() {
        let r = RateLimit::new();
        assert!(r.allow(100, 10, 2500, 256));
        // Shallower or not deep enough: limited.
        assert!(!r.allow(101, 10, 2000, 256));
        assert!(!r.allow(102, 10, 2755, 256));
        // A step deeper: through, and it raises the bar.
        assert!(r.allow(103, 10, 2756, 256));
        assert!(!r.allow(104, 10, 2800, 256));
        assert!(r.allow(105, 10, 3100, 256));
        // The interval still limits the shallow ones...
        assert!(!r.allow(109, 10, 1000, 256));
        // ...until it has passed (it runs from the last allowed event).
        assert!(!r.allow(114, 10, 1000, 256));
        assert!(r.allow(115, 10, 1000, 256));
        // reset forgets the depth too.
        r.reset();
        assert!(r.allow(110, 10, 300, 256));
        assert!(r.allow(111, 10, 556, 256));
    }

    #[test]
    fn no_overflow_at_the_extremes() {
        let r = RateLimit::new();
        assert!(r.allow(u64::MAX, u64::MAX, usize::MAX, usize::MAX));
        assert!(!r.allow(u64::MAX - 1, 1, 0, 1));
        r.reset();
        assert!(r.allow(0, u64::MAX, 0, 0));
    }
}
