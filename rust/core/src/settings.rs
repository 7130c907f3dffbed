//! The settings a user can change, checked once whatever the way in: the
//! module parameters at load (or on the kernel command line), and writes to
//! the control files `threshold`, `budgets`, `enabled` and `reset`. The
//! module applies what passes, with its side effects (`rust/kmod/settings.rs`);
//! here is only what decides whether a value is good, tested on the host.

use super::budget_sizes::MAX_BUDGETS;
use super::command::{
    check_name, parse_bool, parse_budgets, parse_number, split_list, InputError, InputErrorKind,
};

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
    /// stack size.
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
    /// `threshold` is above the stack size (ERANGE).
    ThresholdAboveStack(u64),
    /// `budgets` is not a budget list (the error says why).
    Budgets(InputError<'a>),
    /// A name in `probes` is not a symbol name or glob.
    Probes(InputError<'a>),
}

/// Whether `threshold` is a threshold for a stack of `thread_size` bytes:
/// the one rule of both ways in.
fn threshold_fits(threshold: u64, thread_size: usize) -> bool {
    threshold <= thread_size as u64
}

impl<'a> Params<'a> {
    /// Checks every parameter against a stack of `thread_size` bytes.
    pub fn check(&self, thread_size: usize) -> Result<Settings<'a>, ParamError<'a>> {
        let nslots = (self.max_functions as usize)
            .clamp(*SLOTS.start(), *SLOTS.end())
            .next_power_of_two();
        if !threshold_fits(self.threshold, thread_size) {
            return Err(ParamError::ThresholdAboveStack(self.threshold));
        }
        let budgets = parse_budgets(self.budgets, thread_size).map_err(ParamError::Budgets)?;
        for name in split_list(self.probes).filter(|n| *n != "default") {
            check_name(name).map_err(ParamError::Probes)?;
        }
        Ok(Settings {
            nslots,
            threshold: self.threshold as usize,
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
    /// `threshold`: a number of bytes up to the stack size.
    Threshold,
    /// `budgets`: what `budgets=` takes.
    Budgets,
    /// `enabled`: 0 or 1.
    Enabled,
    /// `reset`: 1 resets, 0 does nothing.
    Reset,
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

    /// Checks one write of `text` to this file against a stack of
    /// `thread_size` bytes: the change it asks for (None: nothing to do).
    pub fn parse(self, text: &str, thread_size: usize) -> Result<Option<Change>, InputError<'_>> {
        Ok(match self {
            Control::Threshold => {
                let v = parse_number(text, u64::MAX)?;
                if !threshold_fits(v, thread_size) {
                    return Err(InputError {
                        kind: InputErrorKind::Range,
                        token: text.trim(),
                        why: "number out of range",
                    });
                }
                Some(Change::Threshold(v as usize))
            }
            Control::Budgets => Some(Change::Budgets(parse_budgets(text, thread_size)?)),
            Control::Enabled => Some(Change::Enabled(parse_bool(text)?)),
            Control::Reset => parse_bool(text)?.then_some(Change::Reset),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let s = params().check(16384).unwrap();
        assert_eq!(s.nslots, 4096);
        assert_eq!(s.budgets, [4096, 8192, 0, 0]);
        let s = Params {
            max_functions: 3000,
            ..params()
        };
        assert_eq!(s.check(16384).unwrap().nslots, 4096);
        let s = Params {
            max_functions: 1,
            ..params()
        };
        assert_eq!(s.check(16384).unwrap().nslots, 16);
        let s = Params {
            max_functions: u32::MAX,
            ..params()
        };
        assert_eq!(s.check(16384).unwrap().nslots, 1 << 16);
        let s = Params {
            threshold: 16385,
            ..params()
        };
        assert_eq!(s.check(16384), Err(ParamError::ThresholdAboveStack(16385)));
        let s = Params {
            budgets: "0",
            ..params()
        };
        assert!(matches!(s.check(16384), Err(ParamError::Budgets(_))));
        let s = Params {
            probes: "default,xfs_*,bad name!",
            ..params()
        };
        assert!(matches!(s.check(16384), Err(ParamError::Probes(e)) if e.token == "name!"));
        let s = Params {
            probes: "default,xfs_*",
            ..params()
        };
        assert_eq!(s.check(16384).unwrap().probes, "default,xfs_*");
    }

    #[test]
    fn writes_take_the_same_rules() {
        let t = Control::Threshold;
        assert_eq!(
            t.parse("16384\n", 16384),
            Ok(Some(Change::Threshold(16384)))
        );
        assert_eq!(t.parse("0", 16384), Ok(Some(Change::Threshold(0))));
        assert_eq!(
            t.parse("16385", 16384).unwrap_err().kind,
            InputErrorKind::Range
        );
        assert_eq!(
            Control::Budgets.parse("none", 16384),
            Ok(Some(Change::Budgets([0; MAX_BUDGETS])))
        );
        assert_eq!(
            Control::Budgets.parse("0", 16384).unwrap_err().kind,
            InputErrorKind::Range
        );
        assert_eq!(
            Control::Enabled.parse("0\n", 16384),
            Ok(Some(Change::Enabled(false)))
        );
        assert_eq!(Control::Reset.parse("1", 16384), Ok(Some(Change::Reset)));
        assert_eq!(Control::Reset.parse("0", 16384), Ok(None));
        assert!(Control::Reset.parse("2", 16384).is_err());
    }
}
