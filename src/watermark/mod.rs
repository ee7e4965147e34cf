//! The invisible watermark carried by every exported frame, provenance metadata, and detection.
//!
//! Every frame Sfumato exports gets [`Marker::embed`]: a keyed pattern of shaped cells tiled over
//! the frame's luma, a quarter of the short side per tile, strongest where texture hides it. One
//! part of each tile is a fixed synchronisation pattern that lets [`Detector`] find the tiling
//! again after crops and rescaling; the rest carries a 32-bit [`Payload`] plus a 40-bit keyed
//! check, protected by a convolutional code. A detection is only claimed when the check passes,
//! so content never marked is claimed with a computed probability of about 4·10⁻¹², for a single
//! image or for a whole video, whose frames' evidence is added up before decoding.
//!
//! Metadata ([`xmp`]) says the same thing in a way any tool can read, but it can be stripped or
//! forged; the watermark is the stronger signal.

mod code;
mod detect;
mod embed;
mod fft;
mod key;
mod luma;
mod pattern;
mod payload;
mod verify;

pub mod image_io;
pub mod xmp;

pub use detect::{Detection, Detector, Evidence};
pub use embed::Marker;
pub use key::SFUMATO_KEY;
pub use payload::{Payload, SYNTHETIC_MARKER};
pub use verify::{verify_file, Report, MAX_FRAMES};

/// Detects the Sfumato watermark in one image.
pub fn detect(img: &image::RgbImage) -> Detection {
    Detector::new().detect(img)
}
