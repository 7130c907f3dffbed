//! `stackwatch export --prometheus`: the summary in the node_exporter
//! textfile-collector format, with `# HELP` and `# TYPE` lines. The `(all)`
//! row is exported with `function="(all)"`.

use crate::model::{FunctionStats, Summary};
use std::fmt::Write;

/// A label value with `\`, `"` and newlines escaped.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn per_function(out: &mut String, s: &Summary, name: &str, value: fn(&FunctionStats) -> u64) {
    for f in s.functions.iter().chain(std::iter::once(&s.all)) {
        let _ = writeln!(
            out,
            "{name}{{function=\"{}\"}} {}",
            escape(&f.name),
            value(f)
        );
    }
}

/// The metrics text.
pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "stackwatch_max_used_bytes",
        "gauge",
        "Deepest kernel stack use seen at entry to the function, in bytes.",
    );
    per_function(&mut out, s, "stackwatch_max_used_bytes", |f| f.max_used);
    family(
        &mut out,
        "stackwatch_min_remaining_bytes",
        "gauge",
        "Fewest kernel stack bytes left at entry to the function.",
    );
    per_function(&mut out, s, "stackwatch_min_remaining_bytes", |f| {
        f.min_remaining
    });
    family(
        &mut out,
        "stackwatch_hits_total",
        "counter",
        "Probe hits on the task stack.",
    );
    per_function(&mut out, s, "stackwatch_hits_total", |f| f.hits);
    family(
        &mut out,
        "stackwatch_below_threshold_total",
        "counter",
        "Hits that left fewer stack bytes than the threshold.",
    );
    per_function(&mut out, s, "stackwatch_below_threshold_total", |f| {
        f.below_threshold
    });
    family(
        &mut out,
        "stackwatch_budget_overflows_total",
        "counter",
        "Hits that would have overflowed a kernel stack of `budget` bytes.",
    );
    for f in s.functions.iter().chain(std::iter::once(&s.all)) {
        for (b, n) in s.budgets.iter().zip(&f.over_budget) {
            let _ = writeln!(
                out,
                "stackwatch_budget_overflows_total{{function=\"{}\",budget=\"{b}\"}} {n}",
                escape(&f.name)
            );
        }
    }
    let c = &s.counters;
    let gauges = [
        (
            "stackwatch_thread_size_bytes",
            "THREAD_SIZE of the kernel.",
            s.thread_size,
        ),
        (
            "stackwatch_threshold_bytes",
            "Warning threshold in stack bytes left (0: off).",
            s.threshold,
        ),
        (
            "stackwatch_enabled",
            "1 while probes are counting.",
            u64::from(s.enabled),
        ),
    ];
    for (name, help, v) in gauges {
        family(&mut out, name, "gauge", help);
        let _ = writeln!(out, "{name} {v}");
    }
    let counters = [
        (
            "stackwatch_off_stack_total",
            "Hits not on the task stack (IRQ stacks).",
            c.off_stack,
        ),
        (
            "stackwatch_dropped_total",
            "Hits on functions that found no free slot.",
            c.dropped,
        ),
        (
            "stackwatch_trace_busy_total",
            "New maxima whose chain was not stored.",
            c.trace_busy,
        ),
        (
            "stackwatch_warnings_total",
            "Threshold warnings printed.",
            c.warnings,
        ),
        (
            "stackwatch_warnings_suppressed_total",
            "Threshold warnings not printed (rate limit).",
            c.warnings_suppressed,
        ),
    ];
    for (name, help, v) in counters {
        family(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {v}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("x\ny"), "x\\ny");
    }
}
