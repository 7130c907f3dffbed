// SPDX-License-Identifier: GPL-2.0

//! stackwatch: watches kernel stack depth on the paths known to blow the
//! stack (XFS, device-mapper and the block layer, the NFS server, direct
//! reclaim), keeps per-function high-water marks with the call chain that
//! got there, and warns while there is still stack left.
//!
//! Everything is under `/sys/kernel/debug/stackwatch/`, and the controls
//! also under `/sys/module/stackwatch/parameters/` (for lockdown); see
//! README.md.

// No panic path, on every file of the module (rust/core's included through
// `swcore`, rust/format's through `swformat`): the kernel's clippy step (CLIPPY=1 in tests/run.sh) fails on
// these, and tests/host/check-no-panic.sh on any panic symbol in the object.
#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use core::sync::atomic::Ordering::Release;
use kernel::prelude::*;

#[cfg(not(MODULE))]
mod boot;
mod control;
mod cpu_files;
mod files;
mod handler;
mod params;
mod probes;
mod settings;
mod shim;
mod state;
#[allow(unreachable_pub, dead_code)]
mod swcore;
#[allow(unreachable_pub, dead_code)]
mod swformat;
mod warn;

use shim::ModuleWatch;
use state::State;
use swcore::command::{is_glob, split_list};

module! {
    type: StackWatch,
    name: "stackwatch",
    authors: ["stackwatch developers"],
    description: "Per-path kernel stack high-water marks with call chains and early warning",
    license: "GPL",
    // probes, threshold, budgets, enabled and reset are writable parameters
    // the C shim declares (shim.c); these two are read at load only.
    params: {
        max_functions: u32 {
            default: 4096,
            description: "Function slots preallocated for per-function statistics",
        },
        warn_interval_ms: u32 {
            default: 250,
            description: "At most one threshold warning per this many ms (0: no limit); one 256 bytes deeper than all before always goes out",
        },
    },
}

/// Publishes `st` to the handler, starts following modules (the state
/// keeps the notifiers and unregisters them first as it goes), and attaches
/// the specs of the list `probes` (the default set when it names none) that
/// `which` admits.
///
/// The attach runs deepest of all (`register_kprobe` and the vmalloc of an
/// instruction slot, with probes already live), and when built in it runs
/// on a 4K stack in early boot: so `start` and its callers keep small
/// frames, and what formats text is in functions of its own that are not
/// on the stack while probes are attached.
fn start(st: &State, probes: &str, which: Specs) {
    state::STATE.store(core::ptr::from_ref(st).cast_mut(), Release);

    // Before attaching, and without the probes lock (the notifiers take it,
    // and registering waits for a running one): a module that comes up
    // meanwhile is then seen by the attach below or by the notifier, which
    // waits for the lock; one that goes away is seen going by the notifier,
    // or refused by the attach (kprobes and ftrace take no module going).
    // SAFETY: `st` is pinned and stays valid until the watch is dropped: it
    // keeps the watch in `st.watch`, which its `drop` unregisters before any
    // field is freed.
    match unsafe { ModuleWatch::register(core::ptr::from_ref(st).cast()) } {
        Ok(w) => st.watch.set(w),
        Err(e) => warn_not_following(e),
    }
    attach_all(st, probes, which);
    log_watching(st);
}

/// Which specs of a list [`attach_all`] attaches.
#[derive(Clone, Copy, PartialEq, Eq)]
// Only the built-in image attaches in two steps.
#[cfg_attr(MODULE, allow(dead_code))]
enum Specs {
    All,
    /// Symbols only: built in, from the early initcall (`boot.rs`).
    Names,
}

impl Specs {
    fn admits(self, spec: &str) -> bool {
        match self {
            Specs::All => true,
            Specs::Names => !is_glob(spec),
        }
    }
}

/// Attaches the probes of the list `probes` (the default set when it names
/// none) that `which` admits, keeping those whose module is not loaded as
/// pending.
#[inline(never)]
fn attach_all(st: &State, probes: &str, which: Specs) {
    let mut set = st.probes.lock();
    let mut add = |n: &str| {
        if which.admits(n) {
            set.add_or_pend(st, n);
        }
    };
    let mut any = false;
    for name in split_list(probes) {
        any = true;
        if name == "default" {
            swcore::defaults::all().for_each(&mut add);
        } else {
            add(name);
        }
    }
    if !any {
        swcore::defaults::all().for_each(&mut add);
    }
}

