//! The invisible watermark carried by every exported frame, provenance metadata, and detection.
//!
//! The pipeline calls [`Marker::embed`] on every exported frame and puts
//! [`xmp::Provenance::to_xmp`] into the writer's XMP slot; `animate verify` runs the verify
//! job (`pipeline::verify`), built on [`Detector`] and [`xmp`].
//!
//! How it works (details in `src/watermark/README.md`):
//! - A keyed 32×32-cell tile, half the frame's short side wide (8 px cells on a 512² frame; one
//!   tile across on video frames under 512 px, so cells stay 8 px or more down to 256 px), is
//!   repeated over the frame's luma, high-passed so its energy sits where compression keeps it
//!   and the image interferes least, scaled by a perceptual mask (strong in texture, faint in
//!   flat and dark areas) and limited to what the picture's structure at the pattern's scale can
//!   hide, with PSNR held at 42.5 dB or more.
//! - A quarter of the cells carry a fixed synchronisation pattern: the detector subtracts a local
//!   median of the luma (the picture), folds the whitened residual onto one tile at a range of
//!   tile sizes and finds the shift by circular correlation (FFT), which recovers crops and
//!   whole-frame rescaling.
//! - The rest carry the 32-bit [`Payload`] plus a 40-bit keyed check, key-whitened and protected by
//!   a rate-1/3 convolutional code (soft Viterbi). A detection is claimed when the check
//!   passes (by chance: (decoding attempts)·2⁻⁴⁰ ≈ 10⁻¹¹), or, when the noise defeats the
//!   decoder, when a whole codeword found by an exhaustive search over export payloads or a list
//!   search over all payloads matches the data cells far beyond chance (a Gaussian bound for
//!   Rademacher sums, `bound`). False claims are held to at most 10⁻⁶ for one image and 10⁻⁹
//!   for a whole video, whose frames' evidence is summed before the decision ([`Scope`]; a long
//!   video is also decided part by part, within the same limit).
//!
//! Metadata ([`xmp`]) says the same thing in a way any tool can read, but it can be stripped or
//! forged; the watermark is the stronger signal.

mod bound;
mod code;
mod detect;
mod embed;
mod fft;
mod key;
mod luma;
mod pattern;
mod payload;
mod search;

pub mod xmp;

pub use detect::{Detection, Detector, Evidence, Match, Scope, Search, WRONG_PAYLOAD_RATE};
pub use embed::Marker;
pub use key::SFUMATO_KEY;
pub use payload::{Payload, SYNTHETIC_MARKER};

/// Detects the Sfumato watermark in one image.
pub fn detect(img: &image::RgbImage) -> Detection {
    Detector::new().detect(img)
}
