// SPDX-License-Identifier: GPL-2.0

//! The controls as module parameters, `/sys/module/stackwatch/parameters/`
//! (`probes`, `threshold`, `budgets`, `enabled`, `reset`): what integrity
//! lockdown leaves writable, where it refuses debugfs's control files. A
//! write is checked and applied, and a read rendered, by the code the
//! debugfs files use (`control.rs`). The C shim keeps the values set before
//! init and calls in here once the state is published.

use core::ffi::{c_char, c_int, c_ulong, c_void};
use core::fmt;
use kernel::prelude::*;

use crate::control::Ctl;
use crate::shim;
use crate::state::State;

/// While it lives, writes and reads of the control parameters go to the
/// state; dropping it stops them (waiting for a running one) before the
/// state goes.
pub(crate) struct Published(());

impl Published {
    /// Sends the parameters' writes and reads to `st`.
    ///
    /// # Safety
    ///
    /// `st` stays valid, at the same address, until the returned value is
    /// dropped (or for ever, if it is never dropped).
    pub(crate) unsafe fn new(st: &State) -> Published {
        // SAFETY: by this function's contract, `st` outlives the guard,
        // whose drop unpublishes it.
        unsafe { shim::params_publish(core::ptr::from_ref(st).cast()) };
        Published(())
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        // SAFETY: null is always allowed; returns once no write or read
        // runs on the state (the parameter lock).
        unsafe { shim::params_publish(core::ptr::null()) };
    }
}

/// Called by the C shim for a write to a control parameter once the state
/// is published: `len` bytes at `val`. Returns 0 or -errno.
///
/// # Safety
///
/// `state` is the published `State` (valid while the parameter lock, held
/// by the caller, keeps `Published` from dropping); `val` points to `len`
/// readable bytes for the duration of the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_param_store(
    state: *mut c_void,
    ctl: c_int,
    val: *const c_char,
    len: c_ulong,
) -> c_int {
    let (Some(ctl), Ok(len)) = (ctl_of(ctl), usize::try_from(len)) else {
        return EINVAL.to_errno();
    };
    // SAFETY: by this function's contract.
    let st = unsafe { &*state.cast_const().cast::<State>() };
    // SAFETY: by this function's contract, `len` bytes at `val` are
    // readable and not changed during the call.
    let bytes = unsafe { core::slice::from_raw_parts(val.cast::<u8>(), len) };
    match ctl.store(st, bytes) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Called by the C shim for a read of a control parameter once the state
/// is published: what the debugfs file of the same name shows, into the
/// `size` bytes at `buf`. Returns the length, or -EFBIG if it does not fit
/// (the debugfs file shows it whole).
///
/// # Safety
///
/// As `stackwatch_param_store`'s `state`; `buf` points to `size` writable
/// bytes for the duration of the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_param_show(
    state: *mut c_void,
    ctl: c_int,
    buf: *mut c_char,
    size: c_ulong,
) -> c_int {
    let (Some(ctl), Ok(size)) = (ctl_of(ctl), usize::try_from(size)) else {
        return EINVAL.to_errno();
    };
    // SAFETY: by this function's contract.
    let st = unsafe { &*state.cast_const().cast::<State>() };
    // SAFETY: by this function's contract, `size` bytes at `buf` are ours
    // to write during the call.
    let out = unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) };
    let mut w = PageWriter { out, len: 0 };
    match ctl.show(st, &mut w) {
        None => EPERM.to_errno(),
        Some(Ok(())) => c_int::try_from(w.len).unwrap_or(0),
        Some(Err(fmt::Error)) => too_large(ctl),
    }
}

/// The control a `SW_CTL_*` value from the C shim names.
fn ctl_of(n: c_int) -> Option<Ctl> {
    Ctl::from_index(usize::try_from(n).ok()?)
}

#[cold]
#[inline(never)]
fn too_large(ctl: Ctl) -> c_int {
    pr_warn!(
        "{}: more than a page to show: read /sys/kernel/debug/stackwatch/{} (EFBIG)\n",
        ctl.name(),
        ctl.name()
    );
    EFBIG.to_errno()
}

/// Text into a fixed buffer; an error once it is full.
struct PageWriter<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl fmt::Write for PageWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        // Leaves room for a terminating NUL, as sysfs_emit does.
        if end >= self.out.len() {
            return Err(fmt::Error);
        }
        let dst = self.out.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
