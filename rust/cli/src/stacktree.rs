// SPDX-License-Identifier: MIT OR Apache-2.0
//! The recorded chains merged into one tree, outermost frame at the root, for
//! flame graphs: each node is one frame on one path, with its own size in
//! bytes and where it sits on the stack (`depth`: bytes used from the top of
//! the stack through this frame). Siblings are told apart by function *and*
//! frame size, so every node's depth is exact (a function's frame can differ
//! between call sites, and frames the unwinder could not see are counted in
//! their caller's). The folded-stack text (`a;b;c BYTES`, each frame
//! weighted by its own size) is written here and read back by the tests.

use crate::model::{Chain, Frame};

/// The root frame of the IRQ-stack tower (see [`irq_tower`]).
pub const IRQ_ROOT: &str = "[IRQ stack]";

/// The chain of the deepest probe hit on an IRQ stack (`irq_max_trace`) as a
/// tower of its own: its frames on the IRQ stack, those its sizes account
/// for (the frames outside it, of the interrupted task, have none), under a
/// root frame named [`IRQ_ROOT`] of no size, so that it stands apart from
/// the thread stacks' chains and its depths are the IRQ stack's.
pub fn irq_tower(c: &Chain) -> Chain {
    let mut c = c.clone();
    while c.frames.len() > 1 && c.frames.last().is_some_and(|f| f.size == 0) {
        c.frames.pop();
    }
    c.frames.push(Frame {
        size: 0,
        symbol: IRQ_ROOT.to_string(),
        function: IRQ_ROOT.to_string(),
        offset: None,
        function_size: None,
        module: None,
        source: Vec::new(),
    });
    c
}
use std::collections::BTreeSet;
use std::fmt::Write;

/// A chain whose recorded frames end at a node: the probed function and
/// what was left when its deepest hit was recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Top {
    /// The probed function (it may have had no frame of its own yet).
    pub function: String,
    /// Bytes used.
    pub used: u64,
    /// Bytes left.
    pub remaining: u64,
}

/// One frame on one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Function name.
    pub function: String,
    /// Module, for module functions.
    pub module: Option<String>,
    /// The frame's own bytes.
    pub size: u64,
    /// Bytes used from the top of the stack through this frame.
    pub depth: u64,
    /// Name in the folded text: the function, with `[N B]` added when a
    /// sibling has the same function with another frame size.
    pub name: String,
    /// The frame as the kernel printed it (`func+0xoff/0xlen`), each call
    /// site once.
    pub symbols: BTreeSet<String>,
    /// Source positions of the call sites (when symbolized), each once.
    pub sources: BTreeSet<String>,
    /// Chains that run through this frame.
    pub chains: u64,
    /// Chains whose recorded frames end here.
    pub tops: Vec<Top>,
    /// Callees (nodes one frame deeper).
    pub children: Vec<usize>,
}

/// All chains of a snapshot as one tree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StackTree {
    /// Every node; `roots` and `children` index into it.
    pub nodes: Vec<Node>,
    /// Outermost frames.
    pub roots: Vec<usize>,
    /// Chains taken in.
    pub chains: usize,
}

/// The source text shown for one frame: `file:line`, inlined functions
/// first (`inner file:line < outer file:line`).
pub type SourceText = fn(&crate::model::Frame) -> Option<String>;

