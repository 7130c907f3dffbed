// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Call chains: trimming a raw stack trace to the probed function, finding
//! each frame's size by locating its return address on the stack (as the
//! ftrace stack tracer does), and a preallocated slot that a probe handler
//! fills without locks while readers take consistent copies (a seqcount).

use core::sync::atomic::{
    fence, AtomicU32, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release},
};

/// Most frames kept per chain.
pub const MAX_FRAMES: usize = 56;

/// Frames in the code of a module that went away are rewritten to
/// `UNLOADED + k` (see [`TraceSlot::rewrite_frames`]), `k` naming the module
/// (below [`MAX_UNLOADED`]; `MAX_UNLOADED` itself: one not named): a low
/// value that no code address is, so that a chain never shows an address
/// that other code may have taken since.
pub const UNLOADED: usize = 0x10;
/// Modules that went away a chain's frames can name.
pub const MAX_UNLOADED: usize = 16;

/// The frame that stands for code of unloaded module `k` (see [`UNLOADED`]).
pub fn unloaded_frame(k: usize) -> usize {
    UNLOADED.saturating_add(k.min(MAX_UNLOADED))
}

/// Which unloaded module `frame` stands for, if it is such a frame: `Some(k)`
/// with `k <= MAX_UNLOADED` (see [`UNLOADED`]).
pub fn unloaded_module(frame: usize) -> Option<usize> {
    frame.checked_sub(UNLOADED).filter(|k| *k <= MAX_UNLOADED)
}

/// Start of the chain proper: the first frame inside the probed function,
/// i.e. within `[ip, ip + window]`. `None` if the unwinder did not report it.
pub fn trim_start(frames: &[usize], ip: usize, window: usize) -> Option<usize> {
    frames
        .iter()
        .position(|&f| f.checked_sub(ip).is_some_and(|d| d <= window))
}

/// Fills `sizes[k]` with the stack bytes of frame `k` of `frames` (frame 0 is
/// the probed function at its entry, frame k+1 the caller of frame k), so that
/// they sum to `used`. `word(i)` reads the i-th machine word above the sampled
/// stack pointer, `nwords` of them up to the top of the stack. A return address
/// not found on the stack gets size 0 for the frame below it, as in ftrace.
pub fn frame_sizes(
    frames: &[usize],
    word: &dyn Fn(usize) -> Option<usize>,
    nwords: usize,
    word_size: usize,
    used: usize,
    sizes: &mut [u32],
) {
    let n = frames.len().min(sizes.len());
    // loc[k]: word index of the return address into frame k (frame 0: sp).
    let mut prev_loc = 0usize;
    let mut scan = 0usize;
    let mut prev_byte = 0usize;
    for k in 0..n {
        let loc = if k == 0 {
            0
        } else {
            let target = frames.get(k).copied().unwrap_or(0);
            let mut found = None;
            let mut i = scan;
            while i < nwords {
                if word(i) == Some(target) {
                    found = Some(i);
                    break;
                }
                i = i.saturating_add(1);
            }
            match found {
                Some(i) => {
                    scan = i.saturating_add(1);
                    i
                }
                None => prev_loc,
            }
        };
        let byte = loc.saturating_mul(word_size).min(used);
        if k > 0 {
            if let Some(s) = k.checked_sub(1).and_then(|j| sizes.get_mut(j)) {
                *s = u32::try_from(byte.saturating_sub(prev_byte)).unwrap_or(u32::MAX);
            }
        }
        prev_loc = loc;
        prev_byte = byte;
    }
    if n > 0 {
        if let Some(s) = n.checked_sub(1).and_then(|j| sizes.get_mut(j)) {
            *s = u32::try_from(used.saturating_sub(prev_byte)).unwrap_or(u32::MAX);
        }
    }
}

