//! Driver face tracking for the main job: MediaPipe's video rule — the mesh runs on a crop
//! rebuilt from the previous frame's landmarks, and the detector only runs again when the face
//! is lost.

use crate::keypoints::{largest_face, roi, Face, FaceMesh, MIN_PRESENCE};
use crate::Result;
use image::RgbImage;

/// Follows one face through consecutive frames.
pub struct DriverTracker<'a> {
    mesh: &'a FaceMesh,
    previous: Option<Vec<[f32; 3]>>,
}

impl<'a> DriverTracker<'a> {
    /// A tracker that has not seen a face yet.
    pub fn new(mesh: &'a FaceMesh) -> Self {
        Self {
            mesh,
            previous: None,
        }
    }

    /// The face in the next frame, `None` when there is none.
    pub fn next(&mut self, frame: &RgbImage) -> Result<Option<Face>> {
        if let Some(prev) = self.previous.take() {
            let mesh = self.mesh.landmarks(frame, &roi::from_landmarks(&prev))?;
            if mesh.presence >= MIN_PRESENCE {
                self.previous = Some(mesh.landmarks.clone());
                return Ok(Some(Face {
                    score: mesh.presence,
                    bbox: roi::landmark_bounds(&mesh.landmarks),
                    landmarks: mesh.landmarks,
                }));
            }
        }
        let mut faces = self.mesh.detect_faces(frame)?;
        let face = largest_face(&faces).map(|i| faces.swap_remove(i));
        self.previous = face.as_ref().map(|f| f.landmarks.clone());
        Ok(face)
    }
}
