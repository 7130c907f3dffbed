// SPDX-License-Identifier: GPL-2.0

//! Everything the probe handler and the debugfs files share: settings,
//! per-function slots (statistics + deepest chain), the global slot, the
//! per-CPU scratch space for capturing chains, and module-wide counters.
//! All of it is preallocated at load; the handler only uses atomics.

use core::cell::UnsafeCell;
use core::sync::atomic::{
    AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize,
    Ordering::{Relaxed, Release},
};
use kernel::{alloc::flags::__GFP_ZERO, new_mutex, prelude::*, sync::Mutex};

use crate::probes::ProbeSet;
use crate::shim::{CaptureStack, WatchSlot, SYM_LEN};
use crate::swcore::{
    budget_sizes::{Budgets, MAX_BUDGETS},
    cpu_stacks::StackStats,
    hist::Scale,
    owner,
    ratelimit::RateLimit,
    settings::Settings,
    slot_index::SlotIndex,
    stats::DepthStats,
    trace::{Trace, TraceSlot},
};
use crate::swformat::{summary::Counters, text::Header};

/// The state the handler reports into; null while no probe may fire.
pub(crate) static STATE: AtomicPtr<State> = AtomicPtr::new(core::ptr::null_mut());

/// Per-attachment data: a kprobe's cookie points to one (the ftrace ops'
/// hits come without). Shared by the attachment (which reads it for the
/// `probes` file) and each probe attached for it, which keeps it alive
/// until it is detached (see `shim::Probe`). Its hits are not counted here
/// (that would be one more shared atomic add per hit) but summed from the
/// slots it owns when read.
pub(crate) struct ProbeCounters {
    /// Unique for the module's life, never 0; its lowest bit set for an
    /// attachment that yields its functions to a kprobe (`swcore::owner::id`).
    pub(crate) id: u64,
    /// A kprobe's slot index plus one, once known (0: not yet): a kprobe
    /// always reports the same address, so it looks its slot up once.
    pub(crate) slot: AtomicUsize,
    /// The attachment is going: its hits no longer count (set before its
    /// slots are released, so that the probes left on its functions take
    /// them over without waiting for its probe's slow detach).
    pub(crate) retired: AtomicBool,
}

impl ProbeCounters {
    /// Counters of attachment `id`, nothing counted yet.
    pub(crate) const fn new(id: u64) -> Self {
        ProbeCounters {
            id,
            slot: AtomicUsize::new(0),
            retired: AtomicBool::new(false),
        }
    }
}

/// Tries at rewriting a chain that a handler is storing (see
/// `State::reclaim_slots`).
const REWRITE_TRIES: usize = 100;

/// Raw stack-trace entries captured before trimming the handler's frames.
pub(crate) const RAW_FRAMES: usize = 80;

/// What the handler touches at every hit for one function (or for all of
/// them): statistics and bookkeeping, about 320 bytes. The deepest chain
/// (about 700 bytes, written only on a new maximum) lives apart in
/// `State::traces`, so the hot data of thousands of functions stays dense.
#[repr(C)]
pub(crate) struct Slot {
    // What a glob hit reads first, next to the maximum (the start of
    // `stats`): on one cache line with it. `repr(C)` keeps this order.
    /// Id of the attachment whose hits this slot counts (0: none yet): the
    /// first to claim it, until its probe is detached (`swcore::owner`);
    /// the other probes' hits on the function are skipped, so a call counts
    /// once. The `probes` file sums an attachment's hits from the slots it
    /// owns.
    pub(crate) owner: AtomicU64,
    /// kprobes attached at this function: the ftrace ops' hit on it is
    /// skipped, and an ftrace attachment's ownership handed over to the
    /// kprobe, so a function both reach counts once.
    pub(crate) kprobes: AtomicU32,
    /// Threshold generation this slot last warned in.
    pub(crate) warned_gen: AtomicU32,
    /// Hits on an IRQ or exception stack (not in `stats`).
    pub(crate) off_stack: AtomicU64,
    /// Calls the ftrace ops saw nested in a call of its own (recursion):
    /// not measured.
    pub(crate) missed: AtomicU64,
    pub(crate) stats: DepthStats,
    /// Hits on this CPU's IRQ stack, measured against it (also counted in
    /// `off_stack`; not in `stats`).
    pub(crate) irq: StackStats,
}

