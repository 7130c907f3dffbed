// SPDX-License-Identifier: MIT OR Apache-2.0
//! Runs a parsed command line: picks the directory to read, runs the
//! command, prints its output.

use crate::args::{
    Cli, Command, DiffArgs, DwarfArgs, ExportArgs, FlamegraphArgs, ProbesAction, ReportArgs,
    ReportFormat,
};
use crate::control;
use crate::debugfs::Dir;
use crate::default_set;
use crate::diff;
use crate::error::{Error, Result};
use crate::flamegraph::{self, Facts};
use crate::fsutil;
use crate::json;
use crate::load;
use crate::markdown;
use crate::model::Snapshot;
use crate::sections::{self, Sections};
use crate::snapshot::{self, Sources};
use crate::stacktree::{irq_tower, StackTree};
use crate::style::Style;
use crate::symbolize::source_text;
use crate::symbolize::Symbolizer;
use crate::text_report::{self, Options};
use crate::textfile;
use crate::watch;
use clap::CommandFactory;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

/// Writes to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::runtime(format!("stdout: {e}"))),
    }
}

/// A directory read (`summary` and the files it has of those `sections` are
/// made from), its chains resolved to file:line when DWARF is given.
pub fn load_symbolized(dir: &Dir, d: &DwarfArgs, sections: Sections) -> Result<Snapshot> {
    let mut snap = load::load_files(dir, sections)?;
    if let Some(sym) = Symbolizer::new(d.vmlinux.as_deref(), &d.modules)? {
        for c in snap.traces.iter_mut().flatten() {
            sym.annotate(c);
        }
        if let Some(c) = snap.max_trace.as_mut().and_then(|m| m.chain.as_mut()) {
            sym.annotate(c);
        }
    }
    Ok(snap)
}

/// The output of `report`: text and JSON read only the files of their
/// sections, markdown (one layout) every file.
pub fn report_output(dir: &Dir, a: &ReportArgs, style: Style) -> Result<String> {
    let sections = sections::from_list(&a.sections);
    let format = if a.json { ReportFormat::Json } else { a.format };
    let read = match format {
        ReportFormat::Markdown => Sections::all(),
        ReportFormat::Json | ReportFormat::Text => sections,
    };
    let snap = load_symbolized(dir, &a.dwarf, read)?;
    Ok(match format {
        ReportFormat::Json => json::to_string(&snap, sections),
        ReportFormat::Markdown => markdown::render(&snap, a.chains),
        ReportFormat::Text => text_report::render(
            &snap,
            &Options {
                sections,
                chains: a.chains,
                rows: (!a.all).then_some(a.rows),
                style,
            },
        ),
    })
}

/// The output of `flamegraph`: the SVG, or the folded text.
pub fn flamegraph_output(dir: &Dir, a: &FlamegraphArgs) -> Result<String> {
    let snap = load_symbolized(dir, &a.dwarf, Sections::CHAINS | Sections::CPU_STACKS)?;
    let all = snap.recorded_chains();
    // The deepest chain on an IRQ stack, a tower of its own (not with
    // --function, which picks thread-stack chains).
    let irq = snap
        .irq_max_trace
        .as_ref()
        .and_then(|m| m.chain.as_ref())
        .filter(|_| a.functions.is_empty())
        .map(irq_tower);
    for f in &a.functions {
        if !all.iter().any(|c| &c.function == f) {
            return Err(Error::runtime(format!(
                "--function {f}: no chain recorded for it in {}",
                dir.path.display()
            )));
        }
    }
    let chosen = all
        .into_iter()
        .filter(|c| a.functions.is_empty() || a.functions.contains(&c.function))
        .chain(irq.as_ref());
    let tree = StackTree::build(chosen, source_text);
    if a.folded {
        return Ok(tree.folded());
    }
    let facts = Facts {
        thread_size: snap.summary.settings.thread_size,
        budgets: snap.summary.settings.budgets.clone(),
        osrelease: snap.osrelease.clone(),
    };
    flamegraph::render(&tree, &facts, Some(usize::from(a.width)))
}

