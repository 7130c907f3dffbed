// SPDX-License-Identifier: MIT OR Apache-2.0
//! One ELF file's function symbols and DWARF line tables, read with
//! `object`, `gimli` and `addr2line`. Relocatable files (`.o`, `.ko`) are
//! laid out the way a linker would: each allocated section gets its own
//! address range and the DWARF is relocated to match, so functions in
//! different text sections (`.text`, `.init.text`, ...) do not collide.

use crate::error::{Error, Result};
use crate::model::SourceLine;
use object::{
    Object, ObjectSection, ObjectSymbol, RelocationKind, RelocationTarget, SectionFlags,
    SectionIndex, SymbolKind,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

type Slice = gimli::EndianRcSlice<gimli::RunTimeEndian>;
type Reader = gimli::RelocateReader<Slice, Relocs>;

/// Where relocatable files' first allocated section is placed.
const LAYOUT_START: u64 = 0x10000;

/// A DWARF section's relocations: section offset to resolved value.
#[derive(Clone, Debug, Default)]
pub struct Relocs(Rc<HashMap<usize, Reloc>>);

#[derive(Clone, Copy, Debug)]
struct Reloc {
    implicit_addend: bool,
    value: u64,
}

impl Relocs {
    fn apply(&self, offset: usize, value: u64) -> u64 {
        match self.0.get(&offset) {
            Some(r) if r.implicit_addend => value.wrapping_add(r.value),
            Some(r) => r.value,
            None => value,
        }
    }
}

impl gimli::read::Relocate<usize> for Relocs {
    fn relocate_address(&self, offset: usize, value: u64) -> gimli::Result<u64> {
        Ok(self.apply(offset, value))
    }

    fn relocate_offset(&self, offset: usize, value: usize) -> gimli::Result<usize> {
        usize::try_from(self.apply(offset, value as u64))
            .map_err(|_| gimli::Error::OffsetOutOfBounds)
    }
}

/// A function symbol: where it starts and how long it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncSym {
    /// Start address (after layout, for relocatable files).
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
}

/// A loaded ELF file.
pub struct ElfFile {
    /// Where it was read from.
    pub path: PathBuf,
    symbols: HashMap<String, Vec<FuncSym>>,
    ctx: addr2line::Context<Reader>,
}

fn is_alloc(s: &object::Section<'_, '_>) -> bool {
    match s.flags() {
        SectionFlags::Elf { sh_flags } => sh_flags & u64::from(object::elf::SHF_ALLOC) != 0,
        _ => false,
    }
}

/// Base address of each allocated section of a relocatable file.
fn layout(file: &object::File<'_>) -> HashMap<SectionIndex, u64> {
    let mut bases = HashMap::new();
    let mut cursor = LAYOUT_START;
    for s in file.sections().filter(is_alloc) {
        let base = cursor.next_multiple_of(s.align().max(1));
        bases.insert(s.index(), base);
        cursor = base.saturating_add(s.size().max(1));
    }
    bases
}

fn symbol_value(
    sym: &object::Symbol<'_, '_>,
    bases: &HashMap<SectionIndex, u64>,
    relocatable: bool,
) -> u64 {
    let base = if relocatable {
        sym.section_index()
            .and_then(|i| bases.get(&i))
            .copied()
            .unwrap_or(0)
    } else {
        0
    };
    base.wrapping_add(sym.address())
}

fn relocations(
    file: &object::File<'_>,
    section: &object::Section<'_, '_>,
    bases: &HashMap<SectionIndex, u64>,
) -> Relocs {
    let mut map = HashMap::new();
    for (offset, rel) in section.relocations() {
        // DWARF uses absolute relocations; others (e.g. RISC-V ADD/SUB pairs)
        // are left alone.
        if rel.kind() != RelocationKind::Absolute {
            continue;
        }
        let target = match rel.target() {
            RelocationTarget::Symbol(i) => file
                .symbol_by_index(i)
                .ok()
                .map(|s| symbol_value(&s, bases, true)),
            RelocationTarget::Section(i) => Some(bases.get(&i).copied().unwrap_or(0)),
            _ => None,
        };
        let (Some(target), Ok(offset)) = (target, usize::try_from(offset)) else {
            continue;
        };
        map.insert(
            offset,
            Reloc {
                implicit_addend: rel.has_implicit_addend(),
                value: target.wrapping_add(rel.addend() as u64),
            },
        );
    }
    Relocs(Rc::new(map))
}

impl ElfFile {
    /// Reads and indexes an ELF file (vmlinux, a `.ko`, any object).
    pub fn open(path: &Path) -> Result<Self> {
        let data =
            std::fs::read(path).map_err(|e| Error::runtime(format!("{}: {e}", path.display())))?;
        Self::parse(&data, path)
    }

