// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch export --prometheus`: the summary in the node_exporter
//! textfile-collector format, with `# HELP` and `# TYPE` lines. The `(all)`
//! row is exported with `function="(all)"`. The reader of the same text
//! format is here too: the tests read back the export, and what a real
//! node_exporter serves from it.

use crate::model::{CpuStacks, FunctionStats, IrqFunction, Summary};
use std::collections::BTreeMap;
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
        for (b, n) in s.settings.budgets.iter().zip(&f.over_budget) {
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
            s.settings.thread_size,
        ),
        (
            "stackwatch_threshold_bytes",
            "Warning threshold in stack bytes left (0: off).",
            s.settings.threshold,
        ),
        (
            "stackwatch_enabled",
            "1 while probes are counting.",
            u64::from(s.settings.enabled),
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
            "New maxima whose chain was not taken or not stored (too little stack left, a nested hit, a concurrent store).",
            c.trace_busy,
        ),
        (
            "stackwatch_warnings_total",
            "Threshold warnings printed.",
            c.warnings,
        ),
        (
            "stackwatch_warnings_suppressed_total",
            "Threshold warnings due but not printed (too little stack left to print, the rate limit, or no chain).",
            c.warnings_suppressed,
        ),
    ];
    for (name, help, v) in counters {
        family(&mut out, name, "counter", help);
        let _ = writeln!(out, "{name} {v}");
    }
    out
}

/// An IRQ-stack metric: name, type, help, and its value of a function.
type IrqMetric = (
    &'static str,
    &'static str,
    &'static str,
    fn(&IrqFunction) -> u64,
);

/// The metrics of the per-CPU stacks (`cpu_stacks`), appended to
/// [`render`]'s where the module has that file.
pub fn render_cpu_stacks(c: &CpuStacks) -> String {
    let mut out = String::new();
    family(
        &mut out,
        "stackwatch_cpu_stack_used_bytes",
        "gauge",
        "Deepest use of a per-CPU IRQ or exception stack since boot, in bytes.",
    );
    for s in c.stacks.iter().filter(|s| s.used.is_some()) {
        let _ = writeln!(
            out,
            "stackwatch_cpu_stack_used_bytes{{cpu=\"{}\",stack=\"{}\"}} {}",
            s.cpu,
            escape(&s.stack),
            s.used.unwrap_or(0)
        );
    }
    family(
        &mut out,
        "stackwatch_cpu_stack_size_bytes",
        "gauge",
        "Size of a per-CPU IRQ or exception stack, in bytes.",
    );
    for s in &c.stacks {
        let _ = writeln!(
            out,
            "stackwatch_cpu_stack_size_bytes{{cpu=\"{}\",stack=\"{}\"}} {}",
            s.cpu,
            escape(&s.stack),
            s.size
        );
    }
    let irq: [IrqMetric; 2] = [
        (
            "stackwatch_irq_max_used_bytes",
            "gauge",
            "Deepest IRQ-stack use seen at entry to the function, in bytes.",
            |f| f.max_used,
        ),
        (
            "stackwatch_irq_hits_total",
            "counter",
            "Probe hits on an IRQ stack.",
            |f| f.hits,
        ),
    ];
    for (name, kind, help, value) in irq {
        family(&mut out, name, kind, help);
        for f in c.functions.iter().chain(std::iter::once(&c.all)) {
            let _ = writeln!(
                out,
                "{name}{{function=\"{}\"}} {}",
                escape(&f.function),
                value(f)
            );
        }
    }
    out
}

/// One sample of the text format.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Metric name.
    pub name: String,
    /// Labels, by name.
    pub labels: BTreeMap<String, String>,
    /// Value (`1.14815e+06` and `1148150` read the same).
    pub value: f64,
}

/// A label value's text up to its closing quote, unescaped, and the rest.
fn label_value(s: &str) -> Option<(String, &str)> {
    let mut v = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((v, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => v.push('\n'),
                c => v.push(c),
            },
            c => v.push(c),
        }
    }
    None
}

/// One sample line: `name{label="value",...} value [timestamp]`.
fn sample(line: &str) -> Option<Sample> {
    let end = line.find(['{', ' '])?;
    let name = line[..end].to_string();
    let mut rest = &line[end..];
    let mut labels = BTreeMap::new();
    if let Some(r) = rest.strip_prefix('{') {
        rest = r.trim_start();
        while let Some(r) = rest.strip_prefix(',').or(Some(rest)) {
            let r = r.trim_start();
            if let Some(r) = r.strip_prefix('}') {
                rest = r;
                break;
            }
            let (key, r) = r.split_once('=')?;
            let (value, r) = label_value(r.trim_start().strip_prefix('"')?)?;
            labels.insert(key.trim().to_string(), value);
            rest = r.trim_start();
        }
    }
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// The samples of a text-format document (comments and blank lines
/// skipped); a malformed line is returned as the error.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| sample(l).ok_or_else(|| l.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_reads_back() {
        let mut s = crate::load::summary(include_str!(
            "../../../tests/fixtures/snapshots/synthetic/summary"
        ))
        .unwrap();
        s.functions[0].name = "odd\"name\\".into();
        let back = parse(&render(&s)).unwrap();
        let get = |name: &str, f: &str| {
            back.iter()
                .find(|x| x.name == name && x.labels.get("function").map(String::as_str) == Some(f))
                .map(|x| x.value)
        };
        let f = &s.functions[0];
        assert_eq!(
            get("stackwatch_max_used_bytes", &f.name),
            Some(f.max_used as f64)
        );
        assert_eq!(
            get("stackwatch_hits_total", "(all)"),
            Some(s.all.hits as f64)
        );
        let b = back
            .iter()
            .find(|x| x.name == "stackwatch_budget_overflows_total" && x.labels["budget"] == "8192")
            .unwrap();
        assert_eq!(b.labels.len(), 2);
        assert_eq!(
            back.len(),
            render(&s).lines().filter(|l| !l.starts_with('#')).count()
        );
    }

    #[test]
    fn node_exporter_spellings_read_the_same() {
        let s = parse("m{b=\"2\", a=\"x\\ny\"} 1.14815e+06 1700000000\nn 7\n").unwrap();
        assert_eq!(s[0].value, 1148150.0);
        assert_eq!(s[0].labels["a"], "x\ny");
        assert_eq!((s[1].name.as_str(), s[1].value), ("n", 7.0));
        assert_eq!(parse("m{a=\"x} 1").unwrap_err(), "m{a=\"x} 1");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape(r#"a"b\c"#), r#"a\"b\\c"#);
        assert_eq!(escape("x\ny"), "x\\ny");
    }
}
