// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch diff A B`: what got deeper between two snapshots, per
//! function: max_used in A and B and the change, largest growth first.

use crate::model::Summary;
use crate::style::{Paint, Style};
use crate::text_table::{Align, TextTable};
use serde::Serialize;
use std::collections::BTreeSet;

/// One function's change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Function name.
    pub function: String,
    /// max_used in A (None: not hit in A).
    pub max_used_a: Option<u64>,
    /// max_used in B (None: not hit in B).
    pub max_used_b: Option<u64>,
    /// B minus A, a missing side counting as 0.
    pub delta: i64,
    /// Hits in A.
    pub hits_a: u64,
    /// Hits in B.
    pub hits_b: u64,
}

fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// The changes, largest growth first, then by name.
pub fn diff(a: &Summary, b: &Summary) -> Vec<Change> {
    let names: BTreeSet<&str> = a
        .functions
        .iter()
        .chain(&b.functions)
        .map(|f| f.name.as_str())
        .collect();
    let mut out: Vec<Change> = names
        .into_iter()
        .map(|n| {
            let fa = a.function(n);
            let fb = b.function(n);
            let ua = fa.map(|f| f.max_used);
            let ub = fb.map(|f| f.max_used);
            Change {
                function: n.to_string(),
                max_used_a: ua,
                max_used_b: ub,
                delta: signed(ub.unwrap_or(0)).saturating_sub(signed(ua.unwrap_or(0))),
                hits_a: fa.map_or(0, |f| f.hits),
                hits_b: fb.map_or(0, |f| f.hits),
            }
        })
        .collect();
    out.sort_by(|x, y| y.delta.cmp(&x.delta).then(x.function.cmp(&y.function)));
    out
}

/// The overall change (the `(all)` rows).
pub fn overall(a: &Summary, b: &Summary) -> Change {
    Change {
        function: a.all.name.clone(),
        max_used_a: Some(a.all.max_used),
        max_used_b: Some(b.all.max_used),
        delta: signed(b.all.max_used).saturating_sub(signed(a.all.max_used)),
        hits_a: a.all.hits,
        hits_b: b.all.hits,
    }
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// The changes as a table.
pub fn render(a_name: &str, b_name: &str, a: &Summary, b: &Summary, st: &Style) -> String {
    let mut out = st.heading(&format!("stackwatch diff: {a_name} -> {b_name}"));
    out.push('\n');
    if a.settings.thread_size != b.settings.thread_size {
        out.push_str(&format!(
            "note: thread_size differs ({} -> {})\n",
            a.settings.thread_size, b.settings.thread_size
        ));
    }
    let mut t = TextTable::new(
        &["FUNCTION"],
        &["MAX_USED_A", "MAX_USED_B", "DELTA", "HITS_A", "HITS_B"],
    )
    .column("NOTE", Align::Left);
    let changes = diff(a, b);
    for c in changes.iter().chain(std::iter::once(&overall(a, b))) {
        let note = match (c.max_used_a, c.max_used_b) {
            (None, Some(_)) => "new",
            (Some(_), None) => "gone",
            _ if c.delta > 0 => "deeper",
            _ => "",
        };
        let paint = match () {
            _ if c.function == a.all.name => Paint::Bold,
            _ if c.delta > 0 => Paint::Red,
            _ if c.delta < 0 => Paint::Green,
            _ => Paint::Plain,
        };
        t.row(
            vec![
                c.function.clone(),
                opt(c.max_used_a),
                opt(c.max_used_b),
                format!("{:+}", c.delta),
                c.hits_a.to_string(),
                c.hits_b.to_string(),
                note.to_string(),
            ],
            paint,
        );
    }
    out.push_str(&t.render(st, "  "));
    out
}

/// Diff document for `--json`.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    /// First snapshot.
    pub a: &'a str,
    /// Second snapshot.
    pub b: &'a str,
    /// Per function, largest growth first.
    pub functions: Vec<Change>,
    /// The `(all)` rows.
    pub all: Change,
}
