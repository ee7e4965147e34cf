//! [`FaceTracker`]: landmarks through a video as MediaPipe does it. The ROI of frame t+1 comes
//! from the landmarks of frame t; the detector runs only on the first frame and whenever the
//! face is lost (presence below [`MIN_PRESENCE`]). Landmarks are then One-Euro smoothed.

use super::one_euro::{LandmarkSmoother, OneEuroParams};
use super::pipeline::{DetectorKind, FaceMesh, MeshResult, MIN_PRESENCE};
use super::{roi, Face};
use crate::Result;
use image::RgbImage;

/// Follows the main (largest) face through the frames of a video.
#[derive(Debug, Clone)]
pub struct FaceTracker {
    mesh: FaceMesh,
    fps: f64,
    smoother: Option<LandmarkSmoother>,
    /// The unsmoothed face of the last frame: the next ROI comes from its landmarks.
    last_raw: Option<Face>,
    detections: usize,
}

impl FaceTracker {
    /// A tracker for frames `1/fps` seconds apart, smoothing with the default One-Euro
    /// parameters.
    pub fn new(mesh: FaceMesh, fps: f32) -> Self {
        Self {
            mesh,
            fps: if fps > 0.0 { fps as f64 } else { 30.0 },
            smoother: Some(LandmarkSmoother::new(
                if fps > 0.0 { fps as f64 } else { 30.0 },
                OneEuroParams::default(),
            )),
            last_raw: None,
            detections: 0,
        }
    }

    /// Smooth with `params`, or not at all with `None`.
    pub fn with_smoothing(mut self, params: Option<OneEuroParams>) -> Self {
        self.smoother = params.map(|p| LandmarkSmoother::new(self.fps, p));
        self
    }

    /// How many times the detector has run so far (first frame and every re-detection).
    pub fn detections(&self) -> usize {
        self.detections
    }

    /// The unsmoothed face of the last tracked frame, if any.
    pub fn last_raw(&self) -> Option<&Face> {
        self.last_raw.as_ref()
    }

    /// Tracks the face into the next frame: `None` where no face is found.
    pub fn track(&mut self, frame: &RgbImage) -> Result<Option<Face>> {
        let followed = match &self.last_raw {
            Some(face) => Some(
                self.mesh
                    .landmarks(frame, &roi::from_landmarks(&face.landmarks))?,
            ),
            None => None,
        };
        let (result, score) = match followed.filter(|m| m.presence >= MIN_PRESENCE) {
            Some(m) => {
                let presence = m.presence;
                (Some(m), presence)
            }
            None => match self.redetect(frame)? {
                Some((m, score)) => (Some(m), score),
                None => (None, 0.0),
            },
        };
        let Some(result) = result else {
            self.last_raw = None;
            if let Some(s) = &mut self.smoother {
                s.reset();
            }
            return Ok(None);
        };
        let raw = Face {
            score,
            bbox: roi::landmark_bounds(&result.landmarks),
            landmarks: result.landmarks,
        };
        let landmarks = match &mut self.smoother {
            Some(s) => s.smooth(&raw.landmarks),
            None => raw.landmarks.clone(),
        };
        self.last_raw = Some(raw.clone());
        Ok(Some(Face {
            score,
            bbox: roi::landmark_bounds(&landmarks),
            landmarks,
        }))
    }

    /// Runs the detectors and the two-pass mesh on the largest face; with its detection score.
    fn redetect(&mut self, frame: &RgbImage) -> Result<Option<(MeshResult, f32)>> {
        self.detections += 1;
        let mut dets = self.mesh.detect(frame, DetectorKind::ShortRange)?;
        if dets.is_empty() {
            dets = self.mesh.detect(frame, DetectorKind::FullRange)?;
        }
        let area = |d: &super::Detection| (d.bbox[2] - d.bbox[0]) * (d.bbox[3] - d.bbox[1]);
        let Some(det) = dets.iter().max_by(|a, b| area(a).total_cmp(&area(b))) else {
            return Ok(None);
        };
        let mesh = self.mesh.landmarks_for(frame, det)?;
        Ok((mesh.presence >= MIN_PRESENCE).then_some((mesh, det.score)))
    }
}
