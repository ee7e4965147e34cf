//! Checking a file for the watermark and the provenance metadata: what `animate verify` runs.

use std::io::Read;
use std::path::Path;

use super::xmp::Provenance;
use super::{Detection, Detector, Evidence, Scope};
use crate::error::io_error;
use crate::{media, Error, Result};

/// Most frames of a video whose evidence is gathered; a few seconds are plenty.
pub const MAX_FRAMES: usize = 250;

/// What `verify` found in a file.
#[derive(Debug, Clone)]
pub struct Report {
    /// "image" or "video".
    pub kind: &'static str,
    /// The watermark decision on the evidence of all frames checked.
    pub detection: Detection,
    /// Provenance metadata, if the file carries a Sfumato-style XMP packet.
    pub provenance: Option<Provenance>,
}

/// Checks an image (PNG, JPEG, WebP) or a video (MP4/MOV H.264, GIF, folder of frames).
/// A video's frames (the first [`MAX_FRAMES`]) are combined into one decision.
pub fn verify_file(path: &Path) -> Result<Report> {
    let detector = Detector::new();
    let (kind, detection) = if is_still_image(path)? {
        let img = media::load_portrait(path)?;
        ("image", detector.detect(&img))
    } else {
        let mut video = media::open_video(path)?;
        let (w, h) = (video.info().width, video.info().height);
        let mut evidence = Evidence::new(w, h);
        while evidence.frames() < MAX_FRAMES {
            match video.next_frame()? {
                Some(frame) => {
                    if !evidence.add(&frame) {
                        return Err(Error::bad_input(path, "frames change size mid-video"));
                    }
                }
                None => break,
            }
        }
        if evidence.frames() == 0 {
            return Err(Error::bad_input(path, "the video has no frames"));
        }
        ("video", detector.decide(&evidence, Scope::Video))
    };
    let provenance = media::read_xmp(path)
        .ok()
        .flatten()
        .and_then(|x| Provenance::from_xmp(&x));
    Ok(Report {
        kind,
        detection,
        provenance,
    })
}

fn is_still_image(path: &Path) -> Result<bool> {
    if path.is_dir() {
        return Ok(false);
    }
    let mut head = [0u8; 12];
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    let head = &head[..n];
    Ok(head.starts_with(b"\x89PNG")
        || head.starts_with(&[0xff, 0xd8, 0xff])
        || (head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP")))
}
