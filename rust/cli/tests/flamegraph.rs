// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch flamegraph` on the recorded snapshots: the SVG is well-formed
//! XML, every frame of the deepest chain is in it at the depth it was
//! recorded at (with the bytes left at the top of its tower), widths add up
//! to the bytes used, frames are coloured by the budget they go past, and
//! the folded text weighs each frame by its own size.

mod common;

use common::{run, snapshots_dir, stderr, stdout, synthetic};
use stackwatch_cli::debugfs::Dir;
use stackwatch_cli::flamegraph::{self, band, fill, Facts};
use stackwatch_cli::load;
use stackwatch_cli::model::{Chain, Snapshot};
use stackwatch_cli::stacktree::{parse_folded_line, StackTree};
use std::collections::HashMap;

fn torture() -> std::path::PathBuf {
    snapshots_dir().join("x86_64-16k-torture")
}

fn facts(s: &Snapshot) -> Facts {
    Facts {
        thread_size: s.summary.settings.thread_size,
        budgets: s.summary.settings.budgets.clone(),
        osrelease: s.osrelease.clone(),
    }
}

/// A frame as drawn: tooltip, start and width in bytes, fill.
#[derive(Debug)]
struct Drawn {
    title: String,
    x: u64,
    w: u64,
    fill: String,
}

/// The SVG read with an XML parser of its own.
fn xml(svg: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse_with_options(
        svg,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc
}

/// Every frame of the SVG.
fn drawn(svg: &str) -> Vec<Drawn> {
    let doc = xml(svg);
    let fg = "http://github.com/jonhoo/inferno";
    doc.descendants()
        .filter(|n| n.has_tag_name("g"))
        .filter_map(|g| {
            let title = g.children().find(|c| c.has_tag_name("title"))?.text()?;
            let rect = g.children().find(|c| c.has_tag_name("rect"))?;
            Some(Drawn {
                title: title.to_string(),
                x: rect.attribute((fg, "x"))?.parse().ok()?,
                w: rect.attribute((fg, "w"))?.parse().ok()?,
                fill: rect.attribute("fill")?.to_string(),
            })
        })
        .collect()
}

fn deepest(s: &Snapshot) -> &Chain {
    s.max_trace.as_ref().unwrap().chain.as_ref().unwrap()
}

#[test]
fn the_svg_parses_and_holds_the_deepest_chain_at_its_depths() {
    let snap = load::load(&Dir::snapshot(torture())).unwrap();
    let traces = snap.traces.as_ref().unwrap();
    let tree = StackTree::build(traces, |_| None);
    let svg = flamegraph::render(&tree, &facts(&snap), Some(1600)).unwrap();
    let frames = drawn(&svg);
    assert!(frames.len() > 100, "{} frames", frames.len());

    let c = deepest(&snap);
    assert_eq!((c.function.as_str(), c.used), ("dm_bufio_get", 4648));
    let mut depth = 0;
    let mut top = None;
    for f in c.frames.iter().rev().filter(|f| f.size > 0) {
        depth += f.size;
        let at = format!(
            " (frame {} bytes at {}-{depth} of 16384, {} left;",
            f.size,
            depth - f.size,
            16384 - depth
        );
        let hit = frames
            .iter()
            .find(|d| d.title.starts_with(&f.function) && d.title.contains(&at));
        let d = hit.unwrap_or_else(|| panic!("{} at depth {depth} not drawn", f.symbol));
        let want = fill(
            band(depth, &[4096, 8192]),
            &d.title[..d.title.find(" (").unwrap()],
        );
        assert_eq!(d.fill, want, "{}: colour of its band", f.function);
        top = Some(d);
    }
    assert_eq!(depth, c.used, "frame sizes add up to the bytes used");
    let top = top.unwrap();
    assert!(
        top.title
            .contains("top of the chain of dm_bufio_get: 4648 used, 11736 left"),
        "{}",
        top.title
    );
    assert!(top.fill.starts_with("rgb(2"), "past 4096: orange, not blue");

    // The root frame is as wide as all frames' own sizes together.
    let total: u64 = tree.nodes.iter().map(|n| n.size).sum();
    let all = frames
        .iter()
        .find(|d| d.title.starts_with("all ("))
        .unwrap();
    assert_eq!((all.x, all.w), (0, total));

    // The legend names each colour in that colour.
    let doc = xml(&svg);
    let sub = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("subtitle"))
        .unwrap();
    let text: String = sub
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(
        text,
        "width: stack bytes, each frame its own size; colour: how deep a frame reaches: \
         blue within 4096, orange past 4096, red past 8192 bytes, of THREAD_SIZE 16384"
    );
    let spans: Vec<(&str, &str)> = sub
        .children()
        .filter(|n| n.has_tag_name("tspan"))
        .map(|n| (n.text().unwrap(), n.attribute("fill").unwrap()))
        .collect();
    let want = [fill(0, ""), fill(1, ""), fill(2, "")];
    assert_eq!(
        spans,
        [
            ("blue", want[0].as_str()),
            ("orange", want[1].as_str()),
            ("red", want[2].as_str())
        ]
    );
}

