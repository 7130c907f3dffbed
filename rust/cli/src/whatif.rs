//! What-if budgets: for each configured budget, which probed functions had
//! hits that would have overflowed a stack that small, how often, and along
//! which path of probed functions their deepest chain ran.

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
    s.budgets
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
