//! The `tpsmm` engine behind the shared [`Engine`] interface: frames the portrait and the driver
//! (face crop or whole frame), runs the model per driver frame and pastes the result back into
//! the full-resolution portrait.
//!
//! Flags the CLI maps onto [`TpsmmOptions`]: `--engine tpsmm --weights FILE
//! [--config vox|taichi|ted|mgif|FILE.yaml] [--mode relative|standard|avd] [--crop face|none]
//! [--detail high|model]`.

use super::crop::Region;
use super::frames::{image_tensor, tensor_image};
use super::model::failed;
use super::{Config, KeypointTransfer, Mode, PreparedSource, Tpsmm};
use crate::engine::{DriveFrame, Engine};
use crate::{Error, Result};
use candle_core::{Device, Tensor};
use image::RgbImage;
use std::path::PathBuf;

/// Which part of the frames the model sees (`--crop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CropMode {
    /// A square VoxCeleb-like crop around the face (portrait: its face; driver: the face in the
    /// first frame, kept fixed so the framing never pumps), pasted back with a feathered edge.
    #[default]
    Face,
    /// The whole frames, squeezed to the model's square input like the official demo on
    /// pre-cropped clips.
    None,
}

/// Everything `--engine tpsmm` needs besides the portrait.
#[derive(Debug, Clone)]
pub struct TpsmmOptions {
    /// Checkpoint: the official `.pth.tar` or a safetensors conversion (`--weights`).
    pub weights: PathBuf,
    /// Config name (`vox`, `taichi`, `ted`, `mgif`) or YAML path (`--config`, default vox).
    pub config: String,
    /// Keypoint transfer mode (`--mode`, default relative).
    pub mode: Mode,
    /// Framing (`--crop`, default face).
    pub crop: CropMode,
    /// `--detail high` (default): warp the full-resolution portrait with the model's upsampled
    /// deformation and use the generated pixels only where its occlusion map says the source
    /// cannot be seen, so the face keeps the portrait's sharpness. `--detail model`: upscale
    /// the model's own 256x256 output.
    pub high_detail: bool,
    /// Where the model runs (`--device`, default: the GPU of a `cuda` or `metal` build when
    /// one is found, else the CPU).
    pub device: crate::engine::Device,
}

impl TpsmmOptions {
    /// Defaults for a checkpoint: vox config, relative mode, face crop, high detail.
    pub fn new(weights: impl Into<PathBuf>) -> Self {
        TpsmmOptions {
            weights: weights.into(),
            config: super::config::DEFAULT_CONFIG.into(),
            mode: Mode::Relative,
            crop: CropMode::Face,
            high_detail: true,
            device: crate::engine::Device::Auto,
        }
    }
}

/// The candle device for `device`: the first GPU of a `cuda` or `metal` build (`Auto` falls
/// back to the CPU without one, `Gpu` is an error), or the CPU.
fn candle_device(device: crate::engine::Device) -> Result<Device> {
    use crate::engine::Device as Where;
    if device == Where::Cpu {
        return Ok(Device::Cpu);
    }
    #[cfg(feature = "cuda")]
    if let Ok(dev) = Device::cuda_if_available(0) {
        if !dev.is_cpu() {
            return Ok(dev);
        }
    }
    #[cfg(feature = "metal")]
    if let Ok(dev) = Device::metal_if_available(0) {
        if !dev.is_cpu() {
            return Ok(dev);
        }
    }
    match device {
        Where::Gpu => Err(Error::setting(
            "device",
            "gpu",
            "the neural engine found no GPU (it needs a build with the `cuda` or `metal` \
             feature and a working GPU); use auto or cpu",
        )),
        _ => Ok(Device::Cpu),
    }
}

/// The neural engine: TPSMM prepared for one portrait.
pub struct TpsmmEngine {
    model: Tpsmm,
    source: PreparedSource,
    transfer: KeypointTransfer,
    crop: CropMode,
    portrait: RgbImage,
    region: Region,
    /// The portrait region at full resolution (high-detail mode).
    region_pixels: Option<Tensor>,
    mask: Option<Vec<f32>>,
    driver_region: Option<Region>,
}

impl TpsmmEngine {
    /// Loads the checkpoint and prepares `portrait`; `portrait_landmarks` (the landmarks of its
    /// largest face) is required with `--crop face`.
    pub fn new(
        portrait: &RgbImage,
        portrait_landmarks: Option<&[[f32; 3]]>,
        opts: &TpsmmOptions,
    ) -> Result<Self> {
        let config = Config::load(&opts.config)?;
        let model = Tpsmm::load(&opts.weights, &config, &candle_device(opts.device)?)?;
        TpsmmEngine::with_model(model, portrait, portrait_landmarks, opts)
    }

