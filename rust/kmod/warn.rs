// SPDX-License-Identifier: GPL-2.0

//! The early warning: a few printk lines naming the probed function, the
//! bytes left and the chain. Deferred printk: the lines go into the log
//! buffer at once, and the consoles are driven later from irq_work, not on
//! the nearly exhausted stack that crossed the threshold. The log keeps its
//! order, so if the kernel dies first, the panic's console flush prints the
//! warning before its own messages (serial, netconsole and pstore too).

use core::ffi::{c_char, c_int, c_ulong};
use kernel::str::CStrExt;

use crate::shim::{self, SYM_LEN};

use crate::swcore::trace::Trace;

/// Prints the threshold warning with the chain in `t`, looking symbols up
/// into `sym` (per-CPU scratch) rather than on the stack.
pub(crate) fn threshold_crossed(
    ip: usize,
    used: usize,
    thread_size: usize,
    threshold: usize,
    t: &Trace,
    sym: &mut [u8; SYM_LEN],
) {
    let remaining = thread_size.saturating_sub(used);
    let comm = t.comm.as_ptr().cast::<c_char>();
    lookup(sym, ip, true);
    // SAFETY: `printk_deferred` takes a KERN_SOH-prefixed format and arguments
    // that match it: `%s` NUL-terminated strings (`lookup` writes one
    // into `sym`; the shim writes a NUL at byte 15 of the comm), `%lu`
    // unsigned longs, `%d` an int.
    unsafe {
        shim::printk_deferred(
            c"\x014stackwatch: %s: only %lu bytes of stack left (threshold %lu, %lu of %lu used) pid %d comm %s\n"
                .as_char_ptr(),
            sym.as_ptr().cast::<c_char>(),
            remaining as c_ulong,
            threshold as c_ulong,
            used as c_ulong,
            thread_size as c_ulong,
            t.pid as c_int,
            comm,
        );
    }
    for (f, s) in t.frames().iter().zip(t.sizes().iter()) {
        lookup(sym, *f, false);
        // SAFETY: as above: `%u` an unsigned int, `%s` the symbol in `sym`.
        unsafe {
            shim::printk_deferred(
                c"\x014stackwatch:   %5u %s\n".as_char_ptr(),
                *s,
                sym.as_ptr().cast::<c_char>(),
            );
        }
    }
}

/// The symbol of `addr` into `sym` as a C string, "?" if there is none.
fn lookup(sym: &mut [u8; SYM_LEN], addr: usize, name_only: bool) {
    if shim::symbol(sym, addr, name_only) == 0 {
        sym[..2].copy_from_slice(b"?\0");
    }
}
