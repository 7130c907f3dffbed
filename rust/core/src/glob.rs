// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Shell-style glob matching with the kernel's semantics (`lib/glob.c`,
//! `glob_match`), which fprobe uses to pick the functions of a filter: `?`
//! one character, `*` any run, `[abc]`, `[a-z]` and `[!a-z]` classes (the
//! first span may be `]`), `\` quotes the next character, and a `[` without
//! its `]` is a literal. The whole name must match. The module uses it to
//! tell whether a module that comes up has functions a glob matches.

/// The byte at `i`, or 0 (the C string's NUL) past the end.
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// True if `name` matches `pattern` as the kernel's `glob_match` decides.
/// Non-recursive, at most `name.len() * pattern.len()` steps; a NUL byte
/// ends either string, as in C.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let (pat, s) = (pattern.as_bytes(), name.as_bytes());
    // Indexes into `pat` and `s`; the last `*` seen and where its match of
    // `s` started, to backtrack to (never more than one level is needed).
    let (mut p, mut i) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None;
    loop {
        let c = at(s, i);
        let mut d = at(pat, p);
        p = p.saturating_add(1);
        i = i.saturating_add(1);
        let matched = match d {
            b'?' => {
                if c == 0 {
                    return false;
                }
                true
            }
            b'*' => {
                if at(pat, p) == 0 {
                    return true;
                }
                // Zero-length match first.
                i = i.saturating_sub(1);
                back = Some((p, i));
                true
            }
            b'[' => {
                if c == 0 {
                    return false;
                }
                match class(pat, p, c) {
                    Some((true, end)) => {
                        p = end;
                        true
                    }
                    Some((false, _)) => false,
                    // Malformed: the `[` is a literal.
                    None => c == d,
                }
            }
            _ => {
                if d == b'\\' {
                    d = at(pat, p);
                    p = p.saturating_add(1);
                }
                if c == d && d == 0 {
                    return true;
                }
                c == d
            }
        };
        if !matched {
            // Try again from the last `*`, one character later in `name`.
            match back {
                Some((bp, bs)) if c != 0 => {
                    p = bp;
                    i = bs.saturating_add(1);
                    back = Some((bp, i));
                }
                _ => return false,
            }
        }
    }
}

/// Matches `c` against the class whose body starts at `pat[start]` (after
/// the `[`): whether it matched and the index after the closing `]`, or
/// `None` if the class has no `]` (then the `[` is a literal).
fn class(pat: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let inverted = at(pat, start) == b'!';
    let mut k = if inverted {
        start.saturating_add(1)
    } else {
        start
    };
    let mut a = at(pat, k);
    k = k.saturating_add(1);
    let mut matched = false;
    loop {
        let mut b = a;
        if a == 0 {
            return None;
        }
        if at(pat, k) == b'-' && at(pat, k.saturating_add(1)) != b']' {
            b = at(pat, k.saturating_add(1));
            if b == 0 {
                return None;
            }
            k = k.saturating_add(2);
        }
        if a <= c && c <= b {
            matched = true;
        }
        a = at(pat, k);
        k = k.saturating_add(1);
        if a == b']' {
            break;
        }
    }
    Some((matched != inverted, k))
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn wildcards() {
        assert!(glob_match("xfs_*", "xfs_buf_lock"));
        assert!(glob_match("xfs_*", "xfs_"));
        assert!(!glob_match("xfs_*", "xf"));
        assert!(!glob_match("xfs_*", "__cfi_xfs_buf_lock"));
        assert!(glob_match("xfs_buf_*", "xfs_buf_lock"));
        assert!(!glob_match("xfs_buf_*", "xfs_bmapi_write"));
        assert!(glob_match("*_alloc*", "kmem_cache_alloc_noprof"));
        assert!(glob_match("*_alloc*", "xfs_alloc"));
        assert!(!glob_match("*_alloc*", "xfsalloc"));
        assert!(glob_match("nfsd?_*", "nfsd4_proc_compound"));
        assert!(!glob_match("nfsd?_*", "nfsd_dispatch"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYbZc"));
        assert!(!glob_match("a*b*c", "aXXbYYbZ"));
        assert!(glob_match("*aaaaa", "aaaaaaaaaa"));
        assert!(!glob_match("*aaaab", "aaaaaaaaaa"));
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
        assert!(!glob_match("exactly", "exact"));
        assert!(!glob_match("?", ""));
    }

    #[test]
    fn classes() {
        assert!(glob_match("xfs_[ab]*", "xfs_buf_lock"));
        assert!(glob_match("xfs_[a-c]*", "xfs_buf_lock"));
        assert!(!glob_match("xfs_[!a-c]*", "xfs_buf_lock"));
        assert!(glob_match("xfs_[!a-c]*", "xfs_log_force"));
        assert!(glob_match("[]]x", "]x"));
        assert!(glob_match("[a-]x", "-x"));
        assert!(!glob_match("[a]", ""));
        // No closing bracket: the `[` is a literal.
        assert!(glob_match("a[b", "a[b"));
        assert!(!glob_match("a[b", "ab"));
        assert!(glob_match("a[b-", "a[b-"));
        // Backtracking over a class.
        assert!(glob_match("*[0-9]_x", "abc1_x"));
        assert!(!glob_match("*[0-9]_x", "abc_x"));
    }

    #[test]
    fn escapes_and_nul() {
        assert!(glob_match("a\\*", "a*"));
        assert!(!glob_match("a\\*", "ab"));
        // A NUL ends the string, as in C.
        assert!(glob_match("ab", "ab\0cd"));
    }
}
