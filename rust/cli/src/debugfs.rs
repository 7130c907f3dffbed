// SPDX-License-Identifier: MIT OR Apache-2.0
//! Where the module's files are (its live debugfs directory, or a snapshot
//! copy), reading and writing them, and saying plainly why that failed:
//! debugfs not mounted, module not loaded, permission denied, or the errno
//! a control file returned. Under kernel lockdown, which refuses debugfs
//! files that can be written (EPERM), the controls are read and written
//! through the module's parameters instead, which take the same writes.

use crate::errno;
use crate::error::{Error, Result};
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The module's debugfs directory.
pub const DEFAULT_DIR: &str = "/sys/kernel/debug/stackwatch";
/// Where the kernel lists mounts.
const MOUNTS: &str = "/proc/self/mounts";
/// Present while the module is loaded.
const MODULE_SYSFS: &str = "/sys/module/stackwatch";
/// The controls as module parameters: same names, same writes, same reads.
pub const PARAMS_DIR: &str = "/sys/module/stackwatch/parameters";
/// The kernel's lockdown level, `none [integrity] confidentiality` (where
/// securityfs is mounted).
const LOCKDOWN: &str = "/sys/kernel/security/lockdown";
/// The control files, which the module also has as parameters.
const CONTROLS: [&str; 5] = ["probes", "threshold", "budgets", "enabled", "reset"];

/// A directory holding the module's files.
#[derive(Clone, Debug)]
pub struct Dir {
    /// Its path.
    pub path: PathBuf,
    /// True for the module's live debugfs directory, false for a snapshot.
    pub live: bool,
    /// The module's parameters directory (live only).
    pub params: PathBuf,
}

impl Dir {
    /// The module's live directory.
    pub fn live(path: impl Into<PathBuf>) -> Self {
        Dir {
            path: path.into(),
            live: true,
            params: PathBuf::from(PARAMS_DIR),
        }
    }

    /// A snapshot copy.
    pub fn snapshot(path: impl Into<PathBuf>) -> Self {
        Dir {
            path: path.into(),
            live: false,
            params: PathBuf::new(),
        }
    }

