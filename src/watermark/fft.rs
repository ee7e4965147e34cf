//! A small in-place radix-2 FFT, enough for the circular correlations of the synchronisation
//! search on a power-of-two grid.

/// A complex number as (re, im).
pub(super) type Complex = (f32, f32);

/// The n/2 twiddle factors exp(∓2πik/n) for a transform of length `n`.
fn twiddles(n: usize, inverse: bool) -> Vec<Complex> {
    let sign = if inverse { 1.0 } else { -1.0 };
    (0..n / 2)
        .map(|k| {
            let a = sign * 2.0 * std::f64::consts::PI * k as f64 / n as f64;
            (a.cos() as f32, a.sin() as f32)
        })
        .collect()
}

/// In-place FFT of `data` (length a power of two) with precomputed `twiddles`; `inverse` scales
/// by 1/n so that forward then inverse is the identity.
fn fft_with(data: &mut [Complex], twiddles: &[Complex], inverse: bool) {
    let n = data.len();
    assert!(n.is_power_of_two() && twiddles.len() == n / 2);
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            data.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let stride = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (wr, wi) = twiddles[k * stride];
                let (ar, ai) = data[start + k];
                let (br, bi) = data[start + k + len / 2];
                let (tr, ti) = (br * wr - bi * wi, br * wi + bi * wr);
                data[start + k] = (ar + tr, ai + ti);
                data[start + k + len / 2] = (ar - tr, ai - ti);
            }
        }
        len <<= 1;
    }
    if inverse {
        let scale = 1.0 / n as f32;
        for v in data.iter_mut() {
            *v = (v.0 * scale, v.1 * scale);
        }
    }
}

/// In-place 2-D FFT of an `n`×`n` row-major grid.
pub(super) fn fft2(data: &mut [Complex], n: usize, inverse: bool) {
    let tw = twiddles(n, inverse);
    for row in data.chunks_mut(n) {
        fft_with(row, &tw, inverse);
    }
    let mut col = vec![(0.0, 0.0); n];
    for x in 0..n {
        for y in 0..n {
            col[y] = data[y * n + x];
        }
        fft_with(&mut col, &tw, inverse);
        for y in 0..n {
            data[y * n + x] = col[y];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_dft_and_inverts() {
        let n = 16;
        let input: Vec<Complex> = (0..n)
            .map(|i| ((i * i % 7) as f32, (i % 3) as f32))
            .collect();
        let mut data = input.clone();
        fft_with(&mut data, &twiddles(n, false), false);
        for (k, &(re, im)) in data.iter().enumerate() {
            let (mut er, mut ei) = (0.0f64, 0.0f64);
            for (t, &(xr, xi)) in input.iter().enumerate() {
                let a = -2.0 * std::f64::consts::PI * (k * t) as f64 / n as f64;
                er += xr as f64 * a.cos() - xi as f64 * a.sin();
                ei += xr as f64 * a.sin() + xi as f64 * a.cos();
            }
            assert!((re as f64 - er).abs() < 1e-3 && (im as f64 - ei).abs() < 1e-3);
        }
        fft_with(&mut data, &twiddles(n, true), true);
        for (a, b) in data.iter().zip(&input) {
            assert!((a.0 - b.0).abs() < 1e-4 && (a.1 - b.1).abs() < 1e-4);
        }
    }
}
