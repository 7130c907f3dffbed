// SPDX-License-Identifier: MIT OR Apache-2.0
//! Every snapshot under tests/fixtures/snapshots/ (the synthetic one and any
//! recorded from the module later) parses and renders: text, JSON and
//! Prometheus. The synthetic one is also checked value by value.

mod common;

use common::{snapshots_dir, synthetic};
use stackwatch_cli::debugfs::Dir;
use stackwatch_cli::model::Snapshot;
use stackwatch_cli::sections::Sections;
use stackwatch_cli::style::Style;
use stackwatch_cli::text_report::{self, Options};
use stackwatch_cli::{json, load, prometheus, whatif};

fn all_snapshots() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(snapshots_dir())
        .expect("tests/fixtures/snapshots exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Checks that hold for any file the module writes.
fn check_invariants(name: &str, snap: &Snapshot) {
    let s = &snap.summary;
    assert!(s.settings.thread_size > 0, "{name}");
    for f in &s.functions {
        assert!(f.hits > 0, "{name}: {} listed without hits", f.name);
        assert_eq!(
            f.min_remaining,
            s.settings.thread_size.saturating_sub(f.max_used),
            "{name}: {}",
            f.name
        );
        assert_eq!(
            f.over_budget.len(),
            s.settings.budgets.len(),
            "{name}: {}",
            f.name
        );
    }
    for w in s.functions.windows(2) {
        assert!(
            w[0].max_used >= w[1].max_used,
            "{name}: rows not deepest first"
        );
    }
    if let Some(traces) = &snap.traces {
        for c in traces {
            assert_eq!(
                c.used + c.remaining,
                s.settings.thread_size,
                "{name}: {}",
                c.function
            );
            assert_eq!(
                c.frames.iter().map(|f| f.size).sum::<u64>(),
                c.used,
                "{name}: {}",
                c.function
            );
        }
    }
    if let Some(h) = &snap.histogram {
        assert_eq!(h.bounds.len(), 32, "{name}");
        assert_eq!(
            h.rows.last().map(|r| r.name.as_str()),
            Some("(all)"),
            "{name}"
        );
    }
}

fn check_prometheus(name: &str, text: &str) {
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split(' ');
            let metric = it.next().unwrap();
            assert!(
                matches!(it.next(), Some("gauge" | "counter")),
                "{name}: {line}"
            );
            typed.insert(metric.to_string());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect(line);
        value
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{name}: bad value in {line}"));
        let metric = series.split('{').next().unwrap();
        assert!(
            typed.contains(metric),
            "{name}: {metric} sample before its # TYPE"
        );
        assert!(
            metric
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "{name}: {metric}"
        );
        if let Some(labels) = series.strip_prefix(metric) {
            if !labels.is_empty() {
                assert!(
                    labels.starts_with('{') && labels.ends_with('}'),
                    "{name}: {line}"
                );
            }
        }
    }
    for m in [
        "stackwatch_max_used_bytes",
        "stackwatch_min_remaining_bytes",
        "stackwatch_hits_total",
        "stackwatch_budget_overflows_total",
    ] {
        assert!(typed.contains(m), "{name}: no {m}");
    }
}

#[test]
fn every_snapshot_parses_and_renders() {
    let dirs = all_snapshots();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let name = dir.display().to_string();
        let snap = load::load(&Dir::snapshot(&dir)).unwrap_or_else(|e| panic!("{name}: {e}"));
        check_invariants(&name, &snap);
        let text = plain(&snap, Sections::all(), usize::MAX);
        assert!(text.contains("FUNCTION"), "{name}");
        let v: serde_json::Value =
            serde_json::from_str(&json::to_string(&snap, Sections::all())).unwrap();
        assert_eq!(
            v["thread_size"], snap.summary.settings.thread_size,
            "{name}"
        );
        check_prometheus(&name, &prometheus::render(&snap.summary));
        println!("{name}: {} functions", snap.summary.functions.len());
    }
}

