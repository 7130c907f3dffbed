//! Readers of the debugfs report files that `debugfs_format.rs` and the module's
//! `probes` file write: headers into small structs, rows as borrowing
//! iterators of `Result`s. No allocation, no panics: malformed or truncated
//! text (a line cut short, a missing `(all)` row or counters line, too few
//! frame lines) gives a [`FormatError`] naming the line and the field.
//! Used by the command only (the kernel writes these files, in
//! `stackwatch-core`'s `debugfs_format.rs` and the module's `probes` file).

use core::fmt;
use stackwatch_core::budgets::MAX_BUDGETS;
use stackwatch_core::debugfs_format::Counters;
use stackwatch_core::hist::BUCKETS;

/// Name of the row that sums up every function (`summary`, `histogram`).
pub const ALL: &str = "(all)";

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

fn malformed(line: usize, field: &'static str, why: &'static str) -> FormatError {
    FormatError {
        line,
        kind: FormatErrorKind::Malformed,
        field,
        why,
    }
}

fn truncated(line: usize, field: &'static str, why: &'static str) -> FormatError {
    FormatError {
        line,
        kind: FormatErrorKind::Truncated,
        field,
        why,
    }
}

/// One line of a file: its number, its text, and whether its newline was there.
#[derive(Clone, Copy, Debug)]
struct Line<'a> {
    no: usize,
    text: &'a str,
    complete: bool,
}

impl<'a> Line<'a> {
    /// The text, or a truncation error if the line has no newline.
    fn checked(self) -> Result<&'a str, FormatError> {
        if self.complete {
            Ok(self.text)
        } else {
            Err(truncated(self.no, "line", "last line has no newline"))
        }
    }
}

/// Lines with numbers; remembers where it is so a block can be cut out.
#[derive(Clone, Debug)]
struct Lines<'a> {
    rest: &'a str,
    no: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines { rest: text, no: 0 }
    }

    /// Number the next line would get (for errors at the end of the text).
    fn next_no(&self) -> usize {
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

fn is_space(c: char) -> bool {
    c.is_ascii_whitespace()
}

/// Splits off the first whitespace-separated token; the rest is trimmed at
/// its start.
fn split_token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(is_space);
    if s.is_empty() {
        return None;
    }
    let end = s.find(is_space).unwrap_or(s.len());
    let (tok, rest) = s.split_at_checked(end)?;
    Some((tok, rest.trim_start_matches(is_space)))
}

/// A decimal number: ASCII digits only, no sign, no overflow.
fn decimal(tok: &str) -> Option<u64> {
    if tok.is_empty() || !tok.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    tok.bytes().try_fold(0u64, |v, b| {
        v.checked_mul(10)?
            .checked_add(u64::from(b.wrapping_sub(b'0')))
    })
}

/// A `0x`-prefixed hexadecimal number.
fn hex(tok: &str) -> Option<u64> {
    let digits = tok.strip_prefix("0x")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// Reads the next token of a line as a decimal number.
fn field(rest: &mut &str, line: usize, name: &'static str) -> Result<u64, FormatError> {
    let (tok, r) = split_token(rest).ok_or(malformed(line, name, "missing field"))?;
    *rest = r;
    decimal(tok).ok_or(malformed(line, name, "not a decimal number"))
}

/// Reads the next token of a line as a word.
fn word<'a>(rest: &mut &'a str, line: usize, name: &'static str) -> Result<&'a str, FormatError> {
    let (tok, r) = split_token(rest).ok_or(malformed(line, name, "missing field"))?;
    *rest = r;
    Ok(tok)
}

/// Fails unless nothing but whitespace is left on the line.
fn end_of_line(rest: &str, line: usize) -> Result<(), FormatError> {
    if rest.trim_matches(is_space).is_empty() {
        Ok(())
    } else {
        Err(malformed(line, "line", "unexpected extra fields"))
    }
}

/// The value after `key` in a `key value key value` header.
fn keyed(text: &str, key: &str) -> Option<u64> {
    let mut toks = text.split(is_space).filter(|t| !t.is_empty());
    while let Some(t) = toks.next() {
        if t == key {
            return toks.next().and_then(decimal);
        }
    }
    None
}

fn keyed_field(text: &str, key: &'static str, line: usize) -> Result<u64, FormatError> {
    keyed(text, key).ok_or(malformed(line, key, "missing or not a number"))
}

/// The next line, which must exist, be complete and start with `prefix`.
fn expect_line<'a>(
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
trait FileTable<'a> {
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
    fn comment(_ctx: &Self::Context, _line: usize, _text: &'a str) -> Result<bool, FormatError> {
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
struct Rows<'a, T: FileTable<'a>> {
    lines: Lines<'a>,
    state: TableState<T::Context>,
    saw_all: bool,
    saw_end: bool,
}

impl<'a, T: FileTable<'a>> Rows<'a, T> {
    fn new(text: &'a str) -> Self {
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

// --------------------------------------------------------------- summary ---

/// The two header lines of `summary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SummaryHeader {
    /// THREAD_SIZE of the kernel.
    pub thread_size: u64,
    /// Threshold in remaining bytes (0: off).
    pub threshold: u64,
    /// Whether probes were counting.
    pub enabled: bool,
    /// The `over_<budget>` columns, in order.
    pub budgets: BudgetList,
}

/// One row of `summary`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SummaryRow<'a> {
    /// Function name, or `(all)`.
    pub name: &'a str,
    /// On-stack hits.
    pub hits: u64,
    /// Deepest use, bytes.
    pub max_used: u64,
    /// Fewest bytes left.
    pub min_remaining: u64,
    /// Hits that left fewer bytes than the threshold.
    pub below_threshold: u64,
    /// Per budget column: hits that would have overflowed it.
    pub over: BudgetList,
}

impl SummaryRow<'_> {
    /// True for the `(all)` row.
    pub fn is_all(&self) -> bool {
        self.name == ALL
    }
}

