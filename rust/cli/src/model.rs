// SPDX-License-Identifier: MIT OR Apache-2.0
//! The contents of a stackwatch directory as owned, serializable values:
//! each file's part as its reader in `stackwatch-format` gives it, kept
//! together for rendering.

use serde::Serialize;
pub use stackwatch_format::budgets::reader::BudgetTotal;
pub use stackwatch_format::cpu_stacks::reader::{CpuStacks, IrqFunction, StackUse};
pub use stackwatch_format::histogram::reader::{Histogram, HistogramRow};
pub use stackwatch_format::max_trace::reader::MaxTrace;
pub use stackwatch_format::probes::reader::Probes;
pub use stackwatch_format::probes::{AttachedProbe, SkippedProbe};
pub use stackwatch_format::summary::reader::{FunctionStats, Settings, Summary};
pub use stackwatch_format::summary::Counters;
pub use stackwatch_format::tasks::reader::{DeepestPoint, Tasks, ThreadUse};
pub use stackwatch_format::traces::reader::{Chain, Frame, SourceLine};

/// Everything read from one directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// Where it was read from.
    pub source: String,
    /// `uname -r` of the kernel, if the snapshot recorded it.
    pub osrelease: Option<String>,
    /// The summary (always present).
    pub summary: Summary,
    /// Per-function chains, deepest function first.
    pub traces: Option<Vec<Chain>>,
    /// The deepest chain overall.
    pub max_trace: Option<MaxTrace>,
    /// Depth histograms.
    pub histogram: Option<Histogram>,
    /// Attached and skipped probes.
    pub probes: Option<Probes>,
    /// Totals per budget.
    pub budgets: Option<Vec<BudgetTotal>>,
    /// Every live thread's deepest point, read off the thread stacks.
    pub tasks: Option<Tasks>,
    /// Every CPU's IRQ and exception stacks, and the hits on IRQ stacks.
    pub cpu_stacks: Option<CpuStacks>,
    /// The deepest chain taken on an IRQ stack.
    pub irq_max_trace: Option<MaxTrace>,
}

impl Snapshot {
    /// Every recorded chain: the per-function chains (deepest function
    /// first), or, without a `traces` file, the deepest chain overall.
    pub fn recorded_chains(&self) -> Vec<&Chain> {
        match (&self.traces, &self.max_trace) {
            (Some(t), _) if !t.is_empty() => t.iter().collect(),
            (_, Some(m)) => m.chain.iter().collect(),
            _ => Vec::new(),
        }
    }

    /// The stored chain of `function`, if any.
    pub fn chain(&self, function: &str) -> Option<&Chain> {
        self.traces
            .as_ref()?
            .iter()
            .find(|c| c.function == function)
    }
}

/// True if `inner` is `outer` cut short: the same frames from the outermost
/// on, ending in a function `outer` passes through.
pub fn contained(inner: &Chain, outer: &Chain) -> bool {
    let (n, m) = (inner.frames.len(), outer.frames.len());
    if n == 0 || n > m {
        return false;
    }
    let tail = &outer.frames[m - n..];
    tail[1..]
        .iter()
        .zip(&inner.frames[1..])
        .all(|(a, b)| a.symbol == b.symbol)
        && tail[0].function == inner.frames[0].function
}

/// True if `inner` was entered from `outer`'s path: its callers (every
/// frame but its first) are the functions of `outer`'s frames at the same
/// depth. Its first frame is `outer`'s own or a sibling called from there.
pub fn entered_from(inner: &Chain, outer: &Chain) -> bool {
    let (n, m) = (inner.frames.len(), outer.frames.len());
    if n == 0 || n > m {
        return false;
    }
    outer.frames[m - n + 1..]
        .iter()
        .zip(&inner.frames[1..])
        .all(|(a, b)| a.function == b.function)
}

/// The first `n` distinct paths among `chains` (deepest first), each with
/// the functions whose chains `same` puts on it, named instead of repeated.
pub fn distinct_paths<'a>(
    chains: &[&'a Chain],
    n: usize,
    same: fn(&Chain, &Chain) -> bool,
) -> Vec<(&'a Chain, Vec<&'a str>)> {
    let mut shown: Vec<(&Chain, Vec<&str>)> = Vec::new();
    for c in chains {
        if let Some(s) = shown.iter_mut().find(|(o, _)| same(c, o)) {
            s.1.push(&c.function);
        } else if shown.len() < n {
            shown.push((c, Vec::new()));
        }
    }
    shown
}

/// Percentage of `part` in `whole` (0 if `whole` is 0).
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}
