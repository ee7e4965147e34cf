//! What S does in the `animate` job: write the frame on screen as a PNG beside the output.

use std::path::{Path, PathBuf};

use super::SaveHook;
use crate::media;

/// A save hook writing `OUT-STEM_frame_0042.png` (1-based frame number) beside `output`,
/// atomically and never over an existing file, with `xmp` as its provenance metadata.
///
/// The frames the pipeline sends are the exported ones, already watermarked, so the PNG carries
/// the same invisible mark as the export.
pub fn save_beside(output: &Path, xmp: Option<String>) -> SaveHook {
    let dir = output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let stem = output
        .file_stem()
        .map_or("frame".into(), |s| s.to_string_lossy().into_owned());
    Box::new(move |image, index| {
        let path = frame_path(&dir, &stem, index);
        media::write_png(&path, image, xmp.as_deref(), false)?;
        Ok(path)
    })
}

/// Where frame `index` (0-based) of the export named `stem` is saved.
fn frame_path(dir: &Path, stem: &str, index: usize) -> PathBuf {
    dir.join(format!("{stem}_frame_{:04}.png", index + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn saves_beside_the_output_without_overwriting() {
        let dir = tempfile::tempdir().unwrap();
        let mut save = save_beside(&dir.path().join("mona.mp4"), None);
        let img = RgbImage::from_fn(8, 6, |x, y| Rgb([x as u8 * 30, y as u8 * 40, 7]));
        let path = save(&img, 11).unwrap();
        assert_eq!(path, dir.path().join("mona_frame_0012.png"));
        assert_eq!(image::open(&path).unwrap().to_rgb8(), img);
        assert!(
            save(&img, 11).is_err(),
            "an existing file is never replaced"
        );
    }
}
