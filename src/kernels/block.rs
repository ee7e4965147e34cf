//! The residual block both MediaPipe face networks are built from, fused into one pass:
//! depthwise 3x3 (SAME) → 1x1 conv → + skip (max-pooled at stride 2, channel-padded) → activation.

use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use super::depthwise::depthwise_planes;
use super::geometry::{Padding, Window};
use super::matmul::matmul_acc;
use super::pool::max_pool_planes;
use super::stock;
use super::storage::{f32_slice, fast_path, nchw, storage_f32};

/// The weights of one block, borrowed from the network's layers.
#[derive(Debug, Clone, Copy)]
pub struct BlockWeights<'a> {
    /// Depthwise filters `[Cin, 1, k, k]`, k = 3 or 5.
    pub dw_weight: &'a Tensor,
    /// Depthwise bias `[Cin]`.
    pub dw_bias: &'a Tensor,
    /// Pointwise weights `[Cout, Cin, 1, 1]`, `Cout >= Cin`.
    pub pw_weight: &'a Tensor,
    /// Pointwise bias `[Cout]`.
    pub pw_bias: &'a Tensor,
}

/// The activation that ends a block.
#[derive(Debug, Clone, Copy)]
pub enum BlockActivation<'a> {
    /// `max(x, 0)` (BlazeFace detectors).
    Relu,
    /// PReLU with one slope per output channel (`Cout` values, any shape; face mesh).
    PRelu(&'a Tensor),
}

/// A BlazeBlock on `x` `[N, Cin, H, W]`: `act(pointwise(depthwise(x)) + pad_channels(skip))`
/// where the skip is `x` at stride 1 and its 2x2 max pool at stride 2, and the depthwise uses
/// TFLite SAME padding. One fused kernel on the fast path, else [`stock::blaze_block`].
pub fn blaze_block(
    x: &Tensor,
    weights: BlockWeights<'_>,
    stride: usize,
    act: BlockActivation<'_>,
) -> Result<Tensor> {
    let (_, cin, _, _) = nchw("blaze_block", x)?;
    let k = match weights.dw_weight.dims() {
        &[c, 1, kh, kw] if c == cin && kh == kw && (kh == 3 || kh == 5) => kh,
        dims => bail!("blaze_block: depthwise filters {dims:?} are not [{cin}, 1, 3|5, 3|5]"),
    };
    let cout = match weights.pw_weight.dims() {
        &[o, i, 1, 1] if i == cin && o >= cin => o,
        dims => {
            bail!("blaze_block: pointwise weights {dims:?} are not [Cout >= {cin}, {cin}, 1, 1]")
        }
    };
    if weights.dw_bias.dims() != [cin] || weights.pw_bias.dims() != [cout] {
        bail!(
            "blaze_block: biases {:?} and {:?} do not match {cin} -> {cout} channels",
            weights.dw_bias.dims(),
            weights.pw_bias.dims()
        );
    }
    if !(stride == 1 || stride == 2) {
        bail!("blaze_block: stride {stride} is not 1 or 2");
    }
    let slope = match act {
        BlockActivation::PRelu(s) if s.elem_count() != cout => {
            bail!(
                "blaze_block: {} PReLU slopes for {cout} channels",
                s.elem_count()
            )
        }
        BlockActivation::PRelu(s) => Some(s.flatten_all()?.contiguous()?),
        BlockActivation::Relu => None,
    };
    let all = [
        x,
        weights.dw_weight,
        weights.dw_bias,
        weights.pw_weight,
        weights.pw_bias,
    ];
    if !(fast_path(&all) && slope.as_ref().is_none_or(|s| fast_path(&[s]))) {
        return stock::blaze_block(x, weights, stride, act);
    }
    let weights = BlockWeights {
        dw_weight: &weights.dw_weight.contiguous()?,
        dw_bias: &weights.dw_bias.contiguous()?,
        pw_weight: &weights.pw_weight.contiguous()?,
        pw_bias: &weights.pw_bias.contiguous()?,
    };
    x.contiguous()?.apply_op1_no_bwd(&FusedBlock {
        weights,
        slope: slope.as_ref(),
        k,
        stride,
    })
}

thread_local! {
    /// The depthwise output of the block being computed, reused across calls on a thread.
    static DW_SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The fused kernel behind [`blaze_block`]; reads its weights straight from their storage.
struct FusedBlock<'a> {
    weights: BlockWeights<'a>,
    slope: Option<&'a Tensor>,
    k: usize,
    stride: usize,
}

impl CustomOp1 for FusedBlock<'_> {
    fn name(&self) -> &'static str {
        "sfumato-blaze-block"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let op = self.name();
        let (n, cin, h, w) = xl.shape().dims4()?;
        let win = Window::new(op, (h, w), self.k, self.stride, Padding::Same)?;
        let pool = Window::new(op, (h, w), 2, 2, Padding::Same)?;
        let x = f32_slice(op, xs, xl)?;
        let (dw_ws, dw_wl) = self.weights.dw_weight.storage_and_layout();
        let (dw_bs, dw_bl) = self.weights.dw_bias.storage_and_layout();
        let (pw_ws, pw_wl) = self.weights.pw_weight.storage_and_layout();
        let (pw_bs, pw_bl) = self.weights.pw_bias.storage_and_layout();
        let dw_w = storage_f32(op, &dw_ws, dw_wl)?;
        let dw_b = storage_f32(op, &dw_bs, dw_bl)?;
        let pw_w = storage_f32(op, &pw_ws, pw_wl)?;
        let pw_b = storage_f32(op, &pw_bs, pw_bl)?;
        let slope_storage = self.slope.map(|s| s.storage_and_layout());
        let slope = match &slope_storage {
            Some((s, l)) => Some(storage_f32(op, s, l)?),
            None => None,
        };
        let (cout, area) = (pw_b.len(), win.out_area());
        // ReLU is PReLU with zero slopes; either is applied as the product is stored.
        let relu_slopes;
        let slopes = match slope {
            Some(s) => s,
            None => {
                relu_slopes = vec![0f32; cout];
                &relu_slopes
            }
        };
        let mut out = Vec::with_capacity(n * cout * area);
        DW_SCRATCH.with_borrow_mut(|dw| {
            dw.resize(cin * area, 0.0);
            for src in x.chunks_exact(cin * h * w) {
                depthwise_planes(src, dw_w, dw_b, &win, dw);
                // Bias plus the skip (max-pooled at stride 2) on the first `cin` channels.
                let start = out.len();
                for (c, &b) in pw_b.iter().enumerate() {
                    if c < cin && self.stride == 1 {
                        out.extend(src[c * area..(c + 1) * area].iter().map(|v| v + b));
                    } else {
                        out.extend(std::iter::repeat_n(b, area));
                    }
                }
                let dst = &mut out[start..];
                if self.stride == 2 {
                    max_pool_planes(src, &pool, &mut dst[..cin * area], |o, max| o + max);
                }
                matmul_acc(dst, pw_w, dw, (cout, area, cin), Some(slopes));
            }
        });
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, cout, win.rows.out, win.cols.out)),
        ))
    }
}
