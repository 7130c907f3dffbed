// SPDX-License-Identifier: GPL-2.0

//! The debugfs interface, `/sys/kernel/debug/stackwatch/`: report files
//! (rendered by the core crate's formats) and control files. A bad write
//! fails with an errno, prints what was wrong, and changes nothing.

use core::ffi::{c_char, c_int, c_long, c_ulong, c_void};
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use kernel::{
    prelude::*,
    seq_file::SeqFile,
    uaccess::{UserPtr, UserSlice, UserSliceReader},
};

use crate::shim::{self, KernelSymbols, SYM_LEN};
use crate::state::State;
use crate::swcore::{
    command::{check_probe_write, lines, parse_probe_line, InputError, InputErrorKind, MAX_WRITE},
    errno,
    settings::{Control, WriteError},
    stack_scan::{self, Deepest, Point, TaskRow},
    stats::Snapshot,
    trace::{unloaded_module, Trace},
};
use crate::swformat::text::{sort_rows, write_unloaded, Header, Row, Symbolize};
use crate::swformat::{budgets, histogram, max_trace, summary, traces, value};

type Show = fn(&State, &mut fmt::Formatter<'_>) -> fmt::Result;
type Store = fn(&State, &mut UserSliceReader) -> Result;

/// One file of the directory: its name and mode, and what reading and
/// writing it do.
struct Spec {
    name: &'static CStr,
    mode: u16,
    show: Option<Show>,
    store: Option<Store>,
}

const fn ro(name: &'static CStr, show: Show) -> Spec {
    Spec {
        name,
        mode: 0o400,
        show: Some(show),
        store: None,
    }
}

const fn rw(name: &'static CStr, show: Show, store: Store) -> Spec {
    Spec {
        name,
        mode: 0o600,
        show: Some(show),
        store: Some(store),
    }
}

/// Every file of the directory.
static SPECS: [Spec; 13] = [
    ro(c"summary", read_summary),
    ro(c"traces", read_traces),
    ro(c"max_trace", read_max_trace),
    ro(c"histogram", read_histogram),
    ro(c"thread_size", read_thread_size),
    ro(c"tasks", read_tasks),
    ro(c"cpu_stacks", crate::cpu_files::read_cpu_stacks),
    ro(c"irq_max_trace", crate::cpu_files::read_irq_max_trace),
    rw(c"probes", read_probes, write_probes),
    rw(c"threshold", read_threshold, write_threshold),
    rw(c"budgets", read_budgets, write_budgets),
    rw(c"enabled", read_enabled, write_enabled),
    Spec {
        name: c"reset",
        mode: 0o200,
        show: None,
        store: Some(write_reset),
    },
];

/// What a file passes back to `stackwatch_file_show`/`_store`: the state
/// and the file's spec.
struct FileData {
    st: *const State,
    spec: &'static Spec,
    /// Bytes of its last whole rendering: the next open asks for a buffer
    /// that holds it, so a large file (`traces`) is rendered once, not
    /// again at every doubling of seq_file's buffer.
    last_len: AtomicUsize,
}

/// What keeps the state alive for the files, at an address of its own.
///
/// # Safety
///
/// The `State` it dereferences to stays at the same address, valid, for as
/// long as the owner lives, even when the owner itself moves.
pub(crate) unsafe trait StateOwner: core::ops::Deref<Target = State> {}

// SAFETY: the state is pinned on the heap, where moving the box does not
// move it, and freed only when the box is dropped.
unsafe impl StateOwner for Pin<KBox<State>> {}
// SAFETY: a state that lives for ever (built into the image).
unsafe impl StateOwner for &'static State {}

/// The directory `/sys/kernel/debug/stackwatch` and its files over a state
/// they own, removed when dropped. Their file operations name the module as
/// owner: an open file pins the module, so no file outlives it (the kernel
/// crate's debugfs files have no owner, and one held open across rmmod
/// oopsed on close).
///
/// Teardown order by construction: `drop` removes the directory (waiting
/// for running reads and writes; no `probes` write attaches anything
/// afterwards) before the fields drop, and the state, which the files
/// point to, is the last of them.
pub(crate) struct Files<S: StateOwner> {
    dir: NonNull<shim::Dentry>,
    /// Pointed to by the files.
    _data: KVec<FileData>,
    /// Pointed to by `_data`.
    _state: S,
}

// SAFETY: `Files` only removes the directory when dropped; the debugfs
// calls may come from any thread, and `FileData` is only read. The state is
// shared between threads by design (atomics and locks).
unsafe impl<S: StateOwner + Send> Send for Files<S> {}
// SAFETY: `&Files` allows nothing.
unsafe impl<S: StateOwner + Sync> Sync for Files<S> {}

impl<S: StateOwner> Files<S> {
    /// Creates the directory and its files over `state`, which they keep.
    pub(crate) fn create(state: S) -> Result<Files<S>> {
        let st: *const State = &*state;
        let mut data = KVec::with_capacity(SPECS.len(), GFP_KERNEL)?;
        for spec in SPECS.iter() {
            data.push_within_capacity(FileData {
                st,
                spec,
                last_len: AtomicUsize::new(0),
            })
            .map_err(|_| ENOMEM)?;
        }
        let dir = shim::debugfs_dir(c"stackwatch").ok_or(ENOMEM)?;
        let files = Files {
            dir,
            _data: data,
            _state: state,
        };
        for d in files._data.iter() {
            // SAFETY: `d` is not moved or freed until the directory is
            // removed (`Files`' drop, which waits for running reads and
            // writes), and `d.st` is the state `files` owns, which stays in
            // place (`StateOwner`) and drops after the directory is removed.
            unsafe { shim::debugfs_file(files.dir, d.spec.name, d.spec.mode, d)? };
        }
        Ok(files)
    }
}

impl<S: StateOwner> Drop for Files<S> {
    fn drop(&mut self) {
        // SAFETY: `dir` came from `debugfs_dir` and is removed only here.
        unsafe { shim::debugfs_remove(self.dir) };
    }
}

/// Renders a file for `stackwatch_file_show`.
struct Render<'a>(&'a State, Show);

