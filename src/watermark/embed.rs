//! Embedding: adds the keyed tile pattern to the luma of a frame, scaled by a perceptual mask.

use image::RgbImage;
use rayon::prelude::*;

use crate::media::to_level;

use super::key::SFUMATO_KEY;
use super::luma::Plane;
use super::pattern::{self, Layout, Medium, BINS};
use super::Payload;

/// Peak amplitude (0–255 scale) of the pattern where the mask is 1.
const STRENGTH: f32 = 9.0;
/// Lowest PSNR (dB) an embedded frame may have against its original; the strength is lowered
/// on frames that would otherwise go below it.
const MIN_PSNR_DB: f64 = 42.5;

/// A watermark ready to embed: the key and the payload's tile, computed once per export.
#[derive(Debug, Clone)]
pub struct Marker {
    payload: Payload,
    tile: Vec<f32>,
    medium: Medium,
}

impl Marker {
    /// A marker carrying `payload` under the Sfumato key, for the frames of a video.
    pub fn new(payload: Payload) -> Self {
        Self::with_key(payload, SFUMATO_KEY)
    }

    /// A marker under another key (tests, or a deployment with its own key).
    pub fn with_key(payload: Payload, key: u64) -> Self {
        let tile = pattern::render_tile(&Layout::new(key).tile(payload.0, key));
        Marker {
            payload,
            tile,
            medium: Medium::Video,
        }
    }

    /// The same marker for single images. They differ from video frames only under 512 px:
    /// a small still keeps two tiles across (for cropping), a small video frame gets one (for
    /// halving and recompression).
    pub fn for_stills(self) -> Self {
        Marker {
            medium: Medium::Still,
            ..self
        }
    }

    /// The payload this marker carries.
    pub fn payload(&self) -> Payload {
        self.payload
    }

    /// Marks `img` in place: the same change on R, G and B (luma only, so chroma subsampling
    /// leaves it alone), strongest in textured areas and faint in flat or dark ones. Bands of
    /// rows are computed in parallel; the result does not depend on the number of threads.
    pub fn embed(&self, img: &mut RgbImage) {
        let (w, h) = img.dimensions();
        let period = pattern::tile_period(w, h, self.medium);
        let (cols, rows) = (pattern::bin_index(w, period), pattern::bin_index(h, period));
        let (w, h) = (w as usize, h as usize);
        let frame: &RgbImage = img;
        let bands: Vec<(Vec<f32>, f64)> = (0..h.div_ceil(BAND_ROWS))
            .into_par_iter()
            .map(|band| {
                let y0 = band * BAND_ROWS;
                let y1 = (y0 + BAND_ROWS).min(h);
                let mask = perceptual_mask_rows(frame, y0, y1);
                let mut field = Vec::with_capacity((y1 - y0) * w);
                let mut energy = 0.0f64;
                for (mask_row, &by) in mask.chunks(w).zip(&rows[y0..y1]) {
                    let tile_row = &self.tile[by * BINS..(by + 1) * BINS];
                    for (&m, &bx) in mask_row.iter().zip(&cols) {
                        let v = m * tile_row[bx];
                        field.push(v);
                        energy += (v * v) as f64;
                    }
                }
                (field, energy)
            })
            .collect();
        let energy: f64 = bands.iter().map(|(_, e)| e).sum();
        let max_mse = 255.0f64.powi(2) / 10f64.powf(MIN_PSNR_DB / 10.0);
        let mse_at_full = energy * (STRENGTH as f64).powi(2) / (w * h).max(1) as f64;
        let gain = if mse_at_full > max_mse {
            STRENGTH * (max_mse / mse_at_full).sqrt() as f32
        } else {
            STRENGTH
        };
        img.par_chunks_mut(BAND_ROWS * w * 3)
            .zip(&bands)
            .for_each(|(pixels, (field, _))| {
                for (p, &v) in pixels.chunks_exact_mut(3).zip(field) {
                    let d = gain * v;
                    for c in p.iter_mut() {
                        *c = to_level(*c as f32 + d);
                    }
                }
            });
    }
}

/// Rows per band of [`Marker::embed`]: fixed, so that the result is the same for any number of
/// threads.
const BAND_ROWS: usize = 64;
/// Rows of context a band needs on each side: the mask's two box filters reach 1 + 2 rows.
const MASK_REACH: usize = 3;

