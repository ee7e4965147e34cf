//! Matching whole codewords, check bits included, when the Viterbi decoder gives up.
//!
//! The decoder only uses the convolutional code; the 40 check bits, a keyed function of the
//! payload, are redundancy it cannot exploit. Correlating the soft values with the complete
//! codeword of candidate payloads uses all of it, so a payload is still found under noise that
//! defeats the decoder. Two searches:
//! - every Sfumato export payload of this version (2^16 ids, exhaustively);
//! - any 32-bit payload, through a list (beam) search over the payload bits that keeps the
//!   [`LIST_SIZE`] best partial paths, each then completed with its own check bits.
//!
//! Either returns the best candidate and its correlation; `detect` turns that into a normalised
//! score and claims only above a threshold that bounds false claims over every candidate.

use super::code::{
    check_key, check_with, whitening, CHECK_BITS, CODED_BITS, CONSTRAINT, INFO_BITS, PAYLOAD_BITS,
    POLYS, TAIL,
};

/// Export ids tried by [`best_export_match`]: every 16-bit id under one marker/version prefix.
pub(super) const EXPORT_IDS: usize = 1 << 16;
/// Partial payloads kept at each step of [`best_listed_match`].
pub(super) const LIST_SIZE: usize = 16384;
/// Payloads [`best_listed_match`] may return: every 32-bit value.
pub(super) const ALL_PAYLOADS: f64 = (1u64 << PAYLOAD_BITS) as f64;

const STEPS: usize = INFO_BITS + TAIL;
const REGS: usize = 1 << CONSTRAINT;
/// Encoder states: the previous six information bits.
const STATES: usize = REGS / 2;
/// Steps scored by one lookup in the chunk tables: eight information bits, one byte.
const CHUNK: usize = 8;
/// Chunks covering every step; the last holds the tail and two steps of padding.
const CHUNKS: usize = STEPS.div_ceil(CHUNK);
/// Bits of the padded step sequence (`CHUNKS` bytes).
const SEQ_BITS: usize = CHUNKS * CHUNK;

/// The soft values arranged for fast codeword scoring under one key.
struct Trellis {
    /// Gain of step `t` for encoder register `r` at `t * REGS + r`: the encoder's three output
    /// bits at a step are a function of its 7-bit register only.
    gains: Vec<f32>,
    /// Score of the eight steps of chunk `c` at `(c * STATES + state) * 256 + byte`, for the
    /// encoder state before the chunk and the chunk's eight information bits (first bit
    /// highest): a codeword is scored with one lookup per byte instead of one per step.
    chunks: Vec<f32>,
    /// The key's whitening sequence as the low `INFO_BITS` bits, first bit highest.
    mask: u128,
    check_key: u64,
}

impl Trellis {
    fn new(soft: &[f32], key: u64) -> Self {
        assert_eq!(soft.len(), CODED_BITS);
        let mut gains = vec![0.0f32; STEPS * REGS];
        for (t, row) in gains.chunks_mut(REGS).enumerate() {
            let s = &soft[t * POLYS.len()..(t + 1) * POLYS.len()];
            for (reg, g) in row.iter_mut().enumerate() {
                *g = POLYS
                    .iter()
                    .zip(s)
                    .map(|(&p, &v)| {
                        if (reg as u32 & p).count_ones() & 1 == 0 {
                            v
                        } else {
                            -v
                        }
                    })
                    .sum();
            }
        }
        let mask = whitening(key)
            .iter()
            .fold(0u128, |acc, &b| (acc << 1) | b as u128);
        let mut chunks = Vec::with_capacity(CHUNKS * STATES * 256);
        for c in 0..CHUNKS {
            for state in 0..STATES {
                // Expand the eight bits breadth-first, zero before one, so that each leaf's
                // index is its byte.
                let mut level = vec![(state, 0.0f32)];
                for t in c * CHUNK..(c + 1) * CHUNK {
                    level = level
                        .iter()
                        .flat_map(|&(reg, score)| {
                            [0, 1].map(|bit| {
                                let reg = ((reg << 1) | bit) & (REGS - 1);
                                let gain = gains.get(t * REGS + reg).copied().unwrap_or(0.0);
                                (reg, score + gain)
                            })
                        })
                        .collect();
                }
                chunks.extend(level.iter().map(|&(_, score)| score));
            }
        }
        Trellis {
            gains,
            chunks,
            mask,
            check_key: check_key(key),
        }
    }

    /// The whitened information bits of `payload` (payload, then its check bits).
    fn info(&self, payload: u32) -> u128 {
        (((payload as u128) << CHECK_BITS) | check_with(self.check_key, payload) as u128)
            ^ self.mask
    }

    /// Information bit `t` of `info` (0 in the tail).
    fn bit(info: u128, t: usize) -> usize {
        if t < INFO_BITS {
            ((info >> (INFO_BITS - 1 - t)) & 1) as usize
        } else {
            0
        }
    }

    /// One encoder step: the new register and the score with this step's gain added.
    fn step(&self, t: usize, reg: usize, bit: usize, score: f32) -> (usize, f32) {
        let reg = ((reg << 1) | bit) & (REGS - 1);
        (reg, score + self.gains[t * REGS + reg])
    }

