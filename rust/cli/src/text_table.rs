// SPDX-License-Identifier: MIT OR Apache-2.0
//! Plain-text tables: columns padded to their widest cell, numbers right
//! aligned, colours applied after padding so they do not upset alignment.

use crate::style::{Paint, Style};

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table being built.
#[derive(Clone, Debug)]
pub struct TextTable {
    head: Vec<(String, Align)>,
    rows: Vec<Vec<(String, Paint)>>,
}

impl TextTable {
    /// A table whose first columns hold text (left aligned) and the rest
    /// numbers (right aligned), with these headings.
    pub fn new(text: &[&str], numbers: &[&str]) -> Self {
        let left = text.iter().map(|h| (h.to_string(), Align::Left));
        let right = numbers.iter().map(|h| (h.to_string(), Align::Right));
        TextTable {
            head: left.chain(right).collect(),
            rows: Vec::new(),
        }
    }

    /// The table with one more column at the right.
    pub fn column(mut self, head: impl Into<String>, align: Align) -> Self {
        self.head.push((head.into(), align));
        self
    }

    /// Adds a row of cells painted alike.
    pub fn row(&mut self, cells: Vec<String>, paint: Paint) {
        self.rows
            .push(cells.into_iter().map(|c| (c, paint)).collect());
    }

    /// Adds a row with a paint per cell.
    pub fn painted_row(&mut self, cells: Vec<(String, Paint)>) {
        self.rows.push(cells);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True if there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as lines of text, each ending in a newline, indented.
    pub fn render(&self, style: &Style, indent: &str) -> String {
        let mut widths: Vec<usize> = self.head.iter().map(|(h, _)| h.chars().count()).collect();
        for row in &self.rows {
            for (i, (c, _)) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let mut out = String::new();
        let line = |cells: Vec<(&str, Paint)>, out: &mut String| {
            let mut s = String::from(indent);
            let n = cells.len();
            for (i, (c, paint)) in cells.into_iter().enumerate() {
                let w = widths.get(i).copied().unwrap_or(0);
                let align = self.head.get(i).map_or(Align::Left, |h| h.1);
                let pad = w.saturating_sub(c.chars().count());
                let last = i + 1 == n;
                let cell = match align {
                    Align::Right => format!("{}{}", " ".repeat(pad), c),
                    Align::Left if last => c.to_string(),
                    Align::Left => format!("{}{}", c, " ".repeat(pad)),
                };
                s.push_str(&style.paint(paint, &cell));
                if !last {
                    s.push_str("  ");
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(
            self.head
                .iter()
                .map(|(h, _)| (h.as_str(), Paint::Bold))
                .collect(),
            &mut out,
        );
        for row in &self.rows {
            line(
                row.iter().map(|(c, p)| (c.as_str(), *p)).collect(),
                &mut out,
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up() {
        let mut t = TextTable::new(&["NAME"], &["N"]);
        t.row(vec!["a".into(), "1000".into()], Paint::Plain);
        t.row(vec!["long_name".into(), "7".into()], Paint::Red);
        assert_eq!(
            t.render(&Style::PLAIN, ""),
            "NAME          N\na          1000\nlong_name     7\n"
        );
        assert_eq!(t.len(), 2);
    }
}
