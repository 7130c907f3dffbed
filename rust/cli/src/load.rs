//! Reading a stackwatch directory into a [`Snapshot`] with the readers of
//! `stackwatch-format`. A parse problem names the file and line, and shows the line.

use crate::debugfs::Dir;
use crate::error::{Error, Result};
use crate::model::{Snapshot, Summary};
use bitflags::bitflags;
use stackwatch_format::text::reader::FormatError;
use std::path::Path;

pub use stackwatch_format::budgets::reader::read as budgets;
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

bitflags! {
    /// The optional files of a directory (`summary` is always read).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Files: u8 {
        /// `traces`.
        const TRACES = 1 << 0;
        /// `max_trace`.
        const MAX_TRACE = 1 << 1;
        /// `histogram`.
        const HISTOGRAM = 1 << 2;
        /// `probes`.
        const PROBES = 1 << 3;
        /// `budgets`.
        const BUDGETS = 1 << 4;
        /// `tasks`.
        const TASKS = 1 << 5;
    }
}

/// Reads and parses `name` if `files` has `file` and the directory has it.
fn optional<T>(
    dir: &Dir,
    files: Files,
    file: Files,
    name: &str,
    parser: Parser<T>,
) -> Result<Option<T>> {
    if !files.contains(file) {
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
    load_files(dir, Files::all())
}

/// Reads `summary` and those of `files` the directory has; the others are
/// left out of the snapshot as if missing.
pub fn load_files(dir: &Dir, files: Files) -> Result<Snapshot> {
    let f = files;
    Ok(Snapshot {
        source: dir.path.display().to_string(),
        osrelease: dir
            .read("osrelease")?
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
        summary: load_summary(dir)?,
        traces: optional(dir, f, Files::TRACES, "traces", traces)?,
        max_trace: optional(dir, f, Files::MAX_TRACE, "max_trace", max_trace)?,
        histogram: optional(dir, f, Files::HISTOGRAM, "histogram", histogram)?,
        probes: optional(dir, f, Files::PROBES, "probes", probes)?,
        budgets: optional(dir, f, Files::BUDGETS, "budgets", budgets)?,
        tasks: optional(dir, f, Files::TASKS, "tasks", tasks)?,
    })
}
