// SPDX-License-Identifier: GPL-2.0 OR MIT
//! Parsing of everything users write: the `probes` control lines (`+name`,
//! `-name`, `+glob*`, `clear`), name lists given at load time, numbers,
//! booleans and budget lists. Errors name the bad value.

use super::budget_sizes::{DEFAULT_BUDGETS, MAX_BUDGETS};
use core::fmt;

/// Longest symbol name or glob accepted (the kernel's KSYM_NAME_LEN is 512).
pub const MAX_NAME: usize = 256;
/// Longest single write to a control file, in bytes.
pub const MAX_WRITE: usize = 4096;

/// What a parse error was about; the kernel maps it to an errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputErrorKind {
    /// Malformed input (EINVAL).
    Invalid,
    /// Input too long (E2BIG).
    TooLong,
    /// Number out of range (ERANGE).
    Range,
}

/// A parse error with the offending text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InputError<'a> {
    /// What went wrong.
    pub kind: InputErrorKind,
    /// The offending token (possibly truncated by the caller for printing).
    pub token: &'a str,
    /// Why, in a few words.
    pub why: &'static str,
}

impl<'a> InputError<'a> {
    /// The offending token, cut to 64 bytes for messages.
    pub fn token_short(&self) -> &'a str {
        let mut end = self.token.len().min(64);
        while !self.token.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        self.token.get(..end).unwrap_or("")
    }
}

impl fmt::Display for InputError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: '{}'", self.why, self.token_short())
    }
}

fn err<'a>(kind: InputErrorKind, token: &'a str, why: &'static str) -> InputError<'a> {
    InputError { kind, token, why }
}

/// One line written to `probes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeCmd<'a> {
    /// Attach to a symbol or every symbol matching a glob.
    Add(&'a str),
    /// Detach what an earlier `Add` with the same text attached.
    Remove(&'a str),
    /// Detach everything.
    Clear,
}

/// The prefix that asks for a kprobe on one symbol (`kprobe:submit_bio`)
/// where stackwatch's ftrace ops would otherwise watch it.
pub const KPROBE_PREFIX: &str = "kprobe:";

/// True if `name` is a glob (ftrace filter) rather than one symbol.
pub fn is_glob(name: &str) -> bool {
    name.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

/// Splits a checked spec into whether it asks for a kprobe and the symbol
/// or glob (`kprobe:name` gives `(true, "name")`).
pub fn kprobe_spec(spec: &str) -> (bool, &str) {
    match spec.strip_prefix(KPROBE_PREFIX) {
        Some(name) => (true, name),
        None => (false, spec),
    }
}

/// Checks a spec: a symbol name or glob of 1..=MAX_NAME characters of
/// `[A-Za-z0-9_.$*?[]]`, or `kprobe:` and a symbol name (not a glob).
pub fn check_name(spec: &str) -> Result<&str, InputError<'_>> {
    let (kprobe, name) = kprobe_spec(spec);
    if spec.len() > MAX_NAME {
        return Err(err(InputErrorKind::TooLong, spec, "symbol name too long"));
    }
    if kprobe && is_glob(name) {
        return Err(err(
            InputErrorKind::Invalid,
            spec,
            "a kprobe takes one symbol, not a glob",
        ));
    }
    check_symbol(name)?;
    Ok(spec)
}

fn check_symbol(name: &str) -> Result<&str, InputError<'_>> {
    if name.is_empty() {
        return Err(err(InputErrorKind::Invalid, name, "empty symbol name"));
    }
    let ok = name.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b'*' | b'?' | b'[' | b']')
    });
    if !ok {
        return Err(err(
            InputErrorKind::Invalid,
            name,
            "bad character in symbol name",
        ));
    }
    if name.bytes().all(|b| matches!(b, b'*' | b'?')) {
        return Err(err(
            InputErrorKind::Invalid,
            name,
            "glob matches every function",
        ));
    }
    Ok(name)
}

/// Parses one control line; blank lines and `#` comments are `None`.
pub fn parse_probe_line(line: &str) -> Result<Option<ProbeCmd<'_>>, InputError<'_>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    if line == "clear" {
        return Ok(Some(ProbeCmd::Clear));
    }
    let (Some(op), Some(rest)) = (line.get(..1), line.get(1..)) else {
        return Err(err(
            InputErrorKind::Invalid,
            line,
            "expected +name, -name or clear",
        ));
    };
    let name = check_name(rest.trim())?;
    match op {
        "+" => Ok(Some(ProbeCmd::Add(name))),
        "-" => Ok(Some(ProbeCmd::Remove(name))),
        _ => Err(err(
            InputErrorKind::Invalid,
            line,
            "expected +name, -name or clear",
        )),
    }
}

