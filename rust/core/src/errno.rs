// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The errno values stackwatch meets, with their names: the one list the
//! module prints them from (the `probes` file's skipped rows, its warnings)
//! and the command explains them from.

/// Declares each errno once: its constant, and its name in [`NAMES`].
macro_rules! errnos {
    ($($(#[$doc:meta])* $name:ident => $value:literal,)*) => {
        $($(#[$doc])* pub const $name: i32 = $value;)*

        /// Every errno above with its name.
        const NAMES: &[(i32, &str)] = &[$(($name, stringify!($name))),*];
    };
}

errnos! {
    /// Operation not permitted.
    EPERM => 1,
    /// No such file, symbol, or attached probe.
    ENOENT => 2,
    /// Argument list (write) too long.
    E2BIG => 7,
    /// Out of memory.
    ENOMEM => 12,
    /// Permission denied.
    EACCES => 13,
    /// Busy.
    EBUSY => 16,
    /// Already exists (already attached).
    EEXIST => 17,
    /// No such device.
    ENODEV => 19,
    /// File too large (a module parameter's read: more than a page).
    EFBIG => 27,
    /// Invalid argument.
    EINVAL => 22,
    /// Result out of range.
    ERANGE => 34,
    /// Illegal byte sequence (kprobes: not at an instruction boundary).
    EILSEQ => 84,
    /// Operation not supported.
    EOPNOTSUPP => 95,
}

/// The symbolic name of an errno value (either sign), `E?` if unknown.
pub fn name(errno: i32) -> &'static str {
    let e = errno.unsigned_abs();
    NAMES
        .iter()
        .find(|(v, _)| v.unsigned_abs() == e)
        .map_or("E?", |(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_either_sign() {
        assert_eq!(name(-2), "ENOENT");
        assert_eq!(name(17), "EEXIST");
        assert_eq!(name(-84), "EILSEQ");
        assert_eq!(name(1234), "E?");
        assert_eq!(name(i32::MIN), "E?");
    }
}
