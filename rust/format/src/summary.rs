//! The `summary` file: the settings, one row per hit function (deepest
//! first) with its hits, deepest use, fewest bytes left, hits below the
//! threshold and per budget the hits that would have overflowed it; an
//! `(all)` row for all of them; and the module counters.
//!
//! ```text
//! # stackwatch summary: thread_size 16384 threshold 1024 enabled 1
//! # function hits max_used min_remaining below_threshold over_4096 over_8192
//! xfs_bmapi_write 5 6000 10384 0 5 0
//! (all) 8 6000 10384 0 8 0
//! # off_stack 2 dropped 0 trace_busy 0 warnings 0 warnings_suppressed 0
//! ```

use super::text::{Header, Row, Symbolize, ALL};
use crate::swcore::stats::Snapshot;
use core::fmt::{self, Write};

/// The first header line, before its settings.
pub const HEADER: &str = "# stackwatch summary:";
/// The column line, before the `over_<budget>` columns.
pub const COLUMNS: &str = "# function hits max_used min_remaining below_threshold";

/// Module-wide counters outside the per-function statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize))]
pub struct Counters {
    /// Hits whose stack pointer was not on the task stack (IRQ stacks).
    pub off_stack: u64,
    /// Hits on functions that found no free slot.
    pub dropped: u64,
    /// New maxima whose chain was not stored (slot busy on another CPU).
    pub trace_busy: u64,
    /// Threshold warnings printed.
    pub warnings: u64,
    /// Threshold crossings not printed because of the rate limit.
    pub warnings_suppressed: u64,
}

impl Counters {
    /// The counters' names in the file, in the order of [`Counters::values`].
    pub const NAMES: [&'static str; 5] = [
        "off_stack",
        "dropped",
        "trace_busy",
        "warnings",
        "warnings_suppressed",
    ];

    /// The values, in the order of [`Counters::NAMES`].
    pub fn values(&self) -> [u64; 5] {
        [
            self.off_stack,
            self.dropped,
            self.trace_busy,
            self.warnings,
            self.warnings_suppressed,
        ]
    }

    /// The values to fill in, in the order of [`Counters::NAMES`].
    #[cfg(feature = "std")]
    fn values_mut(&mut self) -> [&mut u64; 5] {
        [
            &mut self.off_stack,
            &mut self.dropped,
            &mut self.trace_busy,
            &mut self.warnings,
            &mut self.warnings_suppressed,
        ]
    }
}

fn budget_columns(w: &mut dyn Write, h: &Header) -> fmt::Result {
    for b in h.budgets.iter().filter(|&&b| b != 0) {
        write!(w, " over_{}", b)?;
    }
    Ok(())
}

fn stats_fields(w: &mut dyn Write, h: &Header, s: &Snapshot) -> fmt::Result {
    let min_remaining = if s.hits == 0 {
        h.thread_size
    } else {
        h.thread_size.saturating_sub(s.max_used)
    };
    write!(
        w,
        " {} {} {} {}",
        s.hits, s.max_used, min_remaining, s.below_threshold
    )?;
    for (i, b) in h.budgets.iter().enumerate() {
        if *b != 0 {
            write!(w, " {}", s.over_budget.get(i).copied().unwrap_or(0))?;
        }
    }
    Ok(())
}

/// The `summary` file: settings, one row per hit function (deepest first),
/// a `(all)` row for all of them, and the module counters.
pub fn write_summary(
    w: &mut dyn Write,
    h: &Header,
    rows: &[Row],
    global: &Snapshot,
    c: &Counters,
    sym: &dyn Symbolize,
) -> fmt::Result {
    writeln!(
        w,
        "{} thread_size {} threshold {} enabled {}",
        HEADER,
        h.thread_size,
        h.threshold,
        u8::from(h.enabled)
    )?;
    write!(w, "{}", COLUMNS)?;
    budget_columns(w, h)?;
    writeln!(w)?;
    for r in rows.iter().filter(|r| r.stats.hits != 0) {
        sym.name(r.addr, w)?;
        stats_fields(w, h, &r.stats)?;
        writeln!(w)?;
    }
    write!(w, "{}", ALL)?;
    stats_fields(w, h, global)?;
    writeln!(w)?;
    write!(w, "#")?;
    for (name, v) in Counters::NAMES.iter().zip(c.values()) {
        write!(w, " {} {}", name, v)?;
    }
    writeln!(w)
}

