// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command line, declared with clap's derive API.

use crate::debugfs::DEFAULT_DIR;
use crate::sections::Section;
use crate::style::ColorChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The exit codes, as `--help` and the man page state them.
pub const EXIT_STATUS: [(u8, &str); 3] = [
    (0, "success"),
    (
        crate::error::EXIT_RUNTIME,
        "failure at run time: module not loaded, debugfs not mounted, not root, a write the module refused (its errno is named), a file that does not parse",
    ),
    (
        crate::error::EXIT_USAGE,
        "usage mistake: unknown option, bad value, bad probe name (nothing was written)",
    ),
];

/// `--help`'s closing text: [`EXIT_STATUS`] (a test checks the two agree).
pub const EXIT_STATUS_HELP: &str = "Exit status:
  0  success
  1  failure at run time: module not loaded, debugfs not mounted, not root, a write the module refused (its errno is named), a file that does not parse
  2  usage mistake: unknown option, bad value, bad probe name (nothing was written)";

/// Rows of the per-function table `report` prints unless `--all`.
pub const DEFAULT_ROWS: usize = 20;

/// Kernel stack depth per probed function, from the stackwatch module.
#[derive(Debug, Parser)]
#[command(name = "stackwatch", version, propagate_version = true)]
#[command(
    about = "Turns the stackwatch module's debugfs files into answers: how deep each path goes, along which chain, and what would overflow a smaller stack.",
    after_help = EXIT_STATUS_HELP
)]
pub struct Cli {
    /// The module's debugfs directory.
    #[arg(long, global = true, env = "STACKWATCH_DIR", hide_env_values = true, value_name = "DIR", default_value = DEFAULT_DIR)]
    pub dir: PathBuf,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// What-if verdicts, the deepest paths, then the deepest functions' table.
    Report(ReportArgs),
    /// Attach, detach or list probes.
    Probes {
        /// What to do with probes.
        #[command(subcommand)]
        action: ProbesAction,
    },
    /// Clear all statistics and chains.
    Reset,
    /// Show the warning threshold (bytes left), or set it.
    Threshold {
        /// New threshold in bytes left (0: off).
        bytes: Option<u64>,
    },
    /// Show the what-if budgets, or set them (sizes in bytes, `default` or `none`).
    Budgets {
        /// Up to 4 sizes in bytes, `default` (4096 and 8192 where smaller
        /// than THREAD_SIZE) or `none`.
        sizes: Vec<String>,
    },
    /// Resume counting.
    Enable,
    /// Pause counting.
    Disable,
    /// Live table, refreshed; rows whose max_used grew are marked `+`.
    Watch(WatchArgs),
    /// Copy all module files, kernel release, THREAD_SIZE and parameters into DIR.
    Snapshot(SnapshotArgs),
    /// What got deeper between two snapshots.
    Diff(DiffArgs),
    /// Export metrics in Prometheus text format (node_exporter's textfile collector).
    Export(ExportArgs),
    /// SVG flame graph of stack use (width: bytes of stack), or its folded text.
    Flamegraph(FlamegraphArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// `report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Read a snapshot directory instead of the live module.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Print JSON (same as `--format json`).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Output format: `text`, `json`, or `markdown` (for a bug report:
    /// release, THREAD_SIZE, probes, the deepest chains in the kernel's
    /// `Call Trace:` layout with frame sizes, what-if budgets; no local
    /// paths; `--sections` does not apply).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub dwarf: DwarfArgs,
    /// Sections to print (default: budgets,chains,table,tasks,cpu-stacks,probes,counters).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub sections: Vec<Section>,
    /// How many of the deepest paths to print (a chain that is the start of
    /// one shown is named under it, not repeated).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub chains: usize,
    /// Rows of the per-function table: the N deepest functions.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_ROWS, conflicts_with = "all")]
    pub rows: usize,
    /// Every row of the per-function table.
    #[arg(long)]
    pub all: bool,
}

/// How `report` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Tables for a terminal.
    #[default]
    Text,
    /// JSON.
    Json,
    /// Markdown for a bug tracker or a mail.
    Markdown,
}

/// Where frames are resolved to file:line.
#[derive(Debug, Default, Args)]
pub struct DwarfArgs {
    /// Resolve frames to file:line with the DWARF of this vmlinux.
    #[arg(long, value_name = "PATH")]
    pub vmlinux: Option<PathBuf>,
    /// Resolve frames of modules with the DWARF of these .ko files.
    #[arg(long = "module", value_name = "PATH.ko", num_args = 1..)]
    pub modules: Vec<PathBuf>,
}

