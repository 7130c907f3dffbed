// SPDX-License-Identifier: GPL-2.0

//! A deliberately broken module for the test harness: on load it takes two
//! mutexes in one order, then in the other (an AB-BA inversion that never
//! deadlocks in one thread but that lockdep reports as "possible circular
//! locking dependency"), so the QEMU runner must fail the run on a kernel
//! with `PROVE_LOCKING` and name the report.

use kernel::{new_mutex, prelude::*, sync::Mutex};

module! {
    type: LockdepTest,
    name: "sw_lockdep_test",
    authors: ["stackwatch developers"],
    description: "Test module that inverts a lock order on load (harness self-test)",
    license: "GPL",
}

/// Two locks of two lock classes (one `new_mutex!` call site each).
#[pin_data]
struct Locks {
    #[pin]
    a: Mutex<u32>,
    #[pin]
    b: Mutex<u32>,
}

struct LockdepTest;

impl kernel::Module for LockdepTest {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let locks = KBox::pin_init(
            pin_init!(Locks {
                a <- new_mutex!(0),
                b <- new_mutex!(0),
            }),
            GFP_KERNEL,
        )?;
        {
            let _a = locks.a.lock();
            let _b = locks.b.lock();
        }
        {
            let _b = locks.b.lock();
            let _a = locks.a.lock();
        }
        Ok(LockdepTest)
    }
}
