// SPDX-License-Identifier: GPL-2.0 OR MIT
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
//! # off_stack 2 dropped 0 trace_busy 0 warnings 0 warnings_suppressed 0 unloaded 0 slots_used 1
//! ```
//!
//! A function of a module that went away has no row: its statistics are
//! folded into the `(all)` row's and counted in `unloaded`, and its slot is
//! free again (`slots_used` counts the slots in use).

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
    /// Hits on functions of modules that went away since (folded into the
    /// `(all)` row; their rows and slots are gone).
    pub unloaded: u64,
    /// Function slots in use (of `max_functions`).
    pub slots_used: u64,
}

impl Counters {
    /// The counters' names in the file, in the order of [`Counters::values`].
    pub const NAMES: [&'static str; 7] = [
        "off_stack",
        "dropped",
        "trace_busy",
        "warnings",
        "warnings_suppressed",
        "unloaded",
        "slots_used",
    ];

    /// How many of [`Counters::NAMES`], from the first, every summary has;
    /// the rest are absent (read as 0) in files of older modules.
    #[cfg(feature = "std")]
    const REQUIRED: usize = 5;

    /// The values, in the order of [`Counters::NAMES`].
    pub fn values(&self) -> [u64; 7] {
        [
            self.off_stack,
            self.dropped,
            self.trace_busy,
            self.warnings,
            self.warnings_suppressed,
            self.unloaded,
            self.slots_used,
        ]
    }

    /// The values to fill in, in the order of [`Counters::NAMES`].
    #[cfg(feature = "std")]
    fn values_mut(&mut self) -> [&mut u64; 7] {
        [
            &mut self.off_stack,
            &mut self.dropped,
            &mut self.trace_busy,
            &mut self.warnings,
            &mut self.warnings_suppressed,
            &mut self.unloaded,
            &mut self.slots_used,
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

/// Reading a `summary` file back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::swcore::budget_sizes::MAX_BUDGETS;
    use crate::text::reader::*;
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
        /// Per configured budget (same order as [`Settings::budgets`]): hits that
        /// would have overflowed it.
        pub over_budget: Vec<u64>,
    }

    /// The module's settings, from the header lines of `summary`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Settings {
        /// THREAD_SIZE of the kernel.
        pub thread_size: u64,
        /// Threshold in remaining bytes (0: off).
        pub threshold: u64,
        /// Whether probes were counting.
        pub enabled: bool,
        /// Configured what-if budgets, bytes.
        pub budgets: Vec<u64>,
    }

    /// The `summary` file.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Summary {
        /// The settings (their fields stand in the summary's JSON).
        #[serde(flatten)]
        pub settings: Settings,
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
        let (mut lines, first) = Lines::header(text, HEADER, "not a stackwatch summary file")?;
        let settings = Settings {
            thread_size: keyed_field(first.text, "thread_size", first.no)?,
            threshold: keyed_field(first.text, "threshold", first.no)?,
            enabled: match keyed(first.text, "enabled") {
                Some(0) => false,
                Some(1) => true,
                _ => return Err(malformed(first.no, "enabled", "expected 0 or 1")),
            },
            budgets: over_columns(
                lines.expect(COLUMNS, "columns", "unexpected column names")?,
                COLUMNS,
            )?,
        };
        let mut counters = None;
        let (functions, all) = function_rows(
            &mut lines,
            "summary",
            |line| {
                if is_counters_line(line.text) {
                    counters = Some(parse_counters(line.text, line.no)?);
                }
                Ok(())
            },
            |name, rest, no| {
                Ok(FunctionStats {
                    name,
                    hits: field(rest, no, "hits")?,
                    max_used: field(rest, no, "max_used")?,
                    min_remaining: field(rest, no, "min_remaining")?,
                    below_threshold: field(rest, no, "below_threshold")?,
                    over_budget: fields(rest, no, settings.budgets.len(), "over_budget")?,
                })
            },
        )?;
        let counters = counters.ok_or(truncated(
            lines.next_no(),
            "counters",
            "no '# off_stack' line",
        ))?;
        Ok(Summary {
            settings,
            functions,
            all,
            counters,
        })
    }

    /// The budgets of the `over_<budget>` columns after `columns` (the
    /// fixed ones), in order: the layout of every per-function table.
    pub(crate) fn over_columns(cols: Line<'_>, columns: &str) -> Result<Vec<u64>, FormatError> {
        let extra = cols.text.get(columns.len()..).unwrap_or("");
        let budgets = extra
            .split(is_space)
            .filter(|t| !t.is_empty())
            .map(|tok| {
                tok.strip_prefix("over_").and_then(decimal).ok_or(malformed(
                    cols.no,
                    "columns",
                    "expected over_<bytes>",
                ))
            })
            .collect::<Result<Vec<u64>, FormatError>>()?;
        if budgets.len() > MAX_BUDGETS {
            return Err(malformed(cols.no, "columns", "too many budget columns"));
        }
        Ok(budgets)
    }

    /// Whether `text` is the counters line.
    fn is_counters_line(text: &str) -> bool {
        text.strip_prefix("# ")
            .and_then(|t| t.split(is_space).next())
            .is_some_and(|t| Some(&t) == Counters::NAMES.first())
    }

    fn parse_counters(text: &str, no: usize) -> Result<Counters, FormatError> {
        let mut c = Counters::default();
        for (i, (name, v)) in Counters::NAMES.iter().zip(c.values_mut()).enumerate() {
            let absent = !text.split(is_space).any(|t| t == *name);
            *v = if i >= Counters::REQUIRED && absent {
                0
            } else {
                keyed_field(text, name, no)?
            };
        }
        Ok(c)
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
    use super::*;
    use crate::text::sort_rows;
    use crate::text::tests::{rows, snap, written, Fake, COUNTERS};

    #[test]
    fn round_trip() {
        let mut r = rows();
        r.reverse();
        sort_rows(&mut r);
        let h = crate::text::tests::hdr();
        let text = written(|s| write_summary(s, &h, &r, &snap(8, 6000), &COUNTERS, &Fake));
        let lines: std::vec::Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "# function hits max_used min_remaining below_threshold over_4096 over_8192"
        );
        assert_eq!(lines[2], "fb 5 6000 10384 1 5 0");
        assert_eq!(
            lines[5],
            "# off_stack 2 dropped 3 trace_busy 4 warnings 5 warnings_suppressed 6 unloaded 7 slots_used 8"
        );
        let s = read(&text).unwrap();
        let t = &s.settings;
        assert_eq!((t.thread_size, t.threshold, t.enabled), (16384, 1024, true));
        assert_eq!(t.budgets, [4096, 8192]);
        assert_eq!(s.functions.len(), 2);
        assert_eq!(s.functions[0].name, "fb");
        assert_eq!(s.functions[0].over_budget, [5, 0]);
        assert_eq!(s.all.name, ALL);
        assert_eq!(s.counters, COUNTERS);
        let cut = text.replace("(all) ", "x ");
        assert!(read(&cut).is_err());
        // A summary of a module from before `unloaded` and `slots_used`.
        let old = text.replace(" unloaded 7 slots_used 8", "");
        let c = read(&old).unwrap().counters;
        assert_eq!((c.unloaded, c.slots_used), (0, 0));
        assert_eq!(c.warnings_suppressed, 6);
        let bad = text.replace("unloaded 7", "unloaded x");
        assert!(read(&bad).is_err(), "present but not a number");
    }
}
