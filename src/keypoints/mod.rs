//! Face detection and the 468-point face mesh (MediaPipe's networks re-implemented in candle),
//! on still portraits and tracked through driver videos.
//!
//! - [`FaceMesh`] loads the networks once (weights embedded from `models/`, see
//!   `models/NOTICE`) and finds every face of a still image with
//!   [`FaceMesh::detect_faces`]: short-range BlazeFace (full-range detector when it finds
//!   nothing), then the mesh on the rotated 1.5x ROI, then a second mesh pass on the ROI rebuilt
//!   from those landmarks.
//! - [`FaceTracker`] follows faces through video frames the way MediaPipe does (ROI from the
//!   previous landmarks, detector only when a face is missing) and One-Euro smooths them.
//! - The networks ([`short_range`], [`full_range`], [`mesh_net`]) run every convolution through
//!   the fast CPU [`kernels`]; the stock candle path stays as the reference in tests. All of it
//!   takes a candle `Device`, so the `cuda`/`metal` features compile the same code.

mod blocks;
mod crop;
mod detection;
mod full_range;
mod layers;
mod mesh_net;
mod one_euro;
mod ops;
mod overlay;
mod pipeline;
pub mod roi;
mod short_range;
mod tracker;
mod weights;

pub use crop::Roi;
pub use detection::Detection;
pub(crate) use one_euro::OneEuro;
pub use one_euro::{LandmarkSmoother, OneEuroParams};
pub use overlay::draw_faces;
pub use pipeline::{DetectorKind, FaceMesh, MeshResult, MIN_PRESENCE};
pub use tracker::FaceTracker;

use serde::{Deserialize, Serialize};

/// Number of landmarks in MediaPipe's face mesh.
pub const MESH_POINTS: usize = 468;

/// One face found in an image: what every later stage (motion, engines, overlays) consumes.
///
/// Coordinates are in pixels of the analysed image: origin top-left, pixel centres at integers,
/// z in the same pixel scale (smaller z is closer to the camera, as in MediaPipe).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Face {
    /// Detector or face-presence confidence in 0..1.
    pub score: f32,
    /// Bounding box `[x0, y0, x1, y1]` in pixels.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// The 468 mesh landmarks `[x, y, z]` in pixels.
    pub landmarks: Vec<[f32; 3]>,
}

impl Face {
    /// Area of the face box in square pixels (to pick the largest face).
    pub fn area(&self) -> f32 {
        (self.bbox[2] - self.bbox[0]).max(0.0) * (self.bbox[3] - self.bbox[1]).max(0.0)
    }
}

/// Index of the largest face (by box area), the one the main job animates by default.
pub fn largest_face(faces: &[Face]) -> Option<usize> {
    (0..faces.len()).max_by(|&a, &b| faces[a].area().total_cmp(&faces[b].area()))
}

/// A candle error inside the keypoint networks, as a library failure.
fn candle_error(e: candle_core::Error) -> crate::Error {
    crate::Error::Failed(format!("face keypoints: {e}"))
}
