//! The motion options shared by `animate` and `eval`, with their defaults taken from
//! [`MotionConfig::default`] so the two never drift apart.

use sfumato::motion::MotionConfig;

/// How the driver's motion is carried onto the portrait.
#[derive(clap::Args, Debug)]
pub struct MotionArgs {
    /// Scale the driver's motion: 1 as measured, 0.5 half as much, 1.5 exaggerated (0 to 5).
    #[arg(long, value_name = "K", default_value_t = MotionConfig::default().motion_scale)]
    motion_scale: f32,
    /// Temporal smoothing of the motion, 0 (off) to 1 (strong).
    #[arg(long, value_name = "S", default_value_t = MotionConfig::default().smoothing)]
    smoothing: f32,
    /// Soft limit on head rotation in degrees (1 to 90): a 2D warp cannot show a head turned
    /// further, so larger rotations approach this angle without passing it.
    #[arg(long, value_name = "DEG", default_value_t = MotionConfig::default().max_rotation_deg)]
    max_rotation: f32,
    /// Soft limit on the head's movement across the frame, in face widths (eye-corner
    /// distances); 0 = none (the default: the warp carries neck, shoulders and torso along with
    /// a far-moving head). Set it (e.g. 0.2) to keep the figure near its painted place.
    #[arg(long, value_name = "FACES", default_value_t = MotionConfig::default().max_translation)]
    max_translation: f32,
    /// Soft limit on the head's scale change, as a fraction (0.08 = ±8 %); 0 = none (default).
    #[arg(
        long,
        value_name = "FRACTION",
        default_value_t = MotionConfig::default().max_scale_change
    )]
    max_scale_change: f32,
}

impl MotionArgs {
    /// The motion settings these flags give (the driver's frame rate is filled in later).
    pub fn config(&self) -> MotionConfig {
        MotionConfig {
            motion_scale: self.motion_scale,
            max_rotation_deg: self.max_rotation,
            max_translation: self.max_translation,
            max_scale_change: self.max_scale_change,
            smoothing: self.smoothing,
            ..MotionConfig::default()
        }
    }
}
