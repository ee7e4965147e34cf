//! Keypoint detector: a torchvision ResNet-18 (`fg_encoder`) whose classifier emits the 5K
//! keypoints, squashed into (-1, 1). Eval-mode batch norms are folded into the convolutions;
//! the stride-1 ones run on the networks' own im2col conv kernel ([`SameConv::direct`]).

use crate::kernels::SameConv;
use candle_core::{Module, Result, Tensor, D};
use candle_nn::{Conv2d, Conv2dConfig, Linear, VarBuilder};

const BN_EPS: f64 = 1e-5;

/// Per-channel (scale, shift) of an eval-mode batch norm: y = x * scale + shift.
pub(super) fn batch_norm_affine(channels: usize, vb: &VarBuilder) -> Result<(Tensor, Tensor)> {
    let gamma = vb.get(channels, "weight")?;
    let beta = vb.get(channels, "bias")?;
    let mean = vb.get(channels, "running_mean")?;
    let var = vb.get(channels, "running_var")?;
    let scale = gamma.div(&(var + BN_EPS)?.sqrt()?)?;
    let shift = (beta - mean.mul(&scale)?)?;
    Ok((scale, shift))
}

/// A bias-free conv followed by an eval-mode batch norm, folded into one conv with bias.
#[derive(Debug, Clone)]
enum ConvBn {
    /// Stride 1.
    Same(SameConv),
    /// Stride 2 (stem, first conv and shortcut of a downsampling block).
    Strided(Conv2d),
}

impl ConvBn {
    fn new(
        cin: usize,
        cout: usize,
        k: usize,
        stride: usize,
        conv_vb: VarBuilder,
        bn_vb: VarBuilder,
    ) -> Result<Self> {
        let weight = conv_vb.get((cout, cin, k, k), "weight")?;
        let (scale, shift) = batch_norm_affine(cout, &bn_vb)?;
        let weight = weight.broadcast_mul(&scale.reshape((cout, 1, 1, 1))?)?;
        if stride == 1 {
            return Ok(ConvBn::Same(SameConv::direct(weight, shift)?));
        }
        let cfg = Conv2dConfig {
            padding: k / 2,
            stride,
            ..Default::default()
        };
        Ok(ConvBn::Strided(Conv2d::new(weight, Some(shift), cfg)))
    }
}

impl Module for ConvBn {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        match self {
            ConvBn::Same(c) => c.forward(x),
            ConvBn::Strided(c) => c.forward(x),
        }
    }
}

/// torchvision `BasicBlock`.
#[derive(Debug, Clone)]
struct BasicBlock {
    conv1: ConvBn,
    conv2: ConvBn,
    downsample: Option<ConvBn>,
}

impl BasicBlock {
    fn new(cin: usize, cout: usize, stride: usize, vb: VarBuilder) -> Result<Self> {
        let downsample = if stride != 1 || cin != cout {
            Some(ConvBn::new(
                cin,
                cout,
                1,
                stride,
                vb.pp("downsample.0"),
                vb.pp("downsample.1"),
            )?)
        } else {
            None
        };
        Ok(BasicBlock {
            conv1: ConvBn::new(cin, cout, 3, stride, vb.pp("conv1"), vb.pp("bn1"))?,
            conv2: ConvBn::new(cout, cout, 3, 1, vb.pp("conv2"), vb.pp("bn2"))?,
            downsample,
        })
    }
}

impl Module for BasicBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.conv2.forward(&self.conv1.forward(x)?.relu()?)?;
        let skip = match &self.downsample {
            Some(d) => d.forward(x)?,
            None => x.clone(),
        };
        (h + skip)?.relu()
    }
}

/// The keypoint detector (`kp_detector`): image (N, 3, H, W) in [0, 1] -> keypoints
/// (N, 5K, 2), (x, y) in (-1, 1).
#[derive(Debug, Clone)]
pub(super) struct KpDetector {
    stem: ConvBn,
    blocks: Vec<BasicBlock>,
    fc: Linear,
    num_kp: usize,
}

impl KpDetector {
    /// Loads `fg_encoder.*` for a detector emitting `num_kp` keypoints from `channels`-channel
    /// images.
    pub(super) fn new(channels: usize, num_kp: usize, vb: VarBuilder) -> Result<Self> {
        let vb = vb.pp("fg_encoder");
        let stem = ConvBn::new(channels, 64, 7, 2, vb.pp("conv1"), vb.pp("bn1"))?;
        let mut blocks = Vec::with_capacity(8);
        let mut cin = 64;
        for (layer, cout) in [64, 128, 256, 512].into_iter().enumerate() {
            let stride = if layer == 0 { 1 } else { 2 };
            let lvb = vb.pp(format!("layer{}", layer + 1));
            blocks.push(BasicBlock::new(cin, cout, stride, lvb.pp("0"))?);
            blocks.push(BasicBlock::new(cout, cout, 1, lvb.pp("1"))?);
            cin = cout;
        }
        let fc = candle_nn::linear(512, 2 * num_kp, vb.pp("fc"))?;
        Ok(KpDetector {
            stem,
            blocks,
            fc,
            num_kp,
        })
    }
}

impl Module for KpDetector {
    fn forward(&self, image: &Tensor) -> Result<Tensor> {
        let n = image.dim(0)?;
        let h = self.stem.forward(image)?.relu()?;
        // 3x3/2 max pool with padding 1: after the ReLU every value is >= 0 and each window
        // holds a real pixel, so replicating the border gives the padded maximum exactly.
        let mut h = h
            .pad_with_same(2, 1, 1)?
            .pad_with_same(3, 1, 1)?
            .max_pool2d_with_stride(3, 2)?;
        for block in &self.blocks {
            h = block.forward(&h)?;
        }
        let pooled = h.flatten_from(2)?.mean(D::Minus1)?;
        let logits = self.fc.forward(&pooled)?;
        let kp = ((candle_nn::ops::sigmoid(&logits)? * 2.0)? - 1.0)?;
        kp.reshape((n, self.num_kp, 2))
    }
}
