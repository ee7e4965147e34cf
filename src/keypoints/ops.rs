//! The tensor operations the MediaPipe networks are made of, one function per kind, on NCHW
//! tensors with TFLite's padding rules.
//!
//! Every convolution in the networks goes through these few functions, so a faster kernel can
//! replace the stock candle path in one place while the stock path stays the reference.

use candle_core::{Result, Tensor};

/// Zero padding `(before, after)` of TFLite's SAME rule along one axis of size `n`: the total
/// `(ceil(n/s)-1)*s + k - n` is split with the smaller half first, so stride 2 on even sizes
/// pads only after (right/bottom), unlike candle's symmetric padding.
pub(crate) fn same_padding(n: usize, kernel: usize, stride: usize) -> (usize, usize) {
    let out = n.div_ceil(stride);
    let total = ((out - 1) * stride + kernel).saturating_sub(n);
    (total / 2, total - total / 2)
}

/// Pads the two spatial axes of an NCHW tensor as TFLite's SAME rule asks for `kernel`, `stride`.
fn pad_same(x: &Tensor, kernel: usize, stride: usize) -> Result<Tensor> {
    let (_, _, h, w) = x.dims4()?;
    let (top, bottom) = same_padding(h, kernel, stride);
    let (left, right) = same_padding(w, kernel, stride);
    x.pad_with_zeros(2, top, bottom)?
        .pad_with_zeros(3, left, right)
}

/// Adds a per-channel bias `[C]` to an NCHW tensor.
fn add_bias(x: &Tensor, bias: &Tensor) -> Result<Tensor> {
    x.broadcast_add(&bias.reshape((1, (), 1, 1))?)
}

/// Dense convolution `weight [out, in, k, k]` with TFLite SAME padding.
pub(crate) fn conv_same(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
) -> Result<Tensor> {
    let k = weight.dim(3)?;
    let y = pad_same(x, k, stride)?.conv2d(weight, 0, stride, 1, 1)?;
    add_bias(&y, bias)
}

/// Dense convolution without padding (VALID), e.g. the mesh heads' 3x3 stride-3 "dense layers".
pub(crate) fn conv_valid(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
) -> Result<Tensor> {
    add_bias(&x.conv2d(weight, 0, stride, 1, 1)?, bias)
}

/// Depthwise convolution `weight [C, 1, k, k]` (one filter per channel) with TFLite SAME padding.
pub(crate) fn depthwise(
    x: &Tensor,
    weight: &Tensor,
    bias: &Tensor,
    stride: usize,
) -> Result<Tensor> {
    let (c, _, k, _) = weight.dims4()?;
    let y = pad_same(x, k, stride)?.conv2d(weight, 0, stride, 1, c)?;
    add_bias(&y, bias)
}

/// 1x1 convolution `weight [out, in, 1, 1]`: a matrix product over the channel axis.
pub(crate) fn pointwise(x: &Tensor, weight: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = x.dims4()?;
    let out = weight.dim(0)?;
    let w2 = weight.reshape((out, c))?;
    let y = w2.broadcast_matmul(&x.reshape((n, c, h * w))?)?;
    add_bias(&y.reshape((n, out, h, w))?, bias)
}

/// ReLU.
pub(crate) fn relu(x: &Tensor) -> Result<Tensor> {
    x.relu()
}

/// PReLU with one slope per channel `alpha [C]`: `x` where positive, `alpha * x` elsewhere.
pub(crate) fn prelu(x: &Tensor, alpha: &Tensor) -> Result<Tensor> {
    let pos = x.relu()?;
    let neg = (x - &pos)?;
    pos + neg.broadcast_mul(&alpha.reshape((1, (), 1, 1))?)?
}

/// Residual join `a + b`.
pub(crate) fn add(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a + b
}

/// Appends zero channels so a skip path of `x` matches `channels` (TFLite's channel PAD).
pub(crate) fn pad_channels(x: &Tensor, channels: usize) -> Result<Tensor> {
    let c = x.dim(1)?;
    x.pad_with_zeros(1, 0, channels.saturating_sub(c))
}

/// 2x2 max pool with stride 2 (the skip path of stride-2 blocks; sizes are even, so SAME and
/// VALID agree).
pub(crate) fn max_pool2(x: &Tensor) -> Result<Tensor> {
    x.max_pool2d_with_stride(2, 2)
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
    fn same_padding_matches_tflite() {
        assert_eq!(same_padding(64, 3, 2), (0, 1));
        assert_eq!(same_padding(128, 5, 2), (1, 2));
        assert_eq!(same_padding(64, 3, 1), (1, 1));
        assert_eq!(same_padding(16, 1, 1), (0, 0));
    }

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
