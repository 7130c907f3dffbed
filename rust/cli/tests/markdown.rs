// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch report --format markdown` on the recorded snapshots: the
//! facts a bug report needs, the deepest chain in the kernel's `Call Trace:`
//! layout with its frame sizes adding up to the bytes used, the what-if
//! lines, and nothing local to the machine.

mod common;

use common::{run, snapshots_dir, stderr, stdout, synthetic};

fn markdown(dir: &std::path::Path) -> String {
    let o = run(&[
        "report",
        "--format",
        "markdown",
        "--from",
        &dir.display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    stdout(&o)
}

/// The frame lines of the first `Call Trace:` block: (size, symbol).
fn first_trace(md: &str) -> Vec<(u64, String)> {
    md.lines()
        .skip_while(|l| *l != "Call Trace:")
        .skip(2)
        .take_while(|l| *l != " </TASK>")
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let size = it.next()?.parse().ok()?;
            Some((size, it.next()?.to_string()))
        })
        .collect()
}

#[test]
fn the_torture_run_as_a_bug_report() {
    let dir = snapshots_dir().join("x86_64-16k-torture");
    let md = markdown(&dir);
    assert!(md.starts_with("## Kernel stack depth (stackwatch)\n"));
    assert!(md.contains("- **THREAD_SIZE:** 16384 bytes\n"));
    assert!(md.contains("- **Kernel:** not recorded\n"), "{md}");
    assert!(md.contains(
        "- **Deepest:** 4648 bytes used, 11736 left (28.4% used), entering `dm_bufio_get`"
    ));
    assert!(md.contains("- **Probes:** "));
    assert!(md.contains("`xfs_bmapi_write`"));
    assert!(
        md.contains("- **4096 bytes:** 452 hits would have overflowed it"),
        "{md}"
    );
    assert!(md.contains("- **8192 bytes:** no hit would have overflowed it."));

    let trace = first_trace(&md);
    let text = std::fs::read_to_string(dir.join("max_trace")).unwrap();
    let want: Vec<(u64, String)> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() == 4 && f[0].ends_with(')')).then(|| (f[2].parse().unwrap(), f[3].to_string()))
        })
        .collect();
    assert_eq!(trace.len(), 46);
    assert_eq!(
        trace, want,
        "the deepest chain, innermost first, with its sizes"
    );
    assert_eq!(trace.iter().map(|f| f.0).sum::<u64>(), 4648);
    assert!(md.contains("(frame sizes in bytes, innermost first; they add up to 4648)"));
    assert!(md.contains("`dm_bufio_get`: 4648 of 16384 bytes used, 11736 left (task `nfsd`)"));

    // Nothing local: not where the snapshot was read from, no pid.
    assert!(!md.contains(&dir.display().to_string()));
    assert!(!md.contains("pid"));
}

#[test]
fn the_release_is_named_when_recorded() {
    let md = markdown(&synthetic());
    let release = std::fs::read_to_string(synthetic().join("osrelease")).unwrap();
    assert!(
        md.contains(&format!("- **Kernel:** `{}`\n", release.trim())),
        "{md}"
    );
    assert!(md.contains("Call Trace:\n <TASK>\n"));
}

#[test]
fn json_and_format_do_not_mix() {
    let syn = synthetic().display().to_string();
    let o = run(&["report", "--from", &syn, "--json", "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["report", "--from", &syn, "--format", "html"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("html"));
}
