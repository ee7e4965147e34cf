//! [`FaceTracker`]: landmarks through a video as MediaPipe does it. The ROI of frame t+1 comes
//! from the landmarks of frame t; the detector runs on the first frame and whenever fewer faces
//! than wanted are tracked (a face is lost when its presence drops below [`MIN_PRESENCE`]).
//! Landmarks are then One-Euro smoothed, each face with its own filter.

use super::one_euro::{LandmarkSmoother, OneEuroParams};
use super::pipeline::{DetectorKind, FaceMesh, MIN_PRESENCE};
use super::{roi, Face};
use crate::Result;
use image::RgbImage;

/// One face being followed.
#[derive(Debug, Clone)]
struct Track {
    /// The unsmoothed face of the last frame: the next ROI comes from its landmarks.
    raw: Face,
    smoother: Option<LandmarkSmoother>,
}

/// Whether the centre of `b` lies inside box `a` (the same face, seen twice).
fn same_face(a: &[f32; 4], b: &[f32; 4]) -> bool {
    let (cx, cy) = ((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0);
    cx >= a[0] && cx <= a[2] && cy >= a[1] && cy <= a[3]
}

fn area(b: &[f32; 4]) -> f32 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

/// Follows faces through the frames of a video: by default only the main (largest) one.
#[derive(Debug, Clone)]
pub struct FaceTracker {
    mesh: FaceMesh,
    fps: f64,
    smoothing: Option<OneEuroParams>,
    max_faces: usize,
    tracks: Vec<Track>,
    detections: usize,
}

impl FaceTracker {
    /// A tracker of one face for frames `fps` a second, smoothing with the default One-Euro
    /// parameters.
    pub fn new(mesh: FaceMesh, fps: f32) -> Self {
        Self {
            mesh,
            fps: if fps > 0.0 { fps as f64 } else { 30.0 },
            smoothing: Some(OneEuroParams::default()),
            max_faces: 1,
            tracks: Vec::new(),
            detections: 0,
        }
    }

    /// Smooth with `params`, or not at all with `None`.
    pub fn with_smoothing(mut self, params: Option<OneEuroParams>) -> Self {
        self.smoothing = params;
        self
    }

    /// Follow up to `n` faces (at least one). With more than one, the detector runs on every
    /// frame where fewer than `n` faces are tracked, as MediaPipe does.
    pub fn with_max_faces(mut self, n: usize) -> Self {
        self.max_faces = n.max(1);
        self
    }

    /// How many times the detector has run so far.
    pub fn detections(&self) -> usize {
        self.detections
    }

    /// The unsmoothed main face of the last frame, if any.
    pub fn last_raw(&self) -> Option<&Face> {
        self.main_track().map(|t| &t.raw)
    }

    fn main_track(&self) -> Option<&Track> {
        self.tracks
            .iter()
            .max_by(|a, b| area(&a.raw.bbox).total_cmp(&area(&b.raw.bbox)))
    }

    /// Tracks the main (largest) face into the next frame: `None` where no face is found.
    pub fn track(&mut self, frame: &RgbImage) -> Result<Option<Face>> {
        let faces = self.track_all(frame)?;
        Ok(faces
            .into_iter()
            .max_by(|a, b| area(&a.bbox).total_cmp(&area(&b.bbox))))
    }

    /// Tracks every followed face into the next frame, in the order they were first found.
    pub fn track_all(&mut self, frame: &RgbImage) -> Result<Vec<Face>> {
        let mut kept: Vec<Track> = Vec::with_capacity(self.tracks.len());
        for mut track in std::mem::take(&mut self.tracks) {
            let roi = roi::from_landmarks(&track.raw.landmarks);
            let m = self.mesh.landmarks(frame, &roi)?;
            let bbox = roi::landmark_bounds(&m.landmarks);
            if m.presence >= MIN_PRESENCE && !kept.iter().any(|t| same_face(&t.raw.bbox, &bbox)) {
                track.raw = Face {
                    score: m.presence,
                    bbox,
                    landmarks: m.landmarks,
                };
                kept.push(track);
            }
        }
        self.tracks = kept;
        if self.tracks.len() < self.max_faces {
            self.detect_new(frame)?;
        }
        Ok(self
            .tracks
            .iter_mut()
            .map(|t| {
                let landmarks = match &mut t.smoother {
                    Some(s) => s.smooth(&t.raw.landmarks),
                    None => t.raw.landmarks.clone(),
                };
                Face {
                    score: t.raw.score,
                    bbox: roi::landmark_bounds(&landmarks),
                    landmarks,
                }
            })
            .collect())
    }

    /// Runs the detectors and starts tracks on faces not followed yet, largest first, with the
    /// two-pass mesh of still images.
    fn detect_new(&mut self, frame: &RgbImage) -> Result<()> {
        self.detections += 1;
        let mut dets = self.mesh.detect(frame, DetectorKind::ShortRange)?;
        if dets.is_empty() && self.tracks.is_empty() {
            dets = self.mesh.detect(frame, DetectorKind::FullRange)?;
        }
        dets.sort_by(|a, b| area(&b.bbox).total_cmp(&area(&a.bbox)));
        for det in &dets {
            if self.tracks.len() >= self.max_faces {
                break;
            }
            if self
                .tracks
                .iter()
                .any(|t| same_face(&det.bbox, &t.raw.bbox))
            {
                continue;
            }
            let m = self.mesh.landmarks_for(frame, det)?;
            if m.presence >= MIN_PRESENCE {
                let bbox = roi::landmark_bounds(&m.landmarks);
                self.tracks.push(Track {
                    raw: Face {
                        score: det.score,
                        bbox,
                        landmarks: m.landmarks,
                    },
                    smoother: self.smoothing.map(|p| LandmarkSmoother::new(self.fps, p)),
                });
            }
        }
        Ok(())
    }
}
