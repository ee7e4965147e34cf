//! Media input and output: portraits, driver videos (MP4/MOV H.264, GIF, frame folders) decoded
//! frame by frame, and MP4/GIF/PNG-sequence writers that never leave a half-written file.
//!
//! Reading:
//! - [`load_portrait`]: a still image as upright 8-bit RGB (alpha composited over white).
//! - [`open_video`] → [`VideoReader`]: streaming frames in display order, with [`VideoInfo`]
//!   known up front; unsupported codecs are refused before any work with a conversion command.
//! - [`read_audio`] → [`AudioTrack`]: the driver's AAC packets, for copying into the output.
//! - [`probe`] → [`ProbeReport`]: what `animate probe` prints.
//! - [`read_xmp`]: the provenance packet of an output file.
//!
//! Writing (every output appears only when complete: temporary file beside it, then rename):
//! - [`VideoWriter::create`] with an [`OutputSpec`] → `write_frame` … `finish`: `.mp4` (H.264,
//!   `moov` first, driver AAC copied with its edit list), `.gif`, or `DIR/` of PNGs, with the
//!   optional XMP packet embedded ([`read_xmp`] reads it back).
//! - [`check_output_path`]: refuse an existing output without `force`, or an output that is an
//!   input, before any work starts.
//! - [`write_png`], [`write_atomic`], [`AtomicFile`]: the single-file helpers (screenshots, JSON).
//! - [`remove_partial_outputs`]: for a Ctrl-C handler.
//! - [`to_level`]: a computed channel value rounded to an 8-bit level, for every stage that
//!   writes pixels; [`blend_over`]: a colour painted over a pixel with some opacity.

mod atomic;
mod audio;
mod frames_in;
mod gif_in;
mod gif_out;
mod level;
mod mp4_in;
mod mp4_out;
mod png_out;
mod portrait;
mod probe;
mod sps;
mod video;
mod writer;
mod xmp;

pub use atomic::{check_output_path, remove_partial_outputs, write_atomic, AtomicFile};
pub use audio::{read_audio, AudioPacket, AudioTrack};
pub use frames_in::FOLDER_FPS;
pub use level::{blend_over, to_level};
pub use png_out::{frame_file_name, write_png};
pub use portrait::{load_portrait, MAX_PIXELS, MAX_SIDE};
pub use probe::{probe, MediaKind, ProbeReport};
pub use video::{open_video, AudioInfo, Fps, VideoInfo, VideoReader};
pub use writer::{OutputFormat, OutputSpec, Quality, VideoWriter};
pub use xmp::{read_xmp, PNG_XMP_KEYWORD, XMP_UUID};
