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
    /// A bug: the program panicked where it must not (see `pipeline::guard`). The message says
    /// where and asks for a report. Exit code 70 (`EX_SOFTWARE`).
    #[error("{0}")]
    Internal(String),
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

    /// An internal error: `message` (a panic's) raised while `doing` something, phrased as one
    /// line that asks for a report.
    pub fn internal(doing: &str, message: &str) -> Self {
        let message = message.replace('\n', " ");
        Error::Internal(format!(
            "internal error while {doing}: {message} — please report it with the output of \
             `animate probe`"
        ))
    }

    /// The process exit code for this error: 2 for bad input or usage, 1 for a failure while
    /// working, 70 for a bug.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadInput(_) => 2,
            Error::Failed(_) => 1,
            Error::Internal(_) => 70,
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
