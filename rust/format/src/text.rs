// SPDX-License-Identifier: GPL-2.0 OR MIT
//! What every debugfs file shares: one record a line, `#` lines for headers
//! and sections, whitespace-separated fields, numbers in decimal bytes. The
//! writers' common parts (the settings in headers, symbol names, rows sorted
//! deepest first) and the readers' (lines, fields, errors naming the line
//! and the field, the rows of a function table).

use crate::swcore::budget_sizes::MAX_BUDGETS;
use crate::swcore::stats::Snapshot;
use core::fmt::{self, Write};

/// Name of the row that sums up every function (`summary`, `histogram`).
pub const ALL: &str = "(all)";

/// The function of a chain's frame in code of a module that went away (its
/// address may belong to other code since): `(unloaded) [module]`, read
/// back as this function in that module.
pub const UNLOADED: &str = "(unloaded)";

/// Writes the symbol of a frame in code of `module`, which went away (see
/// [`UNLOADED`]; `None`: a module whose name was not kept).
pub fn write_unloaded(w: &mut dyn Write, module: Option<&str>) -> fmt::Result {
    match module {
        Some(m) => write!(w, "{} [{}]", UNLOADED, m),
        None => w.write_str(UNLOADED),
    }
}

/// Writes the symbol for a code address (`name+0xoff/0xsize [module]` style).
pub trait Symbolize {
    /// Writes `addr` as `name+off/size`, or as hex if unknown.
    fn symbol(&self, addr: usize, w: &mut dyn Write) -> fmt::Result;
    /// Writes just the function name of `addr` (no offset), one token.
    fn name(&self, addr: usize, w: &mut dyn Write) -> fmt::Result;
}

/// Settings shown in every header.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// THREAD_SIZE of the running kernel.
    pub thread_size: usize,
    /// Threshold in remaining bytes (0: off).
    pub threshold: usize,
    /// What-if budgets (0: unused).
    pub budgets: [usize; MAX_BUDGETS],
    /// Whether probes count.
    pub enabled: bool,
}

/// One function's row: its address and statistics.
#[derive(Clone, Copy, Debug)]
pub struct Row {
    /// Function address (table key).
    pub addr: usize,
    /// Its statistics.
    pub stats: Snapshot,
}

/// Whether `a` sorts before `b`: deeper first, then by address.
fn before(a: &Row, b: &Row) -> bool {
    b.stats
        .max_used
        .cmp(&a.stats.max_used)
        .then(a.addr.cmp(&b.addr))
        .is_lt()
}

/// Sorts rows deepest first, then by address, with a heapsort: no recursion
/// and no element copies on the stack. `core`'s sort recurses with a
/// 416-byte frame per level over these rows: reading `summary` once reached
/// 7,200 bytes of stack (the stack tracer's deepest stack in a torture run),
/// too much for the reader of a tool about stack depth.
pub fn sort_rows(rows: &mut [Row]) {
    let n = rows.len();
    let mut i = n.checked_div(2).unwrap_or(0);
    while let Some(k) = i.checked_sub(1) {
        i = k;
        sift_down(rows, i, n);
    }
    let mut end = n;
    while end > 1 {
        end = end.saturating_sub(1);
        swap(rows, 0, end);
        sift_down(rows, 0, end);
    }
}

/// Swaps rows `a < b` (nothing if either is out of range): no panic path.
fn swap(rows: &mut [Row], a: usize, b: usize) {
    if let Some((first, rest)) = rows.get_mut(a..=b).and_then(|s| s.split_first_mut()) {
        if let Some(last) = rest.last_mut() {
            core::mem::swap(first, last);
        }
    }
}

/// Restores the heap below `i` in `rows[..end]`: a max-heap on "sorts
/// after", so that its top belongs at the end.
fn sift_down(rows: &mut [Row], mut i: usize, end: usize) {
    let later = |x: usize, y: usize, rows: &[Row]| match (rows.get(x), rows.get(y)) {
        (Some(a), Some(b)) => before(b, a),
        _ => false,
    };
    loop {
        let l = i.saturating_mul(2).saturating_add(1);
        if l >= end {
            return;
        }
        let r = l.saturating_add(1);
        let c = if r < end && later(r, l, rows) { r } else { l };
        if !later(c, i, rows) {
            return;
        }
        swap(rows, i, c);
        i = c;
    }
}

