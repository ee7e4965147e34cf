//! The residual blocks the three networks are built from.

use super::layers::{Depthwise, PRelu, Pointwise};
use super::ops;
use crate::kernels::{self, BlockActivation, BlockWeights};
use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;

/// The activation after a residual join: ReLU (detectors) or per-channel PReLU (mesh).
#[derive(Debug, Clone)]
pub(super) enum Activation {
    /// Plain ReLU.
    Relu,
    /// PReLU with learned slopes.
    PRelu(PRelu),
}

impl Activation {
    /// The activation as the fused block kernel takes it.
    fn for_kernel(&self) -> BlockActivation<'_> {
        match self {
            Activation::Relu => BlockActivation::Relu,
            Activation::PRelu(p) => BlockActivation::PRelu(p.alpha()),
        }
    }
}

/// Shape of one block: input and output channels and the stride (1, or 2 to halve the size).
#[derive(Debug, Clone, Copy)]
pub(super) struct BlockShape {
    /// Input channels.
    pub c_in: usize,
    /// Output channels (the skip path is zero-padded up to it).
    pub c_out: usize,
    /// 1 or 2.
    pub stride: usize,
}

/// Joins a block's main path with its skip path: max-pool when striding, zero channels when
/// widening, then add.
fn join(main: &Tensor, x: &Tensor, shape: BlockShape) -> Result<Tensor> {
    let skip = if shape.stride == 2 {
        ops::max_pool2(x)?
    } else {
        x.clone()
    };
    ops::add_padded(main, &skip)
}

/// BlazeFace / face-mesh block: depthwise 3x3 -> 1x1 -> add skip -> activation.
#[derive(Debug, Clone)]
pub(super) struct ResidualBlock {
    dw: Depthwise,
    pw: Pointwise,
    act: Activation,
    shape: BlockShape,
}

impl ResidualBlock {
    /// Loads the block from its depthwise and 1x1 layer names; `act` follows the join.
    pub(super) fn new(
        vb: &VarBuilder,
        names: (&str, &str),
        shape: BlockShape,
        act: Activation,
    ) -> Result<Self> {
        Ok(Self {
            dw: Depthwise::new(vb, names.0, shape.c_in, shape.stride)?,
            pw: Pointwise::new(vb, names.1, shape.c_in, shape.c_out)?,
            act,
            shape,
        })
    }

    /// Runs the block on an NCHW tensor, as one fused kernel ([`kernels::blaze_block`]; the
    /// stock composition when the stock kernel path is selected).
    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (dw_weight, dw_bias) = self.dw.params();
        let (pw_weight, pw_bias) = self.pw.params();
        let weights = BlockWeights {
            dw_weight,
            dw_bias,
            pw_weight,
            pw_bias,
        };
        kernels::blaze_block(x, weights, self.shape.stride, self.act.for_kernel())
    }
}

/// Full-range detector block: depthwise -> 1x1 down -> ReLU -> depthwise -> 1x1 up -> add skip
/// -> ReLU.
#[derive(Debug, Clone)]
pub(super) struct Bottleneck {
    dw1: Depthwise,
    down: Pointwise,
    dw2: Depthwise,
    up: Pointwise,
    shape: BlockShape,
}

impl Bottleneck {
    /// Loads the block: depthwise layers `depthwise_conv2d_{dw}`, `_{dw+1}` and 1x1 layers
    /// `conv2d_{conv}`, `_{conv+1}`, with `mid` channels in between.
    pub(super) fn new(
        vb: &VarBuilder,
        dw: usize,
        conv: usize,
        mid: usize,
        shape: BlockShape,
    ) -> Result<Self> {
        let dw_name = |i| super::layers::keras_name("depthwise_conv2d", i);
        let conv_name = |i| super::layers::keras_name("conv2d", i);
        Ok(Self {
            dw1: Depthwise::new(vb, &dw_name(dw), shape.c_in, shape.stride)?,
            down: Pointwise::new(vb, &conv_name(conv), shape.c_in, mid)?,
            dw2: Depthwise::new(vb, &dw_name(dw + 1), mid, 1)?,
            up: Pointwise::new(vb, &conv_name(conv + 1), mid, shape.c_out)?,
            shape,
        })
    }

    /// Runs the block on an NCHW tensor.
    pub(super) fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = ops::relu(&self.down.forward(&self.dw1.forward(x)?)?)?;
        let main = self.up.forward(&self.dw2.forward(&h)?)?;
        ops::relu(&join(&main, x, self.shape)?)
    }
}
