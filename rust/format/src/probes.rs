// SPDX-License-Identifier: GPL-2.0 OR MIT
//! The `probes` file: the attached specs (a symbol or a glob, watched by
//! stackwatch's ftrace ops, or a symbol by a kprobe where ftrace cannot go
//! or `kprobe:` asks for one) with their counts, the pending ones (waiting for a module that
//! has their functions), and the names that could not be attached, each
//! section after its `#` line.
//!
//! ```text
//! # state spec mechanism functions hits off_stack missed
//! attached xfs_* ftrace 1612 4567 3 0
//! # state name mechanism
//! pending nfsd_* ftrace
//! # state name errno
//! skipped foo_bar ENOENT -2
//! ```

use crate::swcore::errno;
use core::fmt::{self, Write};

/// The attached section's line.
pub const ATTACHED_COLUMNS: &str = "# state spec mechanism functions hits off_stack missed";
/// The pending section's line.
pub const PENDING_COLUMNS: &str = "# state name mechanism";
/// The skipped section's line.
pub const SKIPPED_COLUMNS: &str = "# state name errno";
/// The mechanisms a row can name: `ftrace` (stackwatch's ftrace ops),
/// `kprobe`, and `fprobe` (globs of stackwatch 0.1, in old snapshots).
pub const MECHANISMS: [&str; 3] = ["ftrace", "kprobe", "fprobe"];

/// An attached probe spec (text as `S`: borrowed to write, owned as read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize))]
pub struct AttachedProbe<S> {
    /// Symbol or glob as written.
    pub spec: S,
    /// One of [`MECHANISMS`].
    pub mechanism: S,
    /// Functions it covers.
    pub functions: u64,
    /// Hits counted.
    pub hits: u64,
    /// Hits not on the task stack.
    pub off_stack: u64,
    /// Hits the probe mechanism missed.
    pub missed: u64,
}

/// A name that could not be attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize))]
pub struct SkippedProbe<S> {
    /// The name.
    pub name: S,
    /// Errno name, e.g. `ENOENT`.
    pub errno_name: S,
    /// Errno value as the kernel returned it (negative).
    pub errno: i64,
}

/// Writes the `probes` file: the attached specs, the pending ones (name
/// and mechanism), and the skipped names with the (negative) errno they got.
pub fn write_probes<'a>(
    w: &mut dyn Write,
    attached: impl Iterator<Item = AttachedProbe<&'a str>>,
    pending: impl Iterator<Item = (&'a str, &'a str)>,
    skipped: impl Iterator<Item = (&'a str, i32)>,
) -> fmt::Result {
    writeln!(w, "{}", ATTACHED_COLUMNS)?;
    for a in attached {
        writeln!(
            w,
            "attached {} {} {} {} {} {}",
            a.spec, a.mechanism, a.functions, a.hits, a.off_stack, a.missed
        )?;
    }
    writeln!(w, "{}", PENDING_COLUMNS)?;
    for (name, mechanism) in pending {
        writeln!(w, "pending {} {}", name, mechanism)?;
    }
    writeln!(w, "{}", SKIPPED_COLUMNS)?;
    for (name, e) in skipped {
        writeln!(w, "skipped {} {} {}", name, errno::name(e), e)?;
    }
    Ok(())
}

/// Reading a `probes` file back, into the command's model (feature `std`:
/// not in the module).
#[cfg(feature = "std")]
pub mod reader {
    use super::*;
    use crate::text::reader::*;
    use serde::Serialize;

    /// The `probes` file.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
    pub struct Probes {
        /// Attached specs.
        pub attached: Vec<AttachedProbe<String>>,
        /// Names and globs waiting for a module that has them.
        pub pending: Vec<Pending>,
        /// Skipped names.
        pub skipped: Vec<SkippedProbe<String>>,
    }

    /// A spec waiting for a module that has its functions.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize)]
    pub struct Pending {
        /// Symbol or glob as written.
        pub name: String,
        /// One of [`MECHANISMS`].
        pub mechanism: String,
    }

