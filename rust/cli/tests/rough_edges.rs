// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command's rough edges as a new user meets them (issue 27): the
//! report leads with the verdicts and the deepest paths and shows the
//! deepest rows unless asked for all, `probes list` shows pending probes,
//! `export` with no flag writes Prometheus text, `flamegraph` will not write
//! SVG to a terminal, and `--help` names the exit codes.

mod common;

use common::{copy_dir, run, snapshots_dir, stderr, stdout, synthetic, Scratch};
use std::fs;
use std::process::Command;

fn torture() -> String {
    snapshots_dir()
        .join("x86_64-16k-torture")
        .display()
        .to_string()
}

/// Line index of the first line starting with `prefix`.
fn at(out: &str, prefix: &str) -> usize {
    out.lines()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix:?} in:\n{out}"))
}

/// The function rows of the per-function table (its heading and the
/// `(all)` row left out).
fn table_rows(out: &str) -> Vec<&str> {
    let start = at(out, "Stack use at entry");
    out.lines()
        .skip(start + 2)
        .take_while(|l| !l.trim().is_empty() && !l.trim_start().starts_with("(all)"))
        .collect()
}

#[test]
fn report_leads_with_verdicts_and_deepest_paths() {
    let o = run(&["report", "--from", &torture()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let verdicts = at(&out, "What-if budgets");
    let chains = at(&out, "Deepest chains");
    let table = at(&out, "Stack use at entry");
    assert!(verdicts < chains && chains < table, "{out}");
    assert!(verdicts < 6, "the verdicts come first:\n{out}");
    assert_eq!(table_rows(&out).len(), 20, "{out}");
    assert!(
        out.contains("953 more functions: --all lists every row"),
        "{out}"
    );
    assert!(out.contains("(all)"), "the whole's row stays");
    assert!(out.lines().count() < 300, "{} lines", out.lines().count());
    // The deepest chains run through a few paths: each is shown once and
    // the functions entered from it named under it.
    assert_eq!(out.matches("  DEPTH    SIZE  FRAME").count(), 3, "{out}");
    assert!(
        out.contains("also on this path, entered from its frames: the deepest chains of dm_bufio_get_aux_data, "),
        "{out}"
    );

    let o = run(&["report", "--from", &torture(), "--all"]);
    assert_eq!(table_rows(&stdout(&o)).len(), 973);
    assert!(!stdout(&o).contains("more functions"));
    let o = run(&["report", "--from", &torture(), "--rows", "5"]);
    assert_eq!(table_rows(&stdout(&o)).len(), 5);
    assert!(stdout(&o).contains("968 more functions"));
}

#[test]
fn probes_list_shows_pending_probes() {
    let s = Scratch::new("pending");
    copy_dir(&synthetic(), s.path());
    fs::write(
        s.path().join("probes"),
        "# state spec mechanism functions hits off_stack missed\nattached xfs_* fprobe 1612 4567 3 0\n# state name mechanism\npending nfsd_dispatch kprobe\n# state name errno\nskipped kprobe_int3_handler EINVAL -22\n",
    )
    .unwrap();
    let o = run(&["--dir", s.path().to_str().unwrap(), "probes", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("PENDING"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("nfsd_dispatch") && l.contains("kprobe")),
        "{out}"
    );
    assert!(out.contains("blacklist"), "EINVAL explained: {out}");
    assert!(!out.contains("malformed command"), "{out}");
}

#[test]
fn export_without_a_flag_writes_prometheus() {
    let o = run(&["export", "--from", &synthetic().display().to_string()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("stackwatch_max_used_bytes{function=\"(all)\"}"));
}

/// `script` runs the command on a pseudo-terminal, as a user's shell does.
#[test]
fn flamegraph_will_not_write_svg_to_a_terminal() {
    let bin = env!("CARGO_BIN_EXE_stackwatch");
    let syn = synthetic().display().to_string();
    let o = Command::new("script")
        .args([
            "-qec",
            &format!("{bin} flamegraph --from {syn}"),
            "/dev/null",
        ])
        .env("NO_COLOR", "1")
        .output()
        .expect("script(1) from util-linux");
    let text = stdout(&o);
    assert!(!text.contains("<svg"), "{text}");
    assert!(text.contains("-o FILE.svg"), "{text}");
    assert_eq!(o.status.code(), Some(2), "{text}");
    // Redirected, or with --folded, it writes.
    let o = run(&["flamegraph", "--from", &syn]);
    assert!(stdout(&o).contains("<svg"));
    let o = Command::new("script")
        .args([
            "-qec",
            &format!("{bin} flamegraph --folded --from {syn}"),
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn help_names_exit_codes_and_the_real_defaults() {
    let o = run(&["--help"]);
    let out = stdout(&o);
    assert!(out.contains("Exit status:"), "{out}");
    for code in ["0 ", "1 ", "2 "] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with(code)),
            "{code}: {out}"
        );
    }
    let o = run(&["budgets", "--help"]);
    assert!(stdout(&o).contains("default"), "{}", stdout(&o));
}
