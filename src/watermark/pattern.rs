//! The watermark tile: a keyed grid of cells, some carrying a known synchronisation pattern and
//! the rest the coded payload, repeated over the whole frame.
//!
//! The tile's size is tied to the frame (a quarter of its shorter side), so a frame rescaled as a
//! whole keeps the same number of tiles; a crop shifts the tiling, which the synchronisation
//! pattern recovers (see `detect`).

use super::code::{self, CODED_BITS};
use super::key::KeyStream;

/// Cells along one side of the tile.
pub const CELLS: usize = 32;
/// Tiles along the frame's shorter side.
pub const TILES_PER_SHORT_SIDE: f64 = 4.0;
/// Cells that carry the synchronisation pattern (the rest carry coded payload bits).
const SYNC_CELLS: usize = 256;
/// Detection resolution: folding bins per cell along each axis.
pub const BINS_PER_CELL: usize = 4;
/// Folding bins along one side of the tile.
pub const BINS: usize = CELLS * BINS_PER_CELL;

/// What one cell of the tile carries.
#[derive(Debug, Clone, Copy)]
pub enum Cell {
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
pub struct Layout {
    /// Row-major `CELLS`×`CELLS` cells.
    pub cells: Vec<Cell>,
}

impl Layout {
    /// The layout for `key`.
    pub fn new(key: u64) -> Self {
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
    pub fn tile(&self, payload: u32, key: u64) -> Vec<f32> {
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
    pub fn sync_bins(&self) -> Vec<f32> {
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

/// The tile period in pixels for a frame of `width`×`height`.
pub fn tile_period(width: u32, height: u32) -> f64 {
    width.min(height) as f64 / TILES_PER_SHORT_SIDE
}

/// Cell shaping: a half sine across the cell, so cells blend smoothly instead of forming
/// visible blocks, and the energy stays at frequencies that compression keeps.
pub fn shaping(frac: f64) -> f32 {
    (std::f64::consts::PI * frac).sin() as f32
}

/// The shaping sampled at the centre of each bin of a cell.
pub fn bin_weights() -> [f32; BINS_PER_CELL] {
    std::array::from_fn(|k| shaping((k as f64 + 0.5) / BINS_PER_CELL as f64))
}