const SUMMARY_COLUMNS: &str = "# function hits max_used min_remaining below_threshold";

fn read_summary_header(lines: &mut Lines<'_>) -> Result<SummaryHeader, FormatError> {
    let first = expect_line(
        lines,
        "# stackwatch summary:",
        "header",
        "not a stackwatch summary file",
    )?;
    let thread_size = keyed_field(first.text, "thread_size", first.no)?;
    let threshold = keyed_field(first.text, "threshold", first.no)?;
    let enabled = match keyed(first.text, "enabled") {
        Some(0) => false,
        Some(1) => true,
        _ => return Err(malformed(first.no, "enabled", "expected 0 or 1")),
    };
    let cols = expect_line(lines, SUMMARY_COLUMNS, "columns", "unexpected column names")?;
    let mut budgets = BudgetList::new();
    let extra = cols.text.get(SUMMARY_COLUMNS.len()..).unwrap_or("");
    for tok in extra.split(is_space).filter(|t| !t.is_empty()) {
        let b = tok
            .strip_prefix("over_")
            .and_then(decimal)
            .ok_or(malformed(cols.no, "columns", "expected over_<bytes>"))?;
        if !budgets.push(b) {
            return Err(malformed(cols.no, "columns", "too many budget columns"));
        }
    }
    Ok(SummaryHeader {
        thread_size,
        threshold,
        enabled,
        budgets,
    })
}

/// The `summary` table.
enum SummaryFile {}

impl<'a> FileTable<'a> for SummaryFile {
    type Context = SummaryHeader;
    type Row = SummaryRow<'a>;
    const WHAT: &'static str = "summary";
    const NEEDS_ALL: bool = true;

    fn header(lines: &mut Lines<'a>) -> Result<SummaryHeader, FormatError> {
        read_summary_header(lines)
    }

    fn row(h: &SummaryHeader, no: usize, text: &'a str) -> Result<SummaryRow<'a>, FormatError> {
        let mut rest = text;
        let name = word(&mut rest, no, "function")?;
        let hits = field(&mut rest, no, "hits")?;
        let max_used = field(&mut rest, no, "max_used")?;
        let min_remaining = field(&mut rest, no, "min_remaining")?;
        let below_threshold = field(&mut rest, no, "below_threshold")?;
        let mut over = BudgetList::new();
        for _ in h.budgets.as_slice() {
            let v = field(&mut rest, no, "over_budget")?;
            if !over.push(v) {
                return Err(malformed(no, "over_budget", "too many columns"));
            }
        }
        end_of_line(rest, no)?;
        Ok(SummaryRow {
            name,
            hits,
            max_used,
            min_remaining,
            below_threshold,
            over,
        })
    }

    fn is_all(r: &SummaryRow<'a>) -> bool {
        r.is_all()
    }

    fn comment(_: &SummaryHeader, no: usize, text: &'a str) -> Result<bool, FormatError> {
        if text.starts_with("# off_stack") {
            parse_counters(text, no)?;
            return Ok(true);
        }
        Ok(false)
    }
}

/// The header of a `summary` file.
pub fn summary_header(text: &str) -> Result<SummaryHeader, FormatError> {
    read_summary_header(&mut Lines::new(text))
}

/// The rows of a `summary` file, functions deepest first, then `(all)`.
/// Ends with an error if the `(all)` row is missing.
pub fn summary_rows(text: &str) -> impl Iterator<Item = Result<SummaryRow<'_>, FormatError>> {
    Rows::<SummaryFile>::new(text)
}

fn parse_counters(text: &str, no: usize) -> Result<Counters, FormatError> {
    Ok(Counters {
        off_stack: keyed_field(text, "off_stack", no)?,
        dropped: keyed_field(text, "dropped", no)?,
        trace_busy: keyed_field(text, "trace_busy", no)?,
        warnings: keyed_field(text, "warnings", no)?,
        warnings_suppressed: keyed_field(text, "warnings_suppressed", no)?,
    })
}

/// The module counters from the last line of a `summary` file.
pub fn summary_counters(text: &str) -> Result<Counters, FormatError> {
    let mut lines = Lines::new(text);
    let mut found = None;
    for line in lines.by_ref() {
        if line.text.starts_with("# off_stack") {
            found = Some(line);
        }
    }
    let line = found.ok_or(truncated(
        lines.next_no(),
        "counters",
        "no '# off_stack' line",
    ))?;
    parse_counters(line.checked()?, line.no)
}

// ---------------------------------------------------------------- traces ---

/// One frame line: stack bytes of the frame and its symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Stack bytes the frame uses.
    pub size: u64,
    /// Where it is.
    pub symbol: Symbol<'a>,
}