/// Checks a whole write to `probes` before anything is applied; returns the
/// number of commands in it.
pub fn check_probe_write(text: &str) -> Result<usize, InputError<'_>> {
    if text.len() > MAX_WRITE {
        return Err(err(
            InputErrorKind::TooLong,
            "",
            "write larger than 4096 bytes",
        ));
    }
    let mut n: usize = 0;
    for line in lines(text) {
        if parse_probe_line(line)?.is_some() {
            n = n.saturating_add(1);
        }
    }
    if n == 0 {
        return Err(err(InputErrorKind::Invalid, text.trim(), "no command"));
    }
    Ok(n)
}

/// The lines of a write, split at `\n` (a `\r` before it is left to the
/// line's trimming): `str::lines` without its slicing that can panic.
pub fn lines(text: &str) -> Lines<'_> {
    Lines(text)
}

/// Iterator of [`lines`].
#[derive(Clone)]
pub struct Lines<'a>(&'a str);

impl<'a> Iterator for Lines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.0.is_empty() {
            return None;
        }
        let rest = self.0;
        let Some(nl) = rest.bytes().position(|b| b == b'\n') else {
            self.0 = "";
            return Some(rest);
        };
        self.0 = rest.get(nl.saturating_add(1)..).unwrap_or("");
        Some(rest.get(..nl).unwrap_or(""))
    }
}

/// Splits a load-time list (`probes=a,b,xfs_*`) into names; commas or spaces.
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
}

/// Parses a decimal number no larger than `max`.
pub fn parse_number(s: &str, max: u64) -> Result<u64, InputError<'_>> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(InputErrorKind::Invalid, t, "not a decimal number"));
    }
    let mut v: u64 = 0;
    for b in t.bytes() {
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b.wrapping_sub(b'0'))))
            .ok_or(err(InputErrorKind::Range, t, "number too large"))?;
    }
    if v > max {
        return Err(err(InputErrorKind::Range, t, "number out of range"));
    }
    Ok(v)
}

/// Parses `0` or `1`.
pub fn parse_bool(s: &str) -> Result<bool, InputError<'_>> {
    match s.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        t => Err(err(InputErrorKind::Invalid, t, "expected 0 or 1")),
    }
}

