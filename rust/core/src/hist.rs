//! Depth histogram: used stack bytes in `BUCKETS` equal-width buckets of the
//! stack size.

/// Number of histogram buckets (512 bytes each on a 16K stack, 128 on 4K).
pub const BUCKETS: usize = 32;

/// Bucket index for `used` bytes of a `thread_size` stack; clamps to the last.
/// A shift when the width is a power of two (THREAD_SIZE always is): this
/// runs at every probe hit, and a division is the slowest thing it would do.
pub fn bucket(used: usize, thread_size: usize) -> usize {
    let width = bucket_width(thread_size);
    let i = if width.is_power_of_two() {
        used >> width.trailing_zeros()
    } else {
        used / width
    };
    i.min(BUCKETS - 1)
}

/// Width in bytes of one bucket (at least 1).
pub fn bucket_width(thread_size: usize) -> usize {
    (thread_size / BUCKETS).max(1)
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
