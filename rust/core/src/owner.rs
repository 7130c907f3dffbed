// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Which attachment counts a function: its slot's owner. Two globs over one
//! function (`xfs_buf_*` and `xfs_buf_lock*`), a name and a glob, or an
//! attachment and the one replacing it in a `probes` write all run their
//! handlers on every call of it; only the owner's hit counts, so a call
//! counts once. The first attachment to claim a free slot (owner 0) owns
//! it; the others' hits on it are skipped. An owner gives its slots up only
//! once its hits no longer count and its running handlers have returned (a
//! grace period after it is marked as going), and a kprobe takes a glob's
//! slot only after a grace period in which globs already skip it (see the
//! module's `probes.rs` and `state.rs`): a call may go uncounted while
//! ownership moves, but never counts twice.
//!
//! An id's lowest bit says whether the attachment is a glob (fprobe): the
//! module hands a glob's slots to a kprobe on the same function, which
//! counts it whatever globs cover it.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The id of the `n`th attachment (n from 1, never reused): never 0, and
/// its lowest bit set for a glob. 0 if `n` is out of range.
pub const fn id(n: u64, glob: bool) -> u64 {
    match n.checked_shl(1) {
        Some(v) if n >> 63 == 0 => v | glob as u64,
        _ => 0,
    }
}

/// Whether `id` is a glob's.
pub const fn is_glob(id: u64) -> bool {
    id & 1 != 0
}

/// Whether attachment `me`'s hit on the slot whose owner is `owner` counts:
/// it owns the slot, or claims it now because it is free. Lock-free, for
/// the probe handler.
#[inline(always)]
pub fn claim(owner: &AtomicU64, me: u64) -> bool {
    match owner.load(Relaxed) {
        cur if cur == me => true,
        0 => owner.compare_exchange(0, me, Relaxed, Relaxed).is_ok(),
        _ => false,
    }
}

/// Gives the slot up if `me` owns it (its hits no longer count, none of
/// its handlers still running): the next attachment to hit the function
/// claims it. True if it was `me`'s. A load first: this runs over every
/// slot, most of them someone else's.
pub fn release(owner: &AtomicU64, me: u64) -> bool {
    me != 0 && owner.load(Relaxed) == me && owner.compare_exchange(me, 0, Relaxed, Relaxed).is_ok()
}

/// Gives the slot up if a glob owns it (a kprobe now sits on the function
/// and globs skip it, see the module's `Slot::kprobes`). True if it was a
/// glob's.
pub fn release_glob(owner: &AtomicU64) -> bool {
    let cur = owner.load(Relaxed);
    is_glob(cur) && owner.compare_exchange(cur, 0, Relaxed, Relaxed).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_say_glob_and_are_never_zero() {
        assert_eq!(id(1, false), 2);
        assert_eq!(id(1, true), 3);
        assert!(is_glob(id(7, true)) && !is_glob(id(7, false)));
        assert_ne!(id(1, true), id(1, false));
        assert_ne!(id(2, false), id(1, true));
        assert_eq!(id(u64::MAX, true), 0);
        assert_eq!(id(1 << 63, false), 0);
        assert_eq!(id((1 << 63) - 1, false), u64::MAX - 1);
        assert!(!is_glob(0));
    }

    /// Two globs over one function: the first to hit claims it, the
    /// other's hits are skipped until the owner releases it.
    #[test]
    fn first_claims_others_skip_until_released() {
        let (a, b) = (id(1, true), id(2, true));
        let owner = AtomicU64::new(0);
        let mut counted = 0;
        for _ in 0..10 {
            // Every call runs both handlers, in either order.
            counted += u32::from(claim(&owner, b)) + u32::from(claim(&owner, a));
        }
        assert_eq!(counted, 10);
        assert_eq!(owner.load(Relaxed), b);
        assert!(!release(&owner, a), "not a's to give up");
        assert!(release(&owner, b));
        assert!(!release(&owner, b));
        assert!(claim(&owner, a) && !claim(&owner, b));
        assert!(!release(&owner, 0));
    }

    /// A kprobe arriving on a glob's function: the glob's slot goes only
    /// when released for it, never taken in a handler.
    #[test]
    fn a_kprobe_waits_for_a_glob_to_release() {
        let (g, k, k2) = (id(1, true), id(2, false), id(3, false));
        let owner = AtomicU64::new(0);
        assert!(claim(&owner, g));
        assert!(!claim(&owner, k));
        assert!(!release_glob(&AtomicU64::new(k)));
        assert!(release_glob(&owner));
        assert!(claim(&owner, k));
        assert!(
            !release_glob(&owner),
            "a kprobe's slot is not released for one"
        );
        // A second kprobe (`-f` then `+f`) waits for the first to go.
        assert!(!claim(&owner, k2));
        assert!(release(&owner, k) && claim(&owner, k2));
    }
}
