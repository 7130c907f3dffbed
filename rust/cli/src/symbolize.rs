// SPDX-License-Identifier: MIT OR Apache-2.0
//! Frames `func+0xoff/0xsize [module]` to function, file and line (inlined
//! functions included), from the DWARF of vmlinux and of `.ko` files: find
//! `func` in the ELF symbol table, add the offset, and look the address up.
//! Frames after the first are return addresses, so `addr - 1` is looked up
//! (the call, not the instruction after it).

use crate::elf::ElfFile;
use crate::error::Result;
use crate::model::{Chain, Frame, SourceLine};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// DWARF of the kernel and of modules, by module name.
#[derive(Default)]
pub struct Symbolizer {
    kernel: Option<ElfFile>,
    modules: HashMap<String, ElfFile>,
}

/// The kernel's name for the module in `path` (`dm-mod.ko` is `dm_mod`).
pub fn module_name(path: &Path) -> String {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    stem.replace('-', "_")
}

impl Symbolizer {
    /// Loads vmlinux and modules; `None` when neither is given.
    pub fn new(vmlinux: Option<&Path>, modules: &[PathBuf]) -> Result<Option<Self>> {
        if vmlinux.is_none() && modules.is_empty() {
            return Ok(None);
        }
        let mut s = Symbolizer {
            kernel: vmlinux.map(ElfFile::open).transpose()?,
            modules: HashMap::new(),
        };
        for m in modules {
            s.modules.insert(module_name(m), ElfFile::open(m)?);
        }
        Ok(Some(s))
    }

    /// A symbolizer over already loaded files (for tests).
    pub fn from_files(kernel: Option<ElfFile>, modules: Vec<(String, ElfFile)>) -> Self {
        Symbolizer {
            kernel,
            modules: modules.into_iter().collect(),
        }
    }

    /// Source positions of a frame; empty when no DWARF covers it.
    /// `return_address` is true for every frame but the first of a chain.
    pub fn resolve(&self, frame: &Frame, return_address: bool) -> Vec<SourceLine> {
        let elf = match &frame.module {
            Some(m) => self.modules.get(&m.replace('-', "_")),
            None => self.kernel.as_ref(),
        };
        let (Some(elf), Some(off)) = (elf, frame.offset) else {
            return Vec::new();
        };
        let Some(sym) = elf.symbol(&frame.function, frame.function_size) else {
            return Vec::new();
        };
        let addr = sym.address.wrapping_add(off);
        let probe = if return_address && off > 0 {
            addr - 1
        } else {
            addr
        };
        let mut lines = elf.lines(probe);
        // Assembly (entry code) has line tables but no function entries: name
        // the outermost position after the symbol, as llvm-addr2line does.
        if let Some(l) = lines.last_mut() {
            if l.function.is_none() {
                l.function = Some(frame.function.clone());
            }
        }
        lines
    }

    /// Fills in the source positions of every frame of a chain.
    pub fn annotate(&self, chain: &mut Chain) {
        for (i, f) in chain.frames.iter_mut().enumerate() {
            f.source = self.resolve(f, i > 0);
        }
    }
}

/// Top-level directories of a kernel tree that stack traces run through.
/// (`usr`, `tools`, `scripts` are left out: they begin local paths too.)
const KERNEL_TOP_DIRS: [&str; 16] = [
    "arch", "block", "certs", "crypto", "drivers", "fs", "init", "io_uring", "ipc", "kernel",
    "lib", "mm", "net", "rust", "security", "virt",
];

/// A source path as it is in the kernel tree (`fs/xfs/xfs_bmap.c`), without
/// the build directory in front of it (`/home/me/linux/`,
/// `debian/build/build_amd64_none_amd64/`): the first top-level kernel
/// directory starts it. A path with none keeps only its file name if it is
/// absolute (a local path says nothing to a reader).
pub fn kernel_relative(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if let Some(i) = parts
        .iter()
        .take(parts.len().saturating_sub(1))
        .position(|p| KERNEL_TOP_DIRS.contains(p))
    {
        return parts[i..].join("/");
    }
    if path.starts_with('/') {
        parts.last().map_or_else(String::new, |s| s.to_string())
    } else {
        path.to_string()
    }
}

/// `file:line` of one source position, the path kernel-relative.
pub fn location(s: &SourceLine) -> String {
    match (&s.file, s.line) {
        (Some(f), Some(l)) => format!("{}:{l}", kernel_relative(f)),
        (Some(f), None) => kernel_relative(f),
        _ => "??".to_string(),
    }
}

/// A frame's source positions in one line, inlined functions first:
/// `file:line in inner < file:line in outer`; `None` if not symbolized.
pub fn source_text(f: &Frame) -> Option<String> {
    if f.source.is_empty() {
        return None;
    }
    let parts: Vec<String> = f
        .source
        .iter()
        .map(|s| {
            format!(
                "{} in {}",
                location(s),
                s.function.as_deref().unwrap_or("??")
            )
        })
        .collect();
    Some(parts.join(" < "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_paths_lose_the_build_directory() {
        assert_eq!(
            kernel_relative("debian/build/build_amd64_none_amd64/block/blk-core.c"),
            "block/blk-core.c"
        );
        assert_eq!(
            kernel_relative("/home/me/src/linux/fs/xfs/libxfs/xfs_bmap.c"),
            "fs/xfs/libxfs/xfs_bmap.c"
        );
        assert_eq!(
            kernel_relative("/usr/src/linux-7.3/arch/x86/kernel/process.c"),
            "arch/x86/kernel/process.c"
        );
        assert_eq!(kernel_relative("/tmp/build/foo.c"), "foo.c");
        assert_eq!(kernel_relative("foo/bar.c"), "foo/bar.c");
        assert_eq!(kernel_relative("./kernel/fork.c"), "kernel/fork.c");
    }

    #[test]
    fn module_names_follow_the_kernel() {
        assert_eq!(module_name(Path::new("/lib/modules/x/dm-mod.ko")), "dm_mod");
        assert_eq!(module_name(Path::new("xfs.ko.xz")), "xfs");
        assert_eq!(module_name(Path::new("stackwatch.ko")), "stackwatch");
    }
}
