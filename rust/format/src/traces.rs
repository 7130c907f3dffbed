// SPDX-License-Identifier: GPL-2.0 OR MIT
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

/// Reading a `traces` file back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::text::reader::*;
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

    impl Frame {
        /// A frame from the rest of its line (in `traces` and `max_trace`):
        /// its size, then its symbol to the end of the line; the fields'
        /// names are the file's.
        pub(crate) fn read(
            mut rest: &str,
            no: usize,
            size: &'static str,
            symbol: &'static str,
        ) -> Result<Frame, FormatError> {
            let bytes = field(&mut rest, no, size)?;
            let text = rest.trim_end_matches(is_space);
            if text.is_empty() {
                return Err(malformed(no, symbol, "missing field"));
            }
            Ok(Frame::new(bytes, text))
        }

        /// A frame of `size` bytes at `symbol` as `%pS` prints it:
        /// `name+0xoff/0xsize [module]`, or a bare hex address when the
        /// kernel had no name for it (unknown forms keep their text as the
        /// function name).
        fn new(size: u64, symbol: &str) -> Frame {
            let text = symbol.trim_matches(is_space);
            let (base, module) = match text.strip_suffix(']').and_then(|t| t.rsplit_once(" [")) {
                // `[mod buildid]` with CONFIG_STACKTRACE_BUILD_ID: the name comes first.
                Some((b, m)) => (
                    b.trim_end_matches(is_space),
                    m.split(is_space).find(|t| !t.is_empty()),
                ),
                None => (text, None),
            };
            let parts = base.rsplit_once('+').and_then(|(name, off_size)| {
                let (off, size) = off_size.split_once('/')?;
                Some((name, hex(off)?, hex(size)?)).filter(|(name, ..)| !name.is_empty())
            });
            Frame {
                size,
                symbol: text.to_string(),
                function: parts.map_or(base, |p| p.0).to_string(),
                offset: parts.map(|p| p.1),
                function_size: parts.map(|p| p.2),
                module: module.map(str::to_string),
                source: Vec::new(),
            }
        }
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

    /// Reads a `traces` file.
    pub fn read(text: &str) -> Result<Vec<Chain>, FormatError> {
        let (mut lines, first) = Lines::header(text, HEADER, "not a stackwatch traces file")?;
        keyed_field(first.text, "thread_size", first.no)?;
        lines.expect("#", "columns", "expected a # line")?;
        let mut chains = Vec::new();
        while let Some(line) = lines.record()? {
            if !line.is_comment() {
                chains.push(chain(line, &mut lines)?);
            }
        }
        Ok(chains)
    }

    /// One record: its line `name used remaining pid comm frames`, then its
    /// frame lines from `lines`.
    fn chain(line: Line<'_>, lines: &mut Lines<'_>) -> Result<Chain, FormatError> {
        let no = line.no;
        let mut rest = line.text;
        if rest.starts_with(is_space) {
            return Err(malformed(no, "frame", "frame line outside a record"));
        }
        let function = word(&mut rest, no, "function")?.to_string();
        let used = field(&mut rest, no, "used")?;
        let remaining = field(&mut rest, no, "remaining")?;
        let pid = field(&mut rest, no, "pid")?;
        let (comm, n) = rest
            .trim_end_matches(is_space)
            .rsplit_once(is_space)
            .ok_or(malformed(no, "comm", "missing field"))?;
        let comm = comm.trim_matches(is_space);
        let nframes = decimal(n).ok_or(malformed(no, "frames", "not a decimal number"))?;
        if comm.is_empty() {
            return Err(malformed(no, "comm", "missing field"));
        }
        let mut frames = Vec::new();
        for _ in 0..nframes {
            let next_no = lines.next_no();
            let f = lines.next().ok_or(truncated(
                next_no,
                "frame",
                "fewer frame lines than announced",
            ))?;
            frames.push(frame_line(f)?);
        }
        Ok(Chain {
            function,
            used,
            remaining,
            pid,
            comm: comm.to_string(),
            frames,
        })
    }

    /// A frame line: the frame's size, then its symbol, indented.
    fn frame_line(line: Line<'_>) -> Result<Frame, FormatError> {
        let no = line.no;
        let text = line.checked()?;
        if !text.starts_with(is_space) {
            return Err(malformed(no, "frame", "frame line is not indented"));
        }
        Frame::read(text, no, "frame size", "frame symbol")
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

    #[test]
    fn unloaded_frames_round_trip() {
        struct Gone;
        impl Symbolize for Gone {
            fn symbol(&self, addr: usize, w: &mut dyn Write) -> fmt::Result {
                match addr {
                    1 => crate::text::write_unloaded(w, Some("xfs")),
                    2 => crate::text::write_unloaded(w, None),
                    _ => Fake.symbol(addr, w),
                }
            }
            fn name(&self, addr: usize, w: &mut dyn Write) -> fmt::Result {
                Fake.name(addr, w)
            }
        }
        let t = trace(900, &[0xf000, 1, 2], &[0, 500, 400]);
        let text = written(|s| write_traces(s, &hdr(), &[(0xf000, t)], &Gone));
        assert!(text.contains("(unloaded) [xfs]\n"), "{text}");
        let chains = read(&text).unwrap();
        let f = &chains[0].frames;
        assert_eq!(f[1].function, crate::text::UNLOADED);
        assert_eq!(f[1].module.as_deref(), Some("xfs"));
        assert_eq!(f[1].offset, None);
        assert_eq!(f[2].function, crate::text::UNLOADED);
        assert_eq!(f[2].module, None);
    }
}
