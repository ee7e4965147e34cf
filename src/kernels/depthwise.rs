//! Depthwise convolution (one filter per channel) computed directly on NCHW planes.
//!
//! Each input plane is copied once into a zero-padded scratch plane whose rows are split into
//! `stride` phases (even columns, then odd columns for stride 2), so every kernel tap reads a
//! contiguous run of inputs and the output row is computed 16 columns at a time in registers.

use candle_core::{bail, CpuStorage, Layout, Result, Shape, Tensor};

use super::geometry::{ConvWindow, Padding, Window};
use super::simd::{dispatch_fma, madd};
use super::stock;
use super::storage::{apply3, check_bias, fast_path, nchw, F32Kernel3};

/// Depthwise convolution of `x` `[N, C, H, W]` with filters `w` `[C, 1, k, k]` and bias `b`
/// `[C]`, stride 1 or more, TFLite `padding`; returns `[N, C, OH, OW]`.
///
/// Square odd kernels of size 3 and 5 (MediaPipe's) take the fast path; other sizes, devices and
/// dtypes run [`stock::depthwise`].
pub fn depthwise(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    stride: usize,
    padding: Padding,
) -> Result<Tensor> {
    let (_, c, _, _) = nchw("depthwise", x)?;
    let k = match w.dims() {
        &[wc, 1, kh, kw] if wc == c && kh == kw => kh,
        dims => {
            bail!("depthwise: filters of shape {dims:?} do not match {c} channels ([C, 1, k, k])")
        }
    };
    check_bias("depthwise", b, c)?;
    if !(fast_path(&[x, w, b]) && (k == 3 || k == 5)) {
        return stock::depthwise(x, w, b, stride, padding);
    }
    apply3(x, w, b, DepthwiseOp(ConvWindow { k, stride, padding }))
}

/// The custom op behind [`depthwise`].
struct DepthwiseOp(ConvWindow);

impl F32Kernel3 for DepthwiseOp {
    const NAME: &'static str = "sfumato-depthwise";

    fn run(
        &self,
        [x, weights, bias]: [&[f32]; 3],
        [xl, _, _]: [&Layout; 3],
    ) -> Result<(CpuStorage, Shape)> {
        let (n, c, win) = self.0.over(Self::NAME, xl)?;
        let mut out = vec![0f32; n * c * win.out_area()];
        depthwise_planes(x, weights, bias, &win, &mut out);
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, c, win.rows.out, win.cols.out)),
        ))
    }
}

/// Depthwise convolution of all planes of `x` (`N*C` planes of the window's input size) into
/// `out` (`N*C` planes of its output size); `weights` holds `C` filters of `k*k`, `bias` `C`.
pub(crate) fn depthwise_planes(
    x: &[f32],
    weights: &[f32],
    bias: &[f32],
    win: &Window,
    out: &mut [f32],
) {
    match win.k {
        3 => depthwise_planes_k::<3>(x, weights, bias, win, out),
        5 => depthwise_planes_k::<5>(x, weights, bias, win, out),
        k => unreachable!("depthwise kernel size {k} has no fast path"),
    }
}

dispatch_fma! {
    fn depthwise_planes_k[const K: usize](
        x: &[f32], weights: &[f32], bias: &[f32], win: &Window, out: &mut [f32],
    ) => depthwise_planes_body[K,]
}

#[inline(always)]
fn depthwise_planes_body<const K: usize, const FMA: bool>(
    x: &[f32],
    weights: &[f32],
    bias: &[f32],
    win: &Window,
    out: &mut [f32],
) {
    let channels = bias.len();
    let in_area = win.rows.len * win.cols.len;
    let mut plane = PhasePlane::new(win);
    for (i, (src, dst)) in x
        .chunks_exact(in_area)
        .zip(out.chunks_exact_mut(win.out_area()))
        .enumerate()
    {
        let c = i % channels;
        plane.fill(src);
        let taps: &[f32; 25] = &pad_taps::<K>(&weights[c * K * K..(c + 1) * K * K]);
        conv_plane::<K, FMA>(&plane, taps, bias[c], win, dst);
    }
}

