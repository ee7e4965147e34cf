//! Driver motion measured against a reference frame, and its transfer onto the portrait.

use super::linalg::{
    axis_angle_from_rotation, fit_similarity, mul, mul_vec, norm, rotation_from_axis_angle,
    transpose, Similarity,
};
use super::regions::{
    eye_distance, eye_opening, EYE_CORNERS, LEFT_EYE_LOWER, LEFT_EYE_UPPER, RIGHT_EYE_LOWER,
    RIGHT_EYE_UPPER, RIGID,
};
use crate::keypoints::OneEuro;
use crate::keypoints::MESH_POINTS;
use crate::{Error, Result};

/// The smoothing filter's `beta` for the eyelids' expression: far above the rest's (3), so a
/// blink, over in a few frames, still closes the lids fully while lids at rest stay smoothed.
const LID_BETA: f64 = 40.0;

/// A driver frame whose eyes are open less than this fraction of the clip's median is taken
/// to be mid-blink, and is never the reference.
const BLINK_OPENING: f32 = 0.85;

/// Frames on either side of one caught mid-blink that are passed over too.
const BLINK_MARGIN: usize = 2;

/// How driver motion is turned into portrait motion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionConfig {
    /// Multiplies every motion (head rotation, scale, translation, expression): 1 transfers the
    /// driver as measured, below 1 dampens, above 1 exaggerates.
    pub motion_scale: f32,
    /// Soft limit on head rotation, in degrees: rotations approach it but never pass it
    /// (`limit · tanh(angle / limit)`), because a 2D warp cannot show a head turned further.
    pub max_rotation_deg: f32,
    /// Soft limit on the head's movement across the frame, in face units (outer-eye-corner
    /// distances); 0 (the default) turns the limit off: the warp engine carries the body along
    /// with large head moves, so only a user who wants the figure to stay put needs it.
    pub max_translation: f32,
    /// Soft limit on the head's scale change (towards or away from the camera), as a fraction
    /// (0.1 = ±10 %); 0 turns the limit off.
    pub max_scale_change: f32,
    /// Temporal smoothing strength, 0 (off) to 1 (strong).
    pub smoothing: f32,
    /// Seconds the portrait takes to ease back to its reference pose when the driver's face is lost.
    pub ease_seconds: f32,
    /// Frame rate of the driver, frames per second.
    pub fps: f32,
}

impl MotionConfig {
    /// Checks every setting against its range, naming the first one out of it
    /// ([`Error::Setting`] with the field's name).
    pub fn validate(&self) -> Result<()> {
        let ranges: [(&'static str, f32, f32, f32); 6] = [
            ("motion_scale", self.motion_scale, 0.0, 5.0),
            ("max_rotation_deg", self.max_rotation_deg, 1.0, 90.0),
            ("max_translation", self.max_translation, 0.0, 10.0),
            ("max_scale_change", self.max_scale_change, 0.0, 1.0),
            ("smoothing", self.smoothing, 0.0, 1.0),
            ("ease_seconds", self.ease_seconds, 0.0, 10.0),
        ];
        for (setting, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(Error::setting(
                    setting,
                    value,
                    format!("must be between {min} and {max}"),
                ));
            }
        }
        if !(self.fps > 0.0 && self.fps <= 1000.0) {
            return Err(Error::setting(
                "fps",
                self.fps,
                "must be above 0 and at most 1000",
            ));
        }
        Ok(())
    }
}

impl Default for MotionConfig {
    fn default() -> Self {
        Self {
            motion_scale: 1.0,
            max_rotation_deg: 25.0,
            max_translation: 0.0,
            max_scale_change: 0.0,
            smoothing: 0.5,
            ease_seconds: 0.5,
            fps: 25.0,
        }
    }
}

/// One driver frame's motion relative to the reference frame, in face units (the reference's
/// outer-eye-corner distance): the head pose, and the expression left once the pose is removed.
#[derive(Debug, Clone, PartialEq)]
pub struct DriverMotion {
    /// Head rotation as an axis-angle vector (radians), in camera coordinates.
    pub rotation: [f64; 3],
    /// Natural log of the head's scale change (moving towards or away from the camera).
    pub log_scale: f64,
    /// Movement of the head centre, in face units.
    pub translation: [f64; 3],
    /// Per-landmark displacement in the reference frame's head coordinates, in face units.
    pub expression: Vec<[f64; 3]>,
}

