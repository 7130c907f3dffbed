// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The `tasks` file: the deepest threads (pid, bytes used and left, comm),
//! then the deepest few again with the return addresses found just above
//! their deepest point (see the core crate's `stack_scan.rs`).
//!
//! ```text
//! # stackwatch tasks: thread_size 16384 threads 212 shown 32 dropped 1 faulted 0
//! # kstack_1k 40 kstack_2k 101 kstack_4k 60 kstack_8k 11 kstack_16k 0 kstack_32k 0 kstack_64k 0 kstack_rest 0
//! # pid used left comm
//! 812 4424 11960 nfsd
//! # deepest points: return addresses just above the deepest point, innermost first (stale stack words)
//! point 812 4424 nfsd
//!   update_curr+0x4b/0x1f0
//! ```
//! `comm` is last, as it may hold spaces. `threads` counts the threads
//! read; `dropped` those whose read was thrown away because they began
//! exiting, or their stack changed or could not be read, meanwhile (not in
//! `threads`), and `faulted`, of those, the ones whose read faulted. The
//! `kstack_*` line is every thread read, by its deepest point, in the
//! buckets of the kernel's vmstat `kstack_*` events (which count a thread
//! only when it exits): `kstack_4k` those that used more than 2 KiB and at
//! most 4 KiB.

use super::text::Symbolize;
use crate::swcore::stack_scan::{Deepest, Point, KSTACK_BOUNDS};
use core::fmt::{self, Write};

/// The header line, before its numbers.
pub const HEADER: &str = "# stackwatch tasks:";
/// The column line.
pub const COLUMNS: &str = "# pid used left comm";
/// The start of the population line.
pub const KSTACK: &str = "# kstack_";

/// Writes a bucket's name: `kstack_1k`, ... `kstack_rest`.
fn kstack_name(w: &mut dyn Write, i: usize) -> fmt::Result {
    match KSTACK_BOUNDS.get(i) {
        Some(b) => write!(w, "kstack_{}k", b / 1024),
        None => w.write_str("kstack_rest"),
    }
}
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
        "{} thread_size {} threads {} shown {} dropped {} faulted {}",
        HEADER,
        thread_size,
        d.threads(),
        d.shown().len(),
        d.dropped(),
        d.faulted()
    )?;
    w.write_str("#")?;
    for (i, n) in d.population().iter().enumerate() {
        w.write_str(" ")?;
        kstack_name(w, i)?;
        write!(w, " {}", n)?;
    }
    writeln!(w)?;
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

