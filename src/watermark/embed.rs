//! Embedding: adds the keyed tile pattern to the luma of a frame, scaled by a perceptual mask.

use image::RgbImage;

use super::key::SFUMATO_KEY;
use super::luma::Plane;
use super::pattern::{self, Layout, CELLS};
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
}

impl Marker {
    /// A marker carrying `payload` under the Sfumato key.
    pub fn new(payload: Payload) -> Self {
        Self::with_key(payload, SFUMATO_KEY)
    }

    /// A marker under another key (tests, or a deployment with its own key).
    pub fn with_key(payload: Payload, key: u64) -> Self {
        let tile = Layout::new(key).tile(payload.0, key);
        Marker { payload, tile }
    }

    /// The payload this marker carries.
    pub fn payload(&self) -> Payload {
        self.payload
    }

    /// Marks `img` in place: the same change on R, G and B (luma only, so chroma subsampling
    /// leaves it alone), strongest in textured areas and faint in flat or dark ones.
    pub fn embed(&self, img: &mut RgbImage) {
        let (w, h) = img.dimensions();
        let period = pattern::tile_period(w, h);
        let (cols, rows) = (axis(w, period), axis(h, period));
        let mask = perceptual_mask(&Plane::luma(img));
        let mut field = vec![0.0f32; (w * h) as usize];
        let mut energy = 0.0f64;
        for (y, &(cy, wy)) in rows.iter().enumerate() {
            let tile_row = &self.tile[cy * CELLS..(cy + 1) * CELLS];
            let base = y * w as usize;
            for (x, &(cx, wx)) in cols.iter().enumerate() {
                let v = mask[base + x] * wy * wx * tile_row[cx];
                field[base + x] = v;
                energy += (v * v) as f64;
            }
        }
        let max_mse = 255.0f64.powi(2) / 10f64.powf(MIN_PSNR_DB / 10.0);
        let mse_at_full = energy * (STRENGTH as f64).powi(2) / field.len().max(1) as f64;
        let gain = if mse_at_full > max_mse {
            STRENGTH * (max_mse / mse_at_full).sqrt() as f32
        } else {
            STRENGTH
        };
        for (p, &v) in img.pixels_mut().zip(&field) {
            let d = gain * v;
            for c in p.0.iter_mut() {
                *c = (*c as f32 + d).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// For each pixel along an axis of `len` pixels: the tile cell it falls in and its shaping weight.
fn axis(len: u32, period: f64) -> Vec<(usize, f32)> {
    let cell = period / CELLS as f64;
    (0..len)
        .map(|i| {
            let u = (i as f64 + 0.5) / cell;
            let c = u.floor();
            (
                (c as i64).rem_euclid(CELLS as i64) as usize,
                pattern::shaping(u - c),
            )
        })
        .collect()
}

/// Where a change is hard to see: near 1 in textured areas, about a quarter of that in flat
/// areas, and less again in dark ones.
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
            let texture = (0.25 + d / 3.0).min(1.6);
            let brightness = 0.5 + 0.5 * (l / 80.0).min(1.0);
            texture * brightness
        })
        .collect()
}
