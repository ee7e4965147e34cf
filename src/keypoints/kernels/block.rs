//! The residual block both MediaPipe face networks are built from, fused into one pass:
//! depthwise 3x3 (SAME) → 1x1 conv → + skip (max-pooled at stride 2, channel-padded) → activation.

use candle_core::{bail, CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use super::depthwise::depthwise_planes;
use super::elementwise::{add_in_place, prelu_planes, relu_in_place};
use super::geometry::{Padding, Window};
use super::matmul::{fill_bias, matmul_acc};
use super::pool::max_pool_planes;
use super::stock;
use super::storage::{f32_slice, fast_path, nchw, to_f32_vec};

/// The activation that ends a block.
#[derive(Debug, Clone)]
pub enum Activation {
    /// `max(x, 0)` (BlazeFace detectors).
    Relu,
    /// Per-channel PReLU with one slope per output channel (face mesh).
    PRelu(Tensor),
}

/// A BlazeBlock: `act(pointwise(depthwise(x)) + pad_channels(skip(x)))` where `skip` is the
/// identity at stride 1 and a 2x2 max pool at stride 2, and the depthwise uses TFLite SAME
/// padding. Built once from the layer's weights; [`BlazeBlock::forward`] runs the fused CPU
/// kernel, [`BlazeBlock::forward_stock`] the stock candle composition.
#[derive(Debug, Clone)]
pub struct BlazeBlock {
    dw_w: Tensor,
    dw_b: Tensor,
    pw_w: Tensor,
    pw_b: Tensor,
    act: Activation,
    fused: Fused,
}

impl BlazeBlock {
    /// A block from depthwise filters `[Cin, 1, k, k]` and bias `[Cin]`, pointwise weights
    /// `[Cout, Cin, 1, 1]` and bias `[Cout]` (`Cout >= Cin`), `stride` 1 or 2, activation `act`.
    pub fn new(
        dw_w: Tensor,
        dw_b: Tensor,
        pw_w: Tensor,
        pw_b: Tensor,
        stride: usize,
        act: Activation,
    ) -> Result<Self> {
        let (cin, k) = match dw_w.dims() {
            &[c, 1, kh, kw] if kh == kw && (kh == 3 || kh == 5) => (c, kh),
            dims => bail!("BlazeBlock: depthwise filters {dims:?} are not [C, 1, 3|5, 3|5]"),
        };
        let cout = match pw_w.dims() {
            &[o, i, 1, 1] if i == cin && o >= cin => o,
            dims => {
                bail!("BlazeBlock: pointwise weights {dims:?} are not [Cout >= {cin}, {cin}, 1, 1]")
            }
        };
        if dw_b.dims() != [cin] || pw_b.dims() != [cout] {
            bail!(
                "BlazeBlock: biases {:?} and {:?} do not match {cin} -> {cout} channels",
                dw_b.dims(),
                pw_b.dims()
            );
        }
        if !(stride == 1 || stride == 2) {
            bail!("BlazeBlock: stride {stride} is not 1 or 2");
        }
        let slope = match &act {
            Activation::Relu => None,
            Activation::PRelu(s) if s.elem_count() == cout => Some(to_f32_vec(s)?),
            Activation::PRelu(s) => bail!(
                "BlazeBlock: {} PReLU slopes for {cout} channels",
                s.elem_count()
            ),
        };
        let fused = Fused {
            k,
            stride,
            cin,
            cout,
            dw_w: to_f32_vec(&dw_w)?,
            dw_b: to_f32_vec(&dw_b)?,
            pw_w: to_f32_vec(&pw_w)?,
            pw_b: to_f32_vec(&pw_b)?,
            slope,
        };
        Ok(BlazeBlock {
            dw_w,
            dw_b,
            pw_w,
            pw_b,
            act,
            fused,
        })
    }

    /// Runs the block on `x` `[N, Cin, H, W]`: fused CPU kernel for `f32` on the CPU, else the
    /// stock composition.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (_, c, _, _) = nchw("BlazeBlock", x)?;
        if c != self.fused.cin {
            bail!(
                "BlazeBlock: input has {c} channels, the block expects {}",
                self.fused.cin
            );
        }
        if !fast_path(&[x]) {
            return self.forward_stock(x);
        }
        x.contiguous()?.apply_op1_no_bwd(&self.fused)
    }

    /// Runs the block as a composition of stock candle ops (the reference in parity tests).
    pub fn forward_stock(&self, x: &Tensor) -> Result<Tensor> {
        let stride = self.fused.stride;
        let y = stock::depthwise(x, &self.dw_w, &self.dw_b, stride, Padding::Same)?;
        let y = stock::pointwise(&y, &self.pw_w, &self.pw_b)?;
        let skip = match stride {
            1 => x.clone(),
            _ => stock::max_pool2(x, Padding::Same)?,
        };
        let y = stock::add_padded(&y, &skip)?;
        match &self.act {
            Activation::Relu => y.relu(),
            Activation::PRelu(slope) => stock::prelu(&y, &slope.flatten_all()?),
        }
    }
}

/// The fused kernel, with its weights copied out of the tensors once at construction.
#[derive(Debug, Clone)]
struct Fused {
    k: usize,
    stride: usize,
    cin: usize,
    cout: usize,
    dw_w: Vec<f32>,
    dw_b: Vec<f32>,
    pw_w: Vec<f32>,
    pw_b: Vec<f32>,
    slope: Option<Vec<f32>>,
}

impl CustomOp1 for Fused {
    fn name(&self) -> &'static str {
        "sfumato-blaze-block"
    }

    fn cpu_fwd(&self, xs: &CpuStorage, xl: &Layout) -> Result<(CpuStorage, Shape)> {
        let (n, cin, h, w) = xl.shape().dims4()?;
        let win = Window::new(self.name(), (h, w), self.k, self.stride, Padding::Same)?;
        let pool = Window::new(self.name(), (h, w), 2, 2, Padding::Same)?;
        let x = f32_slice(self.name(), xs, xl)?;
        let area = win.out_area();
        let mut dw = vec![0f32; cin * area];
        let mut pooled = vec![0f32; if self.stride == 2 { cin * area } else { 0 }];
        let mut out = vec![0f32; n * self.cout * area];
        for (src, dst) in x
            .chunks_exact(cin * h * w)
            .zip(out.chunks_exact_mut(self.cout * area))
        {
            depthwise_planes(src, &self.dw_w, &self.dw_b, &win, &mut dw);
            fill_bias(dst, &self.pw_b, area);
            let skip = if self.stride == 2 {
                max_pool_planes(src, &pool, &mut pooled);
                &pooled
            } else {
                src
            };
            add_in_place(&mut dst[..cin * area], skip);
            matmul_acc(dst, &self.pw_w, &dw, self.cout, area, cin);
            match &self.slope {
                Some(slope) => prelu_planes(dst, slope, area),
                None => relu_in_place(dst),
            }
        }
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, self.cout, win.rows.out, win.cols.out)),
        ))
    }
}
