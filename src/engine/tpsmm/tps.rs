//! Host-side geometry of the dense motion network: coordinate grids, keypoint Gaussians, the
//! 8x8 thin-plate-spline solves and the TPS sampling grids (official `util.TPS`, mode 'kp').

use super::config::KP_PER_TPS;

/// Keypoint-to-keypoint kernel U(s) = s ln(s + 1e-9) of a squared distance s.
fn tps_kernel(s: f32) -> f32 {
    s * (s + 1e-9).ln()
}

/// Regulariser the official code adds to the whole diagonal of every TPS system.
const TPS_REGULARISER: f32 = 0.01;
/// Variance of the keypoint Gaussians in the heatmap.
const KP_VARIANCE: f32 = 0.01;

/// Normalised coordinate of pixel `i` of `n` (align_corners convention: -1 and 1 at the border
/// pixel centres).
pub(super) fn grid_coord(i: usize, n: usize) -> f32 {
    2.0 * (i as f32 / (n as f32 - 1.0)) - 1.0
}

/// One solved thin-plate spline: driving-frame location -> source-frame location.
#[derive(Debug, Clone, PartialEq)]
pub struct Tps {
    /// Affine part, rows (x, y), columns (x, y, 1): `theta` of the official code.
    pub theta: [[f32; 3]; 2],
    /// Kernel weights per control point, (x, y): `control_params`.
    pub weights: [[f32; 2]; KP_PER_TPS],
    /// Control points (driving keypoints), (x, y).
    pub control: [[f32; 2]; KP_PER_TPS],
}

impl Tps {
    /// Solves the regularised TPS that maps the control points `from` onto `to`
    /// (params = inverse(L) Y with L built in f32 like the reference; solved in f64).
    pub fn solve(from: &[[f32; 2]; KP_PER_TPS], to: &[[f32; 2]; KP_PER_TPS]) -> Tps {
        const N: usize = KP_PER_TPS + 3;
        let mut l = [[0f32; N]; N];
        for i in 0..KP_PER_TPS {
            for j in 0..KP_PER_TPS {
                let (dx, dy) = (from[i][0] - from[j][0], from[i][1] - from[j][1]);
                // torch.norm then square: sqrt first keeps the reference's rounding.
                let d = (dx * dx + dy * dy).sqrt();
                l[i][j] = tps_kernel(d * d);
            }
            let p = [from[i][0], from[i][1], 1.0];
            for k in 0..3 {
                l[i][KP_PER_TPS + k] = p[k];
                l[KP_PER_TPS + k][i] = p[k];
            }
        }
        for (i, row) in l.iter_mut().enumerate() {
            row[i] += TPS_REGULARISER;
        }
        let mut a = [[0f64; N + 2]; N];
        for i in 0..N {
            for j in 0..N {
                a[i][j] = l[i][j] as f64;
            }
            if i < KP_PER_TPS {
                a[i][N] = to[i][0] as f64;
                a[i][N + 1] = to[i][1] as f64;
            }
        }
        let x = solve_linear(a);
        let mut weights = [[0f32; 2]; KP_PER_TPS];
        for (i, w) in weights.iter_mut().enumerate() {
            *w = [x[i][0] as f32, x[i][1] as f32];
        }
        let mut theta = [[0f32; 3]; 2];
        for (r, row) in theta.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = x[KP_PER_TPS + c][r] as f32;
            }
        }
        Tps {
            theta,
            weights,
            control: *from,
        }
    }

    /// Where the driving-frame point (x, y) comes from in the source frame.
    pub fn warp(&self, x: f32, y: f32) -> [f32; 2] {
        let t = &self.theta;
        let mut bend = [0f32; 2];
        for (p, w) in self.control.iter().zip(&self.weights) {
            let (dx, dy) = (x - p[0], y - p[1]);
            let u = tps_kernel(dx * dx + dy * dy);
            bend[0] += u * w[0];
            bend[1] += u * w[1];
        }
        [
            t[0][0] * x + t[0][1] * y + t[0][2] + bend[0],
            t[1][0] * x + t[1][1] * y + t[1][2] + bend[1],
        ]
    }
}