/// [`frame_sizes`] for a chain taken at the probed function's entry on an
/// architecture that keeps the return address in a register there and saves
/// it at the top of a function's own frame (riscv64: `ra`, stored in the
/// frame record at `fp - 8` by the prologue). Frame 0, the probed function,
/// has no frame yet: 0 bytes. Frame 1, its caller, starts at the sampled
/// stack pointer, and its return address is not on the stack (it is in
/// `ra`), so it is not looked for: a copy of it higher up, which recursion
/// through one call site leaves, would be taken for it. Each later return
/// address is found in the record at the top of the frame below it, so that
/// frame ends one word above it: each frame's size is then its function's
/// whole frame (what its prologue allocates). They sum to `used`; a return
/// address not found gives the frame below it size 0.
pub fn entry_frame_sizes_ra_in_register(
    frames: &[usize],
    word: &dyn Fn(usize) -> Option<usize>,
    nwords: usize,
    word_size: usize,
    used: usize,
    sizes: &mut [u32],
) {
    let n = frames.len().min(sizes.len());
    if let Some(s) = sizes.first_mut() {
        *s = 0;
    }
    // Byte offset above sp where frame k starts, and the next word to scan.
    let mut start = 0usize;
    let mut scan = 0usize;
    for k in 1..n {
        let next = frames.get(k.saturating_add(1)).copied();
        let end = match next {
            Some(target) if k.saturating_add(1) < n => {
                let mut i = scan;
                let mut found = None;
                while i < nwords {
                    if word(i) == Some(target) {
                        found = Some(i);
                        break;
                    }
                    i = i.saturating_add(1);
                }
                match found {
                    Some(i) => {
                        scan = i.saturating_add(1);
                        scan.saturating_mul(word_size).min(used).max(start)
                    }
                    None => start,
                }
            }
            // The outermost frame kept: the rest of the stack.
            _ => used.max(start),
        };
        if let Some(s) = sizes.get_mut(k) {
            *s = u32::try_from(end.saturating_sub(start)).unwrap_or(u32::MAX);
        }
        start = end;
    }
}

/// A consistent copy of a [`TraceSlot`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trace {
    /// Used stack bytes when the chain was captured.
    pub used: usize,
    /// Number of valid frames.
    pub len: usize,
    /// Return addresses, innermost (the probed function) first.
    pub frames: [usize; MAX_FRAMES],
    /// Stack bytes of each frame.
    pub sizes: [u32; MAX_FRAMES],
    /// Task that was running.
    pub pid: u32,
    /// Its `comm`, NUL-padded.
    pub comm: [u8; 16],
}

impl Trace {
    /// An empty trace.
    pub const fn empty() -> Self {
        Trace {
            used: 0,
            len: 0,
            frames: [0; MAX_FRAMES],
            sizes: [0; MAX_FRAMES],
            pid: 0,
            comm: [0; 16],
        }
    }

    /// The valid frames.
    pub fn frames(&self) -> &[usize] {
        self.frames.get(..self.len).unwrap_or(&[])
    }

    /// The valid frame sizes.
    pub fn sizes(&self) -> &[u32] {
        self.sizes.get(..self.len).unwrap_or(&[])
    }

    /// The task name as text (lossy: stops at the first NUL or non-UTF-8).
    pub fn comm_str(&self) -> &str {
        let end = self
            .comm
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(self.comm.len());
        let bytes = self.comm.get(..end).unwrap_or(&[]);
        match core::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                core::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or("")
            }
        }
    }
}

/// Preallocated storage for one chain, written by at most one handler at a
/// time (others skip) and read consistently by any number of readers.
pub struct TraceSlot {
    seq: AtomicU32,
    used: AtomicUsize,
    len: AtomicUsize,
    frames: [AtomicUsize; MAX_FRAMES],
    sizes: [AtomicU32; MAX_FRAMES],
    pid: AtomicU32,
    comm: [AtomicU64; 2],
}

impl TraceSlot {
    /// An empty slot.
    pub const fn new() -> Self {
        TraceSlot {
            seq: AtomicU32::new(0),
            used: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            frames: [const { AtomicUsize::new(0) }; MAX_FRAMES],
            sizes: [const { AtomicU32::new(0) }; MAX_FRAMES],
            pid: AtomicU32::new(0),
            comm: [const { AtomicU64::new(0) }; 2],
        }
    }

    /// Stores `t` unless another writer is busy with the slot (then false).
    /// A write that would not be deeper than what the slot holds is dropped.
    pub fn try_store(&self, t: &Trace) -> bool {
        let s = self.seq.load(Relaxed);
        if s & 1 == 1
            || self
                .seq
                .compare_exchange(s, s.wrapping_add(1), Acquire, Relaxed)
                .is_err()
        {
            return false;
        }
        fence(Release);
        let stored = t.used >= self.used.load(Relaxed) || self.len.load(Relaxed) == 0;
        if stored {
            self.used.store(t.used, Relaxed);
            let len = t.len.min(MAX_FRAMES);
            self.len.store(len, Relaxed);
            for (d, v) in self.frames.iter().zip(t.frames.iter()) {
                d.store(*v, Relaxed);
            }
            for (d, v) in self.sizes.iter().zip(t.sizes.iter()) {
                d.store(*v, Relaxed);
            }
            self.pid.store(t.pid, Relaxed);
            let (a, b) = t.comm.split_at(8);
            self.comm[0].store(u64::from_ne_bytes(a.try_into().unwrap_or([0; 8])), Relaxed);
            self.comm[1].store(u64::from_ne_bytes(b.try_into().unwrap_or([0; 8])), Relaxed);
        }
        self.seq.store(s.wrapping_add(2), Release);
        stored
    }

