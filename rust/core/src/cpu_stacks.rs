// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The per-CPU stacks beside the threads' (x86_64): the IRQ stack, on which
//! hard interrupts and, through `do_softirq_own_stack()`, softirqs run, and
//! the exception stacks (NMI, #DB, #MC, #DF; #VC only under SEV-ES). Their
//! deepest point (for the `cpu_stacks` file; its text: the format crate's
//! `cpu_stacks.rs`) and the probe hits measured against them.
//!
//! Both live in static per-CPU memory (7.3 `arch/x86/kernel/irq_64.c`:
//! `irq_stack_backing_store`; `arch/x86/mm/cpu_entry_area.c`:
//! `exception_stacks`, mapped into each CPU's entry area), zeroed at boot and
//! never cleared. So, as on a thread's stack (`stack_scan`), the lowest
//! non-zero word is the deepest point the stack reached since boot, and it
//! never moves back up. These stacks have no canary: every word counts.

use super::budget_sizes::{Budgets, MAX_BUDGETS};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

/// Which per-CPU stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Hard interrupts and softirqs.
    Irq,
    /// Double fault.
    Df,
    /// Non-maskable interrupt.
    Nmi,
    /// Debug exception.
    Db,
    /// Machine check.
    Mce,
    /// SEV-ES #VC.
    Vc,
    /// The #VC fallback stack.
    Vc2,
}

/// Every kind, in the order the file lists them for each CPU (the exception
/// stacks in the kernel's `exception_stack_names` order).
pub const KINDS: [Kind; 7] = [
    Kind::Irq,
    Kind::Df,
    Kind::Nmi,
    Kind::Db,
    Kind::Mce,
    Kind::Vc,
    Kind::Vc2,
];

impl Kind {
    /// The name the kernel's `stack_type_name()` gives it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Irq => "IRQ",
            Kind::Df => "#DF",
            Kind::Nmi => "NMI",
            Kind::Db => "#DB",
            Kind::Mce => "#MC",
            Kind::Vc => "#VC",
            Kind::Vc2 => "#VC2",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<Kind> {
        KINDS.iter().copied().find(|k| k.name() == name)
    }

    /// Its index in [`KINDS`]; the C shim's `sw_cpu_stack()` takes it.
    pub fn index(self) -> usize {
        KINDS.iter().position(|&k| k == self).unwrap_or(0)
    }
}

/// The lowest non-zero word of a stack of `words` words (`words` if none
/// was ever written), read `buf.len()` words at a time from the bottom by
/// `read(first, chunk)`; none if a read failed (or `buf` is empty).
pub fn lowest_written(
    words: usize,
    buf: &mut [usize],
    mut read: impl FnMut(usize, &mut [usize]) -> bool,
) -> Option<usize> {
    let mut first = 0;
    while first < words {
        let n = buf.len().min(words.saturating_sub(first));
        let chunk = buf.get_mut(..n)?;
        if n == 0 || !read(first, chunk) {
            return None;
        }
        if let Some(k) = chunk.iter().position(|&w| w != 0) {
            return Some(first.saturating_add(k));
        }
        first = first.saturating_add(n);
    }
    Some(words)
}

/// Probe hits measured against a per-CPU stack (one function's, or all
/// functions' maximum): how many, the deepest, and how many would not have
/// fitted each what-if budget. Lock-free, never panics.
#[repr(C)]
pub struct StackStats {
    hits: AtomicU64,
    max_used: AtomicUsize,
    over_budget: [AtomicU64; MAX_BUDGETS],
}

/// A plain copy of [`StackStats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackSnapshot {
    /// Hits on the stack.
    pub hits: u64,
    /// Deepest use seen, bytes from the stack's top.
    pub max_used: usize,
    /// Hits deeper than each budget.
    pub over_budget: [u64; MAX_BUDGETS],
}

impl StackStats {
    /// Nothing counted.
    pub const fn new() -> Self {
        StackStats {
            hits: AtomicU64::new(0),
            max_used: AtomicUsize::new(0),
            over_budget: [const { AtomicU64::new(0) }; MAX_BUDGETS],
        }
    }

    /// Counts a hit `used` bytes deep; true if it is the deepest yet.
    pub fn record(&self, used: usize, budgets: &Budgets) -> bool {
        self.hits.fetch_add(1, Relaxed);
        if used > budgets.smallest() {
            for (i, c) in self.over_budget.iter().enumerate() {
                let b = budgets.get(i);
                if b != 0 && used > b {
                    c.fetch_add(1, Relaxed);
                }
            }
        }
        self.note_max(used)
    }