fn parse_frame(no: usize, text: &str) -> Result<Frame<'_>, FormatError> {
    if !text.starts_with(is_space) {
        return Err(malformed(no, "frame", "frame line is not indented"));
    }
    let mut rest = text;
    let size = field(&mut rest, no, "frame size")?;
    let sym = rest.trim_end_matches(is_space);
    if sym.is_empty() {
        return Err(malformed(no, "frame symbol", "missing field"));
    }
    Ok(Frame {
        size,
        symbol: parse_symbol(sym),
    })
}

/// The frames of one [`TraceRecord`], innermost (the probed function) first.
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    lines: Lines<'a>,
}

impl<'a> Iterator for Frames<'a> {
    type Item = Frame<'a>;

    fn next(&mut self) -> Option<Frame<'a>> {
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
    let first = expect_line(
        &mut lines,
        "# stackwatch traces:",
        "header",
        "not a stackwatch traces file",
    )?;
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
                "# stackwatch traces:",
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

// ------------------------------------------------------------- max_trace ---

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
    let first = expect_line(
        lines,
        "# stackwatch max_trace:",
        "header",
        "not a stackwatch max_trace file",
    )?;
    let no = first.no;
    let body = first
        .text
        .get("# stackwatch max_trace:".len()..)
        .unwrap_or("");
    if body
        .trim_start_matches(is_space)
        .starts_with("nothing recorded")
    {
        return Ok(MaxTraceHeader {
            thread_size: keyed_field(body, "thread_size", no)?,
            task: None,
        });
    }
    let (head, comm) = body
        .split_once(" comm ")
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
pub fn max_trace_rows(text: &str) -> impl Iterator<Item = Result<MaxTraceRow<'_>, FormatError>> {
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
        let (idx, mut rest) = text
            .split_once(')')
            .ok_or(malformed(no, "index", "expected N)"))?;
        if decimal(idx.trim_matches(is_space)).and_then(|i| usize::try_from(i).ok()) != Some(index)
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

// ------------------------------------------------------------- histogram ---

/// The header of `histogram`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistogramHeader {
    /// Width of each bucket in bytes.
    pub bucket_width: u64,
    /// Lower bound of each bucket in bytes.
    pub bounds: [u64; BUCKETS],
}

/// One row of `histogram`: hits per bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistogramRow<'a> {
    /// Function name, or `(all)`.
    pub name: &'a str,
    /// Hits whose use fell in each bucket.
    pub counts: [u64; BUCKETS],
}

fn read_histogram_header(lines: &mut Lines<'_>) -> Result<HistogramHeader, FormatError> {
    let first = expect_line(
        lines,
        "# stackwatch histogram:",
        "header",
        "not a stackwatch histogram file",
    )?;
    let bucket_width = keyed(first.text, "width").ok_or(malformed(
        first.no,
        "bucket width",
        "missing or not a number",
    ))?;
    let cols = expect_line(lines, "# function", "columns", "expected # function ...")?;
    let mut bounds = [0u64; BUCKETS];
    let mut toks = cols
        .text
        .get("# function".len()..)
        .unwrap_or("")
        .split(is_space)
        .filter(|t| !t.is_empty());
    for b in bounds.iter_mut() {
        let t = toks
            .next()
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
    type Row = HistogramRow<'a>;
    const WHAT: &'static str = "histogram";
    const NEEDS_ALL: bool = true;

    fn header(lines: &mut Lines<'a>) -> Result<HistogramHeader, FormatError> {
        read_histogram_header(lines)
    }

    fn row(_: &HistogramHeader, no: usize, text: &'a str) -> Result<HistogramRow<'a>, FormatError> {
        let mut rest = text;
        let name = word(&mut rest, no, "function")?;
        let mut counts = [0u64; BUCKETS];
        for c in counts.iter_mut() {
            *c = field(&mut rest, no, "bucket count")?;
        }
        end_of_line(rest, no)?;
        Ok(HistogramRow { name, counts })
    }

    fn is_all(r: &HistogramRow<'a>) -> bool {
        r.name == ALL
    }
}

/// The header of a `histogram` file.
pub fn histogram_header(text: &str) -> Result<HistogramHeader, FormatError> {
    read_histogram_header(&mut Lines::new(text))
}

/// The rows of a `histogram` file, then `(all)`.
pub fn histogram_rows(text: &str) -> impl Iterator<Item = Result<HistogramRow<'_>, FormatError>> {
    Rows::<HistogramFile>::new(text)
}

// ---------------------------------------------------------------- probes ---

/// An attached probe spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attached<'a> {
    /// Symbol or glob as written.
    pub spec: &'a str,
    /// `kprobe` or `fprobe`.
    pub mechanism: &'a str,
    /// Functions it covers.
    pub functions: u64,
    /// Hits counted.
    pub hits: u64,
    /// Hits not on the task stack.
    pub off_stack: u64,
    /// Hits the probe mechanism missed.
    pub missed: u64,
}

/// A name that could not be attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skipped<'a> {
    /// The name.
    pub name: &'a str,
    /// Errno name, e.g. `ENOENT`.
    pub errno_name: &'a str,
    /// Errno value as the kernel returned it (negative).
    pub errno: i64,
}

