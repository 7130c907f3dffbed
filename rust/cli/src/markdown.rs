// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch report --format markdown`: what a storage engineer pastes into
//! an XFS or dm bug: kernel release, THREAD_SIZE, the deepest use, probes,
//! the what-if budgets, and the deepest chains in the kernel's own
//! `Call Trace:` layout with each frame's size in front (source positions
//! after it when symbolized, paths relative to the kernel tree). Nothing
//! local to the machine: no snapshot path, no pid, no build directory.

use crate::model::{contained, distinct_paths, percent, Chain, Frame, Snapshot};
use crate::symbolize::location;
use crate::whatif;
use std::fmt::Write;

/// Chains of other probed functions shown under a budget.
const WHATIF_PATHS: usize = 3;

/// The report.
pub fn render(snap: &Snapshot, chains: usize) -> String {
    let s = &snap.summary;
    let mut out = String::from("## Kernel stack depth (stackwatch)\n\n");
    let release = snap
        .osrelease
        .as_deref()
        .map_or_else(|| "not recorded".to_string(), |r| format!("`{r}`"));
    let _ = writeln!(out, "- **Kernel:** {release}");
    let _ = writeln!(out, "- **THREAD_SIZE:** {} bytes", s.settings.thread_size);
    if s.all.hits > 0 {
        let deepest = s
            .functions
            .first()
            .map(|f| format!(", entering `{}`", f.name))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "- **Deepest:** {} bytes used, {} left ({:.1}% used){deepest}, over {} probe hits",
            s.all.max_used,
            s.all.min_remaining,
            percent(s.all.max_used, s.settings.thread_size),
            s.all.hits
        );
    }
    if s.settings.threshold > 0 {
        let _ = writeln!(
            out,
            "- **Threshold:** warn below {} bytes left: {} hits below it, {} warnings",
            s.settings.threshold, s.all.below_threshold, s.counters.warnings
        );
    }
    out.push_str(&probes(snap));
    out.push_str(&budgets(snap));
    out.push_str(&deepest(snap, chains));
    out
}

fn probes(snap: &Snapshot) -> String {
    let Some(p) = &snap.probes else {
        return String::new();
    };
    let functions: u64 = p.attached.iter().map(|a| a.functions).sum();
    let names: Vec<String> = p
        .attached
        .iter()
        .map(|a| {
            if a.functions == 1 && !a.spec.contains('*') {
                format!("`{}`", a.spec)
            } else {
                format!("`{}` ({} functions)", a.spec, a.functions)
            }
        })
        .collect();
    let mut out = format!(
        "- **Probes:** {} attached over {} functions: {}\n",
        p.attached.len(),
        functions,
        names.join(", ")
    );
    if !p.skipped.is_empty() {
        let skipped: Vec<String> = p
            .skipped
            .iter()
            .map(|s| format!("`{}` ({})", s.name, s.errno_name))
            .collect();
        let _ = writeln!(out, "- **Skipped:** {}", skipped.join(", "));
    }
    out
}

fn budgets(snap: &Snapshot) -> String {
    let all = whatif::budgets(snap);
    if all.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n### What-if budgets\n\n");
    for b in &all {
        if b.total == 0 {
            let _ = writeln!(
                out,
                "- **{} bytes:** no hit would have overflowed it.",
                b.budget
            );
            continue;
        }
        let _ = writeln!(
            out,
            "- **{} bytes:** {} hits would have overflowed it, in {} probed functions{}",
            b.budget,
            b.total,
            b.functions.len(),
            if b.functions.is_empty() {
                "."
            } else {
                ", most:"
            }
        );
        for o in b.functions.iter().take(WHATIF_PATHS) {
            let _ = writeln!(
                out,
                "  - `{}`: {} times",
                whatif::abbreviate(&o.path, 2),
                o.count
            );
        }
    }
    out
}

fn deepest(snap: &Snapshot, n: usize) -> String {
    let chains = snap.recorded_chains();
    if chains.is_empty() || n == 0 {
        return String::new();
    }
    let shown = distinct_paths(&chains, n, contained);
    let mut out = format!(
        "\n### Deepest chains ({} of {} recorded)\n",
        shown.len(),
        chains.len()
    );
    for (c, also) in shown {
        let _ = write!(
            out,
            "\n`{}`: {} of {} bytes used, {} left (task `{}`)",
            c.function, c.used, snap.summary.settings.thread_size, c.remaining, c.comm
        );
        if !also.is_empty() {
            let names: Vec<String> = also.iter().map(|a| format!("`{a}`")).collect();
            let _ = write!(
                out,
                "; the deepest chain of {} too, up to their entry",
                names.join(", ")
            );
        }
        out.push_str("\n\n");
        out.push_str(&call_trace(c));
    }
    out
}

fn frame_lines(f: &Frame, out: &mut String) {
    let Some((outer, inlined)) = f.source.split_last() else {
        let _ = writeln!(out, " {:>6} {}", f.size, f.symbol);
        return;
    };
    for s in inlined {
        let _ = writeln!(
            out,
            " {:>6} {} {} (inlined)",
            "",
            s.function.as_deref().unwrap_or("??"),
            location(s)
        );
    }
    let _ = writeln!(out, " {:>6} {} {}", f.size, f.symbol, location(outer));
}

/// One chain as the kernel prints a call trace, innermost first, each line
/// led by the frame's size.
pub fn call_trace(c: &Chain) -> String {
    let mut out = String::from("```\nCall Trace:\n <TASK>\n");
    for f in &c.frames {
        frame_lines(f, &mut out);
    }
    let _ = writeln!(
        out,
        " </TASK>\n```\n(frame sizes in bytes, innermost first; they add up to {})",
        c.frames.iter().map(|f| f.size).sum::<u64>()
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceLine;

    fn line(function: &str, file: &str, line: u32, inlined: bool) -> SourceLine {
        SourceLine {
            function: Some(function.into()),
            file: Some(file.into()),
            line: Some(line),
            column: None,
            inlined,
        }
    }

    #[test]
    fn symbolized_frames_read_like_decoded_kernel_traces() {
        let f = Frame {
            size: 96,
            symbol: "submit_bio_noacct_nocheck+0x12a/0x350".into(),
            function: "submit_bio_noacct_nocheck".into(),
            offset: Some(0x12a),
            function_size: Some(0x350),
            module: None,
            source: vec![
                line(
                    "__submit_bio_noacct",
                    "/home/me/linux/block/blk-core.c",
                    724,
                    true,
                ),
                line(
                    "submit_bio_noacct_nocheck",
                    "/home/me/linux/block/blk-core.c",
                    792,
                    false,
                ),
            ],
        };
        let mut out = String::new();
        frame_lines(&f, &mut out);
        assert_eq!(
            out,
            "        __submit_bio_noacct block/blk-core.c:724 (inlined)\n     \
             96 submit_bio_noacct_nocheck+0x12a/0x350 block/blk-core.c:792\n"
        );
    }
}
