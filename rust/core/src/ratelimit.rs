//! A lock-free "at most one event per interval" limiter for the threshold
//! warning, driven by a caller-supplied clock (jiffies in the kernel).

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Allows one event per `interval` ticks across all CPUs.
pub struct RateLimit {
    next: AtomicU64,
}

impl RateLimit {
    /// A limiter that allows the first event.
    pub const fn new() -> Self {
        RateLimit {
            next: AtomicU64::new(0),
        }
    }

    /// True if an event at `now` may go out; then the next is allowed at
    /// `now + interval`. Exactly one of several racing callers wins.
    pub fn allow(&self, now: u64, interval: u64) -> bool {
        let next = self.next.load(Relaxed);
        if now < next {
            return false;
        }
        self.next
            .compare_exchange(next, now.saturating_add(interval), Relaxed, Relaxed)
            .is_ok()
    }

    /// Forgets the last event.
    pub fn reset(&self) {
        self.next.store(0, Relaxed);
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
        assert!(r.allow(100, 10));
        assert!(!r.allow(105, 10));
        assert!(r.allow(110, 10));
        r.reset();
        assert!(r.allow(111, 10));
    }
}
