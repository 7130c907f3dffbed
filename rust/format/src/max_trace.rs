//! The `max_trace` file: the deepest chain seen, in the ftrace stack
//! tracer's `Depth Size Location` layout after one `#` line of context.
//!
//! ```text
//! # stackwatch max_trace: used 6000 remaining 10384 thread_size 16384 pid 42 comm nfsd
//!         Depth    Size   Location    (2 entries)
//!         -----    ----   --------
//!    0)     6000       0   xfs_bmapi_write+0x0/0x7b0 [xfs]
//!    1)     6000    5000   xfs_alloc_vextent+0x12/0x300 [xfs]
//! ```

use super::text::{Header, Symbolize};
use crate::swcore::trace::Trace;
use core::fmt::{self, Write};

/// The header line, before the chain's numbers.
pub const HEADER: &str = "# stackwatch max_trace:";

/// The `max_trace` file: the deepest chain seen, in the ftrace stack tracer's
/// `Depth Size Location` layout (after one `#` line of context).
pub fn write_max_trace(
    w: &mut dyn Write,
    h: &Header,
    t: Option<&Trace>,
    sym: &dyn Symbolize,
) -> fmt::Result {
    let Some(t) = t else {
        writeln!(
            w,
            "{} nothing recorded yet, thread_size {}",
            HEADER, h.thread_size
        )?;
        return Ok(());
    };
    writeln!(
        w,
        "{} used {} remaining {} thread_size {} pid {} comm {}",
        HEADER,
        t.used,
        h.thread_size.saturating_sub(t.used),
        h.thread_size,
        t.pid,
        if t.comm_str().is_empty() {
            "-"
        } else {
            t.comm_str()
        }
    )?;
    writeln!(w, "        Depth    Size   Location    ({} entries)", t.len)?;
    writeln!(w, "        -----    ----   --------")?;
    let mut depth = t.used;
    for (i, (f, s)) in t.frames().iter().zip(t.sizes().iter()).enumerate() {
        write!(w, "  {:>2})   {:>6}   {:>5}   ", i, depth, s)?;
        sym.symbol(*f, w)?;
        writeln!(w)?;
        depth = depth.saturating_sub(*s as usize);
    }
    Ok(())
}

#[cfg(feature = "std")]
pub use reader::*;

#[cfg(feature = "std")]
mod reader {
    use super::*;
    use crate::text::{
        decimal, expect_line, field, is_space, keyed_field, malformed, parse_symbol, truncated,
        FormatError, Line, Lines, Symbol,
    };
    use crate::traces::{frame, Chain};
    use serde::Serialize;

