//! Built-in motions for users without a driver video (`--driver preset:NAME`): synthetic driver
//! landmark tracks made by moving a neutral face (the portrait's own) with head rotations and
//! expression templates.

use super::linalg::{mul_vec, rotation_from_axis_angle};
use super::regions::{
    EYE_CORNERS, JAW, LEFT_EYE_LOWER, LEFT_EYE_UPPER, LIPS_INNER, LIPS_OUTER, RIGHT_EYE_LOWER,
    RIGHT_EYE_UPPER, RIGID,
};
use crate::{Error, Result};
use std::f64::consts::TAU;

/// A named built-in motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Breathing, blinks and a slight sway; loops seamlessly.
    Idle,
    /// Blinks at a natural rate, head still.
    Blink,
    /// Nodding.
    Nod,
    /// A smile that comes and goes.
    Smile,
    /// Jaw and lips moving as in speech, with small head motion.
    Talk,
}

impl Preset {
    /// All presets with their names, for help texts and errors.
    pub const ALL: [(&'static str, Preset); 5] = [
        ("idle", Preset::Idle),
        ("blink", Preset::Blink),
        ("nod", Preset::Nod),
        ("smile", Preset::Smile),
        ("talk", Preset::Talk),
    ];

    /// The preset's name, as `preset:NAME` takes it.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("?", |(n, _)| n)
    }

    /// Parses a preset name (`idle`, `blink`, `nod`, `smile`, `talk`).
    pub fn from_name(name: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|(n, _)| *n).collect();
                Error::BadInput(format!(
                    "unknown preset '{name}'; choose one of: {}",
                    names.join(", ")
                ))
            })
    }

    /// The driver landmark track: `frames` frames at `fps`, made by moving `neutral`.
    /// Frame 0 is always the neutral face itself (the natural reference frame); for `Idle` the
    /// frame after the last is frame 0 again, so the clip loops without a jump.
    pub fn track(self, neutral: &[[f32; 3]], fps: f32, frames: usize) -> Vec<Vec<[f32; 3]>> {
        let duration = frames as f64 / fps as f64;
        (0..frames)
            .map(|i| {
                let t = i as f64 / fps as f64;
                let pose = self.pose_at(t, duration);
                let face = Face::new(neutral);
                face.posed(&self.expression_at(t, duration), pose)
            })
            .collect()
    }

    /// Head rotation (pitch, yaw, roll in radians) and relative scale at time `t`.
    fn pose_at(self, t: f64, duration: f64) -> ([f64; 3], f64) {
        // Periods that fit a whole number of times into the clip, so every preset loops.
        let period = |target: f64| duration / (duration / target).round().max(1.0);
        let wave = |target: f64| (TAU * t / period(target)).sin();
        match self {
            Preset::Idle => (
                [
                    0.012 * wave(5.0),
                    0.035 * wave(7.0),
                    0.02 * (TAU * t / period(6.0)).cos() - 0.02,
                ],
                1.0 + 0.006 * (1.0 - (TAU * t / period(4.0)).cos()),
            ),
            Preset::Nod => ([0.14 * wave(1.6), 0.0, 0.0], 1.0),
            Preset::Talk => ([0.03 * wave(2.3), 0.03 * wave(3.1), 0.015 * wave(4.0)], 1.0),
            Preset::Blink | Preset::Smile => ([0.0; 3], 1.0),
        }
    }

    /// Expression weights at time `t`.
    fn expression_at(self, t: f64, duration: f64) -> Expression {
        let blink_every = |interval: f64| {
            let n = (duration / interval).round().max(1.0);
            let phase = (t / (duration / n)).fract() * (duration / n);
            blink_curve(phase - 0.5 * duration / n)
        };
        match self {
            Preset::Idle => Expression {
                blink: blink_every(3.5),
                ..Default::default()
            },
            Preset::Blink => Expression {
                blink: blink_every(1.8),
                ..Default::default()
            },
            Preset::Nod => Expression::default(),
            Preset::Smile => Expression {
                smile: 0.5 * (1.0 - (TAU * t / duration).cos()),
                blink: blink_every(4.0),
                ..Default::default()
            },
            Preset::Talk => {
                // Syllables: two incommensurate rhythms give a speech-like, non-repeating jaw.
                let s = (TAU * 3.7 * t).sin() * 0.6 + (TAU * 5.3 * t + 1.0).sin() * 0.4;
                let fade = (t / 0.3).min((duration - t) / 0.3).clamp(0.0, 1.0);
                Expression {
                    jaw: fade * s.max(0.0).powf(0.8),
                    blink: blink_every(3.0),
                    smile: 0.15,
                }
            }
        }
    }
}

