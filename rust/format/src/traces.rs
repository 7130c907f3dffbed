//! The `traces` file: per function, the deepest chain seen, as a record line
//! `name used remaining pid comm frames`, then one indented line per frame:
//! `size symbol`. `comm` may hold spaces; the frame count after it is what
//! ends it.
//!
//! ```text
//! # stackwatch traces: deepest chain per function, thread_size 16384
//! # function used remaining pid comm frames; then per frame: size symbol
//! xfs_bmapi_write 6000 10384 42 kworker/u8:1 2
//!       0 xfs_bmapi_write+0x0/0x7b0 [xfs]
//!    5000 xfs_alloc_vextent+0x12/0x300 [xfs]
//! ```

use super::text::{Header, Symbolize};
use crate::swcore::trace::Trace;
use core::fmt::{self, Write};

/// The first header line, before its settings.
pub const HEADER: &str = "# stackwatch traces:";
/// The column line.
pub const COLUMNS: &str = "# function used remaining pid comm frames; then per frame: size symbol";

pub(crate) fn write_chain(w: &mut dyn Write, t: &Trace, sym: &dyn Symbolize) -> fmt::Result {
    for (f, s) in t.frames().iter().zip(t.sizes().iter()) {
        write!(w, "  {:>5} ", s)?;
        sym.symbol(*f, w)?;
        writeln!(w)?;
    }
    Ok(())
}

