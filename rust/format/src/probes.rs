//! The `probes` file: the attached specs (a symbol, kprobe, or a glob,
//! fprobe) with their counts, the pending ones (waiting for a module that
//! has their functions), and the names that could not be attached, each
//! section after its `#` line.
//!
//! ```text
//! # state spec mechanism functions hits off_stack missed
//! attached xfs_* fprobe 1612 4567 3 0
//! # state name mechanism
//! pending nfsd_* fprobe
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

/// An attached probe spec (text as `S`: borrowed to write, owned as read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "std", derive(serde::Serialize))]
pub struct AttachedProbe<S> {
    /// Symbol or glob as written.
    pub spec: S,
    /// `kprobe` or `fprobe`.
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

#[cfg(feature = "std")]
pub use reader::*;

#[cfg(feature = "std")]
mod reader {
    use super::*;
    use crate::text::{
        decimal, end_of_line, expect_line, field, is_space, malformed, truncated, word, FileTable,
        FormatError, Lines, Rows,
    };
    use serde::Serialize;

    /// The `probes` file.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
    pub struct Probes {
        /// Attached specs.
        pub attached: Vec<AttachedProbe<String>>,
        /// Names and globs waiting for a module that has them.
        pub pending: Vec<Pending<String>>,
        /// Skipped names.
        pub skipped: Vec<SkippedProbe<String>>,
    }

    /// Reads a `probes` file.
    pub fn read(text: &str) -> Result<Probes, FormatError> {
        let mut p = Probes::default();
        for r in probe_rows(text) {
            match r? {
                ProbeRow::Attached(a) => p.attached.push(AttachedProbe {
                    spec: a.spec.to_string(),
                    mechanism: a.mechanism.to_string(),
                    functions: a.functions,
                    hits: a.hits,
                    off_stack: a.off_stack,
                    missed: a.missed,
                }),
                ProbeRow::Skipped(s) => p.skipped.push(SkippedProbe {
                    name: s.name.to_string(),
                    errno_name: s.errno_name.to_string(),
                    errno: s.errno,
                }),
            }
        }
        for r in pending_rows(text) {
            let r = r?;
            p.pending.push(Pending {
                name: r.name.to_string(),
                mechanism: r.mechanism.to_string(),
            });
        }
        Ok(p)
    }

