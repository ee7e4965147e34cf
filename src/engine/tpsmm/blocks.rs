//! The convolutional building blocks shared by the TPSMM networks (official `modules/util.py`):
//! instance norm, down/up/same blocks, the pre-activation residual block and the hourglass.

use crate::kernels::{CpuKernel, F32Kernel3, SameConv};
use candle_core::{CpuStorage, DType, Layout, Module, Result, Shape, Tensor, D};
use candle_nn::VarBuilder;
use rayon::prelude::*;

/// `InstanceNorm2d(affine=True)` at inference followed by ReLU (the only way the networks use
/// it): per-sample, per-channel normalisation over the spatial dims (biased variance, eps 1e-5),
/// a learned per-channel scale and shift, then max(0, .). One fused two-pass CPU kernel; a
/// composition of tensor ops on other devices.
#[derive(Debug, Clone)]
pub(super) struct InstanceNormRelu {
    weight: Tensor,
    bias: Tensor,
}

const NORM_EPS: f64 = 1e-5;

impl InstanceNormRelu {
    /// Loads `weight` and `bias` of `channels` entries.
    pub(super) fn new(channels: usize, vb: VarBuilder) -> Result<Self> {
        Ok(InstanceNormRelu {
            weight: vb.get(channels, "weight")?,
            bias: vb.get(channels, "bias")?,
        })
    }

    fn forward_composed(&self, x: &Tensor) -> Result<Tensor> {
        let (n, c, h, w) = x.dims4()?;
        let flat = x.reshape((n, c, h * w))?;
        let mean = flat.mean_keepdim(D::Minus1)?;
        let centred = flat.broadcast_sub(&mean)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        let scale = (var + NORM_EPS)?
            .sqrt()?
            .recip()?
            .broadcast_mul(&self.weight.reshape((1, c, 1))?)?;
        centred
            .broadcast_mul(&scale)?
            .broadcast_add(&self.bias.reshape((1, c, 1))?)?
            .relu()?
            .reshape((n, c, h, w))
    }
}

impl Module for InstanceNormRelu {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.device().is_cpu() && x.dtype() == DType::F32 {
            x.contiguous()?.apply_op3_no_bwd(
                &self.weight,
                &self.bias,
                &CpuKernel(InstanceNormReluOp),
            )
        } else {
            self.forward_composed(x)
        }
    }
}

/// The fused CPU kernel of [`InstanceNormRelu`].
struct InstanceNormReluOp;

impl F32Kernel3 for InstanceNormReluOp {
    const NAME: &'static str = "instance-norm-relu";

    fn run(
        &self,
        [x, weight, bias]: [&[f32]; 3],
        [l1, _, _]: [&Layout; 3],
    ) -> Result<(CpuStorage, Shape)> {
        let (_, c, h, w) = l1.shape().dims4()?;
        if weight.len() != c || bias.len() != c {
            candle_core::bail!("instance-norm: {c} channels but {} weights", weight.len());
        }
        let area = h * w;
        let mut out = vec![0f32; x.len()];
        out.par_chunks_mut(area)
            .zip(x.par_chunks(area))
            .enumerate()
            .for_each(|(i, (dst, src))| {
                let (mean, var) = mean_and_variance(src);
                let scale = (weight[i % c] as f64 / (var + NORM_EPS).sqrt()) as f32;
                let shift = bias[i % c] - mean as f32 * scale;
                for (d, &v) in dst.iter_mut().zip(src) {
                    *d = (v * scale + shift).max(0.0);
                }
            });
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Mean and biased variance of `x`, accumulated in f64 in eight independent lanes (one pass
/// that vectorises; f64 keeps E[x^2] - E[x]^2 exact enough for f32 data).
fn mean_and_variance(x: &[f32]) -> (f64, f64) {
    const LANES: usize = 8;
    let (mut sum, mut sq) = ([0f64; LANES], [0f64; LANES]);
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for l in 0..LANES {
            let v = c[l] as f64;
            sum[l] += v;
            sq[l] += v * v;
        }
    }
    let n = x.len() as f64;
    let s = sum.iter().sum::<f64>() + rest.iter().map(|&v| v as f64).sum::<f64>();
    let q = sq.iter().sum::<f64>() + rest.iter().map(|&v| (v as f64).powi(2)).sum::<f64>();
    let mean = s / n;
    (mean, (q / n - mean * mean).max(0.0))
}

/// conv -> instance norm -> ReLU (`SameBlock2d`).
#[derive(Debug, Clone)]
pub(super) struct SameBlock {
    conv: SameConv,
    norm: InstanceNormRelu,
}

impl SameBlock {
    /// Loads `conv.*` and `norm.*`.
    pub(super) fn new(cin: usize, cout: usize, k: usize, vb: VarBuilder) -> Result<Self> {
        Ok(SameBlock {
            conv: SameConv::new(cin, cout, k, vb.pp("conv"))?,
            norm: InstanceNormRelu::new(cout, vb.pp("norm"))?,
        })
    }
}

impl Module for SameBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.norm.forward(&self.conv.forward(x)?)
    }
}

