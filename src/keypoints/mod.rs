//! Face detection and the 468-point face mesh (MediaPipe's networks re-implemented in candle),
//! on still portraits and tracked through driver videos.

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

pub mod kernels;
