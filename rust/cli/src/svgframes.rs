// SPDX-License-Identifier: MIT OR Apache-2.0
//! Rewrites the frames of a flame graph SVG written by inferno: each frame is
//! a `<g>` holding a `<title>` and a `<rect>` whose `fg:x` and `fg:w` give
//! its start and width in samples (here: bytes). A callback, given those and
//! the title, returns the frame's new title and fill colour. The subtitle can
//! be given coloured words. Everything else is copied through unchanged.

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

/// What a frame becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameEdit {
    /// New tooltip text.
    pub title: String,
    /// New fill colour (`rgb(...)` or `#rrggbb`).
    pub fill: String,
}

/// A piece of the subtitle, in a colour of its own or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The words.
    pub text: String,
    /// Their colour (bold), or the subtitle's own.
    pub fill: Option<String>,
}

/// The subtitle's events: plain text and bold coloured `<tspan>`s.
fn subtitle_events(spans: &[Span]) -> Vec<Event<'static>> {
    let mut out = Vec::new();
    for s in spans {
        let text = Event::Text(BytesText::new(&s.text).into_owned());
        match &s.fill {
            Some(fill) => {
                let start = BytesStart::new("tspan")
                    .with_attributes([("fill", fill.as_str()), ("font-weight", "bold")]);
                out.push(Event::Start(start.into_owned()));
                out.push(text);
                out.push(Event::End(BytesEnd::new("tspan")));
            }
            None => out.push(text),
        }
    }
    out
}

/// A frame as inferno drew it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnFrame {
    /// Start, in samples.
    pub x: u64,
    /// Width, in samples.
    pub w: u64,
    /// Tooltip text.
    pub title: String,
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| String::from_utf8(a.value.into_owned()).ok())
}

/// The frame drawn by a `<g>`'s events, if they are one.
fn drawn(events: &[Event<'static>]) -> Option<DrawnFrame> {
    let mut title = None;
    let mut pos = None;
    let mut in_title = false;
    for e in events {
        match e {
            Event::Start(s) if s.name().as_ref() == b"title" => {
                in_title = true;
                title = Some(String::new());
            }
            Event::End(s) if s.name().as_ref() == b"title" => in_title = false,
            Event::Text(t) if in_title => {
                let text = t.decode().ok()?;
                title
                    .as_mut()?
                    .push_str(&quick_xml::escape::unescape(&text).ok()?);
            }
            Event::GeneralRef(r) if in_title => {
                let entity = format!("&{};", r.decode().ok()?);
                let text = quick_xml::escape::unescape(&entity).ok()?;
                title.as_mut()?.push_str(&text);
            }
            Event::Empty(s) if s.name().as_ref() == b"rect" => {
                let x = attr(s, b"fg:x")?.parse().ok()?;
                let w = attr(s, b"fg:w")?.parse().ok()?;
                pos = Some((x, w));
            }
            _ => {}
        }
    }
    let (x, w) = pos?;
    Some(DrawnFrame {
        x,
        w,
        title: title?,
    })
}

/// The group's events with the edit applied.
fn edited(events: Vec<Event<'static>>, edit: &FrameEdit) -> Vec<Event<'static>> {
    let mut out = Vec::with_capacity(events.len());
    let mut in_title = false;
    for e in events {
        match e {
            Event::Start(ref s) if s.name().as_ref() == b"title" => {
                in_title = true;
                out.push(e);
                out.push(Event::Text(BytesText::new(&edit.title).into_owned()));
            }
            Event::End(ref s) if s.name().as_ref() == b"title" => {
                in_title = false;
                out.push(e);
            }
            Event::Text(_) | Event::GeneralRef(_) if in_title => {}
            Event::Empty(s) if s.name().as_ref() == b"rect" => {
                let mut r = s.to_owned();
                r.clear_attributes();
                for a in s.attributes().flatten() {
                    if a.key.as_ref() == b"fill" {
                        r.push_attribute(("fill", edit.fill.as_str()));
                    } else {
                        r.push_attribute(a);
                    }
                }
                out.push(Event::Empty(r.into_owned()));
            }
            e => out.push(e),
        }
    }
    out
}

/// Rewrites every frame `edit` returns something for, and the subtitle's
/// words if `subtitle` has any. Returns the new SVG and the frames drawn
/// (edited or not).
pub fn rewrite(
    svg: &[u8],
    subtitle: &[Span],
    mut edit: impl FnMut(&DrawnFrame) -> Option<FrameEdit>,
) -> std::io::Result<(Vec<u8>, Vec<DrawnFrame>)> {
    let bad = |e: quick_xml::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let mut reader = Reader::from_reader(svg);
    let mut writer = Writer::new(Vec::with_capacity(svg.len() + svg.len() / 4));
    let mut buf = Vec::new();
    let mut group: Option<(usize, Vec<Event<'static>>)> = None;
    let mut frames = Vec::new();
    let mut in_subtitle = false;
    loop {
        let e = reader.read_event_into(&mut buf).map_err(bad)?.into_owned();
        buf.clear();
        if matches!(e, Event::Eof) {
            break;
        }
        if in_subtitle {
            if matches!(&e, Event::End(s) if s.name().as_ref() == b"text") {
                in_subtitle = false;
                writer.write_event(e)?;
            }
            continue;
        }
        let Some((depth, events)) = group.as_mut() else {
            let is_subtitle = matches!(&e, Event::Start(s)
                if s.name().as_ref() == b"text" && attr(s, b"id").as_deref() == Some("subtitle"));
            if is_subtitle && !subtitle.is_empty() {
                writer.write_event(e)?;
                for ev in subtitle_events(subtitle) {
                    writer.write_event(ev)?;
                }
                in_subtitle = true;
            } else if matches!(&e, Event::Start(s) if s.name().as_ref() == b"g") {
                group = Some((1, vec![e]));
            } else {
                writer.write_event(e)?;
            }
            continue;
        };
        match &e {
            Event::Start(s) if s.name().as_ref() == b"g" => *depth += 1,
            Event::End(s) if s.name().as_ref() == b"g" => *depth -= 1,
            _ => {}
        }
        events.push(e);
        if *depth > 0 {
            continue;
        }
        let events = group.take().map(|g| g.1).unwrap_or_default();
        let events = match drawn(&events) {
            Some(f) => {
                let out = match edit(&f) {
                    Some(ed) => edited(events, &ed),
                    None => events,
                };
                frames.push(f);
                out
            }
            None => events,
        };
        for ev in events {
            writer.write_event(ev)?;
        }
    }
    Ok((writer.into_inner(), frames))
}