    /// Path of one file in the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Fails with a clear message unless the directory can be listed.
    pub fn check(&self) -> Result<()> {
        match fs::read_dir(&self.path) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.diagnose(&e, &self.path)),
        }
    }

    /// The control `name`'s module parameter, if the debugfs file `name`
    /// was refused with `e` because the kernel is locked down.
    fn locked_down(&self, name: &str, e: &io::Error) -> Option<PathBuf> {
        (self.live && e.raw_os_error() == Some(errno::EPERM) && CONTROLS.contains(&name))
            .then(|| self.params.join(name))
    }

    /// The control `name`'s module parameter, if the kernel says it is
    /// locked down: its debugfs file would be refused (and the kernel would
    /// log that it was).
    fn known_locked_down(&self, name: &str) -> Option<PathBuf> {
        let level = fs::read_to_string(LOCKDOWN).unwrap_or_default();
        (self.live && CONTROLS.contains(&name) && is_locked_down(&level))
            .then(|| self.params.join(name))
    }

    /// Reads a text file; `None` if the directory is fine but the file is
    /// not there.
    pub fn read(&self, name: &str) -> Result<Option<String>> {
        if let Some(param) = self.known_locked_down(name) {
            return self.read_param(&param).map(Some);
        }
        let path = self.file(name);
        let read = match fs::read(&path) {
            Err(e) => match self.locked_down(name, &e) {
                Some(param) => return self.read_param(&param).map(Some),
                None => Err(e),
            },
            r => r,
        };
        match read {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Error::runtime(format!("{}: not UTF-8 text", path.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.check()?;
                Ok(None)
            }
            Err(e) => Err(self.diagnose(&e, &path)),
        }
    }

    /// Reads a control's module parameter (under lockdown).
    fn read_param(&self, param: &Path) -> Result<String> {
        let bytes = fs::read(param).map_err(|e| match e.raw_os_error() {
            Some(errno::EFBIG) => Error::runtime(format!(
                "{}: more than a page to show, and the kernel is locked down (debugfs control files are refused): `stackwatch probes` cannot list this many",
                param.display()
            )),
            _ => self.diagnose(&e, param),
        })?;
        String::from_utf8(bytes)
            .map_err(|_| Error::runtime(format!("{}: not UTF-8 text", param.display())))
    }

    /// Reads a text file that must be there.
    pub fn read_required(&self, name: &str) -> Result<String> {
        self.read(name)?.ok_or_else(|| {
            Error::runtime(format!(
                "{}: missing (is {} a stackwatch directory or snapshot?)",
                self.file(name).display(),
                self.path.display()
            ))
        })
    }

    /// Writes `text` to the control file `name` in one write, as
    /// `echo text > file` would, and explains a rejection.
    pub fn write(&self, name: &str, text: &str) -> Result<()> {
        self.check()?;
        let open = |p: &Path| OpenOptions::new().write(true).truncate(true).open(p);
        let mut path = self
            .known_locked_down(name)
            .unwrap_or_else(|| self.file(name));
        let opened = match open(&path) {
            Err(e) => match self.locked_down(name, &e) {
                Some(param) => {
                    path = param;
                    open(&path)
                }
                None => Err(e),
            },
            f => f,
        };
        let mut f = match opened {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::runtime(format!(
                    "{}: no such control file (does the module version match this command?)",
                    path.display()
                )))
            }
            Err(e) => return Err(self.diagnose(&e, &path)),
        };
        match f.write(text.as_bytes()) {
            Ok(n) if n == text.len() => Ok(()),
            Ok(n) => Err(Error::runtime(format!(
                "{}: short write ({n} of {} bytes)",
                path.display(),
                text.len()
            ))),
            Err(e) => Err(rejected(&path, name, text, &e)),
        }
    }

    fn diagnose(&self, e: &io::Error, target: &Path) -> Error {
        match e.kind() {
            io::ErrorKind::PermissionDenied
                if self.live && e.raw_os_error() == Some(errno::EPERM) =>
            {
                Error::runtime(format!(
                    "operation not permitted: {}: is the kernel locked down? (cat /sys/kernel/security/lockdown)",
                    target.display()
                ))
            }
            io::ErrorKind::PermissionDenied if self.live => Error::runtime(format!(
                "permission denied: {}: debugfs is readable by root only; run stackwatch as root (sudo)",
                target.display()
            )),
            io::ErrorKind::NotFound if self.live => Error::runtime(missing_message(
                &self.path,
                &debugfs_mounts(&fs::read_to_string(MOUNTS).unwrap_or_default()),
                Path::new(MODULE_SYSFS).exists(),
            )),
            io::ErrorKind::NotFound => Error::runtime(format!(
                "{}: no such file or directory",
                target.display()
            )),
            _ => Error::runtime(format!("{}: {e}", target.display())),
        }
    }
}

/// Whether a lockdown file's text says the kernel is locked down (any
/// level refuses writable debugfs files).
fn is_locked_down(level: &str) -> bool {
    level.contains('[') && !level.contains("[none]")
}

/// The error for a write the module rejected.
fn rejected(path: &Path, name: &str, text: &str, e: &io::Error) -> Error {
    let what = text.trim_end().replace('\n', " ");
    match e.raw_os_error() {
        Some(code) => Error::runtime(format!(
            "{}: writing '{}' failed: {}\n(the kernel log says more: dmesg | tail)",
            path.display(),
            what,
            errno::explain_write(name, code)
        )),
        None => Error::runtime(format!("{}: writing '{what}' failed: {e}", path.display())),
    }
}

/// Mount points of debugfs in a `/proc/self/mounts` text.
pub fn debugfs_mounts(mounts: &str) -> Vec<PathBuf> {
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (_, at, kind) = (f.next()?, f.next()?, f.next()?);
            (kind == "debugfs").then(|| PathBuf::from(at.replace("\\040", " ")))
        })
        .collect()
}

