//! 2x2 stride-2 max pooling, the skip path of MediaPipe's stride-2 residual blocks.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use super::geometry::{Padding, Window};
use super::stock;
use super::storage::{f32_slice, fast_path, nchw};

/// 2x2 max pool with stride 2 of `x` `[N, C, H, W]`. `Valid` drops a trailing odd row/column;
/// `Same` keeps it (TFLite: padded cells are ignored, output `ceil(H/2)`). Both agree on even
/// sizes, which is all MediaPipe's graphs use.
pub fn max_pool2(x: &Tensor, padding: Padding) -> Result<Tensor> {
    nchw("max_pool2", x)?;
    if !fast_path(&[x]) {
        return stock::max_pool2(x, padding);
    }
    x.contiguous()?.apply_op1_no_bwd(&MaxPoolOp { padding })
}

/// The custom op behind [`max_pool2`].
struct MaxPoolOp {
    padding: Padding,
}

impl CustomOp1 for MaxPoolOp {
    fn name(&self) -> &'static str {
        "sfumato-max-pool2"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = xl.shape().dims4()?;
        let win = Window::new(self.name(), (h, w), 2, 2, self.padding)?;
        let x = f32_slice(self.name(), xs, xl)?;
        let mut out = vec![0f32; n * c * win.out_area()];
        max_pool_planes(x, &win, &mut out, |_, max| max);
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, c, win.rows.out, win.cols.out)),
        ))
    }
}

/// Max pool (window `win`, 2x2 stride 2) of every plane of `x` into `out`; window cells outside
/// the input are ignored. Each output becomes `combine(previous value, maximum)`, so callers
/// can store the pool or add it onto a residual in the same pass.
#[inline]
pub(crate) fn max_pool_planes(
    x: &[f32],
    win: &Window,
    out: &mut [f32],
    combine: impl Fn(f32, f32) -> f32,
) {
    let (h, w) = (win.rows.len, win.cols.len);
    let (oh, ow) = (win.rows.out, win.cols.out);
    // Same padding of a 2x2 stride-2 window never pads before, so output (oy, ox) covers input
    // rows 2oy..2oy+2 and columns 2ox..2ox+2, clipped to the plane.
    for (src, dst) in x.chunks_exact(h * w).zip(out.chunks_exact_mut(oh * ow)) {
        for (oy, orow) in dst.chunks_exact_mut(ow).enumerate() {
            let top = &src[2 * oy * w..][..w];
            let bottom = if 2 * oy + 1 < h {
                &src[(2 * oy + 1) * w..][..w]
            } else {
                top
            };
            for (ox, o) in orow.iter_mut().enumerate() {
                let x1 = (2 * ox + 1).min(w - 1);
                let max = top[2 * ox].max(top[x1]).max(bottom[2 * ox]).max(bottom[x1]);
                *o = combine(*o, max);
            }
        }
    }
}
