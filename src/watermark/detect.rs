//! Detection: whiten the frame, fold it onto one tile at each candidate scale, find the tiling's
//! shift by circular correlation with the synchronisation pattern, then decode the payload.
//!
//! Frames of one video fold onto the same tiles, so their evidence adds up before decoding.

use std::cell::RefCell;

use image::RgbImage;

use super::bound;
use super::code::{self, CODED_BITS};
use super::fft::{fft2, Complex};
use super::key::SFUMATO_KEY;
use super::luma::Plane;
use super::pattern::{self, bin_weights, Cell, Layout, BINS, BINS_PER_CELL, CELLS};
use super::search;
use super::Payload;

/// Tile periods tried, relative to the period the frame's size implies: `STEP^k` for k in the
/// range, from just under 1 (no crop, or a whole-frame rescale) up to about 1.2 (a centre crop
/// keeping about 70 % of the area); steps small enough that a whole frame still folds coherently.
const PERIOD_STEP: f64 = 1.016;
const PERIOD_STEPS: std::ops::RangeInclusive<i32> = -1..=12;
/// Normalised residuals are clipped to this magnitude so that edges do not drown the pattern.
const CLIP: f32 = 2.0;
/// Smallest radius of the median that estimates the picture: on small cells (4–4.5 px, a halved
/// export) a median over about one cell leaves too much of the picture's detail in the residual.
const MIN_MEDIAN_RADIUS: usize = 3;
/// Residual level (0–255 scale) below which a region counts as flat, not as quiet texture.
const NOISE_FLOOR: f32 = 0.5;
/// Synchronisation peaks that are decoded; each could pass the check by chance. The strongest
/// peaks are tried, then the frame as exported at each tiling it may carry (no crop, any
/// whole-frame rescale), which needs no synchronisation and so still decodes when the sync
/// pattern is too faint.
const SYNC_ATTEMPTS: usize = 4;

/// A search over whole codewords (`search`), run when the decoder fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Every Sfumato export payload of this version (2^16).
    Export,
    /// Any 32-bit payload, through a list search.
    List,
}

impl Search {
    /// Payloads the search could return; the false-claim bound is a union over all of them.
    fn candidates(self) -> f64 {
        match self {
            Search::Export => search::EXPORT_IDS as f64,
            Search::List => search::ALL_PAYLOADS,
        }
    }

    /// Alignments searched when the frame may carry `tilings` tile sizes: the export search runs
    /// at each frame-as-exported tiling and at the strongest synchronisation peak (a cropped
    /// export); the slower list search only at the frame-as-exported tilings.
    fn alignments(self, tilings: usize) -> usize {
        match self {
            Search::Export => tilings + 1,
            Search::List => tilings,
        }
    }

    /// The match score (standard deviations) the search needs before it claims a payload, so
    /// that over every candidate at every alignment it claims unmarked content with probability
    /// at most [`Scope::budget`] (`bound` explains the bound).
    pub fn threshold(self, scope: Scope, tilings: usize) -> f32 {
        bound::threshold(self.tries(tilings), scope.budget(self)) as f32
    }

    /// The score on the payload's own (data) cells a claim needs as well, so that a file marked
    /// with another payload is reported with a wrong one at most [`WRONG_PAYLOAD_RATE`] of the
    /// time: those cells carry the payload, the sync cells only say that a mark is there.
    pub fn payload_threshold(self, tilings: usize) -> f32 {
        bound::threshold(self.tries(tilings), WRONG_PAYLOAD_RATE) as f32
    }

    /// Candidates times alignments: what the union bounds run over.
    fn tries(self, tilings: usize) -> f64 {
        self.alignments(tilings) as f64 * self.candidates()
    }
}

/// Bound on the chance that a search reports a marked file with a payload other than its own.
/// Looser than the false-claim limits: such a file is synthetic all the same.
pub const WRONG_PAYLOAD_RATE: f64 = 1e-6;

/// What one decision covers. The false-claim limits differ: a video's decision combines all its
/// frames, and many more videos than single images get checked against one claim.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scope {
    /// One image: false claims at most 1e-6 in all.
    Image,
    /// A video: false claims at most 1e-9 over all the decisions made on it, of which this one
    /// may spend `share` (1 when the video is decided once, on all its frames; a long video is
    /// also decided part by part, and the shares sum to at most 1).
    Video {
        /// This decision's share of the video's limit, in (0, 1].
        share: f64,
    },
}

