//! The text of stackwatch's debugfs files, one file of this crate per
//! debugfs file (named after it; `value.rs` holds the one-number files):
//! the kernel's writer and the command's reader side by side, the header
//! text as constants both use, and a test that reads back what the writer
//! wrote. `text.rs` holds what every file shares.
//!
//! The writers are `no_std`, allocate nothing and have no panic path: the
//! module compiles every file of this crate but this one through
//! `rust/kmod/swformat.rs`, without the `std` feature, so without the
//! readers. The readers (feature `std`, on by default) allocate and give
//! the command's model directly.
//!
//! The files name the kernel-side crate as `crate::swcore`, as they do in
//! the module, where `swcore` is the module of `rust/kmod/swcore.rs`.
#![cfg_attr(not(feature = "std"), no_std)]
// The module's deny-list is the workspace's lint list (rust/Cargo.toml);
// tests may do unchecked arithmetic.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

use stackwatch_core as swcore;

pub mod budgets;
pub mod histogram;
pub mod max_trace;
pub mod probes;
pub mod summary;
pub mod tasks;
pub mod text;
pub mod traces;
pub mod value;

/// Every reader against every file's text, cut and damaged.
#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use crate::budgets::*;
    use crate::histogram::*;
    use crate::max_trace::*;
    use crate::probes::*;
    use crate::summary::*;
    use crate::text::tests::{hdr, rows, snap, trace, Fake};
    use crate::text::{FormatError, FormatErrorKind};
    use crate::traces::*;
    use crate::value::*;
    use std::string::String;

    fn summary_text() -> String {
        let mut s = String::new();
        let c = Counters {
            off_stack: 2,
            dropped: 3,
            trace_busy: 4,
            warnings: 5,
            warnings_suppressed: 6,
        };
        write_summary(&mut s, &hdr(), &rows(), &snap(8, 6000), &c, &Fake).unwrap();
        s
    }

    fn traces_text() -> String {
        let mut s = String::new();
        let ts = [
            (0xb, trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000])),
            (0xa, trace(1000, &[0xa], &[1000])),
        ];
        write_traces(&mut s, &hdr(), &ts, &Fake).unwrap();
        s
    }

    fn max_trace_text() -> String {
        let mut s = String::new();
        let t = trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000]);
        write_max_trace(&mut s, &hdr(), Some(&t), &Fake).unwrap();
        s
    }

    fn histogram_text() -> String {
        let mut s = String::new();
        write_histogram(&mut s, &hdr(), &rows(), &snap(8, 6000), &Fake).unwrap();
        s
    }

    fn budgets_text() -> String {
        let mut s = String::new();
        write_budgets(&mut s, &hdr(), &snap(8, 6000)).unwrap();
        s
    }

    const PROBES: &str = "# state spec mechanism functions hits off_stack missed\n\
        attached xfs_* fprobe 1612 4567 3 0\n\
        attached submit_bio kprobe 1 99 0 1\n\
        # state name errno\n\
        skipped foo_bar ENOENT -2\n";

    /// Errors of a whole file: the first error of every reader.
    fn first_error(text: &str) -> Option<FormatError> {
        let errs = [
            summary_header(text).err(),
            summary_rows(text).find_map(Result::err),
            summary_counters(text).err(),
            traces_header(text).err(),
            traces(text).find_map(Result::err),
            max_trace_header(text).err(),
            max_trace_rows(text).find_map(Result::err),
            histogram_header(text).err(),
            histogram_rows(text).find_map(Result::err),
            probe_rows(text).find_map(Result::err),
            budget_rows(text).find_map(Result::err),
            number_file(text).err(),
        ];
        errs.into_iter().flatten().next()
    }

    /// Every reader on every prefix of every file: never a panic. A cut
    /// inside a line is always reported by the file's own reader; a cut at a
    /// line end is reported wherever the writer leaves a way to notice it
    /// (an `(all)` row, a counters line, a frame or row count, a section line).
    #[test]
    fn every_prefix_of_every_file() {
        type Check = fn(&str) -> Option<FormatError>;
        type Noticed = fn(&str, &str) -> bool;
        let files: [(String, Check, Noticed); 6] = [
            (
                summary_text(),
                |t| {
                    summary_rows(t)
                        .find_map(Result::err)
                        .or(summary_counters(t).err())
                },
                |_, _| true,
            ),
            (
                traces_text(),
                |t| traces(t).find_map(Result::err),
                // Between two records the file looks complete.
                |pre, rest| pre.is_empty() || pre.lines().count() < 2 || rest.starts_with(' '),
            ),
            (
                max_trace_text(),
                |t| max_trace_rows(t).find_map(Result::err),
                |_, _| true,
            ),
            (
                histogram_text(),
                |t| histogram_rows(t).find_map(Result::err),
                |_, _| true,
            ),
            (
                String::from(PROBES),
                |t| probe_rows(t).find_map(Result::err),
                |pre, _| !pre.contains(SKIPPED_COLUMNS),
            ),
            (
                budgets_text(),
                |t| budget_rows(t).find_map(Result::err),
                |pre, _| pre.is_empty(),
            ),
        ];
        for (text, own, noticed) in &files {
            assert_eq!(own(text), None, "{text}");
            for cut in 0..text.len() {
                let (Some(prefix), Some(rest)) = (text.get(..cut), text.get(cut..)) else {
                    continue;
                };
                let _ = first_error(prefix);
                let e = own(prefix);
                if !prefix.ends_with('\n') || noticed(prefix, rest) {
                    assert!(e.is_some(), "cut at {cut} not reported:\n{prefix}");
                }
            }
        }
    }

    #[test]
    fn malformed_lines_name_the_field() {
        let text = summary_text().replace("fb 5 6000", "fb 5 6x00");
        let e = summary_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(
            (e.line, e.field, e.kind),
            (3, "max_used", FormatErrorKind::Malformed)
        );
        assert_eq!(
            std::format!("{e}"),
            "line 3: max_used: not a decimal number"
        );

        let text = summary_text().replace("fb 5 6000 10384 1 5 0", "fb 5 6000 10384 1 5");
        let e = summary_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(e.field, "over_budget");

        let text = summary_text().replace("fb 5 6000 10384 1 5 0", "fb 5 6000 10384 1 5 0 9");
        assert_eq!(
            summary_rows(&text).find_map(Result::err).unwrap().why,
            "unexpected extra fields"
        );

        let text = summary_text().replace("over_8192", "under_8192");
        assert_eq!(summary_header(&text).unwrap_err().field, "columns");

        let text = summary_text().replace("enabled 1", "enabled 7");
        assert_eq!(summary_header(&text).unwrap_err().field, "enabled");

        let e = summary_header("# something else\n").unwrap_err();
        assert_eq!((e.line, e.field), (1, "header"));

        let text = summary_text().replace(" 3 1000 ", " 3 1000 15384 0 0 0\n");
        assert!(summary_rows(&text).any(|r| r.is_err()));

        let text = traces_text().replace("\n    700", "\nfoo 1 2 3 x 0\n    700");
        let _ = traces(&text).count();

        let text = traces_text().replace("kwork x 3", "kwork x three");
        assert_eq!(traces(&text).find_map(Result::err).unwrap().field, "frames");

        let text = traces_text().replace("kwork x 3", "kwork x 9");
        let e = traces(&text).find_map(Result::err).unwrap();
        assert_eq!(e.field, "frame");

        let text = max_trace_text().replace("(3 entries)", "(4 entries)");
        let e = max_trace_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(e.kind, FormatErrorKind::Truncated);

        let text = max_trace_text().replace("(3 entries)", "(2 entries)");
        let e = max_trace_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(e.why, "more rows than announced");

        let text = max_trace_text().replace("   1)", "   5)");
        assert_eq!(
            max_trace_rows(&text).find_map(Result::err).unwrap().field,
            "index"
        );

        let text = histogram_text().replace("# function 0 512", "# function 0");
        assert_eq!(
            histogram_header(&text).unwrap_err().why,
            "fewer buckets than expected"
        );

        let text = String::from(PROBES).replace("ENOENT -2", "ENOENT minus2");
        assert_eq!(
            probe_rows(&text).find_map(Result::err).unwrap().field,
            "errno"
        );

        let text = String::from(PROBES).replace("attached xfs_*", "detached xfs_*");
        assert_eq!(
            probe_rows(&text).find_map(Result::err).unwrap().field,
            "state"
        );

        let text = std::format!("{PROBES}attached late kprobe 1 1 1 1\n");
        assert!(probe_rows(&text).any(|r| r.is_err()));

        let text = budgets_text().replace("4096 8", "4096");
        assert_eq!(
            budget_rows(&text).find_map(Result::err).unwrap().field,
            "over_count"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "", "\n", "#", "# stackwatch summary:", "# stackwatch summary: thread_size\n",
            "# stackwatch summary: thread_size 1 threshold 2 enabled 1\n# function hits max_used min_remaining below_threshold over_\n",
            "# stackwatch traces: thread_size 5\n#\nx 1 2 3 c 18446744073709551615\n",
            "# stackwatch traces: thread_size 5\n#\nx 1 2 3\n",
            "# stackwatch max_trace: used 1 remaining 2 thread_size 3 pid 4 comm \n",
            "# stackwatch max_trace: used 1 remaining 2 thread_size 3 pid 4 comm c\n        Depth    Size   Location    (99999999999999999999 entries)\n",
            "# stackwatch histogram: width 5\n# function 1 2 3\n",
            "\u{00e9}\u{00e9}\n\u{1F600} 1 2\n", "\r\n\r\n", "   \n  x\n",
        ];
        for s in samples {
            let _ = first_error(s);
            let _ = summary_rows(s).count();
            let _ = traces(s)
                .flat_map(|r| r.map(|t| t.frames().count()))
                .count();
            let _ = max_trace_rows(s).count();
            let _ = histogram_rows(s).count();
            let _ = probe_rows(s).count();
            let _ = budget_rows(s).count();
            let _ = bool_file(s);
        }
    }
}
