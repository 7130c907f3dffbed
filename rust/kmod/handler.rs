// SPDX-License-Identifier: GPL-2.0

//! The probe handler: runs on every probe hit, possibly in NMI-like context
//! on a nearly exhausted stack. Atomics only: no locks, no allocation, no
//! panicking arithmetic or indexing, and its chain buffers live in per-CPU
//! scratch space rather than on the stack.

use core::ffi::c_void;
use core::sync::atomic::Ordering::{Acquire, Relaxed};

use crate::shim;
use crate::state::{ProbeCounters, ScratchSpace, Slot, State, STATE};
use crate::swcore::{
    owner,
    sample::{classify, Sample},
    trace::{
        entry_frame_sizes_ra_in_register, frame_sizes, trim_start, Trace, TraceSlot, MAX_FRAMES,
    },
    warning,
};

/// How far past a function's address the unwinder may report it (the
/// `endbr64; call __fentry__` or breakpoint at its entry).
const ENTRY_WINDOW: usize = 32;

/// A warning this many bytes deeper than any before goes out even inside the
/// rate limit's interval, so a burst of shallow warnings cannot hide the
/// last one before an overflow (at most THREAD_SIZE / 256 of them).
const WARN_STEP: usize = 256;

/// Stack that taking a chain needs below the probed context. With less
/// left the hit still counts (maximum, histogram) but no chain is taken
/// (`trace_busy`), so that stackwatch is never what overflows the stack it
/// measures. On riscv64 a kprobe's trap frame and handlers take 608 bytes,
/// `slow` 192 and `stack_trace_save` 224: 1024, plus room for an
/// interrupt's entry.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const CAPTURE_RESERVE: usize = 1152;
/// On arm64 the unwinder runs on the current stack too: a kprobe's hit (its
/// BRK trap frame, the handlers, the walk) adds 1048 bytes below the probed
/// function, the ftrace ops' 712, on the stock kernel (tests/guest/ownstack.sh,
/// e); plus an interrupt's entry frame (`pt_regs`, 336 bytes, built on the
/// current stack before the kernel moves to its IRQ stack), rounded up.
#[cfg(target_arch = "aarch64")]
const CAPTURE_RESERVE: usize = 1408;
/// On x86_64 the unwinder runs on a stack of its own (`shim/capture_stack.rs`):
/// the probe mechanism and the handler's frames down to `sw_save_trace`
/// take 432 bytes for a kprobe (344 for the ftrace ops) as the ftrace stack
/// tracer sees them on the stock kernel (tests/guest/ownstack.sh, a), plus
/// an interrupt's entry frame (`pt_regs`, 168 bytes, built before the
/// kernel moves to its IRQ stack) and 64 for what the tracer does not see
/// (the frame of the function it stopped at), rounded up.
#[cfg(target_arch = "x86_64")]
const CAPTURE_RESERVE: usize = 704;

/// Likewise for printing a warning: the frames down to `finish`, then the
/// symbol lookup or printk (`vprintk_store`, `prb_reserve`, `vsnprintf`:
/// about 600 on riscv64). With less left the warning is counted in
/// `warnings_suppressed` instead. On x86_64, measured as above
/// (tests/guest/ownstack.sh, d): 1208 bytes for a kprobe (1120 for the
/// ftrace ops) down to `data_push_tail` under `prb_reserve`, the deepest point
/// the tracer saw (the symbol lookup stays shallower); plus an interrupt's
/// entry frame (168) and that function's own frame and callees: the same
/// 1536 as riscv64, whose printk path is no deeper.
#[cfg(all(not(CONFIG_KASAN), not(target_arch = "aarch64")))]
const WARN_RESERVE: usize = 1536;
/// On arm64, measured the same way: 1408 bytes for a kprobe (1312 for the
/// ftrace ops) down to `data_push_tail`; plus an interrupt's entry frame
/// (336) and 176 for that function's own frame and callees (x86_64 leaves 160).
#[cfg(all(not(CONFIG_KASAN), target_arch = "aarch64"))]
const WARN_RESERVE: usize = 1920;
/// Under KASAN frames grow: on our x86_64 debug kernel the tracer sees
/// 1384 bytes under a kprobe (1344 under the fprobe stackwatch used before
/// its own ftrace ops, whose trampoline is smaller), the same path; plus
/// an interrupt's entry frame and that deepest function's own frame and
/// callees, larger too.
#[cfg(CONFIG_KASAN)]
const WARN_RESERVE: usize = 1792;

