// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch flamegraph`: an SVG flame graph of stack use, drawn by the
//! `inferno` crate from the folded lines of a [`StackTree`] (each frame
//! weighted by its own size in bytes), then each frame's colour and tooltip
//! set from where it sits on the stack.
//!
//! Why colours and not lines for THREAD_SIZE and the what-if budgets: the x
//! axis of a flame graph is not a depth axis (towers stand side by side, and
//! where chains share frames a frame is as wide as everything above it), so
//! a vertical line at 4096 bytes would mark nothing real. What is exact is
//! each frame's depth: a frame is coloured by the deepest budget it goes
//! past (blue: within the smallest budget; orange, red, purple: past the
//! first, second, third), so the part of a tower that a 4K or 8K stack could
//! not hold shows at a glance; the subtitle names the budgets and
//! THREAD_SIZE, and each tooltip gives the frame's size, the bytes it
//! reaches, the bytes left, and at the top of a tower the probed function
//! with what was left there.

use crate::error::{Error, Result};
use crate::stacktree::{Node, StackTree};
use crate::svgframes::{self, DrawnFrame, FrameEdit, Span};
use inferno::flamegraph::{self as inferno_fg, color::BasicPalette, Palette};
use std::collections::HashMap;
use std::fmt::Write;

/// What the picture is of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// THREAD_SIZE of the kernel.
    pub thread_size: u64,
    /// What-if budgets, bytes.
    pub budgets: Vec<u64>,
    /// `uname -r`, if known.
    pub osrelease: Option<String>,
}

impl Facts {
    /// Budgets below THREAD_SIZE, smallest first: the colour bands.
    pub fn bands(&self) -> Vec<u64> {
        let mut b: Vec<u64> = self
            .budgets
            .iter()
            .copied()
            .filter(|&b| b > 0 && b < self.thread_size)
            .collect();
        b.sort_unstable();
        b.dedup();
        b
    }
}

/// Colour band names, in order: within the smallest budget, then past each.
pub const BAND_NAMES: [&str; 5] = ["blue", "orange", "red", "purple", "black"];

/// Base colours of the bands.
const BAND_RGB: [(u8, u8, u8); 5] = [
    (120, 165, 225),
    (245, 160, 50),
    (225, 55, 45),
    (160, 60, 170),
    (60, 60, 60),
];

/// Which band a frame reaching `depth` bytes is in.
pub fn band(depth: u64, bands: &[u64]) -> usize {
    bands
        .iter()
        .filter(|&&b| depth > b)
        .count()
        .min(BAND_RGB.len() - 1)
}

/// The fill of a frame: its band's colour, lightened a little by a hash of
/// its name so that neighbours can be told apart.
pub fn fill(band: usize, name: &str) -> String {
    let h = name.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    let v = f64::from(h % 1000) / 1000.0 * 0.35;
    let (r, g, b) = BAND_RGB[band.min(BAND_RGB.len() - 1)];
    let lift = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * v).round() as u8;
    format!("rgb({},{},{})", lift(r), lift(g), lift(b))
}

/// The legend under the title, each colour's name in its colour.
pub fn legend_spans(f: &Facts) -> Vec<Span> {
    let bands = f.bands();
    let plain = |t: &str| Span {
        text: t.to_string(),
        fill: None,
    };
    let coloured = |band: usize| Span {
        text: BAND_NAMES[band].to_string(),
        fill: Some(fill(band, "")),
    };
    let mut s = vec![plain(
        "width: stack bytes, each frame its own size; colour: how deep a frame reaches: ",
    )];
    if bands.is_empty() {
        s.push(plain("no what-if budgets set"));
    } else {
        s.push(coloured(0));
        s.push(plain(&format!(" within {}", bands[0])));
        for &b in &bands {
            s.push(plain(", "));
            s.push(coloured(band(b + 1, &bands)));
            s.push(plain(&format!(" past {b}")));
        }
        s.push(plain(" bytes"));
    }
    s.push(plain(&format!(", of THREAD_SIZE {}", f.thread_size)));
    s
}

/// The legend as plain text.
pub fn legend(f: &Facts) -> String {
    legend_spans(f).into_iter().map(|s| s.text).collect()
}

/// A tooltip: `name (details)`. inferno's script takes the name to search
/// for as what comes before the last parenthesis, so the details have none.
fn title(n: &Node, width: u64, f: &Facts) -> String {
    let mut d = format!(
        "frame {} bytes at {}-{} of {}, {} left; {} bytes here and above; {} chain{}",
        n.size,
        n.depth - n.size,
        n.depth,
        f.thread_size,
        f.thread_size.saturating_sub(n.depth),
        width,
        n.chains,
        if n.chains == 1 { "" } else { "s" }
    );
    if let Some(m) = &n.module {
        let _ = write!(d, "; module {m}");
    }
    for t in &n.tops {
        let _ = write!(
            d,
            "; top of the chain of {}: {} used, {} left",
            t.function, t.used, t.remaining
        );
    }
    let sites: Vec<&str> = n.symbols.iter().map(String::as_str).take(3).collect();
    let _ = write!(d, "; {}", sites.join(" "));
    if n.symbols.len() > 3 {
        let _ = write!(d, " and {} more", n.symbols.len() - 3);
    }
    if !n.sources.is_empty() {
        let srcs: Vec<&str> = n.sources.iter().map(String::as_str).take(2).collect();
        let _ = write!(d, "; at {}", srcs.join(", "));
    }
    let d = d.replace('(', "[").replace(')', "]");
    format!("{} ({d})", n.name)
}

