//! Text formats of the debugfs files: one record a line, a `#` header,
//! whitespace-separated fields, numbers in decimal bytes. The kernel supplies
//! symbol names through [`Symbolize`]; the host tests use a fake one.

use super::budgets::MAX_BUDGETS;
use super::hist::{bucket_range, BUCKETS};
use super::stats::Snapshot;
use super::trace::Trace;
use core::fmt::{self, Write};

/// Writes the symbol for a code address (`name+0xoff/0xsize [module]` style).
pub trait Symbolize {
    /// Writes `addr` as `name+off/size`, or as hex if unknown.
    fn symbol(&self, addr: usize, w: &mut dyn Write) -> fmt::Result;
    /// Writes just the function name of `addr` (no offset), one token.
    fn name(&self, addr: usize, w: &mut dyn Write) -> fmt::Result;
}

/// Settings shown in every header.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// THREAD_SIZE of the running kernel.
    pub thread_size: usize,
    /// Threshold in remaining bytes (0: off).
    pub threshold: usize,
    /// What-if budgets (0: unused).
    pub budgets: [usize; MAX_BUDGETS],
    /// Whether probes count.
    pub enabled: bool,
}

/// Module-wide counters outside the per-function statistics.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counters {
    /// Hits whose stack pointer was not on the task stack (IRQ stacks).
    pub off_stack: u64,
    /// Hits on functions that found no free slot.
    pub dropped: u64,
    /// New maxima whose chain was not stored (slot busy on another CPU).
    pub trace_busy: u64,
    /// Threshold warnings printed.
    pub warnings: u64,
    /// Threshold crossings not printed because of the rate limit.
    pub warnings_suppressed: u64,
}

/// One function's row: its address and statistics.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// Function address (table key).
    pub addr: usize,
    /// Its statistics.
    pub stats: Snapshot,
}

/// Whether `a` sorts before `b`: deeper first, then by address.
fn before(a: &Row, b: &Row) -> bool {
    b.stats
        .max_used
        .cmp(&a.stats.max_used)
        .then(a.addr.cmp(&b.addr))
        .is_lt()
}

/// Sorts rows deepest first, then by address, with a heapsort: no recursion
/// and no element copies on the stack. `core`'s sort recurses with a
/// 416-byte frame per level over these rows: reading `summary` once reached
/// 7,200 bytes of stack (the stack tracer's deepest stack in a torture run),
/// too much for the reader of a tool about stack depth.
pub fn sort_rows(rows: &mut [Row]) {
    let n = rows.len();
    let mut i = n.checked_div(2).unwrap_or(0);
    while let Some(k) = i.checked_sub(1) {
        i = k;
        sift_down(rows, i, n);
    }
    let mut end = n;
    while end > 1 {
        end = end.saturating_sub(1);
        swap(rows, 0, end);
        sift_down(rows, 0, end);
    }
}

/// Swaps rows `a < b` (nothing if either is out of range): no panic path.
fn swap(rows: &mut [Row], a: usize, b: usize) {
    if let Some((first, rest)) = rows.get_mut(a..=b).and_then(|s| s.split_first_mut()) {
        if let Some(last) = rest.last_mut() {
            core::mem::swap(first, last);
        }
    }
}

/// Restores the heap below `i` in `rows[..end]`: a max-heap on "sorts
/// after", so that its top belongs at the end.
fn sift_down(rows: &mut [Row], mut i: usize, end: usize) {
    let later = |x: usize, y: usize, rows: &[Row]| match (rows.get(x), rows.get(y)) {
        (Some(a), Some(b)) => before(b, a),
        _ => false,
    };
    loop {
        let l = i.saturating_mul(2).saturating_add(1);
        if l >= end {
            return;
        }
        let r = l.saturating_add(1);
        let c = if r < end && later(r, l, rows) { r } else { l };
        if !later(c, i, rows) {
            return;
        }
        swap(rows, i, c);
        i = c;
    }
}

fn budget_columns(w: &mut dyn Write, h: &Header) -> fmt::Result {
    for b in h.budgets.iter().filter(|&&b| b != 0) {
        write!(w, " over_{}", b)?;
    }
    Ok(())
}

fn stats_fields(w: &mut dyn Write, h: &Header, s: &Snapshot) -> fmt::Result {
    let min_remaining = if s.hits == 0 {
        h.thread_size
    } else {
        h.thread_size.saturating_sub(s.max_used)
    };
    write!(
        w,
        " {} {} {} {}",
        s.hits, s.max_used, min_remaining, s.below_threshold
    )?;
    for (i, b) in h.budgets.iter().enumerate() {
        if *b != 0 {
            write!(w, " {}", s.over_budget.get(i).copied().unwrap_or(0))?;
        }
    }
    Ok(())
}

