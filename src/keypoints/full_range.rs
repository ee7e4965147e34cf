//! Dense full-range face detector (192x192 input, 2304 anchors): finds small faces, such as in a
//! full-length portrait, that the short-range detector misses.

use super::blocks::{BlockShape, Bottleneck};
use super::layers::{Conv, Pointwise};
use super::ops;
use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

/// One bottleneck block: first depthwise and 1x1 layer numbers, channels in/mid/out, stride.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct BottleneckSpec {
    /// Number N of the first depthwise layer (`depthwise_conv2d_N`).
    pub dw: usize,
    /// Number N of the first 1x1 layer (`conv2d_N`).
    pub conv: usize,
    /// Input channels.
    pub c_in: usize,
    /// Channels inside the block.
    pub mid: usize,
    /// Output channels.
    pub c_out: usize,
    /// 1 or 2.
    pub stride: usize,
}

/// One top-down (FPN) step: lateral 1x1 on a backbone map, 1x1 on the coarser map, upsample,
/// add, then refinement blocks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct TopDownSpec {
    /// Number of the 1x1 layer applied to the coarser map (the lateral one is the next).
    pub conv: usize,
    /// Index of the backbone block whose output is the lateral input.
    pub lateral_block: usize,
    /// Channels of the coarser map, of the lateral map, and after the step.
    pub channels: (usize, usize, usize),
    /// Refinement blocks after the addition.
    pub blocks: Vec<BottleneckSpec>,
}

/// Hyper-parameters of the dense full-range detector.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct FullRangeConfig {
    /// Input side in pixels.
    pub input_size: usize,
    /// Channels of the 3x3 stem.
    pub stem_channels: usize,
    /// The backbone.
    pub backbone: Vec<BottleneckSpec>,
    /// The top-down path, coarse to fine.
    pub top_down: Vec<TopDownSpec>,
}

const fn spec(
    dw: usize,
    conv: usize,
    c_in: usize,
    mid: usize,
    c_out: usize,
    stride: usize,
) -> BottleneckSpec {
    BottleneckSpec {
        dw,
        conv,
        c_in,
        mid,
        c_out,
        stride,
    }
}

impl Default for FullRangeConfig {
    fn default() -> Self {
        let backbone = vec![
            spec(0, 1, 32, 8, 32, 1),
            spec(2, 3, 32, 8, 32, 1),
            spec(4, 5, 32, 12, 48, 2),
            spec(6, 7, 48, 12, 48, 1),
            spec(8, 9, 48, 16, 64, 1),
            spec(10, 11, 64, 24, 96, 2),
            spec(12, 13, 96, 32, 128, 1),
            spec(14, 15, 128, 32, 128, 1),
            spec(16, 17, 128, 36, 144, 2),
            spec(18, 19, 144, 48, 192, 1),
            spec(20, 21, 192, 64, 256, 1),
            spec(22, 23, 256, 96, 384, 2),
            spec(24, 25, 384, 96, 384, 1),
            spec(26, 27, 384, 96, 384, 1),
            spec(28, 29, 384, 96, 384, 1),
        ];
        let top_down = vec![
            TopDownSpec {
                conv: 31,
                lateral_block: 10,
                channels: (384, 256, 96),
                blocks: vec![spec(30, 33, 96, 48, 96, 1), spec(32, 35, 96, 48, 96, 1)],
            },
            TopDownSpec {
                conv: 37,
                lateral_block: 7,
                channels: (96, 128, 64),
                blocks: vec![spec(34, 39, 64, 32, 64, 1), spec(36, 41, 64, 32, 64, 1)],
            },
            TopDownSpec {
                conv: 43,
                lateral_block: 4,
                channels: (64, 64, 48),
                blocks: vec![spec(38, 45, 48, 24, 48, 1)],
            },
        ];
        Self {
            input_size: 192,
            stem_channels: 32,
            backbone,
            top_down,
        }
    }
}

fn bottleneck(vb: &VarBuilder, s: &BottleneckSpec) -> Result<Bottleneck> {
    let shape = BlockShape {
        c_in: s.c_in,
        c_out: s.c_out,
        stride: s.stride,
    };
    Bottleneck::new(vb, s.dw, s.conv, s.mid, shape)
}

/// One loaded top-down step.
#[derive(Debug, Clone)]
struct TopDown {
    coarse: Pointwise,
    lateral: Pointwise,
    lateral_block: usize,
    blocks: Vec<Bottleneck>,
}

/// The network: stem, bottleneck backbone to 6x6, top-down path back to 48x48, one head.
#[derive(Debug, Clone)]
pub(super) struct FullRangeNet {
    stem: Conv,
    backbone: Vec<Bottleneck>,
    top_down: Vec<TopDown>,
    cls: Pointwise,
    reg: Pointwise,
}

impl FullRangeNet {
    /// Builds the network from `face_detection_full_range.safetensors` weights.
    pub(super) fn new(cfg: &FullRangeConfig, vb: VarBuilder) -> Result<Self> {
        let stem = Conv::new(&vb, "conv2d", (3, cfg.stem_channels, 3), 2, true)?;
        let backbone = cfg
            .backbone
            .iter()
            .map(|s| bottleneck(&vb, s))
            .collect::<Result<Vec<_>>>()?;
        let mut top_down = Vec::new();
        let mut channels = cfg.stem_channels;
        for t in &cfg.top_down {
            let (coarse, lateral, out) = t.channels;
            top_down.push(TopDown {
                coarse: Pointwise::new(&vb, &format!("conv2d_{}", t.conv), coarse, out)?,
                lateral: Pointwise::new(&vb, &format!("conv2d_{}", t.conv + 1), lateral, out)?,
                lateral_block: t.lateral_block,
                blocks: t
                    .blocks
                    .iter()
                    .map(|s| bottleneck(&vb, s))
                    .collect::<Result<Vec<_>>>()?,
            });
            channels = out;
        }
        Ok(Self {
            stem,
            backbone,
            top_down,
            cls: Pointwise::new(&vb, "classifier_face_4", channels, 1)?,
            reg: Pointwise::new(&vb, "regressor_face_4", channels, 16)?,
        })
    }

    /// Runs the detector on `[1, 3, 192, 192]` (RGB in [-1, 1]); returns the raw
    /// `(regressors [1, 2304, 16], classificators [1, 2304, 1])`.
    pub(super) fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let mut h = ops::relu(&self.stem.forward(x)?)?;
        let mut outputs = Vec::with_capacity(self.backbone.len());
        for block in &self.backbone {
            h = block.forward(&h)?;
            outputs.push(h.clone());
        }
        for step in &self.top_down {
            let coarse = ops::upsample2(&ops::relu(&step.coarse.forward(&h)?)?)?;
            let lateral = ops::relu(&step.lateral.forward(&outputs[step.lateral_block])?)?;
            h = ops::add(&coarse, &lateral)?;
            for block in &step.blocks {
                h = block.forward(&h)?;
            }
        }
        let reg = ops::head_rows(&self.reg.forward(&h)?, 16)?;
        let cls = ops::head_rows(&self.cls.forward(&h)?, 1)?;
        Ok((reg, cls))
    }
}
