//! From sparse landmark motion to the dense backward map: the rigid head and body layers
//! ([`Layers`]: hair, ears, neck, shoulders and torso follow; background and frame edges stay),
//! plus a Gaussian RBF for the expression, then a repair pass that removes any fold.

use super::grid::WarpGrid;
use super::layers::Layers;
use super::rbf::GaussianRbf;
use crate::motion::regions::{
    eye_distance, face_down, EYE_CORNERS, FACE_OVAL, LEFT_EYE_LOWER, LEFT_EYE_UPPER, LIPS_INNER,
    LIPS_INNER_LOWER, LIPS_INNER_UPPER, LIPS_OUTER, RIGHT_EYE_LOWER, RIGHT_EYE_UPPER, RIGID,
};
use rayon::prelude::*;

/// How far outside the jaw line (in RBF kernel widths) the band that moves with the jaw reaches.
const JAW_BAND: f32 = 1.0;

/// Smallest allowed Jacobian determinant of the backward map, relative to the identity's.
pub const MIN_JACOBIAN: f32 = 0.01;

/// Per-portrait state that turns target landmarks into a [`WarpGrid`].
pub struct WarpField {
    source: Vec<[f32; 2]>,
    controls: Vec<usize>,
    width: u32,
    height: u32,
    spacing: u32,
    sigma: f32,
}

impl WarpField {
    /// Prepares the field for a portrait of `width` × `height` pixels with these landmarks.
    pub fn new(portrait: &[[f32; 3]], width: u32, height: u32) -> Self {
        let source: Vec<[f32; 2]> = portrait.iter().map(|p| [p[0], p[1]]).collect();
        let unit = eye_distance(portrait).max(4.0);
        let spacing = (unit / 14.0).round().clamp(2.0, 16.0) as u32;
        Self {
            controls: pick_controls(&source, unit),
            source,
            width,
            height,
            spacing,
            sigma: 0.12 * unit,
        }
    }

    /// The backward map that moves the portrait's landmarks onto `target` (portrait pixels).
    pub fn grid(&self, target: &[[f32; 3]]) -> WarpGrid {
        let target: Vec<[f32; 2]> = target.iter().map(|p| [p[0], p[1]]).collect();
        let head = Layers::new(&self.source, &target, self.width, self.height, self.spacing);
        let mut pairs: Vec<([f32; 2], [f32; 2])> = self
            .controls
            .iter()
            .map(|&i| (target[i], self.source[i]))
            .collect();
        pairs.extend(self.mouth_controls(&target));
        pairs.extend(self.jaw_controls(&target));
        let centres: Vec<[f32; 2]> = pairs.iter().map(|p| p.0).collect();
        let residuals: Vec<[f32; 2]> = pairs
            .iter()
            .map(|(t, s)| {
                let base = head.map(*t);
                [s[0] - base[0], s[1] - base[1]]
            })
            .collect();
        let rbf = GaussianRbf::fit(&centres, &residuals, self.sigma, 0.02);
        let support = rbf.support();
        let mut grid = WarpGrid::identity(self.width, self.height, self.spacing);
        let cols = grid.cols;
        let spacing = grid.spacing;
        grid.source
            .par_chunks_mut(cols)
            .enumerate()
            .for_each(|(j, row)| {
                for (i, node) in row.iter_mut().enumerate() {
                    let q = [(i as u32 * spacing) as f32, (j as u32 * spacing) as f32];
                    let mut p = head.map(q);
                    if q[0] >= support[0]
                        && q[0] <= support[2]
                        && q[1] >= support[1]
                        && q[1] <= support[3]
                    {
                        let r = rbf.eval(q);
                        let e = head.edge_weight(q);
                        p = [p[0] + e * r[0], p[1] + e * r[1]];
                    }
                    *node = p;
                }
            });
        unfold(&mut grid);
        grid
    }
}

impl WarpField {
    /// Extra (target, source) pairs across an opened mouth, between each upper and lower inner-lip
    /// point: the opening then maps evenly onto the portrait's lip line instead of ringing (and
    /// folding) around the jump from upper to lower lip.
    fn mouth_controls(&self, target: &[[f32; 2]]) -> Vec<([f32; 2], [f32; 2])> {
        let lerp =
            |a: [f32; 2], b: [f32; 2], t: f32| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        let mut out = Vec::new();
        for (&u, &l) in LIPS_INNER_UPPER.iter().zip(LIPS_INNER_LOWER) {
            let gap = (target[l][0] - target[u][0]).hypot(target[l][1] - target[u][1]);
            if gap < 0.4 * self.sigma {
                continue;
            }
            for t in [0.25, 0.5, 0.75] {
                out.push((
                    lerp(target[u], target[l], t),
                    lerp(self.source[u], self.source[l], t),
                ));
            }
        }
        out
    }
}

