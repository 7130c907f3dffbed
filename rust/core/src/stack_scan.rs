// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The deepest point each live thread's stack ever reached, read off the
//! stack itself, for the `tasks` file (its text: the format crate's
//! `tasks.rs`).
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

/// Why a thread's stack read was thrown away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gone {
    /// The thread began exiting, or its stack changed, while it was read:
    /// RCU does not keep a stack (7.3 `kernel/fork.c`: an exiting thread's
    /// stack goes straight to a per-CPU cache and on to a new thread, or is
    /// freed through `call_rcu()`, whose `rcu_head` then fills its lowest
    /// words and reads as a stack used to within 8 bytes of THREAD_SIZE), so
    /// what was read may not be this thread's.
    Changed,
    /// A read faulted: the stack was unmapped under the reader (a cached
    /// stack is `vfree()`d with no grace period when its CPU goes offline,
    /// or when a fork's memcg charge fails).
    Fault,
}

/// A thread's stack as a reader sees it while the thread runs on: it may
/// exit, and its stack be freed or reused, at any moment. The kernel reads
/// it with `copy_from_kernel_nofault()` and checks the thread after each
/// read; the host tests script a thread that exits in between.
pub trait ThreadStack {
    /// Words in the stack, lowest address first; word 0 is the
    /// end-of-stack canary.
    fn words(&self) -> usize;
    /// Copies the words from `first` on into `buf` (all of it: the caller
    /// keeps `first + buf.len()` within the stack); false if they could not
    /// be read.
    fn read(&mut self, first: usize, buf: &mut [usize]) -> bool;
    /// Whether the thread still has this stack and has not begun to exit:
    /// then every word read before this call was its own (the kernel side
    /// orders its reads before the check, and a thread is marked exiting
    /// before its stack is released).
    fn unchanged(&mut self) -> bool;
}

/// Reads the words from `first` up (`buf.len()` of them, fewer at the top
/// of the stack) into `buf`, then checks the thread: the words read, or why
/// they were thrown away.
pub fn read_words<'b>(
    s: &mut impl ThreadStack,
    first: usize,
    buf: &'b mut [usize],
) -> Result<&'b [usize], Gone> {
    let n = buf.len().min(s.words().saturating_sub(first));
    let chunk = buf.get_mut(..n).unwrap_or(&mut []);
    if !s.read(first, chunk) {
        return Err(Gone::Fault);
    }
    if !s.unchanged() {
        return Err(Gone::Changed);
    }
    Ok(chunk)
}

