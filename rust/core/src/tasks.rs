//! The `tasks` file: the deepest point each live thread's stack ever reached,
//! read off the stack itself. Its writer (the kernel) and its reader (the
//! CLI) are both here, with a round-trip test.
//!
//! Kernel stacks are zeroed when they are allocated (7.3 `kernel/fork.c`:
//! `__GFP_ZERO` for new stacks, `clear_pages` for reused ones) and nothing
//! zeroes them again while the thread lives. So the lowest non-zero word
//! above the end-of-stack canary marks the deepest point the thread has
//! reached since it started: leaf functions, interrupts taken on the task
//! stack and the scheduler run on their way out included, and the frames of
//! any tracer or probe handler that ran there too. This is what the kernel's
//! `DEBUG_STACK_USAGE` reports at exit (`stack_not_used()`), read live and
//! without a rebuild, at read time only: no cost while probes run.
//!
//! Where the deepest point is: the words just above a thread's lowest
//! written word were last written by a path that went that deep, so the
//! return addresses among them (words that point just after a call
//! instruction) are the innermost frames of the deepest path -- the leaf,
//! the interrupt and scheduler frames a probe entry never sees. They are
//! stale words, not an unwind: a shallower path that ran later may have
//! overwritten the upper ones, so this is a heuristic chain, innermost first.
//!
//! ```text
//! # stackwatch tasks: thread_size 16384 threads 212 shown 32
//! # pid used left comm
//! 812 4424 11960 nfsd
//! # deepest points: return addresses just above the deepest point, innermost first (stale stack words)
//! point 812 4424 nfsd
//!   update_curr+0x4b/0x1f0
//! ```
//! `comm` is last, as it may hold spaces.

use super::debugfs_format::Symbolize;
use core::fmt::{self, Write};

/// Threads listed (the deepest first); the header counts all of them.
pub const MAX_SHOWN: usize = 32;

/// Bytes of a task's `comm`.
pub const COMM_LEN: usize = 16;

/// Bytes of a stack never written, from its `words` words lowest address
/// first, `word(i)` reading word `i`. Word 0 is the end-of-stack canary and
/// is skipped, and the count runs to the first non-zero word after it, as
/// the kernel's `stack_not_used()` counts (canary included).
pub fn unused_bytes(words: usize, word: impl Fn(usize) -> usize) -> usize {
    let mut i = 1;
    while i < words && word(i) == 0 {
        i = i.saturating_add(1);
    }
    i.saturating_mul(core::mem::size_of::<usize>())
}

/// Threads (the deepest) whose deepest point is shown with its frames.
pub const POINTS: usize = 4;

/// Return addresses kept per deepest point.
pub const POINT_FRAMES: usize = 24;

/// Bytes above a deepest point searched for return addresses.
pub const POINT_WINDOW: usize = 1536;

/// Whether the 8 bytes that end at a candidate return address end with an
/// x86-64 call: `call rel32` (`e8`, also behind a `cs` prefix), `call
/// *disp32(%rip)` (`ff 15`), `call *%reg` (`ff d0+r`, `41 ff d0+r`).
pub fn x86_call_before(b: &[u8; 8]) -> bool {
    let modrm_call_reg = |m: u8| m & 0xf8 == 0xd0;
    b[3] == 0xe8 || (b[2] == 0xff && b[3] == 0x15) || (b[6] == 0xff && modrm_call_reg(b[7]))
}

/// Whether the 8 bytes that end at a candidate return address end with a
/// riscv64 call that links `ra`: `jal ra` / `jalr ra` (4 bytes) or
/// `c.jalr` (2 bytes).
pub fn riscv_call_before(b: &[u8; 8]) -> bool {
    let w = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    let h = u16::from_le_bytes([b[6], b[7]]);
    let op = w & 0x7f;
    let rd = (w >> 7) & 0x1f;
    ((op == 0x6f || op == 0x67) && rd == 1) || (h & 0xf07f == 0x9002 && (h >> 7) & 0x1f != 0)
}

/// Return addresses among the `n` words above a deepest point, innermost
/// first, into `out`; returns how many. `word(i)` reads the `i`th word
/// from the deepest point up; `is_return(w)` says whether `w` points just
/// after a call instruction (the caller reads the code bytes, safely).
pub fn point_frames(
    n: usize,
    word: impl Fn(usize) -> usize,
    mut is_return: impl FnMut(usize) -> bool,
    out: &mut [usize],
) -> usize {
    let mut k = 0;
    for i in 0..n {
        if k >= out.len() {
            break;
        }
        let w = word(i);
        // Kernel text lives in the upper half of the address space.
        if (w as isize) < 0 && is_return(w) {
            if let Some(slot) = out.get_mut(k) {
                *slot = w;
                k = k.saturating_add(1);
            }
        }
    }
    k
}

