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
//! ```text
//! # stackwatch tasks: thread_size 16384 threads 212 shown 32
//! # pid used left comm
//! 812 4424 11960 nfsd
//! ```
//! `comm` is last, as it may hold spaces.

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
        i += 1;
    }
    i.saturating_mul(core::mem::size_of::<usize>())
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
        if let Some(tail) = self.rows.get_mut(at..self.len) {
            tail.rotate_right(1);
            if let Some(first) = tail.first_mut() {
                *first = row;
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

/// Writes the `tasks` file.
pub fn write_tasks(w: &mut dyn Write, thread_size: usize, d: &Deepest<'_>) -> fmt::Result {
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

/// One row as read back: `comm` borrowed from the text.
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

/// Reads the `tasks` file: its header, then `row` for each thread line.
pub fn read_tasks<'t>(
    text: &'t str,
    mut row: impl FnMut(TaskLine<'t>),
) -> Result<TasksHeader, TasksError> {
    let mut header = None;
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
        let mut f = line.splitn(4, ' ');
        let mut num = || f.next().and_then(|v| v.parse::<usize>().ok());
        let (Some(pid), Some(used), Some(left)) = (num(), num(), num()) else {
            return Err(err("'pid used left comm'"));
        };
        let pid = i32::try_from(pid).map_err(|_| err("a pid"))?;
        row(TaskLine {
            pid,
            used,
            left,
            comm: f.next().unwrap_or(""),
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

    #[test]
    fn round_trip() {
        let mut buf = [TaskRow::EMPTY; MAX_SHOWN];
        let mut d = Deepest::new(&mut buf);
        d.offer(row(812, 4424, "nfsd"));
        d.offer(row(1, 2960, "my prog"));
        d.offer(row(7, 0, ""));
        let mut text = String::new();
        write_tasks(&mut text, 16384, &d).unwrap();
        assert!(text.starts_with("# stackwatch tasks: thread_size 16384 threads 3 shown 3\n"));
        let mut rows = Vec::new();
        let h = read_tasks(&text, |r| rows.push(r)).unwrap();
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
    }
}
