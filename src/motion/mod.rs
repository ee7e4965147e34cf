//! Motion transfer: the driver's head pose and expression, relative to a neutral driver frame,
//! applied to the portrait's landmarks and smoothed over time.

pub mod linalg;
pub mod preset;
pub mod regions;
mod transfer;

pub use transfer::{fit_pose, pick_reference, DriverMotion, MotionConfig, MotionTransfer};
