//! Embedding: adds the keyed tile pattern to the luma of a frame, scaled by a perceptual mask and
//! limited to what the picture's own structure at the pattern's scale can hide.

use std::cell::RefCell;

use image::RgbImage;
use rayon::prelude::*;

use crate::media::to_level;

use super::key::SFUMATO_KEY;
use super::luma::Plane;
use super::pattern::{self, Layout, Medium, BINS};
use super::Payload;

/// Peak amplitude (0–255 scale) of the pattern where the mask is 1, before the envelope's limit;
/// the most gain a frame gets.
const STRENGTH: f32 = 12.0;
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
        let bands: Vec<(Vec<Envelope>, EnergyByGain)> = (0..h.div_ceil(BAND_ROWS))
            .into_par_iter()
            .map(|band| {
                let y0 = band * BAND_ROWS;
                let y1 = (y0 + BAND_ROWS).min(h);
                let mut field = Vec::with_capacity((y1 - y0) * w);
                // Pixels go to four sums in turn, so that neighbours, which mostly share a gain
                // step, do not wait on each other's additions.
                let mut lanes: [EnergyByGain; 4] = Default::default();
                LIMIT_PLANES.with_borrow_mut(|planes| {
                    planes.compute(frame, y0, y1);
                    let mut limits = vec![Limit::default(); w];
                    for (y, &by) in rows[y0..y1].iter().enumerate() {
                        planes.row(y, &mut limits);
                        let tile_row = &self.tile[by * BINS..(by + 1) * BINS];
                        for (x, (limit, &bx)) in limits.iter().zip(&cols).enumerate() {
                            let t = tile_row[bx];
                            let v = Envelope {
                                per_gain: limit.mask * t,
                                most: limit.most * t.abs(),
                            };
                            lanes[x % lanes.len()].add(limit.step as usize, v);
                            field.push(v);
                        }
                    }
                });
                let mut energy = EnergyByGain::default();
                lanes.iter().for_each(|lane| energy.merge(lane));
                (field, energy)
            })
            .collect();
        let mut energy = EnergyByGain::default();
        bands.iter().for_each(|(_, e)| energy.merge(e));
        let max_mse = 255.0f64.powi(2) / 10f64.powf(MIN_PSNR_DB / 10.0);
        let gain = energy.largest_gain(max_mse * (w * h) as f64);
        img.par_chunks_mut(BAND_ROWS * w * 3)
            .zip(&bands)
            .for_each(|(pixels, (field, _))| {
                // Each row's changes, once per channel, so that the pixels are one flat run of
                // values that the compiler can vectorise.
                let mut changes = vec![0.0f32; w * 3];
                for (row, envelopes) in pixels.chunks_exact_mut(w * 3).zip(field.chunks(w)) {
                    for (d, v) in changes.chunks_exact_mut(3).zip(envelopes) {
                        d.fill((gain * v.per_gain).clamp(-v.most, v.most));
                    }
                    for (c, d) in row.iter_mut().zip(&changes) {
                        *c = to_level(*c as f32 + d);
                    }
                }
            });
    }
}

/// Rows per band of [`Marker::embed`]: fixed, so that the result is the same for any number of
/// threads.
const BAND_ROWS: usize = 128;
/// Rows of context a band needs on each side: the detail's two box filters reach 1 + 2 rows,
/// the structure's three reach 1 + 4 + 6.
const MASK_REACH: usize = 11;

/// Local detail (mean absolute deviation from the 3×3 mean, in levels) under which an area
/// counts as noiseless. Real photos and video frames have sensor noise or grain above it even
/// where they look flat, and hide a faint pattern there; a synthetic gradient or a clean digital
/// background has none, and there a quarter-strength pattern shows as grain (max 2 levels, RMS
/// 0.8 on a dark gradient). The flat-area floor fades to nothing below this detail.
const NOISELESS_DETAIL: f32 = 0.3;

/// Peak amplitude (levels) the pattern may reach where the picture has no structure at the
/// pattern's scale, and what each level of such structure (RMS of the 3×3-smoothed luma minus
/// its 9×9 mean, over 13×13) adds to it. Pixel noise (JPEG noise on rendered skin, a camera's
/// grain on a cheek) raises the detail the mask sees but hides a pattern of 8 px cells poorly:
/// there the mask alone left a mottling of RMS 1.6–1.8 levels that showed side by side.
const LIMIT_BASE: f32 = 1.0;
/// See [`LIMIT_BASE`].
const LIMIT_PER_STRUCTURE: f32 = 1.0;

/// How strongly one pixel may be marked.
#[derive(Debug, Clone, Copy, Default)]
struct Limit {
    /// Where a change is hard to see: near 1 in textured areas, about a quarter of that in flat
    /// but noisy areas, nothing in noiseless ones, and less again in dark areas; multiplied by
    /// the frame's gain.
    mask: f32,
    /// The peak amplitude (levels) no gain may exceed: what the structure at the pattern's scale
    /// can hide.
    most: f32,
    /// The [`EnergyByGain`] step of the gain at which `mask` reaches `most`. A `u32`, not a
    /// `usize`: with a 16-byte `Limit` the row of limits took 0.4 ms longer per 512² frame.
    step: u32,
}

