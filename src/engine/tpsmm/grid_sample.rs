//! `grid_sample` (bilinear, zero padding, align_corners = true), which candle lacks: a candle
//! custom op with a CPU kernel, and a composition of standard tensor ops that runs on every
//! device (used for CUDA and Metal, and as an independent check of the kernel).

use crate::kernels::{CpuKernel, F32Kernel2};
use candle_core::{CpuStorage, DType, Layout, Result, Shape, Tensor, D};
use rayon::prelude::*;

/// Samples `input` (N, C, H, W) at the normalised (x, y) locations of `grid` (N, Ho, Wo, 2),
/// like `torch.nn.functional.grid_sample(input, grid, align_corners=True)`: -1 and 1 are the
/// centres of the border pixels and samples outside the image read zeros.
pub(super) fn grid_sample(input: &Tensor, grid: &Tensor) -> Result<Tensor> {
    let (n, _, _, _) = input.dims4()?;
    let (gn, _, _, two) = grid.dims4()?;
    if gn != n || two != 2 {
        candle_core::bail!(
            "grid_sample: grid {:?} does not match input {:?}",
            grid.shape(),
            input.shape()
        );
    }
    if input.device().is_cpu() && input.dtype() == DType::F32 {
        input
            .contiguous()?
            .apply_op2_no_bwd(&grid.contiguous()?, &CpuKernel(GridSample))
    } else {
        grid_sample_composed(input, grid)
    }
}

/// The custom op; see [`grid_sample`].
struct GridSample;

/// Bilinear taps of one output location: flat source offsets and weights, zero weight where the
/// tap falls outside the image.
#[derive(Clone, Copy, Default)]
struct Taps {
    offsets: [usize; 4],
    weights: [f32; 4],
}

fn taps(x: f32, y: f32, h: usize, w: usize) -> Taps {
    // Same arithmetic as PyTorch's grid_sampler_compute_source_index with align_corners.
    let ix = (x + 1.0) / 2.0 * (w as f32 - 1.0);
    let iy = (y + 1.0) / 2.0 * (h as f32 - 1.0);
    let mut t = Taps::default();
    if !ix.is_finite() || !iy.is_finite() {
        return t;
    }
    let ix_nw = ix.floor();
    let iy_nw = iy.floor();
    let (ix_se, iy_se) = (ix_nw + 1.0, iy_nw + 1.0);
    let corners = [
        (ix_nw, iy_nw, (ix_se - ix) * (iy_se - iy)),
        (ix_se, iy_nw, (ix - ix_nw) * (iy_se - iy)),
        (ix_nw, iy_se, (ix_se - ix) * (iy - iy_nw)),
        (ix_se, iy_se, (ix - ix_nw) * (iy - iy_nw)),
    ];
    for (k, (cx, cy, wt)) in corners.into_iter().enumerate() {
        if cx >= 0.0 && cy >= 0.0 && cx < w as f32 && cy < h as f32 {
            t.offsets[k] = cy as usize * w + cx as usize;
            t.weights[k] = wt;
        }
    }
    t
}

impl F32Kernel2 for GridSample {
    const NAME: &'static str = "grid-sample-bilinear-zeros-aligned";

    fn run(
        &self,
        [input, grid]: [&[f32]; 2],
        [l1, l2]: [&Layout; 2],
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = l1.shape().dims4()?;
        let (_, ho, wo, _) = l2.shape().dims4()?;
        let plane = ho * wo;
        let mut out = vec![0f32; n * c * plane];
        for b in 0..n {
            let g = &grid[b * plane * 2..(b + 1) * plane * 2];
            let taps: Vec<Taps> = g
                .par_chunks(2 * wo)
                .flat_map_iter(|row| row.chunks_exact(2).map(|p| taps(p[0], p[1], h, w)))
                .collect();
            let src = &input[b * c * h * w..(b + 1) * c * h * w];
            out[b * c * plane..(b + 1) * c * plane]
                .par_chunks_mut(plane)
                .zip(src.par_chunks(h * w))
                .for_each(|(dst, chan)| {
                    for (o, t) in dst.iter_mut().zip(&taps) {
                        let mut v = 0f32;
                        for k in 0..4 {
                            v += chan[t.offsets[k]] * t.weights[k];
                        }
                        *o = v;
                    }
                });
        }
        Ok((CpuStorage::F32(out), Shape::from((n, c, ho, wo))))
    }
}

