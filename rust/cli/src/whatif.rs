// SPDX-License-Identifier: MIT OR Apache-2.0
//! What-if budgets: for each configured budget, which probed functions had
//! hits that would have overflowed a stack that small, how often, and along
//! which path of probed functions their deepest chain ran; and the verdict,
//! from the best measure there is: the deepest point a thread's stack
//! reached (the `tasks` file) when the snapshot has it, else the deepest
//! probe entry, which misses what runs below the probes.

use crate::model::Snapshot;
use serde::Serialize;
use std::collections::HashSet;

/// One function's would-be overflows of a budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Overflow {
    /// The probed function.
    pub function: String,
    /// Hits that would have overflowed.
    pub count: u64,
    /// Probed functions on its deepest chain, outermost first, ending
    /// with the function itself.
    pub path: Vec<String>,
}

/// One budget and the functions that would have overflowed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Budget {
    /// Budget, bytes.
    pub budget: u64,
    /// Hits in all that would have overflowed it.
    pub total: u64,
    /// Functions with such hits, most first.
    pub functions: Vec<Overflow>,
    /// Whether the deepest use seen fits in the budget, and by which measure.
    pub verdict: Verdict,
}

/// Where the deepest use comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// A thread stack's lowest written word: the deepest point it reached,
    /// leaves, interrupts and the scheduler included.
    ThreadStack,
    /// The stack at the entry of a probed function: what runs below the
    /// probes is not seen.
    ProbeEntry,
}

/// The verdict for one budget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The deepest use seen, bytes.
    pub deepest: u64,
    /// Which measure gave it.
    pub measure: Measure,
    /// The thread (`comm`, pid) or probed function where it was seen.
    pub at: String,
    /// `deepest <= budget`.
    pub fits: bool,
}

/// The deepest use a snapshot shows: the deepest thread stack if the
/// snapshot has the `tasks` file and it is deeper than every probe entry
/// (it always is, unless that thread has exited), else the deepest entry.
pub fn deepest(snap: &Snapshot) -> (u64, Measure, String) {
    let entry = snap.summary.all.max_used;
    let entry_at = snap
        .summary
        .functions
        .first()
        .map(|f| f.name.clone())
        .unwrap_or_default();
    match snap.tasks.as_ref().and_then(|t| t.rows.first()) {
        Some(t) if t.used >= entry => (
            t.used,
            Measure::ThreadStack,
            format!("{} (pid {})", t.comm, t.pid),
        ),
        _ => (entry, Measure::ProbeEntry, entry_at),
    }
}

/// The probed functions on `function`'s deepest chain, outermost first.
pub fn probed_path(snap: &Snapshot, function: &str) -> Vec<String> {
    let probed: HashSet<&str> = snap
        .summary
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let mut path: Vec<String> = Vec::new();
    if let Some(chain) = snap.chain(function) {
        for f in chain.frames.iter().skip(1).rev() {
            let name = f.function.as_str();
            if probed.contains(name)
                && name != function
                && path.last().map(String::as_str) != Some(name)
            {
                path.push(name.to_string());
            }
        }
    }
    path.push(function.to_string());
    path
}

/// `a -> b -> ... -> y -> z`, keeping `keep` names at each end.
pub fn abbreviate(path: &[String], keep: usize) -> String {
    if path.len() <= 2 * keep + 1 {
        return path.join(" -> ");
    }
    let head = path.iter().take(keep);
    let tail = path.iter().skip(path.len() - keep);
    head.map(String::as_str)
        .chain(std::iter::once("..."))
        .chain(tail.map(String::as_str))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// Every configured budget with the functions that would have overflowed it.
pub fn budgets(snap: &Snapshot) -> Vec<Budget> {
    let s = &snap.summary;
    let (deepest, measure, at) = deepest(snap);
    s.settings
        .budgets
        .iter()
        .enumerate()
        .map(|(i, &budget)| {
            let total = snap
                .budgets
                .as_ref()
                .and_then(|b| b.iter().find(|t| t.budget == budget))
                .map(|t| t.over)
                .or_else(|| s.all.over_budget.get(i).copied())
                .unwrap_or(0);
            let mut functions: Vec<Overflow> = s
                .functions
                .iter()
                .filter_map(|f| {
                    let count = f.over_budget.get(i).copied().unwrap_or(0);
                    (count > 0).then(|| Overflow {
                        function: f.name.clone(),
                        count,
                        path: probed_path(snap, &f.name),
                    })
                })
                .collect();
            functions.sort_by(|a, b| b.count.cmp(&a.count).then(a.function.cmp(&b.function)));
            Budget {
                budget,
                total,
                functions,
                verdict: Verdict {
                    deepest,
                    measure,
                    at: at.clone(),
                    fits: deepest <= budget,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_paths_are_abbreviated() {
        let p: Vec<String> = ["a", "b", "c", "d", "e", "f"].map(String::from).to_vec();
        assert_eq!(abbreviate(&p, 2), "a -> b -> ... -> e -> f");
        assert_eq!(abbreviate(&p[..5], 2), "a -> b -> c -> d -> e");
        assert_eq!(abbreviate(&p[..1], 2), "a");
    }
}