    /// Used bytes of the stored chain (0 when empty). A single load, for the
    /// handler: no copy of the chain on the stack it measures.
    pub fn used(&self) -> usize {
        self.used.load(Relaxed)
    }

    /// A consistent copy, or `None` if writers kept it busy for every retry
    /// or it holds nothing.
    pub fn load(&self) -> Option<Trace> {
        let mut t = Trace::empty();
        self.load_into(&mut t).then_some(t)
    }

    /// A consistent copy into `t` (a reader's own, e.g. on the heap: a
    /// chain is about 700 bytes); false, with `t` undefined, if writers kept
    /// it busy for every retry or it holds nothing.
    pub fn load_into(&self, t: &mut Trace) -> bool {
        for _ in 0..64 {
            let s1 = self.seq.load(Acquire);
            if s1 & 1 == 1 {
                core::hint::spin_loop();
                continue;
            }
            t.used = self.used.load(Relaxed);
            t.len = self.len.load(Relaxed).min(MAX_FRAMES);
            for (d, v) in t.frames.iter_mut().zip(self.frames.iter()) {
                *d = v.load(Relaxed);
            }
            for (d, v) in t.sizes.iter_mut().zip(self.sizes.iter()) {
                *d = v.load(Relaxed);
            }
            t.pid = self.pid.load(Relaxed);
            let a = self.comm[0].load(Relaxed).to_ne_bytes();
            let b = self.comm[1].load(Relaxed).to_ne_bytes();
            t.comm[..8].copy_from_slice(&a);
            t.comm[8..].copy_from_slice(&b);
            fence(Acquire);
            if self.seq.load(Relaxed) == s1 {
                return t.len != 0;
            }
        }
        false
    }

    /// Replaces each frame of the stored chain for which `f` returns a value
    /// by that value (sizes, depth and task stay). False if a writer was
    /// busy with the slot (nothing changed); process context.
    pub fn rewrite_frames(&self, mut f: impl FnMut(usize) -> Option<usize>) -> bool {
        let s = self.seq.load(Relaxed);
        if s & 1 == 1
            || self
                .seq
                .compare_exchange(s, s.wrapping_add(1), Acquire, Relaxed)
                .is_err()
        {
            return false;
        }
        fence(Release);
        let len = self.len.load(Relaxed).min(MAX_FRAMES);
        for d in self.frames.iter().take(len) {
            if let Some(v) = f(d.load(Relaxed)) {
                d.store(v, Relaxed);
            }
        }
        self.seq.store(s.wrapping_add(2), Release);
        true
    }

    /// Empties the slot (skipped if a writer is busy: it will be overwritten
    /// by a deeper chain or emptied by the next reset).
    pub fn reset(&self) {
        let s = self.seq.load(Relaxed);
        if s & 1 == 0
            && self
                .seq
                .compare_exchange(s, s.wrapping_add(1), Acquire, Relaxed)
                .is_ok()
        {
            self.len.store(0, Relaxed);
            self.used.store(0, Relaxed);
            self.seq.store(s.wrapping_add(2), Release);
        }
    }
}

impl Default for TraceSlot {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_to_probed_function() {
        let f = [0x100, 0x200, 0x1004, 0x3000];
        assert_eq!(trim_start(&f, 0x1000, 16), Some(2));
        assert_eq!(trim_start(&f, 0x5000, 16), None);
    }

    #[test]
    fn sizes_sum_to_used_and_follow_the_stack() {
        // Stack words above sp: index 0 holds the return into frame 1 (the
        // caller), index 10 into frame 2, index 30 into frame 3.
        let mut stack = [0usize; 64];
        stack[0] = 0xa1;
        stack[10] = 0xb2;
        stack[30] = 0xc3;
        let frames = [0xf00, 0xa1, 0xb2, 0xc3];
        let mut sizes = [0u32; 4];
        let word = |i: usize| stack.get(i).copied();
        frame_sizes(&frames, &word, 64, 8, 512, &mut sizes);
        assert_eq!(sizes, [0, 80, 160, 272]);
        assert_eq!(sizes.iter().map(|&s| s as usize).sum::<usize>(), 512);
    }

    #[test]
    fn missing_return_address_gives_zero() {
        let stack = [0xa1usize, 0, 0, 0xc3, 0, 0, 0, 0];
        let frames = [0xf00, 0xa1, 0xb2, 0xc3];
        let mut sizes = [0u32; 4];
        let word = |i: usize| stack.get(i).copied();
        frame_sizes(&frames, &word, 8, 8, 64, &mut sizes);
        assert_eq!(sizes, [0, 0, 24, 40]);
        assert_eq!(sizes.iter().sum::<u32>(), 64);
    }