impl Scope {
    /// The share of the scope's false-claim limit a codeword search may spend. Videos are
    /// Sfumato's own exports, so there the export search gets most of it; single images (any
    /// payload, e.g. `watermark embed --payload`) give most to the list search.
    pub fn budget(self, search: Search) -> f64 {
        match (self, search) {
            (Scope::Image, Search::Export) => 1e-7,
            (Scope::Image, Search::List) => 8.9e-7,
            (Scope::Video { share }, Search::Export) => 8e-10 * share,
            (Scope::Video { share }, Search::List) => 1e-10 * share,
        }
    }
}

/// The best match a search found: its payload, scores and the scores it needed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Which search.
    pub search: Search,
    /// The best-matching payload.
    pub payload: Payload,
    /// Its normalised correlation over every cell that counts at this alignment (the sync cells
    /// too where no synchronisation chose the alignment), in standard deviations: the evidence
    /// that the file is marked at all.
    pub score: f32,
    /// The score a claim needs ([`Search::threshold`] for this decision).
    pub threshold: f32,
    /// Its normalised correlation over the data cells only: the evidence for this payload rather
    /// than another.
    pub payload_score: f32,
    /// The payload score a claim needs ([`Search::payload_threshold`]).
    pub payload_threshold: f32,
}

impl Match {
    /// Whether both scores reached their thresholds.
    pub fn claimed(&self) -> bool {
        self.score >= self.threshold && self.payload_score >= self.payload_threshold
    }
}

/// The outcome of a detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The payload, if a watermark passed the keyed check or a search matched it.
    pub payload: Option<Payload>,
    /// Upper bound on the probability that content never marked yields a payload: decoding
    /// attempts times the chance of passing the check, plus the searches' budgets.
    pub false_positive_probability: f64,
    /// Strength of the synchronisation peak in standard deviations of the correlation surface.
    pub sync_score: f32,
    /// Frames whose evidence was combined.
    pub frames: usize,
    /// The last codeword search run (none when the decoder succeeded); the payload came from it
    /// when its score reached its threshold.
    pub search: Option<Match>,
}

/// The keyed detector; build it once and reuse it for many frames.
#[derive(Debug, Clone)]
pub struct Detector {
    key: u64,
    layout: Layout,
    sync_spectrum: Vec<Complex>,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    /// The detector for the Sfumato key.
    pub fn new() -> Self {
        Self::with_key(SFUMATO_KEY)
    }

    /// The detector for another key.
    pub fn with_key(key: u64) -> Self {
        let layout = Layout::new(key);
        // The folds are correlated with the high-passed pattern, which is the same as
        // high-passing each fold (the filter is linear and symmetric) at a fraction of the cost.
        let mut sync = layout.sync_bins();
        pattern::high_pass(&mut sync);
        let mut sync_spectrum: Vec<Complex> = sync.into_iter().map(|v| (v, 0.0)).collect();
        fft2(&mut sync_spectrum, BINS, false);
        Detector {
            key,
            layout,
            sync_spectrum,
        }
    }

    /// Detects the watermark in one image.
    pub fn detect(&self, img: &RgbImage) -> Detection {
        let mut evidence = Evidence::new(img.width(), img.height());
        evidence.add(img);
        self.decide(&evidence, Scope::Image)
    }

