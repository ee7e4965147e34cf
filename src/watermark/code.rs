//! Error-correcting code for the payload: a keyed check, key whitening and a rate-1/3,
//! constraint-length-7 convolutional code decoded with soft-decision Viterbi.
//!
//! The check is what makes detection trustworthy: content that carries no watermark decodes to
//! an essentially random word, which passes the 40-bit check with probability 2^-40.

use super::key::{mix, KeyStream};

/// Payload bits carried by every watermark.
pub(super) const PAYLOAD_BITS: usize = 32;
/// Keyed check bits appended to the payload; they bound the false-positive probability.
pub(super) const CHECK_BITS: usize = 40;
pub(super) const INFO_BITS: usize = PAYLOAD_BITS + CHECK_BITS;
pub(super) const CONSTRAINT: usize = 7;
pub(super) const TAIL: usize = CONSTRAINT - 1;
const STATES: usize = 1 << TAIL;
/// Generator polynomials (octal 133, 171, 165), as used by LTE's rate-1/3 code.
pub(super) const POLYS: [u32; 3] = [0o133, 0o171, 0o165];
/// Coded bits in one watermark tile.
pub(super) const CODED_BITS: usize = (INFO_BITS + TAIL) * POLYS.len();

/// The probability that a decoder attempt on unmarked content passes the check by chance.
pub(super) fn chance_pass_probability() -> f64 {
    0.5f64.powi(CHECK_BITS as i32)
}

/// Encodes `payload` under `key` into [`CODED_BITS`] bits (0 or 1).
pub(super) fn encode(payload: u32, key: u64) -> Vec<u8> {
    let info = whitened_info(payload, key);
    let mut state = 0u32;
    let mut out = Vec::with_capacity(CODED_BITS);
    for &bit in info.iter().chain([0u8; TAIL].iter()) {
        state = ((state << 1) | bit as u32) & ((1 << CONSTRAINT) - 1);
        for p in POLYS {
            out.push(((state & p).count_ones() & 1) as u8);
        }
    }
    out
}

/// Decodes soft values (positive means coded bit 0, magnitude is confidence) and returns the
/// payload if the keyed check passes.
pub(super) fn decode(soft: &[f32], key: u64) -> Option<u32> {
    assert_eq!(soft.len(), CODED_BITS);
    let bits = viterbi(soft);
    let mask = whitening(key);
    let info: Vec<u8> = bits.iter().zip(&mask).map(|(b, m)| b ^ m).collect();
    let payload = info[..PAYLOAD_BITS]
        .iter()
        .fold(0u32, |acc, &b| (acc << 1) | b as u32);
    let check = info[PAYLOAD_BITS..]
        .iter()
        .fold(0u64, |acc, &b| (acc << 1) | b as u64);
    (check == check_value(payload, key)).then_some(payload)
}

fn whitened_info(payload: u32, key: u64) -> Vec<u8> {
    let check = check_value(payload, key);
    let bits = (0..PAYLOAD_BITS)
        .map(|i| (payload >> (PAYLOAD_BITS - 1 - i)) as u8 & 1)
        .chain((0..CHECK_BITS).map(|i| (check >> (CHECK_BITS - 1 - i)) as u8 & 1));
    bits.zip(whitening(key)).map(|(b, m)| b ^ m).collect()
}

fn check_value(payload: u32, key: u64) -> u64 {
    check_with(check_key(key), payload)
}

pub(super) fn check_key(key: u64) -> u64 {
    mix(key ^ 0xc4ec_c4ec)
}

pub(super) fn check_with(check_key: u64, payload: u32) -> u64 {
    mix(check_key ^ payload as u64) >> (64 - CHECK_BITS)
}

pub(super) fn whitening(key: u64) -> Vec<u8> {
    let mut ks = KeyStream::new(key, 0x77_6869_7465);
    (0..INFO_BITS)
        .map(|_| (ks.next_u64() >> 63) as u8)
        .collect()
}

fn viterbi(soft: &[f32]) -> Vec<u8> {
    let steps = INFO_BITS + TAIL;
    let mut metric = [f32::NEG_INFINITY; STATES];
    metric[0] = 0.0;
    let mut from: Vec<[u8; STATES]> = Vec::with_capacity(steps);
    for t in 0..steps {
        let s = &soft[t * POLYS.len()..(t + 1) * POLYS.len()];
        let mut next = [f32::NEG_INFINITY; STATES];
        let mut back = [0u8; STATES];
        for (prev, &m) in metric.iter().enumerate() {
            if m == f32::NEG_INFINITY {
                continue;
            }
            let inputs: &[u32] = if t < INFO_BITS { &[0, 1] } else { &[0] };
            for &bit in inputs {
                let reg = ((prev as u32) << 1) | bit;
                let gain: f32 = POLYS
                    .iter()
                    .zip(s)
                    .map(|(&p, &v)| {
                        if (reg & p).count_ones() & 1 == 0 {
                            v
                        } else {
                            -v
                        }
                    })
                    .sum();
                let ns = (reg as usize) & (STATES - 1);
                if m + gain > next[ns] {
                    next[ns] = m + gain;
                    back[ns] = prev as u8;
                }
            }
        }
        metric = next;
        from.push(back);
    }
    let mut state = 0usize;
    let mut bits = vec![0u8; steps];
    for t in (0..steps).rev() {
        bits[t] = (state & 1) as u8;
        state = from[t][state] as usize;
    }
    bits.truncate(INFO_BITS);
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soft_of(bits: &[u8]) -> Vec<f32> {
        bits.iter()
            .map(|&b| if b == 0 { 1.0 } else { -1.0 })
            .collect()
    }

    #[test]
    fn round_trips_and_corrects_errors() {
        let coded = encode(0xa5c3_e19f, 7);
        assert_eq!(coded.len(), CODED_BITS);
        let mut soft = soft_of(&coded);
        for i in (0..CODED_BITS).step_by(9) {
            soft[i] = -soft[i];
        }
        assert_eq!(decode(&soft, 7), Some(0xa5c3_e19f));
        assert_eq!(decode(&soft, 8), None, "another key must not decode");
    }

    #[test]
    fn flat_or_random_input_fails_the_check() {
        assert_eq!(decode(&[0.0; CODED_BITS], 7), None);
        assert_eq!(decode(&[1.0; CODED_BITS], 7), None);
        let mut ks = KeyStream::new(1, 2);
        for _ in 0..200 {
            let soft: Vec<f32> = (0..CODED_BITS).map(|_| ks.sign()).collect();
            assert_eq!(decode(&soft, 7), None);
        }
    }
}