/// The least threshold that can ever warn: a warning goes out only with
/// fewer bytes left than the threshold, and only with the reserves left;
/// a smaller one is refused (`swcore::settings::check_threshold`).
pub(crate) const MIN_THRESHOLD: usize = if WARN_RESERVE > CAPTURE_RESERVE {
    WARN_RESERVE
} else {
    CAPTURE_RESERVE
}
.saturating_add(1);

/// Called by the C shim from kprobe handlers and the ftrace ops' callback,
/// on the stack of the probed context.
///
/// # Safety
///
/// `cookie` is null (the ftrace ops) or the cookie a kprobe's
/// [`shim::Probe`] was attached with: a `ProbeCounters` that the probe
/// keeps alive until it is detached, which waits for running handlers, so
/// it is valid for this call. `ip` is the probed function's address, `sp`
/// the probed context's stack pointer and `ctx` its registers, valid for
/// this call.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_hit(
    cookie: *mut c_void,
    ip: core::ffi::c_ulong,
    sp: core::ffi::c_ulong,
    ctx: *const shim::Ctx,
) {
    let st = STATE.load(Acquire);
    if st.is_null() {
        return;
    }
    // SAFETY: `STATE` is set to the pinned state before the first probe is
    // attached and cleared only after every probe is detached (which waits
    // for running handlers: for the ftrace ops, until no call is in it), so
    // the state outlives this call.
    let st = unsafe { &*st };
    // SAFETY: by this function's contract, a non-null `cookie` points to
    // the `ProbeCounters` its kprobe owns, alive until the probe is
    // detached, which cannot complete while this call runs; they are only
    // read or changed through atomics.
    let pc = unsafe { cookie.cast_const().cast::<ProbeCounters>().as_ref() };
    hit(st, pc, ip as usize, sp as usize, ctx);
}

/// Called by the C shim when the ftrace ops' callback finds itself nested
/// in a call of its own on this CPU and context (stackwatch's code calling
/// a watched function): the call is counted as missed, not measured.
///
/// # Safety
///
/// No pointer arguments; callable from any context, as the handler.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_ftrace_missed(ip: core::ffi::c_ulong) {
    // SAFETY: as in `stackwatch_hit`: the state outlives every call of the
    // ftrace ops' callback.
    let Some(st) = (unsafe { STATE.load(Acquire).as_ref() }) else {
        return;
    };
    if let Some(s) = st
        .slot_index()
        .find(ip as usize)
        .and_then(|i| st.slots.get(i))
    {
        s.missed.fetch_add(1, Relaxed);
    }
}

/// What a hit changed, and the function's slot index plus one (0: none),
/// in one word, so that every argument of `slow` travels in a register and
/// the fast path's frame stays small.
#[derive(Clone, Copy)]
struct Changed(usize);

impl Changed {
    const LOCAL_MAX: usize = 1;
    const GLOBAL_MAX: usize = 2;
    const BELOW_THRESHOLD: usize = 4;
    const INDEX_SHIFT: u32 = 8;

    fn new(index: usize, bits: usize) -> Self {
        Changed(index.wrapping_shl(Self::INDEX_SHIFT) | bits)
    }

    fn has(self, bit: usize) -> bool {
        self.0 & bit != 0
    }

    /// The slot index (not plus one), if any.
    fn slot(self) -> Option<usize> {
        self.0.wrapping_shr(Self::INDEX_SHIFT).checked_sub(1)
    }
}