/// The planes a band's perceptual limits are computed in. Each thread keeps its own from frame
/// to frame ([`LIMIT_PLANES`]): allocated afresh for every band, their pages went back to the
/// system after each frame and were faulted in again on the next (6.7 ms per 512² frame against
/// 4.7 when the memory stayed). They hold four planes of `BAND_ROWS` + 2 × `MASK_REACH` rows of
/// the widest frame marked on the thread.
#[derive(Debug, Default)]
struct LimitPlanes {
    /// The luma, then the working plane of each deviation.
    work: Plane,
    /// The 3×3 mean of the luma.
    local: Plane,
    /// The mean absolute deviation of the luma from `local`, over 5×5.
    detail: Plane,
    /// The mean square of `local` minus its 9×9 mean, over 13×13.
    structure: Plane,
    /// Rows of context above the band.
    skip: usize,
}

thread_local! {
    /// This thread's [`LimitPlanes`].
    static LIMIT_PLANES: RefCell<LimitPlanes> = RefCell::default();
}

impl LimitPlanes {
    /// The planes of rows `y0..y1` of `img`, computed on those rows plus [`MASK_REACH`] rows of
    /// context (clamped at the frame's edges), so that each band's limits equal the same rows
    /// of the whole frame's.
    fn compute(&mut self, img: &RgbImage, y0: usize, y1: usize) {
        let w = img.width() as usize;
        let top = y0.saturating_sub(MASK_REACH);
        let bottom = (y1 + MASK_REACH).min(img.height() as usize);
        self.work
            .set_luma_of_rows(&img.as_raw()[top * w * 3..bottom * w * 3], w);
        self.skip = y0 - top;
        self.work.box_mean_into(1, &mut self.local);
        deviation(&mut self.work, &self.local, f32::abs);
        self.work.box_mean_into(2, &mut self.detail);
        self.local.box_mean_into(4, &mut self.work);
        deviation(&mut self.work, &self.local, |d| d * d);
        self.work.box_mean_into(6, &mut self.structure);
    }

    /// The limits of row `y` of the band, into `out` (one per pixel of the row).
    fn row(&self, y: usize, out: &mut [Limit]) {
        let w = self.local.width;
        let pixels = (self.skip + y) * w..(self.skip + y + 1) * w;
        let values = self.detail.data[pixels.clone()]
            .iter()
            .zip(&self.local.data[pixels.clone()])
            .zip(&self.structure.data[pixels]);
        for (limit, ((&d, &l), &s)) in out.iter_mut().zip(values) {
            let flat_floor = 0.25 * (d / NOISELESS_DETAIL).min(1.0);
            let texture = (flat_floor + d / 3.0).min(1.6);
            let brightness = 0.5 + 0.5 * (l / 80.0).min(1.0);
            let mask = texture * brightness;
            let most = LIMIT_BASE + LIMIT_PER_STRUCTURE * s.max(0.0).sqrt();
            *limit = Limit {
                mask,
                most,
                step: if mask > 0.0 {
                    EnergyByGain::step(most / mask)
                } else {
                    GAIN_STEPS
                } as u32,
            };
        }
    }
}

/// `a` replaced by `f(a - b)`, pixel by pixel.
fn deviation(a: &mut Plane, b: &Plane, f: impl Fn(f32) -> f32) {
    a.data
        .iter_mut()
        .zip(&b.data)
        .for_each(|(x, y)| *x = f(*x - y));
}

/// One pixel of the pattern before the frame's gain: the change is `gain × per_gain`, limited to
/// `±most`.
#[derive(Debug, Clone, Copy)]
struct Envelope {
    /// The change per unit of gain: the mask times the tile's value.
    per_gain: f32,
    /// The largest change: the limit times the tile's magnitude.
    most: f32,
}

/// Gain steps over `0..STRENGTH` at which [`EnergyByGain`] tells pixels apart.
const GAIN_STEPS: usize = 256;

/// The squared change of a frame's pixels as a function of the gain, binned by the gain at
/// which each pixel reaches its limit: below it a pixel adds `(gain × per_gain)²`, above it
/// `most²`. Lets the gain that meets the PSNR floor be found without revisiting the pixels.
#[derive(Debug, Clone)]
struct EnergyByGain {
    /// Per gain step, for the pixels that reach their limit in that step (the last entry:
    /// never, up to [`STRENGTH`]): the sums of `per_gain²` and of `most²`.
    steps: [[f64; 2]; GAIN_STEPS + 1],
}

impl Default for EnergyByGain {
    fn default() -> Self {
        EnergyByGain {
            steps: [[0.0; 2]; GAIN_STEPS + 1],
        }
    }
}