impl DriverMotion {
    /// No motion at all: the reference frame itself.
    pub fn neutral() -> Self {
        Self {
            rotation: [0.0; 3],
            log_scale: 0.0,
            translation: [0.0; 3],
            expression: vec![[0.0; 3]; MESH_POINTS],
        }
    }

    /// Measures `current` against `reference` (both 468 landmarks in pixels).
    pub fn measure(reference: &[[f32; 3]], current: &[[f32; 3]]) -> Option<Self> {
        let pose = fit_pose(reference, current)?;
        let unit = face_unit(reference)?;
        let centre = rigid_centroid(reference);
        let moved = pose.apply(centre);
        let expression = reference
            .iter()
            .zip(current)
            .map(|(r, c)| {
                let back = pose.apply_inverse(to64(*c));
                [0, 1, 2].map(|k| (back[k] - r[k] as f64) / unit)
            })
            .collect();
        Some(Self {
            rotation: axis_angle_from_rotation(&pose.rotation),
            log_scale: pose.scale.ln(),
            translation: [0, 1, 2].map(|k| (moved[k] - centre[k]) / unit),
            expression,
        })
    }

    fn to_vec(&self) -> Vec<f64> {
        let mut v = Vec::with_capacity(7 + 3 * self.expression.len());
        v.extend(self.rotation);
        v.push(self.log_scale);
        v.extend(self.translation);
        v.extend(self.expression.iter().flatten());
        v
    }

    fn from_vec(v: &[f64]) -> Self {
        Self {
            rotation: [v[0], v[1], v[2]],
            log_scale: v[3],
            translation: [v[4], v[5], v[6]],
            expression: v[7..].chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(),
        }
    }

    /// Multiplies the motion by `k` and softly limits rotation, translation and scale.
    fn scaled_and_limited(&self, k: f64, config: &MotionConfig) -> Self {
        let limit = (config.max_rotation_deg as f64).to_radians();
        let scale_limit = (1.0 + config.max_scale_change as f64).ln();
        Self {
            rotation: soft_limit(self.rotation.map(|c| c * k), limit),
            log_scale: soft_limit([self.log_scale * k, 0.0, 0.0], scale_limit)[0],
            translation: soft_limit(
                self.translation.map(|c| c * k),
                config.max_translation as f64,
            ),
            expression: self.expression.iter().map(|e| e.map(|c| c * k)).collect(),
        }
    }
}

/// Transfers a driver's motion, frame by frame, onto one portrait.
pub struct MotionTransfer {
    portrait: Vec<[f64; 3]>,
    reference: Vec<[f32; 3]>,
    /// Maps the driver's reference head onto the portrait's head.
    align: Similarity,
    portrait_centre: [f64; 3],
    config: MotionConfig,
    filter: Option<OneEuro>,
    /// A faster filter for the eyelid components of the state (see [`LID_BETA`]).
    lid_filter: Option<OneEuro>,
    state: Vec<f64>,
    lost: usize,
}

impl MotionTransfer {
    /// Prepares the transfer from the portrait's landmarks and the driver's reference frame.
    pub fn new(
        portrait: &[[f32; 3]],
        driver_reference: &[[f32; 3]],
        config: MotionConfig,
    ) -> Result<Self> {
        if portrait.len() != MESH_POINTS || driver_reference.len() != MESH_POINTS {
            return Err(Error::BadInput(format!(
                "motion transfer needs {MESH_POINTS} landmarks per face"
            )));
        }
        config.validate()?;
        let align = fit_pose(driver_reference, portrait)
            .ok_or_else(|| Error::BadInput("the reference face is degenerate".into()))?;
        let smoothing = config.smoothing as f64;
        let min_cutoff = 0.3 + 4.0 * (1.0 - smoothing).powi(2);
        let rate = config.fps.max(1.0) as f64;
        let filter = (smoothing > 0.0).then(|| OneEuro::new(rate, min_cutoff, 3.0));
        let lid_filter = (smoothing > 0.0).then(|| OneEuro::new(rate, min_cutoff, LID_BETA));
        Ok(Self {
            portrait: portrait.iter().map(|p| to64(*p)).collect(),
            reference: driver_reference.to_vec(),
            align,
            portrait_centre: rigid_centroid(portrait),
            config,
            filter,
            lid_filter,
            state: DriverMotion::neutral().to_vec(),
            lost: 0,
        })
    }

