//! The default engine: a dense, smooth, fold-free warp of the full-resolution portrait that
//! moves its landmarks onto the target landmarks, with eyelids and an open mouth handled.
//!
//! Per frame: [`WarpField`] turns the sparse landmark motion into a coarse backward-map
//! [`WarpGrid`]; a remap (wgpu compute shader or multi-threaded CPU, same arithmetic) samples
//! the portrait through it; then, on the CPU for both remaps, [`EyelidFiller`] draws the upper
//! lids down over closing eyes and [`MouthFiller`] paints the mouth interior where it opens.

mod eyelid;
mod field;
mod frame;
mod gpu;
mod grid;
mod layers;
mod mouth;
mod rbf;
mod remap;

pub use eyelid::EyelidFiller;
pub use field::{WarpField, MIN_JACOBIAN};
pub use gpu::GpuRemap;
pub use grid::WarpGrid;
pub use mouth::MouthFiller;
pub use remap::remap;

use super::{DriveFrame, Engine};
use crate::keypoints::{Face, MESH_POINTS};
use crate::{Error, Result};
use image::RgbImage;

/// Where the per-pixel remap runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// The GPU when wgpu finds a hardware adapter, else the CPU (with one log line saying so).
    #[default]
    Auto,
    /// The multi-threaded CPU path.
    Cpu,
    /// wgpu only, software adapters (lavapipe) included; fails when there is no adapter.
    Gpu,
}

/// The warp engine prepared for one portrait at output resolution.
pub struct WarpEngine {
    portrait: RgbImage,
    field: WarpField,
    eyelids: EyelidFiller,
    mouth: MouthFiller,
    gpu: Option<GpuRemap>,
}

impl WarpEngine {
    /// Prepares the engine for `portrait` (already at output resolution) and its face.
    pub fn new(portrait: RgbImage, face: &Face, device: Device) -> Result<Self> {
        if face.landmarks.len() != MESH_POINTS {
            return Err(Error::BadInput(format!(
                "the warp engine needs {MESH_POINTS} face landmarks, got {}",
                face.landmarks.len()
            )));
        }
        let (w, h) = portrait.dimensions();
        if w < 8 || h < 8 {
            return Err(Error::BadInput(format!("portrait is too small ({w}x{h})")));
        }
        let gpu = match device {
            Device::Cpu => None,
            Device::Gpu => Some(GpuRemap::new(&portrait, true)?),
            Device::Auto => match GpuRemap::new(&portrait, false) {
                Ok(g) => Some(g),
                Err(e) => {
                    log::warn!("{e}; warping on the CPU instead");
                    None
                }
            },
        };
        if let Some(g) = &gpu {
            log::info!("warp engine on GPU adapter '{}'", g.adapter_name);
        }
        Ok(Self {
            field: WarpField::new(&face.landmarks, w, h),
            eyelids: EyelidFiller::new(&face.landmarks),
            mouth: MouthFiller::new(&portrait, &face.landmarks),
            portrait,
            gpu,
        })
    }

    /// The backward-map grid for these target landmarks (what both remaps consume).
    pub fn grid(&self, target: &[[f32; 3]]) -> WarpGrid {
        self.field.grid(target)
    }
}

impl Engine for WarpEngine {
    fn name(&self) -> &'static str {
        "warp"
    }

    /// Whether the remap runs on a GPU adapter.
    fn uses_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    fn render(&mut self, frame: &DriveFrame<'_>) -> Result<RgbImage> {
        let grid = self.field.grid(frame.target_landmarks);
        let mut out = match &self.gpu {
            Some(g) => g.remap(&grid)?,
            None => remap(&self.portrait, &grid),
        };
        self.eyelids
            .fill(&mut out, &self.portrait, &grid, frame.target_landmarks);
        let driver = frame
            .driver_face
            .map(|f| (frame.driver, f.landmarks.as_slice()));
        self.mouth.fill(&mut out, frame.target_landmarks, driver);
        Ok(out)
    }
}
