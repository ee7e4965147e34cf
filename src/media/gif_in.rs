//! Animated GIF input, composited frame by frame the way browsers show it.

use super::portrait::check_dimensions;
use super::video::{Fps, FrameSource, VideoInfo};
use crate::error::io_error;
use crate::{Error, Result};
use gif::{ColorOutput, DecodeOptions, DisposalMethod};
use image::RgbImage;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Browsers play a 0 or 1 centisecond delay at 10 centiseconds; so do we.
const MIN_DELAY_CS: u16 = 2;
const DEFAULT_DELAY_CS: u16 = 10;

fn decoder(path: &Path) -> Result<gif::Decoder<BufReader<File>>> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let mut options = DecodeOptions::new();
    options.set_color_output(ColorOutput::RGBA);
    options
        .read_info(BufReader::new(file))
        .map_err(|e| Error::bad_input(path, format!("unreadable GIF: {e}")))
}

fn delay_cs(delay: u16) -> u64 {
    u64::from(if delay < MIN_DELAY_CS {
        DEFAULT_DELAY_CS
    } else {
        delay
    })
}

/// Opens a GIF: a first pass counts frames and delays, then frames are decoded on demand.
pub(crate) fn open(path: &Path) -> Result<(VideoInfo, GifVideo)> {
    let mut scan = decoder(path)?;
    let (width, height) = (u32::from(scan.width()), u32::from(scan.height()));
    check_dimensions(path, width, height)?;
    let (mut frames, mut total_cs, mut first_delay, mut constant) = (0u64, 0u64, None, true);
    while let Some(frame) = scan
        .read_next_frame()
        .map_err(|e| Error::bad_input(path, format!("damaged GIF at frame {}: {e}", frames + 1)))?
    {
        let d = delay_cs(frame.delay);
        constant &= *first_delay.get_or_insert(d) == d;
        total_cs += d;
        frames += 1;
    }
    if frames == 0 {
        return Err(Error::bad_input(path, "the GIF has no frames"));
    }
    let fps = match first_delay {
        Some(d) if constant => Fps::new(100, d),
        _ => Fps::new(100 * frames, total_cs),
    };
    let info = VideoInfo {
        container: "gif".into(),
        codec: "gif".into(),
        profile: None,
        width,
        height,
        fps,
        frame_count: frames,
        duration_s: total_cs as f64 / 100.0,
        audio: None,
    };
    let video = GifVideo {
        path: path.to_path_buf(),
        decoder: decoder(path)?,
        canvas: vec![0; (width * height * 4) as usize],
        width,
        height,
    };
    Ok((info, video))
}

/// Decodes GIF frames onto a persistent canvas, honouring each frame's disposal method.
pub(crate) struct GifVideo {
    path: PathBuf,
    decoder: gif::Decoder<BufReader<File>>,
    canvas: Vec<u8>,
    width: u32,
    height: u32,
}

impl FrameSource for GifVideo {
    fn next_frame(&mut self) -> Result<Option<RgbImage>> {
        let path = &self.path;
        let Some(frame) = self
            .decoder
            .read_next_frame()
            .map_err(|e| Error::bad_input(path, format!("damaged GIF: {e}")))?
        else {
            return Ok(None);
        };
        let (w, h) = (self.width as usize, self.height as usize);
        let saved = (frame.dispose == DisposalMethod::Previous).then(|| self.canvas.clone());
        let (left, top) = (usize::from(frame.left), usize::from(frame.top));
        let fw = usize::from(frame.width);
        let rows = (0..usize::from(frame.height)).filter(|y| top + y < h);
        for y in rows {
            for x in (0..fw).filter(|x| left + x < w) {
                let src = &frame.buffer[(y * fw + x) * 4..][..4];
                if src[3] != 0 {
                    let dst = ((top + y) * w + left + x) * 4;
                    self.canvas[dst..dst + 4].copy_from_slice(src);
                }
            }
        }
        let mut rgb = RgbImage::new(self.width, self.height);
        for (dst, src) in rgb.pixels_mut().zip(self.canvas.chunks_exact(4)) {
            // Never-painted (transparent) pixels show as white, like a page behind the GIF.
            *dst = if src[3] == 0 {
                image::Rgb([255, 255, 255])
            } else {
                image::Rgb([src[0], src[1], src[2]])
            };
        }
        match frame.dispose {
            DisposalMethod::Background => {
                for y in (top..top + usize::from(frame.height)).filter(|&y| y < h) {
                    for x in (left..left + fw).filter(|&x| x < w) {
                        self.canvas[(y * w + x) * 4..][..4].fill(0);
                    }
                }
            }
            DisposalMethod::Previous => {
                if let Some(saved) = saved {
                    self.canvas = saved;
                }
            }
            _ => {}
        }
        Ok(Some(rgb))
    }
}