/// What an attachment counted in the slots it owns (or owned, until they
/// were reclaimed): the `probes` file's columns.
#[derive(Clone, Copy, Default)]
pub(crate) struct OwnerTotals {
    pub(crate) hits: u64,
    pub(crate) off_stack: u64,
    pub(crate) missed: u64,
}

impl OwnerTotals {
    pub(crate) fn add(&mut self, o: &OwnerTotals) {
        self.hits = self.hits.saturating_add(o.hits);
        self.off_stack = self.off_stack.saturating_add(o.off_stack);
        self.missed = self.missed.saturating_add(o.missed);
    }
}

impl Slot {
    pub(crate) const fn new() -> Self {
        Slot {
            owner: AtomicU64::new(0),
            kprobes: AtomicU32::new(0),
            warned_gen: AtomicU32::new(0),
            off_stack: AtomicU64::new(0),
            missed: AtomicU64::new(0),
            stats: DepthStats::new(),
            irq: StackStats::new(),
        }
    }

    fn reset(&self) {
        self.stats.reset();
        self.irq.reset();
        self.off_stack.store(0, Relaxed);
        self.missed.store(0, Relaxed);
    }

    fn totals(&self) -> OwnerTotals {
        OwnerTotals {
            hits: self.stats.hits(),
            off_stack: self.off_stack.load(Relaxed),
            missed: self.missed.load(Relaxed),
        }
    }
}

/// Per-CPU space for building a chain, so the handler does not put ~1 KiB
/// on a stack that may be nearly exhausted.
pub(crate) struct Scratch {
    busy: AtomicBool,
    space: UnsafeCell<ScratchSpace>,
}

/// The contents of a [`Scratch`].
pub(crate) struct ScratchSpace {
    pub(crate) raw: [usize; RAW_FRAMES],
    /// The unwinder's stack (x86_64).
    pub(crate) stack: CaptureStack,
    pub(crate) trace: Trace,
    /// One symbol of the warning's chain, NUL-terminated.
    pub(crate) sym: [u8; SYM_LEN],
}

// SAFETY: `space` is only accessed through `Scratch::try_with`, which hands
// out the `&mut` to one holder at a time (the `busy` flag, taken with an
// atomic swap); everything else in `Scratch` is atomic.
unsafe impl Sync for Scratch {}

impl Scratch {
    /// Runs `f` with exclusive use of the space, or returns `None` if it is
    /// in use (a nested probe hit on the same CPU, e.g. from an NMI).
    pub(crate) fn try_with<R>(&self, f: impl FnOnce(&mut ScratchSpace) -> R) -> Option<R> {
        if self.busy.swap(true, core::sync::atomic::Ordering::Acquire) {
            return None;
        }
        // SAFETY: the swap above returned false, so this caller is the only
        // holder of the flag until it is cleared below: no other reference to
        // the space exists while `f` runs.
        let r = f(unsafe { &mut *self.space.get() });
        self.busy
            .store(false, core::sync::atomic::Ordering::Release);
        Some(r)
    }
}

/// Module-wide event counters.
pub(crate) struct EventCounters {
    pub(crate) off_stack: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) trace_busy: AtomicU64,
    pub(crate) warnings: AtomicU64,
    pub(crate) warnings_suppressed: AtomicU64,
}