/// The `traces` file: per function, a record line `name used remaining pid
/// comm frames`, then one indented line per frame: `size symbol`.
pub fn write_traces(
    w: &mut dyn Write,
    h: &Header,
    traces: &[(usize, Trace)],
    sym: &dyn Symbolize,
) -> fmt::Result {
    writeln!(
        w,
        "{} deepest chain per function, thread_size {}",
        HEADER, h.thread_size
    )?;
    writeln!(w, "{}", COLUMNS)?;
    for (addr, t) in traces {
        sym.name(*addr, w)?;
        writeln!(
            w,
            " {} {} {} {} {}",
            t.used,
            h.thread_size.saturating_sub(t.used),
            t.pid,
            if t.comm_str().is_empty() {
                "-"
            } else {
                t.comm_str()
            },
            t.len
        )?;
        write_chain(w, t, sym)?;
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
        word, FormatError, Line, Lines, Symbol,
    };
    use serde::Serialize;

    /// A source position of a frame, from DWARF.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct SourceLine {
        /// Function (the inlined one for inlined frames).
        pub function: Option<String>,
        /// Source file.
        pub file: Option<String>,
        /// Line.
        pub line: Option<u32>,
        /// Column.
        pub column: Option<u32>,
        /// True if this function was inlined into the next entry.
        pub inlined: bool,
    }

    /// One frame of a chain.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Frame {
        /// Stack bytes of the frame.
        pub size: u64,
        /// The symbol as the kernel printed it.
        pub symbol: String,
        /// Function name.
        pub function: String,
        /// Offset into the function.
        pub offset: Option<u64>,
        /// Size of the function.
        pub function_size: Option<u64>,
        /// Module, for module functions.
        pub module: Option<String>,
        /// Source positions, innermost inlined function first (empty unless
        /// symbolized).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        pub source: Vec<SourceLine>,
    }

    /// A call chain: the deepest one seen for a function, or overall.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Chain {
        /// The probed function (frame 0).
        pub function: String,
        /// Used bytes when captured.
        pub used: u64,
        /// Bytes left then.
        pub remaining: u64,
        /// Task id.
        pub pid: u64,
        /// Task name.
        pub comm: String,
        /// Frames, innermost (the probed function) first.
        pub frames: Vec<Frame>,
    }

    pub(crate) fn frame(size: u64, s: &Symbol<'_>) -> Frame {
        Frame {
            size,
            symbol: s.text.to_string(),
            function: s.name.to_string(),
            offset: s.offset,
            function_size: s.size,
            module: s.module.map(str::to_string),
            source: Vec::new(),
        }
    }

    /// Reads a `traces` file.
    pub fn read(text: &str) -> Result<Vec<Chain>, FormatError> {
        traces_header(text)?;
        traces(text)
            .map(|r| {
                r.map(|t| Chain {
                    function: t.name.to_string(),
                    used: t.used,
                    remaining: t.remaining,
                    pid: t.pid,
                    comm: t.comm.to_string(),
                    frames: t.frames().map(|f| frame(f.size, &f.symbol)).collect(),
                })
            })
            .collect()
    }

    /// One frame line: stack bytes of the frame and its symbol.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FrameLine<'a> {
        /// Stack bytes the frame uses.
        pub size: u64,
        /// Where it is.
        pub symbol: Symbol<'a>,
    }

    fn parse_frame(no: usize, text: &str) -> Result<FrameLine<'_>, FormatError> {
        if !text.starts_with(is_space) {
            return Err(malformed(no, "frame", "frame line is not indented"));
        }
        let mut rest = text;
        let size = field(&mut rest, no, "frame size")?;
        let sym = rest.trim_end_matches(is_space);
        if sym.is_empty() {
            return Err(malformed(no, "frame symbol", "missing field"));
        }
        Ok(FrameLine {
            size,
            symbol: parse_symbol(sym),
        })
    }

    /// The frame lines of one [`TraceRecord`], innermost (the probed function) first.
    #[derive(Clone, Debug)]
    pub struct Frames<'a> {
        lines: Lines<'a>,
    }

    impl<'a> Iterator for Frames<'a> {
        type Item = FrameLine<'a>;

        fn next(&mut self) -> Option<FrameLine<'a>> {
            // Checked when the record was read; a bad line cannot come up here.
            self.lines
                .by_ref()
                .find_map(|l| parse_frame(l.no, l.text).ok())
        }
    }

    /// One record of `traces`: the deepest chain seen for one function.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct TraceRecord<'a> {
        /// The probed function.
        pub name: &'a str,
        /// Used bytes when the chain was captured.
        pub used: u64,
        /// Bytes left then.
        pub remaining: u64,
        /// Task id.
        pub pid: u64,
        /// Task name (`-` if unknown; may contain spaces).
        pub comm: &'a str,
        /// Number of frames.
        pub nframes: usize,
        /// Line number of the record line.
        pub line: usize,
        frames_text: &'a str,
    }

    impl<'a> TraceRecord<'a> {
        /// The frames, innermost first.
        pub fn frames(&self) -> Frames<'a> {
            Frames {
                lines: Lines {
                    rest: self.frames_text,
                    no: self.line,
                },
            }
        }
    }

    /// The `thread_size` from the first line of a `traces` file.
    pub fn traces_header(text: &str) -> Result<u64, FormatError> {
        let mut lines = Lines::new(text);
        let first = expect_line(&mut lines, HEADER, "header", "not a stackwatch traces file")?;
        keyed_field(first.text, "thread_size", first.no)
    }

    /// The records of a `traces` file.
    struct Traces<'a> {
        lines: Lines<'a>,
        started: bool,
        done: bool,
    }

    /// The records of a `traces` file, each with its frames.
    pub fn traces(text: &str) -> impl Iterator<Item = Result<TraceRecord<'_>, FormatError>> {
        Traces {
            lines: Lines::new(text),
            started: false,
            done: false,
        }
    }

    impl<'a> Traces<'a> {
        fn record(&mut self, line: Line<'a>) -> Result<TraceRecord<'a>, FormatError> {
            let no = line.no;
            let mut rest = line.checked()?;
            if rest.starts_with(is_space) {
                return Err(malformed(no, "frame", "frame line outside a record"));
            }
            let name = word(&mut rest, no, "function")?;
            let used = field(&mut rest, no, "used")?;
            let remaining = field(&mut rest, no, "remaining")?;
            let pid = field(&mut rest, no, "pid")?;
            let (comm, n) = rest
                .trim_end_matches(is_space)
                .rsplit_once(is_space)
                .ok_or(malformed(no, "comm", "missing field"))?;
            let comm = comm.trim_matches(is_space);
            let nframes = decimal(n)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or(malformed(no, "frames", "not a decimal number"))?;
            if comm.is_empty() {
                return Err(malformed(no, "comm", "missing field"));
            }
            let start = self.lines.rest;
            for _ in 0..nframes {
                let next_no = self.lines.next_no();
                let f = self.lines.next().ok_or(truncated(
                    next_no,
                    "frame",
                    "fewer frame lines than announced",
                ))?;
                parse_frame(f.no, f.checked()?)?;
            }
            let len = start.len().saturating_sub(self.lines.rest.len());
            Ok(TraceRecord {
                name,
                used,
                remaining,
                pid,
                comm,
                nframes,
                line: no,
                frames_text: start.get(..len).unwrap_or(""),
            })
        }
    }

    impl<'a> Iterator for Traces<'a> {
        type Item = Result<TraceRecord<'a>, FormatError>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.done {
                return None;
            }
            if !self.started {
                self.started = true;
                let r = expect_line(
                    &mut self.lines,
                    HEADER,
                    "header",
                    "not a stackwatch traces file",
                )
                .and_then(|_| expect_line(&mut self.lines, "#", "columns", "expected a # line"));
                if let Err(e) = r {
                    self.done = true;
                    return Some(Err(e));
                }
            }
            loop {
                let line = self.lines.next()?;
                if line.complete && line.text.trim_matches(is_space).is_empty() {
                    continue;
                }
                if line.complete && line.text.starts_with('#') {
                    continue;
                }
                let r = self.record(line);
                self.done = r.is_err();
                return Some(r);
            }
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
        let ts = [
            (0xb, trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000])),
            (0xa, trace(1000, &[0xa], &[1000])),
        ];
        let text = written(|s| write_traces(s, &hdr(), &ts, &Fake));
        let chains = read(&text).unwrap();
        assert_eq!(chains.len(), 2);
        let c = &chains[0];
        assert_eq!(
            (
                c.function.as_str(),
                c.used,
                c.remaining,
                c.pid,
                c.comm.as_str()
            ),
            ("fb", 6000, 10384, 42, "kwork x")
        );
        assert_eq!(c.frames.len(), 3);
        assert_eq!(c.frames[1].module.as_deref(), Some("xfs"));
        assert_eq!(c.frames[1].function, "fc");
        assert_eq!(c.frames[2].symbol, "0xdead");
        assert_eq!(c.frames[2].size, 1000);
        assert!(read(&text.replace("kwork x 3", "kwork x 9")).is_err());
    }
}
