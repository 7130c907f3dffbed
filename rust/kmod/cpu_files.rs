// SPDX-License-Identifier: GPL-2.0

//! The debugfs files of the per-CPU stacks (`files.rs` lists them):
//! `cpu_stacks`, every CPU's IRQ and exception stacks read now with the
//! probe hits measured against the IRQ stacks, and `irq_max_trace`, the
//! chain of the deepest of those hits.

use core::fmt;
use kernel::prelude::*;

use crate::files::ChainSymbols;
use crate::shim::{self, KernelSymbols, SYM_LEN};
use crate::state::State;
use crate::swcore::{
    cpu_stacks::{CpuStack, Kind, KINDS},
    stats::Snapshot,
    trace::Trace,
};
use crate::swformat::text::{sort_rows, Row};
use crate::swformat::{cpu_stacks, max_trace};

/// A function-table row of IRQ-stack figures.
fn irq_row(addr: usize, s: &crate::swcore::cpu_stacks::StackSnapshot) -> Row {
    Row {
        addr,
        stats: Snapshot {
            hits: s.hits,
            max_used: s.max_used,
            over_budget: s.over_budget,
            ..Snapshot::default()
        },
    }
}

/// Every CPU's IRQ and exception stacks, read now (IRQ stacks of CPUs not
/// known yet are found first: process context), and the hits on IRQ stacks.
pub(crate) fn read_cpu_stacks(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    st.find_irq_stacks();
    let ncpu = st.irq_stacks.len();
    let mut stacks = KVVec::new();
    let mut buf = shim::chunk_buffer().map_err(|_| fmt::Error)?;
    let mut scratch = KBox::new([0u8; SYM_LEN], GFP_KERNEL).map_err(|_| fmt::Error)?;
    for cpu in 0..ncpu {
        let Ok(id) = u32::try_from(cpu) else {
            break;
        };
        for kind in KINDS {
            let at = if kind == Kind::Irq {
                if st.irq_stack_size == 0 {
                    continue;
                }
                let b = st
                    .irq_stacks
                    .get(cpu)
                    .map_or(0, |b| b.load(core::sync::atomic::Ordering::Relaxed));
                Some((b, st.irq_stack_size))
            } else {
                shim::exception_stack(cpu, kind)
            };
            let Some((begin, size)) = at else {
                continue;
            };
            let mut s = CpuStack::new(id, kind, size);
            if begin != 0 {
                shim::scan(&mut s, begin, &mut buf, &mut scratch);
            }
            stacks.push(s, GFP_KERNEL).map_err(|_| fmt::Error)?;
        }
    }
    let index = st.slot_index();
    let mut rows = KVVec::new();
    for (i, slot) in st.slots.iter().enumerate() {
        let addr = index.key(i);
        if addr != 0 && slot.irq.hits() != 0 {
            rows.push(irq_row(addr, &slot.irq.snapshot()), GFP_KERNEL)
                .map_err(|_| fmt::Error)?;
        }
    }
    sort_rows(&mut rows);
    let m = cpu_stacks::Machine {
        irq_size: st.irq_stack_size,
        cpus: ncpu,
        stacks: &stacks,
    };
    cpu_stacks::write_cpu_stacks(
        f,
        &st.header(),
        &m,
        &rows,
        &irq_row(0, &st.irq_snapshot()),
        &KernelSymbols::new()?,
    )
}

/// The chain of the deepest probe hit on an IRQ stack, in `max_trace`'s
/// layout, measured against the IRQ stack's size.
pub(crate) fn read_irq_max_trace(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let t = KBox::new_uninit(GFP_KERNEL).map_err(|_| fmt::Error)?;
    let mut t = KBox::write(t, Trace::empty());
    let loaded = st.irq_trace.load_into(&mut t);
    let mut h = st.header();
    h.thread_size = st.irq_stack_size;
    max_trace::write_max_trace(f, &h, loaded.then_some(&*t), &ChainSymbols::new(st)?)
}