    /// The `max_trace` file.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct MaxTrace {
        /// THREAD_SIZE of the kernel.
        pub thread_size: u64,
        /// The deepest chain, if any was recorded.
        pub chain: Option<Chain>,
    }

    /// Reads a `max_trace` file.
    pub fn read(text: &str) -> Result<MaxTrace, FormatError> {
        let h = max_trace_header(text)?;
        let frames = max_trace_rows(text)
            .map(|r| r.map(|row| frame(row.size, &row.symbol)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(MaxTrace {
            thread_size: h.thread_size,
            chain: h.task.map(|t| Chain {
                function: frames
                    .first()
                    .map(|f| f.function.clone())
                    .unwrap_or_default(),
                used: t.used,
                remaining: t.remaining,
                pid: t.pid,
                comm: t.comm.to_string(),
                frames,
            }),
        })
    }

    /// The task of the deepest chain.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MaxTraceTask<'a> {
        /// Used bytes.
        pub used: u64,
        /// Bytes left.
        pub remaining: u64,
        /// Task id.
        pub pid: u64,
        /// Task name (may contain spaces).
        pub comm: &'a str,
    }

    /// The first line of `max_trace`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MaxTraceHeader<'a> {
        /// THREAD_SIZE of the kernel.
        pub thread_size: u64,
        /// `None` if nothing was recorded yet.
        pub task: Option<MaxTraceTask<'a>>,
    }

    /// One row of the ftrace-style table in `max_trace`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MaxTraceRow<'a> {
        /// Frame number, from 0.
        pub index: usize,
        /// Stack depth at this frame, bytes.
        pub depth: u64,
        /// Bytes of this frame.
        pub size: u64,
        /// Where it is.
        pub symbol: Symbol<'a>,
    }

    fn read_max_trace_header<'a>(lines: &mut Lines<'a>) -> Result<MaxTraceHeader<'a>, FormatError> {
        let first = expect_line(lines, HEADER, "header", "not a stackwatch max_trace file")?;
        let no = first.no;
        let body = first.text.get(HEADER.len()..).unwrap_or("");
        if body
            .trim_start_matches(is_space)
            .starts_with("nothing recorded")
        {
            return Ok(MaxTraceHeader {
                thread_size: keyed_field(body, "thread_size", no)?,
                task: None,
            });
        }
        let (head, comm) =
            body.split_once(" comm ")
                .ok_or(malformed(no, "comm", "missing field"))?;
        let comm = comm.trim_matches(is_space);
        if comm.is_empty() {
            return Err(malformed(no, "comm", "missing field"));
        }
        Ok(MaxTraceHeader {
            thread_size: keyed_field(head, "thread_size", no)?,
            task: Some(MaxTraceTask {
                used: keyed_field(head, "used", no)?,
                remaining: keyed_field(head, "remaining", no)?,
                pid: keyed_field(head, "pid", no)?,
                comm,
            }),
        })
    }

    /// The first line of a `max_trace` file.
    pub fn max_trace_header(text: &str) -> Result<MaxTraceHeader<'_>, FormatError> {
        read_max_trace_header(&mut Lines::new(text))
    }

    /// The rows of a `max_trace` file (none if nothing was recorded).
    struct MaxTraceRows<'a> {
        lines: Lines<'a>,
        /// Rows still expected; `None` before the header was read.
        left: Option<usize>,
        index: usize,
        done: bool,
    }

    /// The frames of the deepest chain, from a `max_trace` file.
    pub fn max_trace_rows(
        text: &str,
    ) -> impl Iterator<Item = Result<MaxTraceRow<'_>, FormatError>> {
        MaxTraceRows {
            lines: Lines::new(text),
            left: None,
            index: 0,
            done: false,
        }
    }

    impl MaxTraceRows<'_> {
        fn start(&mut self) -> Result<usize, FormatError> {
            if read_max_trace_header(&mut self.lines)?.task.is_none() {
                return Ok(0);
            }
            let cols = expect_line(
                &mut self.lines,
                "        Depth",
                "columns",
                "expected the Depth Size Location line",
            )?;
            let n = cols
                .text
                .rsplit_once('(')
                .and_then(|(_, r)| r.strip_suffix(" entries)"))
                .and_then(decimal)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(malformed(cols.no, "entries", "expected (N entries)"))?;
            expect_line(
                &mut self.lines,
                "        -----",
                "columns",
                "expected the ----- line",
            )?;
            Ok(n)
        }

        fn row<'a>(line: Line<'a>, index: usize) -> Result<MaxTraceRow<'a>, FormatError> {
            let no = line.no;
            let text = line.checked()?;
            let (idx, mut rest) =
                text.split_once(')')
                    .ok_or(malformed(no, "index", "expected N)"))?;
            if decimal(idx.trim_matches(is_space)).and_then(|i| usize::try_from(i).ok())
                != Some(index)
            {
                return Err(malformed(no, "index", "frame numbers out of order"));
            }
            let depth = field(&mut rest, no, "depth")?;
            let size = field(&mut rest, no, "size")?;
            let sym = rest.trim_end_matches(is_space);
            if sym.is_empty() {
                return Err(malformed(no, "location", "missing field"));
            }
            Ok(MaxTraceRow {
                index,
                depth,
                size,
                symbol: parse_symbol(sym),
            })
        }
    }

    impl<'a> Iterator for MaxTraceRows<'a> {
        type Item = Result<MaxTraceRow<'a>, FormatError>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.done {
                return None;
            }
            let left = match self.left {
                Some(n) => n,
                None => match self.start() {
                    Ok(n) => n,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
            };
            if left == 0 {
                self.done = true;
                // Anything after the announced rows is not from the writer.
                return self
                    .lines
                    .find(|l| !l.text.trim_matches(is_space).is_empty())
                    .map(|l| Err(malformed(l.no, "max_trace", "more rows than announced")));
            }
            self.left = Some(left.saturating_sub(1));
            let no = self.lines.next_no();
            let r = match self.lines.next() {
                Some(line) => Self::row(line, self.index),
                None => Err(truncated(no, "max_trace", "fewer rows than announced")),
            };
            self.index = self.index.saturating_add(1);
            self.done = r.is_err();
            Some(r)
        }
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::*;
    use crate::text::tests::{hdr, trace, written, Fake};

    #[test]
    fn round_trip() {
        let t = trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000]);
        let text = written(|s| write_max_trace(s, &hdr(), Some(&t), &Fake));
        let lines: std::vec::Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "        Depth    Size   Location    (3 entries)");
        assert_eq!(lines[4], "   1)     6000    5000   fc+0x4/0x80 [xfs]");
        let m = read(&text).unwrap();
        assert_eq!(m.thread_size, 16384);
        let c = m.chain.unwrap();
        assert_eq!((c.function.as_str(), c.used, c.pid), ("fb", 6000, 42));
        assert_eq!(c.frames.len(), 3);
        let empty = written(|s| write_max_trace(s, &hdr(), None, &Fake));
        assert_eq!(read(&empty).unwrap().chain, None);
    }
}
