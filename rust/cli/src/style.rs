// SPDX-License-Identifier: MIT OR Apache-2.0
//! Terminal colours: on only when stdout is a terminal (or when asked), off
//! under `NO_COLOR`.

use clap::ValueEnum;
use std::io::IsTerminal;

/// When to colour output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stdout is a terminal and `NO_COLOR` is unset.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How a piece of text is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Paint {
    /// As is.
    #[default]
    Plain,
    /// Bold.
    Bold,
    /// Dim.
    Dim,
    /// Red: over the threshold, would overflow.
    Red,
    /// Yellow: getting close.
    Yellow,
    /// Green: grown since the last look (watch).
    Green,
}

/// Whether to emit colour escapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    /// Colours on.
    pub color: bool,
}

impl Style {
    /// Decides from the choice, the terminal and the environment.
    pub fn new(choice: ColorChoice) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Style { color }
    }

    /// No colours.
    pub const PLAIN: Style = Style { color: false };

    /// `text` painted.
    pub fn paint(&self, paint: Paint, text: &str) -> String {
        let code = match paint {
            Paint::Plain => return text.to_string(),
            Paint::Bold => "1",
            Paint::Dim => "2",
            Paint::Red => "31",
            Paint::Yellow => "33",
            Paint::Green => "32",
        };
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// A bold heading.
    pub fn heading(&self, text: &str) -> String {
        self.paint(Paint::Bold, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_has_no_escapes() {
        assert_eq!(Style::PLAIN.paint(Paint::Red, "x"), "x");
        assert_eq!(
            Style { color: true }.paint(Paint::Red, "x"),
            "\x1b[31mx\x1b[0m"
        );
        assert_eq!(Style { color: true }.paint(Paint::Plain, "x"), "x");
    }
}
