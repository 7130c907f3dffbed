// SPDX-License-Identifier: GPL-2.0

//! The debugfs interface, `/sys/kernel/debug/stackwatch/`: report files
//! (rendered by the core crate's formats) and control files. A bad write
//! fails with an errno, prints what was wrong, and changes nothing.

use core::fmt;
use core::sync::atomic::Ordering::Relaxed;
use kernel::{debugfs::ScopedDir, prelude::*, uaccess::UserSliceReader};

use crate::shim::KernelSymbols;
use crate::state::State;
use crate::swcore::{
    budgets::MAX_BUDGETS,
    command::{
        check_probe_write, lines, parse_bool, parse_budgets, parse_number, parse_probe_line,
        ErrorKind, ParseError, MAX_WRITE,
    },
    report::{self, Row},
    trace::Trace,
};

/// Creates every file of the directory.
pub(crate) fn populate<'d>(st: &'d State, dir: &ScopedDir<'d, '_>) {
    dir.read_callback_file(c"summary", st, &read_summary);
    dir.read_callback_file(c"traces", st, &read_traces);
    dir.read_callback_file(c"max_trace", st, &read_max_trace);
    dir.read_callback_file(c"histogram", st, &read_histogram);
    dir.read_callback_file(c"thread_size", st, &read_thread_size);
    dir.read_write_callback_file(c"probes", st, &read_probes, &write_probes);
    dir.read_write_callback_file(c"threshold", st, &read_threshold, &write_threshold);
    dir.read_write_callback_file(c"budgets", st, &read_budgets, &write_budgets);
    dir.read_write_callback_file(c"enabled", st, &read_enabled, &write_enabled);
    dir.write_only_callback_file(c"reset", st, &write_reset);
}

/// Snapshots of every function that was hit, deepest first.
fn rows(st: &State) -> Result<KVVec<Row>, fmt::Error> {
    let table = st.table();
    let mut rows = KVVec::new();
    for (i, slot) in st.slots.iter().enumerate() {
        let addr = table.key(i);
        if addr != 0 && slot.stats.hits() != 0 {
            rows.push(
                Row {
                    addr,
                    stats: slot.stats.snapshot(),
                },
                GFP_KERNEL,
            )
            .map_err(|_| fmt::Error)?;
        }
    }
    report::sort_rows(&mut rows);
    Ok(rows)
}

fn read_summary(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let rows = rows(st)?;
    report::write_summary(
        f,
        &st.header(),
        &rows,
        &st.global_snapshot(),
        &st.counters(),
        &KernelSymbols,
    )
}

fn read_traces(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let rows = rows(st)?;
    let table = st.table();
    let mut traces: KVVec<(usize, Trace)> = KVVec::new();
    for r in rows.iter() {
        let t = table
            .find(r.addr)
            .and_then(|i| st.traces.get(i))
            .and_then(|t| t.load());
        if let Some(t) = t {
            traces
                .push((r.addr, t), GFP_KERNEL)
                .map_err(|_| fmt::Error)?;
        }
    }
    report::write_traces(f, &st.header(), &traces, &KernelSymbols)
}

fn read_max_trace(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    report::write_max_trace(
        f,
        &st.header(),
        st.global_trace.load().as_ref(),
        &KernelSymbols,
    )
}

fn read_histogram(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let rows = rows(st)?;
    report::write_histogram(
        f,
        &st.header(),
        &rows,
        &st.global_snapshot(),
        &KernelSymbols,
    )
}

fn read_thread_size(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", st.thread_size)
}

fn read_probes(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    st.probes.lock().write_report(st, f)
}

fn read_threshold(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", st.threshold.load(Relaxed))
}

fn read_budgets(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    report::write_budgets(f, &st.header(), &st.global_snapshot())
}

fn read_enabled(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    writeln!(f, "{}", u8::from(st.enabled.load(Relaxed)))
}

/// Reads one whole write (at most MAX_WRITE bytes) as text.
fn read_text<'b>(
    r: &mut UserSliceReader,
    buf: &'b mut [u8; MAX_WRITE],
    file: &str,
) -> Result<&'b str> {
    let n = r.len();
    if n > buf.len() {
        pr_warn!(
            "{}: write of {} bytes is larger than {} (E2BIG)\n",
            file,
            n,
            MAX_WRITE
        );
        return Err(E2BIG);
    }
    let dst = buf.get_mut(..n).ok_or(EINVAL)?;
    r.read_slice(dst)?;
    core::str::from_utf8(dst).map_err(|_| {
        pr_warn!("{}: input is not UTF-8 text (EINVAL)\n", file);
        EINVAL
    })
}

/// Maps a parse error to its errno and says what was wrong.
fn reject(file: &str, e: ParseError<'_>) -> Error {
    let (errno, name) = match e.kind {
        ErrorKind::Invalid => (EINVAL, "EINVAL"),
        ErrorKind::TooLong => (E2BIG, "E2BIG"),
        ErrorKind::Range => (ERANGE, "ERANGE"),
    };
    pr_warn!("{}: {}: '{}' ({})\n", file, e.why, e.token_short(), name);
    errno
}

fn write_probes(st: &State, r: &mut UserSliceReader) -> Result {
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let text = read_text(r, &mut buf, "probes")?;
    check_probe_write(text).map_err(|e| reject("probes", e))?;
    let cmds = lines(text).filter_map(|l| parse_probe_line(l).ok().flatten());
    st.probes.lock().apply(st, cmds)
}

fn write_threshold(st: &State, r: &mut UserSliceReader) -> Result {
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let text = read_text(r, &mut buf, "threshold")?;
    let v = parse_number(text, st.thread_size as u64).map_err(|e| reject("threshold", e))?;
    st.threshold.store(v as usize, Relaxed);
    st.threshold_gen.fetch_add(1, Relaxed);
    st.warn_limit.reset();
    Ok(())
}

fn write_budgets(st: &State, r: &mut UserSliceReader) -> Result {
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let text = read_text(r, &mut buf, "budgets")?;
    let b: [usize; MAX_BUDGETS] =
        parse_budgets(text, st.thread_size).map_err(|e| reject("budgets", e))?;
    st.set_budgets(&b);
    Ok(())
}

fn write_enabled(st: &State, r: &mut UserSliceReader) -> Result {
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let text = read_text(r, &mut buf, "enabled")?;
    let on = parse_bool(text).map_err(|e| reject("enabled", e))?;
    st.enabled.store(on, Relaxed);
    Ok(())
}

fn write_reset(st: &State, r: &mut UserSliceReader) -> Result {
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let text = read_text(r, &mut buf, "reset")?;
    if !parse_bool(text).map_err(|e| reject("reset", e))? {
        return Ok(());
    }
    st.reset();
    Ok(())
}
