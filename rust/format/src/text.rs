//! What every debugfs file shares: one record a line, `#` lines for headers
//! and sections, whitespace-separated fields, numbers in decimal bytes. The
//! writers' common parts (the settings in headers, symbol names, rows sorted
//! deepest first) and the readers' (lines, fields, errors naming the line
//! and the field, `%pS` symbols, tables of rows).

use crate::swcore::budgets::MAX_BUDGETS;
use crate::swcore::stats::Snapshot;
use core::fmt::{self, Write};

/// Name of the row that sums up every function (`summary`, `histogram`).
pub const ALL: &str = "(all)";

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

#[cfg(feature = "std")]
pub use reader::*;

/// The readers' common parts. No panics: malformed or truncated text (a
/// line cut short, a part the writer always emits missing at the end)
/// gives a [`FormatError`] naming the line and the field.
#[cfg(feature = "std")]
mod reader {
    use super::MAX_BUDGETS;
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
    }

    /// Lines with numbers; remembers where it is so a block can be cut out.
    #[derive(Clone, Debug)]
    pub(crate) struct Lines<'a> {
        pub(crate) rest: &'a str,
        pub(crate) no: usize,
    }

    impl<'a> Lines<'a> {
        pub(crate) fn new(text: &'a str) -> Self {
            Lines { rest: text, no: 0 }
        }

        /// Number the next line would get (for errors at the end of the text).
        pub(crate) fn next_no(&self) -> usize {
            self.no.saturating_add(1)
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
        let (tok, r) = split_token(rest).ok_or(malformed(line, name, "missing field"))?;
        *rest = r;
        decimal(tok).ok_or(malformed(line, name, "not a decimal number"))
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

    /// The next line, which must exist, be complete and start with `prefix`.
    pub(crate) fn expect_line<'a>(
        lines: &mut Lines<'a>,
        prefix: &str,
        field: &'static str,
        why: &'static str,
    ) -> Result<Line<'a>, FormatError> {
        let no = lines.next_no();
        let line = lines.next().ok_or(truncated(no, field, "missing"))?;
        let text = line.checked()?;
        if text.starts_with(prefix) {
            Ok(line)
        } else {
            Err(malformed(line.no, field, why))
        }
    }

    /// Up to `N` numbers, e.g. the configured budgets.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct List<const N: usize> {
        vals: [u64; N],
        len: usize,
    }

    impl<const N: usize> List<N> {
        /// An empty list.
        pub const fn new() -> Self {
            List {
                vals: [0; N],
                len: 0,
            }
        }

        /// The values.
        pub fn as_slice(&self) -> &[u64] {
            self.vals.get(..self.len).unwrap_or(&[])
        }

        /// Appends `v`; false (and nothing changes) when the list is full.
        #[must_use]
        pub fn push(&mut self, v: u64) -> bool {
            let Some(slot) = self.vals.get_mut(self.len) else {
                return false;
            };
            *slot = v;
            self.len = self.len.saturating_add(1);
            true
        }

        /// Number of values.
        pub fn len(&self) -> usize {
            self.len
        }

        /// True if there are none.
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }
    }

    impl<const N: usize> Default for List<N> {
        fn default() -> Self {
            Self::new()
        }
    }

    /// Budget sizes, or per-budget counts, in column order.
    pub type BudgetList = List<MAX_BUDGETS>;

    /// A frame symbol as `%pS` prints it: `name+0xoff/0xsize [module]`, or a bare
    /// hex address when the kernel had no name for it.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Symbol<'a> {
        /// The whole text, as written.
        pub text: &'a str,
        /// Function name (or the text without the module for unknown forms).
        pub name: &'a str,
        /// Offset into the function.
        pub offset: Option<u64>,
        /// Size of the function.
        pub size: Option<u64>,
        /// Module name, for symbols in a loadable module.
        pub module: Option<&'a str>,
        /// The address, when the kernel printed a bare `0x...` number.
        pub addr: Option<u64>,
    }

    /// Splits a `%pS` symbol into its parts; never fails (unknown forms keep
    /// their text as the name).
    pub fn parse_symbol(text: &str) -> Symbol<'_> {
        let text = text.trim_matches(is_space);
        let (base, module) = match text.strip_suffix(']').and_then(|t| t.rsplit_once(" [")) {
            // `[mod buildid]` with CONFIG_STACKTRACE_BUILD_ID: the name comes first.
            Some((b, m)) => (
                b.trim_end_matches(is_space),
                m.split(is_space).find(|t| !t.is_empty()),
            ),
            None => (text, None),
        };
        let mut sym = Symbol {
            text,
            name: base,
            offset: None,
            size: None,
            module,
            addr: None,
        };
        if let Some((name, off_size)) = base.rsplit_once('+') {
            if let Some((off, size)) = off_size.split_once('/') {
                if let (Some(o), Some(s)) = (hex(off), hex(size)) {
                    if !name.is_empty() {
                        sym.name = name;
                        sym.offset = Some(o);
                        sym.size = Some(s);
                    }
                }
            }
        } else {
            sym.addr = hex(base);
        }
        sym
    }

    // ---------------------------------------------------------------- tables ---

    /// What a table file needs: how to read its header lines, how to read a row,
    /// and whether the writer always ends it with an `(all)` row.
    pub(crate) trait FileTable<'a> {
        type Context: Copy;
        type Row;
        /// The file's kind, for errors about a missing end.
        const WHAT: &'static str;
        /// Whether the last row is always `(all)`.
        const NEEDS_ALL: bool;
        fn header(lines: &mut Lines<'a>) -> Result<Self::Context, FormatError>;
        fn row(ctx: &Self::Context, line: usize, text: &'a str) -> Result<Self::Row, FormatError>;
        fn is_all(row: &Self::Row) -> bool;
        /// A `#` line after the header: `Ok(true)` if it is the end marker.
        fn comment(
            _ctx: &Self::Context,
            _line: usize,
            _text: &'a str,
        ) -> Result<bool, FormatError> {
            Ok(false)
        }
        /// A row of another kind that this table steps over: `Ok(true)` if
        /// `text` is one (checked, not yielded).
        fn aside(_ctx: &Self::Context, _line: usize, _text: &'a str) -> Result<bool, FormatError> {
            Ok(false)
        }
    }

    enum TableState<C> {
        Start,
        Rows(C),
        Done,
    }

    /// Rows of a table file, each a `Result`; stops after the first error.
    pub(crate) struct Rows<'a, T: FileTable<'a>> {
        pub(crate) lines: Lines<'a>,
        state: TableState<T::Context>,
        pub(crate) saw_all: bool,
        pub(crate) saw_end: bool,
    }

    impl<'a, T: FileTable<'a>> Rows<'a, T> {
        pub(crate) fn new(text: &'a str) -> Self {
            Rows {
                lines: Lines::new(text),
                state: TableState::Start,
                saw_all: false,
                saw_end: false,
            }
        }

        fn fail(&mut self, e: FormatError) -> Option<Result<T::Row, FormatError>> {
            self.state = TableState::Done;
            Some(Err(e))
        }
    }

    impl<'a, T: FileTable<'a>> Iterator for Rows<'a, T> {
        type Item = Result<T::Row, FormatError>;

        fn next(&mut self) -> Option<Self::Item> {
            let ctx = match self.state {
                TableState::Done => return None,
                TableState::Rows(c) => c,
                TableState::Start => match T::header(&mut self.lines) {
                    Ok(c) => {
                        self.state = TableState::Rows(c);
                        c
                    }
                    Err(e) => return self.fail(e),
                },
            };
            loop {
                let Some(line) = self.lines.next() else {
                    self.state = TableState::Done;
                    if T::NEEDS_ALL && !self.saw_all {
                        return Some(Err(truncated(
                            self.lines.next_no(),
                            T::WHAT,
                            "no (all) row at the end",
                        )));
                    }
                    return None;
                };
                let text = match line.checked() {
                    Ok(t) => t,
                    Err(e) => return self.fail(e),
                };
                if text.trim_matches(is_space).is_empty() {
                    continue;
                }
                if text.starts_with('#') {
                    match T::comment(&ctx, line.no, text) {
                        Ok(end) => self.saw_end |= end,
                        Err(e) => return self.fail(e),
                    }
                    continue;
                }
                if T::NEEDS_ALL && self.saw_all {
                    return self.fail(malformed(line.no, T::WHAT, "row after the (all) row"));
                }
                match T::aside(&ctx, line.no, text) {
                    Ok(true) => continue,
                    Ok(false) => {}
                    Err(e) => return self.fail(e),
                }
                return match T::row(&ctx, line.no, text) {
                    Ok(r) => {
                        self.saw_all |= T::is_all(&r);
                        Some(Ok(r))
                    }
                    Err(e) => self.fail(e),
                };
            }
        }
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
