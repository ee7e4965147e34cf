//! Stride-1 "same" convolution with bias for the TPSMM networks' big 3x3 and 7x7 layers, as
//! candle custom ops. On the CPU, 3x3 layers on maps of at least 32x32 run as Winograd
//! F(4x4, 3x3) (`winograd.rs`, filters transformed once, on first use); layers
//! with at most 16 output channels run as a direct convolution (`narrow.rs`); the rest
//! build im2col tiles with row copies and run one large GEMM per tile straight into the NCHW
//! output (candle 0.11's generic CPU conv scatters its im2col writes and converts every input
//! to NHWC on one thread). Other devices use candle's own conv2d.

use super::storage::{CpuKernel, F32Kernel3};
use super::{narrow, winograd};
use candle_core::{CpuStorage, DType, Device, Layout, Module, Result, Shape, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;
use std::sync::{Arc, RwLock};

/// Upper bound of one im2col tile, in f32 elements (16 MiB).
const TILE_ELEMS: usize = 4 << 20;

/// Smallest map (height x width) a 3x3 layer runs as Winograd on: below it the transformed
/// filters (4x the weights) cost more to keep and stream than the saved multiplies.
const WINOGRAD_MIN_AREA: usize = 32 * 32;

/// A KxK convolution, stride 1, zero padding K/2, with bias (`nn.Conv2d(cin, cout, k,
/// padding=k//2)`).
#[derive(Debug, Clone)]
pub(crate) struct SameConv {
    /// The (cout, cin, k, k) filters. A 3x3 layer on the CPU replaces them by their Winograd
    /// transform (36, cout, cin) on its first call on a large map and uses that from then on
    /// (keeping both would add the raw weights to peak memory).
    weight: Arc<RwLock<Tensor>>,
    bias: Tensor,
    k: usize,
    /// Whether the Winograd kernel may be used (off where ~1e-6 relative error matters).
    winograd: bool,
}

impl SameConv {
    /// Loads `weight` (cout, cin, k, k) and `bias` (cout); `k` must be odd.
    pub(crate) fn new(cin: usize, cout: usize, k: usize, vb: VarBuilder) -> Result<Self> {
        Self::from_weights(vb.get((cout, cin, k, k), "weight")?, vb.get(cout, "bias")?)
    }

    /// A convolution from its (cout, cin, k, k) filters (odd k) and (cout) bias that never
    /// uses Winograd: for the keypoint detector, whose keypoints feed the TPS solves that
    /// amplify small errors.
    pub(crate) fn direct(weight: Tensor, bias: Tensor) -> Result<Self> {
        Ok(SameConv {
            winograd: false,
            ..Self::from_weights(weight, bias)?
        })
    }

    /// A convolution from its (cout, cin, k, k) filters (odd k) and (cout) bias.
    fn from_weights(weight: Tensor, bias: Tensor) -> Result<Self> {
        let (cout, _, k, kw) = weight.dims4()?;
        if k != kw || k.is_multiple_of(2) || bias.dims() != [cout] {
            candle_core::bail!(
                "same-conv: weight {:?} and bias {:?} are not a same-padded convolution",
                weight.shape(),
                bias.shape()
            );
        }
        Ok(SameConv {
            weight: Arc::new(RwLock::new(weight)),
            bias,
            k,
            winograd: true,
        })
    }

    /// The filters as they are now (raw or Winograd).
    fn weight(&self) -> Result<Tensor> {
        match self.weight.read() {
            Ok(w) => Ok(w.clone()),
            Err(_) => candle_core::bail!("same-conv: weights lock poisoned"),
        }
    }

    /// Replaces the raw 3x3 filters by their Winograd transform (once) and returns it.
    fn to_winograd(&self) -> Result<Tensor> {
        let Ok(mut w) = self.weight.write() else {
            candle_core::bail!("same-conv: weights lock poisoned")
        };
        if w.rank() == 4 {
            let (cout, cin, _, _) = w.dims4()?;
            let raw = w.flatten_all()?.to_vec1::<f32>()?;
            let filters = winograd::transform_filters(&raw, cout, cin);
            *w = Tensor::from_vec(filters, (36, cout, cin), &Device::Cpu)?;
        }
        Ok(w.clone())
    }

    /// The convolution of `x` enlarged 2x by nearest neighbour (`UpBlock2d`'s upsample then
    /// conv); on the CPU's Winograd path the enlarged map is never built.
    pub(crate) fn forward_upsampled(&self, x: &Tensor) -> Result<Tensor> {
        let (_, _, h, w) = x.dims4()?;
        if let Some(y) = self.forward_winograd(x, true)? {
            return Ok(y);
        }
        self.forward(&x.upsample_nearest2d(2 * h, 2 * w)?)
    }

    /// The Winograd CPU kernel when it applies to `x`: a 3x3 layer already transformed, or f32
    /// on the CPU with a large output map.
    fn forward_winograd(&self, x: &Tensor, upsample: bool) -> Result<Option<Tensor>> {
        let cpu_f32 = x.device().is_cpu() && x.dtype() == DType::F32;
        let mut filters = self.weight()?;
        if filters.rank() == 4 {
            let (_, _, h, w) = x.dims4()?;
            let area = h * w * if upsample { 4 } else { 1 };
            if !self.winograd || self.k != 3 || !cpu_f32 || area < WINOGRAD_MIN_AREA {
                return Ok(None);
            }
            filters = self.to_winograd()?;
        } else if !cpu_f32 {
            candle_core::bail!("same-conv: Winograd filters take f32 input on the CPU");
        }
        let op = SameConvOp {
            k: 3,
            winograd: true,
            upsample,
        };
        x.contiguous()?
            .apply_op3_no_bwd(&filters, &self.bias, &CpuKernel(op))
            .map(Some)
    }
}

impl Module for SameConv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let Some(y) = self.forward_winograd(x, false)? {
            return Ok(y);
        }
        let weight = self.weight()?;
        if x.device().is_cpu() && x.dtype() == DType::F32 {
            let op = SameConvOp {
                k: self.k,
                winograd: false,
                upsample: false,
            };
            x.contiguous()?
                .apply_op3_no_bwd(&weight, &self.bias, &CpuKernel(op))
        } else {
            let cout = self.bias.dim(0)?;
            x.conv2d(&weight, self.k / 2, 1, 1, 1)?
                .broadcast_add(&self.bias.reshape((1, cout, 1, 1))?)
        }
    }
}

