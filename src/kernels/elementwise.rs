//! Per-channel PReLU and the residual add whose skip has fewer channels (zero-padded at the end,
//! as MediaPipe's channel-padding PAD ops do).

use candle_core::{bail, CpuStorage, Layout, Result, Shape, Tensor};

use super::stock;
use super::storage::{fast_path, nchw, CpuKernel, F32Kernel2};

/// PReLU of `x` `[N, C, H, W]` with one slope per channel (`slope` holds `C` values, any shape,
/// e.g. TFLite's `[1, 1, C]`): `x` where `x >= 0`, `slope * x` elsewhere.
pub fn prelu(x: &Tensor, slope: &Tensor) -> Result<Tensor> {
    let (_, c, _, _) = nchw("prelu", x)?;
    if slope.elem_count() != c {
        bail!("prelu: {} slopes for {c} channels", slope.elem_count());
    }
    let slope = slope.flatten_all()?;
    if !fast_path(&[x, &slope]) {
        return stock::prelu(x, &slope);
    }
    x.contiguous()?
        .apply_op2_no_bwd(&slope.contiguous()?, &CpuKernel(PreluOp))
}

/// The custom op behind [`prelu`].
struct PreluOp;

impl F32Kernel2 for PreluOp {
    const NAME: &'static str = "sfumato-prelu";

    fn run(&self, [x, slope]: [&[f32]; 2], [xl, _]: [&Layout; 2]) -> Result<(CpuStorage, Shape)> {
        let (_, _, h, w) = xl.shape().dims4()?;
        let mut out = x.to_vec();
        prelu_planes(&mut out, slope, h * w);
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }
}

/// PReLU in place over NCHW planes of `area` values, plane `i` using `slope[i % C]`.
pub(crate) fn prelu_planes(data: &mut [f32], slope: &[f32], area: usize) {
    for (plane, &a) in data.chunks_exact_mut(area).zip(slope.iter().cycle()) {
        for v in plane {
            *v = prelu_scalar(*v, a);
        }
    }
}

/// PReLU of one value: `v` if `v >= 0`, else `slope * v`, written branch-free
/// (`max(v, 0) + slope * min(v, 0)`) so loops over it vectorise.
#[inline(always)]
pub(crate) fn prelu_scalar(v: f32, slope: f32) -> f32 {
    v.max(0.0) + slope * v.min(0.0)
}

/// `x + skip` where `x` is `[N, C, H, W]` and `skip` `[N, Cs, H, W]` with `Cs <= C`: the skip's
/// missing channels count as zeros (MediaPipe's channel padding on widening residuals).
pub fn add_padded(x: &Tensor, skip: &Tensor) -> Result<Tensor> {
    let (n, c, h, w) = nchw("add_padded", x)?;
    let (sn, sc, sh, sw) = nchw("add_padded", skip)?;
    if (sn, sh, sw) != (n, h, w) || sc > c {
        bail!(
            "add_padded: skip {:?} cannot be padded to {:?}",
            skip.dims(),
            x.dims()
        );
    }
    if !fast_path(&[x, skip]) {
        return stock::add_padded(x, skip);
    }
    x.contiguous()?
        .apply_op2_no_bwd(&skip.contiguous()?, &CpuKernel(AddPaddedOp))
}

/// The custom op behind [`add_padded`].
struct AddPaddedOp;

impl F32Kernel2 for AddPaddedOp {
    const NAME: &'static str = "sfumato-add-padded";

    fn run(&self, [x, skip]: [&[f32]; 2], [xl, _]: [&Layout; 2]) -> Result<(CpuStorage, Shape)> {
        let (n, _, _, _) = xl.shape().dims4()?;
        let mut out = x.to_vec();
        let (image, skip_image) = (out.len() / n, skip.len() / n);
        for (dst, src) in out
            .chunks_exact_mut(image)
            .zip(skip.chunks_exact(skip_image))
        {
            add_in_place(&mut dst[..skip_image], src);
        }
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }
}

/// `dst += src` elementwise.
pub(crate) fn add_in_place(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += s;
    }
}