#[test]
fn synthetic_values() {
    let snap = load::load(&Dir::snapshot(synthetic())).unwrap();
    let s = &snap.summary;
    assert_eq!(
        (
            s.settings.thread_size,
            s.settings.threshold,
            s.settings.enabled
        ),
        (16384, 1024, true)
    );
    assert_eq!(s.settings.budgets, [4096, 8192]);
    assert_eq!(s.functions.len(), 17);
    let top = &s.functions[0];
    assert_eq!(
        (
            top.name.as_str(),
            top.hits,
            top.max_used,
            top.min_remaining,
            top.below_threshold
        ),
        ("virtio_queue_rq", 48211, 15488, 896, 3)
    );
    assert_eq!(top.over_budget, [39113, 15659]);
    assert_eq!(s.all.hits, s.functions.iter().map(|f| f.hits).sum::<u64>());
    assert_eq!(s.all.max_used, 15488);
    assert_eq!(s.counters.off_stack, 13);
    assert_eq!(s.counters.warnings_suppressed, 1);
    assert_eq!(
        snap.osrelease.as_deref(),
        Some("6.12.0-stackwatch-synthetic")
    );

    let traces = snap.traces.as_ref().unwrap();
    assert_eq!(traces.len(), 17);
    let c = snap.chain("virtio_queue_rq").unwrap();
    assert_eq!((c.pid, c.comm.as_str(), c.frames.len()), (1873, "nfsd", 40));
    assert_eq!(c.frames[0].symbol, "virtio_queue_rq+0x4/0x3c0 [virtio_blk]");
    assert_eq!(c.frames[0].module.as_deref(), Some("virtio_blk"));
    assert_eq!(c.frames[0].offset, Some(4));
    assert_eq!(c.frames[1].function, "blk_mq_dispatch_rq_list");

    let m = snap.max_trace.as_ref().unwrap().chain.as_ref().unwrap();
    assert_eq!(m, c, "max_trace is the deepest function's chain");

    let h = snap.histogram.as_ref().unwrap();
    for (row, f) in h.rows.iter().zip(s.functions.iter().chain([&s.all])) {
        assert_eq!(row.name, f.name);
        assert_eq!(row.counts.iter().sum::<u64>(), f.hits, "{}", f.name);
    }
    let p = snap.probes.as_ref().unwrap();
    assert_eq!((p.attached.len(), p.skipped.len()), (15, 2));
    assert_eq!(p.skipped[0].errno, -2);
    assert_eq!(snap.budgets.as_ref().unwrap()[1].over, s.all.over_budget[1]);

    let b = whatif::budgets(&snap);
    assert_eq!(b[1].budget, 8192);
    assert_eq!(b[1].total, 57616);
    assert_eq!(b[1].functions[0].function, "virtio_queue_rq");
    assert_eq!(b[1].functions[0].count, 15659);
    assert_eq!(
        b[1].functions[0].path.first().map(String::as_str),
        Some("nfsd_dispatch")
    );
    assert_eq!(
        b[1].functions[0].path.last().map(String::as_str),
        Some("virtio_queue_rq")
    );
}

#[test]
fn synthetic_report_text() {
    let snap = load::load(&Dir::snapshot(synthetic())).unwrap();
    let text = plain(&snap, Sections::DEFAULT, 1);
    let lines: Vec<&str> = text.lines().collect();
    let head = lines.iter().position(|l| l.contains("FUNCTION")).unwrap();
    assert!(lines[head + 1].trim_start().starts_with("virtio_queue_rq"));
    assert!(lines[head + 1].contains("94.5"));
    assert!(text.contains("Deepest chains (1 distinct path; 17 functions have a chain)"));
    assert!(text.contains("   15488       0  virtio_queue_rq+0x4/0x3c0 [virtio_blk]"));
    assert!(text.contains(
        "would overflow 8192: 57616 hits in all\n    verdict: does not fit — deepest 15488 bytes, at the entry of a probed function (what runs below is not seen), virtio_queue_rq\n    nfsd_dispatch -> nfsd4_proc_compound -> ... -> blk_mq_submit_bio -> virtio_queue_rq"
    ));
    assert!(text.contains("15659 times"));
    assert!(text.contains("skipped xfs_alloc_vextent_start_ag: ENOENT: no such symbol"));
    assert!(!text.contains('\x1b'), "no colours when not asked");
}

#[test]
fn synthetic_json() {
    let snap = load::load(&Dir::snapshot(synthetic())).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&json::to_string(&snap, Sections::DEFAULT)).unwrap();
    assert_eq!(v["functions"][0]["name"], "virtio_queue_rq");
    assert_eq!(v["functions"][0]["used_percent"], 94.5);
    assert_eq!(v["functions"][0]["over_budget"]["8192"], 15659);
    assert_eq!(v["all"]["hits"], 318962);
    assert_eq!(v["chains"].as_array().unwrap().len(), 17);
    assert_eq!(v["chains"][0]["frames"][0]["module"], "virtio_blk");
    assert_eq!(v["what_if"][0]["budget"], 4096);
    assert_eq!(v["counters"]["warnings"], 2);
    assert!(v.get("histogram").is_none(), "not a default section");
}

