//! Direct "same" convolution for layers with only a few output channels (the 7x7 heads that
//! make the occlusion maps, the contribution maps and the final image). As a matrix product
//! these have 1 to 11 rows, so im2col would copy the input 49 times for very little arithmetic;
//! here every shifted input row is read once from cache and multiply-added into one
//! accumulator row per output channel.

use super::simd::dispatch_fma;
use super::winograd::OutPtr;
use rayon::prelude::*;

/// Most output channels this kernel is used for (its accumulator rows stay in L1).
pub(crate) const MAX_OUT_CHANNELS: usize = 16;

/// Convolution of one image `input` (cin, h, w) with `weight` (cout, cin, k, k), stride 1,
/// zero padding k/2, plus bias; writes `out` (cout, h, w). Rows are shared among `threads`
/// rayon tasks.
pub(crate) fn conv(
    input: &[f32],
    weight: &[f32],
    bias: &[f32],
    (cin, cout, h, w, k): (usize, usize, usize, usize, usize),
    threads: usize,
    out: &mut [f32],
) {
    assert!(cout <= MAX_OUT_CHANNELS && k % 2 == 1);
    assert_eq!(input.len(), cin * h * w);
    assert_eq!(weight.len(), cout * cin * k * k);
    assert_eq!(out.len(), cout * h * w);
    let dst = OutPtr(out.as_mut_ptr());
    let row = |y: usize| {
        let mut acc = vec![0f32; cout * w];
        for (a, &b) in acc.chunks_exact_mut(w).zip(bias) {
            a.fill(b);
        }
        accumulate_row(input, weight, (cin, cout, h, w, k), y, &mut acc);
        for (co, a) in acc.chunks_exact(w).enumerate() {
            // SAFETY: row y of plane co lies inside `out` and only this task writes it.
            unsafe { dst.row(co * h + y, w) }.copy_from_slice(a);
        }
    };
    if threads > 1 {
        (0..h).into_par_iter().for_each(row);
    } else {
        (0..h).for_each(row);
    }
}

dispatch_fma! {
    /// Adds every tap's contribution to output row `y` into `acc` (cout rows of w).
    fn accumulate_row[](input: &[f32], weight: &[f32], dims: (usize, usize, usize, usize, usize), y: usize, acc: &mut [f32]) => accumulate_row_body[]
}

#[inline(always)]
fn accumulate_row_body<const FMA: bool>(
    input: &[f32],
    weight: &[f32],
    (cin, cout, h, w, k): (usize, usize, usize, usize, usize),
    y: usize,
    acc: &mut [f32],
) {
    let pad = k / 2;
    for ci in 0..cin {
        for dy in 0..k {
            let sy = (y + dy) as isize - pad as isize;
            if sy < 0 || sy >= h as isize {
                continue;
            }
            let line = &input[(ci * h + sy as usize) * w..][..w];
            for dx in 0..k {
                // acc[x] += wt * line[x + shift] where inside the row.
                let shift = dx as isize - pad as isize;
                let lo = (-shift).clamp(0, w as isize);
                let hi = (w as isize - shift).clamp(lo, w as isize);
                let src = &line[(lo + shift) as usize..(hi + shift) as usize];
                let (lo, hi) = (lo as usize, hi as usize);
                for (co, a) in acc.chunks_exact_mut(w).enumerate().take(cout) {
                    let wt = weight[((co * cin + ci) * k + dy) * k + dx];
                    for (o, &s) in a[lo..hi].iter_mut().zip(src) {
                        *o = super::simd::madd::<FMA>(wt, s, *o);
                    }
                }
            }
        }
    }
}
