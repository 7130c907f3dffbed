// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Probes that follow modules: what becomes of a name or glob that cannot be
//! attached, and which specs a module that comes up concerns. The module's
//! notifier (`rust/kmod/probes.rs`) feeds this the errnos it got and the
//! names of the new module's functions; nothing here needs the kernel.
//!
//! A spec that is not attached because its functions are not in the kernel
//! (yet) is *pending*: when a module with such functions comes up it is
//! attached there, and when that module goes away it is pending again. A
//! spec the kernel refuses for another reason is *skipped* for good.

use super::errno::{EBUSY, ENOENT, ENOMEM};
use super::glob::glob_match;

/// What becomes of a spec that did not attach.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Wait for a module that has it.
    Pending,
    /// Give up on it; list it with its errno.
    Skipped,
}

/// A default-set or `probes=` name or glob that did not attach at load time
/// (`errno` either sign): not found (ENOENT) may mean its module is not
/// loaded yet, so it waits; anything else (EINVAL: blacklisted or not a
/// function entry, EEXIST: named twice, EOPNOTSUPP, ENOMEM...) is skipped.
/// (A `+name` written at run time fails with its errno instead: a typo
/// should be an error, not a wait.)
pub fn at_load(errno: i32) -> Disposition {
    if errno.unsigned_abs() == ENOENT.unsigned_abs() {
        Disposition::Pending
    } else {
        Disposition::Skipped
    }
}

/// A pending spec that the module coming up has functions for did not attach
/// there: not found after all (ENOENT: no traceable function matches) or a
/// passing failure (ENOMEM, EBUSY) leave it pending for the next module; a
/// refusal (EINVAL: the kprobe blacklist, say) skips it for good.
pub fn on_module(errno: i32) -> Disposition {
    match errno.unsigned_abs() {
        e if e == ENOENT.unsigned_abs()
            || e == ENOMEM.unsigned_abs()
            || e == EBUSY.unsigned_abs() =>
        {
            Disposition::Pending
        }
        _ => Disposition::Skipped,
    }
}

/// True if a module's function named `function` concerns `spec`: it is the
/// very symbol (`glob` false), or the glob matches it.
pub fn concerns(spec: &str, glob: bool, function: &str) -> bool {
    if glob {
        glob_match(spec, function)
    } else {
        spec == function
    }
}

/// For one function of a module that comes up: marks in `wanted` every
/// candidate spec it concerns. `specs` gives, in the order of `wanted`, each
/// spec with whether it is a glob, or `None` for one that is not a candidate
/// (an attached symbol: it cannot be in a module that is only coming now).
/// Returns true once every candidate is marked, so the caller can stop
/// walking the module's symbols.
pub fn mark<'s>(
    specs: impl Iterator<Item = Option<(&'s str, bool)>>,
    function: &str,
    wanted: &mut [bool],
) -> bool {
    let mut all = true;
    for (w, s) in wanted.iter_mut().zip(specs) {
        if let Some((spec, glob)) = s {
            if !*w && concerns(spec, glob, function) {
                *w = true;
            }
            all &= *w;
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_errors() {
        assert_eq!(at_load(-2), Disposition::Pending);
        assert_eq!(at_load(2), Disposition::Pending);
        assert_eq!(at_load(-22), Disposition::Skipped);
        assert_eq!(at_load(-17), Disposition::Skipped);
        assert_eq!(at_load(-95), Disposition::Skipped);
        assert_eq!(at_load(-12), Disposition::Skipped);
        assert_eq!(at_load(i32::MIN), Disposition::Skipped);
    }

    #[test]
    fn module_errors() {
        assert_eq!(on_module(-2), Disposition::Pending);
        assert_eq!(on_module(-12), Disposition::Pending);
        assert_eq!(on_module(-16), Disposition::Pending);
        assert_eq!(on_module(-22), Disposition::Skipped);
        assert_eq!(on_module(-95), Disposition::Skipped);
        assert_eq!(on_module(i32::MIN), Disposition::Skipped);
    }

    #[test]
    fn concerns_names_and_globs() {
        assert!(concerns("xfs_buf_lock", false, "xfs_buf_lock"));
        assert!(!concerns("xfs_buf_lock", false, "xfs_buf_lock.cold"));
        assert!(!concerns("xfs_buf_*", false, "xfs_buf_lock"));
        assert!(concerns("xfs_buf_*", true, "xfs_buf_lock"));
        assert!(!concerns("xfs_buf_*", true, "xfs_trans_commit"));
    }

    #[test]
    fn marks_candidates_until_all() {
        let specs = [
            Some(("xfs_buf_lock", false)),
            None,
            Some(("xfs_trans_*", true)),
            Some(("nfsd_dispatch", false)),
        ];
        let mut wanted = [false; 4];
        let functions = ["xfs_trans_commit", "xfs_buf_lock", "xfs_trans_alloc"];
        let mut done = false;
        for f in functions {
            done = mark(specs.iter().copied(), f, &mut wanted);
        }
        assert_eq!(wanted, [true, false, true, false]);
        assert!(!done);
        assert!(mark(specs.iter().copied(), "nfsd_dispatch", &mut wanted));
        assert_eq!(wanted, [true, false, true, true]);
        // No candidates at all: done at once.
        let mut none = [false; 2];
        assert!(mark([None, None].into_iter(), "x", &mut none));
        // Fewer flags than specs: only those compared, no panic.
        let mut short = [false; 1];
        assert!(mark(specs.iter().copied(), "xfs_buf_lock", &mut short));
    }
}
