//! The whole TPSMM model: loading, per-source preparation (done once) and per-frame animation.

use super::avd::AvdNetwork;
use super::checkpoint::{read_weights, AVD_NETWORK};
use super::config::Config;
use super::dense_motion::{DenseMotion, DenseMotionNetwork};
use super::inpainting::{Inpainted, InpaintingNetwork};
use super::keypoint_detector::KpDetector;
use super::tps::convex_hull_area;
use crate::{Error, Result};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use std::path::Path;

/// Maps a candle error to the library's "work failed" error.
pub(crate) fn failed(e: candle_core::Error) -> Error {
    Error::Failed(format!("tpsmm: {e}"))
}

/// The inference networks of one checkpoint.
#[derive(Debug, Clone)]
pub struct Tpsmm {
    config: Config,
    kp_detector: KpDetector,
    dense_motion: DenseMotionNetwork,
    inpainting: InpaintingNetwork,
    avd: Option<AvdNetwork>,
    device: Device,
}

/// Source-side results computed once and reused for every driving frame.
#[derive(Debug, Clone)]
pub struct PreparedSource {
    /// The source image (1, C, S, S) in [0, 1].
    pub image: Tensor,
    /// Anti-aliased downsample the motion is estimated on.
    pub down: Tensor,
    /// Inpainting encoder maps, finest first.
    pub encoder_maps: Vec<Tensor>,
    /// Source keypoints (1, 5K, 2).
    pub kp: Tensor,
    /// The same keypoints on the host.
    pub kp_points: Vec<[f32; 2]>,
    /// Area of the keypoints' convex hull (relative mode's scale).
    pub hull_area: f64,
}

/// The outputs of one animated frame.
#[derive(Debug, Clone)]
pub struct AnimatedFrame {
    /// Dense motion outputs (deformation, occlusion maps, …).
    pub motion: DenseMotion,
    /// Inpainting outputs (prediction, …).
    pub inpainted: Inpainted,
}

impl Tpsmm {
    /// Builds the networks from a variable builder whose names are `<network>.<parameter>`;
    /// the AVD network is built only when `with_avd`.
    pub fn new(config: &Config, vb: VarBuilder, with_avd: bool) -> candle_core::Result<Self> {
        config.validate().map_err(candle_core::Error::msg)?;
        let c = config.common_params.num_channels;
        Ok(Tpsmm {
            config: config.clone(),
            kp_detector: KpDetector::new(c, config.num_kp(), vb.pp("kp_detector"))?,
            dense_motion: DenseMotionNetwork::new(config, vb.pp("dense_motion_network"))?,
            inpainting: InpaintingNetwork::new(config, vb.pp("inpainting_network"))?,
            avd: if with_avd {
                Some(AvdNetwork::new(config, vb.pp(AVD_NETWORK))?)
            } else {
                None
            },
            device: vb.device().clone(),
        })
    }

    /// Loads a checkpoint (`.pth.tar` or safetensors) for `config` onto `device`. A file that
    /// does not hold the networks `config` describes is bad input naming what is missing.
    pub fn load(path: &Path, config: &Config, device: &Device) -> Result<Self> {
        let weights = read_weights(path)?;
        let prefix = format!("{AVD_NETWORK}.");
        let with_avd = weights.keys().any(|k| k.starts_with(&prefix));
        let vb = VarBuilder::from_tensors(weights, DType::F32, device);
        Tpsmm::new(config, vb, with_avd).map_err(|e| {
            let e = e.to_string();
            let first = e.lines().next().unwrap_or_default();
            Error::bad_input(
                path,
                format!(
                    "does not match the TPSMM config ({first}); it was made for another config \
                     (vox, taichi, ted, mgif or its own YAML)"
                ),
            )
        })
    }

    /// The configuration the model was built for.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The device the model runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Whether the checkpoint held an AVD network (needed by `--mode avd`).
    pub fn has_avd(&self) -> bool {
        self.avd.is_some()
    }