thread_local! {
    /// The im2col tile, kept between calls: a fresh 16 MiB buffer per convolution costs more in
    /// page faults than the copy itself.
    static COL: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The CPU kernels behind [`SameConv`]: the weight argument is either the (cout, cin, k, k)
/// filters (direct or im2col kernel) or, for `winograd`, the (36, cout, cin) transformed ones;
/// `upsample` (Winograd only) enlarges the input 2x by nearest neighbour first.
struct SameConvOp {
    k: usize,
    winograd: bool,
    upsample: bool,
}

impl F32Kernel3 for SameConvOp {
    const NAME: &'static str = "same-conv";

    fn run(
        &self,
        [input, weight, bias]: [&[f32]; 3],
        [l1, l2, _]: [&Layout; 3],
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, h, w) = l1.shape().dims4()?;
        let (k, cout) = (self.k, bias.len());
        let fits = match *l2.dims() {
            [36, co, ci] => self.winograd && k == 3 && (co, ci) == (cout, c),
            [co, ci, kh, kw] => {
                !self.winograd && !self.upsample && (co, ci, kh, kw) == (cout, c, k, k)
            }
            _ => false,
        };
        if !fits || k.is_multiple_of(2) {
            candle_core::bail!(
                "same-conv: weight {:?} does not fit input {:?}",
                l2.shape(),
                l1.shape()
            );
        }
        let up = if self.upsample { 2 } else { 1 };
        let (oh, ow) = (h * up, w * up);
        let mut out = vec![0f32; n * cout * oh * ow];
        let threads = candle_core::utils::get_num_threads();
        for (src, dst) in input
            .chunks_exact(c * h * w)
            .zip(out.chunks_exact_mut(cout * oh * ow))
        {
            let dims = (c, cout, oh, ow);
            if self.winograd {
                winograd::conv3x3(src, weight, bias, dims, self.upsample, threads, dst);
            } else if cout <= narrow::MAX_OUT_CHANNELS {
                narrow::conv(src, weight, bias, (c, cout, h, w, k), threads, dst);
            } else {
                im2col_gemm(src, weight, bias, (c, cout, h, w, k), threads, dst);
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, cout, oh, ow))))
    }
}

