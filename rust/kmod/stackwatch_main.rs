// SPDX-License-Identifier: GPL-2.0

//! stackwatch: watches kernel stack depth on the paths known to blow the
//! stack (XFS, device-mapper and the block layer, the NFS server, direct
//! reclaim), keeps per-function high-water marks with the call chain that
//! got there, and warns while there is still stack left.
//!
//! Everything is under `/sys/kernel/debug/stackwatch/`; see README.md.

use core::sync::atomic::Ordering::Release;
use kernel::{debugfs::Scope, prelude::*};

mod files;
mod handler;
mod probes;
mod shim;
mod state;
#[allow(unreachable_pub, dead_code)]
mod swcore;
mod warn;

use state::State;
use swcore::command::{parse_budgets, split_list};

module! {
    type: StackWatch,
    name: "stackwatch",
    authors: ["stackwatch developers"],
    description: "Per-path kernel stack high-water marks with call chains and early warning",
    license: "GPL",
    params: {
        threshold: u32 {
            default: 1024,
            description: "Warn when fewer than this many stack bytes remain (0: off)",
        },
        max_functions: u32 {
            default: 4096,
            description: "Function slots preallocated for per-function statistics",
        },
        enabled: bool {
            default: true,
            description: "Count from load (write 0/1 to debugfs enabled to pause/resume)",
        },
    },
}

struct StackWatch {
    scope: Pin<KBox<Scope<State>>>,
}

impl kernel::Module for StackWatch {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // A power of two, so the function table masks instead of dividing.
        let nslots = (module_parameters::max_functions.value().clamp(16, 1 << 16) as usize)
            .next_power_of_two();
        let threshold = module_parameters::threshold.value() as usize;
        let enabled = module_parameters::enabled.value();

        let ts = shim::thread_size();
        if threshold > ts {
            pr_err!(
                "threshold={} is larger than THREAD_SIZE {} (ERANGE)\n",
                threshold,
                ts
            );
            return Err(ERANGE);
        }
        let budgets_param = shim::param_budgets().to_str().map_err(|_| EINVAL)?;
        let budgets = parse_budgets(budgets_param, ts).map_err(|e| {
            pr_err!("budgets: {}: '{}' (EINVAL)\n", e.why, e.token_short());
            EINVAL
        })?;
        let probes_param = shim::param_probes().to_str().map_err(|_| EINVAL)?;
        for name in split_list(probes_param) {
            if name != "default" {
                swcore::command::check_name(name).map_err(|e| {
                    pr_err!("probes: {}: '{}' (EINVAL)\n", e.why, e.token_short());
                    EINVAL
                })?;
            }
        }

        let scope = KBox::pin_init(
            Scope::dir(
                State::new(nslots, threshold, enabled)?,
                c"stackwatch",
                files::populate,
            ),
            GFP_KERNEL,
        )?;
        let st: &State = &scope;
        st.budgets.set(&budgets);
        handler::STATE.store(core::ptr::from_ref(st).cast_mut(), Release);

        {
            let mut set = st.probes.lock();
            let mut any = false;
            for name in split_list(probes_param) {
                any = true;
                if name == "default" {
                    swcore::defaults::all().for_each(|n| set.add_or_skip(st, n));
                } else {
                    set.add_or_skip(st, name);
                }
            }
            if !any {
                swcore::defaults::all().for_each(|n| set.add_or_skip(st, n));
            }
            let (specs, funcs) = set.totals();
            // Per function: the hot slot, its chain, and its table key.
            let hot = core::mem::size_of::<state::Slot>();
            let slot_bytes = hot
                + core::mem::size_of::<swcore::trace::TraceSlot>()
                + core::mem::size_of::<usize>();
            pr_info!(
                "watching {} functions ({} probes, {} bytes each), THREAD_SIZE {}, threshold {}, {} slots of {} bytes ({} KiB preallocated), {} of them touched per hit\n",
                funcs,
                specs,
                shim::probe_bytes() + core::mem::size_of::<probes::Attachment>(),
                ts,
                threshold,
                nslots,
                slot_bytes,
                (slot_bytes * nslots + core::mem::size_of::<state::Scratch>() * shim::nr_cpu_ids()) / 1024,
                hot
            );
        }
        Ok(StackWatch { scope })
    }
}

impl Drop for StackWatch {
    fn drop(&mut self) {
        // Detach every probe (waiting for running handlers) before the state
        // the handlers use goes away with the scope.
        if self.scope.probes.lock().clear(&self.scope).is_err() {
            pr_err!("detaching probes in a batch failed; detaching one by one\n");
        }
        handler::STATE.store(core::ptr::null_mut(), Release);
        pr_info!("unloaded\n");
    }
}
