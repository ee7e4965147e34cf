//! Where the face mesh looks: the rotated square around a face, from a detection (first frame)
//! or from the previous landmarks (tracking, and the second pass on still portraits).

use super::crop::Roi;
use super::detection::Detection;

/// The ROI side is this many times the face box's long side.
pub const ROI_SCALE: f32 = 1.5;
/// Landmarks whose line sets the ROI angle when tracking: the outer eye corners.
pub const EYE_CORNERS: (usize, usize) = (33, 263);

/// Square rotated ROI around `bbox`, angle from the subject's right eye `p0` to left eye `p1`.
fn square_roi(bbox: [f32; 4], p0: [f32; 2], p1: [f32; 2]) -> Roi {
    let angle = -(-(p1[1] as f64 - p0[1] as f64)).atan2(p1[0] as f64 - p0[0] as f64);
    let tau = 2.0 * std::f64::consts::PI;
    let angle = angle - tau * ((angle + std::f64::consts::PI) / tau).floor();
    let side = (bbox[2] - bbox[0]).max(bbox[3] - bbox[1]) * ROI_SCALE;
    Roi {
        cx: (bbox[0] + bbox[2]) / 2.0,
        cy: (bbox[1] + bbox[3]) / 2.0,
        w: side,
        h: side,
        rotation: angle as f32,
    }
}

/// The mesh ROI for a fresh detection: box centre, 1.5x the long side, eye-line angle.
pub fn from_detection(d: &Detection) -> Roi {
    square_roi(d.bbox, d.keypoints[0], d.keypoints[1])
}

/// Axis-aligned bounds `[x0, y0, x1, y1]` of landmarks' x and y.
pub fn landmark_bounds(landmarks: &[[f32; 3]]) -> [f32; 4] {
    landmarks.iter().fold(
        [
            f32::INFINITY,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NEG_INFINITY,
        ],
        |b, p| {
            [
                b[0].min(p[0]),
                b[1].min(p[1]),
                b[2].max(p[0]),
                b[3].max(p[1]),
            ]
        },
    )
}

/// The mesh ROI from landmarks (MediaPipe's tracking rule): bounds of all points, angle from
/// landmark 33 to 263, 1.5x the long side.
pub fn from_landmarks(landmarks: &[[f32; 3]]) -> Roi {
    let (a, b) = EYE_CORNERS;
    let p = |i: usize| [landmarks[i][0], landmarks[i][1]];
    square_roi(landmark_bounds(landmarks), p(a), p(b))
}
