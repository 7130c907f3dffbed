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

use crate::state::State;
use crate::{start, Config};

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

/// Called once by the C shim's early initcall. Does nothing unless
/// `stackwatch.probes=` names something to watch.
#[no_mangle]
pub(crate) extern "C" fn stackwatch_early_init() -> c_int {
    let run = || -> Result {
        let cfg = Config::from_params()?;
        if cfg.probes.trim().is_empty() {
            return Ok(());
        }
        let st = leak(cfg.state()?)?;
        // The state, and the module notifiers it keeps, live for ever.
        start(st, &cfg);
        EARLY.store(core::ptr::from_ref(st).cast_mut(), Release);
        pr_info!(
            "attached from early boot (stackwatch.probes={})\n",
            cfg.probes
        );
        Ok(())
    };
    match run() {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