/// conv3x3 -> instance norm -> ReLU -> 2x2 average pool (`DownBlock2d`).
#[derive(Debug, Clone)]
pub(super) struct DownBlock(SameBlock);

impl DownBlock {
    /// Loads `conv.*` and `norm.*`.
    pub(super) fn new(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(DownBlock(SameBlock::new(cin, cout, 3, vb)?))
    }
}

impl Module for DownBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        self.0.forward(x)?.avg_pool2d(2)
    }
}

/// Nearest x2 upsample -> conv3x3 -> instance norm -> ReLU (`UpBlock2d`).
#[derive(Debug, Clone)]
pub(super) struct UpBlock(SameBlock);

impl UpBlock {
    /// Loads `conv.*` and `norm.*`.
    pub(super) fn new(cin: usize, cout: usize, vb: VarBuilder) -> Result<Self> {
        Ok(UpBlock(SameBlock::new(cin, cout, 3, vb)?))
    }
}

impl Module for UpBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let SameBlock { conv, norm } = &self.0;
        norm.forward(&conv.forward_upsampled(x)?)
    }
}

/// Pre-activation residual block: IN -> ReLU -> conv3x3 -> IN -> ReLU -> conv3x3, plus input.
#[derive(Debug, Clone)]
pub(super) struct ResBlock {
    norm1: InstanceNormRelu,
    conv1: SameConv,
    norm2: InstanceNormRelu,
    conv2: SameConv,
}

impl ResBlock {
    /// Loads `conv1`, `conv2`, `norm1`, `norm2`.
    pub(super) fn new(channels: usize, vb: VarBuilder) -> Result<Self> {
        Ok(ResBlock {
            norm1: InstanceNormRelu::new(channels, vb.pp("norm1"))?,
            conv1: SameConv::new(channels, channels, 3, vb.pp("conv1"))?,
            norm2: InstanceNormRelu::new(channels, vb.pp("norm2"))?,
            conv2: SameConv::new(channels, channels, 3, vb.pp("conv2"))?,
        })
    }
}

impl Module for ResBlock {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.conv1.forward(&self.norm1.forward(x)?)?;
        let h = self.conv2.forward(&self.norm2.forward(&h)?)?;
        h + x
    }
}

/// U-Net style hourglass (`Hourglass` with mode 1): returns every decoder output, coarse to
/// fine, each the concatenation of an up block's output and the matching encoder feature.
#[derive(Debug, Clone)]
pub(super) struct Hourglass {
    down: Vec<DownBlock>,
    up: Vec<UpBlock>,
    out_channels: Vec<usize>,
}

