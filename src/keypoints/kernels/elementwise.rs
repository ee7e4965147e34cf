//! Per-channel PReLU and the residual add whose skip has fewer channels (zero-padded at the end,
//! as MediaPipe's channel-padding PAD ops do).

use candle_core::{bail, CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};

use super::stock;
use super::storage::{f32_slice, fast_path, nchw};

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
        .apply_op2_no_bwd(&slope.contiguous()?, &PreluOp)
}

/// The custom op behind [`prelu`].
struct PreluOp;

impl CustomOp2 for PreluOp {
    fn name(&self) -> &'static str {
        "sfumato-prelu"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ss: &CpuStorage,
        sl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (_, _, h, w) = xl.shape().dims4()?;
        let mut out = f32_slice(self.name(), xs, xl)?.to_vec();
        prelu_planes(&mut out, f32_slice(self.name(), ss, sl)?, h * w);
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }
}

/// PReLU in place over NCHW planes of `area` values, plane `i` using `slope[i % C]`.
pub(crate) fn prelu_planes(data: &mut [f32], slope: &[f32], area: usize) {
    for (plane, &a) in data.chunks_exact_mut(area).zip(slope.iter().cycle()) {
        for v in plane {
            *v = if *v >= 0.0 { *v } else { *v * a };
        }
    }
}

/// ReLU in place.
pub(crate) fn relu_in_place(data: &mut [f32]) {
    for v in data {
        *v = v.max(0.0);
    }
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
        .apply_op2_no_bwd(&skip.contiguous()?, &AddPaddedOp)
}

/// The custom op behind [`add_padded`].
struct AddPaddedOp;

impl CustomOp2 for AddPaddedOp {
    fn name(&self) -> &'static str {
        "sfumato-add-padded"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ss: &CpuStorage,
        sl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (n, _, _, _) = xl.shape().dims4()?;
        let mut out = f32_slice(self.name(), xs, xl)?.to_vec();
        let skip = f32_slice(self.name(), ss, sl)?;
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
