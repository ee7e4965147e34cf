//! The Thin-Plate-Spline Motion Model (Zhao & Zhang, CVPR 2022) in candle, reading the
//! official published checkpoints.
//!
//! One struct per network block (`new(cfg, vb)` + `forward`), mirroring the official
//! `modules/`: [`keypoint_detector`], [`dense_motion`], [`inpainting`], [`avd`], built from
//! [`blocks`]. What candle lacks is here too: [`grid_sample`] (custom op), instance norm,
//! the TPS solves and the convex hull ([`tps`]). [`model::Tpsmm`] ties them together with the
//! source-side work done once ([`model::PreparedSource`]).

mod avd;
mod blocks;
mod checkpoint;
mod config;
mod crop;
mod dense_motion;
mod engine;
mod frames;
mod grid_sample;
mod inpainting;
mod keypoint_detector;
mod model;
mod tps;
mod transfer;

pub use config::{Config, DEFAULT_CONFIG};
pub use engine::{CropMode, TpsmmEngine, TpsmmOptions};
pub use frames::{image_tensor, tensor_image};
pub use model::{points_tensor, AnimatedFrame, PreparedSource, Tpsmm};
pub use tps::Tps;
pub use transfer::{KeypointTransfer, Mode};
