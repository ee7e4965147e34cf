//! The open mouth: where the target mouth opens wider than the portrait's, the warp can only
//! stretch the closed lip line, so the opening is painted over with a mouth interior — the
//! driver's own, warped into place and colour-matched to the portrait, or a shaded dark cavity
//! when the driver shows none (presets, closed driver mouth).

use super::field::{fit_affine, line_y_at, mix, pixel_bounds, smoothstep};
use super::frame::LocalFrame;
use super::remap::bilinear;
use crate::media::blend_over;
use crate::motion::regions::{
    eye_distance, face_down, mouth_opening, LIPS_INNER, LIPS_INNER_LOWER, LIPS_INNER_UPPER,
};
use image::RgbImage;

/// Cheek and forehead landmarks whose colour stands for the skin tone.
const SKIN: [usize; 5] = [50, 280, 187, 411, 151];

/// Width of the inner lip surface, relative to the mouth opening.
const RIM: f32 = 0.22;

/// Height of the upper teeth showing in an open mouth, relative to the eye distance.
const TEETH: f32 = 0.07;

/// How much darker the inner lip surface is than the lips outside.
const LIP_SHADE: f32 = 0.7;

/// The colour of a mouth cavity before shading (a dark red).
const CAVITY: [f32; 3] = [150.0, 45.0, 50.0];

/// Per-portrait state for painting mouth interiors.
pub(super) struct MouthFiller {
    portrait_opening: f32,
    skin: [f32; 3],
    lips: [f32; 3],
}

impl MouthFiller {
    /// Measures the portrait's own mouth opening and its skin and lip colours.
    pub(super) fn new(portrait: &RgbImage, landmarks: &[[f32; 3]]) -> Self {
        let lip_points: Vec<usize> = vec![0, 17, 37, 267, 84, 314];
        Self {
            portrait_opening: mouth_opening(landmarks) / eye_distance(landmarks).max(1.0),
            skin: mean_colour(portrait, landmarks, &SKIN),
            lips: mean_colour(portrait, landmarks, &lip_points),
        }
    }

    /// Paints the interior into `out` (the warped frame) inside the target mouth opening.
    pub(super) fn fill(
        &self,
        out: &mut RgbImage,
        target: &[[f32; 3]],
        driver: Option<(&RgbImage, &[[f32; 3]])>,
    ) {
        let unit = eye_distance(target).max(1.0);
        let opening = mouth_opening(target) / unit;
        let extra = opening - self.portrait_opening;
        // A portrait that already shows its mouth interior (teeth) is better stretched than painted.
        let strength =
            smoothstep(0.015, 0.05, extra) * (1.0 - smoothstep(0.04, 0.1, self.portrait_opening));
        if strength <= 0.0 {
            return;
        }
        let poly: Vec<[f32; 2]> = LIPS_INNER
            .iter()
            .map(|&i| [target[i][0], target[i][1]])
            .collect();
        let source =
            driver.filter(|(_, d)| mouth_opening(d) / eye_distance(d).max(1.0) >= 0.5 * opening);
        let interior = match source {
            Some((image, face)) => {
                let to: Vec<[f32; 2]> = LIPS_INNER
                    .iter()
                    .map(|&i| [face[i][0], face[i][1]])
                    .collect();
                let skin = luma(mean_colour(image, face, &SKIN)).max(1.0);
                Interior::Driver {
                    image,
                    affine: fit_affine(&poly, &to),
                    // Brightness relative to the driver's skin carries over to the portrait's.
                    exposure: luma(self.skin) / skin,
                    cavity: self.cavity(),
                    teeth: self.teeth(),
                }
            }
            None => Interior::Cavity {
                colour: self.cavity(),
                depth: (0.5 * mouth_opening(target)).max(1.0),
            },
        };
        let lip = |idx: &[usize]| -> Vec<[f32; 2]> {
            idx.iter().map(|&i| [target[i][0], target[i][1]]).collect()
        };
        let (upper, lower) = (lip(LIPS_INNER_UPPER), lip(LIPS_INNER_LOWER));
        // Depth in the opening is measured in the mouth's own frame (corner to corner, towards
        // the chin), so a tilted head shades its mouth like an upright one.
        let corner = |i: usize| [target[i][0], target[i][1]];
        let frame = LocalFrame::new(
            corner(LIPS_INNER[0]),
            corner(LIPS_INNER[LIPS_INNER.len() / 2]),
            face_down(target),
        );
        let local = |line: &[[f32; 2]]| -> Vec<[f32; 2]> {
            line.iter().map(|&p| frame.to_local(p)).collect()
        };
        let (upper, lower) = (local(&upper), local(&lower));
        let length = upper
            .iter()
            .chain(&lower)
            .map(|p| p[0])
            .fold(0.0f32, f32::max)
            .max(1.0);
        // The inner lip surface: a band inside the outline where the lips' own colour turns
        // into the cavity, which also softens the edge.
        let rim = (RIM * mouth_opening(target)).clamp(1.0, 6.0);
        let teeth = TEETH * unit;
        let (x0, y0, x1, y1) = pixel_bounds(&poly, 1.0, out.dimensions());
        for y in y0..y1 {
            for x in x0..x1 {
                let q = [x as f32, y as f32];
                let (inside, dist) = inside_and_distance(&poly, q);
                let d = if inside { dist } else { -dist };
                let alpha = smoothstep(-0.7, 0.3 + 0.4 * rim, d) * strength;
                if alpha <= 0.0 {
                    continue;
                }
                let l = frame.to_local(q);
                let colour = interior.colour(q, d.max(0.0));
                let colour = self.shade(colour, opening_depth(&upper, &lower, l));
                let colour = match interior {
                    Interior::Cavity { .. } => self.upper_teeth(colour, &upper, &lower, l, teeth),
                    Interior::Driver { .. } => colour,
                };
                // Mouth corners sit deeper in shadow.
                let corner = (l[0].min(length - l[0]) / length).max(0.0);
                let colour = colour.map(|c| c * (0.7 + 0.3 * smoothstep(0.0, 0.2, corner)));
                let lip = self.lips.map(|c| LIP_SHADE * c);
                let colour = mix(lip, colour, smoothstep(0.0, rim, d));
                blend_over(out.get_pixel_mut(x, y), colour, alpha);
            }
        }
    }
}

