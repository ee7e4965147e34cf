//! Row-major matrix product `dst += lhs · rhs` for the 1x1 and im2col convolutions.
//!
//! The networks' products are short and wide (`[Cout, Cin] · [Cin, H*W]` with `Cin` 3..288 and
//! `H*W` up to 9216), a shape general GEMM libraries pack poorly. The kernel here keeps a tile
//! of `dst` in registers (`16 x 16` with AVX-512: all output channels of a narrow layer at
//! once, so `rhs` is read once) and streams the matching rows of `rhs` through it. Products with fewer than 8 columns
//! (the mesh's final 3x3 "dense" layers) go to the `gemm` crate instead, which vectorises them
//! along the rows.

use super::elementwise::prelu_scalar;
use super::simd::{has_avx2_fma, has_avx512, madd};

/// `dst[m x n] += lhs[m x k] · rhs[k x n]`, all row-major and contiguous, on the calling thread,
/// then, with `slopes` (one per row), PReLU on every result (`v` if `v >= 0`, else
/// `slopes[row] * v`; zero slopes make it a ReLU).
///
/// Accumulating into `dst` lets callers pre-load it with the bias (and a residual), and the
/// activation is applied as each tile is stored, fusing both into the product.
pub(crate) fn matmul_acc(
    dst: &mut [f32],
    lhs: &[f32],
    rhs: &[f32],
    (m, n, k): (usize, usize, usize),
    slopes: Option<&[f32]>,
) {
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n);
    assert!(slopes.is_none_or(|s| s.len() >= m));
    if m == 0 || n == 0 {
        return;
    }
    if n < 8 || k == 0 {
        if k > 0 {
            gemm_crate(dst, lhs, rhs, m, n, k);
        }
        if let Some(slopes) = slopes {
            for (row, &a) in dst.chunks_exact_mut(n).zip(slopes) {
                row.iter_mut().for_each(|v| *v = prelu_scalar(*v, a));
            }
        }
    } else {
        tiled(dst, lhs, rhs, (m, n, k), slopes);
    }
}

/// The tiled product with the widest register tiles the CPU supports: `16 x 16` (one zmm per
/// row, explicit AVX-512) when available, else `4 x 16` (AVX2+FMA, or portable code).
fn tiled(
    dst: &mut [f32],
    lhs: &[f32],
    rhs: &[f32],
    mnk: (usize, usize, usize),
    slopes: Option<&[f32]>,
) {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx512() {
            // SAFETY: the CPU supports the features `avx512::matmul_acc` is compiled for, and
            // `matmul_acc` checked the slice sizes.
            return unsafe { super::avx512::matmul_acc(dst, lhs, rhs, mnk, slopes) };
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(
            dst: &mut [f32],
            lhs: &[f32],
            rhs: &[f32],
            mnk: (usize, usize, usize),
            slopes: Option<&[f32]>,
        ) {
            tiled_body::<true>(dst, lhs, rhs, mnk, slopes, 0)
        }
        if has_avx2_fma() {
            // SAFETY: the CPU supports the features `avx2` is compiled for.
            return unsafe { avx2(dst, lhs, rhs, mnk, slopes) };
        }
    }
    tiled_body::<false>(dst, lhs, rhs, mnk, slopes, 0)
}

/// Covers rows `first_row..m` of `dst` with `4 x 16` register tiles, the edges with `1`-row
/// and `8`- and `1`-column tiles. Row tiles outer, column strips inner: for one row tile every
/// row of `rhs` is read as a sequential stream, which the hardware prefetchers follow.
#[inline(always)]
pub(crate) fn tiled_body<const FMA: bool>(
    dst: &mut [f32],
    lhs: &[f32],
    rhs: &[f32],
    (m, n, k): (usize, usize, usize),
    slopes: Option<&[f32]>,
    first_row: usize,
) {
    let mut i = first_row;
    while i < m {
        let rows = if i + 4 <= m { 4 } else { 1 };
        let mut j = 0;
        while j < n {
            let cols = if j + 16 <= n {
                16
            } else if j + 8 <= n {
                8
            } else {
                1
            };
            match (rows, cols) {
                (4, 16) => tile::<4, 16, FMA>(dst, lhs, rhs, (n, k), slopes, (i, j)),
                (4, 8) => tile::<4, 8, FMA>(dst, lhs, rhs, (n, k), slopes, (i, j)),
                (4, _) => tile::<4, 1, FMA>(dst, lhs, rhs, (n, k), slopes, (i, j)),
                (_, 16) => tile::<1, 16, FMA>(dst, lhs, rhs, (n, k), slopes, (i, j)),
                (_, 8) => tile::<1, 8, FMA>(dst, lhs, rhs, (n, k), slopes, (i, j)),
                _ => tile::<1, 1, FMA>(dst, lhs, rhs, (n, k), slopes, (i, j)),
            }
            j += cols;
        }
        i += rows;
    }
}

