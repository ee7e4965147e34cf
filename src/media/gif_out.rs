//! GIF output: per-frame palettes from quantette (Wu + Floyd–Steinberg in Oklab), infinite
//! loop, delays that add up to the exact video duration.

use super::atomic::AtomicFile;
use super::writer::{FrameSink, OutputSpec};
use super::xmp::gif_xmp_extension;
use super::Fps;
use crate::error::io_error;
use crate::{Error, Result};
use gif::{DisposalMethod, Encoder, Frame, Repeat};
use image::RgbImage;
use quantette::{ImageRef, Pipeline};
use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

/// Encodes frames straight into the temporary output file.
pub(crate) struct GifSink {
    target: PathBuf,
    encoder: Encoder<BufWriter<AtomicFile>>,
    fps: Fps,
    frames: u64,
    dither: bool,
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file().flush()
    }
}

/// Delay of frame `i` in centiseconds, rounded so that the running total never drifts from
/// `i / fps` by more than half a centisecond (e.g. 30 fps → 3, 3, 4, 3, 3, 4 …).
pub(crate) fn delay_cs(fps: Fps, i: u64) -> u16 {
    let at =
        |k: u64| (k * 100 * u64::from(fps.den) * 2 + u64::from(fps.num)) / (2 * u64::from(fps.num));
    (at(i + 1) - at(i)).clamp(2, u64::from(u16::MAX)) as u16
}

impl GifSink {
    pub(crate) fn create(spec: OutputSpec) -> Result<GifSink> {
        let fail =
            |e: gif::EncodingError| Error::failed(&spec.path, format!("cannot write GIF: {e}"));
        if spec.width > u32::from(u16::MAX) || spec.height > u32::from(u16::MAX) {
            return Err(Error::bad_input(&spec.path, "too large for a GIF"));
        }
        let file = AtomicFile::create(&spec.path, spec.force)?;
        let mut encoder = Encoder::new(
            BufWriter::new(file),
            spec.width as u16,
            spec.height as u16,
            &[],
        )
        .map_err(fail)?;
        encoder.set_repeat(Repeat::Infinite).map_err(fail)?;
        if let Some(xmp) = &spec.xmp {
            encoder
                .get_mut()
                .write_all(&gif_xmp_extension(xmp))
                .map_err(|e| io_error(&spec.path, e))?;
            encoder
                .write_raw_extension(gif::Extension::Comment.into(), &[xmp.as_bytes()])
                .map_err(fail)?;
        }
        Ok(GifSink {
            target: spec.path,
            encoder,
            fps: spec.fps,
            frames: 0,
            dither: spec.gif_dither,
        })
    }
}

impl FrameSink for GifSink {
    fn write_frame(&mut self, frame: &RgbImage) -> Result<()> {
        let image = ImageRef::try_from(frame)
            .map_err(|e| Error::failed(&self.target, format!("cannot quantise frame: {e}")))?;
        let pipeline = Pipeline::new();
        let pipeline = if self.dither {
            pipeline
        } else {
            pipeline.ditherer(None)
        };
        let indexed = pipeline.input_image(image).output_srgb8_indexed_image();
        let palette: Vec<u8> = indexed
            .palette()
            .iter()
            .flat_map(|c| [c.red, c.green, c.blue])
            .collect();
        let gif_frame = Frame {
            width: frame.width() as u16,
            height: frame.height() as u16,
            delay: delay_cs(self.fps, self.frames),
            dispose: DisposalMethod::Keep,
            palette: Some(palette),
            buffer: Cow::Borrowed(indexed.indices()),
            ..Frame::default()
        };
        self.encoder
            .write_frame(&gif_frame)
            .map_err(|e| Error::failed(&self.target, format!("cannot write GIF frame: {e}")))?;
        self.frames += 1;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let target = self.target;
        let writer = self
            .encoder
            .into_inner()
            .map_err(|e| Error::failed(&target, format!("cannot finish GIF: {e}")))?;
        let file = writer
            .into_inner()
            .map_err(|e| io_error(&target, e.into_error()))?;
        file.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::{delay_cs, Fps};

    #[test]
    fn delays_add_up_to_the_exact_duration() {
        let fps30 = Fps { num: 30, den: 1 };
        let total: u64 = (0..30).map(|i| u64::from(delay_cs(fps30, i))).sum();
        assert_eq!(total, 100);
        assert_eq!(delay_cs(Fps { num: 25, den: 1 }, 7), 4);
        let ntsc = Fps {
            num: 30000,
            den: 1001,
        };
        let total: u64 = (0..300).map(|i| u64::from(delay_cs(ntsc, i))).sum();
        assert_eq!(total, 1001);
    }
}