#[cfg(feature = "std")]
pub use reader::*;

#[cfg(feature = "std")]
mod reader {
    use super::*;
    use crate::text::{
        decimal, end_of_line, expect_line, field, is_space, keyed, keyed_field, malformed,
        truncated, word, BudgetList, FileTable, FormatError, Lines, Rows,
    };
    use serde::Serialize;

    /// One function's statistics (or the `(all)` row).
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct FunctionStats {
        /// Function name, or `(all)`.
        pub name: String,
        /// On-stack hits.
        pub hits: u64,
        /// Deepest use at entry, bytes.
        pub max_used: u64,
        /// Fewest bytes left at entry.
        pub min_remaining: u64,
        /// Hits that left fewer bytes than the threshold.
        pub below_threshold: u64,
        /// Per configured budget (same order as [`Summary::budgets`]): hits that
        /// would have overflowed it.
        pub over_budget: Vec<u64>,
    }

    /// The `summary` file.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Summary {
        /// THREAD_SIZE of the kernel.
        pub thread_size: u64,
        /// Threshold in remaining bytes (0: off).
        pub threshold: u64,
        /// Whether probes were counting.
        pub enabled: bool,
        /// Configured what-if budgets, bytes.
        pub budgets: Vec<u64>,
        /// Functions, deepest first.
        pub functions: Vec<FunctionStats>,
        /// The `(all)` row.
        pub all: FunctionStats,
        /// Module counters.
        pub counters: Counters,
    }

    impl Summary {
        /// The statistics of `name`, if it was hit.
        pub fn function(&self, name: &str) -> Option<&FunctionStats> {
            self.functions.iter().find(|f| f.name == name)
        }
    }

    /// Reads a `summary` file.
    pub fn read(text: &str) -> Result<Summary, FormatError> {
        let h = summary_header(text)?;
        let mut functions = Vec::new();
        let mut all = None;
        for r in summary_rows(text) {
            let r = r?;
            if r.name == ALL {
                all = Some(r);
            } else {
                functions.push(r);
            }
        }
        let all = all.ok_or(truncated(
            text.lines().count().saturating_add(1),
            "summary",
            "no (all) row at the end",
        ))?;
        Ok(Summary {
            thread_size: h.thread_size,
            threshold: h.threshold,
            enabled: h.enabled,
            budgets: h.budgets.as_slice().to_vec(),
            functions,
            all,
            counters: summary_counters(text)?,
        })
    }

    /// The two header lines of `summary`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SummaryHeader {
        /// THREAD_SIZE of the kernel.
        pub thread_size: u64,
        /// Threshold in remaining bytes (0: off).
        pub threshold: u64,
        /// Whether probes were counting.
        pub enabled: bool,
        /// The `over_<budget>` columns, in order.
        pub budgets: BudgetList,
    }

    fn read_summary_header(lines: &mut Lines<'_>) -> Result<SummaryHeader, FormatError> {
        let first = expect_line(lines, HEADER, "header", "not a stackwatch summary file")?;
        let thread_size = keyed_field(first.text, "thread_size", first.no)?;
        let threshold = keyed_field(first.text, "threshold", first.no)?;
        let enabled = match keyed(first.text, "enabled") {
            Some(0) => false,
            Some(1) => true,
            _ => return Err(malformed(first.no, "enabled", "expected 0 or 1")),
        };
        let cols = expect_line(lines, COLUMNS, "columns", "unexpected column names")?;
        let mut budgets = BudgetList::new();
        let extra = cols.text.get(COLUMNS.len()..).unwrap_or("");
        for tok in extra.split(is_space).filter(|t| !t.is_empty()) {
            let b = tok
                .strip_prefix("over_")
                .and_then(decimal)
                .ok_or(malformed(cols.no, "columns", "expected over_<bytes>"))?;
            if !budgets.push(b) {
                return Err(malformed(cols.no, "columns", "too many budget columns"));
            }
        }
        Ok(SummaryHeader {
            thread_size,
            threshold,
            enabled,
            budgets,
        })
    }

    /// The `summary` table.
    enum SummaryFile {}

    impl<'a> FileTable<'a> for SummaryFile {
        type Context = SummaryHeader;
        type Row = FunctionStats;
        const WHAT: &'static str = "summary";
        const NEEDS_ALL: bool = true;

        fn header(lines: &mut Lines<'a>) -> Result<SummaryHeader, FormatError> {
            read_summary_header(lines)
        }

        fn row(h: &SummaryHeader, no: usize, text: &'a str) -> Result<FunctionStats, FormatError> {
            let mut rest = text;
            let name = word(&mut rest, no, "function")?;
            let hits = field(&mut rest, no, "hits")?;
            let max_used = field(&mut rest, no, "max_used")?;
            let min_remaining = field(&mut rest, no, "min_remaining")?;
            let below_threshold = field(&mut rest, no, "below_threshold")?;
            let over_budget = h
                .budgets
                .as_slice()
                .iter()
                .map(|_| field(&mut rest, no, "over_budget"))
                .collect::<Result<Vec<u64>, FormatError>>()?;
            end_of_line(rest, no)?;
            Ok(FunctionStats {
                name: name.to_string(),
                hits,
                max_used,
                min_remaining,
                below_threshold,
                over_budget,
            })
        }

        fn is_all(r: &FunctionStats) -> bool {
            r.name == ALL
        }

        fn comment(_: &SummaryHeader, no: usize, text: &'a str) -> Result<bool, FormatError> {
            if is_counters_line(text) {
                parse_counters(text, no)?;
                return Ok(true);
            }
            Ok(false)
        }
    }

    /// The header of a `summary` file.
    pub fn summary_header(text: &str) -> Result<SummaryHeader, FormatError> {
        read_summary_header(&mut Lines::new(text))
    }

    /// The rows of a `summary` file, functions deepest first, then `(all)`.
    /// Ends with an error if the `(all)` row is missing.
    pub fn summary_rows(
        text: &str,
    ) -> impl Iterator<Item = Result<FunctionStats, FormatError>> + '_ {
        Rows::<SummaryFile>::new(text)
    }

    /// Whether `text` is the counters line.
    fn is_counters_line(text: &str) -> bool {
        text.strip_prefix("# ")
            .and_then(|t| t.split(is_space).next())
            .is_some_and(|t| Some(&t) == Counters::NAMES.first())
    }

    fn parse_counters(text: &str, no: usize) -> Result<Counters, FormatError> {
        let mut c = Counters::default();
        for (name, v) in Counters::NAMES.iter().zip(c.values_mut()) {
            *v = keyed_field(text, name, no)?;
        }
        Ok(c)
    }

    /// The module counters from the last line of a `summary` file.
    pub fn summary_counters(text: &str) -> Result<Counters, FormatError> {
        let mut lines = Lines::new(text);
        let mut found = None;
        for line in lines.by_ref() {
            if is_counters_line(line.text) {
                found = Some(line);
            }
        }
        let line = found.ok_or(truncated(
            lines.next_no(),
            "counters",
            "no '# off_stack' line",
        ))?;
        parse_counters(line.checked()?, line.no)
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::*;
    use crate::text::sort_rows;
    use crate::text::tests::{rows, snap, written, Fake};

    #[test]
    fn round_trip() {
        let c = Counters {
            off_stack: 2,
            dropped: 3,
            trace_busy: 4,
            warnings: 5,
            warnings_suppressed: 6,
        };
        let mut r = rows();
        r.reverse();
        sort_rows(&mut r);
        let h = crate::text::tests::hdr();
        let text = written(|s| write_summary(s, &h, &r, &snap(8, 6000), &c, &Fake));
        let lines: std::vec::Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "# function hits max_used min_remaining below_threshold over_4096 over_8192"
        );
        assert_eq!(lines[2], "fb 5 6000 10384 1 5 0");
        assert_eq!(
            lines[5],
            "# off_stack 2 dropped 3 trace_busy 4 warnings 5 warnings_suppressed 6"
        );
        let s = read(&text).unwrap();
        assert_eq!((s.thread_size, s.threshold, s.enabled), (16384, 1024, true));
        assert_eq!(s.budgets, [4096, 8192]);
        assert_eq!(s.functions.len(), 2);
        assert_eq!(s.functions[0].name, "fb");
        assert_eq!(s.functions[0].over_budget, [5, 0]);
        assert_eq!(s.all.name, ALL);
        assert_eq!(s.counters, c);
        let cut = text.replace("(all) ", "x ");
        assert!(read(&cut).is_err());
    }
}
