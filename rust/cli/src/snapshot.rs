// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch snapshot DIR`: copies every readable file of the module's
//! directory, the kernel release, THREAD_SIZE and the module parameters into
//! DIR, through a temporary directory renamed at the end (all or nothing).

use crate::debugfs::Dir;
use crate::error::{Error, Result};
use crate::fsutil::temp_sibling;
use crate::load;
use std::fs;
use std::path::{Path, PathBuf};

/// Control files that cannot be read.
const WRITE_ONLY: [&str; 1] = ["reset"];

/// Where the extra facts come from (overridable for tests).
#[derive(Clone, Debug)]
pub struct Sources {
    /// `uname -r`.
    pub osrelease: PathBuf,
    /// The module's parameters.
    pub parameters: PathBuf,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            osrelease: PathBuf::from("/proc/sys/kernel/osrelease"),
            parameters: PathBuf::from("/sys/module/stackwatch/parameters"),
        }
    }
}

/// What a snapshot copied and what it could not.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Files written, relative to the snapshot directory.
    pub copied: Vec<String>,
    /// Files not copied, with why (write-only control files, for one).
    pub skipped: Vec<(String, String)>,
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::runtime(format!("{}: {e}", path.display()))
}

/// Copies the readable regular files of `from` into `to` (created).
fn copy_files(from: &Path, to: &Path, prefix: &str, out: &mut Outcome) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(to).map_err(|e| io_err(to, e))?;
    let mut subdirs = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(from)
        .map_err(|e| io_err(from, e))?
        .filter_map(std::result::Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            subdirs.push(path);
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        if WRITE_ONLY.contains(&name.as_str()) {
            out.skipped
                .push((format!("{prefix}{name}"), "write-only control file".into()));
            continue;
        }
        match fs::read(&path) {
            Ok(data) => {
                let dst = to.join(&name);
                fs::write(&dst, data).map_err(|e| io_err(&dst, e))?;
                out.copied.push(format!("{prefix}{name}"));
            }
            Err(err) => out
                .skipped
                .push((format!("{prefix}{name}"), err.to_string())),
        }
    }
    Ok(subdirs)
}

fn fill(src: &Dir, tmp: &Path, sources: &Sources) -> Result<Outcome> {
    src.check()?;
    let mut out = Outcome::default();
    let subdirs = copy_files(&src.path, tmp, "", &mut out)?;
    // Under lockdown the control files are refused: their parameters (the
    // same text) instead.
    if src.live {
        let mut refused = Vec::new();
        out.skipped.retain(|(name, _)| {
            let keep = WRITE_ONLY.contains(&name.as_str());
            if !keep {
                refused.push(name.clone());
            }
            keep
        });
        for name in refused {
            match src.read(&name) {
                Ok(Some(text)) => {
                    let dst = tmp.join(&name);
                    fs::write(&dst, text).map_err(|e| io_err(&dst, e))?;
                    out.copied.push(name);
                }
                Ok(None) => out.skipped.push((name, "missing".into())),
                Err(e) => out.skipped.push((name, e.message)),
            }
        }
    }
    // A snapshot taken from a snapshot keeps its parameters.
    for d in subdirs {
        if let Some(name) = d.file_name().map(|n| n.to_string_lossy().into_owned()) {
            copy_files(&d, &tmp.join(&name), &format!("{name}/"), &mut out)?;
        }
    }
    let summary = fs::read_to_string(tmp.join("summary")).map_err(|_| {
        Error::runtime(format!(
            "{}: no readable summary file (not a stackwatch directory?)",
            src.path.display()
        ))
    })?;
    let parsed =
        load::summary(&summary).map_err(|e| load::context(&src.file("summary"), &summary, &e))?;
    let has = |out: &Outcome, f: &str| out.copied.iter().any(|c| c == f);
    if !has(&out, "osrelease") {
        if let Ok(r) = fs::read_to_string(&sources.osrelease) {
            fs::write(tmp.join("osrelease"), r).map_err(|e| io_err(tmp, e))?;
            out.copied.push("osrelease".into());
        }
    }
    if !has(&out, "thread_size") {
        fs::write(
            tmp.join("thread_size"),
            format!("{}\n", parsed.settings.thread_size),
        )
        .map_err(|e| io_err(tmp, e))?;
        out.copied.push("thread_size".into());
    }
    if src.live && sources.parameters.is_dir() {
        copy_files(
            &sources.parameters,
            &tmp.join("parameters"),
            "parameters/",
            &mut out,
        )?;
    }
    Ok(out)
}

/// Takes a snapshot of `src` into the new directory `dest`.
pub fn snapshot(src: &Dir, dest: &Path, sources: &Sources) -> Result<Outcome> {
    if dest.exists() {
        return Err(Error::runtime(format!(
            "{}: already exists (a snapshot goes into a new directory)",
            dest.display()
        )));
    }
    let tmp = temp_sibling(dest);
    let _ = fs::remove_dir_all(&tmp);
    let result = fill(src, &tmp, sources).and_then(|o| {
        fs::rename(&tmp, dest)
            .map(|()| o)
            .map_err(|e| io_err(dest, e))
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result
}
