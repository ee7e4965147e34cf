//! The engine options shared by `animate` and `eval`: `--engine`, `--device` and the neural
//! engine's checkpoint settings, mapped onto [`EngineChoice`].

use clap::ValueEnum;
use sfumato::engine::tpsmm::{CropMode, Mode, TpsmmOptions, DEFAULT_CONFIG};
use sfumato::engine::warp::WarpOptions;
use sfumato::engine::Device;
use sfumato::pipeline::EngineChoice;
use sfumato::{Error, Result};
use std::path::PathBuf;

/// Which engine renders the frames, and where.
#[derive(clap::Args, Debug)]
pub struct EngineArgs {
    /// Where the engine runs: `auto` uses a GPU when there is one (the warp: a hardware wgpu
    /// adapter; tpsmm: the GPU of a `cuda` or `metal` build), else the CPU; `gpu` fails
    /// without one.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
    /// Rendering engine: `warp` (default, nothing to download) moves the full-resolution
    /// portrait with the face landmarks; `tpsmm` runs the Thin-Plate-Spline Motion Model
    /// (needs --weights, the official checkpoint, e.g. vox.pth.tar).
    #[arg(long, value_enum, default_value_t = EngineArg::Warp)]
    engine: EngineArg,
    /// `--engine tpsmm`: the checkpoint, the official `.pth.tar` or a safetensors conversion.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// `--engine tpsmm`: model config, `vox`, `taichi`, `ted`, `mgif` or a YAML file.
    #[arg(long, value_name = "NAME|FILE", default_value = DEFAULT_CONFIG)]
    config: String,
    /// `--engine tpsmm`: keypoint transfer, `relative` (keeps the portrait's face shape),
    /// `standard` (driver keypoints as they are) or `avd` (the model's pose re-targeting).
    #[arg(long, value_enum, default_value_t = ModeArg::Relative)]
    mode: ModeArg,
    /// `--engine tpsmm`: `face` crops a 256² face region and pastes it back; `none` feeds the
    /// whole frames, like the official demo on pre-cropped clips.
    #[arg(long, value_enum, default_value_t = CropArg::Face)]
    crop: CropArg,
    /// `--engine tpsmm`: `high` warps the full-resolution portrait with the model's motion and
    /// uses generated pixels only where the source is hidden; `model` upscales the 256² output.
    #[arg(long, value_enum, default_value_t = DetailArg::High)]
    detail: DetailArg,
}

/// `--engine` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum EngineArg {
    Warp,
    Tpsmm,
}

/// `--device` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceArg {
    Auto,
    Cpu,
    Gpu,
}

/// `--mode` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ModeArg {
    Relative,
    Standard,
    Avd,
}

/// `--crop` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CropArg {
    Face,
    None,
}

/// `--detail` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DetailArg {
    High,
    Model,
}

impl EngineArgs {
    /// The engine these options select; `driver_interior` is the warp's mouth source.
    pub fn choice(&self, driver_interior: bool) -> Result<EngineChoice> {
        let device = match self.device {
            DeviceArg::Auto => Device::Auto,
            DeviceArg::Cpu => Device::Cpu,
            DeviceArg::Gpu => Device::Gpu,
        };
        Ok(match self.engine {
            EngineArg::Warp => EngineChoice::Warp(WarpOptions {
                device,
                driver_interior,
            }),
            EngineArg::Tpsmm => {
                let weights = self.weights.clone().ok_or_else(|| {
                    Error::BadInput(
                        "--engine tpsmm needs --weights FILE: the official TPSMM checkpoint \
                         (e.g. vox.pth.tar; see README, section Neural engine)"
                            .into(),
                    )
                })?;
                EngineChoice::Tpsmm(Box::new(TpsmmOptions {
                    weights,
                    config: self.config.clone(),
                    mode: match self.mode {
                        ModeArg::Relative => Mode::Relative,
                        ModeArg::Standard => Mode::Standard,
                        ModeArg::Avd => Mode::Avd,
                    },
                    crop: match self.crop {
                        CropArg::Face => CropMode::Face,
                        CropArg::None => CropMode::None,
                    },
                    high_detail: matches!(self.detail, DetailArg::High),
                    device,
                }))
            }
        })
    }
}
