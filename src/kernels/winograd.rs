//! Winograd F(4x4, 3x3) convolution (Lavin & Gray, 2016) for the stride-1 "same" 3x3
//! convolutions that make up nearly all of the inpainting network's work: each 6x6 input tile
//! is transformed (`B^T d B`), multiplied element-wise by the transformed filter (`G g G^T`,
//! computed once per layer) and transformed back (`A^T m A`) into a 4x4 output tile. The
//! element-wise products over all channels are 36 matrix products, 4x fewer multiplies than a
//! direct convolution; the result differs from it by f32 rounding only (~1e-6 relative).
//!
//! Work is split into bands of tile rows, one band per task, each with its own transforms and
//! single-threaded matrix products, so two threads share a layer without synchronising inside
//! it. The transforms run over whole tile rows at once (the input rows are de-interleaved by
//! column phase so every tile's six columns are contiguous slices) and are compiled for AVX-512,
//! AVX2+FMA and baseline x86-64.

use super::simd::dispatch_fma;
use rayon::prelude::*;
use std::cell::RefCell;

/// Side of an output tile.
const OUT: usize = 4;
/// Side of an input tile (OUT + 3 - 1).
const TILE: usize = 6;
/// Points of a transformed tile: one matrix product each.
const POINTS: usize = TILE * TILE;
/// Tiles a band aims at: enough columns for efficient matrix products, small enough that a
/// band's transformed input stays near the cache.
const BAND_TILES: usize = 64;

/// The filter transform `G` (6x3) of F(4x4, 3x3).
const G: [[f64; 3]; TILE] = [
    [1.0 / 4.0, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];

/// Transforms 3x3 filters `(cout, cin, 3, 3)` into the layout the products read:
/// `(36, cout, cin)`, point `i * 6 + j` holding `(G g G^T)[i][j]` (computed in f64).
pub(crate) fn transform_filters(weight: &[f32], cout: usize, cin: usize) -> Vec<f32> {
    let mut u = vec![0f32; POINTS * cout * cin];
    let plane = cout * cin;
    for (pair, g) in weight.chunks_exact(9).enumerate() {
        // gg = G g (6x3), then (G g) G^T (6x6).
        let mut gg = [[0f64; 3]; TILE];
        for (i, row) in gg.iter_mut().enumerate() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = (0..3).map(|r| G[i][r] * g[r * 3 + c] as f64).sum();
            }
        }
        for i in 0..TILE {
            for j in 0..TILE {
                let v: f64 = (0..3).map(|c| gg[i][c] * G[j][c]).sum();
                u[(i * TILE + j) * plane + pair] = v as f32;
            }
        }
    }
    u
}

/// Per-thread buffers of one band, kept between calls.
#[derive(Default)]
struct Scratch {
    /// Transformed input, (36, cin, tiles).
    v: Vec<f32>,
    /// Products, (36, cout, tiles).
    m: Vec<f32>,
    /// Six de-interleaved input rows, then their vertical transforms, then one padded row.
    rows: Vec<f32>,
    /// Horizontal output transforms of one tile row (6 x 4 x tiles_x), then its four output
    /// rows (4 x 4 x tiles_x).
    out_rows: Vec<f32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Raw pointer to an output buffer shared by parallel tasks that each write their own rows.
#[derive(Clone, Copy)]
pub(crate) struct OutPtr(pub(crate) *mut f32);
// SAFETY: the tasks sharing it write disjoint rows (see `OutPtr::row`).
unsafe impl Send for OutPtr {}
// SAFETY: as above.
unsafe impl Sync for OutPtr {}

impl OutPtr {
    /// Row `index` (of `width` values) of the buffer.
    ///
    /// # Safety
    /// The row must lie inside the buffer, which must outlive the slice, and no other task may
    /// access it meanwhile.
    pub(crate) unsafe fn row<'a>(self, index: usize, width: usize) -> &'a mut [f32] {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts_mut(self.0.add(index * width), width) }
    }
}

/// Shapes of one convolution.
#[derive(Clone, Copy)]
struct Dims {
    cin: usize,
    cout: usize,
    h: usize,
    w: usize,
    tiles_x: usize,
    /// log2 of the nearest-neighbour upsampling applied to the input first (0 or 1).
    up: u32,
}

