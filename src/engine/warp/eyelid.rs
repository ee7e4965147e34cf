//! Blinks: a smooth warp can only squash the eye opening between lids that move together, so a
//! closing eye would keep its iris as a dark slit. Where the target lids close more than the
//! portrait's, the upper lid is drawn down over the eye instead: the lid skin above the lash line
//! slides down to the target lid line (the portrait's own lash line riding on its edge, darkened
//! a little), and whatever of the eye is still open shows the portrait's eye unsquashed, its top
//! hidden under the lid.
//!
//! All lid geometry is worked out in each eye's own frame ([`LocalFrame`]: x from the outer to
//! the inner corner, y towards the chin), so a tilted head or a portrait lying on its side has
//! the same "upper" and "lower" lids as an upright one.

use super::field::{line_y_at, mix, pixel_bounds, smoothstep};
use super::frame::LocalFrame;
use super::grid::WarpGrid;
use super::remap::bilinear;
use crate::media::blend_over;
use crate::motion::regions::{
    eye_distance, eye_opening, face_down, EYE_CORNERS, LEFT_EYE_LOWER, LEFT_EYE_UPPER,
    RIGHT_EYE_LOWER, RIGHT_EYE_UPPER,
};
use image::RgbImage;

/// One eye's landmarks: outer and inner corner, upper and lower lid from outer to inner.
struct EyeIndices {
    corners: [usize; 2],
    upper: &'static [usize],
    lower: &'static [usize],
}

/// The image-left eye, then the image-right one.
const EYES: [EyeIndices; 2] = [
    EyeIndices {
        corners: [EYE_CORNERS[0], EYE_CORNERS[1]],
        upper: RIGHT_EYE_UPPER,
        lower: RIGHT_EYE_LOWER,
    },
    EyeIndices {
        corners: [EYE_CORNERS[3], EYE_CORNERS[2]],
        upper: LEFT_EYE_UPPER,
        lower: LEFT_EYE_LOWER,
    },
];

/// Closure (1 − target opening / portrait opening) where the lid fill starts, and where it is
/// fully on: below it the warp's slight squash of the eye is invisible.
const CLOSURE_RAMP: [f32; 2] = [0.03, 0.12];

/// Closure over which the last gap between the lids shuts: lashes meet before the lid margins
/// do, and a one-pixel slit would read as a squint.
const SHUT_RAMP: [f32; 2] = [0.75, 0.9];

/// How far above the lash line (in eye-opening heights) the lid skin that slides down starts.
const LID_BAND: f32 = 0.6;

/// How far below the lower lash line the lower lid's upward slide reaches, relative to the
/// upper lid's band.
const LOWER_BAND: f32 = 0.6;

/// How far (in eye-opening heights) outside each lash line the lid skin is sampled, so that no
/// iris or sclera is dragged along with the lid.
const LASH_MARGIN: f32 = 0.1;

/// How much the closing seam is darkened (a faint lash line), 0..1.
const LASH_DARKENING: f32 = 0.35;

/// Per-portrait state for drawing eyelids down over closing eyes.
pub(super) struct EyelidFiller {
    eyes: Vec<PortraitEye>,
}

/// One of the portrait's eyes: corners in portrait pixels, lids in the eye's frame.
struct PortraitEye {
    indices: &'static EyeIndices,
    /// Outer and inner corner.
    corners: [[f32; 2]; 2],
    /// The eye's frame in the portrait: origin at the outer corner, x towards the inner one.
    frame: LocalFrame,
    /// Distance from the outer to the inner corner: the inner corner's local x.
    length: f32,
    /// Upper lid line, corner to corner, in the eye's frame.
    upper: Vec<[f32; 2]>,
    /// Lower lid line, corner to corner, in the eye's frame.
    lower: Vec<[f32; 2]>,
    /// Mean lid gap relative to the eye distance.
    opening: f32,
    /// Largest lid gap in pixels.
    height: f32,
}

