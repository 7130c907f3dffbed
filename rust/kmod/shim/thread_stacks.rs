// SPDX-License-Identifier: GPL-2.0

//! Other threads' stacks, for the `tasks` file: each live thread's deepest
//! point and the return addresses just above it (the logic is
//! `swcore::stack_scan`'s). RCU keeps the threads' `task_struct`s, not
//! their stacks, which may be freed, reused or unmapped while they are read
//! (see `shim.c`): words are copied out without faulting, a chunk at a time
//! into a buffer of the caller's, and kept only if the thread still has
//! that stack and has not begun to exit after each copy.

use core::ffi::c_void;
use kernel::ffi::{c_char, c_int, c_ulong};
use kernel::prelude::*;

use super::{ffi, strip_pac, symbol, SYM_LEN};
use crate::swcore::stack_scan::{self, Deepest, Point, TaskRow, ThreadStack};

/// Words copied out of a stack at a time: the window above a deepest point
/// that is searched for return addresses (1.5 KiB, allocated per read of
/// `tasks`, not on the stack).
const CHUNK_WORDS: usize = stack_scan::POINT_WINDOW / core::mem::size_of::<usize>();

/// A thread's stack as `sw_for_each_thread_stack` passes it to a callback;
/// made and dropped within that call, while `task` is valid (RCU).
struct KernelStack {
    task: *const ffi::task_struct,
    base: usize,
    words: usize,
}

impl ThreadStack for KernelStack {
    fn words(&self) -> usize {
        self.words
    }

    fn read(&mut self, first: usize, buf: &mut [usize]) -> bool {
        let word = core::mem::size_of::<usize>();
        let (Some(src), Some(len)) = (
            first
                .checked_mul(word)
                .and_then(|off| self.base.checked_add(off)),
            buf.len().checked_mul(word),
        ) else {
            return false;
        };
        // SAFETY: `buf` is valid for `len` bytes of writes. The C side copies
        // with copy_from_kernel_nofault(), which fails rather than faults on
        // an address that is no longer mapped (the stack freed meanwhile).
        unsafe { ffi::sw_read_kernel(buf.as_mut_ptr().cast(), src, len) == 0 }
    }

    fn unchanged(&mut self) -> bool {
        // SAFETY: `task` is the thread that `sw_for_each_thread_stack` passed
        // to the callback that made this value, which has not returned yet
        // (the value does not outlive it), so the task_struct is valid (RCU);
        // the C side only loads its fields.
        unsafe { ffi::sw_thread_stack(self.task) == self.base }
    }
}

/// Calls `f` with every thread (pid, comm, stack) under
/// `sw_for_each_thread_stack`. Process context; `f` must not sleep.
fn for_each_thread<F>(mut f: F)
where
    F: FnMut(c_int, &[u8; stack_scan::COMM_LEN], &mut KernelStack),
{
    /// Called by `sw_for_each_thread_stack` for each thread.
    ///
    /// # Safety
    ///
    /// `ctx` is the `&mut F` of `for_each_thread`, not otherwise borrowed
    /// during the call; `comm` points to `COMM_LEN` readable bytes; `task`
    /// is valid until this call returns.
    unsafe extern "C" fn visit<F>(
        ctx: *mut c_void,
        task: *const ffi::task_struct,
        pid: c_int,
        comm: *const c_char,
        stack: c_ulong,
        words: c_ulong,
    ) where
        F: FnMut(c_int, &[u8; stack_scan::COMM_LEN], &mut KernelStack),
    {
        // SAFETY: by this function's contract `ctx` is `for_each_thread`'s
        // `&mut F`, used by nothing else while the walk runs.
        let f = unsafe { &mut *ctx.cast::<F>() };
        let mut c = [0u8; stack_scan::COMM_LEN];
        // SAFETY: `comm` has `COMM_LEN` readable bytes (the contract), and
        // `c` is a distinct local buffer of that size.
        unsafe { core::ptr::copy_nonoverlapping(comm.cast::<u8>(), c.as_mut_ptr(), c.len()) };
        let mut s = KernelStack {
            task,
            base: stack,
            words,
        };
        f(pid, &c, &mut s);
    }
    // SAFETY: `visit::<F>` meets the callback contract of
    // `sw_for_each_thread_stack`: `ctx` is `f`, exclusively borrowed for the
    // whole walk, and the C side passes a comm buffer of TASK_COMM_LEN (16)
    // bytes and a task it keeps valid under the RCU read lock.
    unsafe { ffi::sw_for_each_thread_stack(Some(visit::<F>), core::ptr::from_mut(&mut f).cast()) }
}

