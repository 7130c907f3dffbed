// SPDX-License-Identifier: MIT OR Apache-2.0
//! The text report: settings, then what a user came for first (the what-if
//! verdicts and the deepest paths), then the per-function table (the
//! deepest rows, or every row), and the other sections asked for.

use crate::model::{
    distinct_paths, entered_from, percent, Chain, Frame, Settings, Snapshot, Summary,
};
use crate::sections::Sections;
use crate::style::{Paint, Style};
use crate::text_table::{Align, TextTable};
use crate::whatif;
use std::collections::HashSet;
use std::fmt::Write;

/// How to render.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Parts to print.
    pub sections: Sections,
    /// How many of the deepest chains to print.
    pub chains: usize,
    /// Rows of the per-function table (`None`: every row).
    pub rows: Option<usize>,
    /// Colours.
    pub style: Style,
}

/// Functions per budget listed under what-if budgets.
const WHATIF_ROWS: usize = 8;

/// Renders one section of the report.
type Part = fn(&Snapshot, &Options) -> String;

/// The sections after the header, in order, and how each is rendered.
const SECTIONS: [(Sections, Part); 9] = [
    (Sections::BUDGETS, |snap, o| budgets(snap, &o.style)),
    (Sections::CHAINS, |snap, o| chains(snap, o.chains, &o.style)),
    (Sections::MAX_TRACE, |snap, o| max_trace(snap, &o.style)),
    (Sections::TABLE, |snap, o| table(snap, o.rows, &o.style)),
    (Sections::TASKS, |snap, o| {
        tasks(snap, o.rows.is_none(), &o.style)
    }),
    (Sections::CPU_STACKS, |snap, o| {
        cpu_stacks(snap, o.rows.is_none(), &o.style)
    }),
    (Sections::HISTOGRAM, |snap, o| histogram(snap, &o.style)),
    (Sections::PROBES, |snap, o| probes(snap, &o.style)),
    (Sections::COUNTERS, |snap, o| counters(snap, &o.style)),
];

/// The whole report.
pub fn render(snap: &Snapshot, opts: &Options) -> String {
    let mut out = header(snap, &opts.style);
    for (section, part) in SECTIONS {
        if !opts.sections.contains(section) {
            continue;
        }
        // (Empty for a section with nothing to show: no `tasks` file.)
        let text = part(snap, opts);
        if !text.is_empty() {
            out.push('\n');
            out.push_str(&text);
        }
    }
    out
}

fn header(snap: &Snapshot, st: &Style) -> String {
    let s = &snap.summary.settings;
    let mut out = st.heading(&format!("stackwatch report: {}", snap.source));
    if let Some(r) = &snap.osrelease {
        let _ = write!(out, " (kernel {r})");
    }
    out.push('\n');
    let budgets: Vec<String> = s.budgets.iter().map(u64::to_string).collect();
    let _ = writeln!(
        out,
        "thread_size {} bytes, threshold {}, budgets {}, probes {}",
        s.thread_size,
        if s.threshold == 0 {
            "off".to_string()
        } else {
            format!("{} bytes left", s.threshold)
        },
        if budgets.is_empty() {
            "none".to_string()
        } else {
            budgets.join(" ")
        },
        if s.enabled { "counting" } else { "paused" }
    );
    out
}

/// How a row is painted: red if it crossed the threshold, yellow past 75%.
fn row_paint(s: &Settings, max_used: u64, below: u64) -> Paint {
    if below > 0 || (s.threshold > 0 && s.thread_size.saturating_sub(max_used) < s.threshold) {
        Paint::Red
    } else if percent(max_used, s.thread_size) >= 75.0 {
        Paint::Yellow
    } else {
        Paint::Plain
    }
}

fn table(snap: &Snapshot, rows: Option<usize>, st: &Style) -> String {
    let n = snap.summary.functions.len();
    let shown = rows.map_or(n, |r| r.min(n));
    let mut out = st.heading(&if shown < n {
        format!("Stack use at entry, per probed function (the {shown} deepest of {n})")
    } else {
        "Stack use at entry, per probed function (deepest first)".to_string()
    });
    out.push('\n');
    out.push_str(&function_table(&snap.summary, st, None, shown));
    if shown < n {
        let _ = writeln!(
            out,
            "  ({} more functions: --all lists every row, --rows N the N deepest)",
            n - shown
        );
    }
    out
}