/// The `summary` file: settings, one row per hit function (deepest first),
/// a `(all)` row for all of them, and the module counters.
pub fn write_summary(
    w: &mut dyn Write,
    h: &Header,
    rows: &[Row],
    global: &Snapshot,
    c: &Counters,
    sym: &dyn Symbolize,
) -> fmt::Result {
    writeln!(
        w,
        "# stackwatch summary: thread_size {} threshold {} enabled {}",
        h.thread_size,
        h.threshold,
        u8::from(h.enabled)
    )?;
    write!(w, "# function hits max_used min_remaining below_threshold")?;
    budget_columns(w, h)?;
    writeln!(w)?;
    for r in rows.iter().filter(|r| r.stats.hits != 0) {
        sym.name(r.addr, w)?;
        stats_fields(w, h, &r.stats)?;
        writeln!(w)?;
    }
    write!(w, "(all)")?;
    stats_fields(w, h, global)?;
    writeln!(w)?;
    writeln!(
        w,
        "# off_stack {} dropped {} trace_busy {} warnings {} warnings_suppressed {}",
        c.off_stack, c.dropped, c.trace_busy, c.warnings, c.warnings_suppressed
    )
}

fn write_chain(w: &mut dyn Write, t: &Trace, sym: &dyn Symbolize) -> fmt::Result {
    for (f, s) in t.frames().iter().zip(t.sizes().iter()) {
        write!(w, "  {:>5} ", s)?;
        sym.symbol(*f, w)?;
        writeln!(w)?;
    }
    Ok(())
}

/// The `traces` file: per function, a record line `name used remaining pid
/// comm frames`, then one indented line per frame: `size symbol`.
pub fn write_traces(
    w: &mut dyn Write,
    h: &Header,
    traces: &[(usize, Trace)],
    sym: &dyn Symbolize,
) -> fmt::Result {
    writeln!(
        w,
        "# stackwatch traces: deepest chain per function, thread_size {}",
        h.thread_size
    )?;
    writeln!(
        w,
        "# function used remaining pid comm frames; then per frame: size symbol"
    )?;
    for (addr, t) in traces {
        sym.name(*addr, w)?;
        writeln!(
            w,
            " {} {} {} {} {}",
            t.used,
            h.thread_size.saturating_sub(t.used),
            t.pid,
            if t.comm_str().is_empty() {
                "-"
            } else {
                t.comm_str()
            },
            t.len
        )?;
        write_chain(w, t, sym)?;
    }
    Ok(())
}

/// The `max_trace` file: the deepest chain seen, in the ftrace stack tracer's
/// `Depth Size Location` layout (after one `#` line of context).
pub fn write_max_trace(
    w: &mut dyn Write,
    h: &Header,
    t: Option<&Trace>,
    sym: &dyn Symbolize,
) -> fmt::Result {
    let Some(t) = t else {
        writeln!(
            w,
            "# stackwatch max_trace: nothing recorded yet, thread_size {}",
            h.thread_size
        )?;
        return Ok(());
    };
    writeln!(
        w,
        "# stackwatch max_trace: used {} remaining {} thread_size {} pid {} comm {}",
        t.used,
        h.thread_size.saturating_sub(t.used),
        h.thread_size,
        t.pid,
        if t.comm_str().is_empty() {
            "-"
        } else {
            t.comm_str()
        }
    )?;
    writeln!(w, "        Depth    Size   Location    ({} entries)", t.len)?;
    writeln!(w, "        -----    ----   --------")?;
    let mut depth = t.used;
    for (i, (f, s)) in t.frames().iter().zip(t.sizes().iter()).enumerate() {
        write!(w, "  {:>2})   {:>6}   {:>5}   ", i, depth, s)?;
        sym.symbol(*f, w)?;
        writeln!(w)?;
        depth = depth.saturating_sub(*s as usize);
    }
    Ok(())
}

/// The `histogram` file: a header with each bucket's lower bound in bytes,
/// then one row per hit function and an `(all)` row, counts per bucket.
pub fn write_histogram(
    w: &mut dyn Write,
    h: &Header,
    rows: &[Row],
    global: &Snapshot,
    sym: &dyn Symbolize,
) -> fmt::Result {
    writeln!(
        w,
        "# stackwatch histogram: hits by used bytes, bucket width {}",
        bucket_range(0, h.thread_size).1
    )?;
    write!(w, "# function")?;
    for i in 0..BUCKETS {
        write!(w, " {}", bucket_range(i, h.thread_size).0)?;
    }
    writeln!(w)?;
    let row = |w: &mut dyn Write, s: &Snapshot| -> fmt::Result {
        for c in &s.hist {
            write!(w, " {}", c)?;
        }
        writeln!(w)
    };
    for r in rows.iter().filter(|r| r.stats.hits != 0) {
        sym.name(r.addr, w)?;
        row(w, &r.stats)?;
    }
    write!(w, "(all)")?;
    row(w, global)
}

