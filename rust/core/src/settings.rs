// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The settings a user can change, checked once whatever the way in: the
//! module parameters at load (or on the kernel command line), and writes to
//! the control files `threshold`, `budgets`, `enabled` and `reset`. The
//! module applies what passes, with its side effects (`rust/kmod/settings.rs`);
//! here is only what decides whether a value is good, tested on the host.

use core::fmt;

use super::budget_sizes::MAX_BUDGETS;
use super::command::{check_name, parse_bool, parse_budgets, parse_number, split_list, InputError};

/// What the running kernel allows the settings to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The stack size: the largest threshold and budget.
    pub thread_size: usize,
    /// The least threshold other than 0 (off) that can ever warn: the
    /// probe handler prints a warning only with at least `min_threshold - 1`
    /// bytes left (the stack the warning itself takes, measured per
    /// architecture), and only below the threshold.
    pub min_threshold: usize,
}

/// Why a threshold was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdError {
    /// Above the stack size (ERANGE).
    AboveStack { value: u64, thread_size: usize },
    /// Not 0 and below [`Limits::min_threshold`]: it could never warn
    /// (EINVAL).
    CannotWarn { value: u64, least: usize },
}

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ThresholdError::AboveStack { value, thread_size } => {
                write!(f, "{value} is larger than THREAD_SIZE {thread_size}")
            }
            ThresholdError::CannotWarn { value, least } => write!(
                f,
                "{value} is below {least}, the least threshold that can warn (a warning needs {} bytes of stack left; 0 turns warnings off)",
                least.saturating_sub(1)
            ),
        }
    }
}

/// The one rule for a threshold, whatever the way in: 0 (off), or a number
/// of bytes that can warn, up to the stack size.
pub fn check_threshold(value: u64, limits: Limits) -> Result<usize, ThresholdError> {
    if value > limits.thread_size as u64 {
        return Err(ThresholdError::AboveStack {
            value,
            thread_size: limits.thread_size,
        });
    }
    if value != 0 && value < limits.min_threshold as u64 {
        return Err(ThresholdError::CannotWarn {
            value,
            least: limits.min_threshold,
        });
    }
    Ok(value as usize)
}

/// Fewest and most function slots (`max_functions`).
pub const SLOTS: core::ops::RangeInclusive<usize> = 16..=(1 << 16);

/// The module parameters as given, before they are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params<'a> {
    /// `threshold`: warn when fewer than this many bytes remain (0: off).
    pub threshold: u64,
    /// `max_functions`: function slots wanted.
    pub max_functions: u32,
    /// `warn_interval_ms`: at most one warning per this many ms (0: no limit).
    pub warn_interval_ms: u32,
    /// `enabled`: count from load.
    pub enabled: bool,
    /// `budgets`: the what-if budgets, as `budgets` takes them.
    pub budgets: &'a str,
    /// `probes`: names and globs to attach, `default` for the default set.
    pub probes: &'a str,
}

/// The checked settings the module starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings<'a> {
    /// Function slots: a power of two in [`SLOTS`], so the index masks
    /// instead of dividing.
    pub nslots: usize,
    /// Warn when fewer than this many bytes remain (0: off); at most the
    /// stack size, and at least what can warn ([`check_threshold`]).
    pub threshold: usize,
    /// At most one threshold warning per this many ms (0: no limit).
    pub warn_interval_ms: u32,
    /// Count from load.
    pub enabled: bool,
    /// What-if budgets in bytes, unused entries 0.
    pub budgets: [usize; MAX_BUDGETS],
    /// Names and globs to attach (checked; `default` stands for the default set).
    pub probes: &'a str,
}