/// The per-function table: the `rows` deepest functions and the `(all)`
/// row. With `grown`, a first column marks the functions in it with `+`
/// (used by `watch`).
pub fn function_table(
    s: &Summary,
    st: &Style,
    grown: Option<&HashSet<String>>,
    rows: usize,
) -> String {
    let text: &[&str] = if grown.is_some() {
        &[" ", "FUNCTION"]
    } else {
        &["FUNCTION"]
    };
    let numbers = ["HITS", "MAX_USED", "MIN_LEFT", "USED%", "BELOW_THR"];
    let mut t = TextTable::new(text, &numbers);
    for b in &s.settings.budgets {
        t = t.column(format!("OVER_{b}"), Align::Right);
    }
    let shown = s.functions.iter().take(rows).map(|f| (f, false));
    for (f, is_all) in shown.chain(std::iter::once((&s.all, true))) {
        let mut paint = if is_all {
            Paint::Bold
        } else {
            row_paint(&s.settings, f.max_used, f.below_threshold)
        };
        let mut cells = Vec::new();
        if let Some(g) = grown {
            let up = !is_all && g.contains(&f.name);
            if up {
                paint = Paint::Green;
            }
            cells.push(if up { "+" } else { " " }.to_string());
        }
        cells.extend([
            f.name.clone(),
            f.hits.to_string(),
            f.max_used.to_string(),
            f.min_remaining.to_string(),
            format!("{:.1}", percent(f.max_used, s.settings.thread_size)),
            f.below_threshold.to_string(),
        ]);
        let budgets = 0..s.settings.budgets.len();
        cells.extend(budgets.map(|i| f.over_budget.get(i).copied().unwrap_or(0).to_string()));
        t.row(cells, paint);
    }
    t.render(st, "  ")
}

fn source_lines(f: &Frame, indent: &str, st: &Style, out: &mut String) {
    for s in &f.source {
        let loc = match (&s.file, s.line) {
            (Some(file), Some(line)) => format!("{file}:{line}"),
            (Some(file), None) => file.clone(),
            _ => "??".to_string(),
        };
        let func = s.function.as_deref().unwrap_or("??");
        let note = if s.inlined { "  (inlined)" } else { "" };
        let _ = writeln!(
            out,
            "{indent}{}",
            st.paint(Paint::Dim, &format!("{func} at {loc}{note}"))
        );
    }
}

/// One chain: a line about it, then its frames with sizes and depths.
pub fn chain(c: &Chain, thread_size: u64, st: &Style) -> String {
    let mut out = format!(
        "{}: {} bytes used, {} left ({:.1}% of {}), pid {} ({}), {} frames\n",
        st.paint(Paint::Bold, &c.function),
        c.used,
        c.remaining,
        percent(c.used, thread_size),
        thread_size,
        c.pid,
        c.comm,
        c.frames.len()
    );
    let _ = writeln!(
        out,
        "  {}",
        st.heading(&format!("{:>6}  {:>6}  FRAME", "DEPTH", "SIZE"))
    );
    let mut depth = c.used;
    for f in &c.frames {
        let _ = writeln!(out, "  {:>6}  {:>6}  {}", depth, f.size, f.symbol);
        source_lines(f, "                    ", st, &mut out);
        depth = depth.saturating_sub(f.size);
    }
    out
}

/// Names of functions whose chains are the start of a shown one, at most
/// this many (then a count).
const ALSO_NAMED: usize = 4;

