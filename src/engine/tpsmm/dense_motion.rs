//! Dense motion network (`dense_motion_network`): from the source image and the two keypoint
//! sets, the per-pixel backward deformation and the four occlusion maps.

use super::blocks::{AntiAliasDown, Hourglass, UpBlock};
use super::config::{Config, OCCLUSION_MAPS};
use super::grid_sample::grid_sample;
use super::tps::{self, Tps};
use crate::kernels::SameConv;
use candle_core::{Device, Module, Result, Tensor};
use candle_nn::VarBuilder;

/// Everything the dense motion network produces for one driving frame (batch 1).
#[derive(Debug, Clone)]
pub struct DenseMotion {
    /// The K solved TPS transformations.
    pub tps: Vec<Tps>,
    /// Heatmap input (1, 5K+1, h, w).
    pub heatmap: Tensor,
    /// Sampling grids (1, K+1, h, w, 2): identity, then each TPS.
    pub transformations: Tensor,
    /// Downsampled source warped by each grid (1, K+1, C, h, w).
    pub deformed_source: Tensor,
    /// Hourglass decoder outputs, coarse to fine.
    pub hourglass: Vec<Tensor>,
    /// Softmax weights of the K+1 transformations (1, K+1, h, w).
    pub contribution_maps: Tensor,
    /// Combined backward deformation (1, h, w, 2), (x, y) in normalised source coordinates.
    pub deformation: Tensor,
    /// Occlusion maps at 1/8, 1/4, 1/2 and 1/1 of the frame, (1, 1, s, s) each.
    pub occlusion: Vec<Tensor>,
}

/// The dense motion network.
#[derive(Debug, Clone)]
pub(super) struct DenseMotionNetwork {
    down: AntiAliasDown,
    hourglass: Hourglass,
    maps: SameConv,
    up: Vec<UpBlock>,
    occlusion: Vec<SameConv>,
    num_tps: usize,
}

impl DenseMotionNetwork {
    /// Loads `down`, `hourglass`, `maps`, `up.*` and `occlusion.*`.
    pub(super) fn new(cfg: &Config, vb: VarBuilder) -> Result<Self> {
        let p = &cfg.dense_motion_params;
        let k = cfg.common_params.num_tps;
        let c = cfg.common_params.num_channels;
        let up_nums = cfg
            .dense_motion_up_blocks()
            .map_err(candle_core::Error::msg)?;
        let down = AntiAliasDown::new(c, p.scale_factor, vb.pp("down"))?;
        let in_features = c * (k + 1) + cfg.num_kp() + 1;
        let hourglass = Hourglass::new(
            p.block_expansion,
            in_features,
            p.num_blocks,
            p.max_features,
            vb.pp("hourglass"),
        )?;
        let outs = hourglass.out_channels().to_vec();
        let last = *outs.last().expect("hourglass has blocks");
        let maps = SameConv::new(last, k + 1, 7, vb.pp("maps"))?;
        let up = (0..up_nums)
            .map(|i| UpBlock::new(last >> i, (last >> i) / 2, vb.pp(format!("up.{i}"))))
            .collect::<Result<Vec<_>>>()?;
        let from_hourglass = OCCLUSION_MAPS - up_nums;
        let mut channels: Vec<usize> = outs[outs.len() - from_hourglass..].to_vec();
        channels.extend((0..up_nums).map(|i| last >> (i + 1)));
        let occlusion = channels
            .iter()
            .enumerate()
            .map(|(i, &ch)| SameConv::new(ch, 1, 7, vb.pp(format!("occlusion.{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(DenseMotionNetwork {
            down,
            hourglass,
            maps,
            up,
            occlusion,
            num_tps: k,
        })
    }

    /// The anti-aliased, downsampled source the motion is estimated on; computed once per
    /// source.
    pub(super) fn downsample(&self, source: &Tensor) -> Result<Tensor> {
        self.down.forward(source)
    }

    /// Runs the network for one frame. `source_down` is [`Self::downsample`] of the source,
    /// keypoints are (x, y) lists of 5K points.
    pub(super) fn forward(
        &self,
        source_down: &Tensor,
        kp_driving: &[[f32; 2]],
        kp_source: &[[f32; 2]],
    ) -> Result<DenseMotion> {
        let (_, c, h, w) = source_down.dims4()?;
        let dev: &Device = source_down.device();
        let k1 = self.num_tps + 1;
        let heat = tps::heatmap(kp_driving, kp_source, h, w);
        let heatmap = Tensor::from_vec(heat, (1, kp_driving.len() + 1, h, w), dev)?;
        let solved = tps::solve_all(kp_driving, kp_source);
        let grids = Tensor::from_vec(tps::transformations(&solved, h, w), (k1, h, w, 2), dev)?;
        let repeated = source_down.broadcast_as((k1, c, h, w))?;
        let deformed_source = grid_sample(&repeated, &grids)?.reshape((1, k1, c, h, w))?;
        let input = Tensor::cat(&[&heatmap, &deformed_source.reshape((1, k1 * c, h, w))?], 1)?;
        let hourglass = self.hourglass.forward(&input)?;
        let finest = hourglass.last().expect("hourglass has blocks");
        let contribution_maps = candle_nn::ops::softmax(&self.maps.forward(finest)?, 1)?;
        let transformations = grids.unsqueeze(0)?;
        // sum_k contribution_k * grid_k, as (1, h, w, 2)
        let deformation = transformations
            .broadcast_mul(&contribution_maps.unsqueeze(4)?)?
            .sum(1)?;
        let from_hourglass = OCCLUSION_MAPS - self.up.len();
        let mut occlusion = Vec::with_capacity(OCCLUSION_MAPS);
        for (i, feat) in hourglass[hourglass.len() - from_hourglass..]
            .iter()
            .enumerate()
        {
            occlusion.push(candle_nn::ops::sigmoid(&self.occlusion[i].forward(feat)?)?);
        }
        let mut feat = finest.clone();
        for (i, up) in self.up.iter().enumerate() {
            feat = up.forward(&feat)?;
            let conv = &self.occlusion[from_hourglass + i];
            occlusion.push(candle_nn::ops::sigmoid(&conv.forward(&feat)?)?);
        }
        Ok(DenseMotion {
            tps: solved,
            heatmap,
            transformations,
            deformed_source,
            hourglass,
            contribution_maps,
            deformation,
            occlusion,
        })
    }
}