/// 3x3 convolution, stride 1, zero padding 1, plus bias, of one image `input` (cin, h, w) with
/// filters transformed by [`transform_filters`]; writes `out` (cout, h, w). With `upsample`,
/// `input` is (cin, h/2, w/2) and is first enlarged 2x by nearest neighbour (PyTorch's
/// `Upsample(scale_factor=2)`), without materialising the enlarged map. Uses `threads` rayon
/// tasks at most.
pub(crate) fn conv3x3(
    input: &[f32],
    filters: &[f32],
    bias: &[f32],
    (cin, cout, h, w): (usize, usize, usize, usize),
    upsample: bool,
    threads: usize,
    out: &mut [f32],
) {
    let up = u32::from(upsample);
    assert!(h % (1 << up) == 0 && w % (1 << up) == 0);
    assert_eq!(input.len(), cin * (h >> up) * (w >> up));
    assert_eq!(filters.len(), POINTS * cout * cin);
    assert_eq!(bias.len(), cout);
    assert_eq!(out.len(), cout * h * w);
    let tiles_x = w.div_ceil(OUT);
    let tiles_y = h.div_ceil(OUT);
    let band = (BAND_TILES / tiles_x)
        .clamp(1, tiles_y)
        .min(tiles_y.div_ceil(threads.max(1)));
    let dims = Dims {
        cin,
        cout,
        h,
        w,
        tiles_x,
        up,
    };
    let dst = OutPtr(out.as_mut_ptr());
    let run = |ty0: usize| {
        let rows = band.min(tiles_y - ty0);
        SCRATCH.with_borrow_mut(|s| conv_band(input, filters, bias, dims, ty0, rows, s, dst));
    };
    if threads > 1 {
        (0..tiles_y).into_par_iter().step_by(band).for_each(run);
    } else {
        (0..tiles_y).step_by(band).for_each(run);
    }
}

/// Grows `buf` to at least `len` elements.
fn reserve(buf: &mut Vec<f32>, len: usize) {
    if buf.len() < len {
        buf.resize(len, 0.0);
    }
}