/// Why a module parameter was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamError<'a> {
    /// `threshold` is refused (its errno: see [`ThresholdError`]).
    Threshold(ThresholdError),
    /// `budgets` is not a budget list (the error says why).
    Budgets(InputError<'a>),
    /// A name in `probes` is not a symbol name or glob.
    Probes(InputError<'a>),
}

impl<'a> Params<'a> {
    /// Checks every parameter against the running kernel's `limits`.
    pub fn check(&self, limits: Limits) -> Result<Settings<'a>, ParamError<'a>> {
        let nslots = (self.max_functions as usize)
            .clamp(*SLOTS.start(), *SLOTS.end())
            .next_power_of_two();
        let threshold = check_threshold(self.threshold, limits).map_err(ParamError::Threshold)?;
        let budgets =
            parse_budgets(self.budgets, limits.thread_size).map_err(ParamError::Budgets)?;
        for name in split_list(self.probes).filter(|n| *n != "default") {
            check_name(name).map_err(ParamError::Probes)?;
        }
        Ok(Settings {
            nslots,
            threshold,
            warn_interval_ms: self.warn_interval_ms,
            enabled: self.enabled,
            budgets,
            probes: self.probes,
        })
    }
}

/// A control file that changes a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// `threshold`: a number of bytes up to the stack size that can warn, or 0.
    Threshold,
    /// `budgets`: what `budgets=` takes.
    Budgets,
    /// `enabled`: 0 or 1.
    Enabled,
    /// `reset`: 1 resets, 0 does nothing.
    Reset,
}

/// Why a write to a control file was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteError<'a> {
    /// Not a value this file takes (the error says why).
    Input(InputError<'a>),
    /// A threshold the kernel refuses.
    Threshold(ThresholdError),
}

impl<'a> From<InputError<'a>> for WriteError<'a> {
    fn from(e: InputError<'a>) -> Self {
        WriteError::Input(e)
    }
}

impl fmt::Display for WriteError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Input(e) => e.fmt(f),
            WriteError::Threshold(e) => e.fmt(f),
        }
    }
}

/// A checked change, for the module to apply with its side effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new threshold: every function may warn again.
    Threshold(usize),
    /// New what-if budgets: the counts taken against the old ones go.
    Budgets([usize; MAX_BUDGETS]),
    /// Pause (false) or resume counting.
    Enabled(bool),
    /// Zero every statistic and chain.
    Reset,
}

