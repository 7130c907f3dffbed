// SPDX-License-Identifier: GPL-2.0

//! A deliberately broken module for the test harness: on load it allocates
//! buffers and forgets them, so a kmemleak scan after `rmmod` must report a leak
//! whose backtrace points into the module's (now unloaded) code.

use kernel::prelude::*;

module! {
    type: LeakTest,
    name: "sw_leak_test",
    authors: ["stackwatch developers"],
    description: "Test module that leaks a buffer on load (harness self-test)",
    license: "GPL",
}

struct LeakTest;

impl kernel::Module for LeakTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // No pointer to them is kept anywhere: kmemleak must find them. Eight,
        // because a stale copy of the last pointer can stay behind in a freed
        // stack that kmemleak still scans (the kernel caches freed stacks).
        for _ in 0..8 {
            let buf = KBox::new([0x5au8; 256], GFP_KERNEL)?;
            let _ = KBox::into_raw(buf);
        }
        Ok(LeakTest)
    }
}
