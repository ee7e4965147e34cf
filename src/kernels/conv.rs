//! Dense convolution as im2col plus one matrix product, for the stems (3x3 and 5x5 stride 2 on
//! three input channels) and the final 3x3 stride-3 "dense" layers of the face mesh.

use candle_core::{bail, CpuStorage, Layout, Result, Shape, Tensor};

use super::depthwise::PhasePlane;
use super::geometry::{ConvWindow, Padding, Window};
use super::matmul::{fill_bias, matmul_acc};
use super::stock;
use super::storage::{apply3, check_bias, fast_path, nchw, F32Kernel3};

/// Convolution of `x` `[N, Cin, H, W]` with `w` `[Cout, Cin, k, k]` and bias `b` `[Cout]`,
/// `stride`, TFLite `padding`; returns `[N, Cout, OH, OW]`.
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: Padding,
) -> Result<Tensor> {
    let (_, cin, _, _) = nchw("conv2d", x)?;
    let (cout, k) = match w.dims() {
        &[o, i, kh, kw] if i == cin && kh == kw => (o, kh),
        dims => bail!("conv2d: weights of shape {dims:?} do not match {cin} input channels ([Cout, Cin, k, k])"),
    };
    check_bias("conv2d", b, cout)?;
    if !fast_path(&[x, w, b]) {
        return stock::conv2d(x, w, b, stride, padding);
    }
    apply3(x, w, b, ConvOp(ConvWindow { k, stride, padding }))
}

/// The custom op behind [`conv2d`].
struct ConvOp(ConvWindow);

impl F32Kernel3 for ConvOp {
    const NAME: &'static str = "sfumato-conv2d";

    fn run(
        &self,
        [x, weights, bias]: [&[f32]; 3],
        [xl, _, _]: [&Layout; 3],
    ) -> Result<(CpuStorage, Shape)> {
        let (n, cin, win) = self.0.over(Self::NAME, xl)?;
        let (k, plane_len) = (win.k, win.rows.len * win.cols.len);
        let (cout, area, depth) = (bias.len(), win.out_area(), cin * k * k);
        let mut cols = vec![0f32; depth * area];
        let mut plane = PhasePlane::new(&win);
        let mut out = vec![0f32; n * cout * area];
        for (src, dst) in x
            .chunks_exact(cin * plane_len)
            .zip(out.chunks_exact_mut(cout * area))
        {
            for (ci, src_plane) in src.chunks_exact(plane_len).enumerate() {
                plane.fill(src_plane);
                im2col_plane(&plane, &win, &mut cols[ci * k * k * area..]);
            }
            fill_bias(dst, bias, area);
            matmul_acc(dst, weights, &cols, (cout, area, depth), None);
        }
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, cout, win.rows.out, win.cols.out)),
        ))
    }
}

/// Writes the `k*k` rows of the im2col matrix for one input plane: row `ky*k + kx` holds, for
/// every output pixel, the input that kernel tap meets.
fn im2col_plane(plane: &PhasePlane, win: &Window, cols: &mut [f32]) {
    let (oh, ow, s) = (win.rows.out, win.cols.out, win.stride);
    for ky in 0..win.k {
        for kx in 0..win.k {
            let row = &mut cols[(ky * win.k + kx) * oh * ow..][..oh * ow];
            let offset = plane.column(kx);
            for (oy, dst) in row.chunks_exact_mut(ow).enumerate() {
                dst.copy_from_slice(&plane.row(oy * s + ky)[offset..offset + ow]);
            }
        }
    }
}
