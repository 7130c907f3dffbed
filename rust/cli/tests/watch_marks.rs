// SPDX-License-Identifier: MIT OR Apache-2.0
//! `watch` marks exactly the functions whose max_used grew between two
//! refreshes, and new ones.

mod common;

use common::synthetic;
use stackwatch_cli::debugfs::Dir;
use stackwatch_cli::load;
use stackwatch_cli::style::Style;
use stackwatch_cli::watch::Watcher;

#[test]
fn grown_rows_are_marked() {
    let mut s = load::load_summary(&Dir::snapshot(synthetic())).unwrap();
    let mut w = Watcher::default();
    let first = w.screen("x", &s, 1.0, &Style::PLAIN);
    assert!(first.contains("0 grew"));
    assert!(!first.lines().any(|l| l.trim_start().starts_with('+')));

    s.functions[3].max_used += 100;
    let mut extra = s.functions[0].clone();
    extra.name = "brand_new".into();
    s.functions.push(extra);
    let second = w.screen("x", &s, 1.0, &Style::PLAIN);
    assert!(second.contains("2 grew"), "{second}");
    let marked: Vec<&str> = second
        .lines()
        .filter(|l| l.trim_start().starts_with('+'))
        .collect();
    assert_eq!(marked.len(), 2, "{second}");
    assert!(marked[0].contains("submit_bio"));
    assert!(marked[1].contains("brand_new"));

    let third = w.screen("x", &s, 1.0, &Style::PLAIN);
    assert!(third.contains("0 grew"));
}