    /// How many frames so far had no driver face (the portrait eased back to its reference pose).
    pub fn lost_frames(&self) -> usize {
        self.lost
    }

    /// The portrait's target landmarks (pixels) for the next driver frame, `None` where the
    /// driver's face was lost.
    pub fn next(&mut self, driver: Option<&[[f32; 3]]>) -> Vec<[f32; 3]> {
        let measured = driver.and_then(|d| DriverMotion::measure(&self.reference, d));
        match measured {
            Some(m) => {
                let m = m.scaled_and_limited(self.config.motion_scale as f64, &self.config);
                let v = m.to_vec();
                self.state = match self.filter.as_mut() {
                    Some(f) => f.filter(&v),
                    None => v.clone(),
                };
                if let Some(f) = self.lid_filter.as_mut() {
                    let lids = f.filter(&lid_components(&v));
                    for (k, x) in lid_state_indices().zip(lids) {
                        self.state[k] = x;
                    }
                }
            }
            None => {
                self.lost += 1;
                let tau = (self.config.ease_seconds as f64 / 3.0).max(1e-3);
                let keep = (-1.0 / (tau * self.config.fps.max(1.0) as f64)).exp();
                for v in self.state.iter_mut() {
                    *v *= keep;
                }
                if let Some(f) = self.filter.as_mut() {
                    f.reset_to(&self.state);
                }
                if let Some(f) = self.lid_filter.as_mut() {
                    f.reset_to(&lid_components(&self.state));
                }
            }
        }
        self.apply(&DriverMotion::from_vec(&self.state))
    }

    /// The portrait's landmarks moved by `motion`. The motion is the driver's relative to its
    /// own reference head, carried into the portrait's head frame (`align`): a nod is a nod
    /// of the portrait's head whether it is upright, tilted or lying on its side.
    pub fn apply(&self, motion: &DriverMotion) -> Vec<[f32; 3]> {
        let unit = self.align.scale * face_unit(&self.reference).unwrap_or(1.0);
        let a = &self.align.rotation;
        let rot = mul(
            &mul(a, &rotation_from_axis_angle(motion.rotation)),
            &transpose(a),
        );
        let translation = mul_vec(a, motion.translation);
        let scale = motion.log_scale.exp();
        let c = self.portrait_centre;
        self.portrait
            .iter()
            .zip(&motion.expression)
            .map(|(p, e)| {
                let e_p = mul_vec(&self.align.rotation, *e);
                let local = [0, 1, 2].map(|k| p[k] + e_p[k] * unit - c[k]);
                let r = mul_vec(&rot, local);
                [0, 1, 2].map(|k| (c[k] + scale * r[k] + translation[k] * unit) as f32)
            })
            .collect()
    }
}

/// Where the eyelid landmarks' expression components sit in a [`DriverMotion::to_vec`] vector.
fn lid_state_indices() -> impl Iterator<Item = usize> {
    RIGHT_EYE_UPPER
        .iter()
        .chain(RIGHT_EYE_LOWER)
        .chain(LEFT_EYE_UPPER)
        .chain(LEFT_EYE_LOWER)
        .flat_map(|&i| (0..3).map(move |k| 7 + 3 * i + k))
}

/// The eyelid components of a [`DriverMotion::to_vec`] vector.
fn lid_components(v: &[f64]) -> Vec<f64> {
    lid_state_indices().map(|k| v[k]).collect()
}

/// Shrinks vector `v` so its length approaches `limit` without passing it
/// (`limit · tanh(|v| / limit)`); a limit of 0 leaves it alone.
fn soft_limit(v: [f64; 3], limit: f64) -> [f64; 3] {
    let len = norm(v);
    if len < 1e-12 || limit <= 0.0 {
        return v;
    }
    let limited = limit * (len / limit).tanh();
    v.map(|c| c * limited / len)
}

