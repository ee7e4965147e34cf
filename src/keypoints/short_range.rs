//! BlazeFace short-range detector (128x128 input, 896 anchors): faces filling a good part of
//! the picture, as in most portraits.

use super::blocks::{Activation, BlockShape, ResidualBlock};
use super::layers::{keras_name, Conv, Pointwise};
use super::ops;
use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

/// Hyper-parameters of the short-range detector as shipped by MediaPipe.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ShortRangeConfig {
    /// Input side in pixels.
    pub input_size: usize,
    /// Channels of the 5x5 stem.
    pub stem_channels: usize,
    /// Output channels and stride of each of the 16 blocks.
    pub blocks: Vec<(usize, usize)>,
    /// Index of the block whose 16x16 output feeds the first pair of heads.
    pub head16_block: usize,
    /// Anchors per cell on the 16x16 and 8x8 grids.
    pub anchors_per_cell: (usize, usize),
}

impl Default for ShortRangeConfig {
    fn default() -> Self {
        let blocks = [
            (24, 1),
            (28, 1),
            (32, 2),
            (36, 1),
            (42, 1),
            (48, 2),
            (56, 1),
            (64, 1),
            (72, 1),
            (80, 1),
            (88, 1),
            (96, 2),
            (96, 1),
            (96, 1),
            (96, 1),
            (96, 1),
        ];
        Self {
            input_size: 128,
            stem_channels: 24,
            blocks: blocks.to_vec(),
            head16_block: 10,
            anchors_per_cell: (2, 6),
        }
    }
}

/// The network: stem, 16 blocks, score and box heads on the 16x16 and 8x8 maps.
#[derive(Debug, Clone)]
pub(super) struct ShortRangeNet {
    stem: Conv,
    blocks: Vec<ResidualBlock>,
    cls16: Pointwise,
    reg16: Pointwise,
    cls8: Pointwise,
    reg8: Pointwise,
    head16_block: usize,
}

impl ShortRangeNet {
    /// Builds the network from `face_detection_short_range.safetensors` weights.
    pub(super) fn new(cfg: &ShortRangeConfig, vb: VarBuilder) -> Result<Self> {
        let stem = Conv::new(&vb, "conv2d", (3, cfg.stem_channels, 5), 2, true)?;
        let mut c_in = cfg.stem_channels;
        let mut blocks = Vec::with_capacity(cfg.blocks.len());
        for (i, &(c_out, stride)) in cfg.blocks.iter().enumerate() {
            let dw = keras_name("depthwise_conv2d", i);
            let pw = keras_name("conv2d", i + 1);
            let shape = BlockShape {
                c_in,
                c_out,
                stride,
            };
            blocks.push(ResidualBlock::new(
                &vb,
                (&dw, &pw),
                shape,
                Activation::Relu,
            )?);
            c_in = c_out;
        }
        let c16 = cfg.blocks[cfg.head16_block].0;
        let (a16, a8) = cfg.anchors_per_cell;
        Ok(Self {
            stem,
            blocks,
            cls16: Pointwise::new(&vb, "classificator_8", c16, a16)?,
            reg16: Pointwise::new(&vb, "regressor_8", c16, a16 * 16)?,
            cls8: Pointwise::new(&vb, "classificator_16", c_in, a8)?,
            reg8: Pointwise::new(&vb, "regressor_16", c_in, a8 * 16)?,
            head16_block: cfg.head16_block,
        })
    }

    /// Runs the detector on `[1, 3, 128, 128]` (RGB in [-1, 1]); returns the raw
    /// `(regressors [1, 896, 16], classificators [1, 896, 1])` in TFLite's anchor order.
    pub(super) fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let mut h = ops::relu(&self.stem.forward(x)?)?;
        let mut map16 = None;
        for (i, block) in self.blocks.iter().enumerate() {
            h = block.forward(&h)?;
            if i == self.head16_block {
                map16 = Some(h.clone());
            }
        }
        let map16 =
            map16.ok_or_else(|| candle_core::Error::Msg("head block index out of range".into()))?;
        let reg = Tensor::cat(
            &[
                ops::head_rows(&self.reg16.forward(&map16)?, 16)?,
                ops::head_rows(&self.reg8.forward(&h)?, 16)?,
            ],
            1,
        )?;
        let cls = Tensor::cat(
            &[
                ops::head_rows(&self.cls16.forward(&map16)?, 1)?,
                ops::head_rows(&self.cls8.forward(&h)?, 1)?,
            ],
            1,
        )?;
        Ok((reg, cls))
    }
}