    /// One row of the `probes` file.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum ProbeRow<'a> {
        /// An attached spec.
        Attached(AttachedProbe<&'a str>),
        /// A skipped name.
        Skipped(SkippedProbe<&'a str>),
    }

    /// A spec waiting for a module that has its functions (text as `S`:
    /// borrowed by `pending_rows`, owned in [`Probes`]).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
    pub struct Pending<S> {
        /// Symbol or glob as written.
        pub name: S,
        /// `kprobe` or `fprobe`.
        pub mechanism: S,
    }

    /// Parses the rest of a `pending NAME kprobe|fprobe` row.
    fn pending_row(no: usize, mut rest: &str) -> Result<Pending<&str>, FormatError> {
        let name = word(&mut rest, no, "name")?;
        let mechanism = word(&mut rest, no, "mechanism")?;
        if mechanism != "kprobe" && mechanism != "fprobe" {
            return Err(malformed(no, "mechanism", "expected kprobe or fprobe"));
        }
        end_of_line(rest, no)?;
        Ok(Pending { name, mechanism })
    }

    /// The first word of a row.
    fn state_of(text: &str) -> &str {
        text.split(is_space).find(|t| !t.is_empty()).unwrap_or("")
    }

    /// The `probes` table.
    enum ProbesFile {}

    impl<'a> FileTable<'a> for ProbesFile {
        type Context = ();
        type Row = ProbeRow<'a>;
        const WHAT: &'static str = "probes";
        const NEEDS_ALL: bool = false;

        fn header(lines: &mut Lines<'a>) -> Result<(), FormatError> {
            expect_line(
                lines,
                ATTACHED_COLUMNS,
                "header",
                "not a stackwatch probes file",
            )?;
            Ok(())
        }

        fn row(_: &(), no: usize, text: &'a str) -> Result<ProbeRow<'a>, FormatError> {
            let mut rest = text;
            let row = match word(&mut rest, no, "state")? {
                "attached" => ProbeRow::Attached(AttachedProbe {
                    spec: word(&mut rest, no, "spec")?,
                    mechanism: word(&mut rest, no, "mechanism")?,
                    functions: field(&mut rest, no, "functions")?,
                    hits: field(&mut rest, no, "hits")?,
                    off_stack: field(&mut rest, no, "off_stack")?,
                    missed: field(&mut rest, no, "missed")?,
                }),
                "skipped" => {
                    let name = word(&mut rest, no, "name")?;
                    let errno_name = word(&mut rest, no, "errno name")?;
                    let v = word(&mut rest, no, "errno")?;
                    let errno = match v.strip_prefix('-') {
                        Some(d) => decimal(d)
                            .and_then(|d| i64::try_from(d).ok())
                            .map(|d| d.wrapping_neg()),
                        None => decimal(v).and_then(|d| i64::try_from(d).ok()),
                    }
                    .ok_or(malformed(no, "errno", "not a number"))?;
                    ProbeRow::Skipped(SkippedProbe {
                        name,
                        errno_name,
                        errno,
                    })
                }
                _ => return Err(malformed(no, "state", "expected attached or skipped")),
            };
            end_of_line(rest, no)?;
            Ok(row)
        }

        fn is_all(_: &ProbeRow<'a>) -> bool {
            false
        }

        fn comment(_: &(), _: usize, text: &'a str) -> Result<bool, FormatError> {
            Ok(text.starts_with(SKIPPED_COLUMNS))
        }

        /// Pending rows (`pending_rows` yields them) are checked and stepped over.
        fn aside(_: &(), no: usize, text: &'a str) -> Result<bool, FormatError> {
            let mut rest = text;
            if word(&mut rest, no, "state")? != "pending" {
                return Ok(false);
            }
            pending_row(no, rest).map(|_| true)
        }
    }

    /// The `pending` rows of a `probes` file alone.
    enum PendingSection {}

    impl<'a> FileTable<'a> for PendingSection {
        type Context = ();
        type Row = Pending<&'a str>;
        const WHAT: &'static str = "probes";
        const NEEDS_ALL: bool = false;

        fn header(lines: &mut Lines<'a>) -> Result<(), FormatError> {
            ProbesFile::header(lines)
        }

        fn row(_: &(), no: usize, text: &'a str) -> Result<Pending<&'a str>, FormatError> {
            let mut rest = text;
            match word(&mut rest, no, "state")? {
                "pending" => pending_row(no, rest),
                _ => Err(malformed(no, "state", "expected pending")),
            }
        }

        fn is_all(_: &Pending<&'a str>) -> bool {
            false
        }

        /// Attached and skipped rows are `probe_rows`' to check.
        fn aside(_: &(), _: usize, text: &'a str) -> Result<bool, FormatError> {
            Ok(matches!(state_of(text), "attached" | "skipped"))
        }
    }

    /// The specs of a `probes` file waiting for their module (`pending NAME
    /// kprobe|fprobe`, between the attached and the skipped rows); `probe_rows`
    /// checks and steps over them.
    pub fn pending_rows(text: &str) -> impl Iterator<Item = Result<Pending<&str>, FormatError>> {
        Rows::<PendingSection>::new(text)
    }

    /// The rows of a `probes` file: attached specs, then skipped names (pending
    /// ones, in between, are `pending_rows`').
    pub fn probe_rows(text: &str) -> impl Iterator<Item = Result<ProbeRow<'_>, FormatError>> {
        ProbeRows {
            rows: Rows::new(text),
            done: false,
        }
    }

    /// Rows of `probes`; ends with an error if the skipped section's header
    /// (always written) is missing.
    struct ProbeRows<'a> {
        rows: Rows<'a, ProbesFile>,
        done: bool,
    }

    impl<'a> Iterator for ProbeRows<'a> {
        type Item = Result<ProbeRow<'a>, FormatError>;

        fn next(&mut self) -> Option<Self::Item> {
            if self.done {
                return None;
            }
            // `saw_end` is set by the `# state name errno` line; skipped rows come
            // after it, attached ones before.
            let r = self.rows.next();
            let in_skipped = self.rows.saw_end;
            match r {
                Some(Ok(ProbeRow::Skipped(_))) if !in_skipped => {
                    self.done = true;
                    Some(Err(malformed(
                        self.rows.lines.no,
                        "probes",
                        "skipped row before '# state name errno'",
                    )))
                }
                Some(Ok(ProbeRow::Attached(_))) if in_skipped => {
                    self.done = true;
                    Some(Err(malformed(
                        self.rows.lines.no,
                        "probes",
                        "attached row after '# state name errno'",
                    )))
                }
                Some(r) => {
                    self.done = r.is_err();
                    Some(r)
                }
                None => {
                    self.done = true;
                    if in_skipped {
                        None
                    } else {
                        Some(Err(truncated(
                            self.rows.lines.next_no(),
                            "probes",
                            "no '# state name errno' line",
                        )))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[cfg(feature = "std")]
mod tests {
    use super::*;
    use crate::text::tests::written;

    #[test]
    fn round_trip() {
        let attached = [
            AttachedProbe {
                spec: "xfs_*",
                mechanism: "fprobe",
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
                [("nfsd_*", "fprobe")].into_iter(),
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
                mechanism: "fprobe".to_string()
            }]
        );
        assert_eq!(p.skipped[0].errno_name, "ENOENT");
        assert_eq!(p.skipped[0].errno, -2);
        assert!(read(&text.replace("pending nfsd_* fprobe", "pending nfsd_* uprobe")).is_err());
        assert!(read(&text.replace("# state name errno\n", "")).is_err());
    }
}
