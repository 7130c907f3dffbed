// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch export --prometheus --textfile DIR [--interval TIME]`: the
//! metrics written where node_exporter's textfile collector reads them
//! (`DIR/stackwatch.prom`), atomically (a temporary file in DIR renamed over
//! it, so a scrape never sees half a file; the temporary name does not end
//! in `.prom`, so the collector never reads it), once or every TIME until
//! SIGTERM or SIGINT. While repeating, a failed read (module unloaded) is
//! reported and tried again next time; the last good file stays, and
//! node_exporter's `node_textfile_mtime_seconds` shows its age.

use crate::debugfs::Dir;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::load;
use crate::prometheus;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The file written in the collector's directory.
pub const FILE_NAME: &str = "stackwatch.prom";

/// `DIR/stackwatch.prom`, if DIR is a directory.
pub fn path_in(dir: &Path) -> Result<PathBuf> {
    if !dir.is_dir() {
        return Err(Error::runtime(format!(
            "--textfile {}: not a directory (node_exporter's --collector.textfile.directory)",
            dir.display()
        )));
    }
    Ok(dir.join(FILE_NAME))
}

/// The metrics: the summary's, and the per-CPU stacks' where the module
/// has that file.
pub fn metrics(dir: &Dir) -> Result<String> {
    let mut text = prometheus::render(&load::load_summary(dir)?);
    if let Some(c) = load::load_cpu_stacks(dir)? {
        text.push_str(&prometheus::render_cpu_stacks(&c));
    }
    Ok(text)
}

/// Reads the summary and writes the metrics to `dest`.
pub fn write_once(dir: &Dir, dest: &Path) -> Result<()> {
    fsutil::write_atomic(dest, &metrics(dir)?)
}

/// Writes now and then every `interval` until SIGTERM or SIGINT.
pub fn repeat(dir: &Dir, dest: &Path, interval: Duration) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| Error::runtime(format!("signal handler: {e}")))?;
    }
    while !stop.load(Ordering::Relaxed) {
        if let Err(e) = write_once(dir, dest) {
            eprintln!(
                "stackwatch: {e} (kept the last {}; trying again in {:?})",
                dest.display(),
                interval
            );
        }
        let start = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            let left = interval.saturating_sub(start.elapsed());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(200)));
        }
    }
    Ok(())
}
