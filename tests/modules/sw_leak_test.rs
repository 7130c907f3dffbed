// SPDX-License-Identifier: GPL-2.0

//! A deliberately broken module for the test harness: on load it allocates
//! four 64 KiB buffers and forgets them, so a kmemleak scan after `rmmod` must report a leak
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
        // No pointer to them is kept anywhere: kmemleak must find them. Large
        // allocations (pages, not slab objects): a small slab object stays
        // "referenced" by the stale free-list pointer its neighbour still holds
        // (seen on our KASAN kernel: eight lost 256-byte buffers, count = 1
        // each, never reported).
        for _ in 0..4 {
            let buf = KVec::<u8>::with_capacity(64 * 1024, GFP_KERNEL)?;
            let (_ptr, _len, _cap) = buf.into_raw_parts();
        }
        Ok(LeakTest)
    }
}
