// SPDX-License-Identifier: MIT OR Apache-2.0
//! Writes the generated reference (`docs/man/*.1`, `docs/cli.md`) under the
//! repository's top, given as the argument (`make docs` runs it). With
//! `--check`, writes nothing and fails if a file differs.

use stackwatch_cli::docgen;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut check = false;
    let mut top = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    for a in std::env::args().skip(1) {
        if a == "--check" {
            check = true;
        } else {
            top = PathBuf::from(a);
        }
    }
    let mut stale = 0;
    for p in docgen::pages() {
        let path = top.join(&p.path);
        let now = std::fs::read_to_string(&path).unwrap_or_default();
        if now == p.text {
            continue;
        }
        stale += 1;
        if check {
            eprintln!("{}: out of date (make docs)", p.path);
            continue;
        }
        if let Some(dir) = path.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("{}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
        if let Err(e) = std::fs::write(&path, &p.text) {
            eprintln!("{}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", p.path);
    }
    if check && stale > 0 {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
