// SPDX-License-Identifier: GPL-2.0

//! Built into the kernel image: watching from early boot. With
//! `stackwatch.probes=` on the kernel command line, its names are attached
//! from an early initcall and its globs from a core_initcall_sync (matching
//! a glob walks every ftrace record, a symbol lookup each: the names, a
//! lookup each, come first; both called by the C shim, before the arch,
//! subsys and device initcalls run), so that a boot-time overflow
//! is warned about, with its chain, before it kills the kernel. The state
//! then lives as long as the kernel; the module init adds the debugfs files
//! over it.

use core::ffi::c_int;
use core::sync::atomic::{
    AtomicPtr,
    Ordering::{Acquire, Release},
};
use kernel::prelude::*;

use crate::state::State;
use crate::swcore::command::{is_glob, split_list};
use crate::swcore::settings::Settings;
use crate::{log_watching, start, Specs};

/// The state started by the early initcall, if any.
static EARLY: AtomicPtr<State> = AtomicPtr::new(core::ptr::null_mut());

/// Allocates the state for the lifetime of the kernel.
pub(crate) fn leak(init: impl PinInit<State, Error>) -> Result<&'static State> {
    let boxed = KBox::pin_init(init, GFP_KERNEL)?;
    // SAFETY: unpinning only to leak: the state is never moved out of nor
    // freed, so it stays at this address for the rest of the kernel's life.
    Ok(KBox::leak(unsafe { Pin::into_inner_unchecked(boxed) }))
}

/// The state the early initcall started (None when the command line named
/// no probes).
pub(crate) fn started() -> Option<&'static State> {
    let st = EARLY.load(Acquire);
    // SAFETY: `EARLY` only ever holds a pointer from `leak`, valid forever.
    (!st.is_null()).then(|| unsafe { &*st })
}

/// Called by the C shim's early initcall. Does nothing unless
/// `stackwatch.probes=` names something to watch; attaches its names (its
/// globs wait for [`stackwatch_boot_globs`]).
///
/// # Safety
///
/// Called at most once, before the module init runs (which takes over what
/// this started through [`started`]): a second call would start a second
/// state and publish it over the first one, whose probes keep running.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_early_init() -> c_int {
    match early_start() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Reads the parameters and starts watching. Small frames on this path (see
/// `start`): the state is initialised in `early_state`'s frame and the log
/// line formatted in `log_early`'s, neither of which is on the stack while
/// the probes are attached.
fn early_start() -> Result {
    let cfg = crate::settings::from_params()?;
    if cfg.probes.trim().is_empty() {
        return Ok(());
    }
    let st = early_state(&cfg)?;
    // The state, and the module notifiers it keeps, live for ever.
    start(st, cfg.probes, Specs::Names);
    EARLY.store(core::ptr::from_ref(st).cast_mut(), Release);
    log_early(cfg.probes);
    Ok(())
}

/// Called by the C shim's core_initcall_sync: attaches the globs of
/// `stackwatch.probes=` to the state the early initcall started. Does
/// nothing if it started none.
///
/// # Safety
///
/// Called at most once, after `stackwatch_early_init` and before the module
/// init; nothing else changes the probes meanwhile (no debugfs file and no
/// module yet), so each glob is attached once.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_boot_globs() -> c_int {
    let Some(st) = started() else {
        return 0;
    };
    // Checked by the early initcall, which started nothing if it was bad.
    let Ok(probes) = crate::shim::param_probes().to_str() else {
        return EINVAL.to_errno();
    };
    if !split_list(probes).any(is_glob) {
        return 0;
    }
    attach_globs(st, probes);
    log_globs(probes);
    log_watching(st);
    0
}

/// Attaches the globs of `probes` (the default set has none). Not
/// `attach_all`: this frame holds only the list's iterator and the lock, for
/// under it ftrace matches the glob against every record (`match_records`
/// keeps an 800-byte frame, and reschedules) on a kworker's stack, 4K on the
/// smallest kernels (the riscv64 4K boot overflowed there).
#[inline(never)]
fn attach_globs(st: &State, probes: &str) {
    let mut set = st.probes.lock();
    for spec in split_list(probes).filter(|s| is_glob(s)) {
        set.add_or_pend(st, spec);
    }
}

#[inline(never)]
fn early_state(cfg: &Settings<'_>) -> Result<&'static State> {
    leak(State::new(cfg)?)
}

#[inline(never)]
fn log_early(probes: &str) {
    pr_info!("attached from early boot (stackwatch.probes={})\n", probes);
}

#[inline(never)]
fn log_globs(probes: &str) {
    pr_info!(
        "attached the globs of stackwatch.probes={} at core_initcall_sync\n",
        probes
    );
}
