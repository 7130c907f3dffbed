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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names_follow_the_kernel() {
        assert_eq!(module_name(Path::new("/lib/modules/x/dm-mod.ko")), "dm_mod");
        assert_eq!(module_name(Path::new("xfs.ko.xz")), "xfs");
        assert_eq!(module_name(Path::new("stackwatch.ko")), "stackwatch");
    }
}
