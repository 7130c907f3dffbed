// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The text of stackwatch's debugfs files, one file of this crate per
//! debugfs file (named after it; `value.rs` holds the one-number files):
//! the kernel's writer and the command's reader side by side, the header
//! text as constants both use, and a test that reads back what the writer
//! wrote. `text.rs` holds what every file shares.
//!
//! The writers are `no_std`, allocate nothing and have no panic path: the
//! module compiles every file of this crate but this one through
//! `rust/kmod/swformat.rs`, without the `std` feature, so without the
//! readers. The readers (feature `std`, on by default; each file's
//! `reader` module) allocate and give the command's model directly.
//!
//! The files name the kernel-side crate as `crate::swcore`, as they do in
//! the module, where `swcore` is the module of `rust/kmod/swcore.rs`.
#![cfg_attr(not(feature = "std"), no_std)]
// The module's deny-list is the workspace's lint list (rust/Cargo.toml);
// tests may do unchecked arithmetic.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

use stackwatch_core as swcore;

pub mod budgets;
pub mod cpu_stacks;
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
    use crate::budgets::{self, write_budgets};
    use crate::histogram::{self, write_histogram};
    use crate::max_trace::{self, write_max_trace};
    use crate::probes::{self, SKIPPED_COLUMNS};
    use crate::summary::{self, write_summary};
    use crate::text::reader::{FormatError, FormatErrorKind};
    use crate::text::tests::{hdr, rows, snap, trace, written, Fake, COUNTERS};
    use crate::traces::{self, write_traces};
    use crate::{tasks, value};
    use std::string::String;

    fn summary_text() -> String {
        written(|s| write_summary(s, &hdr(), &rows(), &snap(8, 6000), &COUNTERS, &Fake))
    }

    fn traces_text() -> String {
        let ts = [
            (0xb, trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000])),
            (0xa, trace(1000, &[0xa], &[1000])),
        ];
        written(|s| write_traces(s, &hdr(), &ts, &Fake))
    }

    fn max_trace_text() -> String {
        let t = trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000]);
        written(|s| write_max_trace(s, &hdr(), Some(&t), &Fake))
    }

    fn histogram_text() -> String {
        written(|s| write_histogram(s, &hdr(), &rows(), &snap(8, 6000), &Fake))
    }

    fn budgets_text() -> String {
        written(|s| write_budgets(s, &hdr(), &snap(8, 6000)))
    }

    const PROBES: &str = "# state spec mechanism functions hits off_stack missed\n\
        attached xfs_* fprobe 1612 4567 3 0\n\
        attached submit_bio kprobe 1 99 0 1\n\
        # state name errno\n\
        skipped foo_bar ENOENT -2\n";

    /// The error of each reader, in order.
    fn errors(text: &str) -> [Option<FormatError>; 9] {
        [
            summary::reader::read(text).err(),
            traces::reader::read(text).err(),
            max_trace::reader::read(text).err(),
            histogram::reader::read(text).err(),
            probes::reader::read(text).err(),
            budgets::reader::read(text).err(),
            tasks::reader::read(text).err(),
            value::reader::number_file(text).err(),
            value::reader::bool_file(text).err(),
        ]
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
                |t| summary::reader::read(t).err(),
                |_, _| true,
            ),
            (
                traces_text(),
                |t| traces::reader::read(t).err(),
                // Between two records the file looks complete.
                |pre, rest| pre.is_empty() || pre.lines().count() < 2 || rest.starts_with(' '),
            ),
            (
                max_trace_text(),
                |t| max_trace::reader::read(t).err(),
                |_, _| true,
            ),
            (
                histogram_text(),
                |t| histogram::reader::read(t).err(),
                |_, _| true,
            ),
            (
                String::from(PROBES),
                |t| probes::reader::read(t).err(),
                |pre, _| !pre.contains(SKIPPED_COLUMNS),
            ),
            (
                budgets_text(),
                |t| budgets::reader::read(t).err(),
                |pre, _| pre.is_empty(),
            ),
        ];
        for (text, own, noticed) in &files {
            assert_eq!(own(text), None, "{text}");
            for cut in 0..text.len() {
                let (Some(prefix), Some(rest)) = (text.get(..cut), text.get(cut..)) else {
                    continue;
                };
                let _ = errors(prefix);
                let e = own(prefix);
                if !prefix.ends_with('\n') || noticed(prefix, rest) {
                    assert!(e.is_some(), "cut at {cut} not reported:\n{prefix}");
                }
            }
        }
    }

    #[test]
    fn malformed_lines_name_the_field() {
        let summary = |text: String| summary::reader::read(&text).unwrap_err();
        let e = summary(summary_text().replace("fb 5 6000", "fb 5 6x00"));
        assert_eq!(
            (e.line, e.field, e.kind),
            (3, "max_used", FormatErrorKind::Malformed)
        );
        assert_eq!(
            std::format!("{e}"),
            "line 3: max_used: not a decimal number"
        );
        let e = summary(summary_text().replace("fb 5 6000 10384 1 5 0", "fb 5 6000 10384 1 5"));
        assert_eq!(e.field, "over_budget");
        let e = summary(summary_text().replace("fb 5 6000 10384 1 5 0", "fb 5 6000 10384 1 5 0 9"));
        assert_eq!(e.why, "unexpected extra fields");
        assert_eq!(
            summary(summary_text().replace("over_8192", "under_8192")).field,
            "columns"
        );
        assert_eq!(
            summary(summary_text().replace("enabled 1", "enabled 7")).field,
            "enabled"
        );
        let e = summary(String::from("# something else\n"));
        assert_eq!((e.line, e.field), (1, "header"));
        assert!(summary::reader::read(
            &summary_text().replace(" 3 1000 ", " 3 1000 15384 0 0 0\n")
        )
        .is_err());

        let traces = |text: String| traces::reader::read(&text).unwrap_err();
        let _ =
            traces::reader::read(&traces_text().replace("\n    700", "\nfoo 1 2 3 x 0\n    700"));
        assert_eq!(
            traces(traces_text().replace("kwork x 3", "kwork x three")).field,
            "frames"
        );
        assert_eq!(
            traces(traces_text().replace("kwork x 3", "kwork x 9")).field,
            "frame"
        );

        let max_trace = |text: String| max_trace::reader::read(&text).unwrap_err();
        let e = max_trace(max_trace_text().replace("(3 entries)", "(4 entries)"));
        assert_eq!(e.kind, FormatErrorKind::Truncated);
        let e = max_trace(max_trace_text().replace("(3 entries)", "(2 entries)"));
        assert_eq!(e.why, "more rows than announced");
        assert_eq!(
            max_trace(max_trace_text().replace("   1)", "   5)")).field,
            "index"
        );

        let e =
            histogram::reader::read(&histogram_text().replace("# function 0 512", "# function 0"));
        assert_eq!(e.unwrap_err().why, "fewer buckets than expected");

        let probes = |text: String| probes::reader::read(&text).unwrap_err();
        assert_eq!(
            probes(PROBES.replace("ENOENT -2", "ENOENT minus2")).field,
            "errno"
        );
        assert_eq!(
            probes(PROBES.replace("attached xfs_*", "detached xfs_*")).field,
            "state"
        );
        assert!(
            probes::reader::read(&std::format!("{PROBES}attached late kprobe 1 1 1 1\n")).is_err()
        );

        let e = budgets::reader::read(&budgets_text().replace("4096 8", "4096")).unwrap_err();
        assert_eq!(e.field, "over_count");
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
            "# stackwatch max_trace: used 1 remaining 2 thread_size 3 pid 4 comm c\n        Depth    Size   Location    (9999999999999 entries)\n        -----\n",
            "# stackwatch histogram: width 5\n# function 1 2 3\n",
            "# stackwatch tasks: thread_size 1 threads 1\n  f\npoint 99999999999 1 c\n",
            "\u{00e9}\u{00e9}\n\u{1F600} 1 2\n", "\r\n\r\n", "   \n  x\n",
        ];
        for s in samples {
            let _ = errors(s);
        }
    }
}
