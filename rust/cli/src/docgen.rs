// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command's reference, generated from its clap definitions so that it
//! cannot drift: a man page per command (`docs/man/*.1`, with clap_mangen)
//! and `docs/cli.md` (each command's `--help`). `make docs` writes them
//! (`examples/gen-docs.rs`); a test fails when the files in the tree differ.

use crate::args::{Cli, EXIT_STATUS};
use clap::CommandFactory;
use std::fmt::Write;

/// A generated file: its path from the repository's top and its text.
pub struct Page {
    /// Path from the repository's top.
    pub path: String,
    /// Its text.
    pub text: String,
}

/// Where the man pages go, from the repository's top.
pub const MAN_DIR: &str = "docs/man";
/// The CLI reference, from the repository's top.
pub const CLI_MD: &str = "docs/cli.md";

/// The command, built (bin and display names of subcommands set).
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// Every command, the top one first, depth first.
fn all_commands(cmd: &clap::Command) -> Vec<clap::Command> {
    let mut out = vec![cmd.clone()];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.extend(all_commands(sub));
    }
    out
}

/// roff text with its special characters escaped.
fn roff_escape(s: &str) -> String {
    s.replace('\\', "\\e").replace('-', "\\-")
}

/// Renders one section of a man page.
type Section = fn(&clap_mangen::Man, &mut Vec<u8>) -> std::io::Result<()>;

fn man_page(cmd: &clap::Command, top: bool) -> Page {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    let sections: [Section; 6] = [
        |m, w| m.render_title(w),
        |m, w| m.render_name_section(w),
        |m, w| m.render_synopsis_section(w),
        |m, w| m.render_description_section(w),
        |m, w| m.render_options_section(w),
        |m, w| {
            if m_has_subcommands(m) {
                m.render_subcommands_section(w)
            } else {
                Ok(())
            }
        },
    ];
    for render in sections {
        // Writing into a Vec cannot fail.
        let _ = render(&man, &mut buf);
    }
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    text.push_str(".SH \"EXIT STATUS\"\n");
    for (code, why) in EXIT_STATUS {
        let _ = write!(text, ".TP\n{code}\n{}\n", roff_escape(why));
    }
    text.push_str(".SH FILES\n.TP\n/sys/kernel/debug/stackwatch/\nThe module's debugfs files (root only); \\fB\\-\\-dir\\fR or \\fBSTACKWATCH_DIR\\fR names another.\n");
    text.push_str(".SH \"SEE ALSO\"\n");
    let see: Vec<String> = if top {
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| format!("\\fB{}\\fR(1)", display(s)))
            .collect()
    } else {
        vec!["\\fBstackwatch\\fR(1)".to_string()]
    };
    let _ = writeln!(
        text,
        "{}; docs/reference.md (every debugfs file, column, counter and errno)",
        see.join(", ")
    );
    Page {
        path: format!("{MAN_DIR}/{}", man.get_filename()),
        text,
    }
}

/// Whether the page's command has subcommands (clap_mangen renders the
/// section only for those).
fn m_has_subcommands(m: &clap_mangen::Man) -> bool {
    let mut probe = Vec::new();
    let _ = m.render_subcommands_section(&mut probe);
    String::from_utf8_lossy(&probe).lines().count() > 1
}

fn display(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

fn bin_name(cmd: &clap::Command) -> String {
    cmd.get_bin_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

/// `docs/cli.md`: each command's `--help`, in order.
fn cli_reference(cmds: &[clap::Command]) -> Page {
    let mut text = String::from(
        "<!-- Generated from rust/cli/src/args.rs by `make docs`; do not edit. -->\n\
         # The `stackwatch` command: reference\n\n\
         Every command's `--help`, generated from its definitions (the same text\n\
         is in the man pages, `docs/man/`: `man ./docs/man/stackwatch-report.1`).\n\
         What to do with it, task by task, is in [usage.md](usage.md); what every\n\
         debugfs file, column and counter means in [reference.md](reference.md).\n\n",
    );
    for c in cmds.iter().skip(1) {
        let _ = writeln!(text, "- [`{}`](#{})", bin_name(c), display(c));
    }
    for c in cmds {
        let mut c = c.clone();
        let help = c.render_long_help().to_string();
        let _ = write!(
            text,
            "\n## {}\n\n```text\n{}\n```\n",
            bin_name(&c),
            help.trim_end()
        );
    }
    Page {
        path: CLI_MD.to_string(),
        text,
    }
}

/// Every generated file.
pub fn pages() -> Vec<Page> {
    let cmds = all_commands(&command());
    let mut out: Vec<Page> = cmds
        .iter()
        .enumerate()
        .map(|(i, c)| man_page(c, i == 0))
        .collect();
    out.push(cli_reference(&cmds));
    out
}
