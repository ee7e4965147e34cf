//! 1x1 convolution as one matrix product per image: `[Cout, Cin] · [Cin, H*W]`.

use candle_core::{bail, CpuStorage, CustomOp3, Layout, Result, Shape, Tensor};

use super::matmul::{fill_bias, matmul_acc};
use super::stock;
use super::storage::{f32_slice, fast_path, nchw};

/// 1x1 convolution (stride 1) of `x` `[N, Cin, H, W]` with `w` `[Cout, Cin, 1, 1]` (or
/// `[Cout, Cin]`) and bias `b` `[Cout]`; returns `[N, Cout, H, W]`.
pub fn pointwise(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (_, cin, _, _) = nchw("pointwise", x)?;
    let cout = match w.dims() {
        &[o, i, 1, 1] | &[o, i] if i == cin => o,
        dims => bail!("pointwise: weights of shape {dims:?} do not match {cin} input channels"),
    };
    if b.dims() != [cout] {
        bail!(
            "pointwise: bias of shape {:?} does not match {cout} output channels",
            b.dims()
        );
    }
    if !fast_path(&[x, w, b]) {
        return stock::pointwise(x, &w.reshape((cout, cin, 1, 1))?, b);
    }
    x.contiguous()?
        .apply_op3_no_bwd(&w.contiguous()?, &b.contiguous()?, &PointwiseOp)
}

/// The custom op behind [`pointwise`].
struct PointwiseOp;

impl CustomOp3 for PointwiseOp {
    fn name(&self) -> &'static str {
        "sfumato-pointwise"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, cin, h, w) = xl.shape().dims4()?;
        let x = f32_slice(self.name(), xs, xl)?;
        let weights = f32_slice(self.name(), ws, wl)?;
        let bias = f32_slice(self.name(), bs, bl)?;
        let cout = bias.len();
        let mut out = vec![0f32; n * cout * h * w];
        for (src, dst) in x
            .chunks_exact(cin * h * w)
            .zip(out.chunks_exact_mut(cout * h * w))
        {
            fill_bias(dst, bias, h * w);
            matmul_acc(dst, weights, src, cout, h * w, cin);
        }
        Ok((CpuStorage::F32(out), Shape::from((n, cout, h, w))))
    }
}
