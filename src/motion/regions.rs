//! Named groups of MediaPipe face-mesh landmark indices (the canonical 468-point topology) that
//! the motion stage and the warp engine reason about: the rigid skull, lips, eyelids, face oval.

/// Points that move with the skull, not with expressions (forehead, nose bridge, temples, outer
/// eye corners, nose sides): the head pose is fitted on these.
pub const RIGID: &[usize] = &[
    10, 151, 9, 8, 168, 6, 197, 195, 5, 4, 1, 127, 356, 234, 454, 93, 323, 33, 133, 362, 263, 98,
    327, 129, 358, 109, 338, 67, 297, 21, 251, 54, 284, 162, 389,
];

/// The face outline, clockwise from the top of the forehead.
pub const FACE_OVAL: &[usize] = &[
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152,
    148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
];

/// Outer lip contour, a closed ring starting at the image-left mouth corner.
pub const LIPS_OUTER: &[usize] = &[
    61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
];

/// Inner lip contour (the mouth opening), a closed ring: corner 78, lower lip to corner 308,
/// then the upper lip back.
pub const LIPS_INNER: &[usize] = &[
    78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191,
];

/// Inner upper-lip points, corner to corner (pairs with [`LIPS_INNER_LOWER`]).
pub const LIPS_INNER_UPPER: &[usize] = &[191, 80, 81, 82, 13, 312, 311, 310, 415];
/// Inner lower-lip points, corner to corner (pairs with [`LIPS_INNER_UPPER`]).
pub const LIPS_INNER_LOWER: &[usize] = &[95, 88, 178, 87, 14, 317, 402, 318, 324];

/// Upper eyelid points of the image-left eye (subject's right), outer to inner corner.
pub const RIGHT_EYE_UPPER: &[usize] = &[246, 161, 160, 159, 158, 157, 173];
/// Lower eyelid points of the image-left eye, matching [`RIGHT_EYE_UPPER`] one to one.
pub const RIGHT_EYE_LOWER: &[usize] = &[7, 163, 144, 145, 153, 154, 155];
/// Upper eyelid points of the image-right eye (subject's left), outer to inner corner.
pub const LEFT_EYE_UPPER: &[usize] = &[466, 388, 387, 386, 385, 384, 398];
/// Lower eyelid points of the image-right eye, matching [`LEFT_EYE_UPPER`] one to one.
pub const LEFT_EYE_LOWER: &[usize] = &[249, 390, 373, 374, 380, 381, 382];
/// Eye corners: image-left outer, inner; image-right inner, outer.
pub const EYE_CORNERS: [usize; 4] = [33, 133, 362, 263];

/// Points below the mouth that follow the jaw when it opens, with how much (0..1) they follow.
pub const JAW: &[(usize, f32)] = &[
    (152, 1.0),
    (148, 0.95),
    (377, 0.95),
    (176, 0.85),
    (400, 0.85),
    (149, 0.7),
    (378, 0.7),
    (150, 0.5),
    (379, 0.5),
    (136, 0.3),
    (365, 0.3),
    (175, 1.0),
    (199, 0.95),
    (200, 0.9),
    (18, 0.85),
    (17, 0.8),
    (314, 0.8),
    (84, 0.8),
    (201, 0.8),
    (421, 0.8),
    (208, 0.8),
    (428, 0.8),
    (171, 0.85),
    (396, 0.85),
    (83, 0.8),
    (313, 0.8),
    (181, 0.75),
    (405, 0.75),
    (91, 0.6),
    (321, 0.6),
    (146, 0.4),
    (375, 0.4),
    (14, 0.9),
    (87, 0.85),
    (317, 0.85),
    (178, 0.7),
    (402, 0.7),
    (88, 0.5),
    (318, 0.5),
    (95, 0.3),
    (324, 0.3),
];

/// The distance between the outer eye corners in the (x, y) plane: the face-size unit.
pub fn eye_distance(landmarks: &[[f32; 3]]) -> f32 {
    let (a, b) = (landmarks[EYE_CORNERS[0]], landmarks[EYE_CORNERS[3]]);
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// The mean gap between the inner lips along the face's vertical, in pixels (0 for a closed
/// mouth, and for lips pressed past each other).
pub fn mouth_opening(landmarks: &[[f32; 3]]) -> f32 {
    mean_gap(landmarks, LIPS_INNER_UPPER, LIPS_INNER_LOWER)
}

/// The mean gap between one eye's upper and lower lid points (e.g. [`RIGHT_EYE_UPPER`] and
/// [`RIGHT_EYE_LOWER`]) along the face's vertical, in pixels (0 for a closed eye, and for lids
/// that cross).
pub fn eye_opening(landmarks: &[[f32; 3]], upper: &[usize], lower: &[usize]) -> f32 {
    mean_gap(landmarks, upper, lower)
}

/// The unit vector in the image plane from the top of the forehead to the chin: the face's
/// "down", which is the image's only for an upright head (`[0, 1]` for a degenerate face).
pub fn face_down<P: AsRef<[f32]>>(landmarks: &[P]) -> [f32; 2] {
    let (top, chin) = (landmarks[FOREHEAD_TOP].as_ref(), landmarks[CHIN].as_ref());
    let d = [chin[0] - top[0], chin[1] - top[1]];
    let len = d[0].hypot(d[1]);
    if len.is_finite() && len > 1e-4 {
        [d[0] / len, d[1] / len]
    } else {
        [0.0, 1.0]
    }
}

/// Top of the forehead on the face oval.
const FOREHEAD_TOP: usize = 10;
/// Bottom of the chin on the face oval.
const CHIN: usize = 152;

/// The mean gap between paired points of an upper and a lower landmark line, measured along
/// the face's vertical; a pair whose lower point lies above its upper one counts as closed.
fn mean_gap(landmarks: &[[f32; 3]], upper: &[usize], lower: &[usize]) -> f32 {
    let down = face_down(landmarks);
    let n = upper.len().min(lower.len()).max(1) as f32;
    upper
        .iter()
        .zip(lower)
        .map(|(&u, &l)| {
            let (p, q) = (landmarks[u], landmarks[l]);
            ((q[0] - p[0]) * down[0] + (q[1] - p[1]) * down[1]).max(0.0)
        })
        .sum::<f32>()
        / n
}
