//! Portrait loading: any still image a user is likely to hand us, as 8-bit RGB, upright.

use crate::error::io_error;
use crate::{Error, Result};
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use std::io::BufReader;
use std::path::Path;

/// Largest accepted image side in pixels; bigger headers are refused before any allocation.
pub const MAX_SIDE: u32 = 16_384;
/// Largest accepted image area in pixels (about 16k x 8k).
pub const MAX_PIXELS: u64 = 134_217_728;

/// Loads a portrait (PNG, JPEG, WebP, and other formats the `image` crate reads) as 8-bit RGB.
///
/// - EXIF orientation (JPEG, WebP, PNG eXIf) is applied, so the face is upright as viewers show it.
/// - 16-bit images are scaled to 8 bits; grey images are expanded to RGB; CMYK JPEGs are
///   converted to RGB by the decoder.
/// - Transparency is composited over white: a cut-out portrait then looks as it does on a page.
/// - Headers announcing more than [`MAX_SIDE`] per side or [`MAX_PIXELS`] in all are refused
///   before any pixel memory is allocated.
pub fn load_portrait(path: &Path) -> Result<RgbImage> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    if file.metadata().map(|m| m.len() == 0).unwrap_or(false) {
        return Err(Error::bad_input(path, "the file is empty (0 bytes)"));
    }
    let reader = ImageReader::new(BufReader::new(file))
        .with_guessed_format()
        .map_err(|e| io_error(path, e))?;
    let Some(format) = reader.format() else {
        return Err(Error::bad_input(
            path,
            "not an image this tool can read (expected PNG, JPEG or WebP)",
        ));
    };
    let mut decoder = reader.into_decoder().map_err(|e| {
        Error::bad_input(
            path,
            format!("unreadable {} image: {e}", format_name(format)),
        )
    })?;
    let (width, height) = decoder.dimensions();
    check_dimensions(path, width, height)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| {
        Error::bad_input(
            path,
            format!("unreadable {} image: {e}", format_name(format)),
        )
    })?;
    image.apply_orientation(orientation);
    Ok(flatten_to_rgb(image))
}

/// Refuses empty images and images too large to process, naming the size found.
pub(crate) fn check_dimensions(path: &Path, width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::bad_input(
            path,
            "the image has no pixels (0 width or height)",
        ));
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Error::bad_input(
            path,
            format!(
                "the image is {width}x{height}, larger than this tool accepts \
                 ({MAX_SIDE} pixels per side, {} megapixels); scale it down first",
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// Converts any decoded image to 8-bit RGB, compositing transparency over white.
fn flatten_to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let mut rgb = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        for c in 0..3 {
            dst[c] = ((u32::from(src[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    rgb
}

fn format_name(format: image::ImageFormat) -> &'static str {
    format.extensions_str().first().copied().unwrap_or("image")
}