impl fmt::Display for Render<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (self.1)(self.0, f)
    }
}

/// Called by the C shim when a file is read: its contents into `m`.
///
/// # Safety
///
/// `data` is the `FileData` the file was created with (valid while the file
/// exists, see `Files`); `m` is the file's live `seq_file`, not
/// used by anyone else during the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_file_show(
    data: *mut c_void,
    m: *mut kernel::bindings::seq_file,
) -> c_int {
    // SAFETY: by this function's contract.
    let d = unsafe { &*data.cast_const().cast::<FileData>() };
    // SAFETY: by this function's contract, `m` is a live, unshared seq_file.
    let seq = unsafe { SeqFile::from_raw(m) };
    if let Some(show) = d.spec.show {
        // SAFETY: `d.st` outlives the file: `Files` owns it and removes the
        // file first.
        let st = unsafe { &*d.st };
        seq.call_printf(format_args!("{}", Render(st, show)));
        // SAFETY: `m` is live and unshared for this call (the contract).
        let (count, size) = unsafe { ((*m).count, (*m).size) };
        // A rendering that filled the buffer overflowed it: seq_read renders
        // again into a larger one, whose length is kept then.
        if count < size {
            d.last_len.store(count, Relaxed);
        }
    }
    0
}

/// Called by the C shim as a file is opened: the buffer size to render it
/// into, a quarter more than its last whole rendering (0: seq_file's own
/// first guess).
///
/// # Safety
///
/// `data` is the `FileData` the file was created with (valid while the file
/// exists, see `Files`).
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_file_size_hint(data: *mut c_void) -> c_ulong {
    /// Largest buffer asked for up front (seq_file grows past it if needed).
    const MAX_HINT: usize = 16 << 20;
    // SAFETY: by this function's contract.
    let d = unsafe { &*data.cast_const().cast::<FileData>() };
    let last = d.last_len.load(Relaxed);
    let hint = last.saturating_add(last / 4).min(MAX_HINT);
    c_ulong::try_from(hint).unwrap_or(0)
}

