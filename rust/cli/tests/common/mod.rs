// SPDX-License-Identifier: MIT OR Apache-2.0
//! Helpers shared by the integration tests: fixture paths, scratch
//! directories, and running the built `stackwatch` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The module's debugfs files that hold statistics, each with a reader in
/// `rust/format` (then `tasks` and the settings files).
pub const STATS_FILES: [&str; 6] = [
    "summary",
    "traces",
    "max_trace",
    "histogram",
    "probes",
    "budgets",
];

/// `tests/fixtures/snapshots` of the repository.
pub fn snapshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/snapshots")
}

/// The hand-written synthetic snapshot.
pub fn synthetic() -> PathBuf {
    snapshots_dir().join("synthetic")
}

/// A fresh, empty scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "stackwatch-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies the regular files of `from` (one level of subdirectories too).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

/// Runs the binary with `args`, no colours, and the live directory pointed
/// at a path that does not exist unless the test overrides `--dir`.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackwatch"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("STACKWATCH_DIR")
        .output()
        .expect("run stackwatch")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