/// A thread's deepest point and the return addresses found just above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Point {
    /// The thread.
    pub row: TaskRow,
    /// Return addresses, innermost first (`nframes` of them).
    pub frames: [usize; POINT_FRAMES],
    /// How many of `frames` are set.
    pub nframes: usize,
}

impl Point {
    /// No point.
    pub const EMPTY: Point = Point {
        row: TaskRow::EMPTY,
        frames: [0; POINT_FRAMES],
        nframes: 0,
    };

    /// The frames found.
    pub fn frames(&self) -> &[usize] {
        self.frames.get(..self.nframes).unwrap_or(&[])
    }
}

/// One thread: its pid, the bytes of stack it has used, its `comm`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskRow {
    /// Thread id.
    pub pid: i32,
    /// Deepest use so far, in bytes (THREAD_SIZE minus the bytes never written).
    pub used: usize,
    /// `comm`, NUL-padded.
    pub comm: [u8; COMM_LEN],
}

impl TaskRow {
    /// An unused row.
    pub const EMPTY: TaskRow = TaskRow {
        pid: 0,
        used: 0,
        comm: [0; COMM_LEN],
    };

    /// The `comm` as text, up to its first NUL (`?` if it is not UTF-8).
    pub fn comm_str(&self) -> &str {
        let n = self.comm.iter().position(|&b| b == 0).unwrap_or(COMM_LEN);
        self.comm
            .get(..n)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("?")
    }
}

/// The deepest threads seen so far, kept in a buffer the caller provides
/// (the kernel allocates it: it is too big for a stack), deepest first.
pub struct Deepest<'a> {
    rows: &'a mut [TaskRow],
    len: usize,
    threads: usize,
}

impl<'a> Deepest<'a> {
    /// Keeps up to `rows.len()` threads.
    pub fn new(rows: &'a mut [TaskRow]) -> Self {
        Deepest {
            rows,
            len: 0,
            threads: 0,
        }
    }

    /// Counts a thread and keeps it if it is among the deepest.
    pub fn offer(&mut self, row: TaskRow) {
        self.threads = self.threads.saturating_add(1);
        // Position: after every row at least as deep (stable for ties).
        let at = self
            .shown()
            .iter()
            .position(|r| r.used < row.used)
            .unwrap_or(self.len);
        if at >= self.rows.len() {
            return;
        }
        if self.len < self.rows.len() {
            self.len = self.len.saturating_add(1);
        }
        // Shift the rows from `at` on one place down (the last kept falls
        // off when full), with swaps: no panic path, unlike rotate_right.
        if let Some(tail) = self.rows.get_mut(at..self.len) {
            let mut carry = row;
            for slot in tail.iter_mut() {
                core::mem::swap(slot, &mut carry);
            }
        }
    }

    /// The kept rows, deepest first.
    pub fn shown(&self) -> &[TaskRow] {
        self.rows.get(..self.len).unwrap_or(&[])
    }

    /// Threads offered.
    pub fn threads(&self) -> usize {
        self.threads
    }
}

const HEADER: &str = "# stackwatch tasks:";
const COLUMNS: &str = "# pid used left comm";
const POINTS_HEADER: &str = "# deepest points: return addresses just above the deepest point, innermost first (stale stack words)";

/// Writes the `tasks` file: the deepest threads, then the deepest points
/// with their frames, symbolized by `sym`.
pub fn write_tasks(
    w: &mut dyn Write,
    thread_size: usize,
    d: &Deepest<'_>,
    points: &[Point],
    sym: &dyn Symbolize,
) -> fmt::Result {
    writeln!(
        w,
        "{} thread_size {} threads {} shown {}",
        HEADER,
        thread_size,
        d.threads(),
        d.shown().len()
    )?;
    writeln!(w, "{}", COLUMNS)?;
    for r in d.shown() {
        writeln!(
            w,
            "{} {} {} {}",
            r.pid,
            r.used,
            thread_size.saturating_sub(r.used),
            r.comm_str()
        )?;
    }
    if !points.is_empty() {
        writeln!(w, "{}", POINTS_HEADER)?;
    }
    for p in points {
        writeln!(w, "point {} {} {}", p.row.pid, p.row.used, p.row.comm_str())?;
        for &f in p.frames() {
            write!(w, "  ")?;
            sym.symbol(f, w)?;
            writeln!(w)?;
        }
    }
    Ok(())
}

/// The header line's numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TasksHeader {
    /// THREAD_SIZE of the kernel.
    pub thread_size: usize,
    /// Threads scanned.
    pub threads: usize,
}

