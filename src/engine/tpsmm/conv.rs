//! Stride-1 "same" convolution with bias for the TPSMM networks' big 3x3 and 7x7 layers: a
//! candle custom op whose CPU kernel builds im2col tiles with row copies and runs one large
//! GEMM per tile straight into the NCHW output (candle 0.11's generic CPU conv scatters its
//! im2col writes and converts every input to NHWC on one thread). Other devices use candle's
//! own conv2d.

use candle_core::{CpuStorage, CustomOp3, Layout, Module, Result, Shape, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;

/// Upper bound of one im2col tile, in f32 elements (64 MiB).
const TILE_ELEMS: usize = 16 << 20;

/// A KxK convolution, stride 1, zero padding K/2, with bias (`nn.Conv2d(cin, cout, k,
/// padding=k//2)`).
#[derive(Debug, Clone)]
pub struct SameConv {
    weight: Tensor,
    bias: Tensor,
    k: usize,
}

impl SameConv {
    /// Loads `weight` (cout, cin, k, k) and `bias` (cout); `k` must be odd.
    pub fn new(cin: usize, cout: usize, k: usize, vb: VarBuilder) -> Result<Self> {
        Ok(SameConv {
            weight: vb.get((cout, cin, k, k), "weight")?,
            bias: vb.get(cout, "bias")?,
            k,
        })
    }
}

impl Module for SameConv {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if x.device().is_cpu() && x.dtype() == candle_core::DType::F32 {
            x.contiguous()?
                .apply_op3_no_bwd(&self.weight, &self.bias, &SameConvOp { k: self.k })
        } else {
            let cout = self.bias.dim(0)?;
            x.conv2d(&self.weight, self.k / 2, 1, 1, 1)?
                .broadcast_add(&self.bias.reshape((1, cout, 1, 1))?)
        }
    }
}

struct SameConvOp {
    k: usize,
}

fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> Result<&'a [f32]> {
    match (s, l.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((a, b))) => Ok(&v[a..b]),
        _ => candle_core::bail!("same-conv: {what} must be contiguous f32"),
    }
}

impl CustomOp3 for SameConvOp {
    fn name(&self) -> &'static str {
        "same-conv-im2col-gemm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let input = f32_slice(s1, l1, "input")?;
        let weight = f32_slice(s2, l2, "weight")?;
        let bias = f32_slice(s3, l3, "bias")?;
        let (n, c, h, w) = l1.shape().dims4()?;
        let (cout, wc, kh, kw) = l2.shape().dims4()?;
        let k = self.k;
        if wc != c || kh != k || kw != k || bias.len() != cout || k.is_multiple_of(2) {
            candle_core::bail!(
                "same-conv: weight {:?} does not fit input {:?}",
                l2.shape(),
                l1.shape()
            );
        }
        let kk = c * k * k;
        let mut out = vec![0f32; n * cout * h * w];
        let rows_per_tile = (TILE_ELEMS / (kk * w)).clamp(1, h);
        let threads = candle_core::utils::get_num_threads();
        let par = if threads > 1 {
            gemm::Parallelism::Rayon(threads)
        } else {
            gemm::Parallelism::None
        };
        let mut col = vec![0f32; kk * rows_per_tile * w];
        for b in 0..n {
            let src = &input[b * c * h * w..(b + 1) * c * h * w];
            let dst = &mut out[b * cout * h * w..(b + 1) * cout * h * w];
            for (o, row) in dst.chunks_mut(h * w).zip(bias) {
                o.fill(*row);
            }
            let mut y0 = 0;
            while y0 < h {
                let rows = rows_per_tile.min(h - y0);
                let cols = rows * w;
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
        }
        Ok((CpuStorage::F32(out), Shape::from((n, cout, h, w))))
    }
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
        for (c, cout, k, h, w) in [(3, 5, 7, 9, 11), (6, 4, 3, 8, 5), (2, 3, 1, 4, 4)] {
            let x = Tensor::randn(0f32, 1.0, (2, c, h, w), &dev)?;
            let weight = Tensor::randn(0f32, 1.0, (cout, c, k, k), &dev)?;
            let bias = Tensor::randn(0f32, 1.0, cout, &dev)?;
            let conv = SameConv {
                weight: weight.clone(),
                bias: bias.clone(),
                k,
            };
            let ours = conv.forward(&x)?;
            let want = x
                .conv2d(&weight, k / 2, 1, 1, 1)?
                .broadcast_add(&bias.reshape((1, cout, 1, 1))?)?;
            let diff = (ours - want)?.abs()?.max_all()?.to_scalar::<f32>()?;
            assert!(diff < 1e-4, "k={k}: {diff}");
        }
        Ok(())
    }
}
