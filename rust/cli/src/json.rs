// SPDX-License-Identifier: MIT OR Apache-2.0
//! The report for machines: the same sections as the text report, as JSON.
//! Chains are all included (not only the deepest few).

use crate::model::{
    percent, BudgetTotal, Chain, Counters, CpuStacks, FunctionStats, Histogram, Probes, Settings,
    Snapshot, Summary, Tasks,
};
use crate::sections::Sections;
use crate::whatif;
use serde::Serialize;
use std::collections::BTreeMap;

/// One function's row with derived values.
#[derive(Debug, Serialize)]
pub struct FunctionRow<'a> {
    /// Function name, or `(all)`.
    pub name: &'a str,
    /// On-stack hits.
    pub hits: u64,
    /// Deepest use, bytes.
    pub max_used: u64,
    /// Fewest bytes left.
    pub min_remaining: u64,
    /// `max_used` as a percentage of THREAD_SIZE, one decimal.
    pub used_percent: f64,
    /// Hits below the threshold.
    pub below_threshold: u64,
    /// Budget (bytes, as a string key) to would-be overflows.
    pub over_budget: BTreeMap<String, u64>,
}

/// The JSON document of `report --json`.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Where the data came from.
    pub source: &'a str,
    /// Kernel release, if recorded.
    pub osrelease: Option<&'a str>,
    /// THREAD_SIZE, threshold, whether probes were counting, budgets.
    #[serde(flatten)]
    pub settings: &'a Settings,
    /// Functions, deepest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub functions: Option<Vec<FunctionRow<'a>>>,
    /// The `(all)` row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<FunctionRow<'a>>,
    /// Deepest chain of each function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chains: Option<&'a [Chain]>,
    /// Deepest chain overall.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_trace: Option<&'a Chain>,
    /// What-if budgets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_if: Option<Vec<whatif::Budget>>,
    /// The `budgets` file's rows: per budget, the hits over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget_totals: Option<&'a [BudgetTotal]>,
    /// The deepest thread stacks (`tasks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tasks: Option<&'a Tasks>,
    /// The per-CPU IRQ and exception stacks (`cpu_stacks`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_stacks: Option<&'a CpuStacks>,
    /// The deepest chain on an IRQ stack (`irq_max_trace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub irq_max_trace: Option<&'a Chain>,
    /// Histograms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histogram: Option<&'a Histogram>,
    /// Probes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probes: Option<&'a Probes>,
    /// Counters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counters: Option<&'a Counters>,
}

fn row<'a>(s: &Summary, f: &'a FunctionStats) -> FunctionRow<'a> {
    FunctionRow {
        name: &f.name,
        hits: f.hits,
        max_used: f.max_used,
        min_remaining: f.min_remaining,
        used_percent: (percent(f.max_used, s.settings.thread_size) * 10.0).round() / 10.0,
        below_threshold: f.below_threshold,
        over_budget: s
            .settings
            .budgets
            .iter()
            .zip(&f.over_budget)
            .map(|(b, n)| (b.to_string(), *n))
            .collect(),
    }
}

/// The report document for the chosen sections.
pub fn report(snap: &Snapshot, sections: Sections) -> Report<'_> {
    let s = &snap.summary;
    let on = |f: Sections| sections.contains(f);
    Report {
        source: &snap.source,
        osrelease: snap.osrelease.as_deref(),
        settings: &s.settings,
        functions: on(Sections::TABLE).then(|| s.functions.iter().map(|f| row(s, f)).collect()),
        all: on(Sections::TABLE).then(|| row(s, &s.all)),
        chains: on(Sections::CHAINS)
            .then_some(snap.traces.as_deref())
            .flatten(),
        max_trace: on(Sections::MAX_TRACE)
            .then(|| snap.max_trace.as_ref().and_then(|m| m.chain.as_ref()))
            .flatten(),
        what_if: on(Sections::BUDGETS).then(|| whatif::budgets(snap)),
        budget_totals: on(Sections::BUDGETS)
            .then_some(snap.budgets.as_deref())
            .flatten(),
        tasks: on(Sections::TASKS).then_some(snap.tasks.as_ref()).flatten(),
        cpu_stacks: on(Sections::CPU_STACKS)
            .then_some(snap.cpu_stacks.as_ref())
            .flatten(),
        irq_max_trace: on(Sections::CPU_STACKS)
            .then(|| snap.irq_max_trace.as_ref().and_then(|m| m.chain.as_ref()))
            .flatten(),
        histogram: on(Sections::HISTOGRAM)
            .then_some(snap.histogram.as_ref())
            .flatten(),
        probes: on(Sections::PROBES)
            .then_some(snap.probes.as_ref())
            .flatten(),
        counters: on(Sections::COUNTERS).then_some(&s.counters),
    }
}

/// The report as pretty-printed JSON text, with a final newline.
pub fn to_string(snap: &Snapshot, sections: Sections) -> String {
    let mut s = serde_json::to_string_pretty(&report(snap, sections))
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
