// SPDX-License-Identifier: GPL-2.0

//! The set of probes: specs attached or pending (waiting for a module that
//! has their functions), and names that were skipped. Changed at load time,
//! through the `probes` file, and by the module notifiers as modules come
//! up and go away. Process context only, under the state's mutex; the
//! handler never looks at it.

use core::ffi::{c_int, c_void};
use core::fmt::{self, Write};
use core::sync::atomic::Ordering::Relaxed;
use kernel::{prelude::*, str::CString, sync::Arc};

use crate::shim::{detach_all, InitingModule, Module, RawModule, SYM_LEN};
use crate::state::{OwnerTotals, ProbeCounters, State};
use crate::swcore::command::{is_glob, kprobe_spec, ProbeCmd};
use crate::swcore::errno;
use crate::swcore::follow::{self, Disposition};
use crate::swcore::owner;
use crate::swcore::plan::{self, Refusal};
use crate::swcore::trace::{unloaded_frame, MAX_UNLOADED};
use crate::swformat::probes::{write_probes, AttachedProbe};

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

    /// A module is coming up (its COMING notifier is running): pending
    /// symbols among its functions are attached there, and globs (pending or
    /// attached) that match any of its functions are attached again over
    /// every function that matches now, this module's included, its init
    /// text left out (also by a glob attached before this notifier ran, in
    /// which the module could already be seen).
    pub(crate) fn module_coming(&mut self, st: &State, m: &Module<'_>) -> Result {
        // SAFETY: removed from `initing` at the module's LIVE or GOING
        // notification (`module_live`, `module_going`), which every module
        // whose COMING notifiers ran gets before it can be freed.
        let me = unsafe { InitingModule::new(m) };
        self.initing.push(me, GFP_KERNEL)?;
        if !self.attached.iter().any(|a| a.glob || a.probe.is_none()) {
            return Ok(());
        }
        // Which specs the module has functions for: one walk of its symbols.
        let mut wanted = KVec::from_elem(false, self.attached.len(), GFP_KERNEL)?;
        let mut name = KBox::new([0u8; SYM_LEN], GFP_KERNEL)?;
        let specs = &self.attached;
        m.for_each_function(&mut name, |f, _| {
            let candidates = specs
                .iter()
                .map(|a| (a.glob || a.probe.is_none()).then(|| (a.target(), a.glob)));
            !follow::mark(candidates, f, &mut wanted)
        });
        // An attached glob that already covers some of it (attached while
        // the module was forming: perhaps its init text).
        for (w, a) in wanted.iter_mut().zip(self.attached.iter()) {
            *w |= a.glob && a.probe.as_ref().is_some_and(|p| p.in_module(m));
        }
        let mut i = 0;
        while i < self.attached.len() {
            let Some(a) = self.attached.get_mut(i) else {
                break;
            };
            if !wanted.get(i).copied().unwrap_or(false) {
                i = i.saturating_add(1);
                continue;
            }
            let was_pending = a.probe.is_none();
            let initing = &self.initing;
            let r = if a.glob && !was_pending {
                a.reattach_glob(st, initing, None)
            } else if a.glob {
                a.attach(st, None, initing)
            } else {
                // In this module: not one of the same name elsewhere.
                match CString::try_from_fmt(fmt!("{}:{}", m.name(), a.target())) {
                    Ok(name) => a.attach(st, Some(&name), initing),
                    Err(e) => Err(e),
                }
            };
            match r {
                Ok(()) if was_pending => pr_info!(
                    "{}: attached {} {} ({} functions)\n",
                    m.name(),
                    a.mechanism(),
                    a.spec(),
                    a.probe.as_ref().map_or(0, Probe::functions)
                ),
                Ok(()) => {}
                Err(e)
                    if was_pending && follow::on_module(e.to_errno()) == Disposition::Skipped =>
                {
                    pr_warn!(
                        "{}: cannot attach {} ({} {}): skipped\n",
                        m.name(),
                        a.spec(),
                        errno::name(e.to_errno()),
                        e.to_errno()
                    );
                    if let Ok(gone) = self.attached.remove(i) {
                        self.skip(gone.spec(), e.to_errno());
                        let _ = wanted.remove(i);
                        continue;
                    }
                }
                Err(e) => {
                    if e.to_errno() != ENOENT.to_errno() {
                        pr_warn!(
                            "{}: cannot attach {} ({} {})\n",
                            m.name(),
                            a.spec(),
                            errno::name(e.to_errno()),
                            e.to_errno()
                        );
                    }
                }
            }
            i = i.saturating_add(1);
        }
        Ok(())
    }

    /// A module's init has run (its LIVE notifier is running): its init
    /// text is freed after this, and globs attached from now on match none
    /// of it. A glob that covers some of it (attached while the module was
    /// in its init before stackwatch followed modules) is attached again
    /// without it, or pending if that fails: the ops' filter would keep addresses
    /// that no ftrace record has once the text is freed.
    pub(crate) fn module_live(&mut self, st: &State, m: &Module<'_>) {
        let stale =
            |a: &Attachment| a.glob && a.probe.as_ref().is_some_and(|p| p.in_module_init(m));
        if self.attached.iter().any(stale) {
            if !self.initing.iter().any(|i| m.is(*i)) {
                // SAFETY: removed below, before this notifier returns.
                let me = unsafe { InitingModule::new(m) };
                let _ = self.initing.push(me, GFP_KERNEL);
            }
            let mut gone = KVec::new();
            for a in self.attached.iter_mut().filter(|a| stale(a)) {
                let Err(e) = a.reattach_glob(st, &self.initing, None) else {
                    continue;
                };
                pr_warn!(
                    "{}: cannot attach {} again without its init text ({} {}): pending\n",
                    m.name(),
                    a.spec(),
                    errno::name(e.to_errno()),
                    e.to_errno()
                );
                if let Some(p) = a.take_probe(st) {
                    let _ = gone.push(p, GFP_KERNEL);
                }
            }
            detach_all(gone);
        }
        self.forget_initing(m);
    }

    /// A module is going away (its exit, or its failed init, has run; its
    /// code is still in place): symbols attached in it are detached and
    /// pending again, and globs with functions in it are attached again
    /// over every function that matches now (the going module's are left
    /// out), or pending if none does or that fails: no probe keeps an
    /// address of it. Then the slots of its functions are reclaimed, their
    /// statistics folded into `unloaded`.
    pub(crate) fn module_going(&mut self, st: &State, m: &Module<'_>) {
        self.forget_initing(m);
        // Its functions first hit since the last look go to the rows of the
        // attachments that cover them now, before those leave it.
        self.reassign_owners(st);
        let mut gone = KVec::new();
        for a in self.attached.iter_mut() {
            if !a.probe.as_ref().is_some_and(|p| p.in_module(m)) {
                continue;
            }
            if a.glob {
                match a.reattach_glob(st, &self.initing, Some(m)) {
                    Ok(()) => continue,
                    Err(e) if e.to_errno() != ENOENT.to_errno() => {
                        // Not kept: the module's functions must leave the
                        // ops' filter now, while their ftrace records
                        // exist (later, taking them out fails, and with
                        // them the whole batch), and before another module
                        // loaded at their addresses is traced by them.
                        pr_warn!(
                            "{}: cannot attach {} again without it ({} {}): pending\n",
                            m.name(),
                            a.spec(),
                            errno::name(e.to_errno()),
                            e.to_errno()
                        );
                    }
                    Err(_) => {}
                }
            }
            if let Some(p) = a.take_probe(st) {
                pr_info!("{}: {} {} is pending\n", m.name(), a.mechanism(), a.spec());
                // On an allocation failure `p` is dropped: detached alone.
                let _ = gone.push(p, GFP_KERNEL);
            }
        }
        detach_all(gone);
        // No probe of ours is on the module now (those that were are
        // detached, their running handlers waited for), so no handler looks
        // its functions' slots up again.
        let frame = self.unloaded_frame(m.name());
        let attached = &mut self.attached;
        let n = st.reclaim_slots(
            |addr| m.contains(addr),
            frame,
            |owner, totals| {
                if let Some(a) = attached.iter_mut().find(|a| a.counters.id == owner) {
                    a.before.add(&totals);
                }
            },
        );
        if n != 0 {
            pr_info!(
                "{}: {} slots of its functions reclaimed (their counts are in 'unloaded')\n",
                m.name(),
                n
            );
        }
        // Pending now, their probes detached: their slots (after the
        // reclaim, which credits their hits to their owners) are free to
        // claim.
        for a in self.attached.iter().filter(|a| a.probe.is_none()) {
            st.release_owner(a.counters.id);
        }
        self.reassign_owners(st);
    }

    /// Drops `m` from the modules whose init has not finished (`retain`
    /// would bring a bounds-checked swap into the module).
    fn forget_initing(&mut self, m: &Module<'_>) {
        while let Some(k) = self.initing.iter().position(|i| m.is(*i)) {
            if self.initing.remove(k).is_err() {
                break;
            }
        }
    }

    /// The frame that stands for code of the module `name` once it has
    /// gone away (see `trace::UNLOADED`).
    fn unloaded_frame(&mut self, name: &str) -> usize {
        let known = self
            .unloaded
            .iter()
            .position(|n| n.to_bytes() == name.as_bytes());
        let k = match known {
            Some(k) => k,
            None if self.unloaded.len() < MAX_UNLOADED => {
                match CString::try_from_fmt(fmt!("{}", name))
                    .and_then(|n| self.unloaded.push(n, GFP_KERNEL).map_err(Into::into))
                {
                    Ok(()) => self.unloaded.len().saturating_sub(1),
                    Err(_) => MAX_UNLOADED,
                }
            }
            None => MAX_UNLOADED,
        };
        unloaded_frame(k)
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

/// Called by the C shim's module notifiers (process context, no lock held)
/// as a module comes up (`event` 0), goes away (1), or is live (2).
///
/// # Safety
///
/// `cookie` is the `State` the notifiers were registered with, valid until
/// they are unregistered (which waits for this call to return); `module` is
/// the module being reported, valid for the duration of the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn stackwatch_module_event(
    cookie: *mut c_void,
    event: c_int,
    module: *const RawModule,
) {
    if cookie.is_null() {
        return;
    }
    // SAFETY: by this function's contract, `cookie` is the registered
    // `State`, alive and pinned until the notifiers are unregistered, which
    // cannot complete while this call runs.
    let st = unsafe { &*cookie.cast_const().cast::<State>() };
    // SAFETY: by this function's contract, `module` is valid for this call,
    // which the `Module` does not outlive.
    let Some(m) = (unsafe { Module::from_raw(module) }) else {
        return;
    };
    let mut set = st.probes.lock();
    match event {
        0 => {
            if let Err(e) = set.module_coming(st, &m) {
                pr_warn!("{}: not attached to it ({:?})\n", m.name(), e);
            }
        }
        1 => set.module_going(st, &m),
        _ => set.module_live(st, &m),
    }
}
