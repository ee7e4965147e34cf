//! Row-major matrix product through the `gemm` crate (the one candle's CPU backend uses), which
//! picks AVX2/AVX-512 micro-kernels at run time.

/// `dst[m x n] += lhs[m x k] · rhs[k x n]`, all row-major and contiguous, on the calling thread.
///
/// Accumulating into `dst` lets callers pre-load it with the bias (and a residual), fusing those
/// adds into the product.
pub(crate) fn matmul_acc(dst: &mut [f32], lhs: &[f32], rhs: &[f32], m: usize, n: usize, k: usize) {
    assert!(dst.len() >= m * n && lhs.len() >= m * k && rhs.len() >= k * n);
    if m == 0 || n == 0 || k == 0 {
        return;
    }
    // SAFETY: the asserts above keep every access of the row-major m x n, m x k and k x n
    // matrices (unit column stride, row strides n, k and n) inside the three slices.
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
}
