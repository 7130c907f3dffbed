// SPDX-License-Identifier: MIT OR Apache-2.0
//! Errno values the module's control files return, with what they mean
//! for each kind of write.

pub use stackwatch_core::errno::{
    name, E2BIG, EACCES, EBUSY, EEXIST, EFBIG, EINVAL, ENODEV, ENOENT, ENOMEM, EOPNOTSUPP, EPERM,
    ERANGE,
};

/// What an errno from a write to the control file `file` means.
pub fn explain_write(file: &str, errno: i32) -> String {
    let why = match (errno.saturating_abs(), file) {
        (ENOENT, "probes") => "no such symbol, or not attached",
        (ENOENT, _) => "no such file",
        // The command checks what it writes (names, globs), so from it
        // EINVAL is the kernel refusing the function; a skipped probe's
        // EINVAL is that too.
        (EINVAL, "probes") => {
            "the kernel will not probe this function: it is on the kprobe blacklist \
             (noinstr, NOKPROBE_SYMBOL or __kprobes code, or stackwatch's own); probe its \
             caller instead (a line written by hand may also be malformed: +name, -name, \
             +glob* or clear)"
        }
        (EINVAL, "enabled" | "reset") => "malformed value (expected 0 or 1)",
        (EINVAL, "threshold") => {
            "malformed value (expected a decimal number of bytes), or too small to ever warn \
             (the kernel log names the least; 0 turns warnings off)"
        }
        (EINVAL, "budgets") => "malformed value (expected up to 4 sizes in bytes, or none)",
        (EINVAL, _) => "malformed input",
        (E2BIG, "budgets") => "too many budgets (4 at most) or write too long",
        (E2BIG, _) => "too long (a name is 256 bytes at most, a write 4096)",
        (ERANGE, "threshold") => "out of range (at most THREAD_SIZE)",
        (ERANGE, "budgets") => "out of range (each budget 1..=THREAD_SIZE)",
        (ERANGE, _) => "value out of range",
        (EEXIST, _) => "already attached",
        (EPERM | EACCES, _) => "permission denied (run as root)",
        (EBUSY, "probes") => "busy (the symbol may not be probeable)",
        (EBUSY, _) => "busy (the module is starting or stopping)",
        (ENOMEM, _) => "out of memory",
        (EOPNOTSUPP, _) => "not supported (this symbol cannot be probed)",
        (ENODEV, _) => "no such device (is the module being unloaded?)",
        _ => "unexpected error",
    };
    format!("{}: {}", name(errno), why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_explanations() {
        assert_eq!(
            explain_write("probes", ENOENT),
            "ENOENT: no such symbol, or not attached"
        );
        assert!(explain_write("threshold", ERANGE).starts_with("ERANGE: out of range"));
        assert!(explain_write("probes", E2BIG).starts_with("E2BIG: too long"));
        assert_eq!(explain_write("probes", EEXIST), "EEXIST: already attached");
        assert!(explain_write("enabled", EINVAL).contains("0 or 1"));
        assert!(explain_write("threshold", EINVAL).contains("too small to ever warn"));
        // A blacklisted function is named as such, not as a malformed line.
        let e = explain_write("probes", EINVAL);
        assert!(
            e.starts_with(
                "EINVAL: the kernel will not probe this function: it is on the kprobe blacklist"
            ),
            "{e}"
        );
    }
}
