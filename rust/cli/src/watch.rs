// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch watch`: re-reads the summary every interval and redraws the
//! table, marking with `+` the functions whose max_used grew since the last
//! refresh (or that appeared).

use crate::debugfs::Dir;
use crate::error::Result;
use crate::load;
use crate::model::Summary;
use crate::style::Style;
use crate::text_report;
use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// The state kept between refreshes.
#[derive(Debug, Default)]
pub struct Watcher {
    prev: Option<HashMap<String, u64>>,
    refreshes: u64,
}

impl Watcher {
    /// Functions whose max_used grew since the last call (none on the first),
    /// and remembers this summary.
    pub fn grown(&mut self, s: &Summary) -> HashSet<String> {
        let grown = match &self.prev {
            None => HashSet::new(),
            Some(prev) => s
                .functions
                .iter()
                .filter(|f| prev.get(&f.name).is_none_or(|&m| f.max_used > m))
                .map(|f| f.name.clone())
                .collect(),
        };
        self.prev = Some(
            s.functions
                .iter()
                .map(|f| (f.name.clone(), f.max_used))
                .collect(),
        );
        grown
    }

    /// One screen: a status line and the marked table.
    pub fn screen(&mut self, source: &str, s: &Summary, interval: f64, st: &Style) -> String {
        self.refreshes += 1;
        let grown = self.grown(s);
        let mut out = st.heading(&format!(
            "stackwatch watch: {source}, every {interval}s, refresh {}, {} grew",
            self.refreshes,
            grown.len()
        ));
        out.push('\n');
        out.push_str(&text_report::function_table(
            s,
            st,
            Some(&grown),
            usize::MAX,
        ));
        out
    }
}

/// Redraws until interrupted, or `count` times.
pub fn run(dir: &Dir, interval: f64, count: Option<u64>, st: &Style) -> Result<()> {
    let mut w = Watcher::default();
    let clear = std::io::stdout().is_terminal();
    let source = dir.path.display().to_string();
    let mut n = 0u64;
    loop {
        let s = load::load_summary(dir)?;
        let screen = w.screen(&source, &s, interval, st);
        let mut stdout = std::io::stdout().lock();
        let text = if clear {
            format!("\x1b[H\x1b[2J{screen}")
        } else {
            format!("{screen}\n")
        };
        if stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return Ok(()); // stdout closed (e.g. piped into head)
        }
        n += 1;
        if count.is_some_and(|c| n >= c) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs_f64(interval));
    }
}
