// SPDX-License-Identifier: MIT OR Apache-2.0
//! The documentation cannot drift from the code: the generated reference
//! (man pages, docs/cli.md) matches the clap definitions, every debugfs
//! sample in the docs (a fenced block opened with ```` ```debugfs:FILE ````)
//! parses with rust/format's reader of FILE, the reference has a sample of
//! every file, and `make help` lists every target of the Makefile.

mod common;

use common::STATS_FILES;
use stackwatch_cli::{docgen, load};
use stackwatch_format::value::reader::number_file;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn generated_reference_is_up_to_date() {
    let pages = docgen::pages();
    assert!(pages.len() > 10, "a page per command");
    let mut stale = Vec::new();
    for p in &pages {
        let now = std::fs::read_to_string(top().join(&p.path)).unwrap_or_default();
        if now != p.text {
            stale.push(p.path.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date (run `make docs` and commit): {stale:?}"
    );
    // No page is left over from a command that is gone.
    let names: BTreeSet<String> = pages.iter().map(|p| p.path.clone()).collect();
    for e in std::fs::read_dir(top().join(docgen::MAN_DIR)).unwrap() {
        let path = format!(
            "{}/{}",
            docgen::MAN_DIR,
            e.unwrap().file_name().to_string_lossy()
        );
        assert!(names.contains(&path), "{path}: no such command (make docs)");
    }
}

/// The fenced `debugfs:FILE` blocks of a Markdown text: (FILE, line, text).
fn samples(md: &str) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (i, line) in md.lines().enumerate() {
        match &mut open {
            None => {
                if let Some(name) = line.trim_start().strip_prefix("```debugfs:") {
                    open = Some((name.trim().to_string(), i + 1, String::new()));
                }
            }
            Some((_, _, text)) => {
                if line.trim_start().starts_with("```") {
                    out.push(open.take().unwrap());
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "a debugfs block is not closed");
    out
}

/// Parses `text` as the debugfs file `name` with its reader.
fn parse(name: &str, text: &str) -> Result<(), String> {
    let e = |e: stackwatch_format::text::reader::FormatError| e.to_string();
    match name {
        "summary" => load::summary(text).map(drop).map_err(e),
        "traces" => load::traces(text).map(drop).map_err(e),
        "max_trace" => load::max_trace(text).map(drop).map_err(e),
        "histogram" => load::histogram(text).map(drop).map_err(e),
        "probes" => load::probes(text).map(drop).map_err(e),
        "budgets" => load::budgets(text).map(drop).map_err(e),
        "tasks" => load::tasks(text).map(drop).map_err(e),
        "cpu_stacks" => load::cpu_stacks(text).map(drop).map_err(e),
        "irq_max_trace" => load::max_trace(text).map(drop).map_err(e),
        "threshold" | "thread_size" | "enabled" => number_file(text).map(drop).map_err(e),
        other => Err(format!("no reader for a debugfs file named {other}")),
    }
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![top().join("README.md")];
    for e in std::fs::read_dir(top().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    files.sort();
    files
}

#[test]
fn every_debugfs_sample_in_the_docs_parses() {
    let mut bad = Vec::new();
    let mut count = 0;
    for f in markdown_files() {
        let md = std::fs::read_to_string(&f).unwrap();
        for (name, line, text) in samples(&md) {
            count += 1;
            if let Err(e) = parse(&name, &text) {
                bad.push(format!("{}:{line}: debugfs:{name}: {e}", f.display()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "samples that do not parse:\n{}",
        bad.join("\n")
    );
    assert!(count > 0, "no debugfs sample found");
}

#[test]
fn the_reference_has_a_sample_of_every_file() {
    let md = std::fs::read_to_string(top().join("docs/reference.md")).unwrap();
    let have: BTreeSet<String> = samples(&md).into_iter().map(|s| s.0).collect();
    for name in STATS_FILES.into_iter().chain([
        "tasks",
        "cpu_stacks",
        "threshold",
        "thread_size",
        "enabled",
    ]) {
        assert!(
            have.contains(name),
            "docs/reference.md: no debugfs:{name} sample"
        );
    }
}

#[test]
fn a_broken_sample_is_caught() {
    let md = "x\n```debugfs:summary\n# stackwatch summary: thread_size x\n```\n";
    let s = samples(md);
    assert_eq!(s.len(), 1);
    assert!(parse(&s[0].0, &s[0].2).is_err());
}

/// The reference's metrics table names every metric the command writes.
#[test]
fn the_reference_names_every_metric() {
    let md = std::fs::read_to_string(top().join("docs/reference.md")).unwrap();
    let snap =
        std::fs::read_to_string(top().join("tests/fixtures/snapshots/synthetic/summary")).unwrap();
    let text = stackwatch_cli::prometheus::render(&load::summary(&snap).unwrap());
    let names: BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.len() > 10, "{names:?}");
    for n in names {
        assert!(
            md.contains(&format!("| `{n}` |")),
            "docs/reference.md: no row for {n}"
        );
    }
}

/// GitHub's anchor for a heading: lower case, punctuation dropped but `-`
/// and `_`, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a Markdown text's headings (outside fenced blocks).
fn anchors(md: &str) -> BTreeSet<String> {
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every relative link of the docs names a file that exists, and an
/// anchor that one of its headings makes.
#[test]
fn every_relative_link_resolves() {
    let mut files = markdown_files();
    for f in ["CHANGELOG.md", "SECURITY.md", "CONTRIBUTING.md"] {
        files.push(top().join(f));
    }
    let mut bad = Vec::new();
    for f in &files {
        let md = std::fs::read_to_string(f).unwrap();
        let mut fenced = false;
        for line in md.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            }
            if fenced {
                continue;
            }
            for part in line.split("](").skip(1) {
                let Some(target) = part.split(')').next() else {
                    continue;
                };
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let dest = if path.is_empty() {
                    f.clone()
                } else {
                    f.parent().unwrap().join(path)
                };
                if !dest.exists() {
                    bad.push(format!("{}: {target}: no such file", f.display()));
                } else if !anchor.is_empty() {
                    let text = std::fs::read_to_string(&dest).unwrap_or_default();
                    if !anchors(&text).contains(anchor) {
                        bad.push(format!("{}: {target}: no such heading", f.display()));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

/// `make help` is generated from the `## ` comments of the Makefile's
/// targets: every phony target has one.
#[test]
fn make_help_lists_every_target() {
    let makefile = std::fs::read_to_string(top().join("Makefile")).unwrap();
    let phony: Vec<&str> = makefile
        .lines()
        .find_map(|l| l.strip_prefix(".PHONY:"))
        .expect(".PHONY line")
        .split_whitespace()
        .collect();
    let o = std::process::Command::new("make")
        .args(["-s", "--no-print-directory", "help"])
        .current_dir(top())
        .output()
        .expect("make");
    assert!(o.status.success());
    let help = String::from_utf8_lossy(&o.stdout);
    for t in phony {
        assert!(
            help.lines().any(|l| l.starts_with(&format!("make {t} "))
                || l.starts_with(&format!("make {t}\t"))
                || (t == "all" && l.starts_with("make "))),
            "make help does not list {t} (give it a `## ` comment):\n{help}"
        );
    }
}
