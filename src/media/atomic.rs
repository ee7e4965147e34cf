//! Output files appear whole or not at all: everything is written to a hidden temporary file
//! beside the target and renamed over it only once complete. A dropped (failed, panicked)
//! write removes its temporary file. Existing files are replaced only with `force`, and never
//! when they are one of the run's inputs.

use crate::error::io_error;
use crate::{Error, Result};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tempfile::NamedTempFile;

/// Temporary outputs being written right now, so an interrupted program can remove them.
static PARTIAL: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Registers a temporary output (file or folder) for [`remove_partial_outputs`] while alive.
pub(crate) struct PartialGuard(PathBuf);

impl PartialGuard {
    pub(crate) fn new(path: &Path) -> PartialGuard {
        PARTIAL
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(path.to_path_buf());
        PartialGuard(path.to_path_buf())
    }
}

impl Drop for PartialGuard {
    fn drop(&mut self) {
        let mut live = PARTIAL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = live.iter().position(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

/// Deletes every temporary output still being written. For a Ctrl-C handler: the program is
/// about to exit, so destructors will not run; without this, hidden `.NAME.partial-*` files
/// would be left beside the outputs.
pub fn remove_partial_outputs() {
    let live = std::mem::take(&mut *PARTIAL.lock().unwrap_or_else(|e| e.into_inner()));
    for path in live {
        if path.is_dir() {
            let _ = std::fs::remove_dir_all(&path);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The folder an output path will be written into (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks an output path before any work starts: its folder exists, it is not one of `inputs`
/// (compared as files, so `./a.mp4` and `a.mp4` or a hard link match), and it does not exist
/// yet unless `force`.
pub fn check_output_path(out: &Path, inputs: &[&Path], force: bool) -> Result<()> {
    let parent = parent_dir(out);
    if !parent.is_dir() {
        return Err(Error::bad_input(
            out,
            format!("the output folder {} does not exist", parent.display()),
        ));
    }
    if let Ok(out_canon) = out.canonicalize() {
        for input in inputs {
            if input.canonicalize().is_ok_and(|i| i == out_canon) || same_file(out, input) {
                return Err(Error::bad_input(
                    out,
                    "the output path is one of the inputs; refusing to overwrite an input",
                ));
            }
        }
        if !force {
            return Err(Error::OutputExists(out.to_path_buf()));
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

/// A hidden temporary file in `dir`, named after `target` (".NAME.partial-XXXXXX").
pub(crate) fn temp_file_for(target: &Path) -> Result<NamedTempFile> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let dir = parent_dir(target);
    output_builder(&format!(".{name}.partial-"), 0o644)
        .tempfile_in(&dir)
        .map_err(|e| Error::failed(&dir, format!("cannot create a temporary file: {e}")))
}

/// A temporary-file builder whose result gets ordinary output permissions (`mode` less the
/// umask on Unix) rather than tempfile's private 0600/0700, since it becomes the user's output.
pub(crate) fn output_builder(prefix: &str, mode: u32) -> tempfile::Builder<'_, 'static> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
}

/// A file being written beside its final path; it becomes the final file only on [`commit`].
///
/// [`commit`]: AtomicFile::commit
pub struct AtomicFile {
    tmp: NamedTempFile,
    _partial: PartialGuard,
    target: PathBuf,
    force: bool,
}

impl AtomicFile {
    /// Starts writing `target`; refuses an existing file unless `force`.
    pub fn create(target: &Path, force: bool) -> Result<AtomicFile> {
        check_output_path(target, &[], force)?;
        let tmp = temp_file_for(target)?;
        Ok(AtomicFile {
            _partial: PartialGuard::new(tmp.path()),
            tmp,
            target: target.to_path_buf(),
            force,
        })
    }

    /// The temporary file to write into.
    pub fn file(&mut self) -> &mut File {
        self.tmp.as_file_mut()
    }

    /// Flushes the data to disk and renames the temporary file to the target.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target;
        self.tmp
            .as_file_mut()
            .flush()
            .and_then(|_| self.tmp.as_file().sync_all())
            .map_err(|e| io_error(&target, e))?;
        let persisted = if self.force {
            self.tmp.persist(&target).map(drop)
        } else {
            self.tmp.persist_noclobber(&target).map(drop)
        };
        persisted.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::bad_input(&target, "appeared while we were writing; not replaced")
            } else {
                io_error(&target, e.error)
            }
        })
    }
}

/// Writes `bytes` to `path` atomically (the helper for small single files: JSON, a PNG already
/// encoded in memory); refuses an existing file unless `force`.
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    let mut file = AtomicFile::create(path, force)?;
    file.file()
        .write_all(bytes)
        .map_err(|e| io_error(path, e))?;
    file.commit()
}