#[test]
fn synthetic_prometheus() {
    let s = load::load_summary(&Dir::snapshot(synthetic())).unwrap();
    let text = prometheus::render(&s);
    check_prometheus("synthetic", &text);
    assert!(text.contains("stackwatch_max_used_bytes{function=\"virtio_queue_rq\"} 15488\n"));
    assert!(text.contains("stackwatch_min_remaining_bytes{function=\"virtio_queue_rq\"} 896\n"));
    assert!(text.contains("stackwatch_hits_total{function=\"(all)\"} 318962\n"));
    assert!(text.contains(
        "stackwatch_budget_overflows_total{function=\"virtio_queue_rq\",budget=\"8192\"} 15659\n"
    ));
    assert!(text.contains("# TYPE stackwatch_hits_total counter\n"));
    assert!(text.contains("# HELP stackwatch_max_used_bytes "));
    assert!(text.contains("stackwatch_thread_size_bytes 16384\n"));
}

/// The verdict takes the deepest point of a thread stack over the deepest
/// probe entry, and says which it took; without the `tasks` file (or when
/// the deepest thread has exited) it falls back to the probe entry.
#[test]
fn verdict_uses_the_deepest_thread_stack() {
    let mut snap = load::load(&Dir::snapshot(synthetic())).unwrap();
    let entry = snap.summary.all.max_used;
    let text = format!(
        "# stackwatch tasks: thread_size 16384 threads 90 shown 2\n# pid used left comm\n812 {} {} nfsd\n9 100 16284 kworker/0:1 x\n# deepest points\npoint 812 {} nfsd\n  update_curr+0x4b/0x1f0\n  __schedule+0x2c1/0x9a0\n",
        entry + 200,
        16384 - entry - 200,
        entry + 200
    );
    snap.tasks = Some(load::tasks(&text).unwrap());
    let b = whatif::budgets(&snap);
    let v = &b.last().unwrap().verdict;
    assert_eq!(v.measure, whatif::Measure::ThreadStack);
    assert_eq!(v.deepest, entry + 200);
    assert_eq!(v.at, "nfsd (pid 812)");
    assert_eq!(snap.tasks.as_ref().unwrap().rows[1].comm, "kworker/0:1 x");
    let text = plain(&snap, Sections::DEFAULT, 1);
    assert!(text.contains(&format!(
        "deepest {} bytes, the deepest point of a thread stack, nfsd (pid 812)",
        entry + 200
    )));
    assert!(text.contains("Deepest thread stacks (each thread's deepest point since it started)\n  90 threads scanned; the deepest:\n"));
    assert!(text.contains(&format!(
        "where nfsd (pid 812) reached {} bytes: return addresses left just above that point, innermost first (stale stack words, not an unwind):\n    update_curr+0x4b/0x1f0\n    __schedule+0x2c1/0x9a0\n",
        entry + 200
    )));
    // Shallower than an entry (its thread exited): the entry stands.
    let text = "# stackwatch tasks: thread_size 16384 threads 1 shown 1\n# pid used left comm\n1 64 16320 init\n";
    snap.tasks = Some(load::tasks(text).unwrap());
    assert_eq!(whatif::deepest(&snap).1, whatif::Measure::ProbeEntry);
}

/// Pending probes (waiting for their module) are read and reported.
#[test]
fn pending_probes_are_reported() {
    let mut snap = load::load(&Dir::snapshot(synthetic())).unwrap();
    let text = "# state spec mechanism functions hits off_stack missed\n\
                attached submit_bio kprobe 1 60098 1 0\n\
                # state name mechanism\n\
                pending xfs_* fprobe\n\
                pending nfsd_dispatch kprobe\n\
                # state name errno\n\
                skipped nfsd_commit EEXIST -17\n";
    let p = load::probes(text).unwrap();
    let pending: Vec<(&str, &str)> = p
        .pending
        .iter()
        .map(|q| (q.name.as_str(), q.mechanism.as_str()))
        .collect();
    assert_eq!(pending, [("xfs_*", "fprobe"), ("nfsd_dispatch", "kprobe")]);
    snap.probes = Some(p);
    let out = plain(&snap, Sections::PROBES, 0);
    assert!(out.contains("1 attached (1 functions), 2 pending, 1 skipped"));
    assert!(out.contains("pending xfs_* (fprobe): attaches when a module that has it loads"));
}

/// The text report without colours.
fn plain(snap: &Snapshot, sections: Sections, chains: usize) -> String {
    text_report::render(
        snap,
        &Options {
            sections,
            chains,
            rows: None,
            style: Style::PLAIN,
        },
    )
}
