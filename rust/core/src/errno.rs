//! The errno values stackwatch meets, with their names: the one list the
//! module prints them from (the `probes` file's skipped rows, its warnings)
//! and the command explains them from.

/// Operation not permitted.
pub const EPERM: i32 = 1;
/// No such file, symbol, or attached probe.
pub const ENOENT: i32 = 2;
/// Argument list (write) too long.
pub const E2BIG: i32 = 7;
/// Out of memory.
pub const ENOMEM: i32 = 12;
/// Permission denied.
pub const EACCES: i32 = 13;
/// Busy.
pub const EBUSY: i32 = 16;
/// Already exists (already attached).
pub const EEXIST: i32 = 17;
/// No such device.
pub const ENODEV: i32 = 19;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// Result out of range.
pub const ERANGE: i32 = 34;
/// Illegal byte sequence (kprobes: not at an instruction boundary).
pub const EILSEQ: i32 = 84;
/// Operation not supported.
pub const EOPNOTSUPP: i32 = 95;

/// Every errno above with its name.
const NAMES: [(i32, &str); 12] = [
    (EPERM, "EPERM"),
    (ENOENT, "ENOENT"),
    (E2BIG, "E2BIG"),
    (ENOMEM, "ENOMEM"),
    (EACCES, "EACCES"),
    (EBUSY, "EBUSY"),
    (EEXIST, "EEXIST"),
    (ENODEV, "ENODEV"),
    (EINVAL, "EINVAL"),
    (ERANGE, "ERANGE"),
    (EILSEQ, "EILSEQ"),
    (EOPNOTSUPP, "EOPNOTSUPP"),
];

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