/// The fast path: a few loads, one atomic add to the function's histogram,
/// and no chain unless something changed. Kept small (and its stack frame
/// with it: it runs on the very stacks it measures); the rest is in `slow`.
#[inline(always)]
fn hit(st: &State, pc: Option<&ProbeCounters>, ip: usize, sp: usize, ctx: *const shim::Ctx) {
    if !st.enabled.load(Relaxed) {
        return;
    }
    // Another probe on this function counts it: this call counts once.
    let slot = match owned_slot(st, pc, ip) {
        Owned::Mine(i, s) => Some((i, s)),
        Owned::NotMine => return,
        Owned::NoSlot => None,
    };
    let (used, remaining) = match classify(sp, shim::stack_base(), st.thread_size) {
        Sample::OnTask { used, remaining } => (used, remaining),
        Sample::OffStack => return off_stack(st, slot.map(|(_, s)| s), ip, sp, ctx),
    };
    let threshold = st.threshold.load(Relaxed);
    let (local, index) = match slot {
        Some((i, s)) => (
            s.stats
                .record(used, remaining, &st.scale, threshold, &st.budgets),
            i.wrapping_add(1),
        ),
        None => {
            st.events.dropped.fetch_add(1, Relaxed);
            (
                st.unslotted
                    .record(used, remaining, &st.scale, threshold, &st.budgets),
                0,
            )
        }
    };
    // Only the maximum is global at hit time; counts are summed when read.
    let global_max = st.global.stats.note_max(used);
    if local.new_max || global_max || local.below_threshold {
        let mut changed = 0;
        if index != 0 && local.new_max {
            changed |= Changed::LOCAL_MAX;
        }
        if global_max {
            changed |= Changed::GLOBAL_MAX;
        }
        if local.below_threshold {
            changed |= Changed::BELOW_THRESHOLD;
        }
        slow(st, Changed::new(index, changed), ip, sp, ctx);
    }
}

/// Whose hit this is on the function's slot.
enum Owned<'a> {
    /// This probe's: a kprobe that owns the slot (or has just claimed it),
    /// or the ftrace ops on a function no kprobe sits on.
    Mine(usize, &'a Slot),
    /// Another's, which counts this call: skipped.
    NotMine,
    /// No free slot: counted in `unslotted`.
    NoSlot,
}

/// The function's slot, if this probe counts its hits (see
/// `swcore::owner`): a kprobe's if it owns it (never a retired one's), the
/// ftrace ops' (`pc` none) unless a kprobe sits on the function.
#[inline(always)]
fn owned_slot<'a>(st: &'a State, pc: Option<&ProbeCounters>, ip: usize) -> Owned<'a> {
    let Some(pc) = pc else {
        return match ftrace_slot(st, ip) {
            Some((_, s)) if s.kprobes.load(Relaxed) != 0 => Owned::NotMine,
            Some((i, s)) => Owned::Mine(i, s),
            None => Owned::NoSlot,
        };
    };
    if pc.retired.load(Relaxed) {
        return Owned::NotMine;
    }
    let Some((i, s)) = kprobe_slot(st, pc, ip) else {
        return Owned::NoSlot;
    };
    if owner::claim(&s.owner, pc.id) {
        Owned::Mine(i, s)
    } else {
        Owned::NotMine
    }
}

/// A kprobe's slot: cached in its counters after the first hit.
#[inline(always)]
fn kprobe_slot<'a>(st: &'a State, pc: &ProbeCounters, ip: usize) -> Option<(usize, &'a Slot)> {
    match pc.slot.load(Relaxed) {
        0 => {
            let i = st.slot_index().get_or_insert(ip)?;
            let s = st.slots.get(i)?;
            pc.slot.store(i.checked_add(1)?, Relaxed);
            Some((i, s))
        }
        n => {
            let i = n.wrapping_sub(1);
            Some((i, st.slots.get(i)?))
        }
    }
}

/// The ftrace ops' slot for `ip`.
#[inline(always)]
fn ftrace_slot(st: &State, ip: usize) -> Option<(usize, &Slot)> {
    let i = st.slot_index().get_or_insert(ip)?;
    Some((i, st.slots.get(i)?))
}