    /// Raises the maximum to `used`; true if that is a new maximum.
    pub fn note_max(&self, used: usize) -> bool {
        used > self.max_used.load(Relaxed) && self.max_used.fetch_max(used, Relaxed) < used
    }

    /// Hits so far.
    pub fn hits(&self) -> u64 {
        self.hits.load(Relaxed)
    }

    /// A copy for reporting.
    pub fn snapshot(&self) -> StackSnapshot {
        let mut s = StackSnapshot {
            hits: self.hits.load(Relaxed),
            max_used: self.max_used.load(Relaxed),
            ..StackSnapshot::default()
        };
        for (d, c) in s.over_budget.iter_mut().zip(self.over_budget.iter()) {
            *d = c.load(Relaxed);
        }
        s
    }

    /// Zeroes everything.
    pub fn reset(&self) {
        self.hits.store(0, Relaxed);
        self.max_used.store(0, Relaxed);
        self.reset_over_budget();
    }

    /// Zeroes the over-budget counts only (the budgets changed).
    pub fn reset_over_budget(&self) {
        for c in &self.over_budget {
            c.store(0, Relaxed);
        }
    }
}

impl Default for StackStats {
    fn default() -> Self {
        Self::new()
    }
}

/// One per-CPU stack as read: where it is not mapped (a #VC stack without
/// SEV-ES) or could not be read, `used` is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuStack {
    /// The CPU.
    pub cpu: u32,
    /// Which stack.
    pub kind: Kind,
    /// Its size in bytes.
    pub size: usize,
    /// Deepest use since boot, bytes from the top (none: not readable).
    pub used: Option<usize>,
    /// Return addresses just above the deepest point, innermost first.
    pub frames: [usize; super::stack_scan::POINT_FRAMES],
    /// How many of `frames` are set.
    pub nframes: usize,
}

impl CpuStack {
    /// A stack not read yet.
    pub const fn new(cpu: u32, kind: Kind, size: usize) -> Self {
        CpuStack {
            cpu,
            kind,
            size,
            used: None,
            frames: [0; super::stack_scan::POINT_FRAMES],
            nframes: 0,
        }
    }

    /// The frames found.
    pub fn frames(&self) -> &[usize] {
        self.frames.get(..self.nframes).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in KINDS {
            assert_eq!(Kind::from_name(k.name()), Some(k));
            assert_eq!(KINDS[k.index()], k);
        }
        assert_eq!(Kind::from_name("TASK"), None);
    }

    #[test]
    fn lowest_written_counts_every_word() {
        let read_from = |st: &'static [usize]| {
            move |first: usize, c: &mut [usize]| {
                c.copy_from_slice(&st[first..first + c.len()]);
                true
            }
        };
        // No canary: a stack written at word 0 is used whole.
        for chunk in [1, 2, 3, 8] {
            let mut buf = std::vec![0usize; chunk];
            assert_eq!(
                lowest_written(4, &mut buf, read_from(&[1, 0, 0, 0])),
                Some(0)
            );
            assert_eq!(
                lowest_written(4, &mut buf, read_from(&[0, 0, 5, 0])),
                Some(2)
            );
            assert_eq!(
                lowest_written(5, &mut buf, read_from(&[0, 0, 0, 0, 9])),
                Some(4)
            );
            assert_eq!(lowest_written(4, &mut buf, read_from(&[0; 4])), Some(4));
        }
        // A failed read, or no buffer: no answer.
        assert_eq!(lowest_written(4, &mut [0; 2], |f, _| f == 0), None);
        assert_eq!(lowest_written(4, &mut [], |_, _| true), None);
    }

    #[test]
    fn stats_count_maximum_and_budgets() {
        let b = Budgets::with_sizes(&[8192, 4096, 0, 0]);
        let s = StackStats::new();
        assert!(s.record(5000, &b));
        assert!(!s.record(3000, &b));
        assert!(s.record(9000, &b));
        let snap = s.snapshot();
        assert_eq!((snap.hits, snap.max_used), (3, 9000));
        assert_eq!(snap.over_budget, [1, 2, 0, 0]);
        s.reset();
        assert_eq!(s.snapshot(), StackSnapshot::default());
    }
}
