//! Rendering engines that turn the portrait plus per-frame target motion into output frames:
//! the default keypoint-driven `warp` and the neural `tpsmm`, behind one interface.

pub mod tpsmm;
pub mod warp;

use crate::Result;
use image::RgbImage;

/// Where an engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// A GPU when one is found, else the CPU (with one log line saying so). The warp looks for
    /// a hardware wgpu adapter; the neural engine for the GPU of a `cuda` or `metal` build.
    #[default]
    Auto,
    /// The CPU.
    Cpu,
    /// A GPU only, or an error: for the warp any wgpu adapter, software ones (lavapipe)
    /// included; for the neural engine the GPU of a `cuda` or `metal` build.
    Gpu,
}

/// Everything an engine may need to render one output frame. Each engine uses what it needs:
/// the warp engine follows `target_landmarks` (and paints an open mouth from the driver's own
/// interior), the neural engine looks at the driver frame around its landmarks.
pub struct DriveFrame<'a> {
    /// Index of the driver frame (0-based, display order).
    pub index: usize,
    /// The decoded driver frame.
    pub driver: &'a RgbImage,
    /// The driver's 468 face landmarks in this frame, in driver pixels; `None` where the face
    /// was lost or the motion has no driver picture (a preset).
    pub driver_landmarks: Option<&'a [[f32; 3]]>,
    /// The portrait's 468 landmarks moved by the motion stage, in portrait pixels.
    pub target_landmarks: &'a [[f32; 3]],
}

/// A renderer prepared for one portrait; produces one output frame per driver frame.
///
/// Source-side work (analysing the portrait, encoder features) happens once when the engine is
/// built; `render` is called for every frame, in order.
pub trait Engine: Send {
    /// Short name shown in logs and provenance metadata (e.g. "warp", "tpsmm").
    fn name(&self) -> &'static str;
    /// Whether it renders on a GPU (reported in the job's summary; a GPU build without a usable
    /// GPU at run time falls back to the CPU).
    fn uses_gpu(&self) -> bool;
    /// Renders the output frame for `frame`, at the output resolution chosen when building.
    fn render(&mut self, frame: &DriveFrame<'_>) -> Result<RgbImage>;
}
