//! Access to the `f32` data behind candle tensors for the custom ops.

use candle_core::{bail, CpuStorage, DType, Layout, Result, Storage, Tensor};

use super::path::{kernel_path, KernelPath};

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

/// Whether the fast CPU path applies: selected on this thread ([`kernel_path`]) and all of
/// `tensors` are f32 on the CPU. Otherwise callers run the stock composition.
pub(crate) fn fast_path(tensors: &[&Tensor]) -> bool {
    kernel_path() == KernelPath::Fast
        && tensors
            .iter()
            .all(|t| t.device().is_cpu() && t.dtype() == DType::F32)
}

/// The contiguous `f32` data of a tensor's storage (from [`Tensor::storage_and_layout`], whose
/// guard must outlive the slice), for ops that read weights beyond their three arguments.
pub(crate) fn storage_f32<'a>(
    op: &str,
    storage: &'a Storage,
    layout: &Layout,
) -> Result<&'a [f32]> {
    match storage {
        Storage::Cpu(cpu) => f32_slice(op, cpu, layout),
        _ => bail!("{op}: expected a CPU tensor"),
    }
}

/// The four dimensions of an NCHW tensor, or an error naming `op`.
pub(crate) fn nchw(op: &str, t: &Tensor) -> Result<(usize, usize, usize, usize)> {
    match t.dims() {
        &[n, c, h, w] => Ok((n, c, h, w)),
        dims => bail!("{op}: expected an NCHW tensor, got shape {dims:?}"),
    }
}
