// SPDX-License-Identifier: MIT OR Apache-2.0
//! Entry point: parse the command line (usage errors exit 2), run it
//! (failures exit 1).

use clap::Parser;
use stackwatch_cli::{app, args::Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stackwatch: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
