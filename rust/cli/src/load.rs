// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reading a stackwatch directory into a [`Snapshot`] with the readers of
//! `stackwatch-format`. A parse problem names the file and line, and shows the line.

use crate::debugfs::Dir;
use crate::error::{Error, Result};
use crate::model::{CpuStacks, Snapshot, Summary};
use crate::sections::Sections;
use stackwatch_format::text::reader::FormatError;
use std::path::Path;

pub use stackwatch_format::budgets::reader::read as budgets;
pub use stackwatch_format::cpu_stacks::reader::read as cpu_stacks;
pub use stackwatch_format::histogram::reader::read as histogram;
pub use stackwatch_format::max_trace::reader::read as max_trace;
pub use stackwatch_format::probes::reader::read as probes;
pub use stackwatch_format::summary::reader::read as summary;
pub use stackwatch_format::tasks::reader::read as tasks;
pub use stackwatch_format::traces::reader::read as traces;

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

/// Reads and parses `name` if one of `sections` is made from it (one of
/// `by`) and the directory has it.
fn optional<T>(
    dir: &Dir,
    sections: Sections,
    by: Sections,
    name: &str,
    parser: Parser<T>,
) -> Result<Option<T>> {
    if !sections.intersects(by) {
        return Ok(None);
    }
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
    load_files(dir, Sections::all())
}

/// Reads `summary` (the table's and the counters') and the other files
/// `sections` are made from, those the directory has; the others are left
/// out of the snapshot as if missing. A live read of `traces` or `tasks`
/// costs the kernel a walk of every chain or thread, so a report asked for
/// fewer sections reads fewer files.
pub fn load_files(dir: &Dir, sections: Sections) -> Result<Snapshot> {
    use Sections as S;
    let s = sections;
    Ok(Snapshot {
        source: dir.path.display().to_string(),
        osrelease: dir
            .read("osrelease")?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        summary: load_summary(dir)?,
        // The chains; a what-if budget's path.
        traces: optional(dir, s, S::CHAINS | S::BUDGETS, "traces", traces)?,
        max_trace: optional(dir, s, S::CHAINS | S::MAX_TRACE, "max_trace", max_trace)?,
        histogram: optional(dir, s, S::HISTOGRAM, "histogram", histogram)?,
        probes: optional(dir, s, S::PROBES, "probes", probes)?,
        budgets: optional(dir, s, S::BUDGETS, "budgets", budgets)?,
        // The deepest threads; the what-if verdicts take the deepest one.
        tasks: optional(dir, s, S::TASKS | S::BUDGETS, "tasks", tasks)?,
        // The per-CPU stacks and the deepest chain on an IRQ stack.
        cpu_stacks: optional(dir, s, S::CPU_STACKS, "cpu_stacks", cpu_stacks)?,
        irq_max_trace: optional(dir, s, S::CPU_STACKS, "irq_max_trace", max_trace)?,
    })
}

/// Reads and parses the `cpu_stacks` file, if the directory has it.
pub fn load_cpu_stacks(dir: &Dir) -> Result<Option<CpuStacks>> {
    optional(
        dir,
        Sections::CPU_STACKS,
        Sections::CPU_STACKS,
        "cpu_stacks",
        cpu_stacks,
    )
}