/// Why the live directory `dir` is missing, given debugfs's mount points and
/// whether the module is loaded.
pub fn missing_message(dir: &Path, debugfs: &[PathBuf], module_loaded: bool) -> String {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    if !debugfs.iter().any(|m| m == parent) {
        return format!(
            "debugfs is not mounted at {p}: mount it with `mount -t debugfs none {p}`",
            p = parent.display()
        );
    }
    if module_loaded {
        format!(
            "the stackwatch module is loaded but {} is missing (debugfs restricted? check the debugfs= boot parameter and lockdown)",
            dir.display()
        )
    } else {
        format!(
            "the stackwatch module is not loaded ({} does not exist): load it with `insmod stackwatch.ko` or `modprobe stackwatch`",
            dir.display()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_are_parsed() {
        let m = "sysfs /sys sysfs rw 0 0\ndebugfs /sys/kernel/debug debugfs rw 0 0\nx /a\\040b debugfs rw 0 0\n";
        assert_eq!(
            debugfs_mounts(m),
            [PathBuf::from("/sys/kernel/debug"), PathBuf::from("/a b")]
        );
    }

    #[test]
    fn permission_and_missing_files_are_explained() {
        let live = Dir::live("/sys/kernel/debug/stackwatch");
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let e = live.diagnose(&denied, &live.file("summary"));
        assert!(
            e.message
                .starts_with("permission denied: /sys/kernel/debug/stackwatch/summary"),
            "{e}"
        );
        assert!(e.message.contains("run stackwatch as root"), "{e}");
        let snap = Dir::snapshot("/x");
        let e = snap.diagnose(&denied, Path::new("/x/summary"));
        assert!(e.message.starts_with("/x/summary: "), "{e}");
        let rejected = rejected(
            Path::new("/d/probes"),
            "probes",
            "+nosuch\n",
            &io::Error::from_raw_os_error(errno::ENOENT),
        );
        assert!(
            rejected.message.starts_with(
                "/d/probes: writing '+nosuch' failed: ENOENT: no such symbol, or not attached"
            ),
            "{rejected}"
        );
    }

    #[test]
    fn locked_down_controls_go_to_the_parameters() {
        let live = Dir::live(DEFAULT_DIR);
        let eperm = io::Error::from_raw_os_error(errno::EPERM);
        let eacces = io::Error::from_raw_os_error(errno::EACCES);
        assert_eq!(
            live.locked_down("threshold", &eperm),
            Some(PathBuf::from("/sys/module/stackwatch/parameters/threshold"))
        );
        assert_eq!(live.locked_down("probes", &eacces), None);
        assert_eq!(live.locked_down("summary", &eperm), None);
        assert_eq!(Dir::snapshot("/x").locked_down("probes", &eperm), None);
        assert!(is_locked_down("none [integrity] confidentiality\n"));
        assert!(is_locked_down("none integrity [confidentiality]\n"));
        assert!(!is_locked_down("[none] integrity confidentiality\n"));
        assert!(!is_locked_down(""));
        let e = live.diagnose(&eperm, &live.file("summary"));
        assert!(e.message.contains("locked down"), "{e}");
    }

    /// Not locked down: the debugfs file is read when it is there.
    #[test]
    fn unlocked_reads_the_debugfs_file() {
        let dir = std::env::temp_dir().join(format!("sw-params-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let mut live = Dir::live(&dir);
        live.params = dir.join("params");
        fs::create_dir_all(&live.params).unwrap();
        fs::write(live.params.join("threshold"), "2048\n").unwrap();
        // Not locked down here: the debugfs file is read when it is there.
        fs::write(live.file("threshold"), "1024\n").unwrap();
        assert_eq!(live.read("threshold").unwrap().unwrap(), "1024\n");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_directory_is_explained() {
        let dir = Path::new(DEFAULT_DIR);
        let none = missing_message(dir, &[], false);
        assert!(
            none.starts_with("debugfs is not mounted at /sys/kernel/debug"),
            "{none}"
        );
        let mounted = [PathBuf::from("/sys/kernel/debug")];
        let unloaded = missing_message(dir, &mounted, false);
        assert!(unloaded.contains("module is not loaded"), "{unloaded}");
        let odd = missing_message(dir, &mounted, true);
        assert!(odd.contains("loaded but"), "{odd}");
    }
}
