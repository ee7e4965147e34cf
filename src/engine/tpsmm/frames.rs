//! Conversions between images and the model's (1, 3, H, W) float tensors in [0, 1].

use super::model::failed;
use crate::Result;
use candle_core::{Device, Tensor};
use image::RgbImage;

/// An RGB image as a (1, 3, H, W) f32 tensor of `value / 255`, the network input of demo.py.
pub fn image_tensor(img: &RgbImage, device: &Device) -> Result<Tensor> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let plane = w * h;
    let mut data = vec![0f32; 3 * plane];
    for (i, px) in img.pixels().enumerate() {
        for c in 0..3 {
            data[c * plane + i] = px[c] as f32 / 255.0;
        }
    }
    Tensor::from_vec(data, (1, 3, h, w), device).map_err(failed)
}

/// A (1, 3, H, W) tensor in [0, 1] as an RGB image, rounded like skimage's `img_as_ubyte`.
pub fn tensor_image(t: &Tensor) -> Result<RgbImage> {
    let (_, c, h, w) = t.dims4().map_err(failed)?;
    let data: Vec<f32> = t.flatten_all().and_then(|t| t.to_vec1()).map_err(failed)?;
    let plane = h * w;
    let mut img = RgbImage::new(w as u32, h as u32);
    for (i, px) in img.pixels_mut().enumerate() {
        for ch in 0..3 {
            let v = data[ch.min(c - 1) * plane + i];
            px[ch] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    Ok(img)
}
