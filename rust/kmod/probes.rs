// SPDX-License-Identifier: GPL-2.0

//! The set of probes: specs attached or pending (waiting for a module that
//! has their functions), and names that were skipped. Changed at load time,
//! through the `probes` file, and by the module notifiers as modules come
//! up and go away. Process context only, under the state's mutex; the
//! handler never looks at it. How the set follows modules is in
//! `probes/following.rs`.

use core::fmt::{self, Write};
use core::sync::atomic::Ordering::Relaxed;
use kernel::{prelude::*, str::CString, sync::Arc};

use crate::shim::{detach_all, InitingModule, Module};
use crate::state::{OwnerTotals, ProbeCounters, State};
use crate::swcore::command::{is_glob, kprobe_spec, ProbeCmd};
use crate::swcore::errno;
use crate::swcore::follow::{self, Disposition};
use crate::swcore::owner;
use crate::swcore::plan::{self, Refusal};
use crate::swformat::probes::{write_probes, AttachedProbe};

// The module notifiers' side of the set.
mod following;

/// A probe whose hits the handler counts in its `ProbeCounters`.
type Probe = crate::shim::Probe<ProbeCounters>;

/// Names kept for the `skipped` list, at most.
const MAX_SKIPPED: usize = 64;

/// One spec (a symbol or a glob): attached, or pending while none of its
/// functions is in the kernel (`probe` is `None`).
pub(crate) struct Attachment {
    spec: CString,
    glob: bool,
    /// `kprobe:name`: a kprobe whatever the function is.
    kprobe_only: bool,
    /// Address of the kprobe (0 for an ftrace attachment or while pending),
    /// marked in the state's slots.
    kaddr: usize,
    /// The probe keeps its own share of `counters` until it is detached.
    probe: Option<Probe>,
    /// Misses of the probes this spec had before its current one (it is
    /// re-attached as modules come and go).
    missed_before: u64,
    /// What it counted in slots it owned that were reclaimed since (of
    /// modules that went away): its counts are across the loads it followed.
    before: OwnerTotals,
    counters: Arc<ProbeCounters>,
}

impl Attachment {
    fn spec(&self) -> &str {
        self.spec.to_str().unwrap_or("?")
    }

    fn missed(&self) -> u64 {
        let now = self.probe.as_ref().map_or(0, Probe::missed);
        self.missed_before.saturating_add(now)
    }

    /// `ftrace` (the ftrace ops) or `kprobe`; for a pending spec, what it
    /// asks for.
    fn mechanism(&self) -> &'static str {
        match &self.probe {
            Some(p) if p.is_ftrace() => "ftrace",
            Some(_) => "kprobe",
            None if self.kprobe_only => "kprobe",
            None => "ftrace",
        }
    }

    /// The symbol or glob, without a `kprobe:` prefix.
    fn target(&self) -> &str {
        kprobe_spec(self.spec()).1
    }

    /// Attaches the probe of a pending spec: the symbol (as `qualified`,
    /// `module:name`, if given), or the glob over every function that
    /// matches now, none in the init text of the modules in `initing`.
    fn attach(
        &mut self,
        st: &State,
        qualified: Option<&CStr>,
        initing: &[InitingModule],
    ) -> Result {
        if self.probe.is_some() {
            return Err(EEXIST);
        }
        // A kprobe caches its function's slot, which may have moved with its
        // module; no handler runs for this spec while it has no probe.
        self.counters.slot.store(0, Relaxed);
        let probe = match qualified {
            Some(name) => self.attach_new(name, initing, None)?,
            None => {
                let name = CString::try_from_fmt(fmt!("{}", self.target()))?;
                self.attach_new(&name, initing, None)?
            }
        };
        self.kaddr = probe.addr();
        if self.kaddr != 0 {
            st.mark_kprobe(self.kaddr, true);
        }
        if probe.is_ftrace() {
            st.assign_owner(self.counters.id, probe.keys());
        }
        self.probe = Some(probe);
        Ok(())
    }

    /// A new probe for this spec over `name`.
    fn attach_new(
        &self,
        name: &CStr,
        initing: &[InitingModule],
        going: Option<&Module<'_>>,
    ) -> Result<Probe> {
        Probe::attach(
            name,
            self.glob,
            self.kprobe_only,
            self.counters.clone(),
            initing,
            going,
        )
    }

    /// Takes the probe off the spec (now pending) without detaching it.
    fn take_probe(&mut self, st: &State) -> Option<Probe> {
        if self.kaddr != 0 {
            st.mark_kprobe(self.kaddr, false);
            self.kaddr = 0;
        }
        let p = self.probe.take()?;
        self.missed_before = self.missed_before.saturating_add(p.missed());
        Some(p)
    }

    /// Replaces an attached glob's share of the ftrace ops by one over the
    /// functions that match now (none of `going`), without a moment in which
    /// a function both cover is unwatched: the new share is added before
    /// the old one goes, and the ops counts a call once whatever shares
    /// cover it. On an error the old share stays.
    fn reattach_glob(
        &mut self,
        st: &State,
        initing: &[InitingModule],
        going: Option<&Module<'_>>,
    ) -> Result {
        let new = self.attach_new(&self.spec, initing, going)?;
        st.assign_owner(self.counters.id, new.keys());
        if let Some(old) = self.probe.replace(new) {
            self.missed_before = self.missed_before.saturating_add(old.missed());
            drop(old);
        }
        Ok(())
    }
}

