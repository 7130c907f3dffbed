// SPDX-License-Identifier: GPL-2.0

//! The writers of the debugfs files, from `rust/format/src`: one file per
//! debugfs file, the same files whose readers the command uses and
//! `cargo test` reads back (their readers are left out here, without the
//! `std` feature).

#[path = "../format/src/budgets.rs"]
pub(crate) mod budgets;
#[path = "../format/src/cpu_stacks.rs"]
pub(crate) mod cpu_stacks;
#[path = "../format/src/histogram.rs"]
pub(crate) mod histogram;
#[path = "../format/src/max_trace.rs"]
pub(crate) mod max_trace;
#[path = "../format/src/probes.rs"]
pub(crate) mod probes;
#[path = "../format/src/summary.rs"]
pub(crate) mod summary;
#[path = "../format/src/tasks.rs"]
pub(crate) mod tasks;
#[path = "../format/src/text.rs"]
pub(crate) mod text;
#[path = "../format/src/traces.rs"]
pub(crate) mod traces;
#[path = "../format/src/value.rs"]
pub(crate) mod value;
