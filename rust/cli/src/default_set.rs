// SPDX-License-Identifier: MIT OR Apache-2.0
//! `stackwatch probes defaults`: the module's default probe set (the
//! `default` of `probes=`), group by group, from `stackwatch-core`'s
//! `defaults.rs`, which the module compiles too: scripts and tests take the
//! groups from here instead of copying the names.

use serde::Serialize;
use stackwatch_core::defaults;

/// One named group of the default set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Its name: `xfs`, `block`, `nfsd`, `reclaim`.
    pub group: &'static str,
    /// Its functions, in the module's order.
    pub functions: &'static [&'static str],
}

/// The default set's groups, in the module's order (`defaults::GROUPS`,
/// named).
pub const GROUPS: [Group; 4] = [
    Group {
        group: "xfs",
        functions: defaults::XFS,
    },
    Group {
        group: "block",
        functions: defaults::BLOCK,
    },
    Group {
        group: "nfsd",
        functions: defaults::NFSD,
    },
    Group {
        group: "reclaim",
        functions: defaults::RECLAIM,
    },
];

/// The groups as text, one line per group (`GROUP: NAME...`), or as JSON
/// (`[{"group": ..., "functions": [...]}, ...]`).
pub fn render(json: bool) -> String {
    let mut out = if json {
        serde_json::to_string_pretty(&GROUPS).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    } else {
        GROUPS
            .iter()
            .map(|g| format!("{}: {}", g.group, g.functions.join(" ")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every group of the module's default set is here, named, in order.
    #[test]
    fn the_groups_are_the_modules() {
        assert_eq!(GROUPS.len(), defaults::GROUPS.len());
        for (g, d) in GROUPS.iter().zip(defaults::GROUPS) {
            assert_eq!(g.functions, *d, "group {}", g.group);
        }
        let named: Vec<&str> = GROUPS
            .iter()
            .flat_map(|g| g.functions.iter().copied())
            .collect();
        assert_eq!(named, defaults::all().collect::<Vec<_>>());
    }

    #[test]
    fn rendered_as_text_and_json() {
        let text = render(false);
        assert!(text.starts_with("xfs: xfs_bmapi_write xfs_file_fsync "));
        assert!(text.contains("\nblock: submit_bio submit_bio_noacct __submit_bio dm_submit_bio "));
        let v: serde_json::Value = serde_json::from_str(&render(true)).unwrap();
        assert_eq!(v[1]["group"], "block");
        assert_eq!(v[3]["functions"][1], "try_to_free_mem_cgroup_pages");
    }
}
