// SPDX-License-Identifier: GPL-2.0

//! Following modules: the probe set's answers to the module notifiers, as a
//! module comes up (pending specs attach in it, globs take it in), becomes
//! live (its init text leaves every glob) and goes away (its functions leave
//! every probe while their ftrace records exist, its slots are reclaimed).

use core::ffi::{c_int, c_void};
use kernel::{prelude::*, str::CString};

use super::{Attachment, Probe, ProbeSet};
use crate::shim::{detach_all, InitingModule, Module, RawModule, SYM_LEN};
use crate::state::State;
use crate::swcore::errno;
use crate::swcore::follow::{self, Disposition};
use crate::swcore::trace::{unloaded_frame, MAX_UNLOADED};

impl ProbeSet {
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