/// A hit on an IRQ or exception stack: counted apart, never against a task
/// (once, by the function's owner, like any hit). On this CPU's IRQ stack
/// it is also measured against that stack: the function's own IRQ-stack
/// maximum and what-if counts, and the chain of the deepest such hit.
#[cold]
#[inline(never)]
fn off_stack(st: &State, slot: Option<&Slot>, ip: usize, sp: usize, ctx: *const shim::Ctx) {
    if let Some(s) = slot {
        s.off_stack.fetch_add(1, Relaxed);
    }
    st.events.off_stack.fetch_add(1, Relaxed);
    let begin = st
        .irq_stacks
        .get(shim::cpu())
        .map_or(0, |b| b.load(Relaxed));
    if begin == 0 {
        return;
    }
    // The same classification, against this CPU's IRQ stack: `OnTask`
    // here means on that stack (an exception stack's hit is not).
    let Sample::OnTask { used, remaining } = classify(sp, begin, st.irq_stack_size) else {
        return;
    };
    if let Some(s) = slot {
        s.irq.record(used, &st.budgets);
    }
    if st.irq_global.note_max(used) {
        irq_chain(st, ip, sp, used, remaining, ctx);
    }
}

/// The chain of a new deepest hit on an IRQ stack, `used` bytes below its
/// top with `remaining` left: taken as on a task stack (`slow`), with
/// interrupts off while the unwinder runs (in softirq context one arriving
/// meanwhile would run on the unwinder's stack: the IRQ stack is in use).
#[cold]
#[inline(never)]
fn irq_chain(
    st: &State,
    ip: usize,
    sp: usize,
    used: usize,
    remaining: usize,
    ctx: *const shim::Ctx,
) {
    if remaining < CAPTURE_RESERVE {
        st.events.trace_busy.fetch_add(1, Relaxed);
        return;
    }
    let Some(scratch) = st.scratch.get(shim::cpu()) else {
        return;
    };
    let captured = scratch.try_with(|space| {
        // SAFETY: `ctx` is what this handler was called with (the contract
        // of `stackwatch_hit`), valid until it returns.
        let n = unsafe { shim::save_trace(&mut space.raw, ctx, &mut space.stack, true) };
        capture(space, n, ip, sp, used);
        store(st, Some(&st.irq_trace), space);
    });
    if captured.is_none() {
        st.events.trace_busy.fetch_add(1, Relaxed);
    }
}

/// A new maximum or a threshold crossing: decide, take this CPU's scratch
/// space and save the chain into it. Its frame and `stackwatch_hit`'s are
/// what taking a chain adds to the stack being measured (on x86_64 the
/// unwinder runs on a stack of its own; elsewhere this frame is under it):
/// everything after the unwind is in `finish`.
#[cold]
#[inline(never)]
fn slow(st: &State, changed: Changed, ip: usize, sp: usize, ctx: *const shim::Ctx) {
    let Sample::OnTask { used, .. } = classify(sp, shim::stack_base(), st.thread_size) else {
        return;
    };
    let local_max = changed.has(Changed::LOCAL_MAX);
    let global_max = changed.has(Changed::GLOBAL_MAX);
    let warn = changed
        .slot()
        .and_then(|i| st.slots.get(i))
        .is_some_and(|s| {
            warning::due(
                &s.warned_gen,
                st.threshold_gen.load(Relaxed),
                changed.has(Changed::BELOW_THRESHOLD),
                local_max,
            )
        });
    if !(local_max || global_max || warn) {
        return;
    }
    if st.thread_size.saturating_sub(used) < CAPTURE_RESERVE {
        st.events.trace_busy.fetch_add(1, Relaxed);
        if warn {
            st.events.warnings_suppressed.fetch_add(1, Relaxed);
        }
        return;
    }
    let Some(scratch) = st.scratch.get(shim::cpu()) else {
        return;
    };
    let captured = scratch.try_with(|space| {
        // SAFETY: `ctx` is what this handler was called with (the contract
        // of `stackwatch_hit`), valid until it returns.
        let n = unsafe { shim::save_trace(&mut space.raw, ctx, &mut space.stack, false) };
        finish(st, space, n, changed, ip, sp, used, warn);
    });
    if captured.is_none() {
        st.events.trace_busy.fetch_add(1, Relaxed);
    }
}

