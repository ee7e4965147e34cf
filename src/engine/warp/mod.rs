//! The default engine: a dense, smooth, fold-free warp of the full-resolution portrait that
//! moves its landmarks onto the target landmarks, with eyelids and an open mouth handled.
//!
//! Per frame: [`WarpField`] turns the sparse landmark motion into a coarse backward-map
//! [`WarpGrid`]; a remap (wgpu compute shader or multi-threaded CPU, same arithmetic, behind one
//! interface; a GPU that fails mid-run hands over to the CPU) samples the portrait through it;
//! then, on the CPU for both remaps, the eyelid filler draws the upper lids down over closing
//! eyes and the mouth filler paints the mouth interior where it opens.

mod eyelid;
mod field;
mod frame;
mod gpu;
mod grid;
mod layers;
mod mouth;
mod rbf;
mod remap;

use eyelid::EyelidFiller;
pub use field::{WarpField, MIN_JACOBIAN};
pub use gpu::GpuRemap;
pub use grid::WarpGrid;
use mouth::MouthFiller;
pub use remap::remap;
use remap::Remap;

use super::{Device, DriveFrame, Engine};
use crate::keypoints::{Face, MESH_POINTS};
use crate::{Error, Result};
use image::RgbImage;

/// How the warp engine is set up (`EngineChoice::Warp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarpOptions {
    /// Where the per-pixel remap runs.
    pub device: Device,
    /// Paint an open mouth with the driver's own interior where the driver shows one (the
    /// product's behaviour); `false` always paints the synthetic cavity, so that no pixel of a
    /// driver frame reaches the output (what `eval --synthetic-mouth` measures).
    pub driver_interior: bool,
}

impl Default for WarpOptions {
    fn default() -> Self {
        Self {
            device: Device::Auto,
            driver_interior: true,
        }
    }
}

/// The warp engine prepared for one portrait at output resolution.
pub struct WarpEngine {
    portrait: RgbImage,
    driver_interior: bool,
    field: WarpField,
    eyelids: EyelidFiller,
    mouth: MouthFiller,
    remap: Remap,
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
        Ok(Self {
            remap: Remap::new(&portrait, device)?,
            field: WarpField::new(&face.landmarks, w, h),
            eyelids: EyelidFiller::new(&face.landmarks),
            mouth: MouthFiller::new(&portrait, &face.landmarks),
            portrait,
            driver_interior: true,
        })
    }

    /// Prepares the engine as [`WarpOptions`] say.
    pub fn with_options(portrait: RgbImage, face: &Face, options: &WarpOptions) -> Result<Self> {
        let mut engine = Self::new(portrait, face, options.device)?;
        engine.driver_interior = options.driver_interior;
        Ok(engine)
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

    /// Whether the remap runs on a GPU adapter (false once a failing GPU handed over to the
    /// CPU).
    fn uses_gpu(&self) -> bool {
        self.remap.on_gpu()
    }

    fn render(&mut self, frame: &DriveFrame<'_>) -> Result<RgbImage> {
        let grid = self.field.grid(frame.target_landmarks);
        let mut out = self.remap.run(&self.portrait, &grid, frame.index);
        self.eyelids
            .fill(&mut out, &self.portrait, &grid, frame.target_landmarks);
        let driver = frame
            .driver_landmarks
            .filter(|_| self.driver_interior)
            .map(|lm| (frame.driver, lm));
        self.mouth.fill(&mut out, frame.target_landmarks, driver);
        Ok(out)
    }
}
