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

#[cfg(feature = "std")]
pub use reader::*;

#[cfg(feature = "std")]
mod reader {
    use super::*;
    use crate::text::{
        decimal, end_of_line, expect_line, field, is_space, keyed, malformed, word, FileTable,
        FormatError, Lines, Rows,
    };
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
        let h = histogram_header(text)?;
        let rows = histogram_rows(text).collect::<Result<Vec<_>, _>>()?;
        Ok(Histogram {
            bucket_width: h.bucket_width,
            bounds: h.bounds.to_vec(),
            rows,
        })
    }

    /// The header of `histogram`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct HistogramHeader {
        /// Width of each bucket in bytes.
        pub bucket_width: u64,
        /// Lower bound of each bucket in bytes.
        pub bounds: [u64; BUCKETS],
    }

    fn read_histogram_header(lines: &mut Lines<'_>) -> Result<HistogramHeader, FormatError> {
        let first = expect_line(lines, HEADER, "header", "not a stackwatch histogram file")?;
        let bucket_width = keyed(first.text, "width").ok_or(malformed(
            first.no,
            "bucket width",
            "missing or not a number",
        ))?;
        let cols = expect_line(lines, COLUMNS, "columns", "expected # function ...")?;
        let mut bounds = [0u64; BUCKETS];
        let mut toks = cols
            .text
            .get(COLUMNS.len()..)
            .unwrap_or("")
            .split(is_space)
            .filter(|t| !t.is_empty());
        for b in bounds.iter_mut() {
            let t =
                toks.next()
                    .ok_or(malformed(cols.no, "columns", "fewer buckets than expected"))?;
            *b = decimal(t).ok_or(malformed(cols.no, "columns", "bucket bound not a number"))?;
        }
        if toks.next().is_some() {
            return Err(malformed(cols.no, "columns", "more buckets than expected"));
        }
        Ok(HistogramHeader {
            bucket_width,
            bounds,
        })
    }

    /// The `histogram` table.
    enum HistogramFile {}

    impl<'a> FileTable<'a> for HistogramFile {
        type Context = HistogramHeader;
        type Row = HistogramRow;
        const WHAT: &'static str = "histogram";
        const NEEDS_ALL: bool = true;

        fn header(lines: &mut Lines<'a>) -> Result<HistogramHeader, FormatError> {
            read_histogram_header(lines)
        }

        fn row(_: &HistogramHeader, no: usize, text: &'a str) -> Result<HistogramRow, FormatError> {
            let mut rest = text;
            let name = word(&mut rest, no, "function")?;
            let mut counts = [0u64; BUCKETS];
            for c in counts.iter_mut() {
                *c = field(&mut rest, no, "bucket count")?;
            }
            end_of_line(rest, no)?;
            Ok(HistogramRow {
                name: name.to_string(),
                counts: counts.to_vec(),
            })
        }

        fn is_all(r: &HistogramRow) -> bool {
            r.name == ALL
        }
    }

    /// The header of a `histogram` file.
    pub fn histogram_header(text: &str) -> Result<HistogramHeader, FormatError> {
        read_histogram_header(&mut Lines::new(text))
    }

    /// The rows of a `histogram` file, then `(all)`.
    pub fn histogram_rows(
        text: &str,
    ) -> impl Iterator<Item = Result<HistogramRow, FormatError>> + '_ {
        Rows::<HistogramFile>::new(text)
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
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
