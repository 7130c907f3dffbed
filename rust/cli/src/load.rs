//! Reading a stackwatch directory into a [`Snapshot`] with the core crate's
//! parsers. A parse problem names the file and line, and shows the line.

use crate::debugfs::Dir;
use crate::error::{Error, Result};
use crate::model::{
    AttachedProbe, BudgetTotal, Chain, Counters, DeepestPoint, Frame, FunctionStats, Histogram,
    HistogramRow, MaxTrace, Probes, SkippedProbe, Snapshot, Summary, Tasks, ThreadUse,
};
use crate::parse::{self, FormatError, FormatErrorKind, ProbeRow, SummaryRow, Symbol};
use stackwatch_core::tasks::{read_tasks, TaskLine, TasksItem};
use std::path::Path;

fn stats(r: &SummaryRow<'_>) -> FunctionStats {
    FunctionStats {
        name: r.name.to_string(),
        hits: r.hits,
        max_used: r.max_used,
        min_remaining: r.min_remaining,
        below_threshold: r.below_threshold,
        over_budget: r.over.as_slice().to_vec(),
    }
}

/// The `summary` file.
pub fn summary(text: &str) -> std::result::Result<Summary, FormatError> {
    let h = parse::summary_header(text)?;
    let mut functions = Vec::new();
    let mut all = None;
    for r in parse::summary_rows(text) {
        let r = r?;
        if r.is_all() {
            all = Some(stats(&r));
        } else {
            functions.push(stats(&r));
        }
    }
    let all = all.ok_or(FormatError {
        line: text.lines().count() + 1,
        kind: FormatErrorKind::Truncated,
        field: "summary",
        why: "no (all) row at the end",
    })?;
    let c = parse::summary_counters(text)?;
    Ok(Summary {
        thread_size: h.thread_size,
        threshold: h.threshold,
        enabled: h.enabled,
        budgets: h.budgets.as_slice().to_vec(),
        functions,
        all,
        counters: Counters {
            off_stack: c.off_stack,
            dropped: c.dropped,
            trace_busy: c.trace_busy,
            warnings: c.warnings,
            warnings_suppressed: c.warnings_suppressed,
        },
    })
}

fn frame(size: u64, s: &Symbol<'_>) -> Frame {
    Frame {
        size,
        symbol: s.text.to_string(),
        function: s.name.to_string(),
        offset: s.offset,
        function_size: s.size,
        module: s.module.map(str::to_string),
        source: Vec::new(),
    }
}

/// The `traces` file.
pub fn traces(text: &str) -> std::result::Result<Vec<Chain>, FormatError> {
    parse::traces_header(text)?;
    parse::traces(text)
        .map(|r| {
            r.map(|t| Chain {
                function: t.name.to_string(),
                used: t.used,
                remaining: t.remaining,
                pid: t.pid,
                comm: t.comm.to_string(),
                frames: t.frames().map(|f| frame(f.size, &f.symbol)).collect(),
            })
        })
        .collect()
}

/// The `max_trace` file.
pub fn max_trace(text: &str) -> std::result::Result<MaxTrace, FormatError> {
    let h = parse::max_trace_header(text)?;
    let frames = parse::max_trace_rows(text)
        .map(|r| r.map(|row| frame(row.size, &row.symbol)))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(MaxTrace {
        thread_size: h.thread_size,
        chain: h.task.map(|t| Chain {
            function: frames
                .first()
                .map(|f| f.function.clone())
                .unwrap_or_default(),
            used: t.used,
            remaining: t.remaining,
            pid: t.pid,
            comm: t.comm.to_string(),
            frames,
        }),
    })
}