    /// Keypoints (1, 5K, 2) of an image (1, C, S, S) in [0, 1].
    pub fn keypoints(&self, image: &Tensor) -> Result<Tensor> {
        self.kp_detector.forward(image).map_err(failed)
    }

    /// AVD re-targeting of driving keypoints onto the source identity.
    pub fn avd(&self, kp_source: &Tensor, kp_driving: &Tensor) -> Result<Tensor> {
        let avd = self.avd.as_ref().ok_or_else(|| {
            Error::setting(
                "mode",
                "avd",
                "the checkpoint has no avd_network; use relative",
            )
        })?;
        avd.forward(kp_source, kp_driving).map_err(failed)
    }

    /// Computes everything that depends only on the source image.
    pub fn prepare_source(&self, image: &Tensor) -> Result<PreparedSource> {
        let image = image.to_device(&self.device).map_err(failed)?;
        let kp = self.keypoints(&image)?;
        let kp_points = points(&kp)?;
        Ok(PreparedSource {
            down: self.dense_motion.downsample(&image).map_err(failed)?,
            encoder_maps: self.inpainting.encode(&image).map_err(failed)?,
            hull_area: convex_hull_area(&kp_points),
            kp,
            kp_points,
            image,
        })
    }

    /// Estimates the motion (deformation, occlusion maps) that animates the source with
    /// keypoints `kp_norm` (already transferred by the chosen mode).
    pub fn dense_motion(
        &self,
        source: &PreparedSource,
        kp_norm: &[[f32; 2]],
    ) -> Result<DenseMotion> {
        self.dense_motion
            .forward(&source.down, kp_norm, &source.kp_points)
            .map_err(failed)
    }

    /// Generates the frame for an estimated motion.
    pub fn inpaint(&self, source: &PreparedSource, motion: &DenseMotion) -> Result<Inpainted> {
        self.inpainting
            .decode(
                &source.image,
                &source.encoder_maps,
                &motion.deformation,
                &motion.occlusion,
            )
            .map_err(failed)
    }

    /// Both steps: the frame for keypoints `kp_norm`.
    pub fn animate(&self, source: &PreparedSource, kp_norm: &[[f32; 2]]) -> Result<AnimatedFrame> {
        let motion = self.dense_motion(source, kp_norm)?;
        let inpainted = self.inpaint(source, &motion)?;
        Ok(AnimatedFrame { motion, inpainted })
    }
}

/// Keypoints (1, N, 2) as host (x, y) pairs.
pub(super) fn points(kp: &Tensor) -> Result<Vec<[f32; 2]>> {
    let flat: Vec<f32> = kp.flatten_all().and_then(|t| t.to_vec1()).map_err(failed)?;
    Ok(flat.chunks_exact(2).map(|p| [p[0], p[1]]).collect())
}

/// Host keypoints back to a (1, N, 2) tensor.
pub fn points_tensor(points: &[[f32; 2]], device: &Device) -> Result<Tensor> {
    let flat: Vec<f32> = points.iter().flatten().copied().collect();
    Tensor::from_vec(flat, (1, points.len(), 2), device).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_nn::VarMap;

    /// The full published architecture has exactly the official parameter counts
    /// (fixtures README: measured on the PyTorch modules built from config/vox-256.yaml).
    #[test]
    fn vox_architecture_matches_official_parameter_counts() {
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        Tpsmm::new(&Config::named("vox").unwrap(), vb, true).unwrap();
        let data = vars.data().lock().unwrap();
        let count = |net: &str| -> usize {
            data.iter()
                .filter(|(k, _)| k.starts_with(net) && !k.contains("running_"))
                .filter(|(k, _)| k.as_str() != "dense_motion_network.down.weight")
                .map(|(_, v)| v.elem_count())
                .sum()
        };
        assert_eq!(count("kp_detector."), 11_227_812);
        assert_eq!(count("dense_motion_network."), 37_941_397);
        assert_eq!(count("inpainting_network."), 24_737_283);
        assert_eq!(count("avd_network."), 2_583_652);
    }
}
