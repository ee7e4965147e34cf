//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The `../shared` folder beside the repository (test media, fixtures), or `None` with a visible
/// skip message when it is absent, as on a user's fresh clone. `SFUMATO_SHARED` overrides it.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SFUMATO_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("README.md").is_file() {
        Some(dir)
    } else {
        eprintln!("SKIPPED {test}: ../shared (test media and fixtures) is not present");
        None
    }
}

/// Path of the `animate` binary built for the tests.
pub fn animate_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_animate"))
}
