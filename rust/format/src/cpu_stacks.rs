// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The `cpu_stacks` file: every CPU's IRQ and exception stacks with the
//! deepest point each reached since boot (see the core crate's
//! `cpu_stacks.rs`), the return addresses found just above it, and the
//! probe hits measured against the IRQ stacks, per function.
//!
//! ```text
//! # stackwatch cpu_stacks: irq_stack_size 16384 cpus 2
//! # cpu stack size used left
//! 0 IRQ 16384 5120 11264
//! 0 NMI 8192 0 8192
//! 1 IRQ 16384 - -
//! # deepest points: return addresses just above the deepest point, innermost first (stale stack words)
//! point 0 IRQ 5120
//!   net_rx_action+0x4b/0x3f0
//! # function hits max_used min_remaining over_8192
//! tcp_v4_rcv 12 4096 12288 0
//! (all) 12 4096 12288 0
//! ```
//! A stack that is not mapped (#VC without SEV-ES) has no row; one that
//! was not found or could not be read has `-` for `used` and `left`. The
//! function table counts the probe hits that ran on an IRQ stack (the
//! `summary` counts them only in `off_stack`): hits, deepest use and fewest
//! bytes left against the IRQ stack's size, and per what-if budget the hits
//! deeper than it; the `(all)` row sums them, with the deepest of all.

use super::text::{Header, Row, Symbolize, ALL};
use crate::swcore::cpu_stacks::CpuStack;
use core::fmt::{self, Write};

/// The header line, before its numbers.
pub const HEADER: &str = "# stackwatch cpu_stacks:";
/// The stacks' column line.
pub const COLUMNS: &str = "# cpu stack size used left";
/// The line before the deepest points.
pub const POINTS_HEADER: &str = super::tasks::POINTS_HEADER;
/// The function table's column line, before the `over_<budget>` columns.
pub const FUNCTION_COLUMNS: &str = "# function hits max_used min_remaining";

/// Writes a function-table row's fields after its name.
fn row_fields(w: &mut dyn Write, h: &Header, irq_size: usize, r: &Row) -> fmt::Result {
    let s = &r.stats;
    let min_remaining = irq_size.saturating_sub(s.max_used);
    write!(w, " {} {} {}", s.hits, s.max_used, min_remaining)?;
    for (i, b) in h.budgets.iter().enumerate() {
        if *b != 0 {
            write!(w, " {}", s.over_budget.get(i).copied().unwrap_or(0))?;
        }
    }
    writeln!(w)
}

/// The machine's per-CPU stacks as read.
pub struct Machine<'a> {
    /// IRQ_STACK_SIZE.
    pub irq_size: usize,
    /// CPU ids (nr_cpu_ids).
    pub cpus: usize,
    /// The stacks, by CPU, then kind.
    pub stacks: &'a [CpuStack],
}

/// Writes the `cpu_stacks` file: `m`'s stacks, the deepest points of those
/// used, and the function table (`rows`, deepest first, then `all`), with
/// `h`'s budgets.
pub fn write_cpu_stacks(
    w: &mut dyn Write,
    h: &Header,
    m: &Machine<'_>,
    rows: &[Row],
    all: &Row,
    sym: &dyn Symbolize,
) -> fmt::Result {
    let (irq_size, cpus, stacks) = (m.irq_size, m.cpus, m.stacks);
    writeln!(w, "{} irq_stack_size {} cpus {}", HEADER, irq_size, cpus)?;
    writeln!(w, "{}", COLUMNS)?;
    for s in stacks {
        write!(w, "{} {} {} ", s.cpu, s.kind.name(), s.size)?;
        match s.used {
            Some(u) => writeln!(w, "{} {}", u, s.size.saturating_sub(u))?,
            None => writeln!(w, "- -")?,
        }
    }
    writeln!(w, "{}", POINTS_HEADER)?;
    for s in stacks {
        let Some(used) = s.used.filter(|&u| u != 0) else {
            continue;
        };
        writeln!(w, "point {} {} {}", s.cpu, s.kind.name(), used)?;
        for &f in s.frames() {
            write!(w, "  ")?;
            sym.symbol(f, w)?;
            writeln!(w)?;
        }
    }
    write!(w, "{}", FUNCTION_COLUMNS)?;
    for b in h.budgets.iter().filter(|&&b| b != 0) {
        write!(w, " over_{}", b)?;
    }
    writeln!(w)?;
    for r in rows {
        sym.name(r.addr, w)?;
        row_fields(w, h, irq_size, r)?;
    }
    w.write_str(ALL)?;
    row_fields(w, h, irq_size, all)
}