    /// Decides on the evidence gathered from one or more frames, within `scope`'s limit on
    /// false claims.
    pub fn decide(&self, evidence: &Evidence, scope: Scope) -> Detection {
        let mut candidates: Vec<(f32, usize, usize)> = self
            .synchronise(&evidence.folds)
            .into_iter()
            .enumerate()
            .map(|(i, (score, shift))| (score, i, shift))
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let as_exported: Vec<(f32, usize, usize)> =
            evidence.exported().map(|i| (0.0, i, 0)).collect();
        let tilings = as_exported.len();
        let cells_at = |&(_, i, shift): &(f32, usize, usize)| {
            let mut fold = evidence.folds[i].clone();
            pattern::high_pass(&mut fold);
            self.cell_values(&fold, shift)
        };
        let decoded = candidates
            .iter()
            .take(SYNC_ATTEMPTS)
            .chain(&as_exported)
            .find_map(|c| code::decode(&self.soft_bits(&cells_at(c)), self.key).map(Payload));
        let (payload, search) = match decoded {
            Some(p) => (Some(p), None),
            None => {
                let exported: Vec<Vec<f32>> = as_exported.iter().map(cells_at).collect();
                let peak = candidates.first().map(cells_at);
                let matches: Vec<Match> = [Search::Export, Search::List]
                    .into_iter()
                    .filter_map(|kind| {
                        let thresholds = (
                            kind.threshold(scope, tilings),
                            kind.payload_threshold(tilings),
                        );
                        exported
                            .iter()
                            .map(|c| self.match_codewords(kind, c, true, thresholds))
                            .chain(
                                peak.iter()
                                    .take(kind.alignments(tilings) - tilings)
                                    .map(|c| self.match_codewords(kind, c, false, thresholds)),
                            )
                            .max_by(|a, b| a.payload_score.total_cmp(&b.payload_score))
                    })
                    .collect();
                // The highest payload score names the most likely payload of both searches'
                // candidates; it is claimed when a search that found it reached both of that
                // search's thresholds. (An export payload is found by both, with equal scores.)
                let best = matches
                    .iter()
                    .copied()
                    .max_by(|a, b| a.payload_score.total_cmp(&b.payload_score));
                let claim = best.and_then(|b| {
                    matches
                        .iter()
                        .copied()
                        .find(|m| m.payload == b.payload && m.claimed())
                });
                (claim.map(|m| m.payload), claim.or(best))
            }
        };
        Detection {
            payload,
            false_positive_probability: (SYNC_ATTEMPTS + tilings) as f64
                * code::chance_pass_probability()
                + scope.budget(Search::Export)
                + scope.budget(Search::List),
            sync_score: candidates.first().map_or(0.0, |c| c.0),
            frames: evidence.frames,
            search,
        }
    }

    /// The payload `kind` finds best matching the cell values, with its scores. The sync cells
    /// count in [`Match::score`] only `with_sync` (where no synchronisation chose the
    /// alignment); the search itself ranks candidates by the data cells, as the sync cells add
    /// the same to every candidate.
    fn match_codewords(
        &self,
        kind: Search,
        cells: &[f32],
        with_sync: bool,
        (threshold, payload_threshold): (f32, f32),
    ) -> Match {
        let soft = self.soft_bits(cells);
        let (payload, data_sum) = match kind {
            Search::Export => search::best_export_match(&soft, Payload::export_prefix(), self.key),
            Search::List => search::best_listed_match(&soft, self.key),
        };
        let (mut data_energy, mut sync_sum, mut sync_energy) = (0.0f64, 0.0f64, 0.0f64);
        for (cell, &v) in self.layout.cells.iter().zip(cells) {
            let v = v as f64;
            match *cell {
                Cell::Data { .. } => data_energy += v * v,
                Cell::Sync(s) if with_sync => {
                    sync_sum += s as f64 * v;
                    sync_energy += v * v;
                }
                Cell::Sync(_) => {}
            }
        }
        let normalised = |sum: f64, energy: f64| {
            if energy > 0.0 {
                (sum / energy.sqrt()) as f32
            } else {
                0.0
            }
        };
        Match {
            search: kind,
            payload: Payload(payload),
            score: normalised(data_sum as f64 + sync_sum, data_energy + sync_energy),
            threshold,
            payload_score: normalised(data_sum as f64, data_energy),
            payload_threshold,
        }
    }

    /// For each fold, the best circular shift (bin index `dy * BINS + dx`) against the sync
    /// pattern and its score in standard deviations.
    ///
    /// Folds are real, so two go through one complex FFT: with `z = a + i·b`, the inverse
    /// transform of `conj(Z)·S` is `corr_a − i·corr_b` (both correlations are real).
    fn synchronise(&self, folds: &[Vec<f32>]) -> Vec<(f32, usize)> {
        let mut out = Vec::with_capacity(folds.len());
        for pair in folds.chunks(2) {
            let second = pair.get(1);
            let mut spec: Vec<Complex> = match second {
                Some(b) => pair[0].iter().zip(b).map(|(&x, &y)| (x, y)).collect(),
                None => pair[0].iter().map(|&x| (x, 0.0)).collect(),
            };
            fft2(&mut spec, BINS, false);
            for (z, s) in spec.iter_mut().zip(&self.sync_spectrum) {
                // conj(Z) * S gives sum_b fold[b] * sync[b + d].
                *z = (z.0 * s.0 + z.1 * s.1, z.0 * s.1 - z.1 * s.0);
            }
            fft2(&mut spec, BINS, true);
            out.push(peak(spec.iter().map(|c| c.0)));
            if second.is_some() {
                out.push(peak(spec.iter().map(|c| -c.1)));
            }
        }
        out
    }