/// One row of the `probes` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeRow<'a> {
    /// An attached spec.
    Attached(Attached<'a>),
    /// A skipped name.
    Skipped(Skipped<'a>),
}

/// A spec waiting for a module that has its functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending<'a> {
    /// Symbol or glob as written.
    pub name: &'a str,
    /// `kprobe` or `fprobe`.
    pub mechanism: &'a str,
}

/// Parses the rest of a `pending NAME kprobe|fprobe` row.
fn pending_row<'a>(no: usize, mut rest: &'a str) -> Result<Pending<'a>, FormatError> {
    let name = word(&mut rest, no, "name")?;
    let mechanism = word(&mut rest, no, "mechanism")?;
    if mechanism != "kprobe" && mechanism != "fprobe" {
        return Err(malformed(no, "mechanism", "expected kprobe or fprobe"));
    }
    end_of_line(rest, no)?;
    Ok(Pending { name, mechanism })
}

/// The first word of a row.
fn state_of(text: &str) -> &str {
    text.split(is_space).find(|t| !t.is_empty()).unwrap_or("")
}

/// The `probes` table.
enum ProbesFile {}

const PROBES_COLUMNS: &str = "# state spec mechanism functions hits off_stack missed";
const SKIPPED_COLUMNS: &str = "# state name errno";

impl<'a> FileTable<'a> for ProbesFile {
    type Context = ();
    type Row = ProbeRow<'a>;
    const WHAT: &'static str = "probes";
    const NEEDS_ALL: bool = false;

    fn header(lines: &mut Lines<'a>) -> Result<(), FormatError> {
        expect_line(
            lines,
            PROBES_COLUMNS,
            "header",
            "not a stackwatch probes file",
        )?;
        Ok(())
    }

    fn row(_: &(), no: usize, text: &'a str) -> Result<ProbeRow<'a>, FormatError> {
        let mut rest = text;
        let row = match word(&mut rest, no, "state")? {
            "attached" => ProbeRow::Attached(Attached {
                spec: word(&mut rest, no, "spec")?,
                mechanism: word(&mut rest, no, "mechanism")?,
                functions: field(&mut rest, no, "functions")?,
                hits: field(&mut rest, no, "hits")?,
                off_stack: field(&mut rest, no, "off_stack")?,
                missed: field(&mut rest, no, "missed")?,
            }),
            "skipped" => {
                let name = word(&mut rest, no, "name")?;
                let errno_name = word(&mut rest, no, "errno name")?;
                let v = word(&mut rest, no, "errno")?;
                let errno = match v.strip_prefix('-') {
                    Some(d) => decimal(d)
                        .and_then(|d| i64::try_from(d).ok())
                        .map(|d| d.wrapping_neg()),
                    None => decimal(v).and_then(|d| i64::try_from(d).ok()),
                }
                .ok_or(malformed(no, "errno", "not a number"))?;
                ProbeRow::Skipped(Skipped {
                    name,
                    errno_name,
                    errno,
                })
            }
            _ => return Err(malformed(no, "state", "expected attached or skipped")),
        };
        end_of_line(rest, no)?;
        Ok(row)
    }

    fn is_all(_: &ProbeRow<'a>) -> bool {
        false
    }

    fn comment(_: &(), _: usize, text: &'a str) -> Result<bool, FormatError> {
        Ok(text.starts_with(SKIPPED_COLUMNS))
    }

    /// Pending rows (`pending_rows` yields them) are checked and stepped over.
    fn aside(_: &(), no: usize, text: &'a str) -> Result<bool, FormatError> {
        let mut rest = text;
        if word(&mut rest, no, "state")? != "pending" {
            return Ok(false);
        }
        pending_row(no, rest).map(|_| true)
    }
}

/// The `pending` rows of a `probes` file alone.
enum PendingSection {}

impl<'a> FileTable<'a> for PendingSection {
    type Context = ();
    type Row = Pending<'a>;
    const WHAT: &'static str = "probes";
    const NEEDS_ALL: bool = false;

    fn header(lines: &mut Lines<'a>) -> Result<(), FormatError> {
        ProbesFile::header(lines)
    }

    fn row(_: &(), no: usize, text: &'a str) -> Result<Pending<'a>, FormatError> {
        let mut rest = text;
        match word(&mut rest, no, "state")? {
            "pending" => pending_row(no, rest),
            _ => Err(malformed(no, "state", "expected pending")),
        }
    }

    fn is_all(_: &Pending<'a>) -> bool {
        false
    }

    /// Attached and skipped rows are `probe_rows`' to check.
    fn aside(_: &(), _: usize, text: &'a str) -> Result<bool, FormatError> {
        Ok(matches!(state_of(text), "attached" | "skipped"))
    }
}

/// The specs of a `probes` file waiting for their module (`pending NAME
/// kprobe|fprobe`, between the attached and the skipped rows); `probe_rows`
/// checks and steps over them.
pub fn pending_rows(text: &str) -> impl Iterator<Item = Result<Pending<'_>, FormatError>> {
    Rows::<PendingSection>::new(text)
}

/// The rows of a `probes` file: attached specs, then skipped names (pending
/// ones, in between, are `pending_rows`').
pub fn probe_rows(text: &str) -> impl Iterator<Item = Result<ProbeRow<'_>, FormatError>> {
    ProbeRows {
        rows: Rows::new(text),
        done: false,
    }
}

