// SPDX-License-Identifier: GPL-2.0

//! The per-CPU stacks beside the threads' (x86_64: the IRQ stack and the
//! exception stacks; arm64: the IRQ stack), for the `cpu_stacks` file and
//! the handler: where they are, and each one's deepest point with the
//! return addresses just above it (the logic is `swcore::cpu_stacks`' and
//! `swcore::stack_scan`'s). They are per-CPU memory allocated at boot, never
//! freed: read without faulting all the same (a CPU's stack is live while
//! it is read; an unmapped one fails).

use kernel::prelude::*;

use super::{ffi, thread_stacks::is_return_address, SYM_LEN};
use crate::swcore::cpu_stacks::{lowest_written, CpuStack, Kind};
use crate::swcore::stack_scan;

/// Words read at a time: the window searched above a deepest point.
const CHUNK_WORDS: usize = stack_scan::POINT_WINDOW / core::mem::size_of::<usize>();

/// IRQ_STACK_SIZE (x86_64, arm64; 0 elsewhere: no IRQ stack measured).
pub(crate) fn irq_stack_size() -> usize {
    // SAFETY: no preconditions; returns a constant.
    unsafe { ffi::sw_irq_stack_size() as usize }
}

/// The bottom of `cpu`'s IRQ stack, found from an interrupt raised on that
/// CPU (0: offline, or not found). Process context: it waits for a work
/// item on that CPU.
pub(crate) fn find_irq_stack(cpu: usize) -> usize {
    let Ok(cpu) = u32::try_from(cpu) else {
        return 0;
    };
    // SAFETY: no pointer arguments; the C side checks `cpu`.
    unsafe { ffi::sw_irq_stack(cpu) as usize }
}

/// Where `cpu`'s exception stack `kind` is, and its size; none where it is
/// not mapped (#VC without SEV-ES), for no such CPU, or not on x86_64.
pub(crate) fn exception_stack(cpu: usize, kind: Kind) -> Option<(usize, usize)> {
    let cpu = u32::try_from(cpu).ok()?;
    let kind = u32::try_from(kind.index()).ok()?;
    let (mut begin, mut size): (kernel::ffi::c_ulong, kernel::ffi::c_ulong) = (0, 0);
    // SAFETY: `begin` and `size` are valid for writes for the call.
    let r = unsafe { ffi::sw_exception_stack(cpu, kind, &mut begin, &mut size) };
    (r == 0 && begin != 0 && size != 0).then_some((begin, size))
}

/// Reads `buf.len()` words from `addr` on, without faulting; false if they
/// could not be read.
fn read(addr: usize, buf: &mut [usize]) -> bool {
    let Some(len) = buf.len().checked_mul(core::mem::size_of::<usize>()) else {
        return false;
    };
    // SAFETY: `buf` is valid for `len` bytes of writes; the C side copies
    // with copy_from_kernel_nofault(), which fails rather than faults.
    unsafe { ffi::sw_read_kernel(buf.as_mut_ptr().cast(), addr, len) == 0 }
}

/// A buffer for stack words, `CHUNK_WORDS` long.
pub(crate) fn chunk_buffer() -> Result<KVec<usize>> {
    Ok(KVec::from_elem(0usize, CHUNK_WORDS, GFP_KERNEL)?)
}

/// Fills in `s` (whose `size` is set) from the stack at `begin`: its
/// deepest point, the lowest non-zero word, and the return addresses just
/// above it; `used` stays none if a read failed. Process context.
pub(crate) fn scan(s: &mut CpuStack, begin: usize, buf: &mut [usize], scratch: &mut [u8; SYM_LEN]) {
    let word = core::mem::size_of::<usize>();
    let words = s.size.checked_div(word).unwrap_or(0);
    let at = |first: usize| first.checked_mul(word).and_then(|o| begin.checked_add(o));
    let Some(low) = lowest_written(words, buf, |first, chunk| {
        at(first).is_some_and(|a| read(a, chunk))
    }) else {
        return;
    };
    s.used = Some(s.size.saturating_sub(low.saturating_mul(word)));
    // The window above the deepest point, for its return addresses.
    let n = buf.len().min(words.saturating_sub(low));
    let Some(window) = buf.get_mut(..n) else {
        return;
    };
    let Some(addr) = at(low) else {
        return;
    };
    if n == 0 || !read(addr, window) {
        return;
    }
    let window = &*window;
    s.nframes = stack_scan::point_frames(
        window.len(),
        |j| window.get(j).copied().map_or(0, super::strip_pac),
        |w| is_return_address(w, scratch),
        &mut s.frames,
    );
}