/// The output of `diff`.
pub fn diff_output(a: &DiffArgs, style: Style) -> Result<String> {
    let sa = load::load_summary(&Dir::snapshot(&a.a))?;
    let sb = load::load_summary(&Dir::snapshot(&a.b))?;
    let (na, nb) = (a.a.display().to_string(), a.b.display().to_string());
    if a.json {
        let doc = diff::Document {
            a: &na,
            b: &nb,
            functions: diff::diff(&sa, &sb),
            all: diff::overall(&sa, &sb),
        };
        let mut s =
            serde_json::to_string_pretty(&doc).map_err(|e| Error::runtime(format!("JSON: {e}")))?;
        s.push('\n');
        return Ok(s);
    }
    Ok(diff::render(&na, &nb, &sa, &sb, &style))
}

fn export(dir: &Dir, a: &ExportArgs) -> Result<()> {
    let dest = match (&a.textfile, &a.output) {
        (Some(d), _) => Some(textfile::path_in(d)?),
        (None, o) => o.clone(),
    };
    match (dest, a.interval) {
        (Some(dest), Some(secs)) => {
            textfile::repeat(dir, &dest, std::time::Duration::from_secs_f64(secs))
        }
        (Some(dest), None) => textfile::write_once(dir, &dest),
        (None, Some(_)) => Err(Error::usage(
            "--interval needs --textfile DIR or --output FILE to write to",
        )),
        (None, None) => print(&textfile::metrics(dir)?),
    }
}

/// Refuses to write an SVG to a terminal (it is one long line of XML).
pub fn svg_destination(a: &FlamegraphArgs, stdout_is_terminal: bool) -> Result<()> {
    if a.folded || a.output.is_some() || !stdout_is_terminal {
        return Ok(());
    }
    Err(Error::usage(
        "flamegraph writes an SVG image, not text for a terminal: give -o FILE.svg, \
         or redirect it (> stack.svg); --folded writes the folded stacks as text",
    ))
}

fn write_or_print(output: &Option<PathBuf>, text: &str) -> Result<()> {
    match output {
        Some(path) => fsutil::write_atomic(path, text),
        None => print(text),
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<()> {
    let style = Style::new(cli.color);
    let live = Dir::live(&cli.dir);
    let from = |f: &Option<PathBuf>| f.as_ref().map_or_else(|| live.clone(), Dir::snapshot);
    match &cli.command {
        Command::Report(a) => print(&report_output(&from(&a.from), a, style)?),
        Command::Probes { action } => print(&match action {
            ProbesAction::Add { names } => control::probes_add(&live, names)?,
            ProbesAction::Remove { names } => control::probes_remove(&live, names)?,
            ProbesAction::List => control::probes_list(&live, &style)?,
            ProbesAction::Defaults { json } => default_set::render(*json),
            ProbesAction::Clear => control::probes_clear(&live)?,
        }),
        Command::Reset => print(&control::reset(&live)?),
        Command::Threshold { bytes } => print(&control::threshold(&live, *bytes)?),
        Command::Budgets { sizes } => print(&control::budgets(&live, sizes)?),
        Command::Enable => print(&control::set_enabled(&live, true)?),
        Command::Disable => print(&control::set_enabled(&live, false)?),
        Command::Watch(a) => watch::run(&from(&a.from), a.interval, a.count, &style),
        Command::Snapshot(a) => {
            let o = snapshot::snapshot(&from(&a.from), &a.dest, &Sources::default())?;
            let mut msg = format!(
                "snapshot written to {}: {} files\n",
                a.dest.display(),
                o.copied.len()
            );
            for (name, why) in &o.skipped {
                msg.push_str(&format!("  not copied: {name} ({why})\n"));
            }
            print(&msg)
        }
        Command::Diff(a) => print(&diff_output(a, style)?),
        Command::Export(a) => export(&from(&a.from), a),
        Command::Flamegraph(a) => {
            svg_destination(a, io::stdout().is_terminal())?;
            write_or_print(&a.output, &flamegraph_output(&from(&a.from), a)?)
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(*shell, &mut cmd, "stackwatch", &mut buf);
            print(&String::from_utf8_lossy(&buf))
        }
    }
}
