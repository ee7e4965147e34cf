//! The frames the window has received, kept for stepping and looping within a memory budget.

use std::collections::VecDeque;
use std::time::Instant;

use image::{RgbImage, Rgba, RgbaImage};

use super::frame::PreviewFrame;

/// A received frame, converted to the RGBA layout the GPU texture takes (done on the
/// forwarding thread, off the window's thread).
pub(crate) struct StoredFrame {
    pub index: usize,
    pub generated_at: Instant,
    pub rgba: RgbaImage,
    pub driver: Option<RgbaImage>,
    pub landmarks: Option<Vec<[f32; 2]>>,
}

impl StoredFrame {
    pub(super) fn from_frame(frame: PreviewFrame) -> Self {
        Self {
            index: frame.index,
            generated_at: frame.generated_at,
            rgba: to_rgba(&frame.image),
            driver: frame.driver.as_ref().map(to_rgba),
            landmarks: frame.landmarks,
        }
    }

    fn bytes(&self) -> usize {
        self.rgba.as_raw().len() + self.driver.as_ref().map_or(0, |d| d.as_raw().len())
    }

    /// The picture as RGB again, for saving.
    pub(super) fn to_rgb(&self) -> RgbImage {
        let (w, h) = self.rgba.dimensions();
        let mut raw = vec![0u8; w as usize * h as usize * 3];
        for (rgb, rgba) in raw
            .chunks_exact_mut(3)
            .zip(self.rgba.as_raw().chunks_exact(4))
        {
            rgb.copy_from_slice(&rgba[..3]);
        }
        RgbImage::from_raw(w, h, raw).expect("buffer size matches dimensions")
    }

    /// The picture with its landmarks drawn as small green dots.
    pub(super) fn with_overlay(&self) -> RgbaImage {
        let mut out = self.rgba.clone();
        for &[x, y] in self.landmarks.iter().flatten() {
            draw_dot(&mut out, x, y);
        }
        out
    }
}

fn to_rgba(img: &RgbImage) -> RgbaImage {
    let (w, h) = img.dimensions();
    let mut raw = vec![255u8; w as usize * h as usize * 4];
    for (rgba, rgb) in raw.chunks_exact_mut(4).zip(img.as_raw().chunks_exact(3)) {
        rgba[..3].copy_from_slice(rgb);
    }
    RgbaImage::from_raw(w, h, raw).expect("buffer size matches dimensions")
}

/// Landmark dots: a green that stands out on skin, hair and most backgrounds.
const OVERLAY_COLOUR: Rgba<u8> = Rgba([40, 255, 90, 255]);

fn draw_dot(img: &mut RgbaImage, x: f32, y: f32) {
    let (w, h) = img.dimensions();
    let r = (w.max(h) as f32 / 400.0).max(1.0);
    let (x0, x1) = ((x - r).floor().max(0.0), (x + r).ceil());
    let (y0, y1) = ((y - r).floor().max(0.0), (y + r).ceil());
    for py in y0 as u32..(y1 as u32).min(h) {
        for px in x0 as u32..(x1 as u32).min(w) {
            let (dx, dy) = (px as f32 + 0.5 - x, py as f32 + 0.5 - y);
            if dx * dx + dy * dy <= r * r {
                img.put_pixel(px, py, OVERLAY_COLOUR);
            }
        }
    }
}

/// Received frames in arrival order. Positions count from the first frame ever received; when
/// the budget is exceeded the oldest frames are dropped, so stepping and looping then cover the
/// most recent part of the clip only.
pub(crate) struct FrameStore {
    frames: VecDeque<StoredFrame>,
    dropped: usize,
    bytes: usize,
    budget: usize,
}

impl FrameStore {
    pub(super) fn new(budget: usize) -> Self {
        Self {
            frames: VecDeque::new(),
            dropped: 0,
            bytes: 0,
            budget,
        }
    }

    pub(super) fn push(&mut self, frame: StoredFrame) {
        self.bytes += frame.bytes();
        self.frames.push_back(frame);
        while self.bytes > self.budget && self.frames.len() > 1 {
            if let Some(old) = self.frames.pop_front() {
                self.bytes -= old.bytes();
                self.dropped += 1;
            }
        }
    }

    /// First position still held.
    pub(super) fn first(&self) -> usize {
        self.dropped
    }

    /// One past the last position received.
    pub(super) fn end(&self) -> usize {
        self.dropped + self.frames.len()
    }

    pub(super) fn get(&self, pos: usize) -> Option<&StoredFrame> {
        self.frames.get(pos.checked_sub(self.dropped)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn frame(index: usize, v: u8) -> StoredFrame {
        StoredFrame::from_frame(PreviewFrame::new(
            index,
            RgbImage::from_pixel(4, 4, Rgb([v, v / 2, 255 - v])),
        ))
    }

    #[test]
    fn rgba_round_trips_to_rgb() {
        let img = RgbImage::from_fn(5, 3, |x, y| Rgb([x as u8 * 40, y as u8 * 70, 9]));
        let f = StoredFrame::from_frame(PreviewFrame::new(0, img.clone()));
        assert_eq!(f.rgba.get_pixel(4, 2).0, [160, 140, 9, 255]);
        assert_eq!(f.to_rgb(), img);
    }

    #[test]
    fn budget_drops_oldest_frames() {
        let mut s = FrameStore::new(3 * 64);
        for i in 0..5 {
            s.push(frame(i, i as u8 * 10));
        }
        assert_eq!((s.first(), s.end()), (2, 5));
        assert!(s.get(1).is_none());
        assert_eq!(s.get(4).map(|f| f.index), Some(4));
    }

    #[test]
    fn overlay_marks_landmarks_only() {
        let mut f = frame(0, 0);
        f.landmarks = Some(vec![[1.5, 1.5]]);
        let o = f.with_overlay();
        assert_eq!(o.get_pixel(1, 1).0, [40, 255, 90, 255]);
        assert_eq!(o.get_pixel(3, 3), f.rgba.get_pixel(3, 3));
    }
}