/// Where inferno draws each node: its start and width in bytes, found by
/// merging the sorted lines as inferno does (a frame goes on while the next
/// line starts with the same names).
pub fn layout(
    tree: &StackTree,
    lines: &[(String, Vec<usize>)],
) -> HashMap<(u64, u64, String), usize> {
    let mut map = HashMap::new();
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut time = 0;
    let name = |i: usize| tree.nodes[i].name.as_str();
    let close = |open: &mut Vec<(usize, u64)>, keep: usize, time: u64, map: &mut HashMap<_, _>| {
        for (node, start) in open.drain(keep..) {
            map.insert((start, time - start, name(node).to_string()), node);
        }
    };
    for (_, path) in lines {
        let shared = open
            .iter()
            .zip(path)
            .take_while(|((a, _), &b)| name(*a) == name(b))
            .count();
        close(&mut open, shared, time, &mut map);
        open.extend(path[shared..].iter().map(|&n| (n, time)));
        time += tree.nodes[path[path.len() - 1]].size;
    }
    close(&mut open, 0, time, &mut map);
    map
}

/// The name inferno put before a tooltip's last parenthesis.
fn drawn_name(title: &str) -> &str {
    title.rfind(" (").map_or(title, |i| &title[..i])
}

/// The SVG.
pub fn render(tree: &StackTree, f: &Facts, image_width: Option<usize>) -> Result<String> {
    let lines = tree.lines();
    if lines.is_empty() {
        return Err(Error::runtime(
            "no chains recorded (traces and max_trace are empty): nothing to draw",
        ));
    }
    let mut o = inferno_fg::Options::default();
    o.title = format!(
        "Kernel stack use, {} recorded chain{}{}",
        tree.chains,
        if tree.chains == 1 { "" } else { "s" },
        f.osrelease
            .as_ref()
            .map(|r| format!(", kernel {r}"))
            .unwrap_or_default()
    );
    o.subtitle = Some(legend(f));
    o.count_name = "bytes".into();
    o.name_type = "Frame:".into();
    o.colors = Palette::Basic(BasicPalette::Aqua);
    o.image_width = image_width;
    let mut svg = Vec::new();
    inferno_fg::from_lines(&mut o, lines.iter().map(|(t, _)| t.as_str()), &mut svg)
        .map_err(|e| Error::runtime(format!("flame graph: {e}")))?;
    let map = layout(tree, &lines);
    let total: u64 = tree.nodes.iter().map(|n| n.size).sum();
    let bands = f.bands();
    let mut unmatched = Vec::new();
    let edit = |d: &DrawnFrame| {
        let name = drawn_name(&d.title);
        if d.x == 0 && d.w == total && name == "all" {
            return Some(FrameEdit {
                title: format!(
                    "all ({} bytes in {} frames of {} chains)",
                    total,
                    tree.nodes.len(),
                    tree.chains
                ),
                fill: "rgb(200,200,200)".into(),
            });
        }
        match map.get(&(d.x, d.w, name.to_string())) {
            Some(&i) => {
                let n = &tree.nodes[i];
                Some(FrameEdit {
                    title: title(n, d.w, f),
                    fill: fill(band(n.depth, &bands), &n.name),
                })
            }
            None => {
                unmatched.push(d.title.clone());
                None
            }
        }
    };
    let (svg, _) = svgframes::rewrite(&svg, &legend_spans(f), edit)
        .map_err(|e| Error::runtime(format!("flame graph: {e}")))?;
    if let Some(t) = unmatched.first() {
        return Err(Error::runtime(format!(
            "flame graph: {} frames drawn where none was laid out, first: {t}",
            unmatched.len()
        )));
    }
    String::from_utf8(svg).map_err(|e| Error::runtime(format!("flame graph: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_follow_the_budgets() {
        let b = [4096, 8192];
        assert_eq!(band(4096, &b), 0, "reaching exactly 4096 fits a 4K stack");
        assert_eq!(band(4097, &b), 1);
        assert_eq!(band(9000, &b), 2);
        let f = Facts {
            thread_size: 16384,
            budgets: vec![8192, 4096, 16384],
            osrelease: None,
        };
        assert_eq!(f.bands(), vec![4096, 8192]);
        assert_eq!(
            legend(&f),
            "width: stack bytes, each frame its own size; colour: how deep a frame reaches: \
             blue within 4096, orange past 4096, red past 8192 bytes, of THREAD_SIZE 16384"
        );
    }
}