/// A name that could not be attached, with its errno.
pub(crate) struct Skipped {
    name: CString,
    errno: i32,
}

/// Attached probes and skipped names.
pub(crate) struct ProbeSet {
    attached: KVec<Attachment>,
    skipped: KVec<Skipped>,
    /// Id of the next attachment (ids are never reused, so a slot's owner
    /// never names a later attachment by accident).
    next_id: u64,
    /// Modules whose COMING notifier has run and whose LIVE or GOING one has
    /// not: every glob attached leaves out their init text, which is freed
    /// once they are live (the ops' filter would keep their addresses).
    initing: KVec<InitingModule>,
    /// Names of modules that went away, as chains' frames in their code
    /// name them (`trace::unloaded_frame`): each once, at most
    /// `MAX_UNLOADED`, never changed (a frame keeps its name).
    unloaded: KVec<CString>,
}

impl ProbeSet {
    pub(crate) fn new() -> Self {
        ProbeSet {
            attached: KVec::new(),
            skipped: KVec::new(),
            next_id: 1,
            initing: KVec::new(),
            unloaded: KVec::new(),
        }
    }

    fn position(&self, spec: &str) -> Option<usize> {
        self.attached
            .iter()
            .position(|a| a.spec.to_bytes() == spec.as_bytes())
    }

    /// A new pending entry for `spec`, with counters of its own.
    #[inline(never)]
    fn entry(&mut self, spec: &str) -> Result<Attachment> {
        let glob = is_glob(spec);
        let (kprobe_only, _) = kprobe_spec(spec);
        let spec = CString::try_from_fmt(fmt!("{}", spec))?;
        let id = owner::id(self.next_id, !kprobe_only);
        if id == 0 {
            return Err(ENOSPC);
        }
        let counters = Arc::new(ProbeCounters::new(id), GFP_KERNEL)?;
        self.next_id = self.next_id.saturating_add(1);
        Ok(Attachment {
            spec,
            glob,
            kprobe_only,
            kaddr: 0,
            probe: None,
            missed_before: 0,
            before: OwnerTotals::default(),
            counters,
        })
    }

    /// Attaches `spec`, or keeps it as pending if its functions are not in
    /// the kernel (ENOENT; that error is returned). EEXIST if it is in the
    /// set already.
    fn add_entry(&mut self, st: &State, spec: &str) -> Result {
        if self.position(spec).is_some() {
            return Err(EEXIST);
        }
        self.push_entry(spec)?;
        // Attached in place, in the set's memory: the entry is not on the
        // stack while its probe attaches (the deepest point of a load).
        let attached = match self.attached.last_mut() {
            Some(a) => a.attach(st, None, &self.initing),
            None => Err(EINVAL),
        };
        match attached {
            Ok(()) => Ok(()),
            Err(e) if follow::at_load(e.to_errno()) == Disposition::Pending => Err(e),
            Err(e) => {
                // Never attached: nothing to detach as it drops.
                drop(self.attached.pop());
                Err(e)
            }
        }
    }

