//! Where the model looks: the region of the portrait or driver frame that is resized to the
//! model's square input (a VoxCeleb-like face crop, or the whole frame), and the soft mask used
//! to paste the animated crop back.

use crate::keypoints::roi::landmark_bounds;
use crate::media::blend_over;
use image::{imageops, RgbImage};

/// Crop side as a multiple of the face mesh's larger extent: the mesh spans chin to upper
/// forehead, so this leaves hair, ears and some shoulders in view as in VoxCeleb's 256x256 clips.
const FACE_SCALE: f32 = 1.8;
/// Upward shift of the crop centre, as a fraction of the mesh height (room for the hair).
const FACE_LIFT: f32 = 0.1;
/// Width of the paste-back feather as a fraction of the crop side.
const FEATHER: f32 = 0.12;

/// An axis-aligned pixel rectangle; may reach outside its image (outside pixels replicate the
/// nearest edge when cut, and are skipped when pasting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Region {
    /// Left column.
    pub x0: i64,
    /// Top row.
    pub y0: i64,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
}

impl Region {
    /// The whole image.
    pub(super) fn whole(img: &RgbImage) -> Region {
        Region {
            x0: 0,
            y0: 0,
            w: img.width(),
            h: img.height(),
        }
    }

    /// The square VoxCeleb-like crop around a face's mesh landmarks.
    pub(super) fn around_landmarks(landmarks: &[[f32; 3]]) -> Region {
        let [x0, y0, x1, y1] = landmark_bounds(landmarks);
        let extent = (x1 - x0).max(y1 - y0).max(8.0);
        let side = (extent * FACE_SCALE).round();
        let cx = (x0 + x1) / 2.0;
        let cy = (y0 + y1) / 2.0 - FACE_LIFT * (y1 - y0);
        Region {
            x0: (cx - side / 2.0).round() as i64,
            y0: (cy - side / 2.0).round() as i64,
            w: side as u32,
            h: side as u32,
        }
    }

    /// The pixels of the region at their native size (edges replicated outside the image).
    pub(super) fn cut(&self, img: &RgbImage) -> RgbImage {
        let (iw, ih) = (img.width() as i64, img.height() as i64);
        RgbImage::from_fn(self.w, self.h, |x, y| {
            let sx = (self.x0 + x as i64).clamp(0, iw - 1) as u32;
            let sy = (self.y0 + y as i64).clamp(0, ih - 1) as u32;
            *img.get_pixel(sx, sy)
        })
    }

    /// The region resized to `size` x `size` for the model (anti-aliased when shrinking).
    pub(super) fn model_input(&self, img: &RgbImage, size: u32) -> RgbImage {
        let cut = self.cut(img);
        if cut.dimensions() == (size, size) {
            cut
        } else {
            imageops::resize(&cut, size, size, imageops::FilterType::Triangle)
        }
    }

    /// Blends `patch` (the region's size) into `img` with weight `mask` (row-major, one value
    /// per patch pixel in 0..1); pixels outside `img` are skipped.
    pub(super) fn paste(&self, img: &mut RgbImage, patch: &RgbImage, mask: Option<&[f32]>) {
        let (iw, ih) = (img.width() as i64, img.height() as i64);
        for (x, y, px) in patch.enumerate_pixels() {
            let (tx, ty) = (self.x0 + x as i64, self.y0 + y as i64);
            if tx < 0 || ty < 0 || tx >= iw || ty >= ih {
                continue;
            }
            let dst = img.get_pixel_mut(tx as u32, ty as u32);
            match mask {
                None => *dst = *px,
                Some(m) => blend_over(dst, px.0.map(f32::from), m[(y * self.w + x) as usize]),
            }
        }
    }

    /// Paste weights: 1 inside, easing to 0 over the outer `FEATHER` of the region (smoothstep).
    pub(super) fn feather_mask(&self) -> Vec<f32> {
        let f = (FEATHER * self.w.min(self.h) as f32).max(1.0);
        let ease = |d: f32| {
            let t = (d / f).clamp(0.0, 1.0);
            t * t * (3.0 - 2.0 * t)
        };
        let mut mask = Vec::with_capacity((self.w * self.h) as usize);
        for y in 0..self.h {
            let dy = (y as f32 + 0.5).min(self.h as f32 - 0.5 - y as f32);
            for x in 0..self.w {
                let dx = (x as f32 + 0.5).min(self.w as f32 - 0.5 - x as f32);
                mask.push(ease(dx) * ease(dy));
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_replicates_edges_and_paste_skips_outside() {
        let img = RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8 * 10, y as u8 * 10, 7]));
        let r = Region {
            x0: -1,
            y0: 1,
            w: 3,
            h: 3,
        };
        let cut = r.cut(&img);
        assert_eq!(cut.get_pixel(0, 0), img.get_pixel(0, 1));
        assert_eq!(cut.get_pixel(2, 2), img.get_pixel(1, 2));
        let mut out = img.clone();
        let white = RgbImage::from_pixel(3, 3, image::Rgb([255, 255, 255]));
        r.paste(&mut out, &white, None);
        assert_eq!(out.get_pixel(0, 1).0, [255, 255, 255]);
        assert_eq!(out.get_pixel(0, 0), img.get_pixel(0, 0));
        assert_eq!(out.get_pixel(2, 1), img.get_pixel(2, 1));
        let mask = Region {
            x0: 0,
            y0: 0,
            w: 40,
            h: 40,
        }
        .feather_mask();
        assert!(mask[20 * 40 + 20] > 0.99 && mask[0] < 0.01);
    }

    #[test]
    fn face_crop_is_square_and_contains_the_face() {
        let r = Region::around_landmarks(&[[100.0, 120.0, 0.0], [200.0, 260.0, 0.0]]);
        assert_eq!(r.w, r.h);
        assert!(r.x0 < 100 && r.y0 < 120);
        assert!(r.x0 + r.w as i64 > 200 && r.y0 + r.h as i64 > 260);
    }
}