impl EyelidFiller {
    /// Measures the portrait's eyes. An eye that is already closed in the portrait is left to
    /// the warp.
    pub(super) fn new(landmarks: &[[f32; 3]]) -> Self {
        let unit = eye_distance(landmarks).max(1.0);
        let down = face_down(landmarks);
        let eyes = EYES
            .iter()
            .map(|idx| {
                let corners = idx.corners.map(|i| [landmarks[i][0], landmarks[i][1]]);
                let frame = LocalFrame::new(corners[0], corners[1], down);
                let (upper, lower) = lid_lines(landmarks, idx);
                let local = |line: Vec<[f32; 2]>| -> Vec<[f32; 2]> {
                    line.into_iter().map(|p| frame.to_local(p)).collect()
                };
                let (upper, lower) = (local(upper), local(lower));
                let height = upper
                    .iter()
                    .zip(&lower)
                    .map(|(u, l)| l[1] - u[1])
                    .fold(0.0, f32::max);
                PortraitEye {
                    indices: idx,
                    corners,
                    frame,
                    length: frame.to_local(corners[1])[0],
                    upper,
                    lower,
                    opening: eye_opening(landmarks, idx.upper, idx.lower) / unit,
                    height,
                }
            })
            .filter(|e| e.height >= 2.0 && e.opening > 0.02 && e.length >= 2.0)
            .collect();
        Self { eyes }
    }

    /// Draws the lids into `out` (the warped frame) wherever the `target` eyes are more closed
    /// than the portrait's, sampling lid and eye from `portrait`.
    /// `grid` is the frame's warp, which the lid slides blend into at their far ends.
    pub(super) fn fill(
        &self,
        out: &mut RgbImage,
        portrait: &RgbImage,
        grid: &WarpGrid,
        target: &[[f32; 3]],
    ) {
        let unit = eye_distance(target).max(1.0);
        for eye in &self.eyes {
            let idx = eye.indices;
            let opening = eye_opening(target, idx.upper, idx.lower) / unit;
            let closure = 1.0 - opening / eye.opening;
            let strength = smoothstep(CLOSURE_RAMP[0], CLOSURE_RAMP[1], closure);
            if strength > 0.0 {
                let shut = smoothstep(SHUT_RAMP[0], SHUT_RAMP[1], closure);
                eye.fill(out, portrait, grid, target, strength, shut);
            }
        }
    }
}

impl PortraitEye {
    /// Paints this eye with its lid closed as far as the target lids say, blended by `strength`.
    /// `shut` (0..1) moves the seam the rest of the way down to the lower lid.
    fn fill(
        &self,
        out: &mut RgbImage,
        portrait: &RgbImage,
        grid: &WarpGrid,
        target: &[[f32; 3]],
        strength: f32,
        shut: f32,
    ) {
        let tc = self.indices.corners.map(|i| [target[i][0], target[i][1]]);
        if (tc[1][0] - tc[0][0]).hypot(tc[1][1] - tc[0][1]) < 1.0 {
            // An eye seen edge-on has no lid to draw.
            return;
        }
        // The eye moves with its corners; the lids move within it.
        let to_portrait = similarity(tc, self.corners);
        let to_output = similarity(self.corners, tc);
        let scale = to_portrait[0].hypot(to_portrait[3]);
        let (t_upper, t_lower) = lid_lines(target, self.indices);
        let local = |line: Vec<[f32; 2]>| -> Vec<[f32; 2]> {
            line.into_iter()
                .map(|p| self.frame.to_local(apply(&to_portrait, p)))
                .collect()
        };
        let (t_upper, t_lower) = (local(t_upper), local(t_lower));
        let band = LID_BAND * self.height;
        // Soft edges one output pixel wide, in portrait pixels.
        let edge = scale.max(0.25);
        let image = |l: [f32; 2]| self.frame.to_image(l);

        let corners_out: Vec<[f32; 2]> = self
            .upper
            .iter()
            .map(|p| [p[0], p[1] - band])
            .chain(self.lower.iter().copied())
            .chain(t_lower.iter().copied())
            .map(|l| apply(&to_output, image(l)))
            .collect();
        let (x0, y0, x1, y1) = pixel_bounds(&corners_out, 2.0, out.dimensions());
        let raw = portrait.as_raw();
        let (pw, ph) = portrait.dimensions();
        for y in y0..y1 {
            for x in x0..x1 {
                let p = apply(&to_portrait, [x as f32, y as f32]);
                let l = self.frame.to_local(p);
                if l[0] <= 0.0 || l[0] >= self.length {
                    continue;
                }
                // 0 at either corner, 1 in the middle of the eye.
                let across = (1.0 - (2.0 * l[0] / self.length - 1.0).abs()).max(0.0);
                let up = line_y_at(&self.upper, l[0]);
                // Lids that touch or cross in the portrait leave no opening to cover.
                let low = line_y_at(&self.lower, l[0]).max(up);
                let bottom = line_y_at(&t_lower, l[0]).min(low).max(up);
                let seam = line_y_at(&t_upper, l[0]).clamp(up, bottom);
                let seam = seam + shut * (bottom - seam);
                let (top, floor) = (up - band, low + LOWER_BAND * band);
                if l[1] < top || l[1] > floor {
                    continue;
                }
                // Towards the corners the lid slides fade into the warp.
                let weight = if l[1] < up || l[1] > low {
                    smoothstep(0.0, 0.3, across)
                } else {
                    1.0
                };
                let alpha = weight * strength;
                if alpha <= 0.0 {
                    continue;
                }
                let sample = |at: [f32; 2]| bilinear(raw, pw, ph, at[0], at[1]).map(f32::from);
                let lerp =
                    |a: [f32; 2], b: [f32; 2], t: f32| [0, 1].map(|k| a[k] + t * (b[k] - a[k]));
                // Where the warp takes the far end of a lid slide from: the slide starts there,
                // so it joins the warped picture without a seam.
                let warped = |y: f32| {
                    let q = apply(&to_output, image([l[0], y]));
                    grid.sample(q[0], q[1])
                };
                // The upper lid: skin from `top` (as the warp shows it) to just above the lash
                // line, stretched down to the seam, where a faint lash line darkens it.
                let upper_lid = || {
                    let lash_line = up - LASH_MARGIN * self.height;
                    let t = ((l[1] - top) / (seam - top).max(1e-3)).min(1.0);
                    let lash = LASH_DARKENING
                        * (-((seam - l[1]).max(0.0) / (0.12 * self.height).max(edge)).powi(2))
                            .exp()
                        * smoothstep(0.0, 0.4, across);
                    sample(lerp(warped(top), image([l[0], lash_line]), t)).map(|c| c * (1.0 - lash))
                };
                // The lower lid: skin from just below its lash line to `floor` (as the warp
                // shows it), stretched up to the target lower lid.
                let lower_lid = || {
                    let lash_line = low + LASH_MARGIN * self.height;
                    let t = ((l[1] - bottom) / (floor - bottom).max(1e-3)).max(0.0);
                    sample(lerp(image([l[0], lash_line]), warped(floor), t))
                };
                // Between the lids: the portrait's eye, unsquashed; edges anti-aliased.
                let covered = 1.0 - smoothstep(seam - 0.5 * edge, seam + 0.5 * edge, l[1]);
                let below = smoothstep(bottom - 0.5 * edge, bottom + 0.5 * edge, l[1]);
                let colour = if seam >= bottom {
                    // Shut: the lids meet at the seam.
                    mix(upper_lid(), lower_lid(), below)
                } else {
                    let mut c = sample(p);
                    if covered > 0.0 {
                        c = mix(c, upper_lid(), covered);
                    }
                    if below > 0.0 {
                        c = mix(c, lower_lid(), below);
                    }
                    c
                };
                blend_over(out.get_pixel_mut(x, y), colour, alpha);
            }
        }
    }
}