/// Parses up to MAX_BUDGETS budget sizes in bytes (each 1..=`max`), `none`,
/// or `default` (those of DEFAULT_BUDGETS below `max`, the stack size: none
/// on a 4K kernel); unused entries are 0.
pub fn parse_budgets(s: &str, max: usize) -> Result<[usize; MAX_BUDGETS], InputError<'_>> {
    let mut out = [0usize; MAX_BUDGETS];
    if s.trim() == "none" {
        return Ok(out);
    }
    if s.trim() == "default" {
        for (o, b) in out
            .iter_mut()
            .zip(DEFAULT_BUDGETS.iter().filter(|b| **b < max))
        {
            *o = *b;
        }
        return Ok(out);
    }
    let mut n: usize = 0;
    for tok in split_list(s) {
        let slot =
            out.get_mut(n)
                .ok_or(err(InputErrorKind::TooLong, tok, "more than 4 budgets"))?;
        let v = parse_number(tok, max as u64)?;
        if v == 0 {
            return Err(err(InputErrorKind::Range, tok, "budget must be above 0"));
        }
        *slot = v as usize;
        n = n.saturating_add(1);
    }
    if n == 0 {
        return Err(err(
            InputErrorKind::Invalid,
            s.trim(),
            "expected budget sizes or 'none'",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_budgets_are_the_smaller_stacks() {
        assert_eq!(parse_budgets("default", 16384), Ok([4096, 8192, 0, 0]));
        assert_eq!(parse_budgets(" default\n", 8192), Ok([4096, 0, 0, 0]));
        assert_eq!(parse_budgets("default", 4096), Ok([0; MAX_BUDGETS]));
        assert!(parse_budgets("8192", 4096).is_err());
    }

    #[test]
    fn probe_lines() {
        assert_eq!(
            parse_probe_line("+xfs_*\n"),
            Ok(Some(ProbeCmd::Add("xfs_*")))
        );
        assert_eq!(
            parse_probe_line(" -submit_bio "),
            Ok(Some(ProbeCmd::Remove("submit_bio")))
        );
        assert_eq!(parse_probe_line("clear"), Ok(Some(ProbeCmd::Clear)));
        assert_eq!(parse_probe_line("# c"), Ok(None));
        assert_eq!(
            parse_probe_line("xfs_foo").unwrap_err().kind,
            InputErrorKind::Invalid
        );
        assert_eq!(
            parse_probe_line("+").unwrap_err().kind,
            InputErrorKind::Invalid
        );
        assert_eq!(parse_probe_line("+a b").unwrap_err().token, "a b");
        assert_eq!(
            parse_probe_line("+*").unwrap_err().why,
            "glob matches every function"
        );
        let long = "+".to_owned() + &"a".repeat(MAX_NAME + 1);
        assert_eq!(
            parse_probe_line(&long).unwrap_err().kind,
            InputErrorKind::TooLong
        );
        assert!(is_glob("xfs_*") && !is_glob("xfs_buf_lock"));
    }

    extern crate alloc;
    use alloc::borrow::ToOwned;

    #[test]
    fn kprobe_specs() {
        assert_eq!(check_name("kprobe:submit_bio"), Ok("kprobe:submit_bio"));
        assert_eq!(kprobe_spec("kprobe:submit_bio"), (true, "submit_bio"));
        assert_eq!(kprobe_spec("xfs_*"), (false, "xfs_*"));
        let e = check_name("kprobe:xfs_*").unwrap_err();
        assert_eq!(e.why, "a kprobe takes one symbol, not a glob");
        assert!(check_name("kprobe:").is_err());
        assert!(check_name("uprobe:foo").is_err());
        assert!(check_name("kprobe:kprobe:foo").is_err());
        assert_eq!(
            parse_probe_line("+kprobe:vfs_read"),
            Ok(Some(ProbeCmd::Add("kprobe:vfs_read")))
        );
    }

    #[test]
    fn lines_as_str_lines() {
        for t in ["", "a", "a\n", "a\nb", "\n\nb\n", "+x\r\n-y", "é\nü\n\n"] {
            let ours: std::vec::Vec<&str> = lines(t).map(str::trim).collect();
            let std: std::vec::Vec<&str> = t.lines().map(str::trim).collect();
            assert_eq!(ours, std, "{t:?}");
        }
        assert_eq!(
            parse_probe_line("é").unwrap_err().kind,
            InputErrorKind::Invalid
        );
    }

    #[test]
    fn whole_writes() {
        assert_eq!(check_probe_write("+a\n-b\n\n"), Ok(2));
        assert!(check_probe_write("+a\nbogus\n").is_err());
        assert!(check_probe_write("\n").is_err());
        assert_eq!(
            check_probe_write(&"+a\n".repeat(2000)).unwrap_err().kind,
            InputErrorKind::TooLong
        );
    }

    #[test]
    fn numbers_and_lists() {
        assert_eq!(parse_number(" 1024\n", 16384), Ok(1024));
        assert_eq!(
            parse_number("99999", 16384).unwrap_err().kind,
            InputErrorKind::Range
        );
        assert_eq!(
            parse_number("99999999999999999999999", u64::MAX)
                .unwrap_err()
                .kind,
            InputErrorKind::Range
        );
        assert_eq!(
            parse_number("-1", 10).unwrap_err().kind,
            InputErrorKind::Invalid
        );
        assert_eq!(parse_bool("1\n"), Ok(true));
        assert!(parse_bool("yes").is_err());
        assert_eq!(parse_budgets("4096 8192", 16384), Ok([4096, 8192, 0, 0]));
        assert_eq!(parse_budgets("2048,4096\n", 16384), Ok([2048, 4096, 0, 0]));
        assert_eq!(parse_budgets("none", 16384), Ok([0; 4]));
        assert!(parse_budgets("1 2 3 4 5", 16384).is_err());
        assert!(parse_budgets("0", 16384).is_err());
        assert!(parse_budgets("", 16384).is_err());
        let v: std::vec::Vec<&str> = split_list("a, b,,c d").collect();
        assert_eq!(v, ["a", "b", "c", "d"]);
    }

    #[test]
    fn error_message_names_value() {
        let e = parse_number("12x", 5).unwrap_err();
        assert_eq!(std::format!("{e}"), "not a decimal number: '12x'");
    }
}