#[test]
fn one_chain_widths_are_the_bytes_from_each_frame_inward() {
    let o = run(&[
        "flamegraph",
        "--from",
        &torture().display().to_string(),
        "--function",
        "dm_bufio_get",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let frames = drawn(&stdout(&o));
    let snap = load::load(&Dir::snapshot(torture())).unwrap();
    let c = deepest(&snap);
    let all = frames
        .iter()
        .find(|d| d.title.starts_with("all ("))
        .unwrap();
    assert_eq!(all.w, c.used, "the tower is as wide as the bytes used");
    // Outermost first: each frame starts where it sits on the stack and
    // spans the bytes from itself inward.
    let mut outer = 0;
    let by_title: HashMap<&str, &Drawn> = frames
        .iter()
        .map(|d| (&d.title[..d.title.find(" (").unwrap()], d))
        .collect();
    for f in c.frames.iter().rev().filter(|f| f.size > 0) {
        let d = by_title[f.function.as_str()];
        assert_eq!((d.x, d.w), (outer, c.used - outer), "{}", f.symbol);
        outer += f.size;
    }
    assert_eq!(by_title.len(), frames.len(), "no name drawn twice");
}

#[test]
fn folded_lines_weigh_each_frame_by_its_own_size() {
    let o = run(&[
        "flamegraph",
        "--folded",
        "--from",
        &torture().display().to_string(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let lines: Vec<(Vec<&str>, u64)> = text
        .lines()
        .map(|l| parse_folded_line(l).unwrap_or_else(|| panic!("bad line {l}")))
        .collect();
    assert!(lines.iter().all(|(_, w)| *w > 0), "no empty frames");
    let mut sorted: Vec<&str> = text.lines().collect();
    sorted.sort_unstable();
    assert_eq!(sorted, text.lines().collect::<Vec<_>>(), "sorted");

    // The lines on the deepest chain's path add up to the bytes it used.
    let snap = load::load(&Dir::snapshot(torture())).unwrap();
    let c = deepest(&snap);
    let path: Vec<(&str, String)> = c
        .frames
        .iter()
        .rev()
        .filter(|f| f.size > 0)
        .map(|f| {
            (
                f.function.as_str(),
                format!("{} [{} B]", f.function, f.size),
            )
        })
        .collect();
    let on_path: u64 = lines
        .iter()
        .filter(|(stack, _)| {
            stack.len() <= path.len()
                && stack
                    .iter()
                    .zip(&path)
                    .all(|(a, (name, sized))| a == name || a == sized)
        })
        .map(|(_, w)| w)
        .sum();
    assert_eq!(on_path, c.used);
}

#[test]
fn every_snapshot_draws() {
    for dir in std::fs::read_dir(snapshots_dir()).unwrap() {
        let dir = dir.unwrap().path();
        let snap = load::load(&Dir::snapshot(&dir)).unwrap();
        let tree = StackTree::build(snap.traces.iter().flatten(), |_| None);
        let svg = flamegraph::render(&tree, &facts(&snap), None)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(drawn(&svg).len() > 5, "{}", dir.display());
    }
}

#[test]
fn bad_requests_are_named() {
    let syn = synthetic().display().to_string();
    let o = run(&["flamegraph", "--from", &syn, "--function", "no_such_fn"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--function no_such_fn: no chain recorded"));
    let o = run(&["flamegraph", "--from", &syn, "--width", "10"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("10"));
}

/// The deepest chain on an IRQ stack (`irq_max_trace`) stands as a tower of
/// its own under `[IRQ stack]`: its frames on the IRQ stack, weighed by
/// their sizes, without the interrupted task's frames (which have none).
#[test]
fn the_irq_stack_chain_is_a_tower_of_its_own() {
    let s = common::Scratch::new("flame-irq");
    common::copy_dir(&synthetic(), s.path());
    std::fs::write(
        s.path().join("irq_max_trace"),
        "# stackwatch max_trace: used 2152 remaining 14232 thread_size 16384 pid 226 comm nfsd\n        Depth    Size   Location    (6 entries)\n        -----    ----   --------\n   0)     2152       0   tcp_gso_segment+0x9/0x5a0\n   1)     2152      96   inet_gso_segment+0x14e/0x3e0\n   2)     2056     264   net_rx_action+0x2fa/0x400\n   3)     1792     104   handle_softirqs+0xd8/0x330\n   4)     1688       0   do_softirq.part.0+0x3b/0x60\n   5)     1688       0   nfsd+0x118/0x350 [nfsd]\n",
    )
    .unwrap();
    let dir = s.path().to_str().unwrap();
    let o = run(&["flamegraph", "--from", dir, "--folded"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let irq: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("[IRQ stack];"))
        .collect();
    assert_eq!(
        irq,
        [
            "[IRQ stack];handle_softirqs 104",
            "[IRQ stack];handle_softirqs;net_rx_action 264",
            "[IRQ stack];handle_softirqs;net_rx_action;inet_gso_segment 96"
        ],
        "{out}"
    );
    assert!(!out.contains("do_softirq"), "{out}");
    // With --function, only the thread-stack chains asked for.
    let o = run(&[
        "flamegraph",
        "--from",
        dir,
        "--folded",
        "--function",
        "virtio_queue_rq",
    ]);
    assert!(!stdout(&o).contains("[IRQ stack]"), "{}", stdout(&o));
}