/// The `K*K` filter taps in a fixed-size array (zeros beyond), so loops over them unroll.
#[inline(always)]
fn pad_taps<const K: usize>(w: &[f32]) -> [f32; 25] {
    let mut taps = [0f32; 25];
    taps[..K * K].copy_from_slice(w);
    taps
}

/// One output plane of the depthwise convolution of `plane` with `taps` plus `bias`.
#[inline(always)]
fn conv_plane<const K: usize, const FMA: bool>(
    plane: &PhasePlane,
    taps: &[f32; 25],
    bias: f32,
    win: &Window,
    out: &mut [f32],
) {
    let (ow, s) = (win.cols.out, win.stride);
    // Where each kernel column starts within a phase-split row, hoisted out of the loops.
    let columns: [usize; K] = std::array::from_fn(|kx| plane.column(kx));
    for (oy, orow) in out.chunks_exact_mut(ow).enumerate() {
        let rows: [&[f32]; K] = std::array::from_fn(|ky| plane.row(oy * s + ky));
        let mut ox = 0;
        while ox + 16 <= ow {
            let acc = taps_at::<K, 16, FMA>(&rows, taps, bias, &columns, ox);
            orow[ox..ox + 16].copy_from_slice(&acc);
            ox += 16;
        }
        while ox + 8 <= ow {
            let acc = taps_at::<K, 8, FMA>(&rows, taps, bias, &columns, ox);
            orow[ox..ox + 8].copy_from_slice(&acc);
            ox += 8;
        }
        while ox + 4 <= ow {
            let acc = taps_at::<K, 4, FMA>(&rows, taps, bias, &columns, ox);
            orow[ox..ox + 4].copy_from_slice(&acc);
            ox += 4;
        }
        while ox < ow {
            orow[ox] = taps_at::<K, 1, FMA>(&rows, taps, bias, &columns, ox)[0];
            ox += 1;
        }
    }
}

/// `L` consecutive outputs starting at column `ox`, summed over all taps in registers: one
/// accumulator per kernel row, so the `K` multiply-add chains run in parallel.
#[inline(always)]
fn taps_at<const K: usize, const L: usize, const FMA: bool>(
    rows: &[&[f32]; K],
    taps: &[f32; 25],
    bias: f32,
    columns: &[usize; K],
    ox: usize,
) -> [f32; L] {
    let mut acc = [[0f32; L]; K];
    for (ky, (row, acc)) in rows.iter().zip(acc.iter_mut()).enumerate() {
        for (kx, &column) in columns.iter().enumerate() {
            let tap = taps[ky * K + kx];
            let src: &[f32; L] = row[column + ox..column + ox + L]
                .try_into()
                .expect("L inputs");
            for l in 0..L {
                acc[l] = madd::<FMA>(tap, src[l], acc[l]);
            }
        }
    }
    let mut sum = [bias; L];
    for row_acc in &acc {
        for l in 0..L {
            sum[l] += row_acc[l];
        }
    }
    sum
}

/// A zero-padded copy of one input plane whose rows are split into `stride` phases: padded
/// column `p` lives at `(p % stride) * phase_len + p / stride`, so the inputs of consecutive
/// outputs for one kernel tap are contiguous for any stride.
pub(crate) struct PhasePlane {
    data: Vec<f32>,
    stride: usize,
    phase_len: usize,
    row_len: usize,
    top: usize,
    left: usize,
    width: usize,
}

impl PhasePlane {
    /// Scratch space for planes of the window's input size.
    pub(super) fn new(win: &Window) -> Self {
        let phase_len = win.cols.padded().div_ceil(win.stride);
        let row_len = phase_len * win.stride;
        PhasePlane {
            data: vec![0.0; row_len * win.rows.padded()],
            stride: win.stride,
            phase_len,
            row_len,
            top: win.rows.before,
            left: win.cols.before,
            width: win.cols.len,
        }
    }