impl EnergyByGain {
    /// The step `gain` falls in.
    fn step(gain: f32) -> usize {
        ((gain / STRENGTH * GAIN_STEPS as f32) as usize).min(GAIN_STEPS)
    }

    /// Counts a pixel that reaches its limit at a gain in `step`.
    fn add(&mut self, step: usize, v: Envelope) {
        let sums = &mut self.steps[step];
        sums[0] += (v.per_gain as f64).powi(2);
        sums[1] += (v.most as f64).powi(2);
    }

    /// Adds another part of the frame.
    fn merge(&mut self, other: &EnergyByGain) {
        for (a, b) in self.steps.iter_mut().zip(&other.steps) {
            a[0] += b[0];
            a[1] += b[1];
        }
    }

    /// At least the squared change at `gain`: pixels that reach their limit within the gain's
    /// own step count as not limited.
    fn energy_at(&self, gain: f32) -> f64 {
        let k = Self::step(gain);
        let limited: f64 = self.steps[..k].iter().map(|s| s[1]).sum();
        let free: f64 = self.steps[k..].iter().map(|s| s[0]).sum();
        limited + (gain as f64).powi(2) * free
    }

    /// The largest gain up to [`STRENGTH`] whose squared change stays within `budget`.
    fn largest_gain(&self, budget: f64) -> f32 {
        if self.energy_at(STRENGTH) <= budget {
            return STRENGTH;
        }
        let (mut low, mut high) = (0.0f32, STRENGTH);
        for _ in 0..32 {
            let mid = 0.5 * (low + high);
            if self.energy_at(mid) <= budget {
                low = mid;
            } else {
                high = mid;
            }
        }
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banded_limits_equal_the_whole_frame_limits() {
        // Dark, gently varying rows (so that neither the texture nor the brightness term
        // saturates), on a height that is not a multiple of the band size.
        let img = RgbImage::from_fn(97, 3 * BAND_ROWS as u32 + 29, |x, y| {
            let v = 40.0 + 6.0 * ((x as f32) * 0.7).sin() + 9.0 * ((y * y) as f32 * 0.013).sin();
            image::Rgb([v as u8, (v * 1.2) as u8, (v * 0.8) as u8])
        });
        let h = img.height() as usize;
        let limits = |y0: usize, y1: usize| -> Vec<Limit> {
            let mut planes = LimitPlanes::default();
            planes.compute(&img, y0, y1);
            let mut row = vec![Limit::default(); img.width() as usize];
            (0..y1 - y0)
                .flat_map(|y| {
                    planes.row(y, &mut row);
                    row.clone()
                })
                .collect()
        };
        let whole = limits(0, h);
        let banded: Vec<Limit> = (0..h.div_ceil(BAND_ROWS))
            .flat_map(|b| limits(b * BAND_ROWS, ((b + 1) * BAND_ROWS).min(h)))
            .collect();
        assert_eq!(banded.len(), whole.len());
        let worst = banded
            .iter()
            .zip(&whole)
            .map(|(a, b)| (a.mask - b.mask).abs().max((a.most - b.most).abs()))
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "band limits differ by {worst}");
    }

    /// A 512² diagonal gradient from `base` to `base + 14` levels with pseudo-random pixel noise
    /// of ±`noise` levels, plus `texture` × a pattern of blobs about 10 px across.
    fn gradient(base: f32, noise: u32, texture: f32) -> RgbImage {
        RgbImage::from_fn(512, 512, |x, y| {
            let grain =
                (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)).wrapping_mul(2_654_435_761);
            let n = ((grain >> 16) % (2 * noise + 1)) as f32;
            let blobs = texture * ((x as f32 * 0.31).sin() * (y as f32 * 0.27).sin());
            let v = (base + 14.0 * (x + y) as f32 / 1024.0 + blobs).round() + n;
            image::Rgb([v as u8, v as u8, (v + 5.0) as u8])
        })
    }

    /// RMS and largest change, in levels, that marking makes to `img`.
    fn change(img: &RgbImage) -> (f64, u8) {
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
        let (rms, max) = change(&gradient(18.0, 0, 0.0));
        assert!(
            rms < 0.2 && max <= 1,
            "noiseless gradient: RMS {rms:.2}, max {max}"
        );
        let (rms, max) = change(&gradient(18.0, 2, 0.0));
        assert!(
            rms > 0.5,
            "noisy gradient: RMS {rms:.2}, max {max} (the mark should stay)"
        );
    }

    #[test]
    fn pixel_noise_on_a_smooth_bright_area_gets_only_a_faint_mark() {
        // Rendered skin: bright and smooth at the pattern's scale, with JPEG-like pixel noise.
        let (rms, max) = change(&gradient(180.0, 2, 0.0));
        assert!(
            rms < 0.9 && max <= 2,
            "smooth noisy area: RMS {rms:.2}, max {max}"
        );
        // Structure at the pattern's scale hides a stronger one.
        let (rms, max) = change(&gradient(150.0, 2, 20.0));
        assert!(rms > 1.5, "textured area: RMS {rms:.2}, max {max}");
    }
}