/// Eyelid closure over a 0.3 s blink centred on 0.
fn blink_curve(dt: f64) -> f64 {
    let half = 0.15;
    if dt.abs() >= half {
        0.0
    } else {
        0.5 * (1.0 + (std::f64::consts::PI * dt / half).cos())
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Expression {
    blink: f64,
    smile: f64,
    jaw: f64,
}

/// A neutral face with its head frame: eye-line axis, downward axis, size unit, rotation centre.
struct Face<'a> {
    neutral: &'a [[f32; 3]],
    right: [f64; 2],
    down: [f64; 2],
    unit: f64,
    centre: [f64; 3],
}

impl<'a> Face<'a> {
    fn new(neutral: &'a [[f32; 3]]) -> Self {
        let (a, b) = (neutral[EYE_CORNERS[0]], neutral[EYE_CORNERS[3]]);
        let d = [(b[0] - a[0]) as f64, (b[1] - a[1]) as f64];
        let unit = d[0].hypot(d[1]).max(1e-6);
        let right = [d[0] / unit, d[1] / unit];
        let mut centre = [0.0; 3];
        for &i in RIGID {
            for (k, c) in centre.iter_mut().enumerate() {
                *c += neutral[i][k] as f64 / RIGID.len() as f64;
            }
        }
        Self {
            neutral,
            right,
            down: [-right[1], right[0]],
            unit,
            centre,
        }
    }

    /// The face with `expr` applied, then rotated by `pose` around the head centre.
    fn posed(&self, expr: &Expression, pose: ([f64; 3], f64)) -> Vec<[f32; 3]> {
        let mut pts: Vec<[f64; 3]> = self.neutral.iter().map(|p| p.map(|c| c as f64)).collect();
        self.apply_blink(&mut pts, expr.blink);
        self.apply_smile(&mut pts, expr.smile);
        self.apply_jaw(&mut pts, expr.jaw);
        let rot = rotation_from_axis_angle(pose.0);
        pts.iter()
            .map(|p| {
                let local = [0, 1, 2].map(|k| p[k] - self.centre[k]);
                let r = mul_vec(&rot, local);
                [0, 1, 2].map(|k| (self.centre[k] + pose.1 * r[k]) as f32)
            })
            .collect()
    }

    fn apply_blink(&self, pts: &mut [[f64; 3]], amount: f64) {
        if amount <= 0.0 {
            return;
        }
        for (upper, lower) in [
            (RIGHT_EYE_UPPER, RIGHT_EYE_LOWER),
            (LEFT_EYE_UPPER, LEFT_EYE_LOWER),
        ] {
            for (&u, &l) in upper.iter().zip(lower) {
                let (pu, pl) = (pts[u], pts[l]);
                // The upper lid does most of the travel; both meet a little above the lower lid.
                let meet = [0, 1, 2].map(|k| pl[k] + 0.2 * (pu[k] - pl[k]));
                for k in 0..3 {
                    pts[u][k] += amount * (meet[k] - pu[k]);
                    pts[l][k] += amount * (meet[k] - pl[k]);
                }
            }
        }
    }

    fn apply_smile(&self, pts: &mut [[f64; 3]], amount: f64) {
        if amount <= 0.0 {
            return;
        }
        let mouth_centre = self.centroid(LIPS_OUTER);
        // Corners move out and up; other lip points follow by how far out they sit.
        let half_width = {
            let (l, r) = (pts[61], pts[291]);
            0.5 * ((r[0] - l[0]).powi(2) + (r[1] - l[1]).powi(2)).sqrt()
        };
        for &i in LIPS_OUTER.iter().chain(LIPS_INNER) {
            let p = pts[i];
            let off =
                (p[0] - mouth_centre[0]) * self.right[0] + (p[1] - mouth_centre[1]) * self.right[1];
            let side = (off / half_width.max(1e-6)).clamp(-1.0, 1.0);
            let reach = side.abs().powf(1.5);
            let dx = amount * 0.08 * self.unit * side;
            let dy = -amount * 0.07 * self.unit * reach;
            pts[i][0] += dx * self.right[0] + dy * self.down[0];
            pts[i][1] += dx * self.right[1] + dy * self.down[1];
        }
    }

    fn apply_jaw(&self, pts: &mut [[f64; 3]], amount: f64) {
        if amount <= 0.0 {
            return;
        }
        let drop = amount * 0.22 * self.unit;
        for &(i, w) in JAW {
            pts[i][0] += drop * w as f64 * self.down[0];
            pts[i][1] += drop * w as f64 * self.down[1];
        }
    }

    fn centroid(&self, idx: &[usize]) -> [f64; 2] {
        let n = idx.len() as f64;
        let sx: f64 = idx.iter().map(|&i| self.neutral[i][0] as f64).sum();
        let sy: f64 = idx.iter().map(|&i| self.neutral[i][1] as f64).sum();
        [sx / n, sy / n]
    }
}
