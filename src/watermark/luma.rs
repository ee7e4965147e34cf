//! Luma planes and the box filter that both the perceptual mask and the detector's whitening use.

use crate::media::to_level;

/// A single-channel f32 image, row-major.
#[derive(Debug, Clone, Default)]
pub(super) struct Plane {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height` values.
    pub data: Vec<f32>,
}

impl Plane {
    /// Makes this plane the BT.601 luma, on the 0–255 scale, of whole RGB rows `width` pixels
    /// wide (a frame or a band of one), reusing its buffer. The weights sum to 1, so adding the
    /// same value to R, G and B changes luma by exactly that value.
    pub(super) fn set_luma_of_rows(&mut self, rgb: &[u8], width: usize) {
        self.data.clear();
        self.data.extend(
            rgb.chunks_exact(3)
                .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32),
        );
        self.width = width;
        self.height = self.data.len() / width.max(1);
    }

    /// The mean over a (2r+1)² window, edges clamped; separable running sums, O(1) per pixel.
    /// Rows are filtered horizontally as the vertical sum reaches them and kept only while it
    /// needs them (2r + 2 rows), so that the only frame-sized buffer is the result, `out`,
    /// whose buffer is reused.
    pub(super) fn box_mean_into(&self, r: usize, out: &mut Plane) {
        let (w, h) = (self.width, self.height);
        out.width = w;
        out.height = h;
        // Every value is written below; a reused buffer of the right size is left as it is.
        out.data.resize(w * h, 0.0);
        if w == 0 || h == 0 {
            return;
        }
        let slots = 2 * r + 2;
        let mut ring = vec![0.0f32; slots * w];
        let mut filtered = 0;
        // The horizontally filtered row `y` (clamped into the frame), filtering rows up to it
        // first. Rows are needed in non-decreasing order, at most `slots` apart.
        let mut row = |y: isize, ring: &mut [f32]| -> std::ops::Range<usize> {
            let y = y.clamp(0, h as isize - 1) as usize;
            while filtered <= y {
                let slot = filtered % slots;
                running_mean(
                    &self.data[filtered * w..(filtered + 1) * w],
                    &mut ring[slot * w..(slot + 1) * w],
                    r,
                );
                filtered += 1;
            }
            let slot = y % slots;
            slot * w..(slot + 1) * w
        };
        let norm = 1.0 / (2 * r + 1) as f32;
        let mut sum = vec![0.0f32; w];
        for y in -(r as isize)..=r as isize {
            let rows = row(y, &mut ring);
            sum.iter_mut().zip(&ring[rows]).for_each(|(s, v)| *s += v);
        }
        for (y, dst) in out.data.chunks_mut(w).enumerate() {
            dst.iter_mut().zip(&sum).for_each(|(d, s)| *d = s * norm);
            let add = row(y as isize + r as isize + 1, &mut ring);
            let sub = row(y as isize - r as isize, &mut ring);
            for ((s, a), b) in sum.iter_mut().zip(&ring[add]).zip(&ring[sub]) {
                *s += a - b;
            }
        }
    }

    /// The median over a (2r+1)² window, edges clamped, of the values rounded to whole levels
    /// (0–255): an estimate of the picture under a faint pattern that, unlike the mean, keeps
    /// edges and lines out of the residual. Huang's running histogram, O(r) per pixel.
    /// Written into `out`, with `padded` as scratch, reusing both buffers.
    pub(super) fn median_into(&self, r: usize, out: &mut Plane, padded: &mut Vec<u8>) {
        let (w, h) = (self.width, self.height);
        let (n, pw) = (2 * r + 1, w + 2 * r);
        // Whole levels, padded by r on every side with the edge values. Every value of both
        // buffers is written below, so reused ones are not cleared.
        padded.resize(pw * (h + 2 * r), 0);
        for (py, dst) in padded.chunks_mut(pw).enumerate() {
            let y = py.saturating_sub(r).min(h - 1);
            let src = &self.data[y * w..(y + 1) * w];
            for (px, d) in dst.iter_mut().enumerate() {
                *d = to_level(src[px.saturating_sub(r).min(w - 1)]);
            }
        }
        out.width = w;
        out.height = h;
        out.data.resize(w * h, 0.0);
        // The median is the smallest level m with more than `half` values at or below it.
        let half = (n * n / 2) as u32;
        for (y, dst) in out.data.chunks_mut(w).enumerate() {
            let band = &padded[y * pw..(y + n) * pw];
            let mut hist = [0u32; 256];
            for row in band.chunks_exact(pw) {
                row[..n].iter().for_each(|&v| hist[v as usize] += 1);
            }
            let (mut m, mut below) = (0usize, 0u32);
            for (x, d) in dst.iter_mut().enumerate() {
                if x > 0 {
                    for row in band.chunks_exact(pw) {
                        let (o, i) = (row[x - 1] as usize, row[x + 2 * r] as usize);
                        hist[o] -= 1;
                        hist[i] += 1;
                        below = below + u32::from(i < m) - u32::from(o < m);
                    }
                }
                while below > half {
                    m -= 1;
                    below -= hist[m];
                }
                while below + hist[m] <= half {
                    below += hist[m];
                    m += 1;
                }
                *d = m as f32;
            }
        }
    }
}

fn running_mean(src: &[f32], dst: &mut [f32], r: usize) {
    let n = src.len();
    let at = |i: usize| src[i.min(n - 1)];
    let norm = 1.0 / (2 * r + 1) as f32;
    let mut sum: f32 = (0..=2 * r).map(|k| at(k.saturating_sub(r))).sum();
    // Only near the ends does the window reach past the row; inside, no index needs clamping
    // (the sums are the same either way).
    let inside = r.min(n)..n.saturating_sub(r + 1).max(r.min(n));
    for i in 0..inside.start {
        dst[i] = sum * norm;
        sum += at(i + r + 1) - src[i.saturating_sub(r)];
    }
    for i in inside.clone() {
        dst[i] = sum * norm;
        sum += src[i + r + 1] - src[i - r];
    }
    for i in inside.end..n {
        dst[i] = sum * norm;
        sum += at(i + r + 1) - src[i.saturating_sub(r)];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `w`×`h` plane of irregular values.
    fn test_plane(w: usize, h: usize) -> Plane {
        Plane {
            width: w,
            height: h,
            data: (0..w * h)
                .map(|i| ((i * 7919 + i * i * 31) % 251) as f32 + 0.3)
                .collect(),
        }
    }

    /// The values of the (2r+1)² window around (x, y), edges clamped.
    fn window(plane: &Plane, x: usize, y: usize, r: usize) -> Vec<f32> {
        let (w, h, r) = (plane.width as isize, plane.height as isize, r as isize);
        (-r..=r)
            .flat_map(|dy| (-r..=r).map(move |dx| (dx, dy)))
            .map(|(dx, dy)| {
                let xx = (x as isize + dx).clamp(0, w - 1);
                let yy = (y as isize + dy).clamp(0, h - 1);
                plane.data[(yy * w + xx) as usize]
            })
            .collect()
    }

    #[test]
    fn median_equals_a_sorted_window_with_clamped_edges() {
        let plane = test_plane(37, 23);
        let mut fast = Plane::default();
        plane.median_into(2, &mut fast, &mut Vec::new());
        for y in 0..plane.height {
            for x in 0..plane.width {
                let mut values: Vec<f32> =
                    window(&plane, x, y, 2).iter().map(|v| v.round()).collect();
                values.sort_by(f32::total_cmp);
                let got = fast.data[y * plane.width + x];
                assert_eq!(got, values[12], "at {x},{y}");
            }
        }
    }

    #[test]
    fn box_mean_equals_a_window_average_with_clamped_edges() {
        // Planes wider and narrower than the window, so that both the clamped ends and the
        // unclamped middle of each row (and of the ring of rows) are exercised.
        for (w, h, r) in [(37, 23, 2), (5, 4, 6), (1, 9, 1), (40, 30, 6)] {
            let plane = test_plane(w, h);
            let mut fast = Plane::default();
            plane.box_mean_into(r, &mut fast);
            for y in 0..h {
                for x in 0..w {
                    let values = window(&plane, x, y, r);
                    let naive = values.iter().sum::<f32>() / values.len() as f32;
                    let got = fast.data[y * w + x];
                    assert!(
                        (got - naive).abs() < 1e-3,
                        "{w}×{h} r {r} at {x},{y}: {got} vs {naive}"
                    );
                }
            }
        }
    }
}
