// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Depth histogram: used stack bytes in `BUCKETS` equal-width buckets of the
//! stack size.

/// Number of histogram buckets (512 bytes each on a 16K stack, 128 on 4K).
pub const BUCKETS: usize = 32;

/// How used bytes map to a bucket for one stack size, computed once at load
/// so that the probe handler does a shift (THREAD_SIZE is a power of two),
/// never a division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    width: usize,
    /// `log2(width)` when the width is a power of two.
    shift: Option<u32>,
}

impl Scale {
    /// The scale of a `thread_size` stack.
    pub const fn new(thread_size: usize) -> Self {
        let width = bucket_width(thread_size);
        Scale {
            width,
            shift: if width.is_power_of_two() {
                Some(width.trailing_zeros())
            } else {
                None
            },
        }
    }

    /// Bucket index for `used` bytes; clamps to the last.
    pub fn bucket(&self, used: usize) -> usize {
        let i = match self.shift {
            Some(s) => used >> s,
            // `width` is at least 1; checked so that no panic path exists.
            None => used.checked_div(self.width).unwrap_or(BUCKETS),
        };
        if i < BUCKETS {
            i
        } else {
            BUCKETS - 1
        }
    }
}

/// Bucket index for `used` bytes of a `thread_size` stack; clamps to the last.
pub fn bucket(used: usize, thread_size: usize) -> usize {
    Scale::new(thread_size).bucket(used)
}

/// Width in bytes of one bucket (at least 1).
pub const fn bucket_width(thread_size: usize) -> usize {
    let w = thread_size / BUCKETS;
    if w == 0 {
        1
    } else {
        w
    }
}

/// Byte range `[lo, hi)` that bucket `i` covers (the last one is open-ended).
pub fn bucket_range(i: usize, thread_size: usize) -> (usize, usize) {
    let w = bucket_width(thread_size);
    (i.saturating_mul(w), i.saturating_add(1).saturating_mul(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_the_stack() {
        assert_eq!(bucket(0, 16384), 0);
        assert_eq!(bucket(511, 16384), 0);
        assert_eq!(bucket(512, 16384), 1);
        assert_eq!(bucket(16383, 16384), 31);
        assert_eq!(bucket(99999, 16384), 31);
        assert_eq!(bucket_range(1, 4096), (128, 256));
        assert_eq!(bucket(5, 0), 5);
        // Non-power-of-two widths still divide.
        assert_eq!(bucket(300, 32 * 100), 3);
        for used in [0usize, 1, 127, 128, 4095, 4096, 8191, 16383, 16384, 70000] {
            for ts in [4096usize, 8192, 16384, 65536] {
                assert_eq!(bucket(used, ts), (used / (ts / BUCKETS)).min(BUCKETS - 1));
            }
        }
    }
}