fn chains(snap: &Snapshot, n: usize, st: &Style) -> String {
    let Some(traces) = &snap.traces else {
        return format!("{}\n  (no traces file)\n", st.heading("Deepest chains"));
    };
    let all: Vec<&Chain> = traces.iter().collect();
    let shown = distinct_paths(&all, n, entered_from);
    let mut out = st.heading(&format!(
        "Deepest chains ({} distinct path{}; {} functions have a chain)",
        shown.len(),
        if shown.len() == 1 { "" } else { "s" },
        traces.len()
    ));
    out.push('\n');
    if traces.is_empty() {
        out.push_str("  (none recorded yet)\n");
    }
    for (c, also) in shown {
        out.push_str(&chain(c, snap.summary.settings.thread_size, st));
        if !also.is_empty() {
            let mut names = also
                .iter()
                .take(ALSO_NAMED)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if also.len() > ALSO_NAMED {
                let _ = write!(names, " and {} more", also.len() - ALSO_NAMED);
            }
            let _ = writeln!(
                out,
                "  (also on this path, entered from its frames: the deepest chains of {names})"
            );
        }
    }
    out
}

fn max_trace(snap: &Snapshot, st: &Style) -> String {
    let mut out = st.heading("Deepest chain overall (max_trace)");
    out.push('\n');
    match snap
        .max_trace
        .as_ref()
        .map(|m| (m.thread_size, m.chain.as_ref()))
    {
        None => out.push_str("  (no max_trace file)\n"),
        Some((_, None)) => out.push_str("  (nothing recorded yet)\n"),
        Some((ts, Some(c))) => out.push_str(&chain(c, ts, st)),
    }
    out
}

fn budgets(snap: &Snapshot, st: &Style) -> String {
    let mut out = st.heading(
        "What-if budgets: would a smaller thread stack have held? (task-stack hits that would have overflowed it; the IRQ stacks: below)",
    );
    out.push('\n');
    let all = whatif::budgets(snap);
    if all.is_empty() {
        out.push_str("  (no budgets configured)\n");
    }
    for b in &all {
        let _ = writeln!(
            out,
            "  would overflow {}: {} hits in all{}",
            st.paint(Paint::Bold, &b.budget.to_string()),
            b.total,
            if b.functions.is_empty() { ", none" } else { "" }
        );
        let v = &b.verdict;
        let _ = writeln!(
            out,
            "    verdict: {} — deepest {} bytes, {} {}",
            if v.fits {
                st.paint(Paint::Bold, "fits")
            } else {
                st.paint(Paint::Red, "does not fit")
            },
            v.deepest,
            match v.measure {
                whatif::Measure::ThreadStack => "the deepest point of a thread stack,",
                whatif::Measure::ProbeEntry =>
                    "at the entry of a probed function (what runs below is not seen),",
            },
            v.at
        );
        let mut t = TextTable::new(&["PATH"], &["TIMES"]);
        for o in b.functions.iter().take(WHATIF_ROWS) {
            t.row(
                vec![whatif::abbreviate(&o.path, 2), format!("{} times", o.count)],
                Paint::Plain,
            );
        }
        if !t.is_empty() {
            // Skip the table's heading: the line above says what it is.
            let body = t.render(st, "    ");
            out.extend(body.lines().skip(1).map(|l| format!("{l}\n")));
        }
        if b.functions.len() > WHATIF_ROWS {
            let _ = writeln!(out, "    (and {} more)", b.functions.len() - WHATIF_ROWS);
        }
    }
    out
}

/// Eight-level bar for a count relative to `max`.
fn bar(count: u64, max: u64) -> char {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if count == 0 || max == 0 {
        return '·';
    }
    let i = ((count as f64 / max as f64) * 7.0).round() as usize;
    LEVELS[i.min(7)]
}

/// The deepest thread stacks (`tasks`): the measure the what-if verdicts take.
/// Deepest points and return addresses shown of each unless `--all`.
const POINTS_SHOWN: (usize, usize) = (1, 12);

