// SPDX-License-Identifier: GPL-2.0 OR MIT
//! When a hit is due a threshold warning: a function's first crossing of
//! the threshold, and each of its new maxima below it, once per threshold
//! generation (bumped when the threshold is changed or on reset). Whether
//! the warning then goes out is the rate limit's call (`ratelimit.rs`).

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

/// Decides, for a hit that left fewer bytes than the threshold
/// (`below_threshold`) and may have set a new maximum of its function
/// (`new_max`), whether it is due a warning. `warned_gen` is the generation
/// the function last warned in, `gen` the current one. Every crossing marks
/// the function as warned in `gen`, a new maximum too: a first crossing is
/// always a new maximum, and its next, shallower crossing must not count as
/// a first one again.
pub fn due(warned_gen: &AtomicU32, gen: u32, below_threshold: bool, new_max: bool) -> bool {
    if !below_threshold {
        return false;
    }
    let first = warned_gen.swap(gen, Relaxed) != gen;
    first || new_max
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Depths of one function's hits against a threshold, with `due` and a
    /// maximum as the handler keeps them; returns the hits that warned.
    fn warnings(warned_gen: &AtomicU32, gen: u32, max: &mut usize, used: &[usize]) -> usize {
        let threshold_used = 12000;
        used.iter()
            .filter(|&&u| {
                let new_max = u > *max;
                *max = (*max).max(u);
                due(warned_gen, gen, u > threshold_used, new_max)
            })
            .count()
    }

    #[test]
    fn one_warning_per_crossing() {
        let g = AtomicU32::new(0);
        let mut max = 0;
        // The first crossing is a new maximum: one warning, not two.
        assert_eq!(warnings(&g, 1, &mut max, &[13000, 12500, 12600]), 1);
        // A new maximum below the threshold warns again, once.
        assert_eq!(warnings(&g, 1, &mut max, &[14000, 13000]), 1);
        // Above the threshold: never.
        assert_eq!(warnings(&g, 1, &mut max, &[100, 11999]), 0);
        // A new generation (threshold changed, reset): the next crossing
        // warns, once.
        assert_eq!(warnings(&g, 2, &mut max, &[12001, 12002]), 1);
    }
}
