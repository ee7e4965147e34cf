//! PNG output: single images (screenshots, previews) and numbered frame folders, each PNG
//! carrying the XMP packet in an `iTXt` chunk.

use super::atomic::{self, AtomicFile, PartialGuard};
use super::writer::{FrameSink, OutputSpec};
use super::xmp::PNG_XMP_KEYWORD;
use crate::error::io_error;
use crate::{Error, Result};
use image::RgbImage;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// Encodes `image` as an 8-bit RGB PNG into `w`, with `xmp` as an uncompressed `iTXt` chunk.
fn encode_png(
    w: impl Write,
    image: &RgbImage,
    xmp: Option<&str>,
) -> std::result::Result<(), png::EncodingError> {
    let mut encoder = png::Encoder::new(w, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    if let Some(xmp) = xmp {
        encoder.add_itxt_chunk(PNG_XMP_KEYWORD.to_string(), xmp.to_string())?;
    }
    let mut writer = encoder.write_header()?;
    writer.write_image_data(image.as_raw())?;
    writer.finish()
}

/// Writes one PNG atomically (temp file + rename), with an optional XMP packet; refuses to
/// replace an existing file unless `force`. The one PNG writer for the whole program.
pub fn write_png(path: &Path, image: &RgbImage, xmp: Option<&str>, force: bool) -> Result<()> {
    let mut file = AtomicFile::create(path, force)?;
    encode_png(BufWriter::new(file.file()), image, xmp)
        .map_err(|e| Error::failed(path, format!("cannot write PNG: {e}")))?;
    file.commit()
}

/// File name of frame `i` (0-based) in a PNG sequence: `frame_000001.png` for the first.
pub fn frame_file_name(i: u64) -> String {
    format!("frame_{:06}.png", i + 1)
}

/// Writes frames into a hidden temporary folder beside the target, renamed into place at the end.
pub(crate) struct PngSequenceSink {
    target: PathBuf,
    force: bool,
    xmp: Option<String>,
    dir: TempDir,
    _partial: PartialGuard,
    frames: u64,
}

impl PngSequenceSink {
    pub(crate) fn create(spec: OutputSpec) -> Result<PngSequenceSink> {
        let target = PathBuf::from(spec.path.to_string_lossy().trim_end_matches(['/', '\\']));
        atomic::check_output_path(&target, &[], spec.force)?;
        if target.exists() {
            check_replaceable(&target)?;
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = atomic::parent_dir(&target);
        let dir = atomic::output_builder(&format!(".{name}.partial-"), 0o755)
            .tempdir_in(&parent)
            .map_err(|e| {
                Error::failed(&parent, format!("cannot create a temporary folder: {e}"))
            })?;
        Ok(PngSequenceSink {
            target,
            force: spec.force,
            xmp: spec.xmp,
            _partial: PartialGuard::new(dir.path()),
            dir,
            frames: 0,
        })
    }
}

/// `--force` replaces a folder only if it looks like one of our outputs: nothing but PNG files.
fn check_replaceable(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::bad_input(
            dir,
            "exists and is not a folder; choose another output path",
        ));
    }
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if !path.is_file()
            || !path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            return Err(Error::bad_input(
                dir,
                format!(
                    "holds {} which is not a PNG frame; not replacing this folder, even where overwriting is allowed",
                    path.display()
                ),
            ));
        }
    }
    Ok(())
}

impl FrameSink for PngSequenceSink {
    fn write_frame(&mut self, frame: &RgbImage) -> Result<()> {
        let path = self.dir.path().join(frame_file_name(self.frames));
        let file = std::fs::File::create(&path).map_err(|e| io_error(&path, e))?;
        encode_png(BufWriter::new(file), frame, self.xmp.as_deref())
            .map_err(|e| Error::failed(&self.target, format!("cannot write PNG frame: {e}")))?;
        self.frames += 1;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let target = &self.target;
        let mut old = None;
        if target.exists() {
            if !self.force {
                return Err(Error::bad_input(
                    target,
                    "appeared while we were writing; not replaced",
                ));
            }
            check_replaceable(target)?;
            let parent = atomic::parent_dir(target);
            let aside = tempfile::Builder::new()
                .prefix(".replaced-")
                .tempdir_in(&parent)
                .map_err(|e| io_error(&parent, e))?;
            std::fs::rename(target, aside.path().join("old")).map_err(|e| io_error(target, e))?;
            old = Some(aside);
        }
        let dir = self.dir.keep();
        std::fs::rename(&dir, target).map_err(|e| {
            let _ = std::fs::remove_dir_all(&dir);
            io_error(target, e)
        })?;
        drop(old);
        Ok(())
    }
}