impl MouthFiller {
    /// Gives the flat interior colour depth: the upper lip's shadow darkens the top of the
    /// opening, and the tongue, tinted like the lips, lightens its bottom. `v` is the height in
    /// the opening, 0 at the upper lip and 1 at the lower.
    fn shade(&self, colour: [f32; 3], v: f32) -> [f32; 3] {
        let shadow = 0.55 + 0.45 * smoothstep(0.0, 0.4, v);
        let tongue = 0.45 * smoothstep(0.55, 1.0, v);
        [0, 1, 2].map(|c| {
            let own = colour[c] * shadow;
            own + tongue * (0.7 * self.lips[c] - own).max(0.0)
        })
    }

    /// The painted cavity with the upper teeth showing under the upper lip, as they do in
    /// speech: a band `height` pixels tall (at most half the opening), in the shadow of the
    /// lip at its top, fading out towards the corners. `l` is the pixel in the mouth's frame.
    fn upper_teeth(
        &self,
        colour: [f32; 3],
        upper: &[[f32; 2]],
        lower: &[[f32; 2]],
        l: [f32; 2],
        height: f32,
    ) -> [f32; 3] {
        let (top, bottom) = (line_y_at(upper, l[0]), line_y_at(lower, l[0]));
        let height = height.min(0.5 * (bottom - top)).max(0.0);
        let below = l[1] - top;
        let (first, last) = (upper[0][0], upper[upper.len() - 1][0]);
        let across = ((l[0] - first).min(last - l[0]) / (last - first).max(1.0)).max(0.0);
        let cover = (1.0 - smoothstep(0.4 * height, height, below)) * smoothstep(0.08, 0.3, across);
        let lit = 0.75 + 0.25 * smoothstep(0.0, 0.4 * height, below);
        mix(colour, self.teeth().map(|c| c * lit), 0.75 * cover)
    }

    /// The portrait's teeth colour: off-white tinted by its skin (and so its light).
    fn teeth(&self) -> [f32; 3] {
        [0, 1, 2].map(|c| 0.55 * self.skin[c] + 0.45 * 225.0)
    }

    /// The portrait's mouth-cavity colour: a dark red tinted by its lips.
    fn cavity(&self) -> [f32; 3] {
        [0, 1, 2].map(|c| 0.5 * self.lips[c] + 0.5 * CAVITY[c])
    }
}