    /// Indexes ELF data read from `path`.
    pub fn parse(data: &[u8], path: &Path) -> Result<Self> {
        let err = |what: &str, e: &dyn std::fmt::Display| {
            Error::runtime(format!("{}: {what}: {e}", path.display()))
        };
        let file = object::File::parse(data).map_err(|e| err("not an ELF file", &e))?;
        let relocatable = file.kind() == object::ObjectKind::Relocatable;
        let bases = if relocatable {
            layout(&file)
        } else {
            HashMap::new()
        };
        let mut symbols: HashMap<String, Vec<FuncSym>> = HashMap::new();
        let table = if file.symbols().next().is_some() {
            file.symbols()
        } else {
            file.dynamic_symbols()
        };
        for sym in table {
            let wanted = matches!(
                sym.kind(),
                SymbolKind::Text | SymbolKind::Unknown | SymbolKind::Label
            );
            if !wanted || sym.is_undefined() || sym.section_index().is_none() {
                continue;
            }
            let Ok(name) = sym.name() else { continue };
            if name.is_empty() {
                continue;
            }
            symbols.entry(name.to_string()).or_default().push(FuncSym {
                address: symbol_value(&sym, &bases, relocatable),
                size: sym.size(),
            });
        }
        let endian = if file.is_little_endian() {
            gimli::RunTimeEndian::Little
        } else {
            gimli::RunTimeEndian::Big
        };
        let load = |id: gimli::SectionId| -> Result<Reader> {
            let (data, relocs) = match file.section_by_name(id.name()) {
                Some(s) => (
                    s.uncompressed_data().map_err(|e| err(id.name(), &e))?,
                    if relocatable {
                        relocations(&file, &s, &bases)
                    } else {
                        Relocs::default()
                    },
                ),
                None => (Cow::Borrowed(&[][..]), Relocs::default()),
            };
            let slice = gimli::EndianRcSlice::new(Rc::from(&*data), endian);
            Ok(gimli::RelocateReader::new(slice, relocs))
        };
        let dwarf = gimli::Dwarf::load(load)?;
        let ctx = addr2line::Context::from_dwarf(dwarf).map_err(|e| err("DWARF", &e))?;
        Ok(ElfFile {
            path: path.to_path_buf(),
            symbols,
            ctx,
        })
    }

    /// The function symbol `name`; among several of that name (static
    /// functions), the one whose size matches `size` if given, else the
    /// first. The kernel's `/0x..` size runs to the next symbol, so it can
    /// exceed the ELF size by the alignment padding: the closest ELF size not
    /// above it is taken.
    pub fn symbol(&self, name: &str, size: Option<u64>) -> Option<FuncSym> {
        let cands = self.symbols.get(name)?;
        size.and_then(|sz| {
            cands
                .iter()
                .filter(|c| c.size <= sz)
                .min_by_key(|c| sz - c.size)
        })
        .or_else(|| cands.first())
        .copied()
    }

    /// Source positions of `addr`, innermost inlined function first; empty
    /// if no DWARF covers it.
    pub fn lines(&self, addr: u64) -> Vec<SourceLine> {
        let mut out = Vec::new();
        let Ok(mut frames) = self.ctx.find_frames(addr).skip_all_loads() else {
            return out;
        };
        while let Ok(Some(f)) = frames.next() {
            out.push(SourceLine {
                function: f
                    .function
                    .as_ref()
                    .and_then(|n| n.demangle().ok())
                    .map(|n| n.into_owned()),
                file: f.location.as_ref().and_then(|l| l.file).map(normalize),
                line: f.location.as_ref().and_then(|l| l.line),
                column: f.location.as_ref().and_then(|l| l.column),
                inlined: true,
            });
        }
        if let Some(last) = out.last_mut() {
            last.inlined = false;
        }
        out
    }
}

impl From<gimli::Error> for Error {
    fn from(e: gimli::Error) -> Self {
        Error::runtime(format!("DWARF: {e}"))
    }
}

/// `path` with `.` and `dir/..` components folded away lexically: kernels
/// built with `O=` name sources as `<build>/../../src/linux/fs/xfs/...`.
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "." => {}
            ".." if parts.last().is_some_and(|p| !p.is_empty() && *p != "..") => {
                parts.pop();
            }
            _ => parts.push(c),
        }
    }
    let out = parts.join("/");
    if out.is_empty() {
        path.to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn folds_dot_dot() {
        assert_eq!(
            normalize("/c/kernels/x-1/../../src/linux/fs/xfs/xfs_buf.c"),
            "/c/src/linux/fs/xfs/xfs_buf.c"
        );
        assert_eq!(normalize("../a/./b.c"), "../a/b.c");
        assert_eq!(normalize("a/b/../../../c"), "../c");
        assert_eq!(normalize("/x.c"), "/x.c");
    }
}