    /// The matched-filter output of every cell of `fold` with the tiling shifted by `shift`.
    fn cell_values(&self, fold: &[f32], shift: usize) -> Vec<f32> {
        let (dy, dx) = (shift / BINS, shift % BINS);
        let w = bin_weights();
        (0..CELLS * CELLS)
            .map(|c| {
                let (cy, cx) = (c / CELLS, c % CELLS);
                let mut v = 0.0;
                for (k, wk) in w.iter().enumerate() {
                    let y = (cy * BINS_PER_CELL + k + BINS - dy) % BINS;
                    for (l, wl) in w.iter().enumerate() {
                        let x = (cx * BINS_PER_CELL + l + BINS - dx) % BINS;
                        v += wk * wl * fold[y * BINS + x];
                    }
                }
                v
            })
            .collect()
    }

    /// Soft coded bits: each data cell's value, despread by its keyed sign, summed per bit.
    fn soft_bits(&self, cells: &[f32]) -> Vec<f32> {
        let mut soft = vec![0.0f32; CODED_BITS];
        for (cell, &v) in self.layout.cells.iter().zip(cells) {
            if let Cell::Data { bit, chip } = *cell {
                soft[bit] += chip * v;
            }
        }
        soft
    }
}

/// The position of the highest value of a correlation surface and its height above the mean in
/// standard deviations of the surface.
fn peak(surface: impl Iterator<Item = f32> + Clone) -> (f32, usize) {
    let n = surface.clone().count() as f64;
    let mean = surface.clone().map(|v| v as f64).sum::<f64>() / n;
    let var = surface
        .clone()
        .map(|v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    let (best, top) = surface
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, v)| (i, v as f64))
        .unwrap_or((0, 0.0));
    let score = if var > 0.0 {
        ((top - mean) / var.sqrt()) as f32
    } else {
        0.0
    };
    (score, best)
}

/// Whitened frames folded onto one tile at every candidate period, summed over frames of one
/// size (a video's frames).
#[derive(Debug, Clone)]
pub struct Evidence {
    width: u32,
    height: u32,
    /// The tile period each tiling the frame may carry implies, one run of
    /// [`PERIOD_STEPS`] periods (and folds) per tiling.
    bases: Vec<f64>,
    periods: Vec<f64>,
    folds: Vec<Vec<f32>>,
    frames: usize,
}

impl Evidence {
    /// Empty evidence for frames of `width`×`height`.
    pub fn new(width: u32, height: u32) -> Self {
        let bases = pattern::possible_periods(width, height);
        let periods: Vec<f64> = bases
            .iter()
            .flat_map(|base| PERIOD_STEPS.map(move |k| base * PERIOD_STEP.powi(k)))
            .collect();
        Evidence {
            width,
            height,
            bases,
            folds: vec![vec![0.0; BINS * BINS]; periods.len()],
            periods,
            frames: 0,
        }
    }

    /// Adds a frame; frames of another size than the first are ignored and `false` returned.
    pub fn add(&mut self, img: &RgbImage) -> bool {
        if img.dimensions() != (self.width, self.height) {
            return false;
        }
        let steps = PERIOD_STEPS.count();
        let runs = self.periods.chunks(steps).zip(self.folds.chunks_mut(steps));
        WHITENING.with_borrow_mut(|scratch| {
            scratch
                .luma
                .set_luma_of_rows(img.as_raw(), self.width as usize);
            for (&base, (periods, folds)) in self.bases.iter().zip(runs) {
                scratch.whiten(base);
                for (period, fold) in periods.iter().zip(folds) {
                    fold_into(
                        fold,
                        &mut scratch.row_sums,
                        &scratch.residual.data,
                        self.width,
                        self.height,
                        *period,
                    );
                }
            }
        });
        self.frames += 1;
        true
    }

