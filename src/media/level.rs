//! Rounding computed channel values to 8-bit pixels, for every stage that writes them.

use image::Rgb;

/// `v` rounded to the nearest whole level in 0–255 (halves up): a truncating cast after the
/// clamp, since `f32::round` and `f32::floor` are library calls on baseline x86-64 and this
/// runs for every channel of every pixel.
pub fn to_level(v: f32) -> u8 {
    (v.clamp(0.0, 255.0) + 0.5) as u8
}

/// Paints `colour` over `px` with opacity `alpha` (0–1), rounded with [`to_level`]: the warp's
/// mouth and eyelid fills and the TPSMM crop's feathered paste-back.
pub fn blend_over(px: &mut Rgb<u8>, colour: [f32; 3], alpha: f32) {
    for (p, c) in px.0.iter_mut().zip(colour) {
        *p = to_level(*p as f32 * (1.0 - alpha) + c * alpha);
    }
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

    #[test]
    fn blending_over_mixes_by_opacity() {
        let mut px = Rgb([200, 0, 100]);
        blend_over(&mut px, [0.0, 255.0, 101.0], 0.25);
        assert_eq!(px, Rgb([150, 64, 100]));
        blend_over(&mut px, [10.0, 20.0, 30.0], 1.0);
        assert_eq!(px, Rgb([10, 20, 30]));
    }
}