    /// Reads a `probes` file: attached specs, then skipped names after their
    /// section's line (which is always written); pending specs may stand
    /// anywhere (files of older modules have no pending section).
    pub fn read(text: &str) -> Result<Probes, FormatError> {
        let (mut lines, _) = Lines::header(text, ATTACHED_COLUMNS, "not a stackwatch probes file")?;
        let mut p = Probes::default();
        let mut in_skipped = false;
        while let Some(line) = lines.record()? {
            let no = line.no;
            if line.is_comment() {
                in_skipped |= line.text.starts_with(SKIPPED_COLUMNS);
                continue;
            }
            let mut rest = line.text;
            let state = word(&mut rest, no, "state")?;
            // Attached rows come before the skipped section's line, skipped ones after it.
            if matches!((state, in_skipped), ("attached", true) | ("skipped", false)) {
                let why = if in_skipped {
                    "attached row after '# state name errno'"
                } else {
                    "skipped row before '# state name errno'"
                };
                return Err(malformed(no, "probes", why));
            }
            match state {
                "attached" => p.attached.push(AttachedProbe {
                    spec: owned(&mut rest, no, "spec")?,
                    mechanism: owned(&mut rest, no, "mechanism")?,
                    functions: field(&mut rest, no, "functions")?,
                    hits: field(&mut rest, no, "hits")?,
                    off_stack: field(&mut rest, no, "off_stack")?,
                    missed: field(&mut rest, no, "missed")?,
                }),
                "pending" => {
                    let name = owned(&mut rest, no, "name")?;
                    let mechanism = owned(&mut rest, no, "mechanism")?;
                    if !MECHANISMS.contains(&mechanism.as_str()) {
                        return Err(malformed(no, "mechanism", "expected ftrace or kprobe"));
                    }
                    p.pending.push(Pending { name, mechanism });
                }
                "skipped" => p.skipped.push(SkippedProbe {
                    name: owned(&mut rest, no, "name")?,
                    errno_name: owned(&mut rest, no, "errno name")?,
                    errno: errno(word(&mut rest, no, "errno")?).ok_or(malformed(
                        no,
                        "errno",
                        "not a number",
                    ))?,
                }),
                _ => {
                    return Err(malformed(
                        no,
                        "state",
                        "expected attached, pending or skipped",
                    ))
                }
            }
            end_of_line(rest, no)?;
        }
        if !in_skipped {
            return Err(truncated(
                lines.next_no(),
                "probes",
                "no '# state name errno' line",
            ));
        }
        Ok(p)
    }

    /// The next token of a line, owned.
    fn owned(rest: &mut &str, no: usize, name: &'static str) -> Result<String, FormatError> {
        word(rest, no, name).map(str::to_string)
    }

    /// An errno value as written, e.g. `-2`.
    fn errno(v: &str) -> Option<i64> {
        match v.strip_prefix('-') {
            Some(d) => decimal(d)
                .and_then(|d| i64::try_from(d).ok())
                .map(|d| d.wrapping_neg()),
            None => decimal(v).and_then(|d| i64::try_from(d).ok()),
        }
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::reader::*;
    use super::*;
    use crate::text::tests::written;

    #[test]
    fn round_trip() {
        let attached = [
            AttachedProbe {
                spec: "xfs_*",
                mechanism: "ftrace",
                functions: 1612,
                hits: 4567,
                off_stack: 3,
                missed: 0,
            },
            AttachedProbe {
                spec: "submit_bio",
                mechanism: "kprobe",
                functions: 1,
                hits: 99,
                off_stack: 0,
                missed: 1,
            },
        ];
        let text = written(|s| {
            write_probes(
                s,
                attached.iter().copied(),
                [("nfsd_*", "ftrace")].into_iter(),
                [("foo_bar", -2), ("baz", -84)].into_iter(),
            )
        });
        assert!(text
            .ends_with("# state name errno\nskipped foo_bar ENOENT -2\nskipped baz EILSEQ -84\n"));
        let p = read(&text).unwrap();
        assert_eq!(p.attached.len(), 2);
        assert_eq!(p.attached[0].spec, "xfs_*");
        assert_eq!(p.attached[1].missed, 1);
        assert_eq!(
            p.pending,
            [Pending {
                name: "nfsd_*".to_string(),
                mechanism: "ftrace".to_string()
            }]
        );
        assert_eq!(p.skipped[0].errno_name, "ENOENT");
        assert_eq!(p.skipped[0].errno, -2);
        assert!(read(&text.replace("pending nfsd_* ftrace", "pending nfsd_* uprobe")).is_err());
        assert!(read(&text.replace("# state name errno\n", "")).is_err());
    }
}
