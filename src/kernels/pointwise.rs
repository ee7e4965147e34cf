//! 1x1 convolution as one matrix product per image: `[Cout, Cin] · [Cin, H*W]`.

use candle_core::{bail, CpuStorage, Layout, Result, Shape, Tensor};

use super::matmul::{fill_bias, matmul_acc};
use super::stock;
use super::storage::{apply3, check_bias, fast_path, nchw, F32Kernel3};

/// 1x1 convolution (stride 1) of `x` `[N, Cin, H, W]` with `w` `[Cout, Cin, 1, 1]` (or
/// `[Cout, Cin]`) and bias `b` `[Cout]`; returns `[N, Cout, H, W]`.
pub fn pointwise(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    let (_, cin, _, _) = nchw("pointwise", x)?;
    let cout = match w.dims() {
        &[o, i, 1, 1] | &[o, i] if i == cin => o,
        dims => bail!("pointwise: weights of shape {dims:?} do not match {cin} input channels"),
    };
    check_bias("pointwise", b, cout)?;
    if !fast_path(&[x, w, b]) {
        return stock::pointwise(x, &w.reshape((cout, cin, 1, 1))?, b);
    }
    apply3(x, w, b, PointwiseOp)
}

/// The custom op behind [`pointwise`].
struct PointwiseOp;

impl F32Kernel3 for PointwiseOp {
    const NAME: &'static str = "sfumato-pointwise";

    fn run(
        &self,
        [x, weights, bias]: [&[f32]; 3],
        [xl, _, _]: [&Layout; 3],
    ) -> Result<(CpuStorage, Shape)> {
        let (n, cin, h, w) = xl.shape().dims4()?;
        let cout = bias.len();
        let mut out = vec![0f32; n * cout * h * w];
        for (src, dst) in x
            .chunks_exact(cin * h * w)
            .zip(out.chunks_exact_mut(cout * h * w))
        {
            fill_bias(dst, bias, h * w);
            matmul_acc(dst, weights, src, (cout, h * w, cin), None);
        }
        Ok((CpuStorage::F32(out), Shape::from((n, cout, h, w))))
    }
}
