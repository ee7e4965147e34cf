//! One error type for the whole library, carrying the exit code the CLI reports.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in Sfumato, split by who has to act: the user (bad input) or us.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input or the request cannot be used (missing file, unsupported codec, no face…).
    /// The message says what is wrong and, where possible, how to fix it. Exit code 2.
    #[error("{0}")]
    BadInput(String),
    /// The input was fine but the work failed (disk full, encoder error…). Exit code 1.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// A bad-input error about `path`, phrased "PATH: MESSAGE".
    pub fn bad_input(path: &Path, msg: impl std::fmt::Display) -> Self {
        Error::BadInput(format!("{}: {msg}", path.display()))
    }

    /// A failure while working on `path`, phrased "PATH: MESSAGE".
    pub fn failed(path: &Path, msg: impl std::fmt::Display) -> Self {
        Error::Failed(format!("{}: {msg}", path.display()))
    }

    /// The process exit code for this error: 2 for bad input or usage, 1 for a failure while working.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadInput(_) => 2,
            Error::Failed(_) => 1,
        }
    }
}

/// Result with the library's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The path an error message names; kept so I/O errors can say which file they concern.
pub fn io_error(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
    let path = path.into();
    match err.kind() {
        std::io::ErrorKind::NotFound => Error::bad_input(&path, "file not found"),
        std::io::ErrorKind::PermissionDenied => Error::bad_input(&path, "permission denied"),
        _ => Error::failed(&path, err),
    }
}