/// Rows of `probes`; ends with an error if the skipped section's header
/// (always written) is missing.
struct ProbeRows<'a> {
    rows: Rows<'a, ProbesFile>,
    done: bool,
}

impl<'a> Iterator for ProbeRows<'a> {
    type Item = Result<ProbeRow<'a>, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        // `saw_end` is set by the `# state name errno` line; skipped rows come
        // after it, attached ones before.
        let r = self.rows.next();
        let in_skipped = self.rows.saw_end;
        match r {
            Some(Ok(ProbeRow::Skipped(_))) if !in_skipped => {
                self.done = true;
                Some(Err(malformed(
                    self.rows.lines.no,
                    "probes",
                    "skipped row before '# state name errno'",
                )))
            }
            Some(Ok(ProbeRow::Attached(_))) if in_skipped => {
                self.done = true;
                Some(Err(malformed(
                    self.rows.lines.no,
                    "probes",
                    "attached row after '# state name errno'",
                )))
            }
            Some(r) => {
                self.done = r.is_err();
                Some(r)
            }
            None => {
                self.done = true;
                if in_skipped {
                    None
                } else {
                    Some(Err(truncated(
                        self.rows.lines.next_no(),
                        "probes",
                        "no '# state name errno' line",
                    )))
                }
            }
        }
    }
}

// --------------------------------------------------------------- budgets ---

/// One row of `budgets`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetRow {
    /// Budget in bytes.
    pub budget: u64,
    /// Hits that would have overflowed it.
    pub over: u64,
}

/// The `budgets` table.
enum BudgetsFile {}

impl<'a> FileTable<'a> for BudgetsFile {
    type Context = ();
    type Row = BudgetRow;
    const WHAT: &'static str = "budgets";
    const NEEDS_ALL: bool = false;

    fn header(lines: &mut Lines<'a>) -> Result<(), FormatError> {
        expect_line(lines, "# budget", "header", "not a stackwatch budgets file")?;
        Ok(())
    }

    fn row(_: &(), no: usize, text: &'a str) -> Result<BudgetRow, FormatError> {
        let mut rest = text;
        let budget = field(&mut rest, no, "budget")?;
        let over = field(&mut rest, no, "over_count")?;
        end_of_line(rest, no)?;
        Ok(BudgetRow { budget, over })
    }

    fn is_all(_: &BudgetRow) -> bool {
        false
    }
}

/// The rows of a `budgets` file.
pub fn budget_rows(text: &str) -> impl Iterator<Item = Result<BudgetRow, FormatError>> + '_ {
    Rows::<BudgetsFile>::new(text)
}

// ------------------------------------------------------- one-value files ---

/// A file holding one decimal number (`thread_size`, `threshold`).
pub fn number_file(text: &str) -> Result<u64, FormatError> {
    let mut lines = Lines::new(text);
    let line = lines.next().ok_or(truncated(1, "value", "empty file"))?;
    let v = decimal(line.checked()?.trim_matches(is_space)).ok_or(malformed(
        line.no,
        "value",
        "not a decimal number",
    ))?;
    match lines.find(|l| !l.text.trim_matches(is_space).is_empty()) {
        Some(l) => Err(malformed(l.no, "value", "more than one line")),
        None => Ok(v),
    }
}

