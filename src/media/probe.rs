//! `probe`: what a user checks before a long run — is this file usable, and what is in it.

use super::{load_portrait, open_video, AudioInfo, Fps};
use crate::error::io_error;
use crate::Result;
use serde::Serialize;
use std::io::Read;
use std::path::Path;

/// Whether a probed file is a still image (a portrait) or a video (a driver).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    /// A still image, usable as a portrait.
    Image,
    /// A video, GIF or frame folder, usable as a driver.
    Video,
}

/// The facts `animate probe` reports about a usable file (serialised as-is by `--json`).
#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    /// The file as given.
    pub path: String,
    /// Image (portrait) or video (driver).
    pub kind: MediaKind,
    /// Container or image format, e.g. "mp4", "gif", "frames", "png", "jpeg".
    pub container: String,
    /// Video codec ("h264", "gif", …); for images the same as `container`.
    pub codec: String,
    /// Codec profile where there is one.
    pub profile: Option<String>,
    /// Width in pixels (after EXIF orientation for images).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frame rate (videos only).
    pub fps: Option<Fps>,
    /// Frame count (videos only).
    pub frame_count: Option<u64>,
    /// Duration in seconds (videos only).
    pub duration_s: Option<f64>,
    /// The audio track an MP4 output would copy (videos only).
    pub audio: Option<AudioInfo>,
}

/// The image format named by a file's first bytes, if it is a still image we read.
fn image_format(path: &Path) -> Result<Option<&'static str>> {
    if path.is_dir() {
        return Ok(None);
    }
    let mut head = [0u8; 12];
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    let head = &head[..n];
    Ok(if head.starts_with(b"\x89PNG") {
        Some("png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpeg")
    } else if head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some("webp")
    } else if has_image_extension(path) {
        // Named like an image but not one: let the image loader explain.
        Some("unknown")
    } else {
        None
    })
}

fn has_image_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "png" | "jpg" | "jpeg" | "webp"
        )
    })
}

/// Checks that `path` is usable as a portrait or a driver by actually decoding it (the whole
/// image, or the first video frame), and reports what it is. Errors say why it is not usable.
pub fn probe(path: &Path) -> Result<ProbeReport> {
    let display = path.display().to_string();
    if let Some(format) = image_format(path)? {
        let image = load_portrait(path)?;
        return Ok(ProbeReport {
            path: display,
            kind: MediaKind::Image,
            container: format.into(),
            codec: format.into(),
            profile: None,
            width: image.width(),
            height: image.height(),
            fps: None,
            frame_count: None,
            duration_s: None,
            audio: None,
        });
    }
    let mut video = open_video(path)?;
    if video.next_frame()?.is_none() {
        return Err(crate::Error::bad_input(path, "no frame could be decoded"));
    }
    let info = video.info().clone();
    Ok(ProbeReport {
        path: display,
        kind: MediaKind::Video,
        container: info.container,
        codec: info.codec,
        profile: info.profile,
        width: info.width,
        height: info.height,
        fps: Some(info.fps),
        frame_count: Some(info.frame_count),
        duration_s: Some(info.duration_s),
        audio: info.audio,
    })
}
