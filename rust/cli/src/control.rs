// SPDX-License-Identifier: MIT OR Apache-2.0
//! Thin wrappers over the control files: probes, reset, threshold,
//! enabled, budgets. Names are checked here first (with the module's own
//! rules from `stackwatch-core`) so a typo is a usage error, not an EINVAL.

use crate::debugfs::Dir;
use crate::error::{Error, Result};
use crate::load;
use crate::model::Probes;
use crate::style::{Paint, Style};
use crate::text_table::TextTable;
use stackwatch_core::command::{check_name, MAX_WRITE};
use stackwatch_core::settings::{Control, Limits};

/// Checks probe names or globs before they are sent.
pub fn check_names(names: &[String]) -> Result<()> {
    for n in names {
        check_name(n).map_err(|e| Error::usage(format!("bad probe name: {e}")))?;
    }
    Ok(())
}

fn probe_write(op: char, names: &[String]) -> Result<String> {
    check_names(names)?;
    let text: String = names.iter().map(|n| format!("{op}{n}\n")).collect();
    if text.len() > MAX_WRITE {
        return Err(Error::usage(format!(
            "too many names for one write ({} bytes, {MAX_WRITE} at most): split them",
            text.len()
        )));
    }
    Ok(text)
}

/// Attaches probes (all or none: the module undoes a partial write).
pub fn probes_add(dir: &Dir, names: &[String]) -> Result<String> {
    dir.write("probes", &probe_write('+', names)?)?;
    Ok(format!("attached: {}\n", names.join(" ")))
}

/// Detaches probes.
pub fn probes_remove(dir: &Dir, names: &[String]) -> Result<String> {
    dir.write("probes", &probe_write('-', names)?)?;
    Ok(format!("detached: {}\n", names.join(" ")))
}

/// Detaches every probe.
pub fn probes_clear(dir: &Dir) -> Result<String> {
    dir.write("probes", "clear\n")?;
    Ok("detached all probes\n".to_string())
}

/// The attached, pending and skipped probes as tables.
pub fn render_probes(p: &Probes, st: &Style) -> String {
    let mut t = TextTable::new(
        &["SPEC", "MECHANISM"],
        &["FUNCTIONS", "HITS", "OFF_STACK", "MISSED"],
    );
    for a in &p.attached {
        t.row(
            vec![
                a.spec.clone(),
                a.mechanism.clone(),
                a.functions.to_string(),
                a.hits.to_string(),
                a.off_stack.to_string(),
                a.missed.to_string(),
            ],
            if a.missed > 0 {
                Paint::Yellow
            } else {
                Paint::Plain
            },
        );
    }
    let mut out = if t.is_empty() {
        "no probes attached\n".to_string()
    } else {
        t.render(st, "")
    };
    if !p.pending.is_empty() {
        out.push('\n');
        let mut w = TextTable::new(&["PENDING", "MECHANISM", "WAITS FOR"], &[]);
        for q in &p.pending {
            w.row(
                vec![
                    q.name.clone(),
                    q.mechanism.clone(),
                    "a module that has it to load".to_string(),
                ],
                Paint::Plain,
            );
        }
        out.push_str(&w.render(st, ""));
    }
    if !p.skipped.is_empty() {
        out.push('\n');
        let mut s = TextTable::new(&["SKIPPED", "WHY"], &[]);
        for k in &p.skipped {
            s.row(
                vec![
                    k.name.clone(),
                    crate::errno::explain_write("probes", k.errno as i32),
                ],
                Paint::Plain,
            );
        }
        out.push_str(&s.render(st, ""));
    }
    out
}

/// Reads and renders the `probes` file.
pub fn probes_list(dir: &Dir, st: &Style) -> Result<String> {
    let text = dir.read_required("probes")?;
    let p = load::probes(&text).map_err(|e| load::context(&dir.file("probes"), &text, &e))?;
    Ok(render_probes(&p, st))
}

/// Clears statistics and chains.
pub fn reset(dir: &Dir) -> Result<String> {
    dir.write("reset", "1\n")?;
    Ok("statistics reset\n".to_string())
}

/// Shows, or sets, the threshold.
pub fn threshold(dir: &Dir, bytes: Option<u64>) -> Result<String> {
    match bytes {
        Some(b) => {
            dir.write("threshold", &format!("{b}\n"))?;
            Ok(format!("threshold set to {b} bytes left\n"))
        }
        None => {
            let text = dir.read_required("threshold")?;
            let v = stackwatch_format::value::reader::number_file(&text)
                .map_err(|e| load::context(&dir.file("threshold"), &text, &e))?;
            Ok(format!("{v}\n"))
        }
    }
}

/// Pauses or resumes counting.
pub fn set_enabled(dir: &Dir, on: bool) -> Result<String> {
    dir.write("enabled", if on { "1\n" } else { "0\n" })?;
    Ok(if on {
        "counting resumed\n"
    } else {
        "counting paused\n"
    }
    .to_string())
}

/// Shows, or sets, the what-if budgets (`none` clears them).
pub fn budgets(dir: &Dir, sizes: &[String]) -> Result<String> {
    if sizes.is_empty() {
        let text = dir.read_required("budgets")?;
        let rows =
            load::budgets(&text).map_err(|e| load::context(&dir.file("budgets"), &text, &e))?;
        if rows.is_empty() {
            return Ok("no budgets configured\n".to_string());
        }
        return Ok(rows
            .iter()
            .map(|b| {
                format!(
                    "{} bytes: {} hits would have overflowed\n",
                    b.budget, b.over
                )
            })
            .collect());
    }
    let text = format!("{}\n", sizes.join(" "));
    // The module's own check, but for the stack size, which the module
    // checks itself.
    let unchecked = Limits {
        thread_size: usize::MAX,
        min_threshold: 0,
    };
    if let Err(e) = Control::Budgets.parse(&text, unchecked) {
        return Err(Error::usage(format!(
            "budgets are sizes in bytes (e.g. 4096 8192), 'default' or 'none': {e}"
        )));
    }
    dir.write("budgets", &text)?;
    Ok(format!("budgets set to {}\n", sizes.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_before_writing() {
        assert!(check_names(&["xfs_*".into(), "submit_bio".into()]).is_ok());
        let e = check_names(&["a b".into()]).unwrap_err();
        assert!(e.usage && e.message.contains("bad character"), "{e}");
        assert_eq!(
            probe_write('+', &["a".into(), "b".into()]).unwrap(),
            "+a\n+b\n"
        );
        let many: Vec<String> = (0..400).map(|i| format!("function_{i:05}")).collect();
        assert!(probe_write('+', &many).unwrap_err().usage);
    }
}
