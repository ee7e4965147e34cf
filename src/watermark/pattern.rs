//! The watermark tile: a keyed grid of cells, some carrying a known synchronisation pattern and
//! the rest the coded payload, repeated over the whole frame.
//!
//! The tile's size is tied to the frame (half its shorter side), so a frame rescaled as a
//! whole keeps the same number of tiles; a crop shifts the tiling, which the synchronisation
//! pattern recovers (see `detect`).

use super::code::{self, CODED_BITS};
use super::key::KeyStream;

/// Cells along one side of the tile.
pub(super) const CELLS: usize = 32;
/// Video frames with a shorter side below this carry one tile across it instead of two, so that
/// their cells stay 8 px or larger down to a 256 px short side: halved and recompressed, cells
/// of 4.5 px (a 288 px short side with two tiles) did not survive.
pub(super) const SMALL_FRAME: u32 = 512;

/// What a marked picture is, which decides its tiling on frames under [`SMALL_FRAME`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Medium {
    /// A frame of a video (the exports): the detector sums all frames, and larger cells survive
    /// halving and recompression, so small frames get one tile across.
    Video,
    /// A single image: it stands alone, and more repetitions of smaller cells survive cropping
    /// better (a 300 px square cropped to 90 % lost its mark with one tile, kept it with two),
    /// so it always gets two tiles across.
    Still,
}

/// Cells that carry the synchronisation pattern (the rest carry coded payload bits).
const SYNC_CELLS: usize = 256;
/// Detection resolution: folding bins per cell along each axis.
pub(super) const BINS_PER_CELL: usize = 4;
/// Folding bins along one side of the tile.
pub(super) const BINS: usize = CELLS * BINS_PER_CELL;

/// What one cell of the tile carries.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cell {
    /// A fixed sign known to the detector, for synchronisation.
    Sync(f32),
    /// Coded bit `bit`, spread by the keyed sign `chip`.
    Data {
        /// Index into the coded bits.
        bit: usize,
        /// Keyed spreading sign.
        chip: f32,
    },
}

/// The keyed arrangement of cells in the tile; the same for every payload.
#[derive(Debug, Clone)]
pub(super) struct Layout {
    /// Row-major `CELLS`×`CELLS` cells.
    pub cells: Vec<Cell>,
}

impl Layout {
    /// The layout for `key`.
    pub(super) fn new(key: u64) -> Self {
        let mut ks = KeyStream::new(key, 0x6c61_796f_7574);
        let n = CELLS * CELLS;
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            order.swap(i, ks.below(i + 1));
        }
        let mut cells = vec![Cell::Sync(0.0); n];
        for (rank, &c) in order.iter().enumerate() {
            cells[c] = if rank < SYNC_CELLS {
                Cell::Sync(ks.sign())
            } else {
                Cell::Data {
                    bit: (rank - SYNC_CELLS) % CODED_BITS,
                    chip: ks.sign(),
                }
            };
        }
        Layout { cells }
    }

    /// Cell values (±1) of the tile carrying `payload`.
    pub(super) fn tile(&self, payload: u32, key: u64) -> Vec<f32> {
        let coded = code::encode(payload, key);
        self.cells
            .iter()
            .map(|c| match *c {
                Cell::Sync(s) => s,
                Cell::Data { bit, chip } => chip * (1.0 - 2.0 * coded[bit] as f32),
            })
            .collect()
    }

    /// The synchronisation pattern at bin resolution (`BINS`×`BINS`, zero on data cells),
    /// weighted by the cell shaping.
    pub(super) fn sync_bins(&self) -> Vec<f32> {
        let w = bin_weights();
        let mut out = vec![0.0; BINS * BINS];
        for by in 0..BINS {
            for bx in 0..BINS {
                if let Cell::Sync(s) = self.cells[(by / BINS_PER_CELL) * CELLS + bx / BINS_PER_CELL]
                {
                    out[by * BINS + bx] = s * w[by % BINS_PER_CELL] * w[bx % BINS_PER_CELL];
                }
            }
        }
        out
    }
}

