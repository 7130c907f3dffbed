// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command's error type: a message and whether it was a usage mistake
//! (exit code 2) or a failure at run time (exit code 1).

use std::fmt;

/// Exit code for a failure at run time.
pub const EXIT_RUNTIME: u8 = 1;
/// Exit code for a usage mistake.
pub const EXIT_USAGE: u8 = 2;

/// What went wrong, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The message, possibly several lines.
    pub message: String,
    /// True for a usage mistake (bad arguments).
    pub usage: bool,
}

impl Error {
    /// A failure at run time.
    pub fn runtime(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            usage: false,
        }
    }

    /// A usage mistake.
    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            usage: true,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        if self.usage {
            EXIT_USAGE
        } else {
            EXIT_RUNTIME
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
