//! A folder of numbered PNG/JPEG frames as a video (frame_0001.png, frame_0002.png, …).

use super::portrait::load_portrait;
use super::video::{Fps, FrameSource, VideoInfo};
use crate::error::io_error;
use crate::{Error, Result};
use image::RgbImage;
use std::path::{Path, PathBuf};

/// Frame rate assumed for a folder of frames, which carries no timing of its own.
pub const FOLDER_FPS: u32 = 25;

/// The number in a frame's file name (the last run of digits), used to order frames.
fn frame_number(path: &Path) -> Option<u64> {
    let stem = path.file_stem()?.to_str()?;
    let end = stem.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = stem[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    stem[start..end].parse().ok()
}

fn is_frame_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

/// Lists the numbered frames of a folder in order; the first frame fixes the size.
pub(crate) fn open(dir: &Path) -> Result<(VideoInfo, FolderVideo)> {
    let mut frames: Vec<(u64, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if is_frame_file(&path) {
            if let Some(n) = frame_number(&path) {
                frames.push((n, path));
            }
        }
    }
    frames.sort();
    if frames.is_empty() {
        return Err(Error::bad_input(
            dir,
            "the folder has no numbered PNG/JPEG frames (e.g. frame_0001.png)",
        ));
    }
    let first = load_portrait(&frames[0].1)?;
    let fps = Fps::new(u64::from(FOLDER_FPS), 1);
    let info = VideoInfo {
        container: "frames".into(),
        codec: "png/jpeg".into(),
        profile: None,
        width: first.width(),
        height: first.height(),
        fps,
        frame_count: frames.len() as u64,
        duration_s: frames.len() as f64 / fps.as_f64(),
        audio: None,
    };
    let video = FolderVideo {
        size: first.dimensions(),
        first: Some(first),
        frames: frames.into_iter().map(|(_, p)| p).collect(),
        next: 0,
    };
    Ok((info, video))
}

/// Loads one frame file per call.
pub(crate) struct FolderVideo {
    frames: Vec<PathBuf>,
    next: usize,
    first: Option<RgbImage>,
    size: (u32, u32),
}

impl FrameSource for FolderVideo {
    fn next_frame(&mut self) -> Result<Option<RgbImage>> {
        let Some(path) = self.frames.get(self.next) else {
            return Ok(None);
        };
        let frame = match self.first.take() {
            Some(first) => first,
            None => load_portrait(path)?,
        };
        if frame.dimensions() != self.size {
            return Err(Error::bad_input(
                path,
                format!(
                    "frame is {}x{} but the first frame is {}x{}; all frames must be the same size",
                    frame.width(),
                    frame.height(),
                    self.size.0,
                    self.size.1
                ),
            ));
        }
        self.next += 1;
        Ok(Some(frame))
    }
}

#[cfg(test)]
mod tests {
    use super::frame_number;
    use std::path::Path;

    #[test]
    fn frames_are_ordered_by_their_last_number() {
        assert_eq!(frame_number(Path::new("shot2_frame_0010.png")), Some(10));
        assert_eq!(frame_number(Path::new("7.jpg")), Some(7));
        assert_eq!(frame_number(Path::new("cover.png")), None);
    }
}
