//! Inpainting network (`inpainting_network`): encodes the source once, then per frame warps the
//! encoder maps with the deformation, masks them with the occlusion maps and decodes the frame.

use super::blocks::{DownBlock, ResBlock, SameBlock, UpBlock};
use super::config::Config;
use super::grid_sample::grid_sample;
use crate::kernels::SameConv;
use candle_core::{Module, Result, Tensor};
use candle_nn::VarBuilder;

/// What one decode produces (batch 1).
#[derive(Debug, Clone)]
pub struct Inpainted {
    /// The generated frame (1, C, H, W) in [0, 1].
    pub prediction: Tensor,
    /// The source warped by the full-resolution deformation (1, C, H, W).
    pub deformed: Tensor,
    /// Warped and occluded encoder maps, coarse to fine (the first two are kept for checks).
    pub warped_encoder_maps: Vec<Tensor>,
}

/// The inpainting generator.
#[derive(Debug, Clone)]
pub(super) struct InpaintingNetwork {
    first: SameBlock,
    down: Vec<DownBlock>,
    resblocks: Vec<ResBlock>,
    up: Vec<UpBlock>,
    last: SameConv,
}

impl InpaintingNetwork {
    /// Loads `first`, `down_blocks.*`, `resblock.*`, `up_blocks.*` and `final`.
    pub(super) fn new(cfg: &Config, vb: VarBuilder) -> Result<Self> {
        let g = &cfg.generator_params;
        let c = cfg.common_params.num_channels;
        let n = g.num_down_blocks;
        let width = |i: usize| g.max_features.min(g.block_expansion << i);
        let first = SameBlock::new(c, g.block_expansion, 7, vb.pp("first"))?;
        let mut down = Vec::with_capacity(n);
        for i in 0..n {
            down.push(DownBlock::new(
                width(i),
                width(i + 1),
                vb.pp(format!("down_blocks.{i}")),
            )?);
        }
        // Stored deepest level first.
        let mut resblocks = Vec::with_capacity(2 * n);
        let mut up = Vec::with_capacity(n);
        for (j, i) in (0..n).rev().enumerate() {
            let cin = if i == n - 1 { 1 } else { 2 } * width(i + 1);
            resblocks.push(ResBlock::new(cin, vb.pp(format!("resblock.{}", 2 * j)))?);
            resblocks.push(ResBlock::new(
                cin,
                vb.pp(format!("resblock.{}", 2 * j + 1)),
            )?);
            up.push(UpBlock::new(
                cin,
                width(i),
                vb.pp(format!("up_blocks.{j}")),
            )?);
        }
        let last = SameConv::new(g.block_expansion, c, 7, vb.pp("final"))?;
        Ok(InpaintingNetwork {
            first,
            down,
            resblocks,
            up,
            last,
        })
    }

    /// Encoder maps of the source, finest first: computed once per source.
    pub(super) fn encode(&self, source: &Tensor) -> Result<Vec<Tensor>> {
        let mut maps = vec![self.first.forward(source)?];
        for block in &self.down {
            let next = block.forward(maps.last().expect("non-empty"))?;
            maps.push(next);
        }
        Ok(maps)
    }

    /// Decodes one frame from the source, its encoder maps, the (1, h, w, 2) deformation and
    /// the occlusion maps (coarse to fine).
    pub(super) fn decode(
        &self,
        source: &Tensor,
        encoder_maps: &[Tensor],
        deformation: &Tensor,
        occlusion: &[Tensor],
    ) -> Result<Inpainted> {
        let n = self.down.len();
        let deepest = &encoder_maps[n];
        let mut out = warp(deepest, deformation)?.broadcast_mul(&occlusion[0])?;
        let mut warped_encoder_maps = vec![out.clone()];
        let mut skip = out.clone();
        for i in 0..n {
            out = self.resblocks[2 * i].forward(&out)?;
            out = self.resblocks[2 * i + 1].forward(&out)?;
            out = self.up[i].forward(&out)?;
            skip = warp(&encoder_maps[n - 1 - i], deformation)?.broadcast_mul(&occlusion[i + 1])?;
            warped_encoder_maps.push(skip.clone());
            if i + 1 < n {
                out = Tensor::cat(&[&out, &skip], 1)?;
            }
        }
        let deformed = warp(source, deformation)?;
        let occ = occlusion.last().expect("occlusion maps");
        let visible = occ.affine(-1.0, 1.0)?;
        let out = (out.broadcast_mul(&visible)? + skip)?;
        let out = candle_nn::ops::sigmoid(&self.last.forward(&out)?)?;
        let prediction = (out.broadcast_mul(&visible)? + deformed.broadcast_mul(occ)?)?;
        Ok(Inpainted {
            prediction,
            deformed,
            warped_encoder_maps,
        })
    }
}

/// Warps `x` (1, C, H, W) with the deformation, resized bilinearly (align_corners) to H x W
/// when it has another size (`deform_input`).
pub(super) fn warp(x: &Tensor, deformation: &Tensor) -> Result<Tensor> {
    let (_, h, w) = x.dims4().map(|(n, _, h, w)| (n, h, w))?;
    let (_, dh, dw, _) = deformation.dims4()?;
    let grid = if (dh, dw) == (h, w) {
        deformation.clone()
    } else {
        deformation
            .permute((0, 3, 1, 2))?
            .upsample_bilinear2d(h, w, true)?
            .permute((0, 2, 3, 1))?
    };
    grid_sample(x, &grid)
}
