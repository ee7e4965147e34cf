//! The warp's per-pixel remap behind one interface ([`Remap`]): every output pixel takes the
//! bilinearly interpolated portrait colour at the source position the grid gives it, on the GPU
//! (the WGSL shader) or on the CPU (multi-threaded, [`remap`]), which give the same picture.

use super::gpu::GpuRemap;
use super::grid::WarpGrid;
use crate::engine::Device;
use crate::media::to_level;
use crate::Result;
use image::RgbImage;
use rayon::prelude::*;

/// Where the remap runs. A GPU that fails mid-run hands over to the CPU for the rest of the
/// run, with one log line: the frames go on, the same picture.
pub(crate) enum Remap {
    Gpu(Box<GpuRemap>),
    Cpu,
}

impl Remap {
    /// The remap `device` asks for: `Auto` takes a hardware GPU and falls back to the CPU
    /// (with one log line) without one; `Gpu` takes any adapter or fails.
    pub(crate) fn new(portrait: &RgbImage, device: Device) -> Result<Self> {
        let remap = match device {
            Device::Cpu => Remap::Cpu,
            Device::Gpu => Remap::Gpu(Box::new(GpuRemap::new(portrait, true)?)),
            Device::Auto => match GpuRemap::new(portrait, false) {
                Ok(g) => Remap::Gpu(Box::new(g)),
                Err(e) => {
                    log::warn!("{e}; warping on the CPU instead");
                    Remap::Cpu
                }
            },
        };
        if let Remap::Gpu(g) = &remap {
            log::info!("warp engine on GPU adapter '{}'", g.adapter_name());
        }
        Ok(remap)
    }

    /// Whether the remap (still) runs on a GPU adapter.
    pub(crate) fn on_gpu(&self) -> bool {
        matches!(self, Remap::Gpu(_))
    }

    /// Warps `portrait` through `grid` for frame `index`.
    pub(crate) fn run(&mut self, portrait: &RgbImage, grid: &WarpGrid, index: usize) -> RgbImage {
        if let Remap::Gpu(gpu) = self {
            match injected_failure(index).and_then(|()| gpu.remap(grid)) {
                Ok(frame) => return frame,
                Err(e) => {
                    log::warn!("{e} at frame {index}; warping on the CPU from here on");
                    *self = Remap::Cpu;
                }
            }
        }
        remap(portrait, grid)
    }
}

/// Fails the GPU remap at frame `SFUMATO_GPU_FAIL_AT_FRAME` (debug builds only): how the tests
/// reach the fallback without a failing GPU.
fn injected_failure(index: usize) -> Result<()> {
    #[cfg(debug_assertions)]
    if std::env::var("SFUMATO_GPU_FAIL_AT_FRAME").is_ok_and(|v| v.parse() == Ok(index)) {
        return Err(crate::Error::Failed(
            "injected GPU failure (SFUMATO_GPU_FAIL_AT_FRAME)".into(),
        ));
    }
    let _ = index;
    Ok(())
}

/// Warps `src` through `grid` into a new image of the same size.
pub fn remap(src: &RgbImage, grid: &WarpGrid) -> RgbImage {
    let (w, h) = src.dimensions();
    let mut out = RgbImage::new(w, h);
    let s = grid.spacing as f32;
    let stride = w as usize * 3;
    let raw = src.as_raw();
    out.par_chunks_mut(stride).enumerate().for_each(|(y, row)| {
        let gy = (y as f32 / s).min((grid.rows - 1) as f32);
        let j = (gy as usize).min(grid.rows.saturating_sub(2));
        let fy = gy - j as f32;
        let line: Vec<[f32; 2]> = (0..grid.cols)
            .map(|i| {
                let a = grid.source[j * grid.cols + i];
                let b = grid.source[((j + 1).min(grid.rows - 1)) * grid.cols + i];
                [a[0] + fy * (b[0] - a[0]), a[1] + fy * (b[1] - a[1])]
            })
            .collect();
        // Where this row's interpolated nodes on both sides of a cell are unmoved, the pixels
        // are a plain copy (what the bilinear sample gives there too): most of the background.
        let unmoved: Vec<bool> = line
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (p[0] - (i as u32 * grid.spacing) as f32).abs() < 1e-3
                    && (p[1] - y as f32).abs() < 1e-3
            })
            .collect();
        let src_row = &raw[y * stride..(y + 1) * stride];
        for x in 0..w as usize {
            let gx = (x as f32 / s).min((grid.cols - 1) as f32);
            let i = (gx as usize).min(grid.cols.saturating_sub(2));
            let i1 = (i + 1).min(grid.cols - 1);
            if unmoved[i] && unmoved[i1] {
                row[x * 3..x * 3 + 3].copy_from_slice(&src_row[x * 3..x * 3 + 3]);
                continue;
            }
            let fx = gx - i as f32;
            let (a, b) = (line[i], line[i1]);
            let sx = a[0] + fx * (b[0] - a[0]);
            let sy = a[1] + fx * (b[1] - a[1]);
            let px = bilinear(raw, w, h, sx, sy);
            row[x * 3..x * 3 + 3].copy_from_slice(&px);
        }
    });
    out
}

/// The colour of `raw` (RGB, `w` × `h`) at `(x, y)`, bilinear, clamped at the edges.
pub(super) fn bilinear(raw: &[u8], w: u32, h: u32, x: f32, y: f32) -> [u8; 3] {
    let x = x.clamp(0.0, (w - 1) as f32);
    let y = y.clamp(0.0, (h - 1) as f32);
    let x0 = (x as u32).min(w.saturating_sub(2));
    let y0 = (y as u32).min(h.saturating_sub(2));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let x1 = (x0 + 1).min(w - 1);
    let y1 = (y0 + 1).min(h - 1);
    let at =
        |xx: u32, yy: u32, c: usize| raw[(yy as usize * w as usize + xx as usize) * 3 + c] as f32;
    [0, 1, 2].map(|c| {
        let top = at(x0, y0, c) + fx * (at(x1, y0, c) - at(x0, y0, c));
        let bottom = at(x0, y1, c) + fx * (at(x1, y1, c) - at(x0, y1, c));
        to_level(top + fy * (bottom - top))
    })
}
