// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `stackwatch` companion command: reads the module's debugfs files (or a
//! snapshot of them) with the readers of `stackwatch-format`, and turns them
//! into reports, symbolized chains, snapshots, diffs and metrics.

pub mod app;
pub mod args;
pub mod control;
pub mod debugfs;
pub mod default_set;
pub mod diff;
pub mod docgen;
pub mod elf;
pub mod errno;
pub mod error;
pub mod flamegraph;
pub mod fsutil;
pub mod json;
pub mod load;
pub mod markdown;
pub mod model;
pub mod prometheus;
pub mod sections;
pub mod snapshot;
pub mod stacktree;
pub mod style;
pub mod svgframes;
pub mod symbolize;
pub mod text_report;
pub mod text_table;
pub mod textfile;
pub mod watch;
pub mod whatif;
