//! Rounding computed channel values to 8-bit pixels, for every stage that writes them.

/// `v` rounded to the nearest whole level in 0–255 (halves up): a truncating cast after the
/// clamp, since `f32::round` and `f32::floor` are library calls on baseline x86-64 and this
/// runs for every channel of every pixel.
pub fn to_level(v: f32) -> u8 {
    (v.clamp(0.0, 255.0) + 0.5) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_halves_up_and_clamps() {
        for (v, level) in [
            (-3.0, 0),
            (-0.4, 0),
            (0.49, 0),
            (0.5, 1),
            (127.5, 128),
            (254.49, 254),
            (254.5, 255),
            (300.0, 255),
            (f32::NAN, 0),
        ] {
            assert_eq!(to_level(v), level, "{v}");
            // The formula it replaced in the warp, which the WGSL shader mirrors.
            assert_eq!((v + 0.5).floor().clamp(0.0, 255.0) as u8, level, "{v}");
        }
    }
}