/// Reading a `tasks` file back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::text::reader::*;
    use serde::Serialize;

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

    /// One bucket of the population histogram.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct KstackBucket {
        /// vmstat's name: `kstack_1k` ... `kstack_rest`.
        pub name: String,
        /// Its upper bound in bytes, inclusive (none: `rest`).
        pub le: Option<u64>,
        /// Threads whose deepest point falls in it.
        pub threads: u64,
    }

    /// Every thread read, by its deepest point.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Population {
        /// The buckets, shallowest first.
        pub buckets: Vec<KstackBucket>,
        /// Threads whose deepest point would fit 4 KiB, 8 KiB, 16 KiB.
        pub fit_4k: u64,
        /// See `fit_4k`.
        pub fit_8k: u64,
        /// See `fit_4k`.
        pub fit_16k: u64,
    }

    impl Population {
        /// Threads whose deepest point would fit `bytes` (a bucket bound).
        pub fn fit(buckets: &[KstackBucket], bytes: u64) -> u64 {
            buckets
                .iter()
                .filter(|b| b.le.is_some_and(|le| le <= bytes))
                .map(|b| b.threads)
                .sum()
        }

        /// Reads the `# kstack_1k N ...` line.
        fn read(text: &str, no: usize) -> Result<Population, FormatError> {
            let mut toks = text
                .trim_start_matches('#')
                .split(is_space)
                .filter(|t| !t.is_empty());
            let mut buckets = Vec::new();
            while let Some(name) = toks.next() {
                let rest = name.strip_prefix("kstack_").ok_or(malformed(
                    no,
                    "kstack",
                    "expected kstack_<size>",
                ))?;
                let le = match rest {
                    "rest" => None,
                    r => Some(
                        r.strip_suffix('k')
                            .and_then(decimal)
                            .and_then(|k| k.checked_mul(1024))
                            .ok_or(malformed(no, "kstack", "expected kstack_<N>k"))?,
                    ),
                };
                let threads = toks.next().and_then(decimal).ok_or(malformed(
                    no,
                    "kstack",
                    "not a decimal number",
                ))?;
                buckets.push(KstackBucket {
                    name: name.to_string(),
                    le,
                    threads,
                });
            }
            Ok(Population {
                fit_4k: Self::fit(&buckets, 4096),
                fit_8k: Self::fit(&buckets, 8192),
                fit_16k: Self::fit(&buckets, 16384),
                buckets,
            })
        }
    }

    /// The `tasks` file: the deepest threads, deepest first.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Tasks {
        /// THREAD_SIZE, from the header.
        pub thread_size: u64,
        /// Threads scanned.
        pub threads: u64,
        /// Threads whose read was thrown away: they began exiting, or their
        /// stack changed or could not be read, while it was read (none from
        /// a module that did not count them).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub dropped: Option<u64>,
        /// Of the dropped threads, those whose stack read faulted.
        #[serde(skip_serializing_if = "Option::is_none")]
        pub faulted: Option<u64>,
        /// Every thread read, by its deepest point (none from a module
        /// that did not count them).
        #[serde(skip_serializing_if = "Option::is_none")]
        pub population: Option<Population>,
        /// The deepest of them.
        pub rows: Vec<ThreadUse>,
        /// The deepest few, with the frames above their deepest point.
        pub points: Vec<DeepestPoint>,
    }

    /// Reads a `tasks` file: threads `pid used left comm`, points `point pid
    /// used comm`, each followed by its indented frames.
    pub fn read(text: &str) -> Result<Tasks, FormatError> {
        let (mut lines, first) = Lines::header(text, HEADER, "not a stackwatch tasks file")?;
        let mut tasks = Tasks {
            thread_size: keyed_field(first.text, "thread_size", first.no)?,
            threads: keyed_field(first.text, "threads", first.no)?,
            dropped: keyed(first.text, "dropped"),
            faulted: keyed(first.text, "faulted"),
            population: None,
            rows: Vec::new(),
            points: Vec::new(),
        };
        // Whether the last thread line was a point, whose frames follow.
        let mut in_point = false;
        while let Some(line) = lines.record()? {
            let no = line.no;
            if line.text.starts_with(KSTACK) {
                tasks.population = Some(Population::read(line.text, no)?);
                continue;
            }
            if line.is_comment() {
                continue;
            }
            if line.text.starts_with(is_space) {
                let frames = &mut tasks
                    .points
                    .last_mut()
                    .filter(|_| in_point)
                    .ok_or(malformed(no, "frame", "a frame only after a 'point' line"))?
                    .frames;
                frames.push(line.text.trim_matches(is_space).to_string());
                continue;
            }
            let mut rest = line.text;
            let point = match rest.strip_prefix("point ") {
                Some(r) => {
                    rest = r;
                    true
                }
                None => false,
            };
            let pid = field(&mut rest, no, "pid")?;
            let pid = i32::try_from(pid).map_err(|_| malformed(no, "pid", "out of range"))?;
            let used = field(&mut rest, no, "used")?;
            let left = if point {
                None
            } else {
                Some(field(&mut rest, no, "left")?)
            };
            let thread = ThreadUse {
                pid,
                comm: rest.to_string(),
                used,
                left,
            };
            if point {
                tasks.points.push(DeepestPoint {
                    thread,
                    frames: Vec::new(),
                });
            } else {
                tasks.rows.push(thread);
            }
            in_point = point;
        }
        Ok(tasks)
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
    use super::*;
    use crate::swcore::stack_scan::{Gone, TaskRow, COMM_LEN, MAX_SHOWN};
    use std::string::String;

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
        d.drop_thread(Gone::Changed);
        d.drop_thread(Gone::Fault);
        d.drop_thread(Gone::Changed);
        let mut text = String::new();
        write_tasks(&mut text, 16384, &d, &[p], &Hex).unwrap();
        assert!(text.starts_with(
            "# stackwatch tasks: thread_size 16384 threads 3 shown 3 dropped 3 faulted 1\n\
             # kstack_1k 1 kstack_2k 0 kstack_4k 1 kstack_8k 1 kstack_16k 0 kstack_32k 0 kstack_64k 0 kstack_rest 0\n"
        ));
        assert!(text.ends_with("point 812 4424 nfsd\n  fa0+0x4/0x10\n  fb0+0x4/0x10\n"));
        let t = read(&text).unwrap();
        assert_eq!(t.threads, 3);
        let pop = t.population.as_ref().unwrap();
        assert_eq!(pop.buckets.len(), 8);
        assert_eq!(
            (
                pop.buckets[2].name.as_str(),
                pop.buckets[2].le,
                pop.buckets[2].threads
            ),
            ("kstack_4k", Some(4096), 1)
        );
        assert_eq!(pop.buckets[7].le, None);
        assert_eq!((pop.fit_4k, pop.fit_8k, pop.fit_16k), (2, 3, 3));
        let p = &t.points[0];
        assert_eq!(
            (p.thread.pid, p.thread.used, p.thread.comm.as_str()),
            (812, 4424, "nfsd")
        );
        assert_eq!(p.frames, ["fa0+0x4/0x10", "fb0+0x4/0x10"]);
        let rows = &t.rows;
        assert_eq!(rows.len(), 3);
        assert_eq!(
            (rows[0].pid, rows[0].used, rows[0].comm.as_str()),
            (812, 4424, "nfsd")
        );
        assert_eq!(rows[1].comm, "my prog");
        assert_eq!(rows[2].comm, "");
        // The header's thread_size, each row's left as written, none on a
        // point.
        assert_eq!((t.thread_size, t.threads), (16384, 3));
        assert_eq!((t.dropped, t.faulted), (Some(3), Some(1)));
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
    }

    #[test]
    fn bad_text_names_the_line() {
        assert_eq!(read("1 2 3 x\n").unwrap_err().line, 1);
        let t = "# stackwatch tasks: thread_size 16384 threads 1 shown 1\n# pid used left comm\n1 x 3 a\n";
        assert_eq!(read(t).unwrap_err().line, 3);
        assert!(read("# stackwatch tasks: thread_size x\n").is_err());
        assert!(read("").is_err());
        assert!(read("# stackwatch tasks: thread_size 16384 threads 1 shown 1\n1 2 3").is_err());
        let t = "# stackwatch tasks: thread_size 16384 threads 1 shown 1\n1 2 3 a\n  f+0x1/0x2\n";
        assert_eq!(read(t).unwrap_err().line, 3);
    }

    #[test]
    fn a_file_without_the_dropped_counts_reads_as_none() {
        let t = read("# stackwatch tasks: thread_size 16384 threads 1 shown 1\n1 64 16320 init\n")
            .unwrap();
        assert_eq!((t.threads, t.dropped, t.faulted), (1, None, None));
        assert_eq!(t.population, None);
        let bad = "# stackwatch tasks: thread_size 16384 threads 1 shown 1\n# kstack_1k x\n";
        assert_eq!(read(bad).unwrap_err().line, 2);
    }
}
