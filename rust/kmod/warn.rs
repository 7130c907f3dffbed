// SPDX-License-Identifier: GPL-2.0

//! The early warning: a few printk lines naming the probed function, the
//! bytes left and the chain. printk is safe from NMI context (it defers
//! console output), so the message also reaches serial, netconsole and
//! pstore on a machine that is about to die.

use core::ffi::{c_int, c_ulong, c_void};
use kernel::{bindings, str::CStrExt};

use crate::swcore::trace::Trace;

/// Prints the threshold warning with the chain in `t`.
pub(crate) fn threshold_crossed(
    ip: usize,
    used: usize,
    thread_size: usize,
    threshold: usize,
    t: &Trace,
) {
    let remaining = thread_size.saturating_sub(used);
    let comm = t.comm.as_ptr().cast::<kernel::ffi::c_char>();
    // SAFETY: `_printk` takes a KERN_SOH-prefixed format and arguments that
    // match it: `%ps` a code address, `%lu` unsigned longs, `%d` an int, `%s`
    // the NUL-terminated comm (the shim writes a NUL at byte 15).
    unsafe {
        bindings::_printk(
            c"\x014stackwatch: %ps: only %lu bytes of stack left (threshold %lu, %lu of %lu used) pid %d comm %s\n"
                .as_char_ptr(),
            ip as *const c_void,
            remaining as c_ulong,
            threshold as c_ulong,
            used as c_ulong,
            thread_size as c_ulong,
            t.pid as c_int,
            comm,
        );
    }
    for (f, s) in t.frames().iter().zip(t.sizes().iter()) {
        // SAFETY: as above: `%u` an unsigned int, `%pS` a code address.
        unsafe {
            bindings::_printk(
                c"\x014stackwatch:   %5u %pS\n".as_char_ptr(),
                *s,
                *f as *const c_void,
            );
        }
    }
}