#[cold]
#[inline(never)]
fn warn_not_following(e: Error) {
    pr_warn!(
        "not following modules ({:?}): pending probes stay pending\n",
        e
    );
}

/// The load line: what is watched and what it costs.
#[inline(never)]
fn log_watching(st: &State) {
    let nslots = st.slots.len();
    let (specs, funcs, pending) = st.probes.lock().totals();
    // Per function: the hot slot, its chain, and its table key.
    let hot = core::mem::size_of::<state::Slot>();
    let slot_bytes = hot
        .saturating_add(core::mem::size_of::<swcore::trace::TraceSlot>())
        .saturating_add(core::mem::size_of::<usize>());
    let scratch_bytes = core::mem::size_of::<state::Scratch>().saturating_mul(shim::nr_cpu_ids());
    pr_info!(
        "watching {} functions ({} probes, {} bytes each; {} pending), THREAD_SIZE {}, threshold {}, {} slots of {} bytes ({} KiB preallocated), {} of them touched per hit\n",
        funcs,
        specs,
        shim::probe_bytes().saturating_add(core::mem::size_of::<probes::Attachment>()),
        pending,
        st.thread_size,
        st.threshold.load(core::sync::atomic::Ordering::Relaxed),
        nslots,
        slot_bytes,
        slot_bytes
            .saturating_mul(nslots)
            .saturating_add(scratch_bytes)
            .checked_div(1024)
            .unwrap_or(0),
        hot
    );
}

/// The loadable module: the parameters stop reaching the state first (once
/// no write to one runs), then the files, which own the state, go (removing
/// them waits for running reads and writes, and an open file pins the
/// module, so none is open), then the state, whose own drop detaches the
/// module notifiers and every probe before its memory is freed.
#[cfg(MODULE)]
struct StackWatch {
    _params: params::Published,
    _files: files::Files<Pin<KBox<State>>>,
}

#[cfg(MODULE)]
impl kernel::Module for StackWatch {
    // `init` is on the stack while the probes attach, the deepest point of
    // the load (`register_kprobe` under `do_one_initcall`): what builds the
    // state and the files, with their large temporaries, runs in functions
    // of their own before and after, so `init`'s frame holds little more
    // than the state's address.
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let (state, probes) = new_state()?;
        start(&state, probes, Specs::All);
        let files = new_files(state)?;
        // SAFETY: the state stays in place until `files` drops, which is
        // after `_params` (field order).
        let params = unsafe { params::Published::new(files.state()) };
        Ok(StackWatch {
            _params: params,
            _files: files,
        })
    }
}

/// The state the checked settings describe, and the list of probes to
/// attach (the settings are not kept on the stack while they attach).
#[cfg(MODULE)]
#[inline(never)]
fn new_state() -> Result<(Pin<KBox<State>>, &'static str)> {
    let cfg = settings::from_params()?;
    let state = KBox::pin_init(State::new(&cfg)?, GFP_KERNEL)?;
    // Before any probe: hits on an IRQ stack are measured from the first.
    state.find_irq_stacks();
    Ok((state, cfg.probes))
}

/// The debugfs files, which own the state from now on.
#[cfg(MODULE)]
#[inline(never)]
fn new_files(state: Pin<KBox<State>>) -> Result<files::Files<Pin<KBox<State>>>> {
    files::Files::create(state)
}

/// Built into the image: the state lives as long as the kernel, perhaps
/// since an early initcall (see `boot.rs`); debugfs comes up later and shows it.
#[cfg(not(MODULE))]
struct StackWatch {
    _params: params::Published,
    _files: files::Files<&'static State>,
}

#[cfg(not(MODULE))]
impl kernel::Module for StackWatch {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let st = match boot::started() {
            Some(st) => st,
            None => {
                let cfg = settings::from_params()?;
                let st = boot::leak(State::new(&cfg)?)?;
                st.find_irq_stacks();
                start(st, cfg.probes, Specs::All);
                st
            }
        };
        // From early boot, hits on IRQ stacks were only counted off-stack
        // until now (no work items then to find the stacks with).
        st.find_irq_stacks();
        // SAFETY: the state lives for ever.
        let params = unsafe { params::Published::new(st) };
        Ok(StackWatch {
            _params: params,
            _files: files::Files::create(st)?,
        })
    }
}
