//! The same operations composed from stock candle ops: the reference the fast kernels are tested
//! against, and the path taken on GPUs and for dtypes other than `f32`.

use candle_core::{Result, Tensor};

use super::block::{BlockActivation, BlockWeights};
use super::geometry::{Padding, Window};
use super::storage::nchw;

/// Zero-pads `x`'s spatial dims as TFLite padding would for the window, since candle's own
/// convolution padding is symmetric.
fn pad_spatial(x: &Tensor, win: &Window) -> Result<Tensor> {
    x.pad_with_zeros(2, win.rows.before, win.rows.after)?
        .pad_with_zeros(3, win.cols.before, win.cols.after)
}

/// Adds a per-channel bias `[C]` to `[N, C, H, W]`.
fn add_bias(x: &Tensor, b: &Tensor) -> Result<Tensor> {
    x.broadcast_add(&b.reshape((1, b.elem_count(), 1, 1))?)
}

/// Convolution with TFLite padding made explicit (candle pads symmetrically), `groups` as in
/// candle's `conv2d`, then bias.
fn conv_padded(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: Padding,
    groups: usize,
) -> Result<Tensor> {
    let (_, _, h, wd) = nchw("conv2d", x)?;
    let win = Window::new("conv2d", (h, wd), w.dim(2)?, stride, padding)?;
    add_bias(&pad_spatial(x, &win)?.conv2d(w, 0, stride, 1, groups)?, b)
}

/// Reference for [`super::depthwise`]: grouped convolution, one group per channel.
pub fn depthwise(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: Padding,
) -> Result<Tensor> {
    conv_padded(x, w, b, stride, padding, x.dim(1)?)
}

/// Reference for [`super::pointwise`]: `conv2d` with a 1x1 kernel, then bias.
pub fn pointwise(x: &Tensor, w: &Tensor, b: &Tensor) -> Result<Tensor> {
    add_bias(&x.conv2d(w, 0, 1, 1, 1)?, b)
}

/// Reference for [`super::conv2d`]: dense convolution.
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: Padding,
) -> Result<Tensor> {
    conv_padded(x, w, b, stride, padding, 1)
}

/// Reference for [`super::prelu`]: `max(x, 0) + slope * min(x, 0)`.
pub fn prelu(x: &Tensor, slope: &Tensor) -> Result<Tensor> {
    let slope = slope.reshape((1, slope.elem_count(), 1, 1))?;
    x.maximum(0f32)?
        .broadcast_add(&x.minimum(0f32)?.broadcast_mul(&slope)?)
}

/// Reference for [`super::add_padded`]: zero-pad the skip's channels, then add.
pub fn add_padded(x: &Tensor, skip: &Tensor) -> Result<Tensor> {
    let missing = x.dim(1)? - skip.dim(1)?;
    x + skip.pad_with_zeros(1, 0, missing)?
}

/// Reference for [`super::max_pool2`]: `max_pool2d(2)`, after repeating the last row/column for
/// `Same` on odd sizes (a repeated cell never changes a maximum).
pub fn max_pool2(x: &Tensor, padding: Padding) -> Result<Tensor> {
    let (_, _, h, w) = nchw("max_pool2", x)?;
    let x = match padding {
        Padding::Same => x.pad_with_same(2, 0, h % 2)?.pad_with_same(3, 0, w % 2)?,
        Padding::Valid => x.clone(),
    };
    x.max_pool2d(2)
}

/// Reference for [`super::blaze_block`]: depthwise, pointwise, max-pooled (stride 2) and
/// channel-padded skip, activation, each a stock composition.
pub fn blaze_block(
    x: &Tensor,
    weights: BlockWeights<'_>,
    stride: usize,
    act: BlockActivation<'_>,
) -> Result<Tensor> {
    let y = depthwise(x, weights.dw_weight, weights.dw_bias, stride, Padding::Same)?;
    let y = pointwise(&y, weights.pw_weight, weights.pw_bias)?;
    let skip = match stride {
        1 => x.clone(),
        _ => max_pool2(x, Padding::Same)?,
    };
    let y = add_padded(&y, &skip)?;
    match act {
        BlockActivation::Relu => y.relu(),
        BlockActivation::PRelu(slope) => prelu(&y, &slope.flatten_all()?),
    }
}