/// The shared state. Pinned for the module's life (built into the image:
/// for the kernel's).
///
/// Teardown holds by construction, in three steps. The debugfs files own
/// the state and are removed before it (`files::Files`), which waits for
/// running reads and writes: no `probes` write attaches anything
/// afterwards. Then this state's `drop` unregisters the module notifiers (waiting for a running one), detaches every probe
/// (waiting for running handlers, also on the one-by-one fallback) and
/// unpublishes itself from the handler. Only then are the fields freed.
/// The fields that refer to the others are declared first, so that even
/// their own drops would come before the memory they use.
#[pin_data(PinnedDrop)]
pub(crate) struct State {
    /// The module notifiers, which use everything below.
    pub(crate) watch: WatchSlot,
    /// The probes, whose handlers use everything below.
    #[pin]
    pub(crate) probes: Mutex<ProbeSet>,
    pub(crate) thread_size: usize,
    /// Histogram bucketing for `thread_size`.
    pub(crate) scale: Scale,
    pub(crate) enabled: AtomicBool,
    /// Warn when fewer bytes than this remain (0: off).
    pub(crate) threshold: AtomicUsize,
    /// Bumped when the threshold changes or on reset: every slot may warn again.
    pub(crate) threshold_gen: AtomicU32,
    pub(crate) warn_limit: RateLimit,
    pub(crate) warn_interval: u64,
    pub(crate) budgets: Budgets,
    /// Serializes budget changes (see `stats::rebudget`).
    #[pin]
    pub(crate) budgets_change: Mutex<()>,
    pub(crate) keys: KVVec<AtomicUsize>,
    /// Set while the slots of a module that went away are reclaimed: no
    /// insert into `keys` then (see `SlotIndex::reclaim`).
    pub(crate) keys_closed: AtomicBool,
    pub(crate) slots: KVVec<Slot>,
    /// Deepest chain of each slot, same index.
    pub(crate) traces: KVVec<TraceSlot>,
    /// Global maximum; global counts are summed from the slots (and
    /// `unslotted`) when read.
    pub(crate) global: Slot,
    /// Deepest chain of all.
    pub(crate) global_trace: TraceSlot,
    /// Hits on functions that found no free slot.
    pub(crate) unslotted: DepthStats,
    /// Statistics of functions of modules that went away, folded together
    /// as their slots were reclaimed.
    pub(crate) unloaded: DepthStats,
    pub(crate) scratch: KVVec<Scratch>,
    pub(crate) events: EventCounters,
    /// The bottom of each CPU's IRQ stack, by CPU id (0: not known yet;
    /// see `find_irq_stacks`): a hit there is measured against it.
    pub(crate) irq_stacks: KVVec<AtomicUsize>,
    /// IRQ_STACK_SIZE (0: none measured, not x86_64).
    pub(crate) irq_stack_size: usize,
    /// The deepest hit on any IRQ stack (only its maximum: the counts are
    /// the slots' `irq`, summed when read).
    pub(crate) irq_global: StackStats,
    /// The chain of that hit.
    pub(crate) irq_trace: TraceSlot,
}

#[pinned_drop]
impl PinnedDrop for State {
    fn drop(self: Pin<&mut Self>) {
        // The files are gone (see above). Every probe detached, running
        // handlers waited for, while the module notifiers still run: a
        // module going away meanwhile waits for the lock, then finds nothing
        // of it attached. (The other way round, a module that went between
        // the two steps would have left its freed addresses in the ftrace ops' filter,
        // whose removal then fails as a whole: `ftrace_set_hash` rejects the
        // batch at the first address without an ftrace record.)
        self.probes.lock().clear(&self);
        // No notifier runs after this; it takes the probes lock, so not
        // under it.
        drop(self.watch.take());
        let this = core::ptr::from_ref::<State>(&self).cast_mut();
        let _ = STATE.compare_exchange(this, core::ptr::null_mut(), Release, Relaxed);
        if crate::shim::trace_off_stack() {
            pr_info!(
                "unloaded; the unwinder's stack used at most {} of {} bytes{}\n",
                self.capture_stack_used(),
                crate::shim::CAPTURE_STACK_WORDS.saturating_mul(core::mem::size_of::<usize>()),
                if crate::shim::capture_stack_overrun() {
                    " (it reached its guard words: chains stopped)"
                } else {
                    ""
                }
            );
        } else {
            pr_info!("unloaded\n");
        }
    }
}