impl WarpField {
    /// Extra (target, source) pairs just outside the jaw line, each moving with its jaw point:
    /// the shadow under a painted jaw then follows the chin instead of staying behind as a
    /// second jawline when the mouth opens.
    fn jaw_controls(&self, target: &[[f32; 2]]) -> Vec<([f32; 2], [f32; 2])> {
        let centre = |pts: &[[f32; 2]]| {
            let n = FACE_OVAL.len() as f32;
            [0, 1].map(|k| FACE_OVAL.iter().map(|&i| pts[i][k]).sum::<f32>() / n)
        };
        let (ct, cs) = (centre(target), centre(&self.source));
        // The jaw is the lower half of the oval in the face's own frame.
        let down = face_down(&self.source);
        let out = |p: [f32; 2], c: [f32; 2]| {
            let d = [p[0] - c[0], p[1] - c[1]];
            let len = d[0].hypot(d[1]).max(1e-3);
            [0, 1].map(|k| p[k] + JAW_BAND * self.sigma * d[k] / len)
        };
        FACE_OVAL
            .iter()
            .filter(|&&i| {
                let d = [self.source[i][0] - cs[0], self.source[i][1] - cs[1]];
                d[0] * down[0] + d[1] * down[1] > 0.0
            })
            .map(|&i| (out(target[i], ct), out(self.source[i], cs)))
            .collect()
    }
}

/// Landmarks the RBF is fitted at: every lip, eyelid and skull point (their motion is what
/// matters and they sit close together), then the face oval and the rest, thinned to an even spread.
fn pick_controls(source: &[[f32; 2]], unit: f32) -> Vec<usize> {
    let must: Vec<usize> = LIPS_INNER
        .iter()
        .chain(LIPS_OUTER)
        .chain(RIGHT_EYE_UPPER)
        .chain(RIGHT_EYE_LOWER)
        .chain(LEFT_EYE_UPPER)
        .chain(LEFT_EYE_LOWER)
        .chain(&EYE_CORNERS)
        .chain(RIGID)
        .copied()
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    for i in must {
        if !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    let min_d2 = (0.09 * unit).powi(2);
    let rest = FACE_OVAL
        .iter()
        .chain(RIGID)
        .copied()
        .chain(0..source.len());
    for i in rest {
        let far = chosen.iter().all(|&c| {
            (source[c][0] - source[i][0]).powi(2) + (source[c][1] - source[i][1]).powi(2) >= min_d2
        });
        if far && !chosen.contains(&i) {
            chosen.push(i);
        }
    }
    chosen
}

pub(super) fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// The height of a polyline (points ordered along x, either way) at `x`, by linear
/// The colour `t` of the way from `a` to `b`.
pub(super) fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [0, 1, 2].map(|c| a[c] + t * (b[c] - a[c]))
}

/// interpolation; its mean height where `x` lies beyond both ends.
pub(super) fn line_y_at(line: &[[f32; 2]], x: f32) -> f32 {
    let k = line
        .windows(2)
        .position(|w| (w[0][0] - x) * (w[1][0] - x) <= 0.0);
    match k {
        Some(k) => {
            let (a, b) = (line[k], line[k + 1]);
            let t = if (b[0] - a[0]).abs() > 1e-3 {
                (x - a[0]) / (b[0] - a[0])
            } else {
                0.5
            };
            a[1] + t * (b[1] - a[1])
        }
        None => line.iter().map(|p| p[1]).sum::<f32>() / line.len() as f32,
    }
}

/// The pixel rectangle `(x0, y0, x1, y1)`, ends exclusive and inside a `w`×`h` image, that covers
/// `points` with `pad` pixels to spare on every side: where a fill has to look.
pub(super) fn pixel_bounds(
    points: &[[f32; 2]],
    pad: f32,
    (w, h): (u32, u32),
) -> (u32, u32, u32, u32) {
    let extreme =
        |k: usize, f: fn(f32, f32) -> f32, init: f32| points.iter().map(|p| p[k]).fold(init, f);
    let low = |k: usize| (extreme(k, f32::min, f32::MAX) - pad).floor().max(0.0) as u32;
    let high = |k: usize| ((extreme(k, f32::max, f32::MIN) + pad).ceil() + 1.0).max(0.0) as u32;
    (low(0), low(1), high(0).min(w), high(1).min(h))
}

