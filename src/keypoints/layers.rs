//! Weighted layers loaded from the converted safetensors (names are the TFLite/Keras layer
//! names, see `models/convert_mediapipe.py`), each forwarding through [`super::ops`].

use super::ops;
use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

/// A dense convolution (stem, 3x3 heads) with its padding rule.
#[derive(Debug, Clone)]
pub(super) struct Conv {
    weight: Tensor,
    bias: Tensor,
    stride: usize,
    same: bool,
}

impl Conv {
    /// A `k`x`k` convolution `c_in -> c_out`; `same` selects TFLite SAME padding, else VALID.
    pub(super) fn new(
        vb: &VarBuilder,
        name: &str,
        shape: (usize, usize, usize),
        stride: usize,
        same: bool,
    ) -> Result<Self> {
        let (c_in, c_out, k) = shape;
        Ok(Self {
            weight: vb.get((c_out, c_in, k, k), &format!("{name}.weight"))?,
            bias: vb.get(c_out, &format!("{name}.bias"))?,
            stride,
            same,
        })
    }

    /// Applies the convolution to an NCHW tensor.
    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if self.same {
            ops::conv_same(x, &self.weight, &self.bias, self.stride)
        } else {
            ops::conv_valid(x, &self.weight, &self.bias, self.stride)
        }
    }
}

/// A 3x3 depthwise convolution with TFLite SAME padding.
#[derive(Debug, Clone)]
pub(super) struct Depthwise {
    weight: Tensor,
    bias: Tensor,
    stride: usize,
}

impl Depthwise {
    /// Loads the depthwise layer `name` over `channels` channels.
    pub(super) fn new(vb: &VarBuilder, name: &str, channels: usize, stride: usize) -> Result<Self> {
        Ok(Self {
            weight: vb.get((channels, 1, 3, 3), &format!("{name}.weight"))?,
            bias: vb.get(channels, &format!("{name}.bias"))?,
            stride,
        })
    }

    /// Applies the layer to an NCHW tensor.
    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::depthwise(x, &self.weight, &self.bias, self.stride)
    }

    /// Filters `[C, 1, 3, 3]` and bias `[C]`, for the fused block kernel.
    pub(crate) fn params(&self) -> (&Tensor, &Tensor) {
        (&self.weight, &self.bias)
    }
}

/// A 1x1 convolution (channel mixing).
#[derive(Debug, Clone)]
pub(super) struct Pointwise {
    weight: Tensor,
    bias: Tensor,
}

impl Pointwise {
    /// Loads the 1x1 layer `name`, `c_in -> c_out`.
    pub(super) fn new(vb: &VarBuilder, name: &str, c_in: usize, c_out: usize) -> Result<Self> {
        Ok(Self {
            weight: vb.get((c_out, c_in, 1, 1), &format!("{name}.weight"))?,
            bias: vb.get(c_out, &format!("{name}.bias"))?,
        })
    }

    /// Applies the layer to an NCHW tensor.
    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::pointwise(x, &self.weight, &self.bias)
    }

    /// Weights `[out, in, 1, 1]` and bias `[out]`, for the fused block kernel.
    pub(crate) fn params(&self) -> (&Tensor, &Tensor) {
        (&self.weight, &self.bias)
    }
}

/// PReLU with a learned slope per channel.
#[derive(Debug, Clone)]
pub(super) struct PRelu {
    alpha: Tensor,
}

impl PRelu {
    /// Loads the slopes of layer `name`.
    pub(super) fn new(vb: &VarBuilder, name: &str, channels: usize) -> Result<Self> {
        Ok(Self {
            alpha: vb.get(channels, &format!("{name}.alpha"))?,
        })
    }

    /// Applies the activation.
    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        ops::prelu(x, &self.alpha)
    }

    /// The slopes `[C]`, for the fused block kernel.
    pub(crate) fn alpha(&self) -> &Tensor {
        &self.alpha
    }
}

/// The Keras name of the `index`-th layer of a kind: `base` for 0, `base_N` after.
pub(crate) fn keras_name(base: &str, index: usize) -> String {
    if index == 0 {
        base.to_string()
    } else {
        format!("{base}_{index}")
    }
}
