// SPDX-License-Identifier: GPL-2.0 OR MIT
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

/// Reading a `max_trace` file back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::text::reader::*;
    use crate::traces::reader::{Chain, Frame};
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
        let (mut lines, first) = Lines::header(text, HEADER, "not a stackwatch max_trace file")?;
        let no = first.no;
        let body = first.text.get(HEADER.len()..).unwrap_or("");
        if body
            .trim_start_matches(is_space)
            .starts_with("nothing recorded")
        {
            let thread_size = keyed_field(body, "thread_size", no)?;
            lines.end("max_trace", "more rows than announced")?;
            return Ok(MaxTrace {
                thread_size,
                chain: None,
            });
        }
        let (head, comm) =
            body.split_once(" comm ")
                .ok_or(malformed(no, "comm", "missing field"))?;
        let comm = comm.trim_matches(is_space);
        if comm.is_empty() {
            return Err(malformed(no, "comm", "missing field"));
        }
        let thread_size = keyed_field(head, "thread_size", no)?;
        let mut chain = Chain {
            function: String::new(),
            used: keyed_field(head, "used", no)?,
            remaining: keyed_field(head, "remaining", no)?,
            pid: keyed_field(head, "pid", no)?,
            comm: comm.to_string(),
            frames: Vec::new(),
        };
        let cols = lines.expect(
            "        Depth",
            "columns",
            "expected the Depth Size Location line",
        )?;
        let n = cols
            .text
            .rsplit_once('(')
            .and_then(|(_, r)| r.strip_suffix(" entries)"))
            .and_then(decimal)
            .ok_or(malformed(cols.no, "entries", "expected (N entries)"))?;
        lines.expect("        -----", "columns", "expected the ----- line")?;
        for index in 0..n {
            let no = lines.next_no();
            let line =
                lines
                    .next()
                    .ok_or(truncated(no, "max_trace", "fewer rows than announced"))?;
            chain.frames.push(row(line, index)?);
        }
        // Anything after the announced rows is not from the writer.
        lines.end("max_trace", "more rows than announced")?;
        if let Some(f) = chain.frames.first() {
            chain.function = f.function.clone();
        }
        Ok(MaxTrace {
            thread_size,
            chain: Some(chain),
        })
    }

    /// Row `index` of the table: `index) depth size symbol`.
    fn row(line: Line<'_>, index: u64) -> Result<Frame, FormatError> {
        let no = line.no;
        let text = line.checked()?;
        let (idx, mut rest) = text
            .split_once(')')
            .ok_or(malformed(no, "index", "expected N)"))?;
        if decimal(idx.trim_matches(is_space)) != Some(index) {
            return Err(malformed(no, "index", "frame numbers out of order"));
        }
        field(&mut rest, no, "depth")?;
        Frame::read(rest, no, "size", "location")
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
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