/// An eye's upper and lower lid lines, each running from the outer to the inner corner.
fn lid_lines(landmarks: &[[f32; 3]], idx: &EyeIndices) -> (Vec<[f32; 2]>, Vec<[f32; 2]>) {
    let line = |lid: &[usize]| -> Vec<[f32; 2]> {
        std::iter::once(idx.corners[0])
            .chain(lid.iter().copied())
            .chain(std::iter::once(idx.corners[1]))
            .map(|i| [landmarks[i][0], landmarks[i][1]])
            .collect()
    };
    (line(idx.upper), line(idx.lower))
}

/// The similarity (rotation, uniform scale, translation) taking `from[0]` to `to[0]` and
/// `from[1]` to `to[1]`, as an affine `[a, b, c, d, e, f]`.
fn similarity(from: [[f32; 2]; 2], to: [[f32; 2]; 2]) -> [f32; 6] {
    let u = [from[1][0] - from[0][0], from[1][1] - from[0][1]];
    let v = [to[1][0] - to[0][0], to[1][1] - to[0][1]];
    let n = (u[0] * u[0] + u[1] * u[1]).max(1e-6);
    // v = (re + i·im)·u as complex numbers.
    let re = (v[0] * u[0] + v[1] * u[1]) / n;
    let im = (v[1] * u[0] - v[0] * u[1]) / n;
    let (a, b, d, e) = (re, -im, im, re);
    [
        a,
        b,
        to[0][0] - a * from[0][0] - b * from[0][1],
        d,
        e,
        to[0][1] - d * from[0][0] - e * from[0][1],
    ]
}

fn apply(m: &[f32; 6], p: [f32; 2]) -> [f32; 2] {
    [
        m[0] * p[0] + m[1] * p[1] + m[2],
        m[3] * p[0] + m[4] * p[1] + m[5],
    ]
}
