// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The `histogram` file: hits by the bytes of stack used at entry, in 32
//! buckets of THREAD_SIZE/32; a header with each bucket's lower bound, one
//! row per hit function, and an `(all)` row.
//!
//! ```text
//! # stackwatch histogram: hits by used bytes, bucket width 512
//! # function 0 512 1024 ... 15872
//! xfs_bmapi_write 0 0 ... 5 ... 0
//! (all) 0 3 ... 5 ... 0
//! ```

use super::text::{Header, Row, Symbolize, ALL};
use crate::swcore::hist::{bucket_range, BUCKETS};
use crate::swcore::stats::Snapshot;
use core::fmt::{self, Write};

/// The first header line, before the bucket width.
pub const HEADER: &str = "# stackwatch histogram:";
/// The column line, before the buckets' lower bounds.
pub const COLUMNS: &str = "# function";

/// The `histogram` file: a header with each bucket's lower bound in bytes,
/// then one row per hit function and an `(all)` row, counts per bucket.
pub fn write_histogram(
    w: &mut dyn Write,
    h: &Header,
    rows: &[Row],
    global: &Snapshot,
    sym: &dyn Symbolize,
) -> fmt::Result {
    writeln!(
        w,
        "{} hits by used bytes, bucket width {}",
        HEADER,
        bucket_range(0, h.thread_size).1
    )?;
    write!(w, "{}", COLUMNS)?;
    for i in 0..BUCKETS {
        write!(w, " {}", bucket_range(i, h.thread_size).0)?;
    }
    writeln!(w)?;
    let row = |w: &mut dyn Write, s: &Snapshot| -> fmt::Result {
        for c in &s.hist {
            write!(w, " {}", c)?;
        }
        writeln!(w)
    };
    for r in rows.iter().filter(|r| r.stats.hits != 0) {
        sym.name(r.addr, w)?;
        row(w, &r.stats)?;
    }
    write!(w, "{}", ALL)?;
    row(w, global)
}

/// Reading a `histogram` file back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::text::reader::*;
    use serde::Serialize;

    /// One row of the histogram.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct HistogramRow {
        /// Function name, or `(all)`.
        pub name: String,
        /// Hits per bucket.
        pub counts: Vec<u64>,
    }

    /// The `histogram` file.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Histogram {
        /// Bucket width, bytes.
        pub bucket_width: u64,
        /// Lower bound of each bucket, bytes.
        pub bounds: Vec<u64>,
        /// Rows, functions then `(all)`.
        pub rows: Vec<HistogramRow>,
    }

    /// Reads a `histogram` file.
    pub fn read(text: &str) -> Result<Histogram, FormatError> {
        let (mut lines, first) = Lines::header(text, HEADER, "not a stackwatch histogram file")?;
        let bucket_width = keyed_field(first.text, "width", first.no)?;
        let cols = lines.expect(COLUMNS, "columns", "expected # function ...")?;
        let bounds = cols
            .text
            .get(COLUMNS.len()..)
            .unwrap_or("")
            .split(is_space)
            .filter(|t| !t.is_empty())
            .map(|t| decimal(t).ok_or(malformed(cols.no, "columns", "bucket bound not a number")))
            .collect::<Result<Vec<u64>, FormatError>>()?;
        if bounds.len() != BUCKETS {
            return Err(malformed(
                cols.no,
                "columns",
                if bounds.len() < BUCKETS {
                    "fewer buckets than expected"
                } else {
                    "more buckets than expected"
                },
            ));
        }
        let (mut rows, all) = function_rows(
            &mut lines,
            "histogram",
            |_| Ok(()),
            |name, rest, no| {
                Ok(HistogramRow {
                    name,
                    counts: fields(rest, no, BUCKETS, "bucket count")?,
                })
            },
        )?;
        rows.push(all);
        Ok(Histogram {
            bucket_width,
            bounds,
            rows,
        })
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
    use super::*;
    use crate::text::tests::{hdr, rows, snap, written, Fake};

    #[test]
    fn round_trip() {
        let text = written(|s| write_histogram(s, &hdr(), &rows(), &snap(8, 6000), &Fake));
        let h = read(&text).unwrap();
        assert_eq!(h.bucket_width, 512);
        assert_eq!(h.bounds.len(), BUCKETS);
        assert_eq!(h.bounds[1], bucket_range(1, 16384).0 as u64);
        assert_eq!(h.rows.len(), 3);
        assert_eq!(h.rows[0].counts[6000 / 512], 5);
        assert_eq!(h.rows[2].name, ALL);
        assert!(read(&text.replace("(all)", "x")).is_err());
    }
}
