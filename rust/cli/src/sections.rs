// SPDX-License-Identifier: MIT OR Apache-2.0
//! Which parts `report` prints, as a flag set (`load` reads the files they are
//! made from).

use bitflags::bitflags;
use clap::ValueEnum;

bitflags! {
    /// Parts of the report.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Sections: u16 {
        /// Per-function table, deepest first.
        const TABLE = 1 << 0;
        /// The deepest call chains.
        const CHAINS = 1 << 1;
        /// What-if budgets.
        const BUDGETS = 1 << 2;
        /// The deepest chain overall (`max_trace`).
        const MAX_TRACE = 1 << 3;
        /// Depth histograms.
        const HISTOGRAM = 1 << 4;
        /// Attached and skipped probes.
        const PROBES = 1 << 5;
        /// Module counters.
        const COUNTERS = 1 << 6;
        /// The deepest thread stacks (`tasks`).
        const TASKS = 1 << 7;
        /// The per-CPU IRQ and exception stacks (`cpu_stacks`,
        /// `irq_max_trace`).
        const CPU_STACKS = 1 << 8;
    }
}

impl Sections {
    /// What `report` prints when not told otherwise.
    pub const DEFAULT: Sections = Sections::TABLE
        .union(Sections::CHAINS)
        .union(Sections::BUDGETS)
        .union(Sections::TASKS)
        .union(Sections::CPU_STACKS)
        .union(Sections::PROBES)
        .union(Sections::COUNTERS);
}

/// A section named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Section {
    /// Per-function table.
    Table,
    /// Deepest call chains.
    Chains,
    /// What-if budgets.
    Budgets,
    /// Deepest chain overall.
    MaxTrace,
    /// Depth histograms.
    Histogram,
    /// Probes.
    Probes,
    /// Counters.
    Counters,
    /// Deepest thread stacks.
    Tasks,
    /// Per-CPU IRQ and exception stacks.
    CpuStacks,
    /// Everything.
    All,
}

impl From<Section> for Sections {
    fn from(s: Section) -> Sections {
        match s {
            Section::Table => Sections::TABLE,
            Section::Chains => Sections::CHAINS,
            Section::Budgets => Sections::BUDGETS,
            Section::MaxTrace => Sections::MAX_TRACE,
            Section::Histogram => Sections::HISTOGRAM,
            Section::Probes => Sections::PROBES,
            Section::Counters => Sections::COUNTERS,
            Section::Tasks => Sections::TASKS,
            Section::CpuStacks => Sections::CPU_STACKS,
            Section::All => Sections::all(),
        }
    }
}

/// The set named by a list; the default set for an empty list.
pub fn from_list(list: &[Section]) -> Sections {
    if list.is_empty() {
        return Sections::DEFAULT;
    }
    list.iter()
        .fold(Sections::empty(), |acc, s| acc | Sections::from(*s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_fold_into_flags() {
        assert_eq!(from_list(&[]), Sections::DEFAULT);
        assert_eq!(
            from_list(&[Section::Table, Section::Histogram]),
            Sections::TABLE | Sections::HISTOGRAM
        );
        assert_eq!(from_list(&[Section::All]), Sections::all());
        assert!(!Sections::DEFAULT.contains(Sections::HISTOGRAM));
    }
}
