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
    /// Sections to print (default: table,chains,budgets,probes,counters).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "LIST")]
    pub sections: Vec<Section>,
    /// How many of the deepest chains to print.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub chains: usize,
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
    /// List attached and skipped probes.
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
    /// Prometheus text format (node_exporter textfile collector).
    #[arg(long, required = true)]
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
    /// Write to this file atomically instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub dwarf: DwarfArgs,
}
