//! The key that makes the watermark's patterns unpredictable without it, and the deterministic
//! pseudo-random streams drawn from it.

/// Secret-free key shared by every Sfumato build: anyone with the tool can verify a file, and
/// content never marked with it matches only by chance (the false-positive probability).
pub const SFUMATO_KEY: u64 = 0x5f75_6d61_746f_2d77;

/// SplitMix64: a tiny, well-mixed generator, enough to derive patterns and masks from a key.
#[derive(Debug, Clone)]
pub(super) struct KeyStream(u64);

impl KeyStream {
    /// A stream for one use of the key; `purpose` keeps the streams of different uses apart.
    pub(super) fn new(key: u64, purpose: u64) -> Self {
        let mut s = KeyStream(key ^ purpose.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        s.next_u64();
        s
    }

    /// The next 64 pseudo-random bits.
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// A uniform index below `n` (n > 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// A random sign, +1.0 or -1.0.
    pub(super) fn sign(&mut self) -> f32 {
        if self.next_u64() >> 63 == 0 {
            1.0
        } else {
            -1.0
        }
    }
}

/// The SplitMix64 finaliser: a bijective mix of 64 bits.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