/// Called by the C shim when a file is written: `len` bytes at the user
/// address `buf`. Returns `len` or -errno.
///
/// # Safety
///
/// `data` is the `FileData` the file was created with (valid while the file
/// exists, see `Files`).
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_file_store(
    data: *mut c_void,
    buf: *const c_char,
    len: c_ulong,
) -> c_long {
    // SAFETY: by this function's contract.
    let d = unsafe { &*data.cast_const().cast::<FileData>() };
    let Some(store) = d.spec.store else {
        return EINVAL.to_errno().into();
    };
    let Ok(n) = usize::try_from(len) else {
        return E2BIG.to_errno().into();
    };
    // The user address is only ever accessed through `UserSlice`, which
    // checks it.
    let mut r = UserSlice::new(UserPtr::from_ptr(buf.cast_mut().cast::<c_void>()), n).reader();
    // SAFETY: `d.st` outlives the file: `Files` owns it and removes the
    // file first.
    let st = unsafe { &*d.st };
    match store(st, &mut r) {
        Ok(()) => c_long::try_from(n).unwrap_or(c_long::MAX),
        Err(e) => e.to_errno().into(),
    }
}

/// Snapshots of every function that was hit, deepest first.
fn rows(st: &State) -> Result<KVVec<Row>, fmt::Error> {
    let index = st.slot_index();
    let mut rows = KVVec::new();
    for (i, slot) in st.slots.iter().enumerate() {
        let addr = index.key(i);
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
    sort_rows(&mut rows);
    Ok(rows)
}

/// A function table (`summary`, `histogram`): `write` gets the settings,
/// the hit functions' rows deepest first, and the `(all)` row's statistics.
fn function_table(
    st: &State,
    f: &mut fmt::Formatter<'_>,
    write: impl FnOnce(&mut fmt::Formatter<'_>, &Header, &[Row], &Snapshot) -> fmt::Result,
) -> fmt::Result {
    let rows = rows(st)?;
    write(f, &st.header(), &rows, &st.global_snapshot())
}

fn read_summary(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    function_table(st, f, |f, h, rows, all| {
        summary::write_summary(f, h, rows, all, &st.counters(), &KernelSymbols::new()?)
    })
}

/// Symbols of chains' frames: from kallsyms, or, for a frame in code of a
/// module that went away, `(unloaded) [module]` (its name as the probes
/// kept it, copied while their lock is held).
pub(crate) struct ChainSymbols {
    unloaded: KVec<KVec<u8>>,
    kernel: KernelSymbols,
}

impl ChainSymbols {
    pub(crate) fn new(st: &State) -> Result<Self, fmt::Error> {
        let mut names = KVec::new();
        let set = st.probes.lock();
        let mut k = 0;
        while let Some(n) = set.unloaded_name(k) {
            let mut v = KVec::new();
            v.extend_from_slice(n.as_bytes(), GFP_KERNEL)
                .map_err(|_| fmt::Error)?;
            names.push(v, GFP_KERNEL).map_err(|_| fmt::Error)?;
            k = k.saturating_add(1);
        }
        Ok(ChainSymbols {
            unloaded: names,
            kernel: KernelSymbols::new()?,
        })
    }
}

impl Symbolize for ChainSymbols {
    fn symbol(&self, addr: usize, w: &mut dyn fmt::Write) -> fmt::Result {
        match unloaded_module(addr) {
            Some(k) => write_unloaded(
                w,
                self.unloaded
                    .get(k)
                    .and_then(|n| core::str::from_utf8(n).ok()),
            ),
            None => self.kernel.symbol(addr, w),
        }
    }

    fn name(&self, addr: usize, w: &mut dyn fmt::Write) -> fmt::Result {
        self.kernel.name(addr, w)
    }
}

fn read_traces(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let rows = rows(st)?;
    let index = st.slot_index();
    let mut traces: KVVec<(usize, Trace)> = KVVec::new();
    for r in rows.iter() {
        let Some(slot) = index.find(r.addr).and_then(|i| st.traces.get(i)) else {
            continue;
        };
        // Each chain copied straight into its place in the vector: about
        // 700 bytes, not built on the stack first.
        traces
            .push((r.addr, Trace::empty()), GFP_KERNEL)
            .map_err(|_| fmt::Error)?;
        let loaded = traces.last_mut().is_some_and(|(_, t)| slot.load_into(t));
        if !loaded {
            traces.pop();
        }
    }
    traces::write_traces(f, &st.header(), &traces, &ChainSymbols::new(st)?)
}

fn read_max_trace(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let t = KBox::new_uninit(GFP_KERNEL).map_err(|_| fmt::Error)?;
    let mut t = KBox::write(t, Trace::empty());
    let loaded = st.global_trace.load_into(&mut t);
    max_trace::write_max_trace(
        f,
        &st.header(),
        loaded.then_some(&*t),
        &ChainSymbols::new(st)?,
    )
}

fn read_histogram(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    function_table(st, f, |f, h, rows, all| {
        histogram::write_histogram(f, h, rows, all, &KernelSymbols::new()?)
    })
}

fn read_thread_size(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    value::write_number(f, st.thread_size)
}

/// Every live thread's deepest point so far, read off its stack now.
fn read_tasks(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut buf = KVec::from_elem(TaskRow::EMPTY, stack_scan::MAX_SHOWN, GFP_KERNEL)
        .map_err(|_| fmt::Error)?;
    let mut deepest = Deepest::new(&mut buf);
    shim::scan_thread_stacks(&mut deepest).map_err(|_| fmt::Error)?;
    // The deepest few again, for the return addresses above their deepest point.
    let shown = deepest.shown();
    let mut points = KVec::from_elem(
        Point::EMPTY,
        stack_scan::POINTS.min(shown.len()),
        GFP_KERNEL,
    )
    .map_err(|_| fmt::Error)?;
    for (p, r) in points.iter_mut().zip(shown) {
        p.row = *r;
    }
    let mut scratch = KBox::new([0u8; SYM_LEN], GFP_KERNEL).map_err(|_| fmt::Error)?;
    shim::find_points(&mut points, &mut scratch).map_err(|_| fmt::Error)?;
    crate::swformat::tasks::write_tasks(
        f,
        st.thread_size,
        &deepest,
        &points,
        &KernelSymbols::new()?,
    )
}

fn read_probes(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    st.probes.lock().write_report(st, f)
}

fn read_threshold(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    value::write_number(f, st.threshold.load(Relaxed))
}

fn read_budgets(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    budgets::write_budgets(f, &st.header(), &st.global_snapshot())
}

fn read_enabled(st: &State, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    value::write_bool(f, st.enabled.load(Relaxed))
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
fn reject(file: &str, e: InputError<'_>) -> Error {
    let errno = match e.kind {
        InputErrorKind::Invalid => EINVAL,
        InputErrorKind::TooLong => E2BIG,
        InputErrorKind::Range => ERANGE,
    };
    pr_warn!(
        "{}: {}: '{}' ({})\n",
        file,
        e.why,
        e.token_short(),
        errno::name(errno.to_errno())
    );
    errno
}

fn write_probes(st: &State, r: &mut UserSliceReader) -> Result {
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let text = read_text(r, &mut buf, "probes")?;
    check_probe_write(text).map_err(|e| reject("probes", e))?;
    let cmds = lines(text).filter_map(|l| parse_probe_line(l).ok().flatten());
    st.probes.lock().apply(st, cmds)
}

/// A write to a settings file: checked as `swcore::settings` says, then
/// applied with its side effects (`State::apply`).
fn write_setting(st: &State, r: &mut UserSliceReader, file: Control) -> Result {
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let text = read_text(r, &mut buf, file.name())?;
    let change = file
        .parse(text, crate::settings::limits())
        .map_err(|e| match e {
            WriteError::Input(e) => reject(file.name(), e),
            WriteError::Threshold(t) => {
                let errno = crate::settings::threshold_errno(t);
                pr_warn!(
                    "{}: {} ({})\n",
                    file.name(),
                    format_args!("{t}"),
                    errno::name(errno.to_errno())
                );
                errno
            }
        })?;
    if let Some(c) = change {
        st.apply(c);
    }
    Ok(())
}

fn write_threshold(st: &State, r: &mut UserSliceReader) -> Result {
    write_setting(st, r, Control::Threshold)
}

fn write_budgets(st: &State, r: &mut UserSliceReader) -> Result {
    write_setting(st, r, Control::Budgets)
}

fn write_enabled(st: &State, r: &mut UserSliceReader) -> Result {
    write_setting(st, r, Control::Enabled)
}

fn write_reset(st: &State, r: &mut UserSliceReader) -> Result {
    write_setting(st, r, Control::Reset)
}
