//! Video output: one writer interface over MP4 (H.264 + copied AAC), GIF and PNG sequences,
//! chosen from the output path.

use super::{gif_out, mp4_out, png_out, AudioTrack, Fps};
use crate::{Error, Result};
use image::RgbImage;
use std::path::{Path, PathBuf};

/// How hard the MP4 encoder compresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quality {
    /// Constant quantiser, 0 (best) to 51 (worst); about 20-26 looks clean. Default 22.
    Qp(u8),
    /// Target bitrate in bits per second.
    Bitrate(u32),
}

impl Default for Quality {
    fn default() -> Self {
        Quality::Qp(22)
    }
}

/// The kind of output, decided by the output path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    /// `.mp4`, `.m4v`, `.mov`: H.264 with the driver's audio copied.
    Mp4,
    /// `.gif`: looping animated GIF.
    Gif,
    /// A folder (a path ending in `/`, an existing folder, or no extension): numbered PNGs.
    PngSequence,
}

impl OutputFormat {
    /// The output kind for `path`, or a bad-input error naming the unknown extension.
    pub fn from_path(path: &Path) -> Result<OutputFormat> {
        let text = path.to_string_lossy();
        if text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) || path.is_dir() {
            return Ok(OutputFormat::PngSequence);
        }
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("mp4" | "m4v" | "mov") => Ok(OutputFormat::Mp4),
            Some("gif") => Ok(OutputFormat::Gif),
            None => Ok(OutputFormat::PngSequence),
            Some(other) => Err(Error::bad_input(
                path,
                format!(
                    "unknown output type '.{other}'; use .mp4, .gif, or a folder (ending in /) \
                     for PNG frames"
                ),
            )),
        }
    }
}

/// Everything a writer needs to know before the first frame.
#[derive(Clone, Debug)]
pub struct OutputSpec {
    /// Output file or folder; its extension picks the format ([`OutputFormat::from_path`]).
    pub path: PathBuf,
    /// Frame rate of the output.
    pub fps: Fps,
    /// Frame width; MP4 output drops the last column when odd (H.264 4:2:0 needs even sizes).
    pub width: u32,
    /// Frame height; MP4 output drops the last row when odd.
    pub height: u32,
    /// The driver's audio, copied unchanged into MP4 output (ignored by GIF and PNG).
    pub audio: Option<AudioTrack>,
    /// An XMP packet (built by the watermark module) to embed: MP4 `uuid` box, GIF XMP
    /// application extension + comment, PNG `iTXt` in every frame.
    pub xmp: Option<String>,
    /// Replace an existing output.
    pub force: bool,
    /// MP4 quality.
    pub quality: Quality,
    /// GIF: Floyd–Steinberg dithering (default on: closest to the source; off: smaller files).
    pub gif_dither: bool,
}

impl OutputSpec {
    /// A spec with defaults: no audio, no XMP, no overwrite, default quality, dithered GIF.
    pub fn new(path: impl Into<PathBuf>, fps: Fps, width: u32, height: u32) -> OutputSpec {
        OutputSpec {
            path: path.into(),
            fps,
            width,
            height,
            audio: None,
            xmp: None,
            force: false,
            quality: Quality::default(),
            gif_dither: true,
        }
    }
}

/// The format-specific half of a [`VideoWriter`] (`Send`: a writer may be finished on another
/// thread than the one that encoded).
pub(crate) trait FrameSink: Send {
    /// Encodes one frame (already checked to have the spec's size).
    fn write_frame(&mut self, frame: &RgbImage) -> Result<()>;
    /// Completes the file and moves it into place.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// Writes frames to an MP4, GIF or PNG-sequence output, atomically: the output appears only
/// when [`finish`](VideoWriter::finish) succeeds; dropping the writer earlier (error, panic)
/// leaves nothing behind.
pub struct VideoWriter {
    sink: Box<dyn FrameSink>,
    spec_path: PathBuf,
    size: (u32, u32),
    frames: u64,
}

impl VideoWriter {
    /// Checks the spec (format, sizes, output path) and prepares the output. Fails before any
    /// work when the output exists and `force` is not set.
    pub fn create(spec: OutputSpec) -> Result<VideoWriter> {
        let format = OutputFormat::from_path(&spec.path)?;
        if spec.width < 2 || spec.height < 2 || spec.width > 16_384 || spec.height > 16_384 {
            return Err(Error::bad_input(
                &spec.path,
                format!("cannot write {}x{} frames", spec.width, spec.height),
            ));
        }
        if spec.fps.num == 0 || spec.fps.den == 0 {
            return Err(Error::bad_input(
                &spec.path,
                "the frame rate must be positive",
            ));
        }
        let size = (spec.width, spec.height);
        let spec_path = spec.path.clone();
        let sink: Box<dyn FrameSink> = match format {
            OutputFormat::Mp4 => Box::new(mp4_out::Mp4Sink::create(spec)?),
            OutputFormat::Gif => Box::new(gif_out::GifSink::create(spec)?),
            OutputFormat::PngSequence => Box::new(png_out::PngSequenceSink::create(spec)?),
        };
        Ok(VideoWriter {
            sink,
            spec_path,
            size,
            frames: 0,
        })
    }

    /// Appends one frame; it must have the spec's width and height.
    pub fn write_frame(&mut self, frame: &RgbImage) -> Result<()> {
        if frame.dimensions() != self.size {
            return Err(Error::failed(
                &self.spec_path,
                format!(
                    "frame {} is {}x{}, but the output was opened at {}x{}",
                    self.frames,
                    frame.width(),
                    frame.height(),
                    self.size.0,
                    self.size.1
                ),
            ));
        }
        self.sink.write_frame(frame)?;
        self.frames += 1;
        Ok(())
    }

    /// Number of frames written so far.
    pub fn frames_written(&self) -> u64 {
        self.frames
    }

    /// Completes the output and moves it into place. An output with no frames is an error.
    pub fn finish(self) -> Result<()> {
        if self.frames == 0 {
            return Err(Error::failed(&self.spec_path, "no frames were written"));
        }
        self.sink.finish()
    }
}