/// The `histogram` file.
pub fn histogram(text: &str) -> std::result::Result<Histogram, FormatError> {
    let h = parse::histogram_header(text)?;
    let rows = parse::histogram_rows(text)
        .map(|r| {
            r.map(|row| HistogramRow {
                name: row.name.to_string(),
                counts: row.counts.to_vec(),
            })
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(Histogram {
        bucket_width: h.bucket_width,
        bounds: h.bounds.to_vec(),
        rows,
    })
}

/// The `probes` file.
pub fn probes(text: &str) -> std::result::Result<Probes, FormatError> {
    let mut p = Probes::default();
    for r in parse::probe_rows(text) {
        match r? {
            ProbeRow::Attached(a) => p.attached.push(AttachedProbe {
                spec: a.spec.to_string(),
                mechanism: a.mechanism.to_string(),
                functions: a.functions,
                hits: a.hits,
                off_stack: a.off_stack,
                missed: a.missed,
            }),
            ProbeRow::Skipped(s) => p.skipped.push(SkippedProbe {
                name: s.name.to_string(),
                errno_name: s.errno_name.to_string(),
                errno: s.errno,
            }),
        }
    }
    for r in parse::pending_rows(text) {
        let r = r?;
        p.pending
            .push((r.name.to_string(), r.mechanism.to_string()));
    }
    Ok(p)
}

/// The `budgets` file.
pub fn budgets(text: &str) -> std::result::Result<Vec<BudgetTotal>, FormatError> {
    parse::budget_rows(text)
        .map(|r| {
            r.map(|b| BudgetTotal {
                budget: b.budget,
                over: b.over,
            })
        })
        .collect()
}

/// The `tasks` file.
pub fn tasks(text: &str) -> std::result::Result<Tasks, FormatError> {
    let (mut rows, mut points) = (Vec::new(), Vec::<DeepestPoint>::new());
    let thread = |t: &TaskLine<'_>| ThreadUse {
        pid: t.pid,
        comm: t.comm.to_string(),
        used: t.used as u64,
    };
    let h = read_tasks(text, |item| match item {
        TasksItem::Thread(t) => rows.push(thread(&t)),
        TasksItem::Point(t) => points.push(DeepestPoint {
            thread: thread(&t),
            frames: Vec::new(),
        }),
        TasksItem::Frame(f) => {
            if let Some(p) = points.last_mut() {
                p.frames.push(f.to_string());
            }
        }
    })
    .map_err(|e| FormatError {
        line: e.line,
        kind: FormatErrorKind::Malformed,
        field: "tasks",
        why: e.why,
    })?;
    Ok(Tasks {
        threads: h.threads as u64,
        rows,
        points,
    })
}

/// A parse error with the file's path and the offending line.
pub fn context(path: &Path, text: &str, e: &FormatError) -> Error {
    let mut msg = format!("{}: {e}", path.display());
    if let Some(line) = e.line.checked_sub(1).and_then(|i| text.lines().nth(i)) {
        let shown: String = line.chars().take(120).collect();
        msg.push_str(&format!("\n  {} | {}", e.line, shown));
    }
    Error::runtime(msg)
}

type Parser<T> = fn(&str) -> std::result::Result<T, FormatError>;

fn optional<T>(dir: &Dir, name: &str, parser: Parser<T>) -> Result<Option<T>> {
    match dir.read(name)? {
        None => Ok(None),
        Some(text) => parser(&text)
            .map(Some)
            .map_err(|e| context(&dir.file(name), &text, &e)),
    }
}

/// Reads and parses the `summary` file.
pub fn load_summary(dir: &Dir) -> Result<Summary> {
    let text = dir.read_required("summary")?;
    summary(&text).map_err(|e| context(&dir.file("summary"), &text, &e))
}

/// Reads every file of a directory; only `summary` is required.
pub fn load(dir: &Dir) -> Result<Snapshot> {
    Ok(Snapshot {
        source: dir.path.display().to_string(),
        osrelease: dir
            .read("osrelease")?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        summary: load_summary(dir)?,
        traces: optional(dir, "traces", traces)?,
        max_trace: optional(dir, "max_trace", max_trace)?,
        histogram: optional(dir, "histogram", histogram)?,
        probes: optional(dir, "probes", probes)?,
        budgets: optional(dir, "budgets", budgets)?,
        tasks: optional(dir, "tasks", tasks)?,
    })
}