/// The `budgets` file: the sizes, and per budget how many hits overflowed it.
pub fn write_budgets(w: &mut dyn Write, h: &Header, global: &Snapshot) -> fmt::Result {
    writeln!(
        w,
        "# budget over_count (hits that would have overflowed a stack of that size)"
    )?;
    for (i, b) in h.budgets.iter().enumerate() {
        if *b != 0 {
            writeln!(
                w,
                "{} {}",
                b,
                global.over_budget.get(i).copied().unwrap_or(0)
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    struct Fake;
    impl Symbolize for Fake {
        fn symbol(&self, a: usize, w: &mut dyn Write) -> fmt::Result {
            write!(w, "f{:x}+0x0/0x10", a)
        }
        fn name(&self, a: usize, w: &mut dyn Write) -> fmt::Result {
            write!(w, "f{:x}", a)
        }
    }

    fn hdr() -> Header {
        Header {
            thread_size: 16384,
            threshold: 1024,
            budgets: [4096, 8192, 0, 0],
            enabled: true,
        }
    }

    fn snap(hits: u64, max: usize) -> Snapshot {
        let mut s = Snapshot {
            hits,
            max_used: max,
            ..Default::default()
        };
        s.hist[max / 512] = hits;
        s.over_budget[0] = if max > 4096 { hits } else { 0 };
        s
    }

    #[test]
    fn heapsort_orders_like_a_sort() {
        // Pseudo-random depths with ties, every length up to 40.
        let mut x = 12345u64;
        for n in 0..40 {
            let mut rows: std::vec::Vec<Row> = (0..n)
                .map(|i| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    Row {
                        addr: i * 16 + 1,
                        stats: snap(1, ((x >> 33) % 7) as usize * 512),
                    }
                })
                .collect();
            let mut want = rows.clone();
            want.sort_by(|a, b| {
                b.stats
                    .max_used
                    .cmp(&a.stats.max_used)
                    .then(a.addr.cmp(&b.addr))
            });
            sort_rows(&mut rows);
            let got: std::vec::Vec<(usize, usize)> =
                rows.iter().map(|r| (r.stats.max_used, r.addr)).collect();
            let want: std::vec::Vec<(usize, usize)> =
                want.iter().map(|r| (r.stats.max_used, r.addr)).collect();
            assert_eq!(got, want, "n = {n}");
        }
    }

    #[test]
    fn summary_is_sorted_and_parseable() {
        let mut rows = [
            Row {
                addr: 0xa,
                stats: snap(3, 1000),
            },
            Row {
                addr: 0xb,
                stats: snap(5, 6000),
            },
            Row {
                addr: 0xc,
                stats: snap(0, 0),
            },
        ];
        sort_rows(&mut rows);
        let mut s = String::new();
        write_summary(
            &mut s,
            &hdr(),
            &rows,
            &snap(8, 6000),
            &Counters {
                off_stack: 2,
                ..Default::default()
            },
            &Fake,
        )
        .unwrap();
        let lines: std::vec::Vec<&str> = s.lines().collect();
        assert_eq!(
            lines[1],
            "# function hits max_used min_remaining below_threshold over_4096 over_8192"
        );
        assert_eq!(lines[2], "fb 5 6000 10384 0 5 0");
        assert_eq!(lines[3], "fa 3 1000 15384 0 0 0");
        assert_eq!(lines[4], "(all) 8 6000 10384 0 8 0");
        assert!(lines[5].starts_with("# off_stack 2 "));
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn max_trace_layout_and_depths() {
        let mut t = Trace::empty();
        t.used = 500;
        t.len = 3;
        t.frames[..3].copy_from_slice(&[1, 2, 3]);
        t.sizes[..3].copy_from_slice(&[0, 200, 300]);
        let mut s = String::new();
        write_max_trace(&mut s, &hdr(), Some(&t), &Fake).unwrap();
        let lines: std::vec::Vec<&str> = s.lines().collect();
        assert_eq!(lines[1], "        Depth    Size   Location    (3 entries)");
        assert_eq!(lines[3], "   0)      500       0   f1+0x0/0x10");
        assert_eq!(lines[4], "   1)      500     200   f2+0x0/0x10");
        assert_eq!(lines[5], "   2)      300     300   f3+0x0/0x10");
        let mut e = String::new();
        write_max_trace(&mut e, &hdr(), None, &Fake).unwrap();
        assert!(e.starts_with("# stackwatch max_trace: nothing"));
    }

    #[test]
    fn traces_histogram_budgets() {
        let mut t = Trace::empty();
        t.used = 700;
        t.len = 1;
        t.frames[0] = 0xa;
        t.sizes[0] = 700;
        let mut s = String::new();
        write_traces(&mut s, &hdr(), &[(0xa, t)], &Fake).unwrap();
        assert!(
            s.contains("\nfa 700 15684 0 - 1\n    700 fa+0x0/0x10\n"),
            "{s}"
        );
        let mut hs = String::new();
        write_histogram(
            &mut hs,
            &hdr(),
            &[Row {
                addr: 0xa,
                stats: snap(2, 600),
            }],
            &snap(2, 600),
            &Fake,
        )
        .unwrap();
        let l: std::vec::Vec<&str> = hs.lines().collect();
        assert!(l[1].starts_with("# function 0 512 1024"));
        assert!(l[2].starts_with("fa 0 2 0"));
        assert_eq!(l[2].split_whitespace().count(), 1 + BUCKETS);
        let mut b = String::new();
        write_budgets(&mut b, &hdr(), &snap(4, 5000)).unwrap();
        assert_eq!(b.lines().nth(1), Some("4096 4"));
        assert_eq!(b.lines().nth(2), Some("8192 0"));
    }
}