    /// Index of each tiling's fold at factor 1: the frame as exported.
    fn exported(&self) -> impl Iterator<Item = usize> {
        let at_one = (-PERIOD_STEPS.start()) as usize;
        (0..self.bases.len()).map(move |t| t * PERIOD_STEPS.count() + at_one)
    }

    /// Frames added so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Adds the frames gathered in `other`, which must be evidence for frames of the same size:
    /// a video's parts add up to the whole.
    pub fn absorb(&mut self, other: &Evidence) {
        assert_eq!(
            (self.width, self.height),
            (other.width, other.height),
            "evidence of frames of one size"
        );
        for (fold, more) in self.folds.iter_mut().zip(&other.folds) {
            fold.iter_mut().zip(more).for_each(|(a, b)| *a += b);
        }
        self.frames += other.frames;
    }
}

/// Adds `residual` (a `width`×`height` frame) folded at `period` into `fold`, using `row_sums`
/// as scratch.
fn fold_into(
    fold: &mut [f32],
    row_sums: &mut Vec<f32>,
    residual: &[f32],
    width: u32,
    height: u32,
    period: f64,
) {
    let cols = pattern::bin_index(width, period);
    let rows = pattern::bin_index(height, period);
    // Sum the rows that share a bin row first (plain vector adds), then scatter the summed rows
    // into bins.
    let w = width as usize;
    row_sums.clear();
    row_sums.resize(BINS * w, 0.0);
    for (row, &by) in residual.chunks(w).zip(&rows) {
        let dst = &mut row_sums[by * w..(by + 1) * w];
        dst.iter_mut().zip(row).for_each(|(d, v)| *d += v);
    }
    for (by, row) in row_sums.chunks(w).enumerate() {
        let dst = &mut fold[by * BINS..(by + 1) * BINS];
        for (&v, &bx) in row.iter().zip(&cols) {
            dst[bx] += v;
        }
    }
}

/// The buffers [`Evidence::add`] whitens and folds a frame in. Each thread keeps its own from
/// frame to frame ([`WHITENING`]): allocated afresh for every frame, their pages went back to the
/// system after each call and were faulted in again on the next (a 512² frame took 2–3 ms more
/// when the bench binary ran outside cargo). They stay the size of the largest frame the thread
/// has checked (four planes: about 33 MB for 1080p) while the thread lives, as much as the
/// thread used at once before.
#[derive(Debug, Default)]
struct Whitening {
    /// The frame's luma.
    luma: Plane,
    /// The host estimate, then the whitened residual.
    residual: Plane,
    /// The residual's magnitude.
    magnitude: Plane,
    /// Its local mean: the residual's local level.
    level: Plane,
    /// The median's padded levels.
    padded: Vec<u8>,
    /// Rows summed by bin row, for [`fold_into`].
    row_sums: Vec<f32>,
}

thread_local! {
    /// This thread's [`Whitening`] buffers.
    static WHITENING: RefCell<Whitening> = RefCell::default();
}

impl Whitening {
    /// The luma minus an estimate of the picture (its local median), divided by the local level
    /// of that residual so busy textures and edges weigh no more than flat areas: the host
    /// picture is the main noise, and it is far from stationary. Leaves it in `residual`.
    fn whiten(&mut self, period: f64) {
        let radius = ((period / CELLS as f64 * 0.5).round() as usize).max(1);
        let residual = &mut self.residual;
        // The host estimate's buffer becomes the residual, in place.
        self.luma
            .median_into(radius.max(MIN_MEDIAN_RADIUS), residual, &mut self.padded);
        for (h, a) in residual.data.iter_mut().zip(&self.luma.data) {
            *h = a - *h;
        }
        self.magnitude.width = residual.width;
        self.magnitude.height = residual.height;
        self.magnitude.data.clear();
        self.magnitude
            .data
            .extend(residual.data.iter().map(|v| v.abs()));
        self.magnitude.box_mean_into(radius, &mut self.level);
        for (h, l) in residual.data.iter_mut().zip(&self.level.data) {
            *h = (*h / (l + NOISE_FLOOR)).clamp(-CLIP, CLIP);
        }
    }
}
