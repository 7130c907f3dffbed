// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a real node_exporter served from `stackwatch export --textfile`
//! against the snapshot it was made from: every stackwatch sample is there
//! with its labels and value, and the values are the snapshot's own. Runs
//! when `STACKWATCH_LIVE_SCRAPE` (the scraped `/metrics`) and
//! `STACKWATCH_LIVE_SNAPSHOT` are set: tests/host/prometheus.sh sets them
//! and requires the "served by node_exporter" line this prints.

use stackwatch_cli::debugfs::Dir;
use stackwatch_cli::{load, prometheus};

#[test]
fn node_exporter_serves_the_snapshot() {
    let (Some(scrape), Some(snap)) = (
        std::env::var_os("STACKWATCH_LIVE_SCRAPE"),
        std::env::var_os("STACKWATCH_LIVE_SNAPSHOT"),
    ) else {
        println!("note: STACKWATCH_LIVE_SCRAPE/SNAPSHOT not set; live check skipped");
        return;
    };
    let served = prometheus::parse(&std::fs::read_to_string(scrape).unwrap()).unwrap();
    let summary = load::load_summary(&Dir::snapshot(snap)).unwrap();
    let exported = prometheus::parse(&prometheus::render(&summary)).unwrap();
    assert!(exported.len() > 10);

    let ours: Vec<_> = served
        .iter()
        .filter(|s| s.name.starts_with("stackwatch_"))
        .collect();
    assert_eq!(ours.len(), exported.len(), "every sample, none more");
    for e in &exported {
        let s = ours
            .iter()
            .find(|s| s.name == e.name && s.labels == e.labels)
            .unwrap_or_else(|| panic!("not served: {} {:?}", e.name, e.labels));
        assert_eq!(s.value, e.value, "{} {:?}", e.name, e.labels);
    }

    // The values are the snapshot's, read from its summary file.
    let value = |name: &str, function: &str| {
        ours.iter()
            .find(|s| {
                s.name == name && s.labels.get("function").map(String::as_str) == Some(function)
            })
            .map(|s| s.value)
    };
    assert_eq!(
        value("stackwatch_max_used_bytes", "(all)"),
        Some(summary.all.max_used as f64)
    );
    for f in &summary.functions {
        assert_eq!(
            value("stackwatch_min_remaining_bytes", &f.name),
            Some(f.min_remaining as f64),
            "{}",
            f.name
        );
        assert_eq!(value("stackwatch_hits_total", &f.name), Some(f.hits as f64));
    }
    let thread_size = ours
        .iter()
        .find(|s| s.name == "stackwatch_thread_size_bytes")
        .map(|s| s.value);
    assert_eq!(thread_size, Some(summary.settings.thread_size as f64));
    // The collector read the file without error.
    let errors = served
        .iter()
        .find(|s| s.name == "node_textfile_scrape_error")
        .map(|s| s.value);
    assert_eq!(errors, Some(0.0));
    println!(
        "{} stackwatch samples served by node_exporter, equal to the snapshot's \
         ({} functions, max_used {} of {})",
        ours.len(),
        summary.functions.len(),
        summary.all.max_used,
        summary.settings.thread_size
    );
}
