// SPDX-License-Identifier: MIT OR Apache-2.0
//! Broken snapshots: every file cut at every line, and damaged lines, give a
//! clear error naming the file and line; nothing panics.

mod common;

use common::{copy_dir, run, stderr, synthetic, Scratch, STATS_FILES as FILES};
use stackwatch_cli::debugfs::Dir;
use stackwatch_cli::load;

fn read(name: &str) -> String {
    std::fs::read_to_string(synthetic().join(name)).unwrap()
}

/// A copy of the synthetic snapshot with one file replaced.
fn with_file(name: &str, text: &str) -> Scratch {
    let s = Scratch::new("malformed");
    copy_dir(&synthetic(), s.path());
    std::fs::write(s.path().join(name), text).unwrap();
    s
}

#[test]
fn truncated_files_never_panic() {
    for name in FILES {
        let text = read(name);
        let mut cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
        // Also cut inside lines: a few bytes into each of the first lines.
        cuts.extend(text.match_indices('\n').take(12).map(|(i, _)| i + 4));
        for cut in cuts {
            let Some(prefix) = text.get(..cut) else {
                continue;
            };
            let r = match name {
                "summary" => load::summary(prefix).map(drop),
                "traces" => load::traces(prefix).map(drop),
                "max_trace" => load::max_trace(prefix).map(drop),
                "histogram" => load::histogram(prefix).map(drop),
                "probes" => load::probes(prefix).map(drop),
                _ => load::budgets(prefix).map(drop),
            };
            let mid_line = !prefix.ends_with('\n');
            let can_notice = !matches!(name, "traces" | "budgets");
            if mid_line || (can_notice && cut < text.len()) {
                // Probes: a cut after the skipped-section line looks complete.
                if name == "probes" && !mid_line && prefix.contains("# state name errno") {
                    continue;
                }
                assert!(r.is_err(), "{name} cut at {cut} not reported");
            }
        }
    }
}

#[test]
fn truncated_summary_is_a_clear_error() {
    let text = read("summary");
    let cut: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let s = with_file("summary", &cut);
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(
        e.message.contains("summary: line 6: summary: no (all) row"),
        "{e}"
    );
    assert!(e.message.contains("truncated"), "{e}");

    let half = &text[..text.len() - 7];
    let s = with_file("summary", half);
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(e.message.contains("last line has no newline"), "{e}");
}

#[test]
fn damaged_lines_name_file_line_and_field() {
    let text = read("summary").replacen("48211 15488", "48211 15x88", 1);
    let s = with_file("summary", &text);
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(
        e.message
            .contains("summary: line 3: max_used: not a decimal number"),
        "{e}"
    );
    assert!(
        e.message.contains("\n  3 | virtio_queue_rq 48211 15x88"),
        "{e}"
    );

    let text = read("traces").replacen("nfsd 40\n", "nfsd 41\n", 1);
    let s = with_file("traces", &text);
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(e.message.contains("traces: line"), "{e}");
    assert!(e.message.contains("frame"), "{e}");

    let text = read("max_trace").replace("(40 entries)", "(44 entries)");
    let s = with_file("max_trace", &text);
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(e.message.contains("fewer rows than announced"), "{e}");

    let s = with_file(
        "histogram",
        "# stackwatch histogram: bucket width 512\n# function 0 512\n",
    );
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(
        e.message
            .contains("histogram: line 2: columns: fewer buckets"),
        "{e}"
    );

    let s = with_file("probes", "garbage\n");
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(e.message.contains("probes: line 1: header"), "{e}");

    let s = with_file("summary", "\u{0}\u{1}binary\n");
    assert!(load::load(&Dir::snapshot(s.path())).is_err());

    let s = with_file("summary", "");
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(e.message.contains("line 1: header: missing"), "{e}");
}

#[test]
fn non_utf8_and_missing_files() {
    let s = Scratch::new("bytes");
    copy_dir(&synthetic(), s.path());
    std::fs::write(s.path().join("traces"), [0xff, 0xfe, b'\n']).unwrap();
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(e.message.contains("not UTF-8"), "{e}");

    // Only summary is required.
    let s = Scratch::new("minimal");
    std::fs::copy(synthetic().join("summary"), s.path().join("summary")).unwrap();
    let snap = load::load(&Dir::snapshot(s.path())).unwrap();
    assert!(snap.traces.is_none() && snap.histogram.is_none());

    let s = Scratch::new("empty");
    let e = load::load(&Dir::snapshot(s.path())).unwrap_err();
    assert!(e.message.contains("summary: missing"), "{e}");
}

#[test]
fn the_command_reports_a_broken_snapshot_and_exits_1() {
    let text = read("summary").replacen("(all)", "(al", 1);
    let s = with_file("summary", &text);
    let o = run(&["report", "--from", s.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("stackwatch: "), "{err}");
    assert!(err.contains("summary: line"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
