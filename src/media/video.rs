//! Driver video input: one streaming reader over MP4/MOV (H.264), animated GIF and frame folders.

use super::{frames_in, gif_in, mp4_in};
use crate::error::io_error;
use crate::{Error, Result};
use image::RgbImage;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A frame rate as an exact fraction (e.g. 30000/1001), so timestamps never drift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Fps {
    /// Frames per `den` seconds.
    pub num: u32,
    /// Seconds per `num` frames.
    pub den: u32,
}

impl Fps {
    /// `num/den`, reduced; a zero denominator or numerator gives 25 fps, the usual default.
    pub fn new(num: u64, den: u64) -> Fps {
        if num == 0 || den == 0 {
            return Fps { num: 25, den: 1 };
        }
        let g = gcd(num, den);
        let (mut num, mut den) = (num / g, den / g);
        while num > u64::from(u32::MAX) || den > u64::from(u32::MAX) {
            num /= 2;
            den = (den / 2).max(1);
        }
        Fps {
            num: num as u32,
            den: den as u32,
        }
    }

    /// Frames per second as a float, for display and arithmetic that tolerates rounding.
    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }
}

impl std::fmt::Display for Fps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{} ({:.3})", self.num, self.den, self.as_f64())
        }
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// What a driver video is, known before decoding starts: enough to plan and report a run.
#[derive(Clone, Debug, Serialize)]
pub struct VideoInfo {
    /// Container: "mp4" (also MOV), "gif" or "frames" (a folder of numbered images).
    pub container: String,
    /// Video codec: "h264", "gif", "png/jpeg".
    pub codec: String,
    /// Codec profile where there is one (e.g. "High"), with the codec string ("avc1.64001E").
    pub profile: Option<String>,
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Frame rate (average for variable-rate input).
    pub fps: Fps,
    /// Number of frames the reader will return.
    pub frame_count: u64,
    /// Duration in seconds.
    pub duration_s: f64,
    /// The audio track, if the file has one the MP4 writer can copy.
    pub audio: Option<AudioInfo>,
}

/// A summary of a driver's audio track.
#[derive(Clone, Debug, Serialize)]
pub struct AudioInfo {
    /// Codec string, e.g. "mp4a.40.2" (AAC-LC).
    pub codec: String,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Duration in seconds.
    pub duration_s: f64,
}

/// A source of decoded frames in display order.
pub(crate) trait FrameSource: Send {
    /// The next frame, or `None` at the end.
    fn next_frame(&mut self) -> Result<Option<RgbImage>>;
}

/// A driver video decoded frame by frame; only a few frames are ever held in memory.
///
/// Also an [`Iterator`] over `Result<RgbImage>`.
pub struct VideoReader {
    info: VideoInfo,
    path: PathBuf,
    source: Box<dyn FrameSource>,
}

impl VideoReader {
    /// What the video is (size, frame rate, frame count, codec, audio).
    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// The file or folder this reader decodes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next frame in display order, or `None` after the last one.
    pub fn next_frame(&mut self) -> Result<Option<RgbImage>> {
        self.source.next_frame()
    }
}

impl Iterator for VideoReader {
    type Item = Result<RgbImage>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

/// Opens a driver video: MP4/MOV with H.264 (Baseline, Main, High; 8-bit 4:2:0, progressive),
/// an animated GIF, or a folder of numbered PNG/JPEG frames (taken at
/// [`frames_in::FOLDER_FPS`] fps).
///
/// Everything else (HEVC, AV1, VP9, ProRes, 10-bit, 4:2:2, interlaced…) is refused here, before
/// any work, with a message naming the codec and an ffmpeg command that converts the file.
pub fn open_video(path: &Path) -> Result<VideoReader> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    let (info, source): (VideoInfo, Box<dyn FrameSource>) = if meta.is_dir() {
        let (info, src) = frames_in::open(path)?;
        (info, Box::new(src))
    } else {
        match sniff(path, meta.len())? {
            Kind::Mp4 => {
                let (info, src) = mp4_in::open(path)?;
                (info, Box::new(src))
            }
            Kind::Gif => {
                let (info, src) = gif_in::open(path)?;
                (info, Box::new(src))
            }
        }
    };
    Ok(VideoReader {
        info,
        path: path.to_path_buf(),
        source,
    })
}

enum Kind {
    Mp4,
    Gif,
}

/// Recognises the container from the first bytes, not the file name.
fn sniff(path: &Path, len: u64) -> Result<Kind> {
    if len == 0 {
        return Err(Error::bad_input(path, "the file is empty (0 bytes)"));
    }
    let mut head = [0u8; 12];
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    let head = &head[..n];
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Ok(Kind::Gif);
    }
    let box_type = head.get(4..8).unwrap_or_default();
    if [&b"ftyp"[..], b"moov", b"mdat", b"free", b"wide", b"skip"].contains(&box_type) {
        return Ok(Kind::Mp4);
    }
    if box_type == b"\x1aE\xdf\xa3" || head.starts_with(b"\x1aE\xdf\xa3") {
        return Err(unsupported(path, "a Matroska/WebM file", false));
    }
    if head.starts_with(b"RIFF") {
        return Err(unsupported(path, "an AVI/RIFF file", false));
    }
    Err(Error::bad_input(
        path,
        "not a video this tool can read (expected MP4/MOV with H.264, an animated GIF, or a \
         folder of numbered PNG/JPEG frames)",
    ))
}

/// The refusal for a codec or container we do not decode, with the ffmpeg command that
/// converts it (deinterlacing too when `interlaced`).
pub(crate) fn unsupported(path: &Path, what: &str, interlaced: bool) -> Error {
    let filter = if interlaced { " -vf yadif" } else { "" };
    Error::bad_input(
        path,
        format!(
            "{what} is not supported; only H.264 (8-bit 4:2:0, progressive) MP4/MOV, GIF and \
             frame folders are. Convert it with: ffmpeg -i '{}' -c:v libx264 -pix_fmt yuv420p\
             {filter} -c:a aac '{}'",
            path.display(),
            path.with_extension("h264.mp4").display()
        ),
    )
}