/// Tile rows `ty0 .. ty0 + rows` of every output plane.
#[allow(clippy::too_many_arguments)]
fn conv_band(
    input: &[f32],
    filters: &[f32],
    bias: &[f32],
    d: Dims,
    ty0: usize,
    rows: usize,
    s: &mut Scratch,
    dst: OutPtr,
) {
    let tiles = rows * d.tiles_x;
    let phase_len = d.tiles_x + 1;
    reserve(&mut s.v, POINTS * d.cin * tiles);
    reserve(&mut s.m, POINTS * d.cout * tiles);
    reserve(&mut s.rows, (2 * TILE + 1) * OUT * phase_len);
    reserve(&mut s.out_rows, (TILE + OUT) * OUT * d.tiles_x);
    let (v, m) = (
        &mut s.v[..POINTS * d.cin * tiles],
        &mut s.m[..POINTS * d.cout * tiles],
    );

    let area = (d.h >> d.up) * (d.w >> d.up);
    for ci in 0..d.cin {
        let plane = &input[ci * area..(ci + 1) * area];
        for r in 0..rows {
            let (raw, rest) = s.rows.split_at_mut(TILE * OUT * phase_len);
            let (vert, line) = rest.split_at_mut(TILE * OUT * phase_len);
            load_rows(plane, d, 4 * (ty0 + r), raw, phase_len, line);
            vertical_input(raw, &mut vert[..TILE * OUT * phase_len]);
            let at = ci * tiles + r * d.tiles_x;
            horizontal_input(
                &vert[..TILE * OUT * phase_len],
                v,
                d.cin * tiles,
                at,
                phase_len,
            );
        }
    }

    for p in 0..POINTS {
        // m[p] (cout x tiles) = filters[p] (cout x cin) * v[p] (cin x tiles)
        // SAFETY: the pointers cover the dimensions and strides passed.
        unsafe {
            gemm::gemm(
                d.cout,
                tiles,
                d.cin,
                m.as_mut_ptr().add(p * d.cout * tiles),
                1,
                tiles as isize,
                false,
                filters.as_ptr().add(p * d.cout * d.cin),
                1,
                d.cin as isize,
                v.as_ptr().add(p * d.cin * tiles),
                1,
                tiles as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }

    for (co, &b) in bias.iter().enumerate() {
        for r in 0..rows {
            let y0 = 4 * (ty0 + r);
            let at = co * tiles + r * d.tiles_x;
            let (horiz, lines) = s.out_rows.split_at_mut(TILE * OUT * d.tiles_x);
            let lines = &mut lines[..OUT * OUT * d.tiles_x];
            horizontal_output(m, d.cout * tiles, at, d.tiles_x, horiz);
            vertical_output(horiz, b, d.tiles_x, lines);
            for (py, line) in lines
                .chunks_exact(OUT * d.tiles_x)
                .take(d.h - y0)
                .enumerate()
            {
                // SAFETY: row y0 + py of plane co lies inside `out` and belongs to this band.
                let row = unsafe { dst.row(co * d.h + y0 + py, d.w) };
                interleave(line, d.tiles_x, row);
            }
        }
    }
}

/// Copies rows `y0 - 1 .. y0 + 5` of the (upsampled) input, zeros outside the image, into six
/// rows of `raw`, each de-interleaved by column phase: padded column `x + 1` goes to
/// `phase * phase_len + (x+1)/4`. `line` holds one padded row on the way.
fn load_rows(
    plane: &[f32],
    d: Dims,
    y0: usize,
    raw: &mut [f32],
    phase_len: usize,
    line: &mut [f32],
) {
    let src_w = d.w >> d.up;
    let line = &mut line[..OUT * phase_len];
    line.fill(0.0);
    for (k, dst) in raw.chunks_exact_mut(OUT * phase_len).enumerate() {
        let y = (y0 + k) as isize - 1;
        if y < 0 || y >= d.h as isize {
            dst.fill(0.0);
            continue;
        }
        let sy = y as usize >> d.up;
        let src = &plane[sy * src_w..(sy + 1) * src_w];
        if d.up == 0 {
            line[1..=d.w].copy_from_slice(src);
        } else {
            for (pair, &v) in line[1..=d.w].chunks_exact_mut(2).zip(src) {
                pair.fill(v);
            }
        }
        let (p0, rest) = dst.split_at_mut(phase_len);
        let (p1, rest) = rest.split_at_mut(phase_len);
        let (p2, p3) = rest.split_at_mut(phase_len);
        for ((((quad, a), b), c), e) in line.chunks_exact(OUT).zip(p0).zip(p1).zip(p2).zip(p3) {
            (*a, *b, *c, *e) = (quad[0], quad[1], quad[2], quad[3]);
        }
    }
}

dispatch_fma! {
    /// `B^T` applied down the six loaded rows, element-wise over whole rows.
    fn vertical_input[](raw: &[f32], vert: &mut [f32]) => vertical_input_body[]
}

#[inline(always)]
fn vertical_input_body<const FMA: bool>(raw: &[f32], vert: &mut [f32]) {
    let n = raw.len() / TILE;
    let rows = std::array::from_fn(|k| &raw[k * n..][..n]);
    b_t_lines(rows, lines_mut(vert, n, n), n);
}

/// Six lines of `n` values, `stride` apart, of `buf`.
fn lines_mut(buf: &mut [f32], stride: usize, n: usize) -> [&mut [f32]; TILE] {
    let mut lines: [&mut [f32]; TILE] = Default::default();
    let mut rest = buf;
    for (j, slot) in lines.iter_mut().enumerate() {
        let (head, tail) = rest.split_at_mut(if j + 1 < TILE { stride } else { n });
        *slot = &mut head[..n];
        rest = tail;
    }
    lines
}

/// `B^T` of F(4x4, 3x3) applied element-wise across six lines of `n` values.
#[inline(always)]
fn b_t_lines(d: [&[f32]; TILE], o: [&mut [f32]; TILE], n: usize) {
    let [d0, d1, d2, d3, d4, d5] = d;
    let [o0, o1, o2, o3, o4, o5] = o;
    // An explicit bound below every length lets the loop vectorise without bounds checks.
    let n = n.min(d0.len()).min(d1.len()).min(d2.len()).min(d3.len());
    let n = n.min(d4.len()).min(d5.len()).min(o0.len()).min(o1.len());
    let n = n.min(o2.len()).min(o3.len()).min(o4.len()).min(o5.len());
    for x in 0..n {
        let t0 = d4[x] - 4.0 * d2[x];
        let t1 = d3[x] - 4.0 * d1[x];
        let t2 = d4[x] - d2[x];
        let t3 = 2.0 * (d3[x] - d1[x]);
        o0[x] = 4.0 * d0[x] - 5.0 * d2[x] + d4[x];
        o1[x] = t0 + t1;
        o2[x] = t0 - t1;
        o3[x] = t2 + t3;
        o4[x] = t2 - t3;
        o5[x] = 4.0 * d1[x] - 5.0 * d3[x] + d5[x];
    }
}

dispatch_fma! {
    /// `B^T` applied across each tile's six columns of the vertically transformed rows; writes
    /// point `i * 6 + j` of tile `at + tx` to `v[(i*6+j) * stride + at + tx]`.
    fn horizontal_input[](vert: &[f32], v: &mut [f32], stride: usize, at: usize, phase_len: usize) => horizontal_input_body[]
}

#[inline(always)]
fn horizontal_input_body<const FMA: bool>(
    vert: &[f32],
    v: &mut [f32],
    stride: usize,
    at: usize,
    phase_len: usize,
) {
    let n = phase_len - 1;
    for (i, row) in vert.chunks_exact(OUT * phase_len).enumerate() {
        let ph = |p: usize, shift: usize| &row[p * phase_len + shift..][..n];
        let cols = [ph(0, 0), ph(1, 0), ph(2, 0), ph(3, 0), ph(0, 1), ph(1, 1)];
        b_t_lines(
            cols,
            lines_mut(&mut v[i * TILE * stride + at..], stride, n),
            n,
        );
    }
}

/// `A^T` of F(4x4, 3x3) applied to one line of six values.
#[inline(always)]
fn a_t(m0: f32, m1: f32, m2: f32, m3: f32, m4: f32, m5: f32) -> [f32; OUT] {
    let (s12, d12) = (m1 + m2, m1 - m2);
    let (s34, d34) = (m3 + m4, m3 - m4);
    [
        m0 + s12 + s34,
        d12 + 2.0 * d34,
        s12 + 4.0 * s34,
        d12 + 8.0 * d34 + m5,
    ]
}

dispatch_fma! {
    /// `A^T` across the six columns of each product row for one tile row of one output
    /// channel: `horiz[(i * 4 + q) * tiles_x + tx]`.
    fn horizontal_output[](m: &[f32], stride: usize, at: usize, tiles_x: usize, horiz: &mut [f32]) => horizontal_output_body[]
}

#[inline(always)]
fn horizontal_output_body<const FMA: bool>(
    m: &[f32],
    stride: usize,
    at: usize,
    tiles_x: usize,
    horiz: &mut [f32],
) {
    let n = tiles_x;
    for (i, out) in horiz.chunks_exact_mut(OUT * n).enumerate() {
        let col = |j: usize| &m[(i * TILE + j) * stride + at..][..n];
        let [c0, c1, c2, c3, c4, c5] = [col(0), col(1), col(2), col(3), col(4), col(5)];
        let (o0, rest) = out.split_at_mut(n);
        let (o1, rest) = rest.split_at_mut(n);
        let (o2, o3) = rest.split_at_mut(n);
        // See `b_t_lines`.
        let n = n.min(c0.len()).min(c1.len()).min(c2.len()).min(c3.len());
        let n = n.min(c4.len()).min(c5.len()).min(o0.len()).min(o1.len());
        let n = n.min(o2.len()).min(o3.len());
        for x in 0..n {
            let r = a_t(c0[x], c1[x], c2[x], c3[x], c4[x], c5[x]);
            o0[x] = r[0];
            o1[x] = r[1];
            o2[x] = r[2];
            o3[x] = r[3];
        }
    }
}

dispatch_fma! {
    /// `A^T` down the six horizontal results of one tile row, plus bias: output row `py`,
    /// column `4 * tx + q` goes to `lines[(py * 4 + q) * tiles_x + tx]`.
    fn vertical_output[](horiz: &[f32], bias: f32, tiles_x: usize, lines: &mut [f32]) => vertical_output_body[]
}

#[inline(always)]
fn vertical_output_body<const FMA: bool>(
    horiz: &[f32],
    bias: f32,
    tiles_x: usize,
    lines: &mut [f32],
) {
    let n = tiles_x;
    let (l0, rest) = lines.split_at_mut(OUT * n);
    let (l1, rest) = rest.split_at_mut(OUT * n);
    let (l2, l3) = rest.split_at_mut(OUT * n);
    for q in 0..OUT {
        let h = |i: usize| &horiz[(i * OUT + q) * n..][..n];
        let [h0, h1, h2, h3, h4, h5] = [h(0), h(1), h(2), h(3), h(4), h(5)];
        let (o0, o1) = (&mut l0[q * n..][..n], &mut l1[q * n..][..n]);
        let (o2, o3) = (&mut l2[q * n..][..n], &mut l3[q * n..][..n]);
        // See `b_t_lines`.
        let m = n.min(h0.len()).min(h1.len()).min(h2.len()).min(h3.len());
        let m = m.min(h4.len()).min(h5.len()).min(o0.len()).min(o1.len());
        let m = m.min(o2.len()).min(o3.len());
        for x in 0..m {
            let r = a_t(h0[x], h1[x], h2[x], h3[x], h4[x], h5[x]);
            o0[x] = r[0] + bias;
            o1[x] = r[1] + bias;
            o2[x] = r[2] + bias;
            o3[x] = r[3] + bias;
        }
    }
}

/// Writes `line[q * tiles_x + tx]` to `row[4 * tx + q]`, dropping columns past the row's end.
fn interleave(line: &[f32], tiles_x: usize, row: &mut [f32]) {
    let q: [&[f32]; OUT] = std::array::from_fn(|q| &line[q * tiles_x..][..tiles_x]);
    let full = row.len() / OUT;
    let mut quads = row.chunks_exact_mut(OUT);
    for (tx, o) in (&mut quads).enumerate() {
        o.copy_from_slice(&[q[0][tx], q[1][tx], q[2][tx], q[3][tx]]);
    }
    for (qi, o) in quads.into_remainder().iter_mut().enumerate() {
        *o = q[qi][full];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Result, Tensor};

    #[test]
    fn matches_candle_conv2d() -> Result<()> {
        let dev = Device::Cpu;
        for (cin, cout, h, w, upsample, threads) in [
            (3, 5, 9, 11, false, 1),
            (16, 8, 8, 8, false, 2),
            (7, 33, 13, 6, false, 2),
            (4, 4, 1, 2, false, 1),
            (32, 24, 37, 29, false, 3),
            (6, 9, 14, 10, true, 2),
            (5, 3, 2, 2, true, 1),
        ] {
            let up = if upsample { 2 } else { 1 };
            let small = Tensor::randn(0f32, 1.0, (cin, h / up, w / up), &dev)?;
            let x = small.unsqueeze(0)?.upsample_nearest2d(h, w)?.squeeze(0)?;
            let weight = Tensor::randn(0f32, 1.0, (cout, cin, 3, 3), &dev)?;
            let bias = Tensor::randn(0f32, 1.0, cout, &dev)?;
            let filters = transform_filters(&weight.flatten_all()?.to_vec1()?, cout, cin);
            let mut out = vec![f32::NAN; cout * h * w];
            conv3x3(
                &small.flatten_all()?.to_vec1()?,
                &filters,
                &bias.to_vec1()?,
                (cin, cout, h, w),
                upsample,
                threads,
                &mut out,
            );
            let want = x
                .unsqueeze(0)?
                .conv2d(&weight, 1, 1, 1, 1)?
                .broadcast_add(&bias.reshape((1, cout, 1, 1))?)?
                .flatten_all()?
                .to_vec1::<f32>()?;
            let scale = want.iter().fold(0f32, |a, v| a.max(v.abs()));
            let diff = out
                .iter()
                .zip(&want)
                .fold(0f32, |a, (o, t)| a.max((o - t).abs()));
            // Winograd rounds differently from a direct sum: relative error ~1e-6.
            assert!(
                diff <= 1e-5 * scale.max(1.0),
                "{cin}x{h}x{w}: {diff} (scale {scale})"
            );
        }
        Ok(())
    }
}
