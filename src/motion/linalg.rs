//! The little 3D linear algebra the motion stage needs: rotations as matrices and axis-angle
//! vectors, and a weighted similarity fit (Horn's quaternion method) between point sets.

/// A 3x3 matrix, row-major.
pub type Mat3 = [[f64; 3]; 3];

/// The identity rotation.
pub const IDENTITY: Mat3 = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

/// `m * v`.
pub fn mul_vec(m: &Mat3, v: [f64; 3]) -> [f64; 3] {
    [
        m[0][0] * v[0] + m[0][1] * v[1] + m[0][2] * v[2],
        m[1][0] * v[0] + m[1][1] * v[1] + m[1][2] * v[2],
        m[2][0] * v[0] + m[2][1] * v[1] + m[2][2] * v[2],
    ]
}

/// `a * b`.
pub fn mul(a: &Mat3, b: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = (0..3).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

/// The transpose (for a rotation, its inverse).
pub fn transpose(m: &Mat3) -> Mat3 {
    let mut out = [[0.0; 3]; 3];
    for (i, row) in m.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            out[j][i] = *v;
        }
    }
    out
}

/// The rotation matrix of an axis-angle vector (direction = axis, length = angle in radians).
pub fn rotation_from_axis_angle(w: [f64; 3]) -> Mat3 {
    let angle = norm(w);
    if angle < 1e-12 {
        return IDENTITY;
    }
    let [x, y, z] = w.map(|c| c / angle);
    let (s, c) = angle.sin_cos();
    let t = 1.0 - c;
    [
        [t * x * x + c, t * x * y - s * z, t * x * z + s * y],
        [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
        [t * x * z - s * y, t * y * z + s * x, t * z * z + c],
    ]
}

/// The axis-angle vector of a rotation matrix (angle in 0..π).
pub fn axis_angle_from_rotation(r: &Mat3) -> [f64; 3] {
    let cos = ((r[0][0] + r[1][1] + r[2][2] - 1.0) / 2.0).clamp(-1.0, 1.0);
    let angle = cos.acos();
    let v = [r[2][1] - r[1][2], r[0][2] - r[2][0], r[1][0] - r[0][1]];
    let s = norm(v);
    if s < 1e-12 {
        if angle < 1e-6 {
            return [0.0; 3];
        }
        // 180 degrees: the axis is the column of R + I with the largest norm.
        let cols: Vec<[f64; 3]> = (0..3)
            .map(|j| {
                let mut c = [r[0][j], r[1][j], r[2][j]];
                c[j] += 1.0;
                c
            })
            .collect();
        let best = cols
            .iter()
            .copied()
            .max_by(|a, b| norm(*a).total_cmp(&norm(*b)))
            .unwrap_or([1.0, 0.0, 0.0]);
        let n = norm(best);
        return best.map(|c| c / n * angle);
    }
    v.map(|c| c / s * angle)
}

/// Euclidean length.
pub fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

/// A similarity transform `x ↦ scale · R · x + translation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Rotation matrix.
    pub rotation: Mat3,
    /// Uniform scale.
    pub scale: f64,
    /// Translation.
    pub translation: [f64; 3],
}

impl Similarity {
    /// Applies the transform to a point.
    pub fn apply(&self, x: [f64; 3]) -> [f64; 3] {
        let r = mul_vec(&self.rotation, x);
        [0, 1, 2].map(|i| self.scale * r[i] + self.translation[i])
    }

    /// Applies the inverse transform to a point.
    pub fn apply_inverse(&self, y: [f64; 3]) -> [f64; 3] {
        let d = [0, 1, 2].map(|i| (y[i] - self.translation[i]) / self.scale);
        mul_vec(&transpose(&self.rotation), d)
    }
}