    /// Appends a new pending entry for `spec`.
    #[inline(never)]
    fn push_entry(&mut self, spec: &str) -> Result {
        let a = self.entry(spec)?;
        self.attached.push(a, GFP_KERNEL)?;
        Ok(())
    }

    /// Attaches `spec` at load time (never fatal): if its functions are not
    /// in the kernel it is kept as pending (perhaps its module is not loaded
    /// yet), on any other error recorded as skipped.
    pub(crate) fn add_or_pend(&mut self, st: &State, spec: &str) {
        if let Err(e) = self.add_entry(st, spec) {
            if follow::at_load(e.to_errno()) == Disposition::Skipped
                || self.position(spec).is_none()
            {
                self.skip(spec, e.to_errno());
            }
        }
    }

    /// Lists `spec` as skipped with `errno`.
    #[cold]
    #[inline(never)]
    fn skip(&mut self, spec: &str, errno: i32) {
        if self.skipped.len() < MAX_SKIPPED {
            if let Ok(name) = CString::try_from_fmt(fmt!("{}", spec)) {
                let _ = self.skipped.push(Skipped { name, errno }, GFP_KERNEL);
            }
        }
    }

    /// Detaches everything (pending specs just go), with one grace period
    /// for all kprobes; never fails (see [`ProbeSet::detach_entries`]).
    pub(crate) fn clear(&mut self, st: &State) {
        let gone = core::mem::replace(&mut self.attached, KVec::new());
        Self::detach_entries(st, gone);
    }

    /// Gives the functions that have no owner (first hit since the last
    /// look, or whose owner went or kprobe left) to the ftrace attachments
    /// that cover them, first attached first. Process context.
    fn reassign_owners(&self, st: &State) {
        for a in self.attached.iter() {
            if let Some(p) = a.probe.as_ref().filter(|p| p.is_ftrace()) {
                st.assign_owner(a.counters.id, p.keys());
            }
        }
    }

    /// Detaches the probes of `gone` (taken out of the set) with one grace
    /// period for all their kprobes, or one by one if the batch cannot be
    /// allocated, then frees the entries (each probe holds its counters until
    /// it is detached, so none goes while a handler can use it). First
    /// their hits stop counting and, once the handlers already past that
    /// check have returned (a grace period), the slots they owned are
    /// released for the probes left on those functions to claim: calls in
    /// that grace period go uncounted, none twice, and none for as long as
    /// ftrace takes to unpatch the functions.
    fn detach_entries(st: &State, mut gone: KVec<Attachment>) {
        if gone.iter().any(|a| a.probe.is_some()) {
            for a in gone.iter() {
                a.counters.retired.store(true, Relaxed);
            }
            crate::shim::wait_for_handlers();
        }
        for a in gone.iter() {
            st.release_owner(a.counters.id);
        }
        match KVec::with_capacity(gone.len(), GFP_KERNEL) {
            Ok(mut batch) => {
                for a in gone.iter_mut() {
                    if let Some(p) = a.take_probe(st) {
                        // Within the capacity: cannot fail; if it did, the
                        // probe would be detached alone as it drops here.
                        let _ = batch.push_within_capacity(p);
                    }
                }
                detach_all(batch);
            }
            Err(_) => {
                pr_err!("detaching probes in a batch failed; detaching one by one\n");
                for a in gone.iter_mut() {
                    drop(a.take_probe(st));
                }
            }
        }
        drop(gone);
    }