impl State {
    /// Allocates the state with the checked settings `s`.
    pub(crate) fn new(s: &Settings<'_>) -> Result<impl PinInit<Self, Error>> {
        let nslots = s.nslots;
        // Copied out: the initializer does not borrow the settings.
        let (enabled, threshold, budgets) = (s.enabled, s.threshold, s.budgets);
        let mut keys = KVVec::with_capacity(nslots, GFP_KERNEL)?;
        let mut slots = KVVec::with_capacity(nslots, GFP_KERNEL)?;
        let mut traces = KVVec::with_capacity(nslots, GFP_KERNEL)?;
        for _ in 0..nslots {
            keys.push(AtomicUsize::new(0), GFP_KERNEL)?;
            slots.push(Slot::new(), GFP_KERNEL)?;
            traces.push(TraceSlot::new(), GFP_KERNEL)?;
        }
        let ncpu = crate::shim::nr_cpu_ids();
        // Zeroed in place: a `Scratch` is about 6.5 KiB on x86_64 (2.5 KiB
        // elsewhere, which has no capture stack), too much to build on
        // the stack and copy (a 4K kernel's early-boot worker overflows).
        let mut scratch = KVVec::<Scratch>::with_capacity(ncpu, GFP_KERNEL | __GFP_ZERO)?;
        // SAFETY: the allocation holds at least `ncpu` elements (the capacity
        // asked for), zero-filled by `__GFP_ZERO`; all-zero bytes are a valid
        // `Scratch`: atomics, integers and arrays of them, all zero (not
        // busy, empty chain, empty symbol).
        unsafe { scratch.inc_len(ncpu) };
        let mut irq_stacks = KVVec::with_capacity(ncpu, GFP_KERNEL)?;
        for _ in 0..ncpu {
            irq_stacks.push(AtomicUsize::new(0), GFP_KERNEL)?;
        }
        let warn_interval = crate::shim::hz().saturating_mul(u64::from(s.warn_interval_ms)) / 1000;
        let thread_size = crate::shim::thread_size();
        let scale = Scale::new(thread_size);
        Ok(try_pin_init!(State {
            watch: WatchSlot::new(),
            probes <- new_mutex!(ProbeSet::new()),
            thread_size,
            scale,
            enabled: AtomicBool::new(enabled),
            threshold: AtomicUsize::new(threshold),
            threshold_gen: AtomicU32::new(1),
            warn_limit: RateLimit::new(),
            warn_interval,
            budgets: Budgets::with_sizes(&budgets),
            budgets_change <- new_mutex!(()),
            keys,
            keys_closed: AtomicBool::new(false),
            slots,
            traces,
            global: Slot::new(),
            global_trace: TraceSlot::new(),
            unslotted: DepthStats::new(),
            unloaded: DepthStats::new(),
            scratch,
            events: EventCounters {
                off_stack: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                trace_busy: AtomicU64::new(0),
                warnings: AtomicU64::new(0),
                warnings_suppressed: AtomicU64::new(0),
            },
            irq_stacks,
            irq_stack_size: crate::shim::irq_stack_size(),
            irq_global: StackStats::new(),
            irq_trace: TraceSlot::new(),
        }? Error))
    }

    /// Finds the IRQ stack of every online CPU not known yet (an interrupt
    /// raised on each: process context, it waits for them). A CPU's IRQ
    /// stack stays where it is for the kernel's life, also across CPU
    /// hotplug (7.3 `irq_init_percpu_irqstack()` keeps it).
    pub(crate) fn find_irq_stacks(&self) {
        if self.irq_stack_size == 0 {
            return;
        }
        for (cpu, b) in self.irq_stacks.iter().enumerate() {
            if b.load(Relaxed) == 0 {
                b.store(crate::shim::find_irq_stack(cpu), Relaxed);
            }
        }
    }

