//! The Thin-Plate-Spline Motion Model (Zhao & Zhang, CVPR 2022) in candle, reading the
//! official published checkpoints.
//!
//! One struct per network block (`new(cfg, vb)` + `forward`), mirroring the official
//! `modules/`: [`keypoint_detector`], [`dense_motion`], [`inpainting`], [`avd`], built from
//! [`blocks`]. What candle lacks is here too: [`grid_sample`] (custom op), instance norm,
//! the TPS solves and the convex hull ([`tps`]). [`model::Tpsmm`] ties them together with the
//! source-side work done once ([`model::PreparedSource`]).

pub mod avd;
pub mod blocks;
pub mod checkpoint;
pub mod config;
pub mod crop;
pub mod dense_motion;
pub mod engine;
pub mod frames;
pub mod grid_sample;
pub mod inpainting;
pub mod keypoint_detector;
pub mod model;
pub mod tps;
pub mod transfer;

pub use config::Config;
pub use engine::{CropMode, TpsmmEngine, TpsmmOptions};
pub use model::{AnimatedFrame, PreparedSource, Tpsmm};
pub use transfer::{KeypointTransfer, Mode};
