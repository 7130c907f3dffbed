// SPDX-License-Identifier: GPL-2.0 OR MIT
//! What one write to `probes` does to the set of specs, with its commands
//! applied in the order written: `clear` then `+xfs_*` ends with `xfs_*`
//! attached, `+a` then `-a` with nothing. The write is all-or-nothing, so
//! the module does not apply the commands one by one (undoing a `clear`
//! would mean attaching everything again, which can fail): it checks the
//! whole write against the set first ([`check`]), then attaches the specs
//! the write leaves behind ([`survives`]) aside, and only when all of them
//! are attached detaches the specs the write takes away ([`removes`]).
//! The result equals applying the commands in order.
//!
//! No allocation: each question scans the commands again (a write is at
//! most 4096 bytes, so a few thousand commands at the very most).

use super::command::ProbeCmd;

/// Why a write cannot be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal<'a> {
    /// `+spec` while `spec` is in the set at that point (EEXIST).
    AlreadyThere(&'a str),
    /// `-spec` while `spec` is not in the set at that point (ENOENT).
    NotThere(&'a str),
}

/// True if `c` takes `spec` out of the set.
fn takes_away(c: &ProbeCmd<'_>, spec: &str) -> bool {
    match c {
        ProbeCmd::Clear => true,
        ProbeCmd::Remove(s) => *s == spec,
        ProbeCmd::Add(_) => false,
    }
}

/// Whether `spec` is in the set after the first `k` commands, given whether
/// it was in it before the write.
fn present_after<'a>(
    cmds: impl Iterator<Item = ProbeCmd<'a>>,
    k: usize,
    spec: &str,
    before: bool,
) -> bool {
    cmds.take(k).fold(before, |present, c| match c {
        ProbeCmd::Add(s) if s == spec => true,
        c if takes_away(&c, spec) => false,
        _ => present,
    })
}

/// Checks every command against the set as the commands before it leave
/// it; `in_set(spec)` tells whether `spec` is in the set before the write.
pub fn check<'a, I, F>(cmds: I, in_set: F) -> Result<(), Refusal<'a>>
where
    I: Iterator<Item = ProbeCmd<'a>> + Clone,
    F: Fn(&str) -> bool,
{
    for (k, c) in cmds.clone().enumerate() {
        match c {
            ProbeCmd::Add(s) if present_after(cmds.clone(), k, s, in_set(s)) => {
                return Err(Refusal::AlreadyThere(s));
            }
            ProbeCmd::Remove(s) if !present_after(cmds.clone(), k, s, in_set(s)) => {
                return Err(Refusal::NotThere(s));
            }
            _ => {}
        }
    }
    Ok(())
}

/// True if command `k` is an `Add` whose spec is still there after the
/// whole write (no later `-spec` or `clear`): a new attachment.
pub fn survives<'a>(cmds: impl Iterator<Item = ProbeCmd<'a>> + Clone, k: usize) -> bool {
    let Some(ProbeCmd::Add(spec)) = cmds.clone().nth(k) else {
        return false;
    };
    !cmds.skip(k).skip(1).any(|c| takes_away(&c, spec))
}

/// True if the write takes `spec`, in the set before it, away (it may add
/// it again: then as a new attachment, see [`survives`]).
pub fn removes<'a>(mut cmds: impl Iterator<Item = ProbeCmd<'a>>, spec: &str) -> bool {
    cmds.any(|c| takes_away(&c, spec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::vec::Vec;

    fn cmds<'a, 'v>(v: &'v [ProbeCmd<'a>]) -> impl Iterator<Item = ProbeCmd<'a>> + Clone + 'v {
        v.iter().copied()
    }

    /// The model: the commands applied one by one, in order, to a set;
    /// the first refused command leaves the set as it was.
    fn in_order(
        before: &BTreeSet<&'static str>,
        v: &[ProbeCmd<'static>],
    ) -> Result<BTreeSet<&'static str>, Refusal<'static>> {
        let mut set = before.clone();
        for c in v {
            match *c {
                ProbeCmd::Add(s) if !set.insert(s) => return Err(Refusal::AlreadyThere(s)),
                ProbeCmd::Remove(s) if !set.remove(s) => return Err(Refusal::NotThere(s)),
                ProbeCmd::Clear => set.clear(),
                _ => {}
            }
        }
        Ok(set)
    }

    /// What the module does with the plan: keep what the write does not
    /// take away, add what it leaves attached.
    fn planned(
        before: &BTreeSet<&'static str>,
        v: &[ProbeCmd<'static>],
    ) -> Result<BTreeSet<&'static str>, Refusal<'static>> {
        check(cmds(v), |s| before.contains(s))?;
        let mut set: BTreeSet<_> = before
            .iter()
            .copied()
            .filter(|s| !removes(cmds(v), s))
            .collect();
        for (k, c) in v.iter().enumerate() {
            if let ProbeCmd::Add(s) = c {
                if survives(cmds(v), k) {
                    assert!(set.insert(s), "{s} attached twice");
                }
            }
        }
        Ok(set)
    }

    #[test]
    fn clear_then_add_ends_attached() {
        let before = BTreeSet::from(["xfs_*", "submit_bio"]);
        let v = [ProbeCmd::Clear, ProbeCmd::Add("xfs_*")];
        assert_eq!(planned(&before, &v), Ok(BTreeSet::from(["xfs_*"])));
        assert!(removes(cmds(&v), "xfs_*") && survives(cmds(&v), 1));
        let v = [ProbeCmd::Add("a"), ProbeCmd::Remove("a")];
        assert_eq!(planned(&before, &v), Ok(before.clone()));
        assert!(!survives(cmds(&v), 0));
        let v = [ProbeCmd::Remove("submit_bio"), ProbeCmd::Add("submit_bio")];
        assert_eq!(planned(&before, &v), Ok(before.clone()));
        let v = [ProbeCmd::Add("a"), ProbeCmd::Add("a")];
        assert_eq!(planned(&before, &v), Err(Refusal::AlreadyThere("a")));
        let v = [ProbeCmd::Clear, ProbeCmd::Remove("xfs_*")];
        assert_eq!(planned(&before, &v), Err(Refusal::NotThere("xfs_*")));
    }

    /// Every sequence of up to 5 commands over 3 specs, from every start
    /// set: the plan gives what applying in order gives, refusals included.
    #[test]
    fn plan_equals_applying_in_order() {
        let specs = ["a", "b*", "c"];
        let mut all = Vec::new();
        for s in specs {
            all.push(ProbeCmd::Add(s));
            all.push(ProbeCmd::Remove(s));
        }
        all.push(ProbeCmd::Clear);
        let mut runs = 0;
        for start in 0..(1u32 << specs.len()) {
            let before: BTreeSet<_> = specs
                .iter()
                .enumerate()
                .filter(|(i, _)| start & (1 << i) != 0)
                .map(|(_, s)| *s)
                .collect();
            for len in 1..=5u32 {
                for mut code in 0..(all.len() as u32).pow(len) {
                    let mut v = Vec::new();
                    for _ in 0..len {
                        v.push(all[(code % all.len() as u32) as usize]);
                        code /= all.len() as u32;
                    }
                    assert_eq!(
                        planned(&before, &v),
                        in_order(&before, &v),
                        "{before:?} {v:?}"
                    );
                    runs += 1;
                }
            }
        }
        assert!(runs > 100_000);
    }
}
