//! Sfumato brings still portraits to life.
//!
//! A portrait (painting or photo) and a driving video of a talking face go in; the driver's head
//! motion and expression are transferred onto the portrait, previewed live and exported as MP4 or
//! GIF whose every frame carries an invisible watermark marking it as synthetic.
//!
//! Data flows one way through one module per pipeline stage:
//! [`media`] (decode) → [`keypoints`] → [`motion`] → [`engine`] → [`preview`] / [`watermark`] →
//! [`media`] (encode). Both networks (`keypoints`, the neural engine) run on the CPU kernels in
//! [`kernels`], the bottom of the graph; the wgpu setup shared by the warp's remap and the
//! preview window sits beside it (`gpu`, crate-internal). The `animate` binary is a thin
//! command-line layer over this library.

#![warn(unreachable_pub)]

pub mod engine;
pub mod error;
mod gpu;
pub mod kernels;
pub mod keypoints;
pub mod media;
pub mod motion;
pub mod pipeline;
pub mod preview;
pub mod watermark;

pub use error::{Error, Result};