/// [`grid_sample`] built from gathers and arithmetic, for devices without the CPU kernel.
pub(super) fn grid_sample_composed(input: &Tensor, grid: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = input.dims4()?;
    let (_, ho, wo, _) = grid.dims4()?;
    let dtype = input.dtype();
    let grid = grid.to_dtype(DType::F32)?;
    let unnormalise = |axis: usize, size: usize| -> Result<Tensor> {
        let t = grid.narrow(D::Minus1, axis, 1)?.squeeze(D::Minus1)?;
        ((t + 1.0)? / 2.0)? * (size as f64 - 1.0)
    };
    let ix = unnormalise(0, w)?;
    let iy = unnormalise(1, h)?;
    let ix_nw = ix.floor()?;
    let iy_nw = iy.floor()?;
    let ix_se = (&ix_nw + 1.0)?;
    let iy_se = (&iy_nw + 1.0)?;
    let flat = input.flatten(2, 3)?; // (n, c, h*w)
    let mut out = Tensor::zeros((n, c, ho * wo), dtype, input.device())?;
    let corners = [
        (&ix_nw, &iy_nw, ((&ix_se - &ix)? * (&iy_se - &iy)?)?),
        (&ix_se, &iy_nw, ((&ix - &ix_nw)? * (&iy_se - &iy)?)?),
        (&ix_nw, &iy_se, ((&ix_se - &ix)? * (&iy - &iy_nw)?)?),
        (&ix_se, &iy_se, ((&ix - &ix_nw)? * (&iy - &iy_nw)?)?),
    ];
    for (cx, cy, wt) in corners {
        let inside = cx
            .ge(0.0)?
            .mul(&cx.lt(w as f64)?)?
            .mul(&cy.ge(0.0)?)?
            .mul(&cy.lt(h as f64)?)?
            .to_dtype(DType::F32)?;
        let wt = (wt * &inside)?;
        let idx =
            ((cy.clamp(0.0, h as f64 - 1.0)? * w as f64)? + cx.clamp(0.0, w as f64 - 1.0)?)?;
        let idx = idx.to_dtype(DType::U32)?.reshape((n, 1, ho * wo))?;
        let idx = idx.broadcast_as((n, c, ho * wo))?.contiguous()?;
        let vals = flat.gather(&idx, 2)?;
        let wt = wt.reshape((n, 1, ho * wo))?.to_dtype(dtype)?;
        out = (out + vals.broadcast_mul(&wt)?)?;
    }
    out.reshape((n, c, ho, wo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn kernel_matches_composition_and_identity() -> Result<()> {
        let dev = Device::Cpu;
        let input = Tensor::rand(0f32, 1f32, (2, 3, 7, 9), &dev)?;
        // A grid reaching outside the image on every side.
        let grid = Tensor::rand(-1.3f32, 1.3f32, (2, 5, 6, 2), &dev)?;
        let a = grid_sample(&input, &grid)?;
        let b = grid_sample_composed(&input, &grid)?;
        let diff = (a - b)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-6, "kernel vs composition: {diff}");

        // Pixel centres of an align_corners grid give the input back exactly.
        let xs = Tensor::arange(0f32, 9.0, &dev)?.affine(2.0 / 8.0, -1.0)?;
        let ys = Tensor::arange(0f32, 7.0, &dev)?.affine(2.0 / 6.0, -1.0)?;
        let gx = xs.reshape((1, 9))?.broadcast_as((7, 9))?;
        let gy = ys.reshape((7, 1))?.broadcast_as((7, 9))?;
        let ident = Tensor::stack(&[gx, gy], 2)?
            .unsqueeze(0)?
            .repeat((2, 1, 1, 1))?;
        let back = grid_sample(&input, &ident)?;
        let diff = (back - &input)?.abs()?.max_all()?.to_scalar::<f32>()?;
        assert!(diff < 1e-6, "identity grid: {diff}");

        // Far outside: zeros.
        let far = Tensor::full(5f32, (2, 2, 2, 2), &dev)?;
        let zero = grid_sample(&input, &far)?
            .abs()?
            .max_all()?
            .to_scalar::<f32>()?;
        assert_eq!(zero, 0.0);
        Ok(())
    }
}
