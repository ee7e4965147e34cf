//! The keypoints job: the faces and 468 landmarks of a portrait, or of every frame of a driver
//! video, with an optional overlay to check them by eye (what `animate keypoints` runs).

use super::{ProgressFn, Stage};
use crate::keypoints::{draw_faces, Face, FaceMesh, FaceTracker};
use crate::media::{self, MediaKind, OutputSpec, VideoWriter};
use crate::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What to find faces in, and what to write besides the report.
#[derive(Debug, Clone)]
pub struct KeypointsJob {
    /// A portrait image or a driver video.
    pub input: PathBuf,
    /// Where to draw the faces over the input: an image (`.png`, `.jpg`) for an image; a video
    /// (`.mp4`, `.gif`, `DIR/` of PNG frames) for a video.
    pub overlay: Option<PathBuf>,
    /// Video: smooth the landmarks over time (as the main job does).
    pub smoothing: bool,
    /// Video: follow at most this many faces (an image reports every face found).
    pub max_faces: usize,
    /// Replace an overlay file that already exists.
    pub force: bool,
}

/// The faces found; serialises to the JSON `animate keypoints` prints (pixel coordinates,
/// origin top-left).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum KeypointsReport {
    /// A still image: its size and every face found.
    Image {
        /// Image width in pixels.
        width: u32,
        /// Image height in pixels.
        height: u32,
        /// Every face found, largest box first as the detector ranks them.
        faces: Vec<Face>,
    },
    /// A video: frame rate, frame size and the tracked faces of every frame.
    Video {
        /// Frames per second.
        fps: f64,
        /// Frame width in pixels.
        width: u32,
        /// Frame height in pixels.
        height: u32,
        /// One entry per frame, in display order.
        frames: Vec<FrameFaces>,
    },
}

/// The tracked faces of one video frame (none where all were lost).
#[derive(Debug, Serialize)]
pub struct FrameFaces {
    /// The frame's index, 0-based.
    pub index: usize,
    /// The faces followed in this frame.
    pub faces: Vec<Face>,
}

/// Runs the job; `progress` hears about every video frame tracked ([`Stage::Tracking`]). A
/// portrait or video without any face is bad input, and no overlay is left behind.
pub fn keypoints(job: &KeypointsJob, progress: ProgressFn<'_>) -> Result<KeypointsReport> {
    if let Some(out) = &job.overlay {
        media::check_output_path(out, &[&job.input], job.force)?;
    }
    match media::probe(&job.input)?.kind {
        MediaKind::Image => image_keypoints(job),
        MediaKind::Video => video_keypoints(job, progress),
    }
}

fn no_face(input: &Path) -> Error {
    Error::BadInput(format!("no face found in {}", input.display()))
}

/// Faces of a still image, with the overlay written if asked.
fn image_keypoints(job: &KeypointsJob) -> Result<KeypointsReport> {
    let format = match &job.overlay {
        Some(path) => Some(image::ImageFormat::from_path(path).map_err(|_| {
            Error::bad_input(
                path,
                "unknown image extension for the overlay; use .png or .jpg",
            )
        })?),
        None => None,
    };
    let img = media::load_portrait(&job.input)?;
    let faces = FaceMesh::load()?.detect_faces(&img)?;
    if faces.is_empty() {
        return Err(no_face(&job.input));
    }
    let (width, height) = img.dimensions();
    if let (Some(path), Some(format)) = (&job.overlay, format) {
        let mut canvas = img;
        draw_faces(&mut canvas, &faces);
        let mut bytes = std::io::Cursor::new(Vec::new());
        canvas
            .write_to(&mut bytes, format)
            .map_err(|e| Error::failed(path, e))?;
        media::write_atomic(path, bytes.get_ref(), job.force)?;
    }
    Ok(KeypointsReport::Image {
        width,
        height,
        faces,
    })
}

/// The tracked faces of every frame of a video, with the overlay video written if asked.
fn video_keypoints(job: &KeypointsJob, progress: ProgressFn<'_>) -> Result<KeypointsReport> {
    let mut video = media::open_video(&job.input)?;
    let info = video.info().clone();
    let mut writer = match &job.overlay {
        Some(path) => {
            let mut spec = OutputSpec::new(path, info.fps, info.width, info.height);
            spec.force = job.force;
            Some(VideoWriter::create(spec)?)
        }
        None => None,
    };
    let mut tracker =
        FaceTracker::new(FaceMesh::load()?, info.fps.as_f64() as f32).with_max_faces(job.max_faces);
    if !job.smoothing {
        tracker = tracker.with_smoothing(None);
    }
    let mut frames = Vec::new();
    while let Some(mut frame) = video.next_frame()? {
        let faces = tracker.track_all(&frame)?;
        if let Some(w) = &mut writer {
            draw_faces(&mut frame, &faces);
            w.write_frame(&frame)?;
        }
        frames.push(FrameFaces {
            index: frames.len(),
            faces,
        });
        progress(Stage::Tracking, frames.len() as u64, Some(info.frame_count));
    }
    if frames.iter().all(|f| f.faces.is_empty()) {
        return Err(no_face(&job.input));
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    Ok(KeypointsReport::Video {
        fps: info.fps.as_f64(),
        width: info.width,
        height: info.height,
        frames,
    })
}
