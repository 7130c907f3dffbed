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

#[cfg(feature = "std")]
pub use reader::*;

#[cfg(feature = "std")]
mod reader {
    use super::*;
    use crate::text::{end_of_line, expect_line, field, FileTable, FormatError, Lines, Rows};
    use serde::Serialize;

    /// One row of the `budgets` file.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    pub struct BudgetTotal {
        /// Budget, bytes.
        pub budget: u64,
        /// Hits that would have overflowed it.
        pub over: u64,
    }

    /// The `budgets` table.
    enum BudgetsFile {}

    impl<'a> FileTable<'a> for BudgetsFile {
        type Context = ();
        type Row = BudgetTotal;
        const WHAT: &'static str = "budgets";
        const NEEDS_ALL: bool = false;

        fn header(lines: &mut Lines<'a>) -> Result<(), FormatError> {
            expect_line(lines, HEADER, "header", "not a stackwatch budgets file")?;
            Ok(())
        }

        fn row(_: &(), no: usize, text: &'a str) -> Result<BudgetTotal, FormatError> {
            let mut rest = text;
            let budget = field(&mut rest, no, "budget")?;
            let over = field(&mut rest, no, "over_count")?;
            end_of_line(rest, no)?;
            Ok(BudgetTotal { budget, over })
        }

        fn is_all(_: &BudgetTotal) -> bool {
            false
        }
    }

    /// The rows of a `budgets` file.
    pub fn budget_rows(text: &str) -> impl Iterator<Item = Result<BudgetTotal, FormatError>> + '_ {
        Rows::<BudgetsFile>::new(text)
    }

    /// Reads a `budgets` file.
    pub fn read(text: &str) -> Result<Vec<BudgetTotal>, FormatError> {
        budget_rows(text).collect()
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
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