/// `probes` actions.
#[derive(Debug, Subcommand)]
pub enum ProbesAction {
    /// Attach to symbols or globs (`xfs_*`); all or none.
    Add {
        /// Symbols or globs.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Detach symbols or globs, as they were added.
    Remove {
        /// Symbols or globs.
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// List attached, pending and skipped probes.
    List,
    /// Print the default set (`probes=default`), group by group.
    Defaults {
        /// Print JSON: `[{"group": "xfs", "functions": [...]}, ...]`.
        #[arg(long)]
        json: bool,
    },
    /// Detach everything.
    Clear,
}

/// `watch` options.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Time between refreshes: seconds, or with a unit (500ms, 2s, 1m).
    #[arg(long, value_name = "TIME", default_value_t = 2.0, value_parser = parse_interval)]
    pub interval: f64,
    /// Watch a directory other than the live module's.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Stop after this many refreshes.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

/// A time between repeats: a number of seconds (`2`, `0.5`) or a number with
/// a unit (`500ms`, `15s`, `1m`, `1h`); more than 0, at most a day.
pub fn parse_interval(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, scale) = [("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0)]
        .iter()
        .find_map(|(unit, scale)| t.strip_suffix(unit).map(|n| (n, *scale)))
        .unwrap_or((t, 1.0));
    match num.trim().parse::<f64>().map(|v| v * scale) {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err(format!(
            "'{s}': expected a time more than 0 and at most a day: seconds (2, 0.5) or with a unit (500ms, 15s, 1m)"
        )),
    }
}

/// `snapshot` options.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// New directory to write.
    pub dest: PathBuf,
    /// Copy this directory (e.g. another snapshot) instead of the live module's.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
}

/// `diff` options.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot.
    pub a: PathBuf,
    /// The later snapshot.
    pub b: PathBuf,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Prometheus text format (node_exporter textfile collector); the only
    /// format, and the default.
    #[arg(long)]
    pub prometheus: bool,
    /// Read a snapshot directory instead of the live module.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Write to this file atomically (e.g. in the collector's directory)
    /// instead of stdout.
    #[arg(long, short, value_name = "FILE", conflicts_with = "textfile")]
    pub output: Option<PathBuf>,
    /// Write DIR/stackwatch.prom atomically (a temporary file in DIR, then
    /// renamed), for node_exporter's `--collector.textfile.directory=DIR`.
    #[arg(long, value_name = "DIR")]
    pub textfile: Option<PathBuf>,
    /// Write again every TIME (15s, 1m, ...) until SIGTERM or SIGINT.
    #[arg(long, value_name = "TIME", value_parser = parse_interval)]
    pub interval: Option<f64>,
}

/// `flamegraph` options.
#[derive(Debug, Args)]
pub struct FlamegraphArgs {
    /// Read a snapshot directory instead of the live module.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Write the folded stacks (`outer;...;inner BYTES`, each frame weighted
    /// by its own size) instead of the SVG.
    #[arg(long)]
    pub folded: bool,
    /// Only the chains of these probed functions.
    #[arg(long = "function", value_name = "NAME", num_args = 1..)]
    pub functions: Vec<String>,
    /// Image width in pixels.
    #[arg(long, value_name = "PIXELS", default_value_t = 1200, value_parser = clap::value_parser!(u16).range(200..))]
    pub width: u16,
    /// Write to this file atomically instead of stdout (the SVG is not
    /// written to a terminal: give -o, or redirect stdout).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub dwarf: DwarfArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sections::{self, Section, Sections};
    use clap::{CommandFactory, ValueEnum};

    #[test]
    fn exit_status_help_lists_every_code() {
        for (code, why) in EXIT_STATUS {
            assert!(
                EXIT_STATUS_HELP.contains(&format!("  {code}  {why}")),
                "{code}"
            );
        }
        assert_eq!(EXIT_STATUS_HELP.lines().count(), EXIT_STATUS.len() + 1);
    }

    /// `--sections`' help names the set `report` prints when not told.
    #[test]
    fn sections_help_names_the_real_default() {
        let cmd = Cli::command();
        let report = cmd.find_subcommand("report").unwrap();
        let arg = report
            .get_arguments()
            .find(|a| a.get_id() == "sections")
            .unwrap();
        let help = arg.get_help().unwrap().to_string();
        let list = help
            .split("(default: ")
            .nth(1)
            .and_then(|t| t.split(')').next())
            .unwrap();
        let named: Vec<Section> = list
            .split(',')
            .map(|n| Section::from_str(n, false).unwrap())
            .collect();
        assert_eq!(sections::from_list(&named), Sections::DEFAULT, "{list}");
    }
}