/// Reading a `cpu_stacks` file back, into the command's model (feature
/// `std`: not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::text::reader::*;
    use serde::Serialize;

    /// One CPU's stack.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct StackUse {
        /// The CPU.
        pub cpu: u32,
        /// `IRQ`, `NMI`, `#DB`, `#MC`, `#DF`, `#VC`, `#VC2`.
        pub stack: String,
        /// Its size, bytes.
        pub size: u64,
        /// Deepest use since boot (none: not found or not readable).
        pub used: Option<u64>,
        /// Bytes left below that point.
        pub left: Option<u64>,
        /// Return addresses just above the deepest point, innermost first
        /// (stale stack words: a heuristic chain).
        pub frames: Vec<String>,
    }

    /// A function's hits on IRQ stacks (or all functions', `(all)`).
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct IrqFunction {
        /// Function name.
        pub function: String,
        /// Hits on an IRQ stack.
        pub hits: u64,
        /// Deepest use of the IRQ stack at its entry.
        pub max_used: u64,
        /// Fewest bytes left below it.
        pub min_remaining: u64,
        /// Per budget (the file's `budgets`), the hits deeper than it.
        pub over_budget: Vec<u64>,
    }

    /// The `cpu_stacks` file.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct CpuStacks {
        /// IRQ_STACK_SIZE.
        pub irq_stack_size: u64,
        /// CPU ids (nr_cpu_ids).
        pub cpus: u64,
        /// Every stack, by CPU.
        pub stacks: Vec<StackUse>,
        /// The what-if budgets of `over_budget`.
        pub budgets: Vec<u64>,
        /// Functions hit on IRQ stacks, deepest first.
        pub functions: Vec<IrqFunction>,
        /// All of them.
        pub all: IrqFunction,
    }

    impl CpuStacks {
        /// The deepest stack of a kind (`IRQ`, `NMI`...) over all CPUs.
        pub fn deepest(&self, stack: &str) -> Option<&StackUse> {
            self.stacks
                .iter()
                .filter(|s| s.stack == stack && s.used.is_some())
                .max_by_key(|s| s.used)
        }
    }

    fn used_field(
        rest: &mut &str,
        no: usize,
        name: &'static str,
    ) -> Result<Option<u64>, FormatError> {
        if let Some(r) = rest.trim_start_matches(is_space).strip_prefix('-') {
            *rest = r;
            return Ok(None);
        }
        field(rest, no, name).map(Some)
    }

    /// Reads a `cpu_stacks` file.
    pub fn read(text: &str) -> Result<CpuStacks, FormatError> {
        let (mut lines, first) = Lines::header(text, HEADER, "not a stackwatch cpu_stacks file")?;
        let irq_stack_size = keyed_field(first.text, "irq_stack_size", first.no)?;
        let cpus = keyed_field(first.text, "cpus", first.no)?;
        lines.expect(COLUMNS, "columns", "unexpected column names")?;
        let mut stacks: Vec<StackUse> = Vec::new();
        // The stack rows, up to the points' header.
        loop {
            let no = lines.next_no();
            let line = lines.record()?.ok_or(truncated(no, "points", "missing"))?;
            if line.text.starts_with(POINTS_HEADER) {
                break;
            }
            let mut rest = line.text;
            let cpu = field(&mut rest, line.no, "cpu")?;
            let cpu = u32::try_from(cpu).map_err(|_| malformed(line.no, "cpu", "out of range"))?;
            let stack = word(&mut rest, line.no, "stack")?.to_string();
            let size = field(&mut rest, line.no, "size")?;
            let used = used_field(&mut rest, line.no, "used")?;
            let left = used_field(&mut rest, line.no, "left")?;
            end_of_line(rest, line.no)?;
            stacks.push(StackUse {
                cpu,
                stack,
                size,
                used,
                left,
                frames: Vec::new(),
            });
        }
        // The points, each with its frames, up to the function table.
        let mut current: Option<usize> = None;
        let budgets = loop {
            let no = lines.next_no();
            let line = lines
                .record()?
                .ok_or(truncated(no, "functions", "missing"))?;
            if line.text.starts_with(FUNCTION_COLUMNS) {
                break crate::summary::reader::over_columns(line, FUNCTION_COLUMNS)?;
            }
            if line.text.starts_with(is_space) {
                let i = current.ok_or(malformed(
                    line.no,
                    "frame",
                    "a frame only after a 'point' line",
                ))?;
                if let Some(s) = stacks.get_mut(i) {
                    s.frames.push(line.text.trim_matches(is_space).to_string());
                }
                continue;
            }
            let mut rest = line.text.strip_prefix("point ").ok_or(malformed(
                line.no,
                "point",
                "expected a 'point' line",
            ))?;
            let cpu = field(&mut rest, line.no, "cpu")?;
            let stack = word(&mut rest, line.no, "stack")?;
            field(&mut rest, line.no, "used")?;
            end_of_line(rest, line.no)?;
            current = Some(
                stacks
                    .iter()
                    .position(|s| u64::from(s.cpu) == cpu && s.stack == stack)
                    .ok_or(malformed(line.no, "point", "no such stack above"))?,
            );
        };
        let n = budgets.len();
        let (functions, all) = function_rows(
            &mut lines,
            "functions",
            |_| Ok(()),
            |function, rest, no| {
                Ok(IrqFunction {
                    function,
                    hits: field(rest, no, "hits")?,
                    max_used: field(rest, no, "max_used")?,
                    min_remaining: field(rest, no, "min_remaining")?,
                    over_budget: fields(rest, no, n, "over_budget")?,
                })
            },
        )?;
        Ok(CpuStacks {
            irq_stack_size,
            cpus,
            stacks,
            budgets,
            functions,
            all,
        })
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
    use super::*;
    use crate::swcore::cpu_stacks::{CpuStack, Kind};
    use crate::swcore::stats::Snapshot;
    use crate::text::tests::{written, Fake};

    fn hdr() -> Header {
        Header {
            thread_size: 16384,
            threshold: 0,
            budgets: [8192, 4096, 0, 0],
            enabled: true,
        }
    }

    fn row(addr: usize, hits: u64, max_used: usize, over: [u64; 4]) -> Row {
        Row {
            addr,
            stats: Snapshot {
                hits,
                max_used,
                over_budget: over,
                ..Snapshot::default()
            },
        }
    }

    fn text() -> String {
        let mut irq = CpuStack::new(0, Kind::Irq, 16384);
        irq.used = Some(5120);
        irq.frames[0] = 0xa;
        irq.frames[1] = 0xb;
        irq.nframes = 2;
        let mut nmi = CpuStack::new(0, Kind::Nmi, 8192);
        nmi.used = Some(0);
        let lost = CpuStack::new(1, Kind::Irq, 16384);
        let mut db = CpuStack::new(1, Kind::Db, 8192);
        db.used = Some(640);
        let rows = [row(0xb, 12, 4096, [0, 3, 0, 0])];
        let all = row(0, 12, 4096, [0, 3, 0, 0]);
        let m = Machine {
            irq_size: 16384,
            cpus: 2,
            stacks: &[irq, nmi, lost, db],
        };
        written(|s| write_cpu_stacks(s, &hdr(), &m, &rows, &all, &Fake))
    }

    #[test]
    fn round_trip() {
        let t = text();
        assert!(t.starts_with("# stackwatch cpu_stacks: irq_stack_size 16384 cpus 2\n"));
        assert!(t.contains("\n1 IRQ 16384 - -\n"));
        let c = read(&t).unwrap();
        assert_eq!((c.irq_stack_size, c.cpus, c.stacks.len()), (16384, 2, 4));
        let irq = &c.stacks[0];
        assert_eq!(
            (irq.cpu, irq.stack.as_str(), irq.size, irq.used, irq.left),
            (0, "IRQ", 16384, Some(5120), Some(11264))
        );
        assert_eq!(irq.frames.len(), 2);
        assert_eq!(c.stacks[1].used, Some(0));
        assert!(c.stacks[1].frames.is_empty());
        assert_eq!((c.stacks[2].used, c.stacks[2].left), (None, None));
        assert_eq!(c.stacks[3].frames, Vec::<String>::new());
        assert_eq!(c.deepest("IRQ").map(|s| s.used), Some(Some(5120)));
        assert_eq!(c.budgets, [8192, 4096]);
        assert_eq!(c.functions.len(), 1);
        let f = &c.functions[0];
        assert_eq!((f.hits, f.max_used, f.min_remaining), (12, 4096, 12288));
        assert_eq!(f.over_budget, [0, 3]);
        assert_eq!((c.all.function.as_str(), c.all.hits), ("(all)", 12));
    }

    #[test]
    fn bad_text_names_the_line() {
        assert!(read("").is_err());
        assert!(read("# stackwatch tasks: x\n").is_err());
        let t = text();
        // Cut anywhere before the (all) row: an error, never a panic.
        let end = t.rfind("(all)").unwrap();
        for cut in 0..end {
            assert!(read(&t[..cut]).is_err(), "cut at {cut}");
        }
        let bad = t.replace("0 IRQ 16384 5120", "0 IRQ 16384 x");
        assert_eq!(read(&bad).unwrap_err().line, 3);
        let bad = t.replace("point 0 IRQ", "point 7 IRQ");
        assert_eq!(read(&bad).unwrap_err().field, "point");
    }
}
