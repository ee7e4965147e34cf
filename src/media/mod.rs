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
//! Writing lives in the writer modules; see [`OutputSpec`] and [`VideoWriter`].

mod atomic;
mod audio;
mod frames_in;
mod gif_in;
mod gif_out;
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
pub use png_out::{frame_file_name, write_png};
pub use portrait::{load_portrait, MAX_PIXELS, MAX_SIDE};
pub use probe::{probe, MediaKind, ProbeReport};
pub use video::{open_video, AudioInfo, Fps, VideoInfo, VideoReader};
pub use writer::{OutputFormat, OutputSpec, Quality, VideoWriter};
pub use xmp::{read_xmp, PNG_XMP_KEYWORD, XMP_UUID};