/// `dst[i..i+R, j..j+C] += lhs[i..i+R, :] · rhs[:, j..j+C]` with the tile summed in registers.
#[inline(always)]
pub(crate) fn tile<const R: usize, const C: usize, const FMA: bool>(
    dst: &mut [f32],
    lhs: &[f32],
    rhs: &[f32],
    (n, k): (usize, usize),
    slopes: Option<&[f32]>,
    (i, j): (usize, usize),
) {
    let mut acc = [[0f32; C]; R];
    let lhs_rows: [&[f32]; R] = std::array::from_fn(|r| &lhs[(i + r) * k..(i + r + 1) * k]);
    for p in 0..k {
        let strip: &[f32; C] = rhs[p * n + j..p * n + j + C].try_into().expect("C columns");
        for r in 0..R {
            let a = lhs_rows[r][p];
            for c in 0..C {
                acc[r][c] = madd::<FMA>(a, strip[c], acc[r][c]);
            }
        }
    }
    for (r, acc_row) in acc.iter().enumerate() {
        let out = &mut dst[(i + r) * n + j..(i + r) * n + j + C];
        match slopes {
            Some(s) => {
                for (o, a) in out.iter_mut().zip(acc_row) {
                    *o = prelu_scalar(*o + a, s[i + r]);
                }
            }
            None => {
                for (o, a) in out.iter_mut().zip(acc_row) {
                    *o += a;
                }
            }
        }
    }
}

/// The same product through the `gemm` crate (candle's CPU backend), for narrow `rhs`.
fn gemm_crate(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, n: usize, k: usize) {
    // SAFETY: `matmul_acc` checked that the row-major m x n, m x k and k x n matrices (unit
    // column stride, row strides n, k and n) lie inside the three slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            true,
            lhs.as_ptr(),
            1,
            k as isize,
            rhs.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// Fills `dst` (`bias.len()` rows of `area` values) with each row's bias.
pub(crate) fn fill_bias(dst: &mut [f32], bias: &[f32], area: usize) {
    for (row, &b) in dst.chunks_exact_mut(area).zip(bias) {
        row.fill(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plain triple loop.
    fn naive(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, n: usize, k: usize) {
        for i in 0..m {
            for j in 0..n {
                dst[i * n + j] += (0..k).map(|p| lhs[i * k + p] * rhs[p * n + j]).sum::<f32>();
            }
        }
    }

    #[test]
    fn accumulates_product_onto_dst() {
        // [[1,2],[3,4]] · [[5,6,7],[8,9,10]] + 1
        let mut dst = vec![1.0; 6];
        let (lhs, rhs) = ([1., 2., 3., 4.], [5., 6., 7., 8., 9., 10.]);
        matmul_acc(&mut dst, &lhs, &rhs, (2, 3, 2), None);
        assert_eq!(dst, vec![22., 25., 28., 48., 55., 62.]);
        // With slopes: the negated product plus -1, scaled by 0.5 on row 0, by 0 (ReLU) on row 1.
        let mut dst = vec![-1.0; 6];
        let neg = lhs.map(|v: f32| -v);
        matmul_acc(&mut dst, &neg, &rhs, (2, 3, 2), Some(&[0.5, 0.0]));
        assert_eq!(dst, vec![-11., -12.5, -14., 0., 0., 0.]);
    }

    #[test]
    fn tiles_and_tails_match_naive() {
        // Every tile shape: rows 16 + 4 + 3 leftover, columns 16 + 8 + 3 leftover.
        let (m, n, k) = (23, 43, 5);
        let lhs: Vec<f32> = (0..m * k).map(|v| (v % 7) as f32 - 3.0).collect();
        let rhs: Vec<f32> = (0..k * n).map(|v| (v % 5) as f32 * 0.5 - 1.0).collect();
        let slopes: Vec<f32> = (0..m).map(|r| r as f32 * 0.1).collect();
        let mut want = vec![0.5; m * n];
        naive(&mut want, &lhs, &rhs, m, n, k);
        let want_act: Vec<f32> = want
            .iter()
            .enumerate()
            .map(|(idx, &v)| prelu_scalar(v, slopes[idx / n]))
            .collect();
        for slope in [None, Some(slopes.as_slice())] {
            let expected = if slope.is_some() { &want_act } else { &want };
            let mut fast = vec![0.5; m * n];
            matmul_acc(&mut fast, &lhs, &rhs, (m, n, k), slope);
            assert_eq!(&fast, expected, "dispatched, slopes {slope:?}");
            // The portable (non-FMA) build of the tiles, which this CPU would not pick.
            let mut portable = vec![0.5; m * n];
            tiled_body::<false>(&mut portable, &lhs, &rhs, (m, n, k), slope, 0);
            assert_eq!(&portable, expected, "portable, slopes {slope:?}");
        }
    }
}
