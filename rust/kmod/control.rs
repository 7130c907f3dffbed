// SPDX-License-Identifier: GPL-2.0

//! The controls (`probes`, `threshold`, `budgets`, `enabled`, `reset`): how
//! a write to one is checked and applied, and what reading one shows. One
//! code path for both ways in, the debugfs files (`files.rs`) and the module
//! parameters (`params.rs`): the same all-or-nothing rules, errnos and
//! messages.

use core::fmt;
use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::*;

use crate::state::State;
use crate::swcore::{
    command::{check_probe_write, lines, parse_probe_line, InputError, InputErrorKind, MAX_WRITE},
    errno,
    settings::{Control, WriteError},
};
use crate::swformat::{budgets, value};

/// One control.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ctl {
    Probes,
    Setting(Control),
}

impl Ctl {
    /// Every control, in the order of the C shim's `enum sw_ctl`.
    const ALL: [Ctl; 5] = [
        Ctl::Probes,
        Ctl::Setting(Control::Threshold),
        Ctl::Setting(Control::Budgets),
        Ctl::Setting(Control::Enabled),
        Ctl::Setting(Control::Reset),
    ];

    /// The control the C shim's `SW_CTL_*` value `n` names.
    pub(crate) fn from_index(n: usize) -> Option<Ctl> {
        Ctl::ALL.get(n).copied()
    }

    /// Its file's and parameter's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Ctl::Probes => "probes",
            Ctl::Setting(c) => c.name(),
        }
    }

    /// Checks the whole write `bytes` and applies it, or changes nothing
    /// and says what was wrong (errno, and a message naming the value).
    pub(crate) fn store(self, st: &State, bytes: &[u8]) -> Result {
        let text = text(bytes, self.name())?;
        match self {
            Ctl::Probes => store_probes(st, text),
            Ctl::Setting(c) => store_setting(st, text, c),
        }
    }

    /// Writes what reading it shows; `None` for a write-only control.
    pub(crate) fn show(self, st: &State, f: &mut dyn fmt::Write) -> Option<fmt::Result> {
        Some(match self {
            Ctl::Probes => st.probes.lock().write_report(st, f),
            Ctl::Setting(Control::Threshold) => value::write_number(f, st.threshold.load(Relaxed)),
            Ctl::Setting(Control::Budgets) => {
                budgets::write_budgets(f, &st.header(), &st.global_snapshot())
            }
            Ctl::Setting(Control::Enabled) => value::write_bool(f, st.enabled.load(Relaxed)),
            Ctl::Setting(Control::Reset) => return None,
        })
    }
}

/// Refuses a write longer than MAX_WRITE bytes (one write is one command
/// batch, applied all or nothing).
pub(crate) fn check_len(name: &str, len: usize) -> Result {
    if len > MAX_WRITE {
        pr_warn!(
            "{}: write of {} bytes is larger than {} (E2BIG)\n",
            name,
            len,
            MAX_WRITE
        );
        return Err(E2BIG);
    }
    Ok(())
}

/// One whole write as text: at most MAX_WRITE bytes of UTF-8.
fn text<'b>(bytes: &'b [u8], name: &str) -> Result<&'b str> {
    check_len(name, bytes.len())?;
    core::str::from_utf8(bytes).map_err(|_| {
        pr_warn!("{}: input is not UTF-8 text (EINVAL)\n", name);
        EINVAL
    })
}

/// Maps a parse error to its errno and says what was wrong.
fn reject(name: &str, e: InputError<'_>) -> Error {
    let errno = match e.kind {
        InputErrorKind::Invalid => EINVAL,
        InputErrorKind::TooLong => E2BIG,
        InputErrorKind::Range => ERANGE,
    };
    pr_warn!(
        "{}: {}: '{}' ({})\n",
        name,
        e.why,
        e.token_short(),
        errno::name(errno.to_errno())
    );
    errno
}

/// A `probes` write: every line checked first, then applied all or nothing.
fn store_probes(st: &State, text: &str) -> Result {
    check_probe_write(text).map_err(|e| reject("probes", e))?;
    let cmds = lines(text).filter_map(|l| parse_probe_line(l).ok().flatten());
    st.probes.lock().apply(st, cmds)
}

/// A settings write: checked as `swcore::settings` says, then applied with
/// its side effects (`State::apply`).
fn store_setting(st: &State, text: &str, c: Control) -> Result {
    let change = c
        .parse(text, crate::settings::limits())
        .map_err(|e| match e {
            WriteError::Input(e) => reject(c.name(), e),
            WriteError::Threshold(t) => {
                let errno = crate::settings::threshold_errno(t);
                pr_warn!(
                    "{}: {} ({})\n",
                    c.name(),
                    format_args!("{t}"),
                    errno::name(errno.to_errno())
                );
                errno
            }
        })?;
    if let Some(change) = change {
        st.apply(change);
    }
    Ok(())
}