impl Control {
    /// The file's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Control::Threshold => "threshold",
            Control::Budgets => "budgets",
            Control::Enabled => "enabled",
            Control::Reset => "reset",
        }
    }

    /// Checks one write of `text` to this file against the running
    /// kernel's `limits`: the change it asks for (None: nothing to do).
    pub fn parse(self, text: &str, limits: Limits) -> Result<Option<Change>, WriteError<'_>> {
        Ok(match self {
            Control::Threshold => {
                let v = parse_number(text, u64::MAX)?;
                let t = check_threshold(v, limits).map_err(WriteError::Threshold)?;
                Some(Change::Threshold(t))
            }
            Control::Budgets => Some(Change::Budgets(parse_budgets(text, limits.thread_size)?)),
            Control::Enabled => Some(Change::Enabled(parse_bool(text)?)),
            Control::Reset => parse_bool(text)?.then_some(Change::Reset),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::command::InputErrorKind;
    use std::string::ToString;

    /// A 16K stack whose warning needs 1000 bytes.
    const L16K: Limits = Limits {
        thread_size: 16384,
        min_threshold: 1001,
    };

    fn params() -> Params<'static> {
        Params {
            threshold: 2048,
            max_functions: 4096,
            warn_interval_ms: 250,
            enabled: true,
            budgets: "default",
            probes: "",
        }
    }

    #[test]
    fn params_checked_once() {
        let s = params().check(L16K).unwrap();
        assert_eq!(s.nslots, 4096);
        assert_eq!(s.budgets, [4096, 8192, 0, 0]);
        let s = Params {
            max_functions: 3000,
            ..params()
        };
        assert_eq!(s.check(L16K).unwrap().nslots, 4096);
        let s = Params {
            max_functions: 1,
            ..params()
        };
        assert_eq!(s.check(L16K).unwrap().nslots, 16);
        let s = Params {
            max_functions: u32::MAX,
            ..params()
        };
        assert_eq!(s.check(L16K).unwrap().nslots, 1 << 16);
        let s = Params {
            threshold: 16385,
            ..params()
        };
        assert_eq!(
            s.check(L16K),
            Err(ParamError::Threshold(ThresholdError::AboveStack {
                value: 16385,
                thread_size: 16384
            }))
        );
        let s = Params {
            budgets: "0",
            ..params()
        };
        assert!(matches!(s.check(L16K), Err(ParamError::Budgets(_))));
        let s = Params {
            probes: "default,xfs_*,bad name!",
            ..params()
        };
        assert!(matches!(s.check(L16K), Err(ParamError::Probes(e)) if e.token == "name!"));
        let s = Params {
            probes: "default,xfs_*",
            ..params()
        };
        assert_eq!(s.check(L16K).unwrap().probes, "default,xfs_*");
    }

    #[test]
    fn writes_take_the_same_rules() {
        let t = Control::Threshold;
        assert_eq!(t.parse("16384\n", L16K), Ok(Some(Change::Threshold(16384))));
        assert_eq!(t.parse("0", L16K), Ok(Some(Change::Threshold(0))));
        assert!(matches!(
            t.parse("16385", L16K),
            Err(WriteError::Threshold(ThresholdError::AboveStack { .. }))
        ));
        assert!(matches!(
            t.parse("x", L16K),
            Err(WriteError::Input(e)) if e.kind == InputErrorKind::Invalid
        ));
        assert_eq!(
            Control::Budgets.parse("none", L16K),
            Ok(Some(Change::Budgets([0; MAX_BUDGETS])))
        );
        assert!(matches!(
            Control::Budgets.parse("0", L16K),
            Err(WriteError::Input(e)) if e.kind == InputErrorKind::Range
        ));
        assert_eq!(
            Control::Enabled.parse("0\n", L16K),
            Ok(Some(Change::Enabled(false)))
        );
        assert_eq!(Control::Reset.parse("1", L16K), Ok(Some(Change::Reset)));
        assert_eq!(Control::Reset.parse("0", L16K), Ok(None));
        assert!(Control::Reset.parse("2", L16K).is_err());
    }

    /// A threshold that can never warn (the warning needs more stack than
    /// it leaves) is refused, whichever the way in, naming the value and
    /// the least; 0 (off) and the least itself pass.
    #[test]
    fn a_threshold_that_cannot_warn_is_refused() {
        let cannot = ThresholdError::CannotWarn {
            value: 1000,
            least: 1001,
        };
        assert_eq!(check_threshold(1000, L16K), Err(cannot));
        assert_eq!(check_threshold(1, L16K).map_err(|_| ()), Err(()));
        assert_eq!(check_threshold(1001, L16K), Ok(1001));
        assert_eq!(check_threshold(0, L16K), Ok(0));
        assert_eq!(check_threshold(16384, L16K), Ok(16384));
        let s = Params {
            threshold: 1000,
            ..params()
        };
        assert_eq!(s.check(L16K), Err(ParamError::Threshold(cannot)));
        assert_eq!(
            Control::Threshold.parse("1000\n", L16K),
            Err(WriteError::Threshold(cannot))
        );
        assert_eq!(
            Control::Threshold.parse("1001", L16K),
            Ok(Some(Change::Threshold(1001)))
        );
        let msg = WriteError::Threshold(cannot).to_string();
        assert!(msg.starts_with("1000 is below 1001, "), "{msg}");
        assert!(msg.contains("1000 bytes of stack left"), "{msg}");
        // A stack too small for any warning: only 0 passes.
        let tiny = Limits {
            thread_size: 1024,
            min_threshold: 1100,
        };
        assert_eq!(check_threshold(0, tiny), Ok(0));
        assert!(check_threshold(1024, tiny).is_err());
    }
}