    /// Hits on IRQ stacks of all functions: the slots' counts summed, with
    /// the deepest of all.
    pub(crate) fn irq_snapshot(&self) -> crate::swcore::cpu_stacks::StackSnapshot {
        let mut g = crate::swcore::cpu_stacks::StackSnapshot::default();
        for s in self.slots.iter() {
            let x = s.irq.snapshot();
            g.hits = g.hits.saturating_add(x.hits);
            for (a, b) in g.over_budget.iter_mut().zip(x.over_budget.iter()) {
                *a = a.saturating_add(*b);
            }
        }
        g.max_used = self.irq_global.snapshot().max_used;
        g
    }

    /// Notes that a kprobe now sits at (`up`) or left (`!up`) `addr`. A
    /// kprobe arriving on a function an ftrace attachment owns takes it
    /// over: from here the ftrace ops' hits on it are skipped; once those
    /// already past that check have returned (a grace period: handlers run
    /// with preemption off), that ownership is released for the kprobe to
    /// claim. A call in
    /// between may go uncounted, none counts twice. Process context.
    pub(crate) fn mark_kprobe(&self, addr: usize, up: bool) {
        if let Some(s) = self
            .slot_index()
            .get_or_insert(addr)
            .and_then(|i| self.slots.get(i))
        {
            if up {
                s.kprobes.fetch_add(1, Relaxed);
                if owner::is_glob(s.owner.load(Relaxed)) {
                    crate::shim::wait_for_handlers();
                    owner::release_glob(&s.owner);
                }
            } else {
                let _ = s
                    .kprobes
                    .fetch_update(Relaxed, Relaxed, |v| v.checked_sub(1));
            }
        }
    }

    /// Releases the slots owned by attachment `id`, whose probe is detached
    /// (its running handlers waited for): the next probe to hit each of its
    /// functions claims it. Process context.
    pub(crate) fn release_owner(&self, id: u64) {
        for s in self.slots.iter() {
            owner::release(&s.owner, id);
        }
    }

    /// What the slots owned by attachment `id` counted.
    pub(crate) fn totals_of(&self, id: u64) -> OwnerTotals {
        let mut t = OwnerTotals::default();
        for s in self.slots.iter().filter(|s| s.owner.load(Relaxed) == id) {
            t.add(&s.totals());
        }
        t
    }

    /// Makes ftrace attachment `id` the owner of those of its functions
    /// (`keys`) that have a slot (a function takes one at its first hit),
    /// no owner and no kprobe: the ftrace ops' hits count whoever owns a
    /// function, so this only says whose row in the `probes` file they add
    /// to. Process context.
    pub(crate) fn assign_owner(&self, id: u64, keys: impl Iterator<Item = usize>) {
        let index = self.slot_index();
        for k in keys {
            if let Some(s) = index.find(k).and_then(|i| self.slots.get(i)) {
                if s.kprobes.load(Relaxed) == 0 {
                    owner::claim(&s.owner, id);
                }
            }
        }
    }