/// The weighted least-squares similarity that maps `from` onto `to` (Umeyama / Horn), or `None`
/// when the points are degenerate (all at one place).
pub fn fit_similarity(from: &[[f64; 3]], to: &[[f64; 3]], weights: &[f64]) -> Option<Similarity> {
    let wsum: f64 = weights.iter().sum();
    if wsum <= 0.0 || from.len() != to.len() || from.len() != weights.len() {
        return None;
    }
    let centroid = |pts: &[[f64; 3]]| {
        let mut c = [0.0; 3];
        for (p, w) in pts.iter().zip(weights) {
            for k in 0..3 {
                c[k] += p[k] * w / wsum;
            }
        }
        c
    };
    let (cf, ct) = (centroid(from), centroid(to));
    let mut m = [[0.0; 3]; 3];
    let mut var_from = 0.0;
    for ((p, q), w) in from.iter().zip(to).zip(weights) {
        let a = [0, 1, 2].map(|k| p[k] - cf[k]);
        let b = [0, 1, 2].map(|k| q[k] - ct[k]);
        for i in 0..3 {
            for j in 0..3 {
                m[i][j] += w * a[i] * b[j];
            }
        }
        var_from += w * (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
    }
    if var_from < 1e-12 {
        return None;
    }
    let rotation = horn_rotation(&m);
    let mut dot = 0.0;
    for (i, row) in m.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            // trace(Rᵀ-weighted cross covariance) = Σ w (R a)·b
            dot += rotation[j][i] * v;
        }
    }
    let scale = dot / var_from;
    let rc = mul_vec(&rotation, cf);
    let translation = [0, 1, 2].map(|k| ct[k] - scale * rc[k]);
    Some(Similarity {
        rotation,
        scale,
        translation,
    })
}

/// The rotation maximising Σ (R a)·b from the cross-covariance `m = Σ a bᵀ` (Horn 1987).
fn horn_rotation(m: &Mat3) -> Mat3 {
    let (sxx, sxy, sxz) = (m[0][0], m[0][1], m[0][2]);
    let (syx, syy, syz) = (m[1][0], m[1][1], m[1][2]);
    let (szx, szy, szz) = (m[2][0], m[2][1], m[2][2]);
    let n = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let q = largest_eigenvector4(n);
    let [w, x, y, z] = q;
    [
        [
            w * w + x * x - y * y - z * z,
            2.0 * (x * y - w * z),
            2.0 * (x * z + w * y),
        ],
        [
            2.0 * (x * y + w * z),
            w * w - x * x + y * y - z * z,
            2.0 * (y * z - w * x),
        ],
        [
            2.0 * (x * z - w * y),
            2.0 * (y * z + w * x),
            w * w - x * x - y * y + z * z,
        ],
    ]
}

/// Eigenvector of the largest eigenvalue of a symmetric 4x4 matrix (cyclic Jacobi), unit length.
fn largest_eigenvector4(mut a: [[f64; 4]; 4]) -> [f64; 4] {
    let mut v = [[0.0; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..50 {
        let off: f64 = (0..4)
            .flat_map(|i| (0..4).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (row_p, row_q) = (a[p], a[q]);
                for k in 0..4 {
                    a[p][k] = c * row_p[k] - s * row_q[k];
                    a[q][k] = s * row_p[k] + c * row_q[k];
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let best = (0..4)
        .max_by(|&i, &j| a[i][i].total_cmp(&a[j][j]))
        .unwrap_or(0);
    let e = [v[0][best], v[1][best], v[2][best], v[3][best]];
    let n = e.iter().map(|x| x * x).sum::<f64>().sqrt();
    e.map(|x| x / n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_fit_recovers_a_known_transform() {
        let pts: Vec<[f64; 3]> = (0..20)
            .map(|i| {
                let f = i as f64;
                [
                    f.sin() * 50.0,
                    (f * 1.7).cos() * 40.0,
                    (f * 0.3).sin() * 20.0,
                ]
            })
            .collect();
        let truth = Similarity {
            rotation: rotation_from_axis_angle([0.1, -0.3, 0.2]),
            scale: 1.3,
            translation: [5.0, -7.0, 2.0],
        };
        let moved: Vec<_> = pts.iter().map(|&p| truth.apply(p)).collect();
        let fit = fit_similarity(&pts, &moved, &vec![1.0; pts.len()]).unwrap();
        assert!((fit.scale - 1.3).abs() < 1e-9);
        let w = axis_angle_from_rotation(&fit.rotation);
        for (a, b) in w.iter().zip([0.1, -0.3, 0.2]) {
            assert!((a - b).abs() < 1e-9, "{w:?}");
        }
        let back = fit.apply_inverse(moved[3]);
        for k in 0..3 {
            assert!((back[k] - pts[3][k]).abs() < 1e-9);
        }
    }
}
