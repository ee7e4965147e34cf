//! AVD network (`avd_network`, "animation via disentanglement"): re-targets driving keypoints
//! onto the source identity; used by `--mode avd` only.

use super::config::Config;
use super::keypoint_detector::batch_norm_affine;
use candle_core::{Module, Result, Tensor};
use candle_nn::{Linear, VarBuilder};

/// Linear -> BatchNorm1d -> ReLU x3, then a final Linear; the eval-mode norms are folded into
/// the linear layers.
#[derive(Debug, Clone)]
struct Mlp {
    hidden: Vec<Linear>,
    out: Linear,
}

impl Mlp {
    fn new(widths: &[usize], vb: VarBuilder) -> Result<Self> {
        let mut hidden = Vec::new();
        let layers = widths.len() - 1;
        for i in 0..layers - 1 {
            let (cin, cout) = (widths[i], widths[i + 1]);
            let lin = vb.pp(3 * i);
            let weight = lin.get((cout, cin), "weight")?;
            let bias = lin.get(cout, "bias")?;
            let (scale, shift) = batch_norm_affine(cout, &vb.pp(3 * i + 1))?;
            let weight = weight.broadcast_mul(&scale.unsqueeze(1)?)?;
            let bias = (bias.mul(&scale)? + shift)?;
            hidden.push(Linear::new(weight, Some(bias)));
        }
        let out = candle_nn::linear(widths[layers - 1], widths[layers], vb.pp(3 * (layers - 1)))?;
        Ok(Mlp { hidden, out })
    }
}

impl Module for Mlp {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for layer in &self.hidden {
            h = layer.forward(&h)?.relu()?;
        }
        self.out.forward(&h)
    }
}

/// The AVD network.
#[derive(Debug, Clone)]
pub(super) struct AvdNetwork {
    id_encoder: Mlp,
    pose_encoder: Mlp,
    decoder: Mlp,
    num_kp: usize,
}

impl AvdNetwork {
    /// Loads `id_encoder`, `pose_encoder` and `decoder`.
    pub(super) fn new(cfg: &Config, vb: VarBuilder) -> Result<Self> {
        let input = 2 * cfg.num_kp();
        let p = &cfg.avd_network_params;
        Ok(AvdNetwork {
            id_encoder: Mlp::new(
                &[input, 256, 512, 1024, p.id_bottle_size],
                vb.pp("id_encoder"),
            )?,
            pose_encoder: Mlp::new(
                &[input, 256, 512, 1024, p.pose_bottle_size],
                vb.pp("pose_encoder"),
            )?,
            decoder: Mlp::new(
                &[p.pose_bottle_size + p.id_bottle_size, 1024, 512, 256, input],
                vb.pp("decoder"),
            )?,
            num_kp: cfg.num_kp(),
        })
    }

    /// Driving keypoints re-targeted to the source identity, (1, 5K, 2) each.
    pub(super) fn forward(&self, kp_source: &Tensor, kp_driving: &Tensor) -> Result<Tensor> {
        let pose = self.pose_encoder.forward(&kp_driving.flatten_from(1)?)?;
        let id = self.id_encoder.forward(&kp_source.flatten_from(1)?)?;
        let out = self.decoder.forward(&Tensor::cat(&[pose, id], 1)?)?;
        out.reshape((1, self.num_kp, 2))
    }
}