/// After the unwind: the chain's frame sizes, stored where it is deeper
/// than before, and the warning if due.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn finish(
    st: &State,
    space: &mut ScratchSpace,
    saved: usize,
    changed: Changed,
    ip: usize,
    sp: usize,
    used: usize,
    warn: bool,
) {
    capture(space, saved, ip, sp, used);
    if changed.has(Changed::LOCAL_MAX) {
        store(st, changed.slot().and_then(|i| st.traces.get(i)), space);
    }
    if changed.has(Changed::GLOBAL_MAX) {
        store(st, Some(&st.global_trace), space);
    }
    if warn {
        if st.thread_size.saturating_sub(used) >= WARN_RESERVE
            && st
                .warn_limit
                .allow(shim::jiffies(), st.warn_interval, used, WARN_STEP)
        {
            st.events.warnings.fetch_add(1, Relaxed);
            crate::warn::threshold_crossed(
                ip,
                used,
                st.thread_size,
                st.threshold.load(Relaxed),
                &space.trace,
                &mut space.sym,
            );
        } else {
            st.events.warnings_suppressed.fetch_add(1, Relaxed);
        }
    }
}

fn store(st: &State, slot: Option<&TraceSlot>, space: &ScratchSpace) {
    if let Some(t) = slot {
        if !t.try_store(&space.trace) && t.used() < space.trace.used {
            st.events.trace_busy.fetch_add(1, Relaxed);
        }
    }
}

/// Fills `space.trace` with the chain from the probed function outwards
/// (from the `saved` return addresses in `space.raw`), the size of each
/// frame, and the current task. Inlined into each caller (`finish`, and
/// `irq_chain`): a call of its own would add its frame below `finish`'s on
/// the stack being measured.
#[inline(always)]
fn capture(space: &mut ScratchSpace, saved: usize, ip: usize, sp: usize, used: usize) {
    let n = saved;
    let raw = space.raw.get(..n).unwrap_or(&[]);
    let t = &mut space.trace;
    t.used = used;
    // Drop the handler's own frames: the chain starts in the probed function.
    // If the unwinder did not report it, the chain is just the function.
    let chain = match trim_start(raw, ip, ENTRY_WINDOW) {
        Some(start) => raw.get(start..).unwrap_or(&[]),
        None => &[],
    };
    t.frames[0] = chain.first().copied().unwrap_or(ip);
    let mut len: usize = 1;
    for (d, f) in t.frames.iter_mut().zip(chain.iter()).skip(1) {
        *d = *f;
        len = len.saturating_add(1);
    }
    t.len = len.min(MAX_FRAMES);
    let word_size = core::mem::size_of::<usize>();
    let nwords = used.checked_div(word_size).unwrap_or(0);
    let word = |i: usize| -> Option<usize> {
        if i >= nwords {
            return None;
        }
        let addr = sp.checked_add(i.checked_mul(word_size)?)?;
        // SAFETY: `addr` is word-aligned (the caller checks that sp is) and
        // lies in `[sp, sp + used)`, which `classify` found to be inside the
        // current task's stack, or this CPU's IRQ stack, between the probed
        // context's stack pointer and the top: mapped memory in use by this
        // context, which cannot go away while it runs (an IRQ stack is
        // never freed). Other code owns those words, hence `stack_word`
        // (`READ_ONCE_NOCHECK`, exempt from KASAN), not a plain read.
        Some(unsafe { shim::stack_word(addr) })
    };
    if sp.checked_rem(word_size) == Some(0) {
        // Disjoint borrows of the fields: no copy of the frames on the stack.
        let Trace {
            frames, sizes, len, ..
        } = t;
        let sizes_of = if shim::RETURN_ADDRESS_IN_REGISTER {
            entry_frame_sizes_ra_in_register
        } else {
            frame_sizes
        };
        sizes_of(
            frames.get(..*len).unwrap_or(&[]),
            &word,
            nwords,
            word_size,
            used,
            sizes,
        );
    } else {
        t.sizes = [0; MAX_FRAMES];
        t.sizes[0] = u32::try_from(used).unwrap_or(u32::MAX);
    }
    t.pid = shim::current_pid();
    shim::current_comm(&mut t.comm);
}
