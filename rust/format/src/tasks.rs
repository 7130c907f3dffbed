//! The `tasks` file: the deepest threads (pid, bytes used and left, comm),
//! then the deepest few again with the return addresses found just above
//! their deepest point (see the core crate's `tasks.rs`).
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

use super::text::Symbolize;
use crate::swcore::tasks::{Deepest, Point};
use core::fmt::{self, Write};

/// The header line, before its numbers.
pub const HEADER: &str = "# stackwatch tasks:";
/// The column line.
pub const COLUMNS: &str = "# pid used left comm";
/// The line before the deepest points.
pub const POINTS_HEADER: &str = "# deepest points: return addresses just above the deepest point, innermost first (stale stack words)";

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

#[cfg(feature = "std")]
pub use reader::*;

#[cfg(feature = "std")]
mod reader {
    use super::*;
    use crate::text::{FormatError, FormatErrorKind};
    use serde::Serialize;

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

    /// One thread of the `tasks` file.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct ThreadUse {
        /// Thread id.
        pub pid: i32,
        /// `comm`.
        pub comm: String,
        /// Deepest point its stack reached since it started, bytes.
        pub used: u64,
        /// Bytes left below that point, as the row gives them (a thread
        /// row's `left`; none on a `point` line, which does not write it).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub left: Option<u64>,
    }

    /// A thread's deepest point with the return addresses found just above it.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct DeepestPoint {
        /// The thread.
        pub thread: ThreadUse,
        /// Return addresses, innermost first, as the kernel symbolized them
        /// (stale stack words: a heuristic chain).
        pub frames: Vec<String>,
    }

    /// The `tasks` file: the deepest threads, deepest first.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Tasks {
        /// THREAD_SIZE, from the header.
        pub thread_size: u64,
        /// Threads scanned.
        pub threads: u64,
        /// The deepest of them.
        pub rows: Vec<ThreadUse>,
        /// The deepest few, with the frames above their deepest point.
        pub points: Vec<DeepestPoint>,
    }

    /// Reads a `tasks` file.
    pub fn read(text: &str) -> Result<Tasks, FormatError> {
        let (mut rows, mut points) = (Vec::new(), Vec::<DeepestPoint>::new());
        let thread = |t: &TaskLine<'_>, left| ThreadUse {
            pid: t.pid,
            comm: t.comm.to_string(),
            used: t.used as u64,
            left,
        };
        let h = read_tasks(text, |item| match item {
            TasksItem::Thread(t) => rows.push(thread(&t, Some(t.left as u64))),
            TasksItem::Point(t) => points.push(DeepestPoint {
                thread: thread(&t, None),
                frames: Vec::new(),
            }),
            TasksItem::Frame(f) => {
                if let Some(p) = points.last_mut() {
                    p.frames.push(f.to_string());
                }
            }
        })
        .map_err(|e| FormatError {
            line: e.line,
            kind: FormatErrorKind::Malformed,
            field: "tasks",
            why: e.why,
        })?;
        Ok(Tasks {
            thread_size: h.thread_size as u64,
            threads: h.threads as u64,
            rows,
            points,
        })
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::*;
    use crate::swcore::tasks::{TaskRow, COMM_LEN, MAX_SHOWN};
    use std::string::String;
    use std::vec::Vec;

    fn row(pid: i32, used: usize, comm: &str) -> TaskRow {
        let mut c = [0u8; COMM_LEN];
        c[..comm.len()].copy_from_slice(comm.as_bytes());
        TaskRow { pid, used, comm: c }
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
        // The owned model: the header's thread_size, each row's left as
        // written, none on a point.
        let t = read(&text).unwrap();
        assert_eq!((t.thread_size, t.threads), (16384, 3));
        assert_eq!(
            t.rows[0],
            ThreadUse {
                pid: 812,
                comm: "nfsd".into(),
                used: 4424,
                left: Some(11960)
            }
        );
        assert_eq!(t.rows[2].left, Some(16384));
        assert_eq!(t.points[0].thread.left, None);
        assert_eq!(t.points[0].frames, ["fa0+0x4/0x10", "fb0+0x4/0x10"]);
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
