// SPDX-License-Identifier: GPL-2.0

//! Built into the kernel image: watching from early boot. With
//! `stackwatch.probes=` on the kernel command line, the probes are attached
//! from an early initcall (called by the C shim, before the arch, subsys and
//! device initcalls run), so that a boot-time overflow is warned about, with
//! its chain, before it kills the kernel. The state then lives as long as the
//! kernel; the module init adds the debugfs files over it.

use core::ffi::c_int;
use core::sync::atomic::{
    AtomicPtr,
    Ordering::{Acquire, Release},
};
use kernel::prelude::*;

use crate::start;
use crate::state::State;
use crate::swcore::settings::Settings;

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
/// `stackwatch.probes=` names something to watch.
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
    start(st, cfg.probes);
    EARLY.store(core::ptr::from_ref(st).cast_mut(), Release);
    log_early(cfg.probes);
    Ok(())
}

#[inline(never)]
fn early_state(cfg: &Settings<'_>) -> Result<&'static State> {
    leak(State::new(cfg)?)
}

#[inline(never)]
fn log_early(probes: &str) {
    pr_info!("attached from early boot (stackwatch.probes={})\n", probes);
}