/// The perceptual mask of rows `y0..y1` of `img`, computed on those rows plus
/// [`MASK_REACH`] rows of context (clamped at the frame's edges), so that each band equals the
/// same rows of the whole frame's mask.
fn perceptual_mask_rows(img: &RgbImage, y0: usize, y1: usize) -> Vec<f32> {
    let w = img.width() as usize;
    let top = y0.saturating_sub(MASK_REACH);
    let bottom = (y1 + MASK_REACH).min(img.height() as usize);
    let rows = &img.as_raw()[top * w * 3..bottom * w * 3];
    let mask = perceptual_mask(&Plane::luma_of_rows(rows, w));
    mask[(y0 - top) * w..(y1 - top) * w].to_vec()
}

/// Local detail (mean absolute deviation from the 3×3 mean, in levels) under which an area
/// counts as noiseless. Real photos and video frames have sensor noise or grain above it even
/// where they look flat, and hide a faint pattern there; a synthetic gradient or a clean digital
/// background has none, and there a quarter-strength pattern shows as grain (max 2 levels, RMS
/// 0.8 on a dark gradient). The flat-area floor fades to nothing below this detail.
const NOISELESS_DETAIL: f32 = 0.3;

/// Where a change is hard to see: near 1 in textured areas, about a quarter of that in flat but
/// noisy areas, nothing in noiseless ones, and less again in dark areas.
fn perceptual_mask(luma: &Plane) -> Vec<f32> {
    let local = luma.box_mean(1);
    let detail = Plane {
        data: luma
            .data
            .iter()
            .zip(&local.data)
            .map(|(a, b)| (a - b).abs())
            .collect(),
        ..local.clone()
    }
    .box_mean(2);
    detail
        .data
        .iter()
        .zip(&local.data)
        .map(|(&d, &l)| {
            let flat_floor = 0.25 * (d / NOISELESS_DETAIL).min(1.0);
            let texture = (flat_floor + d / 3.0).min(1.6);
            let brightness = 0.5 + 0.5 * (l / 80.0).min(1.0);
            texture * brightness
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banded_mask_equals_the_whole_frame_mask() {
        // Dark, gently varying rows (so that neither the texture nor the brightness term
        // saturates), on a height that is not a multiple of the band size.
        let img = RgbImage::from_fn(97, 3 * BAND_ROWS as u32 + 29, |x, y| {
            let v = 40.0 + 6.0 * ((x as f32) * 0.7).sin() + 9.0 * ((y * y) as f32 * 0.013).sin();
            image::Rgb([v as u8, (v * 1.2) as u8, (v * 0.8) as u8])
        });
        let whole = perceptual_mask(&Plane::luma(&img));
        let h = img.height() as usize;
        let banded: Vec<f32> = (0..h.div_ceil(BAND_ROWS))
            .flat_map(|b| perceptual_mask_rows(&img, b * BAND_ROWS, ((b + 1) * BAND_ROWS).min(h)))
            .collect();
        assert_eq!(banded.len(), whole.len());
        let worst = banded
            .iter()
            .zip(&whole)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "band mask differs by {worst}");
    }

    /// RMS and largest change, in levels, that marking makes to a dark diagonal gradient with
    /// pseudo-random noise of ±`noise` levels added.
    fn change_on_dark_gradient(noise: u32) -> (f64, u8) {
        let img = RgbImage::from_fn(512, 512, |x, y| {
            let grain =
                (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)).wrapping_mul(2_654_435_761);
            let n = (grain >> 16) % (2 * noise + 1);
            let v = (18.0 + 14.0 * (x + y) as f32 / 1024.0).round() as u32 + n;
            image::Rgb([v as u8, v as u8, (v + 5) as u8])
        });
        let mut marked = img.clone();
        Marker::new(Payload(0x5301_abcd)).embed(&mut marked);
        let diffs: Vec<u8> = img
            .as_raw()
            .iter()
            .zip(marked.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .collect();
        let mse = diffs.iter().map(|&d| (d as f64).powi(2)).sum::<f64>() / diffs.len() as f64;
        (mse.sqrt(), diffs.iter().copied().max().unwrap_or(0))
    }

    #[test]
    fn a_noiseless_flat_area_is_left_almost_untouched() {
        let (rms, max) = change_on_dark_gradient(0);
        assert!(
            rms < 0.2 && max <= 1,
            "noiseless gradient: RMS {rms:.2}, max {max}"
        );
        let (rms, max) = change_on_dark_gradient(2);
        assert!(
            rms > 0.5,
            "noisy gradient: RMS {rms:.2}, max {max} (the mark should stay)"
        );
    }
}