/// A buffer for stack words copied out, `CHUNK_WORDS` long.
fn chunk_buffer() -> Result<KVec<usize>> {
    Ok(KVec::from_elem(0usize, CHUNK_WORDS, GFP_KERNEL)?)
}

/// Offers every live thread to `d`, with the deepest point its stack has
/// reached so far (see `swcore::stack_scan`); counts in `d` those that
/// began exiting, or whose stack changed or could not be read, meanwhile.
/// Process context.
pub(crate) fn scan_thread_stacks(d: &mut Deepest<'_>) -> Result {
    let mut buf = chunk_buffer()?;
    for_each_thread(|pid, comm, s| {
        let bytes = s.words().saturating_mul(core::mem::size_of::<usize>());
        match stack_scan::unused_bytes_checked(s, &mut buf) {
            Ok(unused) => d.offer(TaskRow {
                pid,
                used: bytes.saturating_sub(unused),
                comm: *comm,
            }),
            Err(why) => d.drop_thread(why),
        }
    });
    Ok(())
}

/// Whether `addr` is a return address in kernel or module code: it has a
/// symbol (so it is not, say, device memory, whose reads have effects) and
/// the bytes before it end with a call instruction.
pub(super) fn is_return_address(addr: usize, scratch: &mut [u8; SYM_LEN]) -> bool {
    if symbol(scratch, addr, true) == 0 || scratch.starts_with(b"0x") {
        return false;
    }
    let Some(before) = addr.checked_sub(8) else {
        return false;
    };
    let mut b = [0u8; 8];
    // SAFETY: `b` is valid for 8 bytes of writes; the kernel side reads
    // `before..addr` with copy_from_kernel_nofault, which fails rather than
    // faults on an unmapped address.
    if unsafe { ffi::sw_read_kernel(b.as_mut_ptr().cast(), before, 8) } != 0 {
        return false;
    }
    if cfg!(target_arch = "x86_64") {
        stack_scan::x86_call_before(&b)
    } else if cfg!(target_arch = "riscv64") {
        stack_scan::riscv_call_before(&b)
    } else if cfg!(target_arch = "aarch64") {
        stack_scan::arm64_call_before(&b)
    } else {
        false
    }
}

/// For each of `points` (their `row` set to a thread of a scan), the return
/// addresses just above that thread's deepest point, as its stack holds them
/// now (see `swcore::stack_scan`); none for a thread that began exiting, or
/// whose stack changed or could not be read, meanwhile. Process context.
pub(crate) fn find_points(points: &mut [Point], scratch: &mut [u8; SYM_LEN]) -> Result {
    let mut buf = chunk_buffer()?;
    let word = core::mem::size_of::<usize>();
    for_each_thread(|pid, _comm, s| {
        let Some(p) = points
            .iter_mut()
            .find(|p| p.row.pid == pid && p.nframes == 0)
        else {
            return;
        };
        let Ok(unused) = stack_scan::unused_bytes_checked(s, &mut buf) else {
            return;
        };
        let low = unused.checked_div(word).unwrap_or(0);
        let Ok(window) = stack_scan::read_words(s, low, &mut buf) else {
            return;
        };
        p.nframes = stack_scan::point_frames(
            window.len(),
            |j| window.get(j).copied().map_or(0, strip_pac),
            |w| is_return_address(w, scratch),
            &mut p.frames,
        );
    });
    Ok(())
}