/// Convolution of one image `src` (c, h, w) with `weight` (cout, c, k, k) plus bias into `dst`
/// (cout, h, w), through im2col tiles of whole rows and one GEMM per tile.
fn im2col_gemm(
    src: &[f32],
    weight: &[f32],
    bias: &[f32],
    (c, cout, h, w, k): (usize, usize, usize, usize, usize),
    threads: usize,
    dst: &mut [f32],
) {
    let kk = c * k * k;
    let rows_per_tile = (TILE_ELEMS / (kk * w)).clamp(1, h);
    let par = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // Taken out (not borrowed) so a nested call on this thread gets its own buffer.
    let mut col = COL.take();
    for (o, row) in dst.chunks_mut(h * w).zip(bias) {
        o.fill(*row);
    }
    let mut y0 = 0;
    while y0 < h {
        let rows = rows_per_tile.min(h - y0);
        let cols = rows * w;
        if col.len() < kk * cols {
            col = vec![0f32; kk * cols];
        }
        im2col_tile(src, &mut col[..kk * cols], h, w, k, y0, rows);
        // dst[:, y0*w .. y0*w+cols] += weight (cout x kk) * col (kk x cols)
        // SAFETY: all pointers cover the dimensions and strides passed.
        unsafe {
            gemm::gemm(
                cout,
                cols,
                kk,
                dst.as_mut_ptr().add(y0 * w),
                1,
                (h * w) as isize,
                true,
                weight.as_ptr(),
                1,
                kk as isize,
                col.as_ptr(),
                1,
                cols as isize,
                1.0,
                1.0,
                false,
                false,
                false,
                par,
            );
        }
        y0 += rows;
    }
    COL.set(col);
}

/// Fills `col` (c*k*k rows of rows*w) with the zero-padded input patches of output rows
/// y0..y0+rows: row (ch, dy, dx) holds input channel ch shifted by (dy - k/2, dx - k/2).
#[allow(clippy::too_many_arguments)]
fn im2col_tile(src: &[f32], col: &mut [f32], h: usize, w: usize, k: usize, y0: usize, rows: usize) {
    let pad = k / 2;
    let cols = rows * w;
    col.par_chunks_mut(cols).enumerate().for_each(|(r, dst)| {
        let (ch, dy, dx) = (r / (k * k), (r / k) % k, r % k);
        let plane = &src[ch * h * w..(ch + 1) * h * w];
        for (i, out_row) in dst.chunks_mut(w).enumerate() {
            let sy = (y0 + i + dy) as isize - pad as isize;
            if sy < 0 || sy >= h as isize {
                out_row.fill(0.0);
                continue;
            }
            let line = &plane[sy as usize * w..(sy as usize + 1) * w];
            // out_row[x] = line[x + dx - pad] where inside.
            let shift = dx as isize - pad as isize;
            let (lo, hi) = (
                (-shift).clamp(0, w as isize) as usize,
                (w as isize - shift).clamp(0, w as isize) as usize,
            );
            out_row[..lo].fill(0.0);
            out_row[hi..].fill(0.0);
            if lo < hi {
                let s0 = (lo as isize + shift) as usize;
                out_row[lo..hi].copy_from_slice(&line[s0..s0 + (hi - lo)]);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_candle_conv2d() -> Result<()> {
        let dev = Device::Cpu;
        for (c, cout, k, h, w) in [
            (3, 5, 7, 9, 11),
            (6, 4, 3, 8, 5),
            (2, 3, 1, 4, 4),
            (5, 7, 3, 33, 35),
            (4, 20, 5, 6, 7),
        ] {
            let x = Tensor::randn(0f32, 1.0, (2, c, h, w), &dev)?;
            let weight = Tensor::randn(0f32, 1.0, (cout, c, k, k), &dev)?;
            let bias = Tensor::randn(0f32, 1.0, cout, &dev)?;
            let conv = SameConv::from_weights(weight.clone(), bias.clone())?;
            let ours = conv.forward(&x)?;
            let want = x
                .conv2d(&weight, k / 2, 1, 1, 1)?
                .broadcast_add(&bias.reshape((1, cout, 1, 1))?)?;
            let scale = want.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
            let diff = (ours - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
            // Winograd rounds differently from a direct sum: relative error ~1e-6.
            assert!(diff < 1e-5 * scale, "k={k}: {diff} (scale {scale})");
            let small = x.avg_pool2d(2)?;
            let ours = conv.forward_upsampled(&small)?;
            let (sh, sw) = (small.dim(2)?, small.dim(3)?);
            let want = conv.forward(&small.upsample_nearest2d(2 * sh, 2 * sw)?)?;
            let diff = (ours - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-4, "upsampled k={k}: {diff}");
            // A small map after a large one: a transformed layer stays on Winograd.
            let corner = x.narrow(2, 0, h.min(6))?.narrow(3, 0, w.min(5))?;
            let want = corner
                .conv2d(&weight, k / 2, 1, 1, 1)?
                .broadcast_add(&bias.reshape((1, cout, 1, 1))?)?;
            let diff = (conv.forward(&corner)? - want)?
                .abs()?
                .max_all()?
                .to_scalar::<f32>()?;
            assert!(diff < 1e-5 * scale, "small map k={k}: {diff}");
        }
        Ok(())
    }
}
