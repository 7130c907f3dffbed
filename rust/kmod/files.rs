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

use crate::control::{self, Ctl};
use crate::shim::{self, KernelSymbols, SYM_LEN};
use crate::state::State;
use crate::swcore::{
    command::MAX_WRITE,
    settings::Control,
    stack_scan::{self, Deepest, Point, TaskRow},
    stats::Snapshot,
    trace::{unloaded_module, Trace},
};
use crate::swformat::text::{sort_rows, write_unloaded, Header, Row, Symbolize};
use crate::swformat::{histogram, max_trace, summary, traces, value};

type Show = fn(&State, &mut fmt::Formatter<'_>) -> fmt::Result;

/// What a file is: a report (read-only), or a control (`control.rs`, which
/// the module parameters share).
#[derive(Clone, Copy)]
enum Kind {
    Report(Show),
    Control(Ctl),
}

/// One file of the directory: its name and mode, and what it is.
struct Spec {
    name: &'static CStr,
    mode: u16,
    kind: Kind,
}

const fn ro(name: &'static CStr, show: Show) -> Spec {
    Spec {
        name,
        mode: 0o400,
        kind: Kind::Report(show),
    }
}

const fn rw(name: &'static CStr, ctl: Ctl) -> Spec {
    Spec {
        name,
        mode: 0o600,
        kind: Kind::Control(ctl),
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
    rw(c"probes", Ctl::Probes),
    rw(c"threshold", Ctl::Setting(Control::Threshold)),
    rw(c"budgets", Ctl::Setting(Control::Budgets)),
    rw(c"enabled", Ctl::Setting(Control::Enabled)),
    Spec {
        name: c"reset",
        mode: 0o200,
        kind: Kind::Control(Ctl::Setting(Control::Reset)),
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

impl<S: StateOwner> Files<S> {
    /// The state the files show, which stays in place while they live.
    // (Built in, the state is at hand already.)
    #[cfg_attr(not(MODULE), allow(dead_code))]
    pub(crate) fn state(&self) -> &State {
        &self._state
    }
}

impl<S: StateOwner> Drop for Files<S> {
    fn drop(&mut self) {
        // SAFETY: `dir` came from `debugfs_dir` and is removed only here.
        unsafe { shim::debugfs_remove(self.dir) };
    }
}

/// Renders a file for `stackwatch_file_show`.
struct Render<'a>(&'a State, Kind);

impl fmt::Display for Render<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Kind::Report(show) => show(self.0, f),
            Kind::Control(c) => c.show(self.0, f).unwrap_or(Ok(())),
        }
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
    {
        // SAFETY: `d.st` outlives the file: `Files` owns it and removes the
        // file first.
        let st = unsafe { &*d.st };
        seq.call_printf(format_args!("{}", Render(st, d.spec.kind)));
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
    let Kind::Control(ctl) = d.spec.kind else {
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
    match write_control(st, ctl, &mut r) {
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

/// A write to a control file: one whole write (at most MAX_WRITE bytes),
/// checked and applied as `control.rs` says.
fn write_control(st: &State, ctl: Ctl, r: &mut UserSliceReader) -> Result {
    let n = r.len();
    control::check_len(ctl.name(), n)?;
    let mut buf = KBox::new([0u8; MAX_WRITE], GFP_KERNEL)?;
    let dst = buf.get_mut(..n).ok_or(EINVAL)?;
    r.read_slice(dst)?;
    ctl.store(st, dst)
}