    #[test]
    fn ra_in_register_sizes_are_whole_frames() {
        // riscv64 at the entry of f, called by c (frame of 48 bytes), called
        // by b (32), called by a (the rest): c's record holds b's return
        // address at word 5 (fp - 8), b's holds a's at word 9.
        let mut stack = [0usize; 16];
        stack[5] = 0xb2;
        stack[4] = 0x5000; // c's saved fp
        stack[9] = 0xa3;
        let frames = [0xf00, 0xc1, 0xb2, 0xa3];
        let mut sizes = [7u32; 4];
        let word = |i: usize| stack.get(i).copied();
        entry_frame_sizes_ra_in_register(&frames, &word, 16, 8, 128, &mut sizes);
        assert_eq!(sizes, [0, 48, 32, 48]);
        assert_eq!(sizes.iter().sum::<u32>(), 128);
    }

    #[test]
    fn ra_in_register_ignores_a_copy_of_the_callers_return_address() {
        // Recursion through one call site: f called from g+0x10 by g (48
        // bytes), itself called from g+0x10 by g (64), called by h. The
        // caller's return address (0x10) is in ra, not on the stack; the
        // first 0x10 on the stack is the outer g's, in the inner g's record.
        let mut stack = [0usize; 32];
        stack[5] = 0x10;
        stack[13] = 0x20;
        let frames = [0xf00, 0x10, 0x10, 0x20];
        let mut sizes = [0u32; 4];
        let word = |i: usize| stack.get(i).copied();
        entry_frame_sizes_ra_in_register(&frames, &word, 32, 8, 256, &mut sizes);
        assert_eq!(sizes, [0, 48, 64, 144]);
        // Where frame_sizes, looking for ra on the stack, charges the inner
        // g's frame to f and finds nothing for the outer g's.
        frame_sizes(&frames, &word, 32, 8, 256, &mut sizes);
        assert_eq!(sizes, [40, 0, 64, 152]);
    }

    #[test]
    fn ra_in_register_missing_return_address_gives_zero() {
        let stack = [0usize; 8];
        let frames = [0xf00, 0xc1, 0xb2, 0xa3];
        let mut sizes = [9u32; 4];
        let word = |i: usize| stack.get(i).copied();
        entry_frame_sizes_ra_in_register(&frames, &word, 8, 8, 64, &mut sizes);
        assert_eq!(sizes, [0, 0, 0, 64]);
        let mut one = [5u32; 1];
        entry_frame_sizes_ra_in_register(&frames[..1], &word, 8, 8, 64, &mut one);
        assert_eq!(one, [0]);
    }

    #[test]
    fn slot_roundtrip_and_keeps_deepest() {
        let slot = TraceSlot::new();
        assert!(slot.load().is_none());
        let mut t = Trace::empty();
        t.used = 900;
        t.len = 2;
        t.frames[0] = 1;
        t.frames[1] = 2;
        t.pid = 42;
        t.comm[..4].copy_from_slice(b"nfsd");
        assert!(slot.try_store(&t));
        let got = slot.load().unwrap();
        assert_eq!(got, t);
        assert_eq!(got.comm_str(), "nfsd");
        t.used = 100;
        assert!(
            !slot.try_store(&t),
            "shallower chain must not replace a deeper one"
        );
        assert_eq!(slot.load().unwrap().used, 900);
        slot.reset();
        assert!(slot.load().is_none());
    }

    #[test]
    fn frames_of_a_gone_module_are_rewritten() {
        let slot = TraceSlot::new();
        let mut t = Trace::empty();
        t.used = 700;
        t.len = 3;
        t.frames[..4].copy_from_slice(&[0xffff_1000, 0xc000_0010, 0xffff_2000, 0xc000_0020]);
        t.sizes[..3].copy_from_slice(&[0, 300, 400]);
        assert!(slot.try_store(&t));
        let module = 0xc000_0000..0xc001_0000;
        assert!(slot.rewrite_frames(|f| module.contains(&f).then(|| unloaded_frame(2))));
        let got = slot.load().unwrap();
        assert_eq!(got.frames(), [0xffff_1000, unloaded_frame(2), 0xffff_2000]);
        assert_eq!(got.frames[3], 0xc000_0020, "past the chain: untouched");
        assert_eq!((got.used, got.sizes()), (700, &[0u32, 300, 400][..]));
        assert_eq!(unloaded_module(got.frames[1]), Some(2));
        assert_eq!(unloaded_module(unloaded_frame(99)), Some(MAX_UNLOADED));
        assert_eq!(unloaded_module(0xffff_1000), None);
        assert_eq!(unloaded_module(0), None);
        // Busy with a writer: nothing changes.
        slot.seq.fetch_add(1, Relaxed);
        assert!(!slot.rewrite_frames(|_| Some(1)));
        slot.seq.fetch_add(1, Relaxed);
        assert_eq!(slot.load().unwrap().frames(), got.frames());
    }
}