enum Interior<'a> {
    /// The driver's mouth interior, re-coloured: its shading is kept, its colours (the red lips
    /// the mesh outline takes in, the driver's teeth and light) become the portrait's cavity and
    /// teeth colours.
    Driver {
        image: &'a RgbImage,
        affine: [f32; 6],
        exposure: f32,
        cavity: [f32; 3],
        teeth: [f32; 3],
    },
    /// A shaded dark cavity.
    Cavity { colour: [f32; 3], depth: f32 },
}

impl Interior<'_> {
    fn colour(&self, q: [f32; 2], inside_dist: f32) -> [f32; 3] {
        match self {
            Interior::Driver {
                image,
                affine,
                exposure,
                cavity,
                teeth,
            } => {
                let [a, b, c, d, e, f] = *affine;
                let (w, h) = image.dimensions();
                let (x, y) = (a * q[0] + b * q[1] + c, d * q[0] + e * q[1] + f);
                let px = bilinear(image.as_raw(), w, h, x, y).map(|v| v as f32);
                let l = (luma(px) * exposure / 255.0).clamp(0.0, 1.0);
                let max = px[0].max(px[1]).max(px[2]).max(1.0);
                let sat = (max - px[0].min(px[1]).min(px[2])) / max;
                let toothy = smoothstep(0.45, 0.75, l) * (1.0 - smoothstep(0.25, 0.45, sat));
                [0, 1, 2].map(|k| {
                    let dark = cavity[k] * (0.25 + 0.6 * l);
                    let bright = teeth[k] * (l / 0.8).min(1.0);
                    dark + toothy * (bright - dark)
                })
            }
            Interior::Cavity { colour, depth } => {
                // Darker towards the middle of the opening.
                let t = (inside_dist / depth).clamp(0.0, 1.0);
                colour.map(|c| c * (0.55 - 0.35 * t))
            }
        }
    }
}

/// How deep `q` lies in the mouth opening between the `upper` and `lower` inner-lip lines
/// (each from corner to corner, all in the mouth's frame): 0 on the upper lip, 1 on the lower,
/// by linear interpolation along the frame's x.
fn opening_depth(upper: &[[f32; 2]], lower: &[[f32; 2]], q: [f32; 2]) -> f32 {
    let (top, bottom) = (line_y_at(upper, q[0]), line_y_at(lower, q[0]));
    ((q[1] - top) / (bottom - top).max(1.0)).clamp(0.0, 1.0)
}

/// Rec. 601 luma of an RGB colour.
fn luma(c: [f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

/// Whether `q` is inside the closed polygon, and its distance to the polygon's outline.
fn inside_and_distance(poly: &[[f32; 2]], q: [f32; 2]) -> (bool, f32) {
    let mut inside = false;
    let mut best = f32::MAX;
    for k in 0..poly.len() {
        let a = poly[k];
        let b = poly[(k + 1) % poly.len()];
        if (a[1] > q[1]) != (b[1] > q[1]) {
            let x = a[0] + (q[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if q[0] < x {
                inside = !inside;
            }
        }
        let ab = [b[0] - a[0], b[1] - a[1]];
        let len2 = (ab[0] * ab[0] + ab[1] * ab[1]).max(1e-12);
        let t = (((q[0] - a[0]) * ab[0] + (q[1] - a[1]) * ab[1]) / len2).clamp(0.0, 1.0);
        let d = ((q[0] - a[0] - t * ab[0]).powi(2) + (q[1] - a[1] - t * ab[1]).powi(2)).sqrt();
        best = best.min(d);
    }
    (inside, best)
}

/// Mean colour of 5×5 patches around the given landmarks.
fn mean_colour(image: &RgbImage, landmarks: &[[f32; 3]], idx: &[usize]) -> [f32; 3] {
    let (w, h) = image.dimensions();
    let mut sum = [0.0f32; 3];
    let mut n = 0.0;
    for &i in idx {
        let (cx, cy) = (
            landmarks[i][0].round() as i64,
            landmarks[i][1].round() as i64,
        );
        for dy in -2..=2 {
            for dx in -2..=2 {
                let (x, y) = (cx + dx, cy + dy);
                if x >= 0 && y >= 0 && x < w as i64 && y < h as i64 {
                    let p = image.get_pixel(x as u32, y as u32);
                    for c in 0..3 {
                        sum[c] += p[c] as f32;
                    }
                    n += 1.0;
                }
            }
        }
    }
    if n == 0.0 {
        return [128.0; 3];
    }
    sum.map(|s| s / n)
}
