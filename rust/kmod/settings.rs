// SPDX-License-Identifier: GPL-2.0

//! The settings in the module: the parameters read and checked once at load
//! (or from the kernel command line when built in), and the changes written
//! to the control files applied with their side effects. Whether a value is
//! good is decided in one place for both ways in, `swcore::settings`.

use core::sync::atomic::Ordering::Relaxed;
use kernel::prelude::*;

use crate::shim;
use crate::state::State;
use crate::swcore::settings::{Change, Limits, ParamError, Params, Settings, ThresholdError};

/// Reads and checks the module parameters: an errno and a message naming
/// the bad value on error. Not on the stack while probes are attached.
#[inline(never)]
pub(crate) fn from_params() -> Result<Settings<'static>> {
    let params = Params {
        threshold: u64::from(shim::param_threshold()),
        max_functions: crate::module_parameters::max_functions.value(),
        warn_interval_ms: crate::module_parameters::warn_interval_ms.value(),
        enabled: shim::param_enabled(),
        budgets: shim::param_budgets().to_str().map_err(|_| EINVAL)?,
        probes: shim::param_probes().to_str().map_err(|_| EINVAL)?,
    };
    params.check(limits()).map_err(refuse)
}

/// What this kernel allows the settings to be: its stack size, and the
/// least threshold that can warn on this architecture.
pub(crate) fn limits() -> Limits {
    Limits {
        thread_size: shim::thread_size(),
        min_threshold: crate::handler::MIN_THRESHOLD,
    }
}

/// A refused threshold's errno.
pub(crate) fn threshold_errno(e: ThresholdError) -> Error {
    match e {
        ThresholdError::AboveStack { .. } => ERANGE,
        ThresholdError::CannotWarn { .. } => EINVAL,
    }
}

/// Says which parameter was bad and why; its errno.
#[cold]
#[inline(never)]
fn refuse(e: ParamError<'_>) -> Error {
    match e {
        ParamError::Threshold(t) => {
            let errno = threshold_errno(t);
            pr_err!(
                "threshold={} ({})\n",
                format_args!("{t}"),
                crate::swcore::errno::name(errno.to_errno())
            );
            errno
        }
        ParamError::Budgets(e) => {
            pr_err!("budgets: {}: '{}' (EINVAL)\n", e.why, e.token_short());
            EINVAL
        }
        ParamError::Probes(e) => {
            pr_err!("probes: {}: '{}' (EINVAL)\n", e.why, e.token_short());
            EINVAL
        }
    }
}

impl State {
    /// Applies a checked change with its side effects.
    pub(crate) fn apply(&self, change: Change) {
        match change {
            Change::Threshold(v) => {
                self.threshold.store(v, Relaxed);
                // Every function may warn again, and at once.
                self.threshold_gen.fetch_add(1, Relaxed);
                self.warn_limit.reset();
            }
            Change::Budgets(b) => self.set_budgets(&b),
            Change::Enabled(on) => self.enabled.store(on, Relaxed),
            Change::Reset => self.reset(),
        }
    }
}