    /// The score of chunks `range` of the step sequence `info << (SEQ_BITS - INFO_BITS)`
    /// (information bits, then zeros for the tail and padding).
    fn score_chunks(&self, info: u128, range: std::ops::Range<usize>) -> f32 {
        let seq = info << (SEQ_BITS - INFO_BITS);
        range
            .map(|c| {
                let shift = SEQ_BITS - CHUNK * (c + 1);
                let byte = ((seq >> shift) & 0xff) as usize;
                let state = ((seq >> (shift + CHUNK)) as usize) & (STATES - 1);
                self.chunks[(c * STATES + state) * 256 + byte]
            })
            .sum()
    }
}

/// The payload `prefix << 16 | id` whose codeword correlates best with the soft values
/// (positive means coded bit 0) over all [`EXPORT_IDS`] ids, and that correlation
/// `sum soft[j] * (1 - 2 c[j])`: a maximum-likelihood decision among Sfumato's export payloads,
/// whose first 16 bits (marker and version) are fixed.
pub(super) fn best_export_match(soft: &[f32], prefix: u16, key: u64) -> (u32, f32) {
    let trellis = Trellis::new(soft, key);
    // The first two bytes of information are the prefix for every candidate: score them once.
    let prefix = (prefix as u32) << 16;
    let shared = trellis.score_chunks(trellis.info(prefix), 0..2);
    (0..EXPORT_IDS as u32)
        .map(|id| {
            let payload = prefix | id;
            let score = shared + trellis.score_chunks(trellis.info(payload), 2..CHUNKS);
            (payload, score)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((prefix, 0.0))
}

/// The payload whose complete codeword correlates best with the soft values among those a list
/// search finds, and that correlation: a beam over the 32 payload bits keeps the [`LIST_SIZE`]
/// best partial paths, then each is completed with its own check bits and scored in full.
pub(super) fn best_listed_match(soft: &[f32], key: u64) -> (u32, f32) {
    let trellis = Trellis::new(soft, key);
    // (score, payload bits so far, encoder register)
    let mut paths: Vec<(f32, u32, usize)> = Vec::with_capacity(2 * LIST_SIZE);
    let mut next = Vec::with_capacity(2 * LIST_SIZE);
    paths.push((0.0, 0, 0));
    for t in 0..PAYLOAD_BITS {
        let whiten = Trellis::bit(trellis.mask, t);
        next.clear();
        for &(score, payload, reg) in &paths {
            for b in [0u32, 1] {
                let (reg, score) = trellis.step(t, reg, b as usize ^ whiten, score);
                next.push((score, payload << 1 | b, reg));
            }
        }
        if next.len() > LIST_SIZE {
            next.select_nth_unstable_by(LIST_SIZE - 1, |a, b| b.0.total_cmp(&a.0));
            next.truncate(LIST_SIZE);
        }
        std::mem::swap(&mut paths, &mut next);
    }
    // The rest of each codeword is its check bits and the tail: four bytes of payload done.
    paths
        .iter()
        .map(|&(score, payload, _)| {
            let rest = trellis.score_chunks(trellis.info(payload), PAYLOAD_BITS / CHUNK..CHUNKS);
            (payload, score + rest)
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::super::code::{decode, encode};
    use super::super::key::KeyStream;
    use super::*;

    /// The codeword of `payload` as ±`signal` under ±1 noise: far below the decoder's threshold.
    fn weak(payload: u32, signal: f32, seed: u64) -> Vec<f32> {
        let mut ks = KeyStream::new(seed, 4);
        encode(payload, 7)
            .iter()
            .map(|&b| if b == 0 { signal } else { -signal } + ks.sign())
            .collect()
    }

    fn correlation(soft: &[f32], payload: u32) -> f32 {
        let coded = encode(payload, 7);
        soft.iter()
            .zip(&coded)
            .map(|(v, &b)| if b == 0 { *v } else { -v })
            .sum()
    }

    #[test]
    fn export_match_finds_the_id_where_the_decoder_gives_up() {
        let payload = 0x5301_4cfe;
        let soft = weak(payload, 0.5, 3);
        assert_eq!(decode(&soft, 7), None);
        let (found, score) = best_export_match(&soft, 0x5301, 7);
        assert_eq!(found, payload);
        let exact = correlation(&soft, payload);
        assert!(
            (score - exact).abs() < 1e-3 * exact.abs().max(1.0),
            "{score} vs {exact}"
        );
    }

    #[test]
    fn list_match_finds_any_payload_where_the_decoder_gives_up() {
        let payload = 0xa5c3_e19f;
        let soft = weak(payload, 0.6, 5);
        assert_eq!(decode(&soft, 7), None);
        let (found, score) = best_listed_match(&soft, 7);
        assert_eq!(found, payload);
        let exact = correlation(&soft, payload);
        assert!(
            (score - exact).abs() < 1e-3 * exact.abs().max(1.0),
            "{score} vs {exact}"
        );
        assert_ne!(best_listed_match(&soft, 8).0, payload, "another key");
    }
}