    /// Prepares `portrait` with an already loaded model (`opts.weights` and `opts.config` are
    /// not read).
    pub fn with_model(
        model: Tpsmm,
        portrait: &RgbImage,
        portrait_landmarks: Option<&[[f32; 3]]>,
        opts: &TpsmmOptions,
    ) -> Result<Self> {
        if opts.mode == Mode::Avd && !model.has_avd() {
            return Err(Error::setting(
                "mode",
                "avd",
                format!(
                    "{} has no avd_network, which this mode needs; use relative",
                    opts.weights.display()
                ),
            ));
        }
        let region = match opts.crop {
            CropMode::None => Region::whole(portrait),
            CropMode::Face => Region::around_landmarks(portrait_landmarks.ok_or_else(|| {
                Error::setting(
                    "crop",
                    "face",
                    "no face found in the portrait; crop none feeds the whole frame",
                )
            })?),
        };
        let size = model.config().frame_size as u32;
        let input = image_tensor(&region.model_input(portrait, size), model.device())?;
        let source = model.prepare_source(&input)?;
        let region_pixels = if opts.high_detail {
            Some(image_tensor(&region.cut(portrait), model.device())?)
        } else {
            None
        };
        Ok(TpsmmEngine {
            mask: (opts.crop == CropMode::Face).then(|| region.feather_mask()),
            transfer: KeypointTransfer::new(opts.mode),
            crop: opts.crop,
            portrait: portrait.clone(),
            region,
            region_pixels,
            source,
            model,
            driver_region: None,
        })
    }

    /// The driver region: fixed from the first frame's face (or its central square when that
    /// frame has no face), or the whole frame.
    fn driver_region(&mut self, frame: &DriveFrame<'_>) -> Region {
        if self.crop == CropMode::None {
            return Region::whole(frame.driver);
        }
        *self
            .driver_region
            .get_or_insert_with(|| match frame.driver_landmarks {
                Some(landmarks) => Region::around_landmarks(landmarks),
                None => {
                    let (w, h) = frame.driver.dimensions();
                    let s = w.min(h);
                    Region {
                        x0: ((w - s) / 2) as i64,
                        y0: ((h - s) / 2) as i64,
                        w: s,
                        h: s,
                    }
                }
            })
    }

    /// The animated region at the portrait's resolution.
    fn compose(
        &self,
        motion: &super::dense_motion::DenseMotion,
        inp: &super::inpainting::Inpainted,
    ) -> candle_core::Result<Tensor> {
        let (h, w) = (self.region.h as usize, self.region.w as usize);
        let occ = motion.occlusion.last().expect("four occlusion maps");
        // The generator's colour bias where the source is visible (occlusion near 1), removed
        // so generated pixels match the portrait's colours.
        let weight = occ.sum_all()?.to_scalar::<f32>()?.max(1.0) as f64;
        let bias = (&inp.prediction - &inp.deformed)?
            .broadcast_mul(occ)?
            .sum_keepdim((2, 3))?
            .affine(1.0 / weight, 0.0)?;
        let generated = inp.prediction.broadcast_sub(&bias)?;
        match &self.region_pixels {
            None => generated.upsample_bilinear2d(h, w, false),
            Some(full) => {
                let grid = motion
                    .deformation
                    .permute((0, 3, 1, 2))?
                    .upsample_bilinear2d(h, w, true)?
                    .permute((0, 2, 3, 1))?;
                let warped = super::grid_sample::grid_sample(full, &grid)?;
                let occ = occ.upsample_bilinear2d(h, w, false)?;
                let generated = generated.upsample_bilinear2d(h, w, false)?;
                warped.broadcast_mul(&occ)? + generated.broadcast_mul(&occ.affine(-1.0, 1.0)?)?
            }
        }
    }
}

impl Engine for TpsmmEngine {
    fn name(&self) -> &'static str {
        "tpsmm"
    }

    /// Whether the model runs on a GPU (a `cuda` or `metal` build finds one at run time).
    fn uses_gpu(&self) -> bool {
        !self.model.device().is_cpu()
    }

    fn render(&mut self, frame: &DriveFrame<'_>) -> Result<RgbImage> {
        let size = self.model.config().frame_size as u32;
        let region = self.driver_region(frame);
        let driver = image_tensor(&region.model_input(frame.driver, size), self.model.device())?;
        let kp = self.model.keypoints(&driver)?;
        let kp_norm = self.transfer.transfer(&self.model, &self.source, &kp)?;
        let motion = self.model.dense_motion(&self.source, &kp_norm)?;
        let inpainted = self.model.inpaint(&self.source, &motion)?;
        let patch = tensor_image(&self.compose(&motion, &inpainted).map_err(failed)?)?;
        let mut out = self.portrait.clone();
        self.region.paste(&mut out, &patch, self.mask.as_deref());
        Ok(out)
    }
}