/// The readers' common parts, which every file's reader takes whole
/// (`use crate::text::reader::*`). No panics: malformed or truncated text
/// (a line cut short, a part the writer always emits missing at the end)
/// gives a [`FormatError`] naming the line and the field.
#[cfg(feature = "std")]
pub mod reader {
    use super::ALL;
    use core::fmt;

    /// What kind of problem a [`FormatError`] is.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum FormatErrorKind {
        /// The text does not have the expected shape.
        Malformed,
        /// The text ends early: a line without its newline, or a part that the
        /// writer always emits is missing at the end.
        Truncated,
    }

    /// A problem in a report file.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FormatError {
        /// 1-based line number (the line after the last one for a missing end).
        pub line: usize,
        /// Malformed or truncated.
        pub kind: FormatErrorKind,
        /// The field or part concerned (`max_used`, `header`, ...).
        pub field: &'static str,
        /// What was wrong, in a few words.
        pub why: &'static str,
    }

    impl fmt::Display for FormatError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "line {}: {}: {}", self.line, self.field, self.why)?;
            if self.kind == FormatErrorKind::Truncated {
                f.write_str(" (file truncated?)")?;
            }
            Ok(())
        }
    }

    pub(crate) fn malformed(line: usize, field: &'static str, why: &'static str) -> FormatError {
        FormatError {
            line,
            kind: FormatErrorKind::Malformed,
            field,
            why,
        }
    }

    pub(crate) fn truncated(line: usize, field: &'static str, why: &'static str) -> FormatError {
        FormatError {
            line,
            kind: FormatErrorKind::Truncated,
            field,
            why,
        }
    }

    /// One line of a file: its number, its text, and whether its newline was there.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct Line<'a> {
        pub(crate) no: usize,
        pub(crate) text: &'a str,
        pub(crate) complete: bool,
    }

    impl<'a> Line<'a> {
        /// The text, or a truncation error if the line has no newline.
        pub(crate) fn checked(self) -> Result<&'a str, FormatError> {
            if self.complete {
                Ok(self.text)
            } else {
                Err(truncated(self.no, "line", "last line has no newline"))
            }
        }

        /// Whether it is a `#` line (a header, a section's columns).
        pub(crate) fn is_comment(&self) -> bool {
            self.text.starts_with('#')
        }
    }

    /// The lines of a file, numbered.
    #[derive(Clone, Debug)]
    pub(crate) struct Lines<'a> {
        rest: &'a str,
        no: usize,
    }

    impl<'a> Lines<'a> {
        pub(crate) fn new(text: &'a str) -> Self {
            Lines { rest: text, no: 0 }
        }

        /// The lines of a file after its first line, and that line, which
        /// must start with `header` (`why` says what else it is not).
        pub(crate) fn header(
            text: &'a str,
            header: &str,
            why: &'static str,
        ) -> Result<(Self, Line<'a>), FormatError> {
            let mut lines = Lines::new(text);
            let first = lines.expect(header, "header", why)?;
            Ok((lines, first))
        }

        /// Number the next line would get (for errors at the end of the text).
        pub(crate) fn next_no(&self) -> usize {
            self.no.saturating_add(1)
        }

        /// The next line that is not blank (`None` at the end); a line
        /// without its newline is an error.
        pub(crate) fn record(&mut self) -> Result<Option<Line<'a>>, FormatError> {
            let blank = |l: &Line<'_>| l.complete && l.text.trim_matches(is_space).is_empty();
            match self.find(|l| !blank(l)) {
                Some(line) => line.checked().map(|_| Some(line)),
                None => Ok(None),
            }
        }

        /// The next line, which must exist, be complete and start with `prefix`.
        pub(crate) fn expect(
            &mut self,
            prefix: &str,
            field: &'static str,
            why: &'static str,
        ) -> Result<Line<'a>, FormatError> {
            let no = self.next_no();
            let line = self.next().ok_or(truncated(no, field, "missing"))?;
            if line.checked()?.starts_with(prefix) {
                Ok(line)
            } else {
                Err(malformed(line.no, field, why))
            }
        }

        /// Fails if anything but blank lines is left (`what` wrote no more).
        pub(crate) fn end(
            &mut self,
            what: &'static str,
            why: &'static str,
        ) -> Result<(), FormatError> {
            match self.find(|l| !l.text.trim_matches(is_space).is_empty()) {
                Some(l) => Err(malformed(l.no, what, why)),
                None => Ok(()),
            }
        }
    }

    impl<'a> Iterator for Lines<'a> {
        type Item = Line<'a>;

        fn next(&mut self) -> Option<Line<'a>> {
            if self.rest.is_empty() {
                return None;
            }
            let (text, rest, complete) = match self.rest.split_once('\n') {
                Some((t, r)) => (t, r, true),
                None => (self.rest, "", false),
            };
            self.rest = rest;
            self.no = self.no.saturating_add(1);
            Some(Line {
                no: self.no,
                text: text.strip_suffix('\r').unwrap_or(text),
                complete,
            })
        }
    }

    pub(crate) fn is_space(c: char) -> bool {
        c.is_ascii_whitespace()
    }

    /// Splits off the first whitespace-separated token; the rest is trimmed at
    /// its start.
    pub(crate) fn split_token(s: &str) -> Option<(&str, &str)> {
        let s = s.trim_start_matches(is_space);
        if s.is_empty() {
            return None;
        }
        let end = s.find(is_space).unwrap_or(s.len());
        let (tok, rest) = s.split_at_checked(end)?;
        Some((tok, rest.trim_start_matches(is_space)))
    }

    /// A decimal number: ASCII digits only, no sign, no overflow.
    pub(crate) fn decimal(tok: &str) -> Option<u64> {
        if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        tok.bytes().try_fold(0u64, |v, b| {
            v.checked_mul(10)?
                .checked_add(u64::from(b.wrapping_sub(b'0')))
        })
    }

    /// A `0x`-prefixed hexadecimal number.
    pub(crate) fn hex(tok: &str) -> Option<u64> {
        let digits = tok.strip_prefix("0x")?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(digits, 16).ok()
    }

    /// Reads the next token of a line as a decimal number.
    pub(crate) fn field(
        rest: &mut &str,
        line: usize,
        name: &'static str,
    ) -> Result<u64, FormatError> {
        decimal(word(rest, line, name)?).ok_or(malformed(line, name, "not a decimal number"))
    }

    /// Reads the next `n` tokens of a line as decimal numbers.
    pub(crate) fn fields(
        rest: &mut &str,
        line: usize,
        n: usize,
        name: &'static str,
    ) -> Result<Vec<u64>, FormatError> {
        (0..n).map(|_| field(rest, line, name)).collect()
    }

    /// Reads the next token of a line as a word.
    pub(crate) fn word<'a>(
        rest: &mut &'a str,
        line: usize,
        name: &'static str,
    ) -> Result<&'a str, FormatError> {
        let (tok, r) = split_token(rest).ok_or(malformed(line, name, "missing field"))?;
        *rest = r;
        Ok(tok)
    }

    /// Fails unless nothing but whitespace is left on the line.
    pub(crate) fn end_of_line(rest: &str, line: usize) -> Result<(), FormatError> {
        if rest.trim_matches(is_space).is_empty() {
            Ok(())
        } else {
            Err(malformed(line, "line", "unexpected extra fields"))
        }
    }

    /// The value after `key` in a `key value key value` header.
    pub(crate) fn keyed(text: &str, key: &str) -> Option<u64> {
        let mut toks = text.split(is_space).filter(|t| !t.is_empty());
        while let Some(t) = toks.next() {
            if t == key {
                return toks.next().and_then(decimal);
            }
        }
        None
    }

    pub(crate) fn keyed_field(
        text: &str,
        key: &'static str,
        line: usize,
    ) -> Result<u64, FormatError> {
        keyed(text, key).ok_or(malformed(line, key, "missing or not a number"))
    }

    /// The rows of a function table (`summary`, `histogram`): one per
    /// function, then the `(all)` row, which must be there and be the last.
    /// `row` reads a row from its name and the fields after it, all of
    /// them; `comment` gets the `#` lines.
    pub(crate) fn function_rows<'a, R>(
        lines: &mut Lines<'a>,
        what: &'static str,
        mut comment: impl FnMut(Line<'a>) -> Result<(), FormatError>,
        mut row: impl FnMut(String, &mut &'a str, usize) -> Result<R, FormatError>,
    ) -> Result<(Vec<R>, R), FormatError> {
        let mut functions = Vec::new();
        let mut all = None;
        while let Some(line) = lines.record()? {
            if line.is_comment() {
                comment(line)?;
                continue;
            }
            if all.is_some() {
                return Err(malformed(line.no, what, "row after the (all) row"));
            }
            let mut rest = line.text;
            let name = word(&mut rest, line.no, "function")?;
            let is_all = name == ALL;
            let r = row(name.to_string(), &mut rest, line.no)?;
            end_of_line(rest, line.no)?;
            if is_all {
                all = Some(r);
            } else {
                functions.push(r);
            }
        }
        let all = all.ok_or(truncated(lines.next_no(), what, "no (all) row at the end"))?;
        Ok((functions, all))
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
pub(crate) mod tests {
    use super::*;
    use crate::swcore::trace::Trace;
    use std::string::String;

    /// Names like the kernel's: `f<hex>` and `f<hex>+0x4/0x80 [mod]`, a bare
    /// address for 0xdead.
    pub(crate) struct Fake;
    impl Symbolize for Fake {
        fn symbol(&self, a: usize, w: &mut dyn Write) -> fmt::Result {
            if a == 0xdead {
                return write!(w, "{:#x}", a);
            }
            write!(w, "f{:x}+0x4/0x80", a)?;
            if a == 0xc {
                w.write_str(" [xfs]")?;
            }
            Ok(())
        }
        fn name(&self, a: usize, w: &mut dyn Write) -> fmt::Result {
            write!(w, "f{:x}", a)
        }
    }

    /// Module counters, each a different number.
    pub(crate) const COUNTERS: crate::summary::Counters = crate::summary::Counters {
        off_stack: 2,
        dropped: 3,
        trace_busy: 4,
        warnings: 5,
        warnings_suppressed: 6,
        unloaded: 7,
        slots_used: 8,
    };

    pub(crate) fn hdr() -> Header {
        Header {
            thread_size: 16384,
            threshold: 1024,
            budgets: [4096, 8192, 0, 0],
            enabled: true,
        }
    }

    pub(crate) fn snap(hits: u64, max: usize) -> Snapshot {
        let mut s = Snapshot {
            hits,
            max_used: max,
            below_threshold: 1,
            ..Default::default()
        };
        s.hist[max / 512] = hits;
        s.over_budget[0] = if max > 4096 { hits } else { 0 };
        s
    }

    pub(crate) fn rows() -> [Row; 2] {
        [
            Row {
                addr: 0xb,
                stats: snap(5, 6000),
            },
            Row {
                addr: 0xa,
                stats: snap(3, 1000),
            },
        ]
    }

    pub(crate) fn trace(used: usize, frames: &[usize], sizes: &[u32]) -> Trace {
        let mut t = Trace::empty();
        t.used = used;
        t.len = frames.len();
        t.frames[..frames.len()].copy_from_slice(frames);
        t.sizes[..sizes.len()].copy_from_slice(sizes);
        t.pid = 42;
        t.comm[..6].copy_from_slice(b"kwork ");
        t.comm[6] = b'x';
        t
    }

    /// Text a writer wrote into a string.
    pub(crate) fn written(f: impl FnOnce(&mut String) -> fmt::Result) -> String {
        let mut s = String::new();
        f(&mut s).unwrap();
        s
    }

    #[test]
    fn heapsort_orders_like_a_sort() {
        // Pseudo-random depths with ties, every length up to 40.
        let mut x = 12345u64;
        for n in 0..40 {
            let mut rows: std::vec::Vec<Row> = (0..n)
                .map(|i| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    Row {
                        addr: i * 16 + 1,
                        stats: snap(1, ((x >> 33) % 7) as usize * 512),
                    }
                })
                .collect();
            let mut want = rows.clone();
            want.sort_by(|a, b| {
                b.stats
                    .max_used
                    .cmp(&a.stats.max_used)
                    .then(a.addr.cmp(&b.addr))
            });
            sort_rows(&mut rows);
            let got: std::vec::Vec<(usize, usize)> =
                rows.iter().map(|r| (r.stats.max_used, r.addr)).collect();
            let want: std::vec::Vec<(usize, usize)> =
                want.iter().map(|r| (r.stats.max_used, r.addr)).collect();
            assert_eq!(got, want, "n = {n}");
        }
    }
}