impl Hourglass {
    /// Loads `encoder.down_blocks.*` and `decoder.up_blocks.*`.
    pub(super) fn new(
        expansion: usize,
        in_features: usize,
        num_blocks: usize,
        max_features: usize,
        vb: VarBuilder,
    ) -> Result<Self> {
        let width = |i: usize| max_features.min(expansion << i);
        let mut down = Vec::with_capacity(num_blocks);
        for i in 0..num_blocks {
            let cin = if i == 0 { in_features } else { width(i) };
            down.push(DownBlock::new(
                cin,
                width(i + 1),
                vb.pp(format!("encoder.down_blocks.{i}")),
            )?);
        }
        let mut up = Vec::with_capacity(num_blocks);
        let mut out_channels = Vec::with_capacity(num_blocks);
        for (j, i) in (0..num_blocks).rev().enumerate() {
            let cin = if i == num_blocks - 1 { 1 } else { 2 } * width(i + 1);
            up.push(UpBlock::new(
                cin,
                width(i),
                vb.pp(format!("decoder.up_blocks.{j}")),
            )?);
            let skip = if i == 0 { in_features } else { width(i) };
            out_channels.push(width(i) + skip);
        }
        Ok(Hourglass {
            down,
            up,
            out_channels,
        })
    }

    /// Channels of each decoder output, coarse to fine.
    pub(super) fn out_channels(&self) -> &[usize] {
        &self.out_channels
    }

    /// Runs encoder and decoder; returns the decoder outputs, coarse to fine.
    pub(super) fn forward(&self, x: &Tensor) -> Result<Vec<Tensor>> {
        let mut skips = vec![x.clone()];
        for block in &self.down {
            let next = block.forward(skips.last().expect("non-empty"))?;
            skips.push(next);
        }
        let mut out = skips.pop().expect("non-empty");
        let mut outs = Vec::with_capacity(self.up.len());
        for block in &self.up {
            let skip = skips.pop().expect("one skip per up block");
            out = Tensor::cat(&[block.forward(&out)?, skip], 1)?;
            outs.push(out.clone());
        }
        Ok(outs)
    }
}

/// Gaussian anti-alias blur followed by nearest subsampling (`AntiAliasInterpolation2d`);
/// the depthwise kernel is read from the checkpoint (`down.weight`).
#[derive(Debug, Clone)]
pub(super) struct AntiAliasDown {
    kernel: Tensor,
    channels: usize,
    scale: f64,
}

impl AntiAliasDown {
    /// Loads the (channels, 1, k, k) blur kernel for `scale`.
    pub(super) fn new(channels: usize, scale: f64, vb: VarBuilder) -> Result<Self> {
        let sigma = (1.0 / scale - 1.0) / 2.0;
        let k = 2 * (sigma * 4.0).round() as usize + 1;
        let kernel = vb.get((channels, 1, k, k), "weight")?;
        Ok(AntiAliasDown {
            kernel,
            channels,
            scale,
        })
    }
}

impl Module for AntiAliasDown {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if self.scale == 1.0 {
            return Ok(x.clone());
        }
        let (_, _, h, w) = x.dims4()?;
        let pad = self.kernel.dim(3)? / 2;
        let padded = x.pad_with_zeros(2, pad, pad)?.pad_with_zeros(3, pad, pad)?;
        let blurred = padded.conv2d(&self.kernel, 0, 1, 1, self.channels)?;
        let (oh, ow) = (
            (h as f64 * self.scale) as usize,
            (w as f64 * self.scale) as usize,
        );
        blurred.upsample_nearest2d(oh, ow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn fused_instance_norm_matches_composition() -> Result<()> {
        let dev = Device::Cpu;
        let x = (Tensor::randn(0f32, 2.0, (2, 3, 5, 7), &dev)? + 0.7)?;
        let norm = InstanceNormRelu {
            weight: Tensor::new(&[0.5f32, 1.0, 1.5], &dev)?,
            bias: Tensor::new(&[-0.1f32, 0.0, 0.2], &dev)?,
        };
        let diff = (norm.forward(&x)? - norm.forward_composed(&x)?)?
            .abs()?
            .max_all()?
            .to_scalar::<f32>()?;
        assert!(diff < 1e-5, "{diff}");
        Ok(())
    }
}
