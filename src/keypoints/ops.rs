//! The tensor operations the MediaPipe networks are made of, one function per kind, on NCHW
//! tensors with TFLite's padding rules.
//!
//! Every convolution in the networks goes through these few functions, so a faster kernel can
//! replace the stock candle path in one place while the stock path stays the reference.

use crate::kernels::{self, Padding};
use candle_core::{Result, Tensor};

/// Dense convolution `weight [out, in, k, k]` with TFLite SAME padding.
pub(crate) fn conv_same(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
) -> Result<Tensor> {
    kernels::conv2d(x, weight, bias, stride, Padding::Same)
}

/// Dense convolution without padding (VALID), e.g. the mesh heads' 3x3 stride-3 "dense layers".
pub(crate) fn conv_valid(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
) -> Result<Tensor> {
    kernels::conv2d(x, weight, bias, stride, Padding::Valid)
}

/// Depthwise convolution `weight [C, 1, k, k]` (one filter per channel) with TFLite SAME padding.
pub(crate) fn depthwise(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
) -> Result<Tensor> {
    kernels::depthwise(x, weight, bias, stride, Padding::Same)
}

/// 1x1 convolution `weight [out, in, 1, 1]`: a matrix product over the channel axis.
pub(crate) fn pointwise(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    kernels::pointwise(x, weight, bias)
}

/// ReLU.
pub(crate) fn relu(x: &Tensor) -> Result<Tensor> {
    x.relu()
}

/// PReLU with one slope per channel `alpha [C]`: `x` where positive, `alpha * x` elsewhere.
pub(crate) fn prelu(x: &Tensor, alpha: &Tensor) -> Result<Tensor> {
    kernels::prelu(x, alpha)
}

/// Residual join `a + b`.
pub(crate) fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a + b
}

/// Residual join `main + skip` where the skip may have fewer channels: the missing ones are
/// zeros (TFLite's channel PAD before the ADD).
pub(crate) fn add_padded(main: &Tensor, skip: &Tensor) -> Result<Tensor> {
    kernels::add_padded(main, skip)
}

/// 2x2 max pool with stride 2 (the skip path of stride-2 blocks; sizes are even, so SAME and
/// VALID agree).
pub(crate) fn max_pool2(x: &Tensor) -> Result<Tensor> {
    kernels::max_pool2(x, Padding::Same)
}

/// Bilinear 2x upsampling with half-pixel centres (TFLite RESIZE_BILINEAR, half_pixel_centers).
pub(crate) fn upsample2(x: &Tensor) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    x.upsample_bilinear2d(2 * h, 2 * w, false)
}

/// NCHW head output `[1, A*K, H, W]` to TFLite's `[1, H*W*A, K]` row order (y, x, anchor).
pub(crate) fn head_rows(x: &Tensor, per_anchor: usize) -> Result<Tensor> {
    let (n, _, _, _) = x.dims4()?;
    x.permute((0, 2, 3, 1))?
        .contiguous()?
        .reshape((n, (), per_anchor))
}

/// Sigmoid, used for scores and face presence.
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prelu_scales_negatives_per_channel() -> Result<()> {
        let dev = candle_core::Device::Cpu;
        let x = Tensor::new(&[[[[-2f32, 3.0]], [[-4.0, 5.0]]]], &dev)?;
        let a = Tensor::new(&[0.5f32, 0.25], &dev)?;
        let y = prelu(&x, &a)?.flatten_all()?.to_vec1::<f32>()?;
        assert_eq!(y, vec![-1.0, 3.0, -1.0, 5.0]);
        Ok(())
    }
}