/// The driver frame whose pose and expression are closest to the portrait's: after removing
/// in-plane position, rotation and scale (which a warp shows without trouble), the frame with
/// the smallest landmark difference. Frames caught mid-blink are passed over (a portrait with
/// narrow eyes would otherwise pick one, then stare wide-eyed and never blink), unless every
/// frame looks so (eyes shut throughout). `None` when no frame has a face.
pub fn pick_reference(portrait: &[[f32; 3]], frames: &[Option<Vec<[f32; 3]>>]) -> Option<usize> {
    let openings: Vec<Option<f32>> = frames
        .iter()
        .map(|f| f.as_deref().map(relative_eye_opening))
        .collect();
    let mut sorted: Vec<f32> = openings.iter().flatten().copied().collect();
    sorted.sort_by(f32::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    let blinking: Vec<bool> = openings
        .iter()
        .map(|o| o.is_some_and(|o| o < BLINK_OPENING * median))
        .collect();
    // The frames just before and after a blink still have the lids on their way.
    let mid_blink = |i: usize| {
        blinking[i.saturating_sub(BLINK_MARGIN)..(i + BLINK_MARGIN + 1).min(blinking.len())]
            .contains(&true)
    };
    let flat = |pts: &[[f32; 3]]| -> Vec<[f64; 3]> {
        pts.iter()
            .map(|p| [p[0] as f64, p[1] as f64, 0.0])
            .collect()
    };
    let from = flat(portrait);
    let weights = vec![1.0; from.len()];
    // A driver whose every frame looks mid-blink (eyes shut throughout) still has a reference.
    let open = (0..frames.len()).any(|i| frames[i].is_some() && !mid_blink(i));
    frames
        .iter()
        .enumerate()
        .filter(|(i, _)| !open || !mid_blink(*i))
        .filter_map(|(i, f)| {
            let to = flat(f.as_deref()?);
            let sim = fit_similarity(&from, &to, &weights)?;
            let unit = face_unit(f.as_deref()?)?;
            let err: f64 = from
                .iter()
                .zip(&to)
                .map(|(a, b)| {
                    let m = sim.apply(*a);
                    (m[0] - b[0]).powi(2) + (m[1] - b[1]).powi(2)
                })
                .sum();
            Some((i, err / unit.powi(2)))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Both eyes' mean lid gap over the eye distance.
fn relative_eye_opening(landmarks: &[[f32; 3]]) -> f32 {
    let right = eye_opening(landmarks, RIGHT_EYE_UPPER, RIGHT_EYE_LOWER);
    let left = eye_opening(landmarks, LEFT_EYE_UPPER, LEFT_EYE_LOWER);
    0.5 * (right + left) / eye_distance(landmarks).max(1e-6)
}

/// The head pose that maps `from`'s skull onto `to`'s (fitted on the rigid landmarks).
pub fn fit_pose(from: &[[f32; 3]], to: &[[f32; 3]]) -> Option<Similarity> {
    let a: Vec<_> = RIGID.iter().map(|&i| to64(from[i])).collect();
    let b: Vec<_> = RIGID.iter().map(|&i| to64(to[i])).collect();
    fit_similarity(&a, &b, &vec![1.0; a.len()])
}

/// The face-size unit: 3D distance between the outer eye corners, `None` if they coincide.
fn face_unit(landmarks: &[[f32; 3]]) -> Option<f64> {
    let (a, b) = (
        to64(landmarks[EYE_CORNERS[0]]),
        to64(landmarks[EYE_CORNERS[3]]),
    );
    let d = norm([a[0] - b[0], a[1] - b[1], a[2] - b[2]]);
    (d > 1e-6).then_some(d)
}

fn rigid_centroid(landmarks: &[[f32; 3]]) -> [f64; 3] {
    let mut c = [0.0; 3];
    for &i in RIGID {
        for k in 0..3 {
            c[k] += landmarks[i][k] as f64 / RIGID.len() as f64;
        }
    }
    c
}

fn to64(p: [f32; 3]) -> [f64; 3] {
    p.map(|c| c as f64)
}
