//! Writing marked PNGs safely (temporary file, then rename), with an
//! optional XMP packet in an iTXt chunk.

use std::io::BufWriter;
use std::path::Path;

use image::RgbImage;

use crate::error::io_error;
use crate::{Error, Result};

/// Writes `img` as PNG to `output` via a temporary file in the same folder, refusing to
/// overwrite `input`; `xmp` goes into an `XML:com.adobe.xmp` iTXt chunk.
pub fn write_png(input: &Path, output: &Path, img: &RgbImage, xmp: Option<&str>) -> Result<()> {
    if same_file(input, output) {
        return Err(Error::bad_input(
            output,
            "is the input; choose another output path (inputs are never overwritten)",
        ));
    }
    let dir = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io_error(dir, e))?;
    {
        let mut encoder =
            png::Encoder::new(BufWriter::new(tmp.as_file()), img.width(), img.height());
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        if let Some(xmp) = xmp {
            encoder
                .add_itxt_chunk("XML:com.adobe.xmp".into(), xmp.into())
                .map_err(|e| Error::failed(output, e))?;
        }
        let mut writer = encoder
            .write_header()
            .map_err(|e| Error::failed(output, e))?;
        writer
            .write_image_data(img.as_raw())
            .map_err(|e| Error::failed(output, e))?;
        writer.finish().map_err(|e| Error::failed(output, e))?;
    }
    tmp.persist(output).map_err(|e| io_error(output, e.error))?;
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
