//! Row-major matrix product `dst += lhs · rhs` for the 1x1 and im2col convolutions.
//!
//! The networks' products are short and wide (`[Cout, Cin] · [Cin, H*W]` with `Cin` 3..288 and
//! `H*W` up to 9216), a shape general GEMM libraries pack poorly. The kernel here keeps a tile
//! of `dst` in registers (`16 x 16` with AVX-512: all output channels of a narrow layer at
//! once, so `rhs` is read once) and streams the matching rows of `rhs` through it. Products with fewer than 8 columns
//! (the mesh's final 3x3 "dense" layers) go to the `gemm` crate instead, which vectorises them
//! along the rows.

use super::simd::{has_avx2_fma, madd};

/// `dst[m x n] += lhs[m x k] · rhs[k x n]`, all row-major and contiguous, on the calling thread.
///
/// Accumulating into `dst` lets callers pre-load it with the bias (and a residual), fusing those
/// adds into the product.
pub(crate) fn matmul_acc(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, n: usize, k: usize) {
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n);
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    if n < 8 {
        gemm_crate(dst, lhs, rhs, m, n, k);
    } else {
        tiled(dst, lhs, rhs, m, n, k);
    }
}

/// The tiled product with the widest register tiles the CPU supports: `16 x 16` (one zmm per
/// row, explicit AVX-512) when available, else `4 x 16` (AVX2+FMA, or portable code).
fn tiled(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, n: usize, k: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && has_avx2_fma() {
            // SAFETY: the CPU supports the features `avx512::matmul_acc` is compiled for, and
            // `matmul_acc` checked the slice sizes.
            return unsafe { super::avx512::matmul_acc(dst, lhs, rhs, m, n, k) };
        }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, n: usize, k: usize) {
            tiled_body::<true>(dst, lhs, rhs, m, n, k, 0)
        }
        if has_avx2_fma() {
            // SAFETY: the CPU supports the features `avx2` is compiled for.
            return unsafe { avx2(dst, lhs, rhs, m, n, k) };
        }
    }
    tiled_body::<false>(dst, lhs, rhs, m, n, k, 0)
}

/// Covers rows `first_row..m` of `dst` with `4 x 16` register tiles, the edges with `1`-row
/// and `8`- and `1`-column tiles. Row tiles outer, column strips inner: for one row tile every
/// row of `rhs` is read as a sequential stream, which the hardware prefetchers follow.
#[inline(always)]
pub(crate) fn tiled_body<const FMA: bool>(
    dst: &mut [f32],
    lhs: &[f32],
    rhs: &[f32],
    m: usize,
    n: usize,
    k: usize,
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
                (4, 16) => tile::<4, 16, FMA>(dst, lhs, rhs, n, k, i, j),
                (4, 8) => tile::<4, 8, FMA>(dst, lhs, rhs, n, k, i, j),
                (4, _) => tile::<4, 1, FMA>(dst, lhs, rhs, n, k, i, j),
                (_, 16) => tile::<1, 16, FMA>(dst, lhs, rhs, n, k, i, j),
                (_, 8) => tile::<1, 8, FMA>(dst, lhs, rhs, n, k, i, j),
                _ => tile::<1, 1, FMA>(dst, lhs, rhs, n, k, i, j),
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
    n: usize,
    k: usize,
    i: usize,
    j: usize,
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
        for (o, a) in out.iter_mut().zip(acc_row) {
            *o += a;
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
        matmul_acc(
            &mut dst,
            &[1., 2., 3., 4.],
            &[5., 6., 7., 8., 9., 10.],
            2,
            3,
            2,
        );
        assert_eq!(dst, vec![22., 25., 28., 48., 55., 62.]);
    }

    #[test]
    fn tiles_and_tails_match_naive() {
        // Every tile shape: rows 16 + 4 + 3 leftover, columns 16 + 8 + 3 leftover.
        let (m, n, k) = (23, 43, 5);
        let lhs: Vec<f32> = (0..m * k).map(|v| (v % 7) as f32 - 3.0).collect();
        let rhs: Vec<f32> = (0..k * n).map(|v| (v % 5) as f32 * 0.5 - 1.0).collect();
        let mut fast = vec![0.5; m * n];
        let mut want = fast.clone();
        matmul_acc(&mut fast, &lhs, &rhs, m, n, k);
        naive(&mut want, &lhs, &rhs, m, n, k);
        assert_eq!(fast, want);
    }
}
