//! The per-frame core every job drives: a portrait, its motion transfer and the chosen engine,
//! turning one driver frame (its picture and landmarks, or landmarks alone) into one output
//! frame. `animate` and `eval` both run their frames through it, so an engine or device
//! measured by `eval` is the one `animate` exports with.

use super::{guard, EngineChoice, PreparedPortrait};
use crate::engine::tpsmm::TpsmmEngine;
use crate::engine::warp::WarpEngine;
use crate::engine::{DriveFrame, Engine};
use crate::motion::{MotionConfig, MotionTransfer};
use crate::Result;
use image::RgbImage;

/// A portrait ready to be animated frame by frame.
pub struct Animator {
    portrait: RgbImage,
    motion: MotionTransfer,
    engine: Box<dyn Engine>,
    label: String,
    index: usize,
}

/// One animated frame.
pub struct Animated {
    /// The engine's picture, unmarked (the caller's export path watermarks it).
    pub image: RgbImage,
    /// The portrait's landmarks moved by the motion stage for this frame, in output pixels.
    pub target: Vec<[f32; 3]>,
}

impl Animator {
    /// Builds the engine for `portrait` and the motion transfer relative to the driver's
    /// neutral frame (`reference`, its landmarks). `label` names the driver in error messages
    /// ("rendering frame N of LABEL").
    pub fn new(
        portrait: &PreparedPortrait,
        reference: &[[f32; 3]],
        motion: MotionConfig,
        engine: &EngineChoice,
        label: impl Into<String>,
    ) -> Result<Self> {
        let motion = MotionTransfer::new(&portrait.face.landmarks, reference, motion)?;
        let engine: Box<dyn Engine> = match engine {
            EngineChoice::Warp(options) => Box::new(WarpEngine::with_options(
                portrait.image.clone(),
                &portrait.face,
                options,
            )?),
            EngineChoice::Tpsmm(options) => Box::new(TpsmmEngine::new(
                &portrait.image,
                Some(&portrait.face.landmarks),
                options,
            )?),
        };
        Ok(Self {
            portrait: portrait.image.clone(),
            motion,
            engine,
            label: label.into(),
            index: 0,
        })
    }

    /// Animates the next frame from the driver's picture (`None` for a preset, which moves
    /// landmarks only) and its landmarks (`None` where its face was lost: the portrait eases
    /// back to its reference pose). A panic inside becomes [`crate::Error::Internal`] naming
    /// the frame and the driver.
    pub fn frame(
        &mut self,
        driver: Option<&RgbImage>,
        landmarks: Option<&[[f32; 3]]>,
    ) -> Result<Animated> {
        let index = self.index;
        self.index += 1;
        let doing = || format!("rendering frame {index} of {}", self.label);
        guard::guarded(doing, || {
            inject_panic(index);
            let target = self.motion.next(landmarks);
            let image = self.engine.render(&DriveFrame {
                index,
                driver: driver.unwrap_or(&self.portrait),
                driver_landmarks: landmarks.filter(|_| driver.is_some()),
                target_landmarks: &target,
            })?;
            Ok(Animated { image, target })
        })?
    }

    /// Frames so far in which the driver had no face.
    pub fn lost_frames(&self) -> usize {
        self.motion.lost_frames()
    }

    /// The engine's name, as recorded in the provenance metadata.
    pub fn engine_name(&self) -> &'static str {
        self.engine.name()
    }

    /// Whether the engine renders on a GPU adapter.
    pub fn uses_gpu(&self) -> bool {
        self.engine.uses_gpu()
    }
}

/// Panics at frame `SFUMATO_PANIC_AT_FRAME` (debug builds only): how the tests reach the
/// guard without a real bug.
fn inject_panic(index: usize) {
    #[cfg(debug_assertions)]
    if std::env::var("SFUMATO_PANIC_AT_FRAME").is_ok_and(|v| v.parse() == Ok(index)) {
        panic!("injected panic (SFUMATO_PANIC_AT_FRAME)");
    }
    let _ = index;
}
