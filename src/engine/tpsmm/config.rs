//! Model configuration: the `model_params` section of the official YAML files, with the four
//! published configurations known by name so users do not need the YAML.

use crate::{Error, Result};
use serde::Deserialize;
use std::path::Path;

/// Hyper-parameters shared by every sub-network (`common_params`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CommonParams {
    /// Number of thin-plate-spline transformations K; the keypoint detector emits 5K points.
    pub num_tps: usize,
    /// Image channels (3 for RGB).
    pub num_channels: usize,
    /// Whether training used the background affine predictor (unused at inference).
    #[serde(default)]
    pub bg: bool,
    /// Multi-resolution occlusion masks; every published model uses them and so does this port.
    #[serde(default = "default_true")]
    pub multi_mask: bool,
}

/// Widths of the inpainting generator (`generator_params`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GeneratorParams {
    /// Channel multiplier of the first level.
    pub block_expansion: usize,
    /// Channel cap.
    pub max_features: usize,
    /// Encoder depth; must be 3 with multi-resolution occlusion masks.
    pub num_down_blocks: usize,
}

/// Widths of the dense motion network (`dense_motion_params`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DenseMotionParams {
    /// Channel multiplier of the hourglass.
    pub block_expansion: usize,
    /// Channel cap of the hourglass.
    pub max_features: usize,
    /// Hourglass depth.
    pub num_blocks: usize,
    /// Resolution of the motion estimate relative to the image (0.25: 64x64 for 256x256).
    pub scale_factor: f64,
}

/// Bottleneck sizes of the AVD network (`avd_network_params`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AvdParams {
    /// Identity bottleneck width.
    pub id_bottle_size: usize,
    /// Pose bottleneck width.
    pub pose_bottle_size: usize,
}

impl Default for AvdParams {
    fn default() -> Self {
        AvdParams {
            id_bottle_size: 64,
            pose_bottle_size: 64,
        }
    }
}

/// The architecture of one TPSMM model (the YAML's `model_params`) plus the frame size it was
/// trained at.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Config {
    /// Shared parameters.
    pub common_params: CommonParams,
    /// Inpainting generator widths.
    pub generator_params: GeneratorParams,
    /// Dense motion network widths.
    pub dense_motion_params: DenseMotionParams,
    /// AVD network bottlenecks.
    #[serde(default)]
    pub avd_network_params: AvdParams,
    /// Side of the square frames the model expects (256, or 384 for TED).
    #[serde(default = "default_frame_size")]
    pub frame_size: usize,
}

fn default_true() -> bool {
    true
}

fn default_frame_size() -> usize {
    256
}

/// Names accepted by [`Config::named`].
pub(super) const CONFIG_NAMES: [&str; 4] = ["vox", "taichi", "ted", "mgif"];

/// The config [`super::TpsmmOptions::new`] picks: VoxCeleb faces, the one for portraits.
pub const DEFAULT_CONFIG: &str = CONFIG_NAMES[0];

/// The subset of an official YAML file that matters for inference.
#[derive(Deserialize)]
struct YamlFile {
    model_params: Config,
    #[serde(default)]
    dataset_params: Option<DatasetParams>,
}

#[derive(Deserialize)]
struct DatasetParams {
    #[serde(default)]
    frame_shape: Option<Vec<usize>>,
}

impl Config {
    /// One of the four configurations published with the official checkpoints
    /// (`config/{vox-256,taichi-256,ted-384,mgif-256}.yaml`); they differ only in frame size
    /// and the training-only `bg` flag.
    pub fn named(name: &str) -> Option<Config> {
        let (frame_size, bg) = match name {
            "vox" | "vox-256" => (256, true),
            "taichi" | "taichi-256" => (256, true),
            "ted" | "ted-384" => (384, true),
            "mgif" | "mgif-256" => (256, false),
            _ => return None,
        };
        Some(Config {
            common_params: CommonParams {
                num_tps: 10,
                num_channels: 3,
                bg,
                multi_mask: true,
            },
            generator_params: GeneratorParams {
                block_expansion: 64,
                max_features: 512,
                num_down_blocks: 3,
            },
            dense_motion_params: DenseMotionParams {
                block_expansion: 64,
                max_features: 1024,
                num_blocks: 5,
                scale_factor: 0.25,
            },
            avd_network_params: AvdParams {
                id_bottle_size: 128,
                pose_bottle_size: 128,
            },
            frame_size,
        })
    }