    /// Applies a checked write's commands as if one by one in the order
    /// written (`clear` then `+xfs_*` ends with `xfs_*` attached), and all
    /// or nothing: the write is checked against the set first, the specs it
    /// leaves behind are attached aside, and only when every one of them is
    /// attached are the specs it takes away detached (see `plan.rs`). On a
    /// failure nothing changes, and the bad value is named.
    pub(crate) fn apply<'a>(
        &mut self,
        st: &State,
        cmds: impl Iterator<Item = ProbeCmd<'a>> + Clone,
    ) -> Result {
        plan::check(cmds.clone(), |s| self.position(s).is_some()).map_err(|r| match r {
            Refusal::AlreadyThere(s) => {
                pr_warn!("probes: '{}' is attached or pending already (EEXIST)\n", s);
                EEXIST
            }
            Refusal::NotThere(s) => {
                pr_warn!("probes: '{}' is not attached (ENOENT)\n", s);
                ENOENT
            }
        })?;
        let nnew = (0..cmds.clone().count())
            .filter(|k| plan::survives(cmds.clone(), *k))
            .count();
        // Everything allocated before anything is attached or detached.
        let mut new = KVec::with_capacity(nnew, GFP_KERNEL)?;
        let mut gone = KVec::with_capacity(self.attached.len(), GFP_KERNEL)?;
        self.attached.reserve(nnew, GFP_KERNEL)?;
        for (k, c) in cmds.clone().enumerate() {
            let ProbeCmd::Add(spec) = c else {
                continue;
            };
            if !plan::survives(cmds.clone(), k) {
                continue;
            }
            let attached = self.entry(spec).and_then(|mut a| {
                a.attach(st, None, &self.initing)?;
                Ok(a)
            });
            match attached {
                // Within the capacity: cannot fail; if it did, the probe
                // would be detached as it drops here.
                Ok(a) => drop(new.push_within_capacity(a)),
                Err(e) => {
                    pr_warn!(
                        "probes: cannot attach '{}' ({} {})\n",
                        spec,
                        errno::name(e.to_errno()),
                        e.to_errno()
                    );
                    Self::detach_entries(st, new);
                    return Err(e);
                }
            }
        }
        let mut i = 0;
        while let Some(a) = self.attached.get(i) {
            if !plan::removes(cmds.clone(), a.spec()) {
                i = i.saturating_add(1);
                continue;
            }
            match self.attached.remove(i) {
                // Within the capacity, as above.
                Ok(a) => drop(gone.push_within_capacity(a)),
                Err(_) => break,
            }
        }
        Self::detach_entries(st, gone);
        for a in new.drain_all() {
            // Within the capacity reserved above, as above.
            drop(self.attached.push_within_capacity(a));
        }
        self.reassign_owners(st);
        Ok(())
    }

    /// The `probes` file.
    pub(crate) fn write_report(&self, st: &State, w: &mut dyn Write) -> fmt::Result {
        // Functions first hit since the last look go to their attachment.
        self.reassign_owners(st);
        let attached = self.attached.iter().filter_map(|a| {
            let p = a.probe.as_ref()?;
            let mut t = st.totals_of(a.counters.id);
            t.add(&a.before);
            Some(AttachedProbe {
                spec: a.spec(),
                mechanism: a.mechanism(),
                functions: p.functions(),
                hits: t.hits,
                off_stack: t.off_stack,
                missed: a.missed().saturating_add(t.missed),
            })
        });
        let pending = self
            .attached
            .iter()
            .filter(|a| a.probe.is_none())
            .map(|a| (a.spec(), a.mechanism()));
        let skipped = self
            .skipped
            .iter()
            .map(|s| (s.name.to_str().unwrap_or("?"), s.errno));
        write_probes(w, attached, pending, skipped)
    }

    /// The name of unloaded module `k` of a chain's frame (see
    /// `trace::unloaded_module`), if kept.
    pub(crate) fn unloaded_name(&self, k: usize) -> Option<&str> {
        self.unloaded.get(k).and_then(|n| n.to_str().ok())
    }

    /// Number of attached specs, the functions they cover, and the number
    /// of pending specs.
    pub(crate) fn totals(&self) -> (usize, u64, usize) {
        let f = self
            .attached
            .iter()
            .filter_map(|a| a.probe.as_ref())
            .map(|p| p.functions())
            .sum();
        let attached = self.attached.iter().filter(|a| a.probe.is_some()).count();
        (attached, f, self.attached.len().saturating_sub(attached))
    }
}