/// One line of the `tasks` file as read back (text borrowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TasksItem<'t> {
    /// A thread: pid, bytes used, bytes left, `comm`.
    Thread(TaskLine<'t>),
    /// A deepest point (its `left` is 0: not written).
    Point(TaskLine<'t>),
    /// A frame of the last point, as the kernel symbolized it.
    Frame(&'t str),
}

/// A thread as read back: `comm` borrowed from the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskLine<'t> {
    /// Thread id.
    pub pid: i32,
    /// Deepest use so far, in bytes.
    pub used: usize,
    /// Bytes never used.
    pub left: usize,
    /// `comm`.
    pub comm: &'t str,
}

/// What is wrong with a `tasks` text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TasksError {
    /// Line number, from 1.
    pub line: usize,
    /// What was expected.
    pub why: &'static str,
}

/// Reads the `tasks` file: its header, then `item` for each line after it.
pub fn read_tasks<'t>(
    text: &'t str,
    mut item: impl FnMut(TasksItem<'t>),
) -> Result<TasksHeader, TasksError> {
    let mut header = None;
    let mut in_point = false;
    for (i, line) in text.lines().enumerate() {
        let n = i.saturating_add(1);
        let err = |why| TasksError { line: n, why };
        if let Some(rest) = line.strip_prefix(HEADER) {
            let mut f = rest.split_whitespace();
            let mut field = |name: &str| -> Result<usize, TasksError> {
                (f.next() == Some(name))
                    .then(|| f.next().and_then(|v| v.parse().ok()))
                    .flatten()
                    .ok_or(err("a header 'thread_size N threads N shown N'"))
            };
            let thread_size = field("thread_size")?;
            let threads = field("threads")?;
            header = Some(TasksHeader {
                thread_size,
                threads,
            });
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if header.is_none() {
            return Err(err("the '# stackwatch tasks:' header first"));
        }
        if let Some(frame) = line.strip_prefix("  ") {
            if !in_point {
                return Err(err("a frame only after a 'point' line"));
            }
            item(TasksItem::Frame(frame.trim()));
            continue;
        }
        let (point, fields) = match line.strip_prefix("point ") {
            Some(rest) => (true, rest),
            None => (false, line),
        };
        let cols = if point { 3 } else { 4 };
        let mut f = fields.splitn(cols, ' ');
        let mut num = || f.next().and_then(|v| v.parse::<usize>().ok());
        let pid = num();
        let used = num();
        let left = if point { Some(0) } else { num() };
        let (Some(pid), Some(used), Some(left)) = (pid, used, left) else {
            return Err(err(if point {
                "'point pid used comm'"
            } else {
                "'pid used left comm'"
            }));
        };
        let pid = i32::try_from(pid).map_err(|_| err("a pid"))?;
        let t = TaskLine {
            pid,
            used,
            left,
            comm: f.next().unwrap_or(""),
        };
        in_point = point;
        item(if point {
            TasksItem::Point(t)
        } else {
            TasksItem::Thread(t)
        });
    }
    header.ok_or(TasksError {
        line: 0,
        why: "the '# stackwatch tasks:' header",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;
    use std::vec::Vec;

    fn row(pid: i32, used: usize, comm: &str) -> TaskRow {
        let mut c = [0u8; COMM_LEN];
        c[..comm.len()].copy_from_slice(comm.as_bytes());
        TaskRow { pid, used, comm: c }
    }

    #[test]
    fn unused_counts_like_stack_not_used() {
        // Canary, three zero words, then the deepest write.
        let stack = [0x57ac6e9d, 0, 0, 0, 7, 0, 9];
        assert_eq!(unused_bytes(stack.len(), |i| stack[i]), 4 * 8);
        // A stack used to its first word after the canary.
        assert_eq!(unused_bytes(3, |i| [1, 1, 1][i]), 8);
        // Never written at all: everything after the canary.
        assert_eq!(unused_bytes(4, |_| 0), 4 * 8);
    }

    #[test]
    fn keeps_the_deepest_in_order() {
        let mut buf = [TaskRow::EMPTY; 3];
        let mut d = Deepest::new(&mut buf);
        for (pid, used) in [(1, 100), (2, 500), (3, 300), (4, 500), (5, 50), (6, 400)] {
            d.offer(row(pid, used, "t"));
        }
        let got: Vec<(i32, usize)> = d.shown().iter().map(|r| (r.pid, r.used)).collect();
        assert_eq!(got, [(2, 500), (4, 500), (6, 400)]);
        assert_eq!(d.threads(), 6);
    }

    struct Hex;
    impl Symbolize for Hex {
        fn symbol(&self, addr: usize, w: &mut dyn Write) -> fmt::Result {
            write!(w, "f{:x}+0x4/0x10", addr)
        }
        fn name(&self, addr: usize, w: &mut dyn Write) -> fmt::Result {
            write!(w, "f{:x}", addr)
        }
    }

    #[test]
    fn call_instructions_before_return_addresses() {
        // call rel32; cs call rel32 (the e8 is 5 bytes back either way).
        assert!(x86_call_before(&[0, 0, 0, 0xe8, 1, 2, 3, 4]));
        assert!(x86_call_before(&[0, 0, 0x2e, 0xe8, 1, 2, 3, 4]));
        // call *disp32(%rip); call *%rax; call *%r11 (41 ff d3).
        assert!(x86_call_before(&[0, 0, 0xff, 0x15, 1, 2, 3, 4]));
        assert!(x86_call_before(&[0, 0, 0, 0, 0, 0, 0xff, 0xd0]));
        assert!(x86_call_before(&[0, 0, 0, 0, 0, 0x41, 0xff, 0xd3]));
        // jmp *%rax (ff e0), plain data.
        assert!(!x86_call_before(&[0, 0, 0, 0, 0, 0, 0xff, 0xe0]));
        assert!(!x86_call_before(&[0x90; 8]));
        // jal ra, +0 (0x000000ef); jalr ra, 0(a5) (0x000780e7); c.jalr a5 (0x9782).
        assert!(riscv_call_before(&[0, 0, 0, 0, 0xef, 0, 0, 0]));
        assert!(riscv_call_before(&[0, 0, 0, 0, 0xe7, 0x80, 0x07, 0]));
        assert!(riscv_call_before(&[0, 0, 0, 0, 0, 0, 0x82, 0x97]));
        // jal zero (a jump, 0x0000006f); c.jr a5 (0x8782).
        assert!(!riscv_call_before(&[0, 0, 0, 0, 0x6f, 0, 0, 0]));
        assert!(!riscv_call_before(&[0, 0, 0, 0, 0, 0, 0x82, 0x87]));
    }

    #[test]
    fn point_frames_are_the_return_addresses_innermost_first() {
        let k = 0xffff_ffff_8100_0000usize;
        let words = [0, k + 1, 5, k + 2, usize::MAX, k + 3, k + 4];
        let mut out = [0usize; 3];
        let n = point_frames(words.len(), |i| words[i], |w| w != usize::MAX, &mut out);
        assert_eq!(&out[..n], &[k + 1, k + 2, k + 3]);
        let n = point_frames(words.len(), |i| words[i], |w| w == k + 4, &mut out);
        assert_eq!(&out[..n], &[k + 4]);
    }

    #[test]
    fn round_trip() {
        let mut buf = [TaskRow::EMPTY; MAX_SHOWN];
        let mut d = Deepest::new(&mut buf);
        d.offer(row(812, 4424, "nfsd"));
        d.offer(row(1, 2960, "my prog"));
        d.offer(row(7, 0, ""));
        let mut p = Point::EMPTY;
        p.row = d.shown()[0];
        p.frames[0] = 0xa0;
        p.frames[1] = 0xb0;
        p.nframes = 2;
        let mut text = String::new();
        write_tasks(&mut text, 16384, &d, &[p], &Hex).unwrap();
        assert!(text.starts_with("# stackwatch tasks: thread_size 16384 threads 3 shown 3\n"));
        assert!(text.ends_with("point 812 4424 nfsd\n  fa0+0x4/0x10\n  fb0+0x4/0x10\n"));
        let (mut rows, mut points, mut frames) = (Vec::new(), Vec::new(), Vec::new());
        let h = read_tasks(&text, |i| match i {
            TasksItem::Thread(t) => rows.push(t),
            TasksItem::Point(t) => points.push(t),
            TasksItem::Frame(f) => frames.push(f),
        })
        .unwrap();
        assert_eq!(
            (points[0].pid, points[0].used, points[0].comm),
            (812, 4424, "nfsd")
        );
        assert_eq!(frames, ["fa0+0x4/0x10", "fb0+0x4/0x10"]);
        assert_eq!(
            h,
            TasksHeader {
                thread_size: 16384,
                threads: 3
            }
        );
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].pid, rows[0].used, rows[0].left, rows[0].comm),
            (812, 4424, 11960, "nfsd")
        );
        assert_eq!(rows[1].comm, "my prog");
        assert_eq!(rows[2].comm, "");
    }

    #[test]
    fn bad_text_names_the_line() {
        assert_eq!(read_tasks("1 2 3 x\n", |_| {}).unwrap_err().line, 1);
        let t = "# stackwatch tasks: thread_size 16384 threads 1 shown 1\n# pid used left comm\n1 x 3 a\n";
        assert_eq!(read_tasks(t, |_| {}).unwrap_err().line, 3);
        assert!(read_tasks("# stackwatch tasks: thread_size x\n", |_| {}).is_err());
        assert!(read_tasks("", |_| {}).is_err());
        let t = "# stackwatch tasks: thread_size 16384 threads 1 shown 1\n1 2 3 a\n  f+0x1/0x2\n";
        assert_eq!(read_tasks(t, |_| {}).unwrap_err().line, 3);
    }
}
