// SPDX-License-Identifier: GPL-2.0

//! The set of attached probes and of names that were skipped, changed at
//! load time and through the `probes` file. Process context only, under the
//! state's mutex; the handler never looks at it.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use kernel::{prelude::*, str::CString};

use crate::shim::{detach_all, Probe};
use crate::state::{ProbeCounters, State};
use crate::swcore::command::{is_glob, ProbeCmd};

/// Names kept for the `skipped` list, at most.
const MAX_SKIPPED: usize = 64;

/// One attached spec (a symbol or a glob).
pub(crate) struct Attachment {
    spec: CString,
    glob: bool,
    /// Address of the kprobe (0 for an fprobe), marked in the state's slots.
    kaddr: usize,
    // Dropped (detached) before `counters`, which the probe's cookie points to.
    probe: Option<Probe>,
    counters: KBox<ProbeCounters>,
}

impl Drop for Attachment {
    fn drop(&mut self) {
        // Detach first: the handler may use `counters` until this returns.
        drop(self.probe.take());
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
}

fn errno_name(e: i32) -> &'static str {
    match -e {
        2 => "ENOENT",
        12 => "ENOMEM",
        16 => "EBUSY",
        17 => "EEXIST",
        22 => "EINVAL",
        95 => "EOPNOTSUPP",
        _ => "E?",
    }
}

impl ProbeSet {
    pub(crate) fn new() -> Self {
        ProbeSet {
            attached: KVec::new(),
            skipped: KVec::new(),
            next_id: 1,
        }
    }

    fn position(&self, spec: &str) -> Option<usize> {
        self.attached
            .iter()
            .position(|a| a.spec.to_bytes() == spec.as_bytes())
    }

    /// Attaches `spec` (a symbol, or a glob through fprobe).
    pub(crate) fn add(&mut self, st: &State, spec: &str) -> Result {
        if self.position(spec).is_some() {
            return Err(EEXIST);
        }
        let cs = CString::try_from_fmt(fmt!("{}", spec))?;
        let counters = KBox::new(
            ProbeCounters {
                id: self.next_id,
                glob: is_glob(spec),
                slot: AtomicUsize::new(0),
                off_stack: AtomicU64::new(0),
            },
            GFP_KERNEL,
        )?;
        self.next_id = self.next_id.saturating_add(1);
        self.attached.reserve(1, GFP_KERNEL)?;
        let glob = is_glob(spec);
        let cookie: *const ProbeCounters = &*counters;
        let probe = Probe::attach(&cs, glob, cookie.cast())?;
        let kaddr = probe.addr();
        if kaddr != 0 {
            st.mark_kprobe(kaddr, true);
        }
        self.attached.push(
            Attachment {
                spec: cs,
                glob,
                kaddr,
                probe: Some(probe),
                counters,
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }

    /// Detaches `spec`; ENOENT if it is not attached.
    pub(crate) fn remove(&mut self, st: &State, spec: &str) -> Result {
        let i = self.position(spec).ok_or(ENOENT)?;
        let a = self.attached.remove(i).map_err(|_| EINVAL)?;
        if a.kaddr != 0 {
            st.mark_kprobe(a.kaddr, false);
        }
        drop(a);
        Ok(())
    }

    /// Attaches `spec` or records it as skipped (load time: never fatal).
    pub(crate) fn add_or_skip(&mut self, st: &State, spec: &str) {
        if let Err(e) = self.add(st, spec) {
            if self.skipped.len() < MAX_SKIPPED {
                if let Ok(name) = CString::try_from_fmt(fmt!("{}", spec)) {
                    let _ = self.skipped.push(
                        Skipped {
                            name,
                            errno: e.to_errno(),
                        },
                        GFP_KERNEL,
                    );
                }
            }
        }
    }

    /// Detaches everything, with one grace period for all kprobes.
    pub(crate) fn clear(&mut self, st: &State) -> Result {
        let mut probes = KVec::with_capacity(self.attached.len(), GFP_KERNEL)?;
        for a in self.attached.iter_mut() {
            if a.kaddr != 0 {
                st.mark_kprobe(a.kaddr, false);
                a.kaddr = 0;
            }
            if let Some(p) = a.probe.take() {
                probes.push(p, GFP_KERNEL)?;
            }
        }
        detach_all(probes)?;
        self.attached.clear();
        Ok(())
    }

    /// Applies checked commands in order; on a failure, undoes the adds this
    /// write made so a bad write changes nothing, and names the bad value.
    /// Removals are checked before anything is added.
    pub(crate) fn apply<'a>(
        &mut self,
        st: &State,
        cmds: impl Iterator<Item = ProbeCmd<'a>> + Clone,
    ) -> Result {
        for c in cmds.clone() {
            if let ProbeCmd::Remove(spec) = c {
                if self.position(spec).is_none() {
                    pr_warn!("probes: '{}' is not attached (ENOENT)\n", spec);
                    return Err(ENOENT);
                }
            }
        }
        let mut added: KVec<&str> = KVec::new();
        for c in cmds.clone() {
            if let ProbeCmd::Add(spec) = c {
                if let Err(e) = self
                    .add(st, spec)
                    .and_then(|()| added.push(spec, GFP_KERNEL).map_err(Into::into))
                {
                    pr_warn!(
                        "stackwatch: probes: cannot attach '{}' ({} {})\n",
                        spec,
                        errno_name(e.to_errno()),
                        e.to_errno()
                    );
                    for s in added.iter() {
                        let _ = self.remove(st, s);
                    }
                    return Err(e);
                }
            }
        }
        for c in cmds {
            match c {
                ProbeCmd::Remove(spec) => self.remove(st, spec)?,
                ProbeCmd::Clear => self.clear(st)?,
                ProbeCmd::Add(_) => {}
            }
        }
        Ok(())
    }

    /// The `probes` file.
    pub(crate) fn write_report(&self, st: &State, w: &mut dyn Write) -> fmt::Result {
        writeln!(w, "# state spec mechanism functions hits off_stack missed")?;
        for a in self.attached.iter() {
            let (functions, missed) = a
                .probe
                .as_ref()
                .map_or((0, 0), |p| (p.functions(), p.missed()));
            writeln!(
                w,
                "attached {} {} {} {} {} {}",
                a.spec.to_str().unwrap_or("?"),
                if a.glob { "fprobe" } else { "kprobe" },
                functions,
                st.hits_of(a.counters.id),
                a.counters.off_stack.load(Relaxed),
                missed
            )?;
        }
        writeln!(w, "# state name errno")?;
        for s in self.skipped.iter() {
            writeln!(
                w,
                "skipped {} {} {}",
                s.name.to_str().unwrap_or("?"),
                errno_name(s.errno),
                s.errno
            )?;
        }
        Ok(())
    }

    /// Number of attached specs and functions they cover.
    pub(crate) fn totals(&self) -> (usize, u64) {
        let f = self
            .attached
            .iter()
            .filter_map(|a| a.probe.as_ref())
            .map(|p| p.functions())
            .sum();
        (self.attached.len(), f)
    }
}
