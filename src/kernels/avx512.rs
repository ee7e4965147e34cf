//! The AVX-512 register tile of the matrix product: all 16 rows of a `16 x 16` block of `dst`
//! live in 16 zmm registers, so a layer with 16 output channels reads its input exactly once.
//! Written with intrinsics because the auto-vectoriser turns the same loop into gathers.

#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::{
    __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_max_ps, _mm512_min_ps,
    _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
};

use super::matmul::{tile, tiled_body};

/// Rows (and columns) of one register tile.
const T: usize = 16;

/// `dst[m x n] += lhs[m x k] · rhs[k x n]` (row-major, contiguous) with `16 x 16` tiles where
/// they fit and the `4 x 16` / `1`-column tiles of [`tiled_body`] at the edges.
///
/// # Safety
/// The CPU must support AVX-512F, AVX2 and FMA, and the slices must hold the three matrices.
#[target_feature(enable = "avx512f,avx2,fma")]
pub(crate) unsafe fn matmul_acc(
    dst: &mut [f32],
    lhs: &[f32],
    rhs: &[f32],
    (m, n, k): (usize, usize, usize),
    slopes: Option<&[f32]>,
) {
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n);
    assert!(slopes.is_none_or(|s| s.len() >= m));
    let full = m / T;
    for t in 0..full {
        let i = t * T;
        // This row block of lhs, transposed to [k][16] so each step broadcasts from one line.
        let mut packed = vec![0f32; k * T];
        for r in 0..T {
            for p in 0..k {
                packed[p * T + r] = lhs[(i + r) * k + p];
            }
        }
        let mut j = 0;
        while j + T <= n {
            // SAFETY: rows i..i+16 and columns j..j+16 lie inside dst (m x n) and the k rows
            // of columns j..j+16 inside rhs (k x n), as asserted above; `packed` holds k*16.
            unsafe {
                block(
                    dst.as_mut_ptr().add(i * n + j),
                    &packed,
                    rhs.as_ptr().add(j),
                    (n, k),
                    slopes.map(|s| &s[i..i + T]),
                )
            };
            j += T;
        }
        while j + 8 <= n {
            tile::<T, 8, true>(dst, lhs, rhs, (n, k), slopes, (i, j));
            j += 8;
        }
        while j < n {
            tile::<T, 1, true>(dst, lhs, rhs, (n, k), slopes, (i, j));
            j += 1;
        }
    }
    tiled_body::<true>(dst, lhs, rhs, (m, n, k), slopes, full * T);
}

/// One `16 x 16` block: `dst[r][c] += Σ_p packed[p][r] · rhs[p][c]` for rows/columns 0..16
/// from the given corners (row strides `n`), then PReLU with `slopes[r]` when given.
///
/// # Safety
/// AVX-512F; `dst` and `rhs` must point at 16 rows (resp. `k` rows) of 16 readable floats with
/// row stride `n`; `packed` holds `k * 16` values.
#[target_feature(enable = "avx512f,avx2,fma")]
#[inline]
unsafe fn block(
    dst: *mut f32,
    packed: &[f32],
    rhs: *const f32,
    (n, k): (usize, usize),
    slopes: Option<&[f32]>,
) {
    let mut acc: [__m512; T] = [_mm512_setzero_ps(); T];
    for (p, col) in packed.chunks_exact(T).take(k).enumerate() {
        // SAFETY: row p < k of the 16-column strip (caller's contract).
        let b = unsafe { _mm512_loadu_ps(rhs.add(p * n)) };
        for (a, &w) in acc.iter_mut().zip(col) {
            *a = _mm512_fmadd_ps(_mm512_set1_ps(w), b, *a);
        }
    }
    for (r, a) in acc.iter().enumerate() {
        // SAFETY: row r < 16 of the 16-column block of dst (caller's contract).
        unsafe {
            let d = dst.add(r * n);
            let mut v = _mm512_add_ps(_mm512_loadu_ps(d), *a);
            if let Some(s) = slopes {
                // max(v, 0) + slope · min(v, 0)
                let zero = _mm512_setzero_ps();
                v = _mm512_fmadd_ps(
                    _mm512_set1_ps(s[r]),
                    _mm512_min_ps(v, zero),
                    _mm512_max_ps(v, zero),
                );
            }
            _mm512_storeu_ps(d, v);
        }
    }
}
