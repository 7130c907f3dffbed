// SPDX-License-Identifier: GPL-2.0

//! A deliberately broken module for the test harness: it triggers a kernel
//! WARNING when loaded, so the QEMU runner must fail the run and name it.

use kernel::prelude::*;

module! {
    type: WarnTest,
    name: "sw_warn_test",
    authors: ["stackwatch developers"],
    description: "Test module that WARNs on load (harness self-test)",
    license: "GPL",
}

struct WarnTest;

impl kernel::Module for WarnTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        kernel::warn_on!(true);
        Ok(WarnTest)
    }
}
