//! One error type for the whole library, carrying the exit code the CLI reports.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in Sfumato, split by who has to act: the user (bad input) or us.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input or the request cannot be used (missing file, unsupported codec, no face…).
    /// The message says what is wrong and, where possible, how to fix it. Exit code 2.
    #[error("{0}")]
    BadInput(String),
    /// A setting of the request is out of range or does not fit the inputs. `setting` is the
    /// library's name for it (a field of the options struct, such as `max_size`); the CLI shows
    /// it as the flag that sets it. Exit code 2.
    #[error("{}", setting_message(setting, value, problem))]
    Setting {
        /// The option's field name, e.g. `motion_scale`.
        setting: &'static str,
        /// The value given, as text (empty for an on/off option).
        value: String,
        /// What is wrong and what would be accepted.
        problem: String,
    },
    /// The output path exists and the request does not allow replacing it (the `force` option
    /// of an output spec or job). Exit code 2.
    #[error("{}: already exists; allow overwriting it or choose another output path", .0.display())]
    OutputExists(PathBuf),
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

    /// A [`Error::Setting`] error: `setting` has `value`, which `problem` explains.
    pub fn setting(
        setting: &'static str,
        value: impl std::fmt::Display,
        problem: impl Into<String>,
    ) -> Self {
        Error::Setting {
            setting,
            value: value.to_string(),
            problem: problem.into(),
        }
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
            Error::BadInput(_) | Error::Setting { .. } | Error::OutputExists(_) => 2,
            Error::Failed(_) => 1,
            Error::Internal(_) => 70,
        }
    }
}

/// How a rejected setting reads, "NAME VALUE: PROBLEM" ("NAME: PROBLEM" for an on/off option),
/// with NAME the library's field name ([`Error::Setting`]'s display) or a front end's own name
/// for it (the CLI's flag).
pub fn setting_message(name: &str, value: &str, problem: &str) -> String {
    if value.is_empty() {
        format!("{name}: {problem}")
    } else {
        format!("{name} {value}: {problem}")
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
