// SPDX-License-Identifier: MIT OR Apache-2.0
//! All-or-nothing file system updates: write into a temporary sibling, then
//! rename it into place.

use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// A hidden temporary sibling of `path`, unique to this process.
pub fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stackwatch".to_string());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `content` to `path` atomically.
pub fn write_atomic(path: &Path, content: &str) -> Result<()> {
    let tmp = temp_sibling(path);
    let err = |e: std::io::Error| Error::runtime(format!("{}: {e}", path.display()));
    if let Err(e) = fs::write(&tmp, content) {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        err(e)
    })
}
