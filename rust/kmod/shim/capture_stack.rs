// SPDX-License-Identifier: GPL-2.0

//! Taking a chain: the probed context's registers as the probe handed them,
//! the per-CPU stack the unwinder runs on (x86_64), so that taking a chain
//! adds nothing to the stack being measured but the handler's own frames,
//! the call into the C shim that runs it there, and where the probed
//! context's return address is at the probed function's entry.

use super::ffi;

/// The probed context's registers, as the probe handed them to
/// `stackwatch_hit`: opaque, valid for that call only.
pub(crate) type Ctx = ffi::sw_ctx;

/// Words of the stack the unwinder runs on while a chain is taken (x86_64):
/// 4 KiB, several times what the unwinder needs (about 400 bytes, more
/// under KASAN) plus an interrupt's entry frame, which is built on it before
/// the kernel moves to its IRQ stack. The module's unload line reports how
/// much of it was ever used.
#[cfg(target_arch = "x86_64")]
pub(crate) const CAPTURE_STACK_WORDS: usize = 4096 / core::mem::size_of::<usize>();
/// None elsewhere: the unwinder runs on the current stack.
#[cfg(not(target_arch = "x86_64"))]
pub(crate) const CAPTURE_STACK_WORDS: usize = 0;

/// The stack the unwinder runs on while a chain is taken, so that taking it
/// adds nothing to the stack being measured but the handler's own frames.
/// Zeroed when allocated and never cleared, so its high-water mark can be
/// read back.
#[repr(C, align(16))]
pub(crate) struct CaptureStack([usize; CAPTURE_STACK_WORDS]);

/// Its lowest words, which the unwinder must never reach (512 bytes: more
/// than any one frame of the unwinder, so it cannot step over them). It has
/// no guard page: a chain whose unwind wrote into them ends chain-taking on
/// this stack for the module's life (see [`save_trace`]) before an unwind
/// can run past its end.
const GUARD_WORDS: usize = 512 / core::mem::size_of::<usize>();

/// Set once an unwind wrote into a capture stack's guard words: from then
/// on no chain is taken off-stack (hits still count; a chain is then just
/// the probed function, and the unload line says so).
static OVERRUN: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Whether an unwind ever reached a capture stack's guard words.
pub(crate) fn capture_stack_overrun() -> bool {
    OVERRUN.load(core::sync::atomic::Ordering::Relaxed)
}

impl CaptureStack {
    /// True while no unwind has written into the guard words (zeroed when
    /// allocated, never cleared).
    fn guard_intact(&self) -> bool {
        self.0.iter().take(GUARD_WORDS).all(|&w| w == 0)
    }

    /// Bytes of it ever used: from its lowest non-zero word to the top.
    pub(crate) fn used(&self) -> usize {
        let free = self.0.iter().take_while(|&&w| w == 0).count();
        CAPTURE_STACK_WORDS
            .saturating_sub(free)
            .saturating_mul(core::mem::size_of::<usize>())
    }
}

/// Whether the return address into the probed function's caller is in a
/// register at its entry, and each function saves its own in a frame record
/// in its own frame (riscv64: `ra`, then the record at the top of the frame,
/// `fp - 8`; arm64: `x30`, then the record `{x29, x30}` at `x29`, below the
/// callee-saved registers GCC puts above it), rather than pushed by the call
/// just above the entry stack pointer (x86_64). The chain's frame sizes are
/// found accordingly (`swcore::trace::entry_frame_sizes_ra_in_register`: a
/// frame ends just above the record that holds its caller's return address;
/// on arm64 the callee-saved registers above that record count to the
/// caller).
pub(crate) const RETURN_ADDRESS_IN_REGISTER: bool =
    cfg!(any(target_arch = "riscv64", target_arch = "aarch64"));

/// Whether `save_trace` runs the unwinder on a [`CaptureStack`] (x86_64) or
/// on the current stack.
pub(crate) fn trace_off_stack() -> bool {
    // SAFETY: no preconditions; returns a constant.
    unsafe { ffi::sw_trace_off_stack() != 0 }
}

/// Saves the probed context's call chain into `store`, from the probed
/// function outwards, walked from the probe's registers (on x86_64 the
/// unwinder runs on `stack`; on riscv64 and arm64 it runs here, and the shim drops
/// its frames and the handler's; elsewhere it runs here and the chain starts
/// with the handler's own frames); returns the number of entries: 0 once an
/// unwind has reached a capture stack's guard words (then none is taken
/// off-stack again). `irqs_off`: with interrupts off while it runs (a
/// chain taken on the IRQ stack, where an interrupt arriving meanwhile would
/// run on `stack` whole).
///
/// # Safety
///
/// `ctx` is the context the running probe handler was called with, which is
/// valid until it returns.
pub(crate) unsafe fn save_trace(
    store: &mut [usize],
    ctx: *const Ctx,
    stack: &mut CaptureStack,
    irqs_off: bool,
) -> usize {
    if trace_off_stack() && capture_stack_overrun() {
        return 0;
    }
    let size = u32::try_from(store.len()).unwrap_or(u32::MAX);
    // The top word: the C side keeps the old stack pointer there and runs
    // below it (as the kernel's IRQ stacks are entered).
    let top = stack
        .0
        .last_mut()
        .map_or(core::ptr::null_mut(), core::ptr::from_mut)
        .cast::<kernel::ffi::c_ulong>();
    let out = store.as_mut_ptr().cast::<kernel::ffi::c_ulong>();
    // SAFETY: `out` (`store`) is valid for `size` writes of `unsigned long`
    // (usize has the same size and alignment on every Linux target); `ctx` is
    // valid for this call (this function's contract); `top` is the last word
    // of `stack`, which the `&mut` gives to this call alone, and the C side
    // uses only the memory below it, within `stack`, until it returns. The
    // second function only turns interrupts off around the first.
    let n = unsafe {
        if irqs_off {
            ffi::sw_save_trace_irqs_off(out, size, ctx, top)
        } else {
            ffi::sw_save_trace(out, size, ctx, top)
        }
    };
    if trace_off_stack() && !stack.guard_intact() {
        OVERRUN.store(true, core::sync::atomic::Ordering::Relaxed);
        return 0;
    }
    (n as usize).min(store.len())
}