    /// Copies `src` (one `H*W` plane) in; the padding stays zero.
    pub(super) fn fill(&mut self, src: &[f32]) {
        for (y, src_row) in src.chunks_exact(self.width).enumerate() {
            let row = &mut self.data[(y + self.top) * self.row_len..][..self.row_len];
            if self.stride == 1 {
                row[self.left..self.left + self.width].copy_from_slice(src_row);
                continue;
            }
            if self.stride == 2 {
                split_pairs(row, self.phase_len, self.left, src_row);
                continue;
            }
            // Phase `ph` holds padded columns ph, ph + s, …: the inputs from the first x with
            // (x + left) % s == ph, every s-th (no division per element).
            for ph in 0..self.stride {
                let first = (ph + self.stride - self.left % self.stride) % self.stride;
                let start = ph * self.phase_len + (first + self.left) / self.stride;
                let count = (self.width - first.min(self.width)).div_ceil(self.stride);
                let dst = &mut row[start..start + count];
                for (j, d) in dst.iter_mut().enumerate() {
                    *d = src_row[first + j * self.stride];
                }
            }
        }
    }

    /// Padded row `y` (all phases).
    #[inline(always)]
    pub(super) fn row(&self, y: usize) -> &[f32] {
        &self.data[y * self.row_len..(y + 1) * self.row_len]
    }

    /// Offset within a row of the input read by output column 0 for kernel column `kx`; output
    /// column `ox` reads `offset + ox`.
    #[inline(always)]
    pub(super) fn column(&self, kx: usize) -> usize {
        (kx % self.stride) * self.phase_len + kx / self.stride
    }
}

/// Stride-2 fill of one padded row: even padded columns to the first phase, odd ones to the
/// second, in pairs so the loop vectorises as a de-interleave.
fn split_pairs(row: &mut [f32], phase_len: usize, left: usize, src: &[f32]) {
    let (phase0, phase1) = row.split_at_mut(phase_len);
    // Input x sits at padded column x + left: with `left` even, even inputs are even columns.
    let (even_dst, odd_dst) = if left.is_multiple_of(2) {
        (&mut phase0[left / 2..], &mut phase1[left / 2..])
    } else {
        (&mut phase1[left / 2..], &mut phase0[left.div_ceil(2)..])
    };
    for ((e, o), pair) in even_dst
        .iter_mut()
        .zip(odd_dst.iter_mut())
        .zip(src.chunks_exact(2))
    {
        *e = pair[0];
        *o = pair[1];
    }
    if src.len() % 2 == 1 {
        even_dst[src.len() / 2] = src[src.len() - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The portable build (what a CPU without AVX2 runs) against the dispatched one, for both
    /// kernel sizes and strides on an odd-sized plane pair.
    #[test]
    fn portable_build_matches_dispatched() {
        for (k, stride) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
            let win = Window::new("test", (13, 21), k, stride, Padding::Same).unwrap();
            let x: Vec<f32> = (0..2 * 13 * 21)
                .map(|v| ((v * 7) % 11) as f32 - 5.0)
                .collect();
            let w: Vec<f32> = (0..2 * k * k)
                .map(|v| ((v * 3) % 5) as f32 * 0.25)
                .collect();
            let b = [0.5, -1.5];
            let mut fast = vec![0f32; 2 * win.out_area()];
            let mut portable = fast.clone();
            depthwise_planes(&x, &w, &b, &win, &mut fast);
            match k {
                3 => depthwise_planes_body::<3, false>(&x, &w, &b, &win, &mut portable),
                _ => depthwise_planes_body::<5, false>(&x, &w, &b, &win, &mut portable),
            }
            for (f, p) in fast.iter().zip(&portable) {
                assert!(
                    (f - p).abs() <= 1e-5 * p.abs().max(1.0),
                    "k{k} s{stride}: {f} vs {p}"
                );
            }
        }
    }
}
