//! The command line, declared with clap's derive API.

use crate::debugfs::DEFAULT_DIR;
use crate::sections::Section;
use crate::style::ColorChoice;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Kernel stack depth per probed function, from the stackwatch module.
#[derive(Debug, Parser)]
#[command(name = "stackwatch", version, propagate_version = true)]
#[command(
    about = "Turns the stackwatch module's debugfs files into answers: how deep each path goes, along which chain, and what would overflow a smaller stack."
)]
pub struct Cli {
    /// The module's debugfs directory.
    #[arg(long, global = true, env = "STACKWATCH_DIR", value_name = "DIR", default_value = DEFAULT_DIR)]
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
    /// Per-function depth table, deepest chains and what-if budgets.
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
    /// Show the what-if budgets, or set them (sizes in bytes, or `none`).
    Budgets {
        /// Up to 4 sizes in bytes, or `none`.
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
    /// Export metrics (Prometheus textfile-collector format).
    Export(ExportArgs),
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
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Resolve frames to file:line with the DWARF of this vmlinux.
    #[arg(long, value_name = "PATH")]
    pub vmlinux: Option<PathBuf>,
    /// Resolve frames of modules with the DWARF of these .ko files.
    #[arg(long = "module", value_name = "PATH.ko", num_args = 1..)]
    pub modules: Vec<PathBuf>,
    /// Sections to print (default: table,chains,budgets,probes,counters).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub sections: Vec<Section>,
    /// How many of the deepest chains to print.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub chains: usize,
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
    /// List attached and skipped probes.
    List,
    /// Detach everything.
    Clear,
}

/// `watch` options.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Seconds between refreshes.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = parse_interval)]
    pub interval: f64,
    /// Watch a directory other than the live module's.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Stop after this many refreshes.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
}

fn parse_interval(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 86_400.0 => Ok(v),
        _ => Err("expected seconds, more than 0 (e.g. 0.5 or 2)".to_string()),
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
    /// Prometheus text format (node_exporter textfile collector).
    #[arg(long, required = true)]
    pub prometheus: bool,
    /// Read a snapshot directory instead of the live module.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Write to this file atomically (e.g. in the collector's directory)
    /// instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