/// Gauss-Jordan elimination with partial pivoting on an augmented N x (N+2) system; returns the
/// N x 2 solution. The TPS systems are small and well enough conditioned (condition number in
/// the hundreds) that this is exact to f32 precision.
fn solve_linear<const N: usize, const M: usize>(mut a: [[f64; M]; N]) -> [[f64; 2]; N] {
    for col in 0..N {
        let pivot = (col..N)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        let p = a[col][col];
        if p == 0.0 {
            continue;
        }
        for v in a[col].iter_mut() {
            *v /= p;
        }
        let pivot_row = a[col];
        for (r, row) in a.iter_mut().enumerate() {
            let f = row[col];
            if r != col && f != 0.0 {
                for (v, p) in row.iter_mut().zip(pivot_row) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut x = [[0f64; 2]; N];
    for (i, xi) in x.iter_mut().enumerate() {
        *xi = [a[i][M - 2], a[i][M - 1]];
    }
    x
}

/// Solves one TPS per group of five keypoints, mapping `driving` onto `source` keypoints.
pub(super) fn solve_all(driving: &[[f32; 2]], source: &[[f32; 2]]) -> Vec<Tps> {
    driving
        .chunks_exact(KP_PER_TPS)
        .zip(source.chunks_exact(KP_PER_TPS))
        .map(|(d, s)| {
            Tps::solve(
                d.try_into().expect("chunk of five"),
                s.try_into().expect("chunk of five"),
            )
        })
        .collect()
}

/// Sampling grids (K+1, h, w, 2): slot 0 the identity, then each TPS applied to the grid.
pub(super) fn transformations(tps: &[Tps], h: usize, w: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity((tps.len() + 1) * h * w * 2);
    for i in 0..h {
        for j in 0..w {
            out.extend_from_slice(&[grid_coord(j, w), grid_coord(i, h)]);
        }
    }
    for t in tps {
        for i in 0..h {
            let y = grid_coord(i, h);
            for j in 0..w {
                out.extend_from_slice(&t.warp(grid_coord(j, w), y));
            }
        }
    }
    out
}

/// Heatmap (5K+1, h, w): a zero channel, then per keypoint the driving Gaussian minus the
/// source Gaussian (variance 0.01 in normalised coordinates).
pub(super) fn heatmap(driving: &[[f32; 2]], source: &[[f32; 2]], h: usize, w: usize) -> Vec<f32> {
    let gauss = |kp: [f32; 2], x: f32, y: f32| {
        let (dx, dy) = (x - kp[0], y - kp[1]);
        (-0.5 * (dx * dx + dy * dy) / KP_VARIANCE).exp()
    };
    let mut out = vec![0f32; h * w];
    out.reserve(driving.len() * h * w);
    for (d, s) in driving.iter().zip(source) {
        for i in 0..h {
            let y = grid_coord(i, h);
            for j in 0..w {
                let x = grid_coord(j, w);
                out.push(gauss(*d, x, y) - gauss(*s, x, y));
            }
        }
    }
    out
}

/// Area of the convex hull of 2-D points (monotone chain, f64), as scipy's
/// `ConvexHull(points).volume`; 0 for fewer than three non-collinear points.
pub(super) fn convex_hull_area(points: &[[f32; 2]]) -> f64 {
    let mut p: Vec<[f64; 2]> = points.iter().map(|q| [q[0] as f64, q[1] as f64]).collect();
    p.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    p.dedup();
    if p.len() < 3 {
        return 0.0;
    }
    let cross = |o: [f64; 2], a: [f64; 2], b: [f64; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut hull: Vec<[f64; 2]> = Vec::with_capacity(2 * p.len());
    for pass in 0..2 {
        let start = hull.len();
        let iter: Box<dyn Iterator<Item = &[f64; 2]>> = if pass == 0 {
            Box::new(p.iter())
        } else {
            Box::new(p.iter().rev())
        };
        for &q in iter {
            while hull.len() >= start + 2
                && cross(hull[hull.len() - 2], hull[hull.len() - 1], q) <= 0.0
            {
                hull.pop();
            }
            hull.push(q);
        }
        hull.pop();
    }
    let n = hull.len();
    let twice: f64 = (0..n)
        .map(|i| {
            let (a, b) = (hull[i], hull[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum();
    twice.abs() / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_area_of_square_with_inner_points() {
        let pts = [
            [0.0, 0.0],
            [1.0, 0.0],
            [1.0, 1.0],
            [0.0, 1.0],
            [0.5, 0.5],
            [0.2, 0.7],
            [1.0, 0.5],
        ];
        assert!((convex_hull_area(&pts) - 1.0).abs() < 1e-12);
        assert_eq!(convex_hull_area(&[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]), 0.0);
    }

    #[test]
    fn tps_reproduces_an_affine_map() {
        // With an affine target the kernel weights vanish and only the regulariser pulls away.
        let from = [
            [-0.5, -0.5],
            [0.5, -0.4],
            [0.4, 0.6],
            [-0.6, 0.3],
            [0.0, 0.1],
        ];
        let to = from.map(|p| [1.2 * p[0] + 0.1, 0.9 * p[1] - 0.2]);
        let t = Tps::solve(&from, &to);
        let [x, y] = t.warp(0.2, -0.3);
        assert!((x - (1.2 * 0.2 + 0.1)).abs() < 0.02 && (y - (0.9 * -0.3 - 0.2)).abs() < 0.02);
    }
}
