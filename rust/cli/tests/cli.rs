// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command as a user runs it: exit codes, usage errors, control-file
//! writes (against a plain directory standing in for debugfs), snapshot,
//! diff, export and completions.

mod common;

use common::{copy_dir, run, stderr, stdout, synthetic, Scratch, STATS_FILES};
use std::fs;

fn syn() -> String {
    synthetic().display().to_string()
}

#[test]
fn report_from_a_snapshot() {
    let o = run(&["report", "--from", &syn()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("virtio_queue_rq"));
    assert!(out.contains("would overflow 8192"));
    assert!(!out.contains('\x1b'));

    let o = run(&["report", "--from", &syn(), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["functions"][0]["max_used"], 15488);

    let o = run(&["report", "--from", &syn(), "--sections", "table,histogram"]);
    let out = stdout(&o);
    assert!(out.contains("Depth histograms") && !out.contains("Deepest chains"));

    let o = run(&[
        "--color",
        "always",
        "report",
        "--from",
        &syn(),
        "--sections",
        "table",
    ]);
    assert!(
        stdout(&o).contains("\x1b[31m"),
        "threshold rows in red when asked"
    );
}

/// What the guest tests read by name: the `tasks` rows with the header's
/// thread_size, the `budgets` file's rows, pending probes as objects; and a
/// report reads only the files of the sections asked for.
#[test]
fn report_json_for_scripts() {
    let s = Scratch::new("json");
    copy_dir(&synthetic(), s.path());
    fs::write(
        s.path().join("tasks"),
        "# stackwatch tasks: thread_size 16384 threads 90 shown 2\n# pid used left comm\n812 7376 9008 nfsd\n9 100 16284 kworker/0:1 x\n# deepest points: return addresses just above the deepest point, innermost first (stale stack words)\npoint 812 7376 nfsd\n  update_curr+0x4b/0x1f0\n",
    )
    .unwrap();
    fs::write(
        s.path().join("probes"),
        "# state spec mechanism functions hits off_stack missed\nattached xfs_* fprobe 1612 4567 3 0\n# state name mechanism\npending nfsd_dispatch kprobe\n# state name errno\nskipped foo ENOENT -2\n",
    )
    .unwrap();
    let dir = s.path().to_str().unwrap();
    let o = run(&["report", "--from", dir, "--json", "--sections", "all"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tasks"]["thread_size"], 16384);
    assert_eq!(v["tasks"]["threads"], 90);
    assert_eq!(
        v["tasks"]["rows"][1],
        serde_json::json!({"pid": 9, "comm": "kworker/0:1 x", "used": 100, "left": 16284})
    );
    assert_eq!(v["tasks"]["points"][0]["thread"]["pid"], 812);
    assert!(v["tasks"]["points"][0]["thread"].get("left").is_none());
    assert_eq!(
        v["budget_totals"],
        serde_json::json!([{"budget": 4096, "over": 187999}, {"budget": 8192, "over": 57616}])
    );
    assert_eq!(
        v["probes"]["pending"],
        serde_json::json!([{"name": "nfsd_dispatch", "mechanism": "kprobe"}])
    );
    assert_eq!(v["probes"]["attached"][0]["functions"], 1612);
    assert_eq!(v["probes"]["skipped"][0]["errno_name"], "ENOENT");
    assert_eq!(v["max_trace"]["used"], 15488);

    // Only the files of the sections asked for are read: a broken file fails
    // a report of a section made from it, and no other.
    for (file, readers) in [
        ("traces", &["chains", "budgets"][..]),
        ("max_trace", &["chains", "max-trace"]),
        ("histogram", &["histogram"]),
        ("probes", &["probes"]),
        ("budgets", &["budgets"]),
        ("tasks", &["tasks", "budgets"]),
    ] {
        let s = Scratch::new("json-broken");
        copy_dir(&synthetic(), s.path());
        fs::write(s.path().join(file), "garbage\n").unwrap();
        let dir = s.path().to_str().unwrap();
        for section in [
            "table",
            "counters",
            "chains",
            "max-trace",
            "budgets",
            "tasks",
            "histogram",
            "probes",
        ] {
            let o = run(&["report", "--from", dir, "--json", "--sections", section]);
            let why = format!("broken {file}, --sections {section}: {}", stderr(&o));
            if readers.contains(&section) {
                assert_eq!(o.status.code(), Some(1), "{why}");
                assert!(stderr(&o).contains(&format!("{file}: line 1")), "{why}");
            } else {
                assert_eq!(o.status.code(), Some(0), "{why}");
            }
        }
    }
    let o = run(&[
        "report",
        "--from",
        dir,
        "--json",
        "--sections",
        "table,probes",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["all"]["hits"], 318962);
    assert!(v.get("tasks").is_none() && v.get("chains").is_none());
}

/// The default set, group by group, as the module has it.
#[test]
fn probes_defaults_lists_the_groups() {
    let o = run(&["probes", "defaults"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\nreclaim: try_to_free_pages try_to_free_mem_cgroup_pages "));
    let o = run(&["probes", "defaults", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let groups: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["xfs", "block", "nfsd", "reclaim"]);
    assert_eq!(v[2]["functions"][0], "nfsd_dispatch");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["report", "--bogus"][..],
        &["nonsense"],
        &["probes", "add"],
        &["threshold", "abc"],
        &["watch", "--interval", "0"],
        &["export", "--interval", "1s"],
        &["completions", "tcsh"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    }
    let s = Scratch::new("usage");
    let dir = s.path().to_str().unwrap();
    let o = run(&["--dir", dir, "probes", "add", "bad name"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad character in symbol name"),
        "{}",
        stderr(&o)
    );
    let o = run(&["--dir", dir, "budgets", "4k"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn help_and_completions() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    for sub in [
        "report",
        "probes",
        "watch",
        "snapshot",
        "diff",
        "export",
        "completions",
    ] {
        assert!(stdout(&o).contains(sub), "{sub}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("stackwatch"), "{shell}");
        assert!(stdout(&o).contains("snapshot"), "{shell}");
    }
}

#[test]
fn missing_module_directory_is_explained() {
    let s = Scratch::new("missing");
    let dir = s.path().join("stackwatch");
    let o = run(&["--dir", dir.to_str().unwrap(), "report"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("debugfs is not mounted at"), "{err}");

    let o = run(&["report", "--from", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no such file or directory"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn control_files_get_what_echo_would_write() {
    let s = Scratch::new("control");
    copy_dir(&synthetic(), s.path());
    let dir = s.path().to_str().unwrap();
    let file = |n: &str| fs::read_to_string(s.path().join(n)).unwrap();

    let o = run(&["--dir", dir, "probes", "add", "xfs_*", "submit_bio"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(file("probes"), "+xfs_*\n+submit_bio\n");
    run(&["--dir", dir, "probes", "remove", "submit_bio"]);
    assert_eq!(file("probes"), "-submit_bio\n");
    run(&["--dir", dir, "probes", "clear"]);
    assert_eq!(file("probes"), "clear\n");
    run(&["--dir", dir, "threshold", "2048"]);
    assert_eq!(file("threshold"), "2048\n");
    let o = run(&["--dir", dir, "threshold"]);
    assert_eq!(stdout(&o), "2048\n");
    run(&["--dir", dir, "disable"]);
    assert_eq!(file("enabled"), "0\n");
    run(&["--dir", dir, "enable"]);
    assert_eq!(file("enabled"), "1\n");
    fs::write(s.path().join("reset"), "").unwrap();
    run(&["--dir", dir, "reset"]);
    assert_eq!(file("reset"), "1\n");
    run(&["--dir", dir, "budgets", "4096", "8192"]);
    assert_eq!(file("budgets"), "4096 8192\n");
    // `default` as the module takes it (its help names it too).
    let o = run(&["--dir", dir, "budgets", "default"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(file("budgets"), "default\n");

    // A control file the module does not have.
    fs::remove_file(s.path().join("reset")).unwrap();
    let o = run(&["--dir", dir, "reset"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no such control file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn probes_list_renders_the_probes_file() {
    let o = run(&["--dir", &syn(), "probes", "list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("shrink_*"));
    assert!(out.contains("fprobe"));
    assert!(out.contains("nfsd_commit"));
    assert!(out.contains("EEXIST: already attached"));
}

#[test]
fn snapshot_then_diff() {
    let s = Scratch::new("snap");
    let a = s.path().join("a");
    let o = run(&["snapshot", "--from", &syn(), a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("snapshot written to"));
    for f in STATS_FILES
        .into_iter()
        .chain(["thread_size", "osrelease", "parameters/probes"])
    {
        assert_eq!(
            fs::read(a.join(f)).unwrap(),
            fs::read(synthetic().join(f)).unwrap(),
            "{f}"
        );
    }
    // No temporary directory is left behind.
    let names: Vec<_> = fs::read_dir(s.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["a"]);
    // Never over an existing directory.
    let o = run(&["snapshot", "--from", &syn(), a.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already exists"));

    // B: xfs_bmapi_write got deeper, dm_submit_bio is gone, a new function.
    let b = s.path().join("b");
    copy_dir(&a, &b);
    let summary = fs::read_to_string(b.join("summary")).unwrap();
    let summary = summary
        .replace(
            "xfs_bmapi_write 3555 4184 12200 0 4 0",
            "xfs_bmapi_write 3600 4700 11684 0 9 0",
        )
        .replace("dm_submit_bio 40551 2072 14312 0 0 0\n", "")
        .replace(
            "xfs_log_force 77 592 15792 0 0 0\n",
            "xfs_log_force 77 592 15792 0 0 0\nnew_func 5 100 16284 0 0 0\n",
        );
    fs::write(b.join("summary"), summary).unwrap();

    let o = run(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().skip(2).collect();
    assert!(rows[0].trim_start().starts_with("xfs_bmapi_write"), "{out}");
    assert!(
        rows[0].contains("4184") && rows[0].contains("4700") && rows[0].contains("+516"),
        "{out}"
    );
    assert!(
        rows[1].trim_start().starts_with("new_func") && rows[1].contains("new"),
        "{out}"
    );
    let gone = rows.iter().find(|r| r.contains("dm_submit_bio")).unwrap();
    assert!(gone.contains("-2072") && gone.contains("gone"), "{out}");
    assert!(
        rows.last().unwrap().trim_start().starts_with("(all)"),
        "{out}"
    );

    let o = run(&["diff", "--json", a.to_str().unwrap(), b.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["functions"][0]["function"], "xfs_bmapi_write");
    assert_eq!(v["functions"][0]["delta"], 516);
    assert_eq!(v["functions"][0]["max_used_a"], 4184);
    assert_eq!(v["all"]["delta"], 0);
}

#[test]
fn snapshot_of_a_broken_directory_leaves_nothing() {
    let s = Scratch::new("snapbad");
    let src = s.path().join("src");
    copy_dir(&synthetic(), &src);
    fs::write(
        src.join("summary"),
        "# stackwatch summary: thread_size 16384\n",
    )
    .unwrap();
    let dest = s.path().join("out");
    let o = run(&[
        "snapshot",
        "--from",
        src.to_str().unwrap(),
        dest.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let names: Vec<_> = fs::read_dir(s.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        ["src"],
        "no partial snapshot, no temporary directory"
    );
}

#[test]
fn export_prometheus_to_stdout_and_file() {
    let o = run(&["export", "--prometheus", "--from", &syn()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("# HELP stackwatch_max_used_bytes"));
    assert!(out.contains("stackwatch_max_used_bytes{function=\"xfs_log_force\"} 592\n"));

    let s = Scratch::new("prom");
    let f = s.path().join("stackwatch.prom");
    let o = run(&[
        "export",
        "--prometheus",
        "--from",
        &syn(),
        "-o",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&f).unwrap(), out);
    assert_eq!(fs::read_dir(s.path()).unwrap().count(), 1);
}

#[test]
fn export_textfile_into_a_collector_directory() {
    let s = Scratch::new("textfile");
    let dir = s.path().to_str().unwrap();
    let o = run(&[
        "export",
        "--prometheus",
        "--from",
        &syn(),
        "--textfile",
        dir,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = stdout(&run(&["export", "--prometheus", "--from", &syn()]));
    let names: Vec<_> = fs::read_dir(s.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["stackwatch.prom"], "no temporary file left");
    assert_eq!(
        fs::read_to_string(s.path().join("stackwatch.prom")).unwrap(),
        want
    );

    let missing = s.path().join("nope");
    let o = run(&[
        "export",
        "--prometheus",
        "--from",
        &syn(),
        "--textfile",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("nope: not a directory"),
        "{}",
        stderr(&o)
    );
    for (args, what) in [
        (&["--interval", "15s"][..], "--interval needs --textfile"),
        (&["--interval", "0s", "--textfile", dir], "'0s'"),
        (&["--interval", "soon", "--textfile", dir], "'soon'"),
        (&["--textfile", dir, "-o", "x.prom"], "cannot be used with"),
    ] {
        let from = syn();
        let mut a = vec!["export", "--prometheus", "--from", &from];
        a.extend_from_slice(args);
        let o = run(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(what), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn export_interval_repeats_until_sigterm() {
    use std::os::unix::fs::MetadataExt;
    let s = Scratch::new("interval");
    let file = s.path().join("stackwatch.prom");
    /// Killed if the test fails before it is told to stop.
    struct Running(std::process::Child);
    impl Drop for Running {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stackwatch"))
        .args([
            "export",
            "--prometheus",
            "--from",
            &syn(),
            "--interval",
            "100ms",
        ])
        .args(["--textfile", s.path().to_str().unwrap()])
        .spawn()
        .map(Running)
        .unwrap();
    // Written again and again: wait (up to a minute) until it is replaced.
    let first = (0..600)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(100));
            fs::metadata(&file).ok()
        })
        .expect("the textfile appears");
    let replaced = (0..600).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        fs::metadata(&file).is_ok_and(|m| m.ino() != first.ino())
    });
    assert!(replaced, "rewritten (renamed over) while repeating");
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(0), "clean exit on SIGTERM");
}

#[test]
fn watch_marks_rows_that_grew() {
    let o = run(&[
        "watch",
        "--from",
        &syn(),
        "--interval",
        "0.01",
        "--count",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(out.matches("stackwatch watch:").count(), 2);
    assert!(out.contains("refresh 2, 0 grew"));
}

#[test]
fn live_snapshot_records_release_and_parameters() {
    use stackwatch_cli::debugfs::Dir;
    use stackwatch_cli::snapshot::{snapshot, Sources};
    let s = Scratch::new("live");
    let live = s.path().join("stackwatch");
    copy_dir(&synthetic(), &live);
    for f in ["osrelease", "thread_size"] {
        fs::remove_file(live.join(f)).unwrap();
    }
    fs::remove_dir_all(live.join("parameters")).unwrap();
    fs::write(live.join("reset"), "").unwrap();
    let params = s.path().join("params");
    fs::create_dir(&params).unwrap();
    fs::write(params.join("threshold"), "1024\n").unwrap();
    fs::write(params.join("probes"), "default\n").unwrap();
    fs::write(s.path().join("osrelease"), "6.99.0-test\n").unwrap();
    let sources = Sources {
        osrelease: s.path().join("osrelease"),
        parameters: params,
    };
    let dest = s.path().join("snap");
    let o = snapshot(&Dir::live(&live), &dest, &sources).unwrap();
    assert_eq!(
        fs::read_to_string(dest.join("osrelease")).unwrap(),
        "6.99.0-test\n"
    );
    assert_eq!(
        fs::read_to_string(dest.join("thread_size")).unwrap(),
        "16384\n"
    );
    assert_eq!(
        fs::read_to_string(dest.join("parameters/probes")).unwrap(),
        "default\n"
    );
    assert_eq!(
        o.skipped,
        [("reset".to_string(), "write-only control file".to_string())]
    );
    assert!(!dest.join("reset").exists());
    assert!(o.copied.contains(&"parameters/threshold".to_string()));
    // The result reads back like any snapshot.
    let o = run(&[
        "report",
        "--from",
        dest.to_str().unwrap(),
        "--sections",
        "table",
    ]);
    assert!(stdout(&o).contains("(kernel 6.99.0-test)"));
}

/// The per-CPU stacks (`cpu_stacks`, `irq_max_trace`) in the report, its
/// JSON and the Prometheus export; a broken `cpu_stacks` fails only the
/// section made from it.
#[test]
fn cpu_stacks_in_report_json_and_prometheus() {
    let s = Scratch::new("cpu-stacks");
    copy_dir(&synthetic(), s.path());
    fs::write(
        s.path().join("cpu_stacks"),
        "# stackwatch cpu_stacks: irq_stack_size 16384 cpus 2\n# cpu stack size used left\n\
         0 IRQ 16384 3240 13144\n0 NMI 8192 0 8192\n1 IRQ 16384 3256 13128\n1 NMI 8192 2480 5712\n\
         # deepest points: return addresses just above the deepest point, innermost first (stale stack words)\n\
         point 0 IRQ 3240\n  update_se+0xe6/0x410\npoint 1 IRQ 3256\n  update_load_avg+0x77/0x340\n  pick_eevdf+0x8d/0x1e0\n\
         point 1 NMI 2480\n# function hits max_used min_remaining over_8192\n\
         tcp_gso_segment 12 2152 14232 0\nnet_rx_action 900 1500 14884 0\n(all) 912 2152 14232 0\n",
    )
    .unwrap();
    fs::write(
        s.path().join("irq_max_trace"),
        "# stackwatch max_trace: used 2152 remaining 14232 thread_size 16384 pid 812 comm nfsd\n        Depth    Size   Location    (2 entries)\n        -----    ----   --------\n   0)     2152       0   tcp_gso_segment+0x9/0x5a0\n   1)     2152      96   inet_gso_segment+0x14e/0x3e0\n",
    )
    .unwrap();
    fs::write(
        s.path().join("tasks"),
        "# stackwatch tasks: thread_size 16384 threads 90 shown 1\n\
         # kstack_1k 40 kstack_2k 30 kstack_4k 15 kstack_8k 5 kstack_16k 0 kstack_32k 0 kstack_64k 0 kstack_rest 0\n\
         # pid used left comm\n812 7376 9008 nfsd\n",
    )
    .unwrap();
    let dir = s.path().to_str().unwrap();
    let o = run(&["report", "--from", dir, "--json", "--sections", "tasks"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let p = &v["tasks"]["population"];
    assert_eq!(
        (&p["fit_4k"], &p["fit_8k"], &p["fit_16k"]),
        (&85.into(), &90.into(), &90.into())
    );
    assert_eq!(
        p["buckets"][3],
        serde_json::json!({"name": "kstack_8k", "le": 8192, "threads": 5})
    );
    let o = run(&["report", "--from", dir, "--sections", "tasks"]);
    assert!(
        stdout(&o).contains("would fit a 4K stack: 85 (94.4%), 8K: 90 (100.0%)"),
        "{}",
        stdout(&o)
    );
    let dir = s.path().to_str().unwrap();
    let o = run(&[
        "report",
        "--from",
        dir,
        "--json",
        "--sections",
        "cpu-stacks",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let c = &v["cpu_stacks"];
    assert_eq!(c["irq_stack_size"], 16384);
    assert_eq!(
        c["stacks"][2],
        serde_json::json!({"cpu": 1, "stack": "IRQ", "size": 16384, "used": 3256, "left": 13128,
            "frames": ["update_load_avg+0x77/0x340", "pick_eevdf+0x8d/0x1e0"]})
    );
    assert_eq!(c["functions"][0]["function"], "tcp_gso_segment");
    assert_eq!(c["all"]["hits"], 912);
    assert_eq!(v["irq_max_trace"]["used"], 2152);
    assert_eq!(v["irq_max_trace"]["frames"][1]["size"], 96);
    assert!(v.get("functions").is_none());

    let o = run(&["report", "--from", dir, "--sections", "cpu-stacks"]);
    let out = stdout(&o);
    assert!(
        out.contains("CPU 1   IRQ  stack:   3256 of 16384 bytes used, 13128 left"),
        "{out}"
    );
    assert!(
        out.contains("where CPU 1's IRQ stack reached 3256 bytes"),
        "{out}"
    );
    assert!(
        out.contains("the deepest chain taken on an IRQ stack, 2152 of 16384 bytes"),
        "{out}"
    );
    assert!(
        out.contains("IRQ stacks whose deepest point would fit 4K: 2 of 2, 8K: 2"),
        "{out}"
    );

    let o = run(&["export", "--prometheus", "--from", dir]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("stackwatch_cpu_stack_used_bytes{cpu=\"1\",stack=\"NMI\"} 2480\n"));
    assert!(out.contains("stackwatch_irq_max_used_bytes{function=\"(all)\"} 2152\n"));
    assert!(out.contains("stackwatch_irq_hits_total{function=\"net_rx_action\"} 900\n"));

    fs::write(s.path().join("cpu_stacks"), "garbage\n").unwrap();
    let o = run(&[
        "report",
        "--from",
        dir,
        "--json",
        "--sections",
        "cpu-stacks",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cpu_stacks: line 1"), "{}", stderr(&o));
    let o = run(&["report", "--from", dir, "--json", "--sections", "table"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
