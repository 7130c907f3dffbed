// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The files holding one value on one line: `thread_size` and `threshold`
//! (a decimal number of bytes), `enabled` (`0` or `1`).

use core::fmt::{self, Write};

/// Writes a one-number file.
pub fn write_number(w: &mut dyn Write, v: usize) -> fmt::Result {
    writeln!(w, "{}", v)
}

/// Writes a `0`/`1` file.
pub fn write_bool(w: &mut dyn Write, v: bool) -> fmt::Result {
    writeln!(w, "{}", u8::from(v))
}

/// Reading the one-number files back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use crate::text::reader::*;

    /// A file holding one decimal number (`thread_size`, `threshold`).
    pub fn number_file(text: &str) -> Result<u64, FormatError> {
        let mut lines = Lines::new(text);
        let line = lines.next().ok_or(truncated(1, "value", "empty file"))?;
        let v = decimal(line.checked()?.trim_matches(is_space)).ok_or(malformed(
            line.no,
            "value",
            "not a decimal number",
        ))?;
        lines.end("value", "more than one line")?;
        Ok(v)
    }

    /// A file holding `0` or `1` (`enabled`).
    pub fn bool_file(text: &str) -> Result<bool, FormatError> {
        match number_file(text)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed(1, "value", "expected 0 or 1")),
        }
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
    use super::*;
    use crate::text::reader::FormatErrorKind;
    use crate::text::tests::written;

    #[test]
    fn round_trip() {
        assert_eq!(number_file(&written(|s| write_number(s, 16384))), Ok(16384));
        assert_eq!(bool_file(&written(|s| write_bool(s, true))), Ok(true));
        assert_eq!(bool_file(&written(|s| write_bool(s, false))), Ok(false));
        assert_eq!(
            number_file("").unwrap_err().kind,
            FormatErrorKind::Truncated
        );
        assert_eq!(
            number_file("163").unwrap_err().kind,
            FormatErrorKind::Truncated
        );
        assert_eq!(
            number_file("x\n").unwrap_err().kind,
            FormatErrorKind::Malformed
        );
        assert_eq!(number_file("1\n2\n").unwrap_err().line, 2);
        assert!(bool_file("2\n").is_err());
    }
}