    /// The address → slot index over `keys`.
    pub(crate) fn slot_index(&self) -> SlotIndex<'_> {
        SlotIndex::new(&self.keys, &self.keys_closed)
    }

    /// Reclaims the slots of the functions for which `gone` is true (of a
    /// module going away): their statistics are folded into `unloaded`,
    /// their chains dropped, and their slots free for any function (`fold`
    /// gets each one's owner and counts first); then every frame in
    /// that code, in the chains kept, becomes `frame` (see
    /// `trace::UNLOADED`). Returns how many slots. Process context, under
    /// the probes lock (one caller at a time); no probe may be attached at
    /// any of those functions any more (see `SlotIndex::reclaim`).
    pub(crate) fn reclaim_slots(
        &self,
        gone: impl Fn(usize) -> bool,
        frame: usize,
        mut fold: impl FnMut(u64, OwnerTotals),
    ) -> usize {
        let n = self.slot_index().reclaim(
            &gone,
            |i, _| {
                if let Some(s) = self.slots.get(i) {
                    let snap = s.stats.snapshot();
                    fold(s.owner.load(Relaxed), s.totals());
                    self.unloaded.add_snapshot(&snap);
                    s.reset();
                    s.owner.store(0, Relaxed);
                    s.kprobes.store(0, Relaxed);
                    s.warned_gen.store(0, Relaxed);
                }
                if let Some(t) = self.traces.get(i) {
                    t.reset();
                }
            },
            kernel::sync::rcu::synchronize_rcu,
        );
        for t in Iterator::chain(self.traces.iter(), [&self.global_trace]) {
            // A handler storing a deeper chain at this moment: a few more
            // tries (its chain may hold such frames too).
            for _ in 0..REWRITE_TRIES {
                if t.rewrite_frames(|f| gone(f).then_some(frame)) {
                    break;
                }
                core::hint::spin_loop();
            }
        }
        n
    }

    /// Settings for report headers.
    pub(crate) fn header(&self) -> Header {
        let mut budgets = [0usize; MAX_BUDGETS];
        for (i, b) in budgets.iter_mut().enumerate() {
            *b = self.budgets.get(i);
        }
        Header {
            thread_size: self.thread_size,
            threshold: self.threshold.load(Relaxed),
            budgets,
            enabled: self.enabled.load(Relaxed),
        }
    }

    /// Statistics of all functions together: the slots' counts summed, with
    /// the global maximum.
    pub(crate) fn global_snapshot(&self) -> crate::swcore::stats::Snapshot {
        let mut g = self.unslotted.snapshot();
        g.add(&self.unloaded.snapshot());
        for s in self.slots.iter() {
            if s.stats.hits() != 0 {
                g.add(&s.stats.snapshot());
            }
        }
        g.max_used = g.max_used.max(self.global.stats.max_used());
        g
    }

    /// Bytes of the unwinder's stack ever used, on the CPU that used most
    /// (0 where chains are taken on the current stack); a CPU taking a
    /// chain right now is skipped.
    pub(crate) fn capture_stack_used(&self) -> usize {
        self.scratch
            .iter()
            .filter_map(|s| s.try_with(|space| space.stack.used()))
            .max()
            .unwrap_or(0)
    }

    /// Module-wide counters for reports.
    pub(crate) fn counters(&self) -> Counters {
        let e = &self.events;
        Counters {
            off_stack: e.off_stack.load(Relaxed),
            dropped: e.dropped.load(Relaxed),
            trace_busy: e.trace_busy.load(Relaxed),
            warnings: e.warnings.load(Relaxed),
            warnings_suppressed: e.warnings_suppressed.load(Relaxed),
            unloaded: self.unloaded.hits(),
            slots_used: self.slot_index().in_use() as u64,
        }
    }

    /// Replaces the what-if budgets; the counts taken against the old ones
    /// are zeroed, so none is shown under a size it was not taken against.
    pub(crate) fn set_budgets(&self, new: &[usize; MAX_BUDGETS]) {
        let _serial = self.budgets_change.lock();
        let stats = Iterator::chain(
            self.slots.iter().map(|s| &s.stats),
            [&self.unslotted, &self.unloaded, &self.global.stats],
        );
        // The IRQ-stack counts are zeroed with the others, while no hit
        // counts against any budget.
        let wait = || {
            kernel::sync::rcu::synchronize_rcu();
            for s in self.slots.iter() {
                s.irq.reset_over_budget();
            }
        };
        crate::swcore::stats::rebudget(&self.budgets, new, wait, stats);
    }

    /// Zeroes every statistic and chain; counting goes on.
    pub(crate) fn reset(&self) {
        for s in self.slots.iter() {
            s.reset();
        }
        for t in self.traces.iter() {
            t.reset();
        }
        self.global.reset();
        self.global_trace.reset();
        self.irq_global.reset();
        self.irq_trace.reset();
        self.unslotted.reset();
        self.unloaded.reset();
        let e = &self.events;
        for c in [
            &e.off_stack,
            &e.dropped,
            &e.trace_busy,
            &e.warnings,
            &e.warnings_suppressed,
        ] {
            c.store(0, Relaxed);
        }
        self.warn_limit.reset();
        self.threshold_gen.fetch_add(1, Relaxed);
    }
}