/// The bytes of a stack never written, counted as [`unused_bytes`] counts
/// them, read `buf.len()` words at a time from the bottom (the canary's
/// chunk first) and checked after each chunk: none, and why, if the thread
/// changed or a read faulted before the count was complete.
pub fn unused_bytes_checked(s: &mut impl ThreadStack, buf: &mut [usize]) -> Result<usize, Gone> {
    let words = s.words();
    if buf.is_empty() {
        return Err(Gone::Fault);
    }
    let mut first = 0;
    while first < words {
        let chunk = read_words(s, first, buf)?;
        // The first non-zero word after the canary (word 0).
        let skip = usize::from(first == 0);
        if let Some(k) = chunk.iter().skip(skip).position(|&w| w != 0) {
            let at = first.saturating_add(skip).saturating_add(k);
            return Ok(at.saturating_mul(core::mem::size_of::<usize>()));
        }
        first = first.saturating_add(chunk.len().max(1));
    }
    Ok(words.max(1).saturating_mul(core::mem::size_of::<usize>()))
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

/// Whether the 8 bytes that end at a candidate return address end with an
/// arm64 call, which links `x30`: `BL imm26`, `BLR Xn`, or the
/// pointer-authenticated `BLRAA`/`BLRAB`/`BLRAAZ`/`BLRABZ` (4 bytes each).
pub fn arm64_call_before(b: &[u8; 8]) -> bool {
    let w = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    w & 0xfc00_0000 == 0x9400_0000
        || w & 0xffff_fc1f == 0xd63f_0000
        || w & 0xffff_f800 == 0xd73f_0800
        || w & 0xffff_f81f == 0xd63f_081f
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

/// The upper bounds (bytes, inclusive) of the buckets of the population
/// histogram: those of the kernel's vmstat `kstack_*` events (7.3
/// `kernel/exit.c`, `kstack_histogram()`), which count a thread only when it
/// exits; the last bucket, `rest`, holds anything deeper.
pub const KSTACK_BOUNDS: [usize; 7] = [1024, 2048, 4096, 8192, 16384, 32768, 65536];

/// Buckets of the population histogram: [`KSTACK_BOUNDS`] and `rest`.
pub const KSTACK_BUCKETS: usize = KSTACK_BOUNDS.len() + 1;

/// The bucket of a thread that used `used` bytes: the first bound it does
/// not exceed, or `rest`.
pub fn kstack_bucket(used: usize) -> usize {
    KSTACK_BOUNDS
        .iter()
        .position(|&b| used <= b)
        .unwrap_or(KSTACK_BOUNDS.len())
}

/// The deepest threads seen so far, kept in a buffer the caller provides
/// (the kernel allocates it: it is too big for a stack), deepest first; and
/// every thread offered, in the population histogram.
pub struct Deepest<'a> {
    rows: &'a mut [TaskRow],
    len: usize,
    threads: usize,
    dropped: usize,
    faulted: usize,
    population: [usize; KSTACK_BUCKETS],
}

impl<'a> Deepest<'a> {
    /// Keeps up to `rows.len()` threads.
    pub fn new(rows: &'a mut [TaskRow]) -> Self {
        Deepest {
            rows,
            len: 0,
            threads: 0,
            dropped: 0,
            faulted: 0,
            population: [0; KSTACK_BUCKETS],
        }
    }

    /// Counts a thread and keeps it if it is among the deepest.
    pub fn offer(&mut self, row: TaskRow) {
        self.threads = self.threads.saturating_add(1);
        if let Some(n) = self.population.get_mut(kstack_bucket(row.used)) {
            *n = n.saturating_add(1);
        }
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

    /// Counts a thread whose read was thrown away (not listed, not among
    /// the threads offered).
    pub fn drop_thread(&mut self, why: Gone) {
        self.dropped = self.dropped.saturating_add(1);
        if why == Gone::Fault {
            self.faulted = self.faulted.saturating_add(1);
        }
    }

    /// Threads whose read was thrown away: they began exiting, their stack
    /// changed, or a read faulted, while they were read.
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// Of the dropped threads, those whose stack read faulted.
    pub fn faulted(&self) -> usize {
        self.faulted
    }

    /// The kept rows, deepest first.
    pub fn shown(&self) -> &[TaskRow] {
        self.rows.get(..self.len).unwrap_or(&[])
    }

    /// Threads offered.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Every thread offered, by the bucket of its deepest point
    /// ([`KSTACK_BOUNDS`], then `rest`).
    pub fn population(&self) -> &[usize; KSTACK_BUCKETS] {
        &self.population
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
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

    /// A thread's stack as a reader sees it: `exit_at` makes the thread
    /// exit and its stack be freed through call_rcu() just before that
    /// read (its rcu_head and vm_struct pointer land in words 0-2, as
    /// `thread_stack_delayed_free()` writes them), `fault_at` makes that read
    /// fault (the stack vfree()d from the per-CPU cache).
    struct Scripted {
        stack: Vec<usize>,
        reads: usize,
        exit_at: Option<usize>,
        fault_at: Option<usize>,
        exited: bool,
    }

    impl Scripted {
        fn new(stack: Vec<usize>) -> Self {
            Scripted {
                stack,
                reads: 0,
                exit_at: None,
                fault_at: None,
                exited: false,
            }
        }
    }

    impl ThreadStack for Scripted {
        fn words(&self) -> usize {
            self.stack.len()
        }
        fn read(&mut self, first: usize, buf: &mut [usize]) -> bool {
            let k = self.reads;
            self.reads += 1;
            if self.exit_at == Some(k) {
                self.exited = true;
                self.stack[..3].copy_from_slice(&[0, 0xffff_ffff_8123_4560, 0xffff_c900_0001_0000]);
            }
            if self.fault_at == Some(k) {
                return false;
            }
            buf.copy_from_slice(&self.stack[first..first + buf.len()]);
            true
        }
        fn unchanged(&mut self) -> bool {
            !self.exited
        }
    }

    /// A 16K stack (2048 words) used down to word `low`.
    fn stack_used_to(low: usize) -> Vec<usize> {
        let mut s = vec![0usize; 2048];
        s[0] = 0x57ac6e9d;
        for (i, w) in s.iter_mut().enumerate().skip(low) {
            *w = i | 1;
        }
        s
    }

    #[test]
    fn checked_reads_count_like_unused_bytes() {
        for low in [1, 2, 5, 63, 64, 65, 191, 192, 1500, 2047, 2048] {
            let stack = stack_used_to(low);
            let want = unused_bytes(stack.len(), |i| stack[i]);
            for chunk in [1, 3, 64, 192, 4096] {
                let mut buf = vec![7usize; chunk];
                let got = unused_bytes_checked(&mut Scripted::new(stack.clone()), &mut buf);
                assert_eq!(got, Ok(want), "low {low} chunk {chunk}");
            }
        }
        // No buffer reads nothing: no count.
        assert_eq!(
            unused_bytes_checked(&mut Scripted::new(stack_used_to(9)), &mut []),
            Err(Gone::Fault)
        );
    }

    #[test]
    fn a_thread_that_exits_while_read_is_dropped() {
        // The thread exits between the walk's check and the first read: the
        // lowest words read are the rcu_head, which reads as a stack used
        // to 8 bytes of THREAD_SIZE (what `tasks` listed before the check
        // after the read: issue 22).
        let mut s = Scripted::new(stack_used_to(1500));
        s.exit_at = Some(0);
        let mut buf = [0usize; 192];
        assert_eq!(unused_bytes_checked(&mut s, &mut buf), Err(Gone::Changed));
        assert_eq!(2048 * 8 - unused_bytes(2048, |i| s.stack[i]), 16384 - 8);
        // Exiting after some chunks were read: dropped too.
        let mut s = Scripted::new(stack_used_to(1500));
        s.exit_at = Some(3);
        assert_eq!(unused_bytes_checked(&mut s, &mut buf), Err(Gone::Changed));
        // Exiting after the count was complete: this thread's count stands.
        let mut s = Scripted::new(stack_used_to(1500));
        s.exit_at = Some(8);
        assert_eq!(unused_bytes_checked(&mut s, &mut buf), Ok(1500 * 8));
    }

    #[test]
    fn a_stack_unmapped_while_read_is_dropped() {
        let mut buf = [0usize; 64];
        for at in [0, 5, 23] {
            let mut s = Scripted::new(stack_used_to(1500));
            s.fault_at = Some(at);
            assert_eq!(unused_bytes_checked(&mut s, &mut buf), Err(Gone::Fault));
        }
        // The window above a deepest point: read whole or not at all.
        let mut s = Scripted::new(stack_used_to(1900));
        assert_eq!(read_words(&mut s, 1900, &mut buf).map(|w| w.len()), Ok(64));
        assert_eq!(
            read_words(&mut s, 2000, &mut buf).map(|w| (w.len(), w[0])),
            Ok((48, 2001))
        );
        s.fault_at = Some(2);
        assert_eq!(read_words(&mut s, 1900, &mut buf), Err(Gone::Fault));
        s.exit_at = Some(3);
        assert_eq!(read_words(&mut s, 1900, &mut buf), Err(Gone::Changed));
    }

    #[test]
    fn dropped_threads_are_counted_not_listed() {
        let mut rows = [TaskRow::EMPTY; 2];
        let mut d = Deepest::new(&mut rows);
        d.offer(row(1, 100, "a"));
        d.drop_thread(Gone::Changed);
        d.drop_thread(Gone::Fault);
        assert_eq!(
            (d.threads(), d.shown().len(), d.dropped(), d.faulted()),
            (1, 1, 2, 1)
        );
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
        // Every thread in the population, not only those kept.
        assert_eq!(d.population(), &[6, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn population_buckets_are_the_kernels_kstack_ones() {
        let mut buf = [TaskRow::EMPTY; 1];
        let mut d = Deepest::new(&mut buf);
        for used in [
            1024, 1025, 2048, 4096, 4097, 8192, 16384, 16385, 65536, 65537,
        ] {
            d.offer(row(1, used, "t"));
        }
        // <=1K, <=2K, <=4K, <=8K, <=16K, <=32K, <=64K, rest.
        assert_eq!(d.population(), &[1, 2, 1, 2, 1, 1, 1, 1]);
        assert_eq!(d.population().iter().sum::<usize>(), d.threads());
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
        // bl #-0x10 (0x97fffffc), blr x8 (0xd63f0100), blraaz x1 (0xd63f083f),
        // blrab x2, x3 (0xd73f0c43).
        assert!(arm64_call_before(&[0, 0, 0, 0, 0xfc, 0xff, 0xff, 0x97]));
        assert!(arm64_call_before(&[0, 0, 0, 0, 0x00, 0x01, 0x3f, 0xd6]));
        assert!(arm64_call_before(&[0, 0, 0, 0, 0x3f, 0x08, 0x3f, 0xd6]));
        assert!(arm64_call_before(&[0, 0, 0, 0, 0x43, 0x0c, 0x3f, 0xd7]));
        // b #-0x10 (0x17fffffc), br x8 (0xd61f0100), ret (0xd65f03c0), nop.
        assert!(!arm64_call_before(&[0, 0, 0, 0, 0xfc, 0xff, 0xff, 0x17]));
        assert!(!arm64_call_before(&[0, 0, 0, 0, 0x00, 0x01, 0x1f, 0xd6]));
        assert!(!arm64_call_before(&[0, 0, 0, 0, 0xc0, 0x03, 0x5f, 0xd6]));
        assert!(!arm64_call_before(&[0, 0, 0, 0, 0x1f, 0x20, 0x03, 0xd5]));
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
}