fn tasks(snap: &Snapshot, every: bool, st: &Style) -> String {
    // (Nothing without a `tasks` file: snapshots from before it had none.)
    let Some(t) = &snap.tasks else {
        return String::new();
    };
    let mut out =
        st.heading("Deepest thread stacks (each thread's deepest point since it started)");
    out.push('\n');
    if let Some(p) = &t.population {
        let _ = writeln!(
            out,
            "  every thread by its deepest point (vmstat's kstack_* buckets): {}",
            p.buckets
                .iter()
                .filter(|b| b.threads != 0)
                .map(|b| match b.le {
                    Some(le) => format!("<= {}K: {}", le / 1024, b.threads),
                    None => format!("more: {}", b.threads),
                })
                .collect::<Vec<_>>()
                .join(", ")
        );
        let share = |n: u64| 100.0 * n as f64 / (t.threads.max(1)) as f64;
        let _ = writeln!(
            out,
            "  would fit a 4K stack: {} ({:.1}%), 8K: {} ({:.1}%), 16K: {} ({:.1}%)",
            p.fit_4k,
            share(p.fit_4k),
            p.fit_8k,
            share(p.fit_8k),
            p.fit_16k,
            share(p.fit_16k)
        );
    }
    let _ = writeln!(out, "  {} threads scanned; the deepest:", t.threads);
    for r in t.rows.iter().take(WHATIF_ROWS) {
        let _ = writeln!(out, "    {:>6} bytes  {} (pid {})", r.used, r.comm, r.pid);
    }
    let (points, words) = if every {
        (usize::MAX, usize::MAX)
    } else {
        POINTS_SHOWN
    };
    let with_words: Vec<_> = t.points.iter().filter(|p| !p.frames.is_empty()).collect();
    for p in with_words.iter().take(points) {
        let _ = writeln!(
            out,
            "  where {} (pid {}) reached {} bytes: return addresses left just above that point, innermost first (stale stack words, not an unwind):",
            p.thread.comm, p.thread.pid, p.thread.used
        );
        for f in p.frames.iter().take(words) {
            let _ = writeln!(out, "    {f}");
        }
        if p.frames.len() > words {
            let _ = writeln!(out, "    ({} more words: --all)", p.frames.len() - words);
        }
    }
    if with_words.len() > points {
        let _ = writeln!(
            out,
            "  ({} more threads' deepest points: --all)",
            with_words.len() - points
        );
    }
    out
}

/// The per-CPU IRQ and exception stacks (`cpu_stacks`): each stack's
/// deepest point since boot with the return addresses above it, the probe
/// hits measured against the IRQ stacks, and the deepest chain taken there.
fn cpu_stacks(snap: &Snapshot, every: bool, st: &Style) -> String {
    // (Nothing without a `cpu_stacks` file: modules and snapshots from
    // before it had none.)
    let Some(c) = &snap.cpu_stacks else {
        return String::new();
    };
    let mut out =
        st.heading("Per-CPU IRQ and exception stacks (each stack's deepest point since boot)");
    out.push('\n');
    for s in &c.stacks {
        match (s.used, s.left) {
            (Some(u), Some(l)) => {
                let _ = writeln!(
                    out,
                    "  CPU {:<3} {:<4} stack: {:>6} of {} bytes used, {} left",
                    s.cpu, s.stack, u, s.size, l
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "  CPU {:<3} {:<4} stack: not found or not readable ({} bytes)",
                    s.cpu, s.stack, s.size
                );
            }
        }
    }
    let used: Vec<u64> = c
        .stacks
        .iter()
        .filter(|s| s.stack == "IRQ")
        .filter_map(|s| s.used)
        .collect();
    if !used.is_empty() {
        let fit = |b: u64| used.iter().filter(|&&u| u <= b).count();
        let _ = writeln!(
            out,
            "  IRQ stacks whose deepest point would fit 4K: {} of {}, 8K: {}, 16K: {}",
            fit(4096),
            used.len(),
            fit(8192),
            fit(16384)
        );
    }
    let (points, words) = if every {
        (usize::MAX, usize::MAX)
    } else {
        POINTS_SHOWN
    };
    let mut with_words: Vec<_> = c.stacks.iter().filter(|s| !s.frames.is_empty()).collect();
    with_words.sort_by_key(|s| std::cmp::Reverse(s.used));
    for s in with_words.iter().take(points) {
        let _ = writeln!(
            out,
            "  where CPU {}'s {} stack reached {} bytes: return addresses left just above that point, innermost first (stale stack words, not an unwind):",
            s.cpu,
            s.stack,
            s.used.unwrap_or(0)
        );
        for f in s.frames.iter().take(words) {
            let _ = writeln!(out, "    {f}");
        }
        if s.frames.len() > words {
            let _ = writeln!(out, "    ({} more words: --all)", s.frames.len() - words);
        }
    }
    if with_words.len() > points {
        let _ = writeln!(
            out,
            "  ({} more stacks' deepest points: --all)",
            with_words.len() - points
        );
    }
    if c.all.hits != 0 {
        let _ = writeln!(
            out,
            "  probe hits on IRQ stacks (hard interrupts, softirqs): {}, the deepest {} of {} bytes; by function:",
            c.all.hits, c.all.max_used, c.irq_stack_size
        );
        for f in c.functions.iter().take(WHATIF_ROWS) {
            let _ = writeln!(
                out,
                "    {:>6} bytes  {} ({} hits)",
                f.max_used, f.function, f.hits
            );
        }
    }
    if let Some(ch) = snap.irq_max_trace.as_ref().and_then(|m| m.chain.as_ref()) {
        let _ = writeln!(
            out,
            "  the deepest chain taken on an IRQ stack, {} of {} bytes (pid {} {} interrupted):",
            ch.used, c.irq_stack_size, ch.pid, ch.comm
        );
        let mut depth = ch.used;
        for f in ch.frames.iter().take(words) {
            let _ = writeln!(out, "    {:>6} {:>5}  {}", depth, f.size, f.symbol);
            depth = depth.saturating_sub(f.size);
        }
    }
    out
}

