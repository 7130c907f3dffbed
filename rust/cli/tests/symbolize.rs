// SPDX-License-Identifier: MIT OR Apache-2.0
//! Symbolization from DWARF: a small C file compiled at test time, once as a
//! relocatable object (like a `.ko`) and once linked (like vmlinux). Frames
//! `fn+0xoff/0xsize` must resolve to the right file, line and inline chain,
//! checked against the source text and, when it is installed, against
//! llvm-addr2line-19.

mod common;

use common::{run, stderr, stdout, Scratch};
use object::{Object, ObjectSymbol};
use stackwatch_cli::elf::ElfFile;
use stackwatch_cli::model::{Frame, SourceLine};
use stackwatch_cli::symbolize::Symbolizer;
use std::path::{Path, PathBuf};
use std::process::Command;

const SRC: &str = "\
static inline __attribute__((always_inline)) int helper(int x)
{
	int y = x * 3;
	return y + 1;
}

int leaf(int x)
{
	return x + 7;
}

int outer(int x)
{
	int a = helper(x);
	int b = leaf(a);
	return a + b;
}

__attribute__((section(\".text.other\"))) int other(int x)
{
	return leaf(x) * 2;
}
";

const LLVM_ADDR2LINE: &str = "/usr/bin/llvm-addr2line-19";

/// 1-based line of the first source line containing `s`.
fn line_of(s: &str) -> u32 {
    SRC.lines().position(|l| l.contains(s)).unwrap() as u32 + 1
}

/// The line of the `{` opening the function declared as `decl`: where the
/// compiler puts the prologue at -O0.
fn opening(decl: &str) -> u32 {
    let line = line_of(decl) + 1;
    assert_eq!(SRC.lines().nth(line as usize - 1), Some("{"));
    line
}

/// Compiles `t.c` into `t.o` and `libt.so`; `None` (with a note) without cc.
fn compile(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let c = dir.join("t.c");
    std::fs::write(&c, SRC).unwrap();
    let obj = dir.join("t.o");
    let so = dir.join("libt.so");
    let ok = |args: &[&str]| {
        Command::new("cc")
            .args(args)
            .status()
            .is_ok_and(|s| s.success())
    };
    let (c_s, o_s, so_s) = (c.to_str()?, obj.to_str()?, so.to_str()?);
    if !ok(&["-g", "-O0", "-c", c_s, "-o", o_s])
        || !ok(&["-g", "-O0", "-shared", "-fPIC", c_s, "-o", so_s])
    {
        println!("note: no working C compiler (cc); symbolization test skipped");
        return None;
    }
    Some((obj, so))
}

/// (address, size) of a function in an ELF file, read independently.
fn sym(path: &Path, name: &str) -> (u64, u64) {
    let data = std::fs::read(path).unwrap();
    let f = object::File::parse(&*data).unwrap();
    let s = f.symbols().find(|s| s.name() == Ok(name)).unwrap();
    (s.address(), s.size())
}

fn frame(name: &str, off: u64, size: u64, module: Option<&str>) -> Frame {
    let symbol = format!("{name}+{off:#x}/{size:#x}");
    Frame {
        size: 0,
        symbol: symbol.clone(),
        function: name.into(),
        offset: Some(off),
        function_size: Some(size),
        module: module.map(str::to_string),
        source: Vec::new(),
    }
}

/// (function, file name, line) of each entry, innermost first.
fn simple(lines: &[SourceLine]) -> Vec<(String, String, u32)> {
    lines
        .iter()
        .map(|l| {
            let file = l.file.as_deref().unwrap_or("?");
            let base = Path::new(file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                l.function.clone().unwrap_or_default(),
                base,
                l.line.unwrap_or(0),
            )
        })
        .collect()
}

/// llvm-addr2line's answer for each address, or `None` if it is missing.
fn llvm(obj: &Path, addrs: &[u64]) -> Option<Vec<Vec<(String, String, u32)>>> {
    if !Path::new(LLVM_ADDR2LINE).exists() {
        println!("note: {LLVM_ADDR2LINE} not installed; comparison with it skipped");
        return None;
    }
    let mut cmd = Command::new(LLVM_ADDR2LINE);
    cmd.args(["-f", "-i", "--output-style=JSON", "-e"]).arg(obj);
    for a in addrs {
        cmd.arg(format!("{a:#x}"));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| {
                a["Symbol"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|s| s["Line"].as_u64().unwrap_or(0) != 0)
                    .map(|s| {
                        let file = s["FileName"].as_str().unwrap();
                        (
                            s["FunctionName"].as_str().unwrap().to_string(),
                            Path::new(file)
                                .file_name()
                                .unwrap()
                                .to_string_lossy()
                                .into_owned(),
                            s["Line"].as_u64().unwrap() as u32,
                        )
                    })
                    .collect()
            })
            .collect(),
    )
}

/// Resolves every offset of `outer` as a first frame and as a return
/// address; checks the known lines, and llvm-addr2line's answers.
fn check_outer(path: &Path, s: &Symbolizer, module: Option<&str>) {
    let (addr, size) = sym(path, "outer");
    let mut ours = Vec::new();
    let mut probes = Vec::new();
    for off in 0..size {
        for ret in [false, true] {
            let got = simple(&s.resolve(&frame("outer", off, size, module), ret));
            assert!(!got.is_empty(), "outer+{off:#x} (ret {ret}) unresolved");
            ours.push(got);
            probes.push(if ret && off > 0 {
                addr + off - 1
            } else {
                addr + off
            });
        }
    }
    let t = "t.c".to_string();
    // Independent of any tool: offset 0 is the function's opening line, and
    // somewhere inside `helper` is inlined at its call site.
    assert_eq!(
        ours[0],
        [("outer".to_string(), t.clone(), opening("int outer(int x)"))]
    );
    let inlined = [
        ("helper".to_string(), t.clone(), line_of("int y = x * 3;")),
        (
            "outer".to_string(),
            t.clone(),
            line_of("int a = helper(x);"),
        ),
    ];
    assert!(
        ours.iter().any(|f| *f == inlined),
        "no inlined helper frame: {ours:?}"
    );
    let call = [("outer".to_string(), t.clone(), line_of("int b = leaf(a);"))];
    assert!(ours.contains(&call.to_vec()));
    if let Some(theirs) = llvm(path, &probes) {
        assert_eq!(ours.len(), theirs.len());
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(a, b, "address {:#x}", probes[i]);
        }
        println!(
            "{}: {} lookups agree with llvm-addr2line",
            path.display(),
            ours.len()
        );
    }
}

#[test]
fn relocatable_object_like_a_module() {
    let dir = Scratch::new("sym-ko");
    let Some((obj, _)) = compile(dir.path()) else {
        return;
    };
    let elf = ElfFile::open(&obj).unwrap();
    let s = Symbolizer::from_files(None, vec![("t".into(), elf)]);
    check_outer(&obj, &s, Some("t"));

    // `other` is at offset 0 of its own section, as `leaf` is of .text: the
    // layout keeps them apart.
    let (_, size) = sym(&obj, "other");
    let got = simple(&s.resolve(&frame("other", 0, size, Some("t")), false));
    assert_eq!(
        got,
        [(
            "other".to_string(),
            "t.c".to_string(),
            opening("int other(int x)")
        )]
    );
    let (_, lsize) = sym(&obj, "leaf");
    let got = simple(&s.resolve(&frame("leaf", 0, lsize, Some("t")), false));
    assert_eq!(
        got,
        [(
            "leaf".to_string(),
            "t.c".to_string(),
            opening("int leaf(int x)")
        )]
    );

    // Without the module's DWARF, or for an unknown symbol: nothing.
    assert!(s.resolve(&frame("outer", 4, 0x3d, None), false).is_empty());
    assert!(s
        .resolve(&frame("nosuch", 0, 4, Some("t")), false)
        .is_empty());
}

#[test]
fn linked_object_like_vmlinux() {
    let dir = Scratch::new("sym-so");
    let Some((_, so)) = compile(dir.path()) else {
        return;
    };
    let elf = ElfFile::open(&so).unwrap();
    let s = Symbolizer::from_files(Some(elf), Vec::new());
    check_outer(&so, &s, None);
}

#[test]
fn report_prints_file_and_line() {
    let dir = Scratch::new("sym-report");
    let Some((obj, so)) = compile(dir.path()) else {
        return;
    };
    let (_, osize) = sym(&so, "outer");
    let (_, lsize) = sym(&so, "leaf");
    let snap = dir.path().join("snap");
    common::copy_dir(&common::synthetic(), &snap);
    let traces = format!(
        "# stackwatch traces: deepest chain per function, thread_size 16384\n\
         # function used remaining pid comm frames; then per frame: size symbol\n\
         leaf 300 16084 7 t 3\n\
         \x20     0 leaf+0x4/{lsize:#x}\n\
         \x20   100 outer+0x5/{osize:#x} [t]\n\
         \x20   200 unknown_fn+0x10/0x20\n"
    );
    std::fs::write(snap.join("traces"), traces).unwrap();
    let o = run(&[
        "report",
        "--from",
        snap.to_str().unwrap(),
        "--sections",
        "chains",
        "--vmlinux",
        so.to_str().unwrap(),
        "--module",
        obj.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    // The command prints what the library resolves (checked above).
    let s = Symbolizer::from_files(
        Some(ElfFile::open(&so).unwrap()),
        vec![("t".into(), ElfFile::open(&obj).unwrap())],
    );
    let c = dir.path().join("t.c").display().to_string();
    let leaf = s.resolve(&frame("leaf", 4, lsize, None), false);
    let outer = s.resolve(&frame("outer", 5, osize, Some("t")), true);
    assert_eq!(leaf.len(), 1);
    assert!(
        out.contains(&format!("leaf at {c}:{}", leaf[0].line.unwrap())),
        "{out}"
    );
    assert!(
        out.contains(&format!("outer at {c}:{}", outer[0].line.unwrap())),
        "{out}"
    );
    let after = out.split("unknown_fn+0x10/0x20").nth(1).unwrap();
    assert!(
        after.trim().is_empty(),
        "frames without DWARF print unchanged: {out}"
    );

    let o = run(&[
        "report",
        "--from",
        snap.to_str().unwrap(),
        "--json",
        "--vmlinux",
        so.to_str().unwrap(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["chains"][0]["frames"][0]["source"][0]["function"], "leaf");
    assert!(v["chains"][0]["frames"][2].get("source").is_none());

    let o = run(&[
        "report",
        "--from",
        snap.to_str().unwrap(),
        "--vmlinux",
        "/nonexistent/vmlinux",
    ]);
    assert_eq!(o.status.code(), Some(1));
}

/// Against the test kernel's own vmlinux: every kernel frame of every chain
/// in a snapshot recorded in QEMU resolves wherever llvm-addr2line finds
/// DWARF, to the same functions, files and lines (inlined frames included).
/// Runs when `STACKWATCH_LIVE_VMLINUX` and `STACKWATCH_LIVE_SNAPSHOT` are set:
/// tests/run.sh sets them after the torture suite, and requires the
/// "agree with llvm-addr2line" line this prints.
#[test]
fn live_kernel_snapshot() {
    let (Some(vmlinux), Some(snap)) = (
        std::env::var_os("STACKWATCH_LIVE_VMLINUX"),
        std::env::var_os("STACKWATCH_LIVE_SNAPSHOT"),
    ) else {
        println!("note: STACKWATCH_LIVE_VMLINUX/SNAPSHOT not set; live check skipped");
        return;
    };
    let vmlinux = Path::new(&vmlinux);
    let text = std::fs::read_to_string(Path::new(&snap).join("traces")).unwrap();
    let chains = stackwatch_cli::load::traces(&text).unwrap();
    let s = Symbolizer::from_files(Some(ElfFile::open(vmlinux).unwrap()), Vec::new());

    // Symbol addresses straight from the ELF symbol table (by name and size,
    // as static functions can share a name), not through the code under test.
    let data = std::fs::read(vmlinux).unwrap();
    let elf = object::File::parse(&*data).unwrap();
    let mut syms: std::collections::HashMap<&str, Vec<(u64, u64)>> = Default::default();
    for sy in elf.symbols() {
        if let Ok(n) = sy.name() {
            syms.entry(n).or_default().push((sy.address(), sy.size()));
        }
    }

    let mut seen = std::collections::BTreeSet::new();
    let (mut ours, mut addrs, mut names) = (Vec::new(), Vec::new(), Vec::new());
    let mut module_frames = 0;
    for c in &chains {
        for (i, f) in c.frames.iter().enumerate() {
            if f.module.is_some() {
                module_frames += 1;
                continue;
            }
            let ret = i > 0;
            if !seen.insert((f.symbol.clone(), ret)) {
                continue;
            }
            let (Some(off), Some(size)) = (f.offset, f.function_size) else {
                continue;
            };
            // kallsyms' size runs to the next symbol, so it may exceed the
            // ELF size by the alignment padding.
            let cands = syms.get(f.function.as_str()).cloned().unwrap_or_default();
            let pick = cands.iter().find(|(_, sz)| *sz == size).or_else(|| {
                cands
                    .iter()
                    .filter(|(_, sz)| *sz <= size)
                    .max_by_key(|(_, sz)| *sz)
            });
            let Some(&(addr, _)) = pick.or(if cands.len() == 1 {
                cands.first()
            } else {
                None
            }) else {
                panic!("{}: no symbol of that name and size in vmlinux", f.symbol);
            };
            addrs.push(if ret && off > 0 {
                addr + off - 1
            } else {
                addr + off
            });
            // Line 0 marks compiler-made code without a source line; the
            // llvm-addr2line side drops those entries too.
            let mut got = simple(&s.resolve(f, ret));
            got.retain(|e| e.2 != 0);
            ours.push(got);
            names.push(f.symbol.clone());
        }
    }
    assert!(
        addrs.len() >= 20,
        "too few frames in {snap:?}: {}",
        addrs.len()
    );
    let theirs = llvm(vmlinux, &addrs).expect("llvm-addr2line-19 is needed for the live check");
    // llvm-addr2line names the outermost function from the symbol table, and
    // of several aliases at one address (`__do_sys_sync`, `__x64_sys_sync`)
    // it takes the greatest name; DWARF (and kallsyms) name the function
    // itself. Aliases at the same address are the same function.
    let aliases = |x: &str, y: &str| {
        let at = |n: &str| -> Vec<u64> {
            syms.get(n)
                .map(|v| v.iter().map(|s| s.0).collect())
                .unwrap_or_default()
        };
        let ys = at(y);
        at(x).iter().any(|a| ys.contains(a))
    };
    let mut covered = 0;
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        let mut b = b.clone();
        if let (Some(x), Some(y)) = (a.last(), b.last_mut()) {
            if x.0 != y.0 && x.1 == y.1 && x.2 == y.2 && aliases(&x.0, &y.0) {
                y.0 = x.0.clone();
            }
        }
        assert_eq!(a, &b, "{} ({:#x})", names[i], addrs[i]);
        if !b.is_empty() {
            covered += 1;
        }
    }
    let inlined = ours.iter().filter(|l| l.len() > 1).count();
    println!(
        "live: {} chains, {} distinct kernel frames ({} in modules skipped): \
         {covered} covered by DWARF, {inlined} with inlined frames; \
         {} lookups agree with llvm-addr2line",
        chains.len(),
        addrs.len(),
        module_frames,
        addrs.len()
    );
    for (n, _) in names
        .iter()
        .zip(&ours)
        .filter(|(_, l)| l.is_empty())
        .take(20)
    {
        println!("live: no source line (none, or line 0) for {n}");
    }
    // The kernel is built with DWARF: nearly every frame must be covered
    // (assembly entry code may not be).
    assert!(
        covered * 10 >= addrs.len() * 9,
        "only {covered} of {} frames covered by DWARF: is vmlinux built with debug info?",
        addrs.len()
    );
}
