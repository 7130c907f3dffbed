// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Classifies one probe hit: where the stack pointer sits relative to the
//! current task's stack, and how many bytes are used and left.

/// Where a sampled stack pointer was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    /// On the task stack: `used` bytes from the top, `remaining` above the base.
    OnTask {
        /// Bytes between the stack pointer and the top of the task stack.
        used: usize,
        /// Bytes between the base of the task stack and the stack pointer.
        remaining: usize,
    },
    /// Not on the task stack (hard or soft IRQ stack, exception stack).
    OffStack,
}

/// Classifies `sp` against the task stack `[base, base + thread_size)`.
///
/// Never panics: an empty or wrapping stack range is `OffStack`.
pub fn classify(sp: usize, base: usize, thread_size: usize) -> Sample {
    let Some(top) = base.checked_add(thread_size) else {
        return Sample::OffStack;
    };
    if thread_size == 0 || sp < base || sp >= top {
        return Sample::OffStack;
    }
    // Both differences are positive: base <= sp < top.
    Sample::OnTask {
        used: top.wrapping_sub(sp),
        remaining: sp.wrapping_sub(base),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_task_stack() {
        let s = classify(0x1000 + 0x3000, 0x1000, 0x4000);
        assert_eq!(
            s,
            Sample::OnTask {
                used: 0x1000,
                remaining: 0x3000
            }
        );
    }

    #[test]
    fn bounds() {
        assert_eq!(
            classify(0x1000, 0x1000, 0x4000),
            Sample::OnTask {
                used: 0x4000,
                remaining: 0
            }
        );
        assert_eq!(classify(0x5000, 0x1000, 0x4000), Sample::OffStack);
        assert_eq!(classify(0xfff, 0x1000, 0x4000), Sample::OffStack);
        assert_eq!(classify(5, usize::MAX - 2, 0x4000), Sample::OffStack);
        assert_eq!(classify(0x1000, 0x1000, 0), Sample::OffStack);
    }
}
