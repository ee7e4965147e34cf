//! Rotated-rectangle crops of an image into network input tensors, with MediaPipe's sampling
//! convention (output pixel `u` of `N` samples the rectangle at `u/N`, not `(u+0.5)/N`).

use candle_core::{Device, Result, Tensor};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// A rotated rectangle in image pixels: what a network looks at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Roi {
    /// Centre x (pixels, pixel centres at integers).
    pub cx: f32,
    /// Centre y.
    pub cy: f32,
    /// Width in pixels.
    pub w: f32,
    /// Height in pixels.
    pub h: f32,
    /// Rotation in radians (image y axis points down), in [-pi, pi).
    pub rotation: f32,
}

impl Roi {
    /// Maps a point given in crop units (`(0,0)` and `(1,1)` are the rectangle's corners) to
    /// image pixels.
    pub fn to_image(&self, u: f64, v: f64) -> (f64, f64) {
        let (dx, dy) = ((u - 0.5) * self.w as f64, (v - 0.5) * self.h as f64);
        let (s, c) = (self.rotation as f64).sin_cos();
        (
            self.cx as f64 + c * dx - s * dy,
            self.cy as f64 + s * dx + c * dy,
        )
    }
}

/// What a crop shows where the rectangle leaves the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Border {
    /// Black (the detector's letterbox).
    Zero,
    /// The nearest edge pixel repeated (the mesh crop).
    Replicate,
}

/// Samples `roi` of `img` into a `size`x`size` crop, bilinear, as three channel planes (CHW)
/// with values `v/255 * scale + offset`.
pub(super) fn crop_planes(
    img: &RgbImage,
    roi: &Roi,
    size: usize,
    border: Border,
    scale: f32,
    offset: f32,
) -> Vec<f32> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let raw = img.as_raw();
    let plane = size * size;
    let mut out = vec![0f32; 3 * plane];
    let fetch = |x: i64, y: i64, c: usize| -> f64 {
        let (x, y) = match border {
            Border::Replicate => (x.clamp(0, w - 1), y.clamp(0, h - 1)),
            Border::Zero if x < 0 || y < 0 || x >= w || y >= h => return 0.0,
            Border::Zero => (x, y),
        };
        raw[((y * w + x) * 3) as usize + c] as f64
    };
    let n = size as f64;
    for v in 0..size {
        for u in 0..size {
            let (sx, sy) = roi.to_image(u as f64 / n, v as f64 / n);
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            for c in 0..3 {
                let top = fetch(x0, y0, c) * (1.0 - fx) + fetch(x0 + 1, y0, c) * fx;
                let bottom = fetch(x0, y0 + 1, c) * (1.0 - fx) + fetch(x0 + 1, y0 + 1, c) * fx;
                let value = top * (1.0 - fy) + bottom * fy;
                out[c * plane + v * size + u] = (value / 255.0) as f32 * scale + offset;
            }
        }
    }
    out
}

/// [`crop_planes`] as a `[1, 3, size, size]` tensor on `device`.
pub(super) fn crop_tensor(
    img: &RgbImage,
    roi: &Roi,
    size: usize,
    border: Border,
    range: (f32, f32),
    device: &Device,
) -> Result<Tensor> {
    let (lo, hi) = range;
    let planes = crop_planes(img, roi, size, border, hi - lo, lo);
    Tensor::from_vec(planes, (1, 3, size, size), device)
}
