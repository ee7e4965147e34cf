//! Smoothing Gaussian radial-basis interpolation of 2D vectors: the local, expression part of the
//! warp, fitted at the control landmarks and fading to nothing a few radii away from them.

/// A fitted Gaussian RBF field `f(q) = Σ αⱼ exp(-|q - cⱼ|² / 2σ²)`.
pub(super) struct GaussianRbf {
    centres: Vec<[f32; 2]>,
    weights: Vec<[f32; 2]>,
    inv_two_sigma2: f32,
    /// Beyond this distance from every centre the field is treated as zero.
    pub reach: f32,
}

impl GaussianRbf {
    /// Fits the field to `values` at `centres` with kernel width `sigma`. `smoothing` (relative
    /// to the kernel's peak, e.g. 0.02) trades exactness for calm behaviour where centres crowd,
    /// such as closed eyelids whose upper and lower points meet.
    pub(super) fn fit(
        centres: &[[f32; 2]],
        values: &[[f32; 2]],
        sigma: f32,
        smoothing: f32,
    ) -> Self {
        let n = centres.len();
        let inv_two_sigma2 = 1.0 / (2.0 * sigma * sigma);
        let mut k = vec![0.0f64; n * n];
        for i in 0..n {
            for j in 0..=i {
                let d2 = dist2(centres[i], centres[j]);
                let v = (-(d2 * inv_two_sigma2) as f64).exp();
                k[i * n + j] = v;
                k[j * n + i] = v;
            }
            k[i * n + i] += smoothing as f64;
        }
        cholesky_in_place(&mut k, n);
        let weights = (0..2)
            .map(|c| cholesky_solve(&k, n, values.iter().map(|v| v[c] as f64).collect()))
            .collect::<Vec<_>>();
        Self {
            centres: centres.to_vec(),
            weights: (0..n)
                .map(|i| [weights[0][i] as f32, weights[1][i] as f32])
                .collect(),
            inv_two_sigma2,
            reach: 4.0 * sigma,
        }
    }

    /// The field's value at `q`.
    pub(super) fn eval(&self, q: [f32; 2]) -> [f32; 2] {
        let cutoff = self.reach * self.reach;
        let mut out = [0.0f32; 2];
        for (c, w) in self.centres.iter().zip(&self.weights) {
            let d2 = dist2(q, *c);
            if d2 < cutoff {
                let k = (-d2 * self.inv_two_sigma2).exp();
                out[0] += w[0] * k;
                out[1] += w[1] * k;
            }
        }
        out
    }

    /// The bounding box `[x0, y0, x1, y1]` outside which the field is zero.
    pub(super) fn support(&self) -> [f32; 4] {
        let mut b = [f32::MAX, f32::MAX, f32::MIN, f32::MIN];
        for c in &self.centres {
            b = [
                b[0].min(c[0]),
                b[1].min(c[1]),
                b[2].max(c[0]),
                b[3].max(c[1]),
            ];
        }
        [
            b[0] - self.reach,
            b[1] - self.reach,
            b[2] + self.reach,
            b[3] + self.reach,
        ]
    }
}

fn dist2(a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// In-place Cholesky factorisation (lower triangle) of a symmetric positive definite matrix.
fn cholesky_in_place(a: &mut [f64], n: usize) {
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        let d = d.max(1e-12).sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s / d;
        }
    }
}

fn cholesky_solve(l: &[f64], n: usize, mut b: Vec<f64>) -> Vec<f64> {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_and_fades() {
        let centres: Vec<[f32; 2]> = (0..25)
            .map(|i| [(i % 5) as f32 * 10.0, (i / 5) as f32 * 10.0])
            .collect();
        let values: Vec<[f32; 2]> = centres.iter().map(|c| [c[0] * 0.1, -c[1] * 0.05]).collect();
        let f = GaussianRbf::fit(&centres, &values, 10.0, 1e-4);
        for (c, v) in centres.iter().zip(&values) {
            let got = f.eval(*c);
            assert!((got[0] - v[0]).abs() < 0.05 && (got[1] - v[1]).abs() < 0.05);
        }
        assert_eq!(f.eval([200.0, 200.0]), [0.0, 0.0]);
    }
}