/// A file holding `0` or `1` (`enabled`).
pub fn bool_file(text: &str) -> Result<bool, FormatError> {
    match number_file(text)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(malformed(1, "value", "expected 0 or 1")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;
    use stackwatch_core::debugfs_format::{self, Header, Row, Symbolize};
    use stackwatch_core::hist::bucket_range;
    use stackwatch_core::stats::Snapshot;
    use stackwatch_core::trace::Trace;
    use std::string::String;
    use std::vec::Vec;

    /// Names like the kernel's: `f<hex>` and `f<hex>+0x4/0x80 [mod]`.
    struct Fake;
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

    fn hdr() -> Header {
        Header {
            thread_size: 16384,
            threshold: 1024,
            budgets: [4096, 8192, 0, 0],
            enabled: true,
        }
    }

    fn snap(hits: u64, max: usize) -> Snapshot {
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

    fn rows() -> [Row; 2] {
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

    fn summary_text() -> String {
        let mut s = String::new();
        let c = Counters {
            off_stack: 2,
            dropped: 3,
            trace_busy: 4,
            warnings: 5,
            warnings_suppressed: 6,
        };
        debugfs_format::write_summary(&mut s, &hdr(), &rows(), &snap(8, 6000), &c, &Fake).unwrap();
        s
    }

    fn trace(used: usize, frames: &[usize], sizes: &[u32]) -> Trace {
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

    fn traces_text() -> String {
        let mut s = String::new();
        let ts = [
            (0xb, trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000])),
            (0xa, trace(1000, &[0xa], &[1000])),
        ];
        debugfs_format::write_traces(&mut s, &hdr(), &ts, &Fake).unwrap();
        s
    }

    fn max_trace_text() -> String {
        let mut s = String::new();
        let t = trace(6000, &[0xb, 0xc, 0xdead], &[0, 5000, 1000]);
        debugfs_format::write_max_trace(&mut s, &hdr(), Some(&t), &Fake).unwrap();
        s
    }

    fn histogram_text() -> String {
        let mut s = String::new();
        debugfs_format::write_histogram(&mut s, &hdr(), &rows(), &snap(8, 6000), &Fake).unwrap();
        s
    }

    fn budgets_text() -> String {
        let mut s = String::new();
        debugfs_format::write_budgets(&mut s, &hdr(), &snap(8, 6000)).unwrap();
        s
    }

    const PROBES: &str = "# state spec mechanism functions hits off_stack missed\n\
        attached xfs_* fprobe 1612 4567 3 0\n\
        attached submit_bio kprobe 1 99 0 1\n\
        # state name errno\n\
        skipped foo_bar ENOENT -2\n";

    #[test]
    fn summary_round_trip() {
        let text = summary_text();
        let h = summary_header(&text).unwrap();
        assert_eq!((h.thread_size, h.threshold, h.enabled), (16384, 1024, true));
        assert_eq!(h.budgets.as_slice(), &[4096, 8192]);
        let rows: Vec<SummaryRow<'_>> = summary_rows(&text).map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].name, "fb");
        assert_eq!(
            (rows[0].hits, rows[0].max_used, rows[0].min_remaining),
            (5, 6000, 10384)
        );
        assert_eq!(rows[0].below_threshold, 1);
        assert_eq!(rows[0].over.as_slice(), &[5, 0]);
        assert!(rows[2].is_all() && !rows[0].is_all());
        let c = summary_counters(&text).unwrap();
        assert_eq!(
            (
                c.off_stack,
                c.dropped,
                c.trace_busy,
                c.warnings,
                c.warnings_suppressed
            ),
            (2, 3, 4, 5, 6)
        );
    }

    #[test]
    fn summary_without_budgets() {
        let mut h = hdr();
        h.budgets = [0; 4];
        let mut s = String::new();
        debugfs_format::write_summary(
            &mut s,
            &h,
            &rows(),
            &snap(8, 6000),
            &Counters::default(),
            &Fake,
        )
        .unwrap();
        assert!(summary_header(&s).unwrap().budgets.is_empty());
        assert_eq!(summary_rows(&s).filter(Result::is_ok).count(), 3);
    }

    #[test]
    fn traces_round_trip() {
        let text = traces_text();
        assert_eq!(traces_header(&text), Ok(16384));
        let recs: Vec<TraceRecord<'_>> = traces(&text).map(Result::unwrap).collect();
        assert_eq!(recs.len(), 2);
        let r = &recs[0];
        assert_eq!(
            (r.name, r.used, r.remaining, r.pid, r.comm, r.nframes),
            ("fb", 6000, 10384, 42, "kwork x", 3)
        );
        let f: Vec<Frame<'_>> = r.frames().collect();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].size, 0);
        assert_eq!(f[0].symbol.name, "fb");
        assert_eq!(f[0].symbol.offset, Some(4));
        assert_eq!(f[0].symbol.size, Some(0x80));
        assert_eq!(f[1].symbol.module, Some("xfs"));
        assert_eq!(f[1].symbol.name, "fc");
        assert_eq!(f[2].symbol.addr, Some(0xdead));
        assert_eq!(f[2].size, 1000);
        assert_eq!(recs[1].frames().count(), 1);
    }

    #[test]
    fn max_trace_round_trip() {
        let text = max_trace_text();
        let h = max_trace_header(&text).unwrap();
        assert_eq!(h.thread_size, 16384);
        let t = h.task.unwrap();
        assert_eq!(
            (t.used, t.remaining, t.pid, t.comm),
            (6000, 10384, 42, "kwork x")
        );
        let rows: Vec<MaxTraceRow<'_>> = max_trace_rows(&text).map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].index, rows[0].depth, rows[0].size), (0, 6000, 0));
        assert_eq!((rows[1].depth, rows[1].size), (6000, 5000));
        assert_eq!((rows[2].depth, rows[2].size), (1000, 1000));
        assert_eq!(rows[1].symbol.text, "fc+0x4/0x80 [xfs]");

        let mut e = String::new();
        debugfs_format::write_max_trace(&mut e, &hdr(), None, &Fake).unwrap();
        let h = max_trace_header(&e).unwrap();
        assert_eq!((h.thread_size, h.task), (16384, None));
        assert_eq!(max_trace_rows(&e).count(), 0);
    }

    #[test]
    fn histogram_round_trip() {
        let text = histogram_text();
        let h = histogram_header(&text).unwrap();
        assert_eq!(h.bucket_width, 512);
        assert_eq!(h.bounds[1], bucket_range(1, 16384).0 as u64);
        let rows: Vec<HistogramRow<'_>> = histogram_rows(&text).map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].counts[6000 / 512], 5);
        assert_eq!(rows[2].name, ALL);
    }

    #[test]
    fn probes_and_budgets() {
        let rows: Vec<ProbeRow<'_>> = probe_rows(PROBES).map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            ProbeRow::Attached(Attached {
                spec: "xfs_*",
                mechanism: "fprobe",
                functions: 1612,
                hits: 4567,
                off_stack: 3,
                missed: 0
            })
        );
        assert_eq!(
            rows[2],
            ProbeRow::Skipped(Skipped {
                name: "foo_bar",
                errno_name: "ENOENT",
                errno: -2
            })
        );
        let empty = "# state spec mechanism functions hits off_stack missed\n# state name errno\n";
        assert_eq!(probe_rows(empty).count(), 0);

        // Pending specs sit between the attached and the skipped rows:
        // `probe_rows` steps over them, `pending_rows` yields them alone.
        let with_pending = String::from(PROBES).replace(
            "# state name errno\n",
            "# state name mechanism\npending xfs_buf_lock kprobe\npending nfsd_* fprobe\n# state name errno\n",
        );
        let rows: Vec<ProbeRow<'_>> = probe_rows(&with_pending).map(Result::unwrap).collect();
        assert_eq!(rows.len(), 3);
        let pending: Vec<Pending<'_>> = pending_rows(&with_pending).map(Result::unwrap).collect();
        assert_eq!(
            pending,
            [
                Pending {
                    name: "xfs_buf_lock",
                    mechanism: "kprobe"
                },
                Pending {
                    name: "nfsd_*",
                    mechanism: "fprobe"
                }
            ]
        );
        assert_eq!(pending_rows(&String::from(PROBES)).count(), 0);
        for bad in [
            "pending xfs_buf_lock uprobe",
            "pending xfs_buf_lock",
            "pending",
        ] {
            let text = with_pending.replace("pending xfs_buf_lock kprobe", bad);
            assert!(probe_rows(&text).any(|r| r.is_err()), "{bad}");
            assert!(pending_rows(&text).any(|r| r.is_err()), "{bad}");
        }

        let text = budgets_text();
        let b: Vec<BudgetRow> = budget_rows(&text).map(Result::unwrap).collect();
        assert_eq!(
            b,
            [
                BudgetRow {
                    budget: 4096,
                    over: 8
                },
                BudgetRow {
                    budget: 8192,
                    over: 0
                }
            ]
        );
    }

    #[test]
    fn one_value_files() {
        assert_eq!(number_file("16384\n"), Ok(16384));
        assert_eq!(bool_file("1\n"), Ok(true));
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
        assert_eq!(
            number_file("99999999999999999999999\n").unwrap_err().kind,
            FormatErrorKind::Malformed
        );
    }

    #[test]
    fn symbols() {
        let s = parse_symbol("xfs_bmapi_write+0x4/0x7b0 [xfs]");
        assert_eq!(
            (s.name, s.offset, s.size, s.module),
            ("xfs_bmapi_write", Some(4), Some(0x7b0), Some("xfs"))
        );
        let s = parse_symbol("f+0x1/0x2 [mod 0123abcd]");
        assert_eq!(s.module, Some("mod"));
        let s = parse_symbol("do_thing.cold+0x0/0x1c");
        assert_eq!(s.name, "do_thing.cold");
        let s = parse_symbol("0xffffffff81000000");
        assert_eq!(s.addr, Some(0xffff_ffff_8100_0000));
        assert_eq!(s.offset, None);
        let s = parse_symbol("weird+zz/0x1");
        assert_eq!((s.name, s.offset), ("weird+zz/0x1", None));
        for bad in ["", "+", "+0x1/0x2", " [", "]", "a [b]", "[]", "x+0x/0x"] {
            let s = parse_symbol(bad);
            assert!(s.offset.is_none(), "{bad}");
        }
    }

    /// Errors of a whole file: the first error of every reader.
    fn first_error(text: &str) -> Option<FormatError> {
        let errs = [
            summary_header(text).err(),
            summary_rows(text).find_map(Result::err),
            summary_counters(text).err(),
            traces_header(text).err(),
            traces(text).find_map(Result::err),
            max_trace_header(text).err(),
            max_trace_rows(text).find_map(Result::err),
            histogram_header(text).err(),
            histogram_rows(text).find_map(Result::err),
            probe_rows(text).find_map(Result::err),
            budget_rows(text).find_map(Result::err),
            number_file(text).err(),
        ];
        errs.into_iter().flatten().next()
    }

    /// Every reader on every prefix of every file: never a panic. A cut
    /// inside a line is always reported by the file's own reader; a cut at a
    /// line end is reported wherever the writer leaves a way to notice it
    /// (an `(all)` row, a counters line, a frame or row count, a section line).
    #[test]
    fn every_prefix_of_every_file() {
        type Check = fn(&str) -> Option<FormatError>;
        type Noticed = fn(&str, &str) -> bool;
        let files: [(String, Check, Noticed); 6] = [
            (
                summary_text(),
                |t| {
                    summary_rows(t)
                        .find_map(Result::err)
                        .or(summary_counters(t).err())
                },
                |_, _| true,
            ),
            (
                traces_text(),
                |t| traces(t).find_map(Result::err),
                // Between two records the file looks complete.
                |pre, rest| pre.is_empty() || pre.lines().count() < 2 || rest.starts_with(' '),
            ),
            (
                max_trace_text(),
                |t| max_trace_rows(t).find_map(Result::err),
                |_, _| true,
            ),
            (
                histogram_text(),
                |t| histogram_rows(t).find_map(Result::err),
                |_, _| true,
            ),
            (
                String::from(PROBES),
                |t| probe_rows(t).find_map(Result::err),
                |pre, _| !pre.contains(SKIPPED_COLUMNS),
            ),
            (
                budgets_text(),
                |t| budget_rows(t).find_map(Result::err),
                |pre, _| pre.is_empty(),
            ),
        ];
        for (text, own, noticed) in &files {
            assert_eq!(own(text), None, "{text}");
            for cut in 0..text.len() {
                let (Some(prefix), Some(rest)) = (text.get(..cut), text.get(cut..)) else {
                    continue;
                };
                let _ = first_error(prefix);
                let e = own(prefix);
                if !prefix.ends_with('\n') || noticed(prefix, rest) {
                    assert!(e.is_some(), "cut at {cut} not reported:\n{prefix}");
                }
            }
        }
    }

    #[test]
    fn malformed_lines_name_the_field() {
        let text = summary_text().replace("fb 5 6000", "fb 5 6x00");
        let e = summary_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(
            (e.line, e.field, e.kind),
            (3, "max_used", FormatErrorKind::Malformed)
        );
        assert_eq!(
            std::format!("{e}"),
            "line 3: max_used: not a decimal number"
        );

        let text = summary_text().replace("fb 5 6000 10384 1 5 0", "fb 5 6000 10384 1 5");
        let e = summary_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(e.field, "over_budget");

        let text = summary_text().replace("fb 5 6000 10384 1 5 0", "fb 5 6000 10384 1 5 0 9");
        assert_eq!(
            summary_rows(&text).find_map(Result::err).unwrap().why,
            "unexpected extra fields"
        );

        let text = summary_text().replace("over_8192", "under_8192");
        assert_eq!(summary_header(&text).unwrap_err().field, "columns");

        let text = summary_text().replace("enabled 1", "enabled 7");
        assert_eq!(summary_header(&text).unwrap_err().field, "enabled");

        let e = summary_header("# something else\n").unwrap_err();
        assert_eq!((e.line, e.field), (1, "header"));

        let text = summary_text().replace(" 3 1000 ", " 3 1000 15384 0 0 0\n");
        assert!(summary_rows(&text).any(|r| r.is_err()));

        let text = traces_text().replace("\n    700", "\nfoo 1 2 3 x 0\n    700");
        let _ = traces(&text).count();

        let text = traces_text().replace("kwork x 3", "kwork x three");
        assert_eq!(traces(&text).find_map(Result::err).unwrap().field, "frames");

        let text = traces_text().replace("kwork x 3", "kwork x 9");
        let e = traces(&text).find_map(Result::err).unwrap();
        assert_eq!(e.field, "frame");

        let text = max_trace_text().replace("(3 entries)", "(4 entries)");
        let e = max_trace_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(e.kind, FormatErrorKind::Truncated);

        let text = max_trace_text().replace("(3 entries)", "(2 entries)");
        let e = max_trace_rows(&text).find_map(Result::err).unwrap();
        assert_eq!(e.why, "more rows than announced");

        let text = max_trace_text().replace("   1)", "   5)");
        assert_eq!(
            max_trace_rows(&text).find_map(Result::err).unwrap().field,
            "index"
        );

        let text = histogram_text().replace("# function 0 512", "# function 0");
        assert_eq!(
            histogram_header(&text).unwrap_err().why,
            "fewer buckets than expected"
        );

        let text = String::from(PROBES).replace("ENOENT -2", "ENOENT minus2");
        assert_eq!(
            probe_rows(&text).find_map(Result::err).unwrap().field,
            "errno"
        );

        let text = String::from(PROBES).replace("attached xfs_*", "detached xfs_*");
        assert_eq!(
            probe_rows(&text).find_map(Result::err).unwrap().field,
            "state"
        );

        let text = std::format!("{PROBES}attached late kprobe 1 1 1 1\n");
        assert!(probe_rows(&text).any(|r| r.is_err()));

        let text = budgets_text().replace("4096 8", "4096");
        assert_eq!(
            budget_rows(&text).find_map(Result::err).unwrap().field,
            "over_count"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "", "\n", "#", "# stackwatch summary:", "# stackwatch summary: thread_size\n",
            "# stackwatch summary: thread_size 1 threshold 2 enabled 1\n# function hits max_used min_remaining below_threshold over_\n",
            "# stackwatch traces: thread_size 5\n#\nx 1 2 3 c 18446744073709551615\n",
            "# stackwatch traces: thread_size 5\n#\nx 1 2 3\n",
            "# stackwatch max_trace: used 1 remaining 2 thread_size 3 pid 4 comm \n",
            "# stackwatch max_trace: used 1 remaining 2 thread_size 3 pid 4 comm c\n        Depth    Size   Location    (99999999999999999999 entries)\n",
            "# stackwatch histogram: width 5\n# function 1 2 3\n",
            "\u{00e9}\u{00e9}\n\u{1F600} 1 2\n", "\r\n\r\n", "   \n  x\n",
        ];
        for s in samples {
            let _ = first_error(s);
            let _ = summary_rows(s).count();
            let _ = traces(s)
                .flat_map(|r| r.map(|t| t.frames().count()))
                .count();
            let _ = max_trace_rows(s).count();
            let _ = histogram_rows(s).count();
            let _ = probe_rows(s).count();
            let _ = budget_rows(s).count();
            let _ = bool_file(s);
        }
    }
}
