//! Access to the `f32` data behind candle tensors for the custom ops.

use candle_core::{bail, CpuStorage, DType, Layout, Result, Tensor};

/// The contiguous `f32` slice a custom op's argument points at.
pub(crate) fn f32_slice<'a>(
    op: &str,
    storage: &'a CpuStorage,
    layout: &Layout,
) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        bail!("{op}: expected f32 data");
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => bail!("{op}: expected a contiguous tensor"),
    }
}

/// Whether the fast CPU path applies to all of `tensors` (f32 on the CPU); otherwise callers run
/// the stock composition.
pub(crate) fn fast_path(tensors: &[&Tensor]) -> bool {
    tensors
        .iter()
        .all(|t| t.device().is_cpu() && t.dtype() == DType::F32)
}

/// A tensor's values as a flat `Vec<f32>` in row-major order (weights copied once at load time).
pub(crate) fn to_f32_vec(t: &Tensor) -> Result<Vec<f32>> {
    t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()
}

/// The four dimensions of an NCHW tensor, or an error naming `op`.
pub(crate) fn nchw(op: &str, t: &Tensor) -> Result<(usize, usize, usize, usize)> {
    match t.dims() {
        &[n, c, h, w] => Ok((n, c, h, w)),
        dims => bail!("{op}: expected an NCHW tensor, got shape {dims:?}"),
    }
}