/// Renders cell values at bin resolution with the cell shaping, then removes what lies below the
/// cell band (a circular high-pass): the detector discards those low frequencies anyway because
/// the image itself is strongest there, so the energy goes where it is useful.
pub(super) fn render_tile(cells: &[f32]) -> Vec<f32> {
    let w = bin_weights();
    let mut bins = vec![0.0; BINS * BINS];
    for (i, v) in bins.iter_mut().enumerate() {
        let (by, bx) = (i / BINS, i % BINS);
        *v = cells[(by / BINS_PER_CELL) * CELLS + bx / BINS_PER_CELL]
            * w[by % BINS_PER_CELL]
            * w[bx % BINS_PER_CELL];
    }
    let rms = |b: &[f32]| (b.iter().map(|v| v * v).sum::<f32>() / b.len() as f32).sqrt();
    let before = rms(&bins);
    high_pass(&mut bins);
    let after = rms(&bins);
    if after > 0.0 {
        bins.iter_mut().for_each(|v| *v *= before / after);
    }
    bins
}

/// Subtracts the circular box mean over ±one cell from a `BINS`×`BINS` grid.
pub(super) fn high_pass(bins: &mut [f32]) {
    let r = BINS_PER_CELL;
    let norm = 1.0 / (2 * r + 1) as f32;
    let mut rows = vec![0.0; BINS * BINS];
    for y in 0..BINS {
        for x in 0..BINS {
            rows[y * BINS + x] = (0..=2 * r)
                .map(|k| bins[y * BINS + (x + BINS + k - r) % BINS])
                .sum::<f32>()
                * norm;
        }
    }
    for y in 0..BINS {
        for x in 0..BINS {
            let mean: f32 = (0..=2 * r)
                .map(|k| rows[((y + BINS + k - r) % BINS) * BINS + x])
                .sum::<f32>()
                * norm;
            bins[y * BINS + x] -= mean;
        }
    }
}

/// For each pixel along an axis of `len` pixels, the tile bin it falls in.
pub(super) fn bin_index(len: u32, period: f64) -> Vec<usize> {
    let bin = period / BINS as f64;
    (0..len)
        .map(|i| (((i as f64 + 0.5) / bin).floor() as i64).rem_euclid(BINS as i64) as usize)
        .collect()
}

/// The tile period in pixels the embedder uses for a `medium` of `width`×`height`: half the
/// shorter side, or all of it on a small video frame. Rescaling the whole frame keeps the ratio.
pub(super) fn tile_period(width: u32, height: u32, medium: Medium) -> f64 {
    let short = width.min(height);
    if short < SMALL_FRAME && medium == Medium::Video {
        short as f64
    } else {
        short as f64 / 2.0
    }
}

/// The tile periods a received frame of `width`×`height` may carry as exported: half its
/// shorter side (a still, or any frame of 512 px or more, or a larger export scaled down) and, on
/// a small frame, also all of it (a small video export, which cannot be told apart by its size).
pub(super) fn possible_periods(width: u32, height: u32) -> Vec<f64> {
    let mut periods = vec![tile_period(width, height, Medium::Video)];
    if width.min(height) < SMALL_FRAME {
        periods.push(tile_period(width, height, Medium::Still));
    }
    periods
}

/// Cell shaping: a half sine across the cell, so cells blend smoothly instead of forming
/// visible blocks, and the energy stays at frequencies that compression keeps.
pub(super) fn shaping(frac: f64) -> f32 {
    (std::f64::consts::PI * frac).sin() as f32
}

/// The shaping sampled at the centre of each bin of a cell.
pub(super) fn bin_weights() -> [f32; BINS_PER_CELL] {
    std::array::from_fn(|k| shaping((k as f64 + 0.5) / BINS_PER_CELL as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_video_frames_carry_one_tile_across_and_small_frames_are_searched_at_both_sizes() {
        assert_eq!(tile_period(512, 512, Medium::Video), 256.0);
        assert_eq!(tile_period(1920, 1080, Medium::Video), 540.0);
        assert_eq!(tile_period(1920, 1080, Medium::Still), 540.0);
        assert_eq!(tile_period(288, 512, Medium::Video), 288.0);
        assert_eq!(tile_period(288, 512, Medium::Still), 144.0);
        assert_eq!(possible_periods(1920, 1080), vec![540.0]);
        // A 288x512 export halved is 144x256: as exported it carries a 144 px tile; a 576x1024
        // export scaled to the same size would carry 72 px.
        assert_eq!(possible_periods(144, 256), vec![144.0, 72.0]);
    }
}
