// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Kernel-independent logic of stackwatch, `core` only.
//!
//! Every file under `src/` except this one is also compiled into the kernel
//! module (see `rust/kmod/swcore.rs`), so nothing here may allocate, panic, or
//! depend on `std`. On the host these modules are unit-tested with `cargo test`.
#![no_std]
// The module's deny-list is the workspace's lint list (rust/Cargo.toml);
// tests may do unchecked arithmetic.
#![cfg_attr(test, allow(clippy::arithmetic_side_effects))]

pub mod budget_sizes;
pub mod command;
pub mod cpu_stacks;
pub mod defaults;
pub mod errno;
pub mod follow;
pub mod glob;
pub mod hist;
pub mod owner;
pub mod plan;
pub mod ratelimit;
pub mod sample;
pub mod settings;
pub mod slot_index;
pub mod stack_scan;
pub mod stats;
pub mod trace;
pub mod warning;

#[cfg(test)]
extern crate std;