/// Least-squares affine map `from → to`.
pub(super) fn fit_affine(from: &[[f32; 2]], to: &[[f32; 2]]) -> [f32; 6] {
    let n = from.len() as f64;
    let mx = from.iter().map(|p| p[0] as f64).sum::<f64>() / n;
    let my = from.iter().map(|p| p[1] as f64).sum::<f64>() / n;
    let tx = to.iter().map(|p| p[0] as f64).sum::<f64>() / n;
    let ty = to.iter().map(|p| p[1] as f64).sum::<f64>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    let (mut ux, mut uy, mut vx, mut vy) = (0.0, 0.0, 0.0, 0.0);
    for (p, q) in from.iter().zip(to) {
        let (x, y) = (p[0] as f64 - mx, p[1] as f64 - my);
        let (u, v) = (q[0] as f64 - tx, q[1] as f64 - ty);
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        ux += u * x;
        uy += u * y;
        vx += v * x;
        vy += v * y;
    }
    let det = sxx * syy - sxy * sxy;
    if det.abs() < 1e-9 {
        return [1.0, 0.0, (tx - mx) as f32, 0.0, 1.0, (ty - my) as f32];
    }
    let a = (ux * syy - uy * sxy) / det;
    let b = (uy * sxx - ux * sxy) / det;
    let d = (vx * syy - vy * sxy) / det;
    let e = (vy * sxx - vx * sxy) / det;
    [
        a as f32,
        b as f32,
        (tx - a * mx - b * my) as f32,
        d as f32,
        e as f32,
        (ty - d * mx - e * my) as f32,
    ]
}

/// Removes folds: where a cell's Jacobian drops below [`MIN_JACOBIAN`], its displacement and
/// its neighbours' are relaxed towards their local average until none is left; as a last resort
/// the whole displacement is shrunk (the identity never folds).
fn unfold(grid: &mut WarpGrid) {
    for _ in 0..200 {
        let bad = bad_cells(grid);
        if bad.is_empty() {
            return;
        }
        let disp: Vec<[f32; 2]> = (0..grid.source.len())
            .map(|k| {
                let p = grid.node_position(k % grid.cols, k / grid.cols);
                [grid.source[k][0] - p[0], grid.source[k][1] - p[1]]
            })
            .collect();
        let mut touched = vec![false; disp.len()];
        for (i, j) in bad {
            for b in j..(j + 2).min(grid.rows) {
                for a in i..(i + 2).min(grid.cols) {
                    touched[b * grid.cols + a] = true;
                }
            }
        }
        for (k, t) in touched.iter().enumerate() {
            let (i, j) = (k % grid.cols, k / grid.cols);
            // The left, top and right frame edges stay still.
            if !t || i == 0 || j == 0 || i == grid.cols - 1 {
                continue;
            }
            let mut sum = [0.0f32; 2];
            let mut n = 0.0;
            for b in j.saturating_sub(1)..(j + 2).min(grid.rows) {
                for a in i.saturating_sub(1)..(i + 2).min(grid.cols) {
                    let d = disp[b * grid.cols + a];
                    sum = [sum[0] + d[0], sum[1] + d[1]];
                    n += 1.0;
                }
            }
            let p = grid.node_position(i, j);
            let own = disp[k];
            grid.source[k] = [0, 1].map(|c| p[c] + 0.5 * (own[c] + sum[c] / n));
        }
    }
    let mut shrink = 0.5;
    while grid.min_jacobian() < MIN_JACOBIAN && shrink > 1e-3 {
        for k in 0..grid.source.len() {
            let p = grid.node_position(k % grid.cols, k / grid.cols);
            let s = grid.source[k];
            grid.source[k] = [p[0] + shrink * (s[0] - p[0]), p[1] + shrink * (s[1] - p[1])];
        }
        shrink *= 0.5;
    }
}

fn bad_cells(grid: &WarpGrid) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for j in 0..grid.rows.saturating_sub(1) {
        for i in 0..grid.cols.saturating_sub(1) {
            if grid.cell_min_jacobian(i, j) < MIN_JACOBIAN {
                out.push((i, j));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_bounds_pad_and_stay_inside_the_image() {
        let points = [[10.2, 20.7], [30.5, 5.1], [18.0, 40.9]];
        assert_eq!(pixel_bounds(&points, 0.0, (100, 100)), (10, 5, 32, 42));
        assert_eq!(pixel_bounds(&points, 2.0, (100, 100)), (8, 3, 34, 44));
        assert_eq!(pixel_bounds(&points, 2.0, (25, 30)), (8, 3, 25, 30));
        // Wholly left of and above the image: nothing to visit.
        let off = [[-9.0, -7.0], [-4.0, -3.0]];
        let (x0, y0, x1, y1) = pixel_bounds(&off, 2.0, (100, 100));
        assert!(x0 >= x1 && y0 >= y1);
    }
}
