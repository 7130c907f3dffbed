// SPDX-License-Identifier: GPL-2.0

//! The kernel-independent logic of `rust/core/src`, compiled into the module
//! from the same files that `cargo test` checks on the host.

#[path = "../core/src/budget_sizes.rs"]
pub(crate) mod budget_sizes;
#[path = "../core/src/command.rs"]
pub(crate) mod command;
#[path = "../core/src/cpu_stacks.rs"]
pub(crate) mod cpu_stacks;
#[path = "../core/src/defaults.rs"]
pub(crate) mod defaults;
#[path = "../core/src/errno.rs"]
pub(crate) mod errno;
#[path = "../core/src/follow.rs"]
pub(crate) mod follow;
#[path = "../core/src/glob.rs"]
pub(crate) mod glob;
#[path = "../core/src/hist.rs"]
pub(crate) mod hist;
#[path = "../core/src/owner.rs"]
pub(crate) mod owner;
#[path = "../core/src/plan.rs"]
pub(crate) mod plan;
#[path = "../core/src/ratelimit.rs"]
pub(crate) mod ratelimit;
#[path = "../core/src/sample.rs"]
pub(crate) mod sample;
#[path = "../core/src/settings.rs"]
pub(crate) mod settings;
#[path = "../core/src/slot_index.rs"]
pub(crate) mod slot_index;
#[path = "../core/src/stack_scan.rs"]
pub(crate) mod stack_scan;
#[path = "../core/src/stats.rs"]
pub(crate) mod stats;
#[path = "../core/src/trace.rs"]
pub(crate) mod trace;
#[path = "../core/src/warning.rs"]
pub(crate) mod warning;