    /// Parses an official-style YAML file (only `model_params` and
    /// `dataset_params.frame_shape` are read).
    pub fn from_yaml_str(text: &str) -> std::result::Result<Config, String> {
        let file: YamlFile = serde_norway::from_str(text).map_err(|e| e.to_string())?;
        let mut config = file.model_params;
        if let Some(shape) = file.dataset_params.and_then(|d| d.frame_shape) {
            match shape.as_slice() {
                [h, w, ..] if h == w => config.frame_size = *h,
                _ => return Err(format!("frame_shape {shape:?} is not square")),
            }
        }
        config.validate()?;
        Ok(config)
    }

    /// Reads a configuration given by name (`vox`, `taichi`, `ted`, `mgif`) or as a YAML path.
    pub fn load(name_or_path: &str) -> Result<Config> {
        if let Some(config) = Config::named(name_or_path) {
            return Ok(config);
        }
        let path = Path::new(name_or_path);
        if !path.is_file() {
            return Err(Error::setting(
                "config",
                name_or_path,
                format!(
                    "neither a known name ({}) nor a YAML file",
                    CONFIG_NAMES.join(", ")
                ),
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| crate::error::io_error(path, e))?;
        Config::from_yaml_str(&text)
            .map_err(|e| Error::bad_input(path, format!("not a usable TPSMM config: {e}")))
    }

    /// Checks the structural constraints this implementation relies on (the same ones the
    /// official code silently assumes).
    pub fn validate(&self) -> std::result::Result<(), String> {
        let c = &self.common_params;
        if c.num_tps == 0 || c.num_channels == 0 {
            return Err("num_tps and num_channels must be positive".into());
        }
        if !c.multi_mask {
            return Err("multi_mask: false is not supported (no published model uses it)".into());
        }
        if self.generator_params.num_down_blocks != OCCLUSION_MAPS - 1 {
            return Err("generator num_down_blocks must be 3 with multi_mask".into());
        }
        let up = self.dense_motion_up_blocks()?;
        if OCCLUSION_MAPS - up > self.dense_motion_params.num_blocks {
            return Err("dense_motion num_blocks too small for the occlusion maps".into());
        }
        // Every encoder level must halve exactly so decoder and skip sizes agree.
        let levels = self.dense_motion_params.num_blocks;
        let exact = self.frame_size.is_multiple_of(1 << up)
            && (self.frame_size >> up).is_multiple_of(1 << levels)
            && self
                .frame_size
                .is_multiple_of(1 << self.generator_params.num_down_blocks);
        if self.frame_size == 0 || !exact {
            return Err(format!(
                "frame size {} does not halve exactly through the network's levels",
                self.frame_size
            ));
        }
        Ok(())
    }

    /// Number of extra upsampling stages after the motion hourglass, log2(1 / scale_factor).
    pub fn dense_motion_up_blocks(&self) -> std::result::Result<usize, String> {
        let s = self.dense_motion_params.scale_factor;
        let up = (1.0 / s).log2().round();
        if !(0.0..=OCCLUSION_MAPS as f64).contains(&up) || (2f64.powf(-up) - s).abs() > 1e-9 {
            return Err(format!(
                "dense_motion scale_factor {s} is not 1/2^n with n <= 4"
            ));
        }
        Ok(up as usize)
    }

    /// Number of keypoints the detector emits (5 per TPS).
    pub fn num_kp(&self) -> usize {
        self.common_params.num_tps * KP_PER_TPS
    }
}

/// Occlusion maps produced with multi-resolution masks (1/8, 1/4, 1/2, 1/1 of the frame).
pub(super) const OCCLUSION_MAPS: usize = 4;
/// Control points per thin-plate spline.
pub(super) const KP_PER_TPS: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_matches_named_vox() {
        let yaml = "model_params:\n  common_params:\n    num_tps: 10\n    num_channels: 3\n    bg: True\n    multi_mask: True\n  generator_params:\n    block_expansion: 64\n    max_features: 512\n    num_down_blocks: 3\n  dense_motion_params:\n    block_expansion: 64\n    max_features: 1024\n    num_blocks: 5\n    scale_factor: 0.25\n  avd_network_params:\n    id_bottle_size: 128\n    pose_bottle_size: 128\ntrain_params:\n  lr: 1\n";
        assert_eq!(
            Config::from_yaml_str(yaml).unwrap(),
            Config::named("vox").unwrap()
        );
    }

    #[test]
    fn rejects_unsupported_structure() {
        let mut c = Config::named("vox").unwrap();
        c.generator_params.num_down_blocks = 2;
        assert!(c.validate().is_err());
        let mut c = Config::named("vox").unwrap();
        c.dense_motion_params.scale_factor = 0.3;
        assert!(c.validate().is_err());
        assert!(Config::named("ted").unwrap().validate().is_ok());
        assert!(Config::load("no-such-config").is_err());
    }
}