impl StackTree {
    /// Merges `chains` (frames innermost first, as recorded). A probed
    /// function recorded at entry with no frame of its own (size 0) adds no
    /// node: it is named as the top of its caller's frame.
    pub fn build<'a>(chains: impl IntoIterator<Item = &'a Chain>, source: SourceText) -> Self {
        let mut t = StackTree::default();
        for c in chains {
            let frames: Vec<_> = c
                .frames
                .iter()
                .enumerate()
                .filter(|(i, f)| !(*i == 0 && f.size == 0))
                .map(|(_, f)| f)
                .collect();
            if frames.is_empty() {
                continue;
            }
            t.chains += 1;
            let mut parent: Option<usize> = None;
            let mut depth = 0;
            for f in frames.iter().rev() {
                depth += f.size;
                let siblings = match parent {
                    Some(p) => &t.nodes[p].children,
                    None => &t.roots,
                };
                let found = siblings
                    .iter()
                    .copied()
                    .find(|&i| t.nodes[i].function == f.function && t.nodes[i].size == f.size);
                let i = found.unwrap_or_else(|| {
                    t.nodes.push(Node {
                        function: f.function.clone(),
                        module: f.module.clone(),
                        size: f.size,
                        depth,
                        name: f.function.clone(),
                        symbols: BTreeSet::new(),
                        sources: BTreeSet::new(),
                        chains: 0,
                        tops: Vec::new(),
                        children: Vec::new(),
                    });
                    let i = t.nodes.len() - 1;
                    match parent {
                        Some(p) => t.nodes[p].children.push(i),
                        None => t.roots.push(i),
                    }
                    i
                });
                let n = &mut t.nodes[i];
                n.chains += 1;
                n.symbols.insert(f.symbol.clone());
                if let Some(s) = source(f) {
                    n.sources.insert(s);
                }
                parent = Some(i);
            }
            if let Some(last) = parent {
                t.nodes[last].tops.push(Top {
                    function: c.function.clone(),
                    used: c.used,
                    remaining: c.remaining,
                });
            }
        }
        t.name_siblings();
        t
    }

    /// Adds `[N B]` to siblings that share a function.
    fn name_siblings(&mut self) {
        let mut groups: Vec<Vec<usize>> = vec![self.roots.clone()];
        groups.extend(self.nodes.iter().map(|n| n.children.clone()));
        for g in groups {
            for &i in &g {
                let f = &self.nodes[i].function;
                if g.iter().filter(|&&j| self.nodes[j].function == *f).count() > 1 {
                    let n = &mut self.nodes[i];
                    n.name = format!("{} [{} B]", n.function, n.size);
                }
            }
        }
    }

    /// One folded line per node, `root;...;frame BYTES` weighted by the
    /// node's own size, with the node's path from the root; sorted by text,
    /// as flame-graph tools read them.
    pub fn lines(&self) -> Vec<(String, Vec<usize>)> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<Vec<usize>> = self.roots.iter().map(|&r| vec![r]).collect();
        while let Some(path) = stack.pop() {
            let last = path[path.len() - 1];
            for &c in &self.nodes[last].children {
                let mut p = path.clone();
                p.push(c);
                stack.push(p);
            }
            let mut text = String::new();
            for (k, &i) in path.iter().enumerate() {
                if k > 0 {
                    text.push(';');
                }
                text.push_str(&self.nodes[i].name);
            }
            let _ = write!(text, " {}", self.nodes[last].size);
            out.push((text, path));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The folded-stack text: [`lines`](Self::lines), so a path's lines add
    /// up to the bytes its deepest frame reaches.
    pub fn folded(&self) -> String {
        let mut s = String::new();
        for (text, _) in self.lines() {
            s.push_str(&text);
            s.push('\n');
        }
        s
    }
}

/// One folded line read back: the frames (outermost first) and the weight.
pub fn parse_folded_line(line: &str) -> Option<(Vec<&str>, u64)> {
    let (stack, weight) = line.rsplit_once(' ')?;
    let weight = weight.parse().ok()?;
    Some((stack.split(';').collect(), weight))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Frame;

    fn frame(size: u64, function: &str) -> Frame {
        Frame {
            size,
            symbol: format!("{function}+0x1/0x10"),
            function: function.into(),
            offset: Some(1),
            function_size: Some(16),
            module: None,
            source: Vec::new(),
        }
    }

    fn chain(function: &str, frames: &[(u64, &str)]) -> Chain {
        let used = frames.iter().map(|f| f.0).sum();
        Chain {
            function: function.into(),
            used,
            remaining: 16384 - used,
            pid: 1,
            comm: "t".into(),
            frames: frames.iter().map(|&(s, f)| frame(s, f)).collect(),
        }
    }

    #[test]
    fn chains_merge_by_function_and_size_and_fold_back() {
        let a = chain("leaf", &[(0, "leaf"), (40, "mid"), (100, "root")]);
        let b = chain("other", &[(0, "other"), (48, "mid"), (100, "root")]);
        let c = chain("mid", &[(0, "mid"), (100, "root")]);
        let t = StackTree::build([&a, &b, &c], |_| None);
        assert_eq!(t.roots.len(), 1);
        let root = &t.nodes[t.roots[0]];
        assert_eq!((root.chains, root.size, root.depth), (3, 100, 100));
        assert_eq!(root.children.len(), 2, "mid at 40 and at 48 bytes");
        assert_eq!(
            root.tops,
            vec![Top {
                function: "mid".into(),
                used: 100,
                remaining: 16284
            }]
        );
        let folded = t.folded();
        assert_eq!(
            folded, "root 100\nroot;mid [40 B] 40\nroot;mid [48 B] 48\n",
            "siblings with one function and two sizes are told apart"
        );
        let sum: u64 = folded
            .lines()
            .filter_map(parse_folded_line)
            .filter(|(s, _)| s.len() == 1 || s[1] == "mid [40 B]")
            .map(|(_, w)| w)
            .sum();
        assert_eq!(sum, a.used);
    }
}