fn histogram(snap: &Snapshot, st: &Style) -> String {
    let mut out = String::new();
    let Some(h) = &snap.histogram else {
        return format!(
            "{}\n  (no histogram file)\n",
            st.heading("Depth histograms")
        );
    };
    let _ = writeln!(
        out,
        "{}",
        st.heading(&format!(
            "Depth histograms (hits by used bytes, {}-byte buckets from 0 to {})",
            h.bucket_width, snap.summary.settings.thread_size
        ))
    );
    let mut t = TextTable::new(&["FUNCTION", "HISTOGRAM"], &[]);
    for r in &h.rows {
        let max = r.counts.iter().copied().max().unwrap_or(0);
        let line: String = r.counts.iter().map(|&c| bar(c, max)).collect();
        t.row(vec![r.name.clone(), line], Paint::Plain);
    }
    out.push_str(&t.render(st, "  "));
    out
}

fn probes(snap: &Snapshot, st: &Style) -> String {
    let mut out = st.heading("Probes");
    out.push('\n');
    let Some(p) = &snap.probes else {
        out.push_str("  (no probes file)\n");
        return out;
    };
    let functions: u64 = p.attached.iter().map(|a| a.functions).sum();
    let missed: u64 = p.attached.iter().map(|a| a.missed).sum();
    let _ = writeln!(
        out,
        "  {} attached ({} functions), {} pending, {} skipped, {} missed hits",
        p.attached.len(),
        functions,
        p.pending.len(),
        p.skipped.len(),
        missed
    );
    for q in &p.pending {
        let _ = writeln!(
            out,
            "  pending {} ({}): attaches when a module that has it loads",
            q.name, q.mechanism
        );
    }
    for s in &p.skipped {
        let _ = writeln!(
            out,
            "  skipped {}: {}",
            s.name,
            crate::errno::explain_write("probes", s.errno as i32)
        );
    }
    out
}

fn counters(snap: &Snapshot, st: &Style) -> String {
    let c = &snap.summary.counters;
    format!(
        "{}\n  off_stack {}  dropped {}  trace_busy {}  warnings {} ({} suppressed)\n",
        st.heading("Counters"),
        c.off_stack,
        c.dropped,
        c.trace_busy,
        c.warnings,
        c.warnings_suppressed
    )
}
