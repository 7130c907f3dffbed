// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The `budgets` file: per what-if budget (a smaller stack size), how many
//! hits would have overflowed it.
//!
//! ```text
//! # budget over_count (hits that would have overflowed a stack of that size)
//! 4096 8
//! 8192 0
//! ```

use super::text::Header;
use crate::swcore::stats::Snapshot;
use core::fmt::{self, Write};

/// The header line.
pub const HEADER: &str =
    "# budget over_count (hits that would have overflowed a stack of that size)";

/// The `budgets` file: the sizes, and per budget how many hits overflowed it.
pub fn write_budgets(w: &mut dyn Write, h: &Header, global: &Snapshot) -> fmt::Result {
    writeln!(w, "{}", HEADER)?;
    for (i, b) in h.budgets.iter().enumerate() {
        if *b != 0 {
            writeln!(
                w,
                "{} {}",
                b,
                global.over_budget.get(i).copied().unwrap_or(0)
            )?;
        }
    }
    Ok(())
}

/// Reading a `budgets` file back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::text::reader::*;
    use serde::Serialize;

    /// One row of the `budgets` file.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    pub struct BudgetTotal {
        /// Budget, bytes.
        pub budget: u64,
        /// Hits that would have overflowed it.
        pub over: u64,
    }

    /// Reads a `budgets` file.
    pub fn read(text: &str) -> Result<Vec<BudgetTotal>, FormatError> {
        let (mut lines, _) = Lines::header(text, HEADER, "not a stackwatch budgets file")?;
        let mut rows = Vec::new();
        while let Some(line) = lines.record()? {
            if line.is_comment() {
                continue;
            }
            let mut rest = line.text;
            let budget = field(&mut rest, line.no, "budget")?;
            let over = field(&mut rest, line.no, "over_count")?;
            end_of_line(rest, line.no)?;
            rows.push(BudgetTotal { budget, over });
        }
        Ok(rows)
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
    use super::*;
    use crate::text::tests::{hdr, snap, written};

    #[test]
    fn round_trip() {
        let text = written(|s| write_budgets(s, &hdr(), &snap(8, 6000)));
        assert_eq!(
            read(&text).unwrap(),
            [
                BudgetTotal {
                    budget: 4096,
                    over: 8
                },
                BudgetTotal {
                    budget: 8192,
                    over: 0
                }
            ]
        );
        assert!(read(&text.replace("4096 8", "4096")).is_err());
    }
}
