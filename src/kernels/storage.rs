//! Access to the `f32` data behind candle tensors for the custom ops, and the wrapper that
//! turns a kernel over `f32` slices into a candle custom op.

use candle_core::{bail, CpuStorage, CustomOp2, CustomOp3, DType, Layout, Result, Shape};
use candle_core::{Storage, Tensor};

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

/// Checks that bias `b` holds one value per output channel (`channels`), naming `op`.
pub(crate) fn check_bias(op: &str, b: &Tensor, channels: usize) -> Result<()> {
    if b.dims() != [channels] {
        bail!(
            "{op}: bias of shape {:?} does not match {channels} output channels",
            b.dims()
        );
    }
    Ok(())
}

/// Runs `kernel` on the contiguous `x`, `w`, `b` (input, weights, bias).
pub(crate) fn apply3(
    x: &Tensor,
    w: &Tensor,
    b: &Tensor,
    kernel: impl F32Kernel3 + 'static,
) -> Result<Tensor> {
    x.contiguous()?
        .apply_op3_no_bwd(&w.contiguous()?, &b.contiguous()?, &CpuKernel(kernel))
}

/// A CPU kernel over two contiguous `f32` tensors; [`CpuKernel`] runs it as a candle custom op.
pub(crate) trait F32Kernel2: Send + Sync {
    /// The op's name in candle's errors and in this kernel's own.
    const NAME: &'static str;
    /// The result and its shape, from the arguments' data and layouts.
    fn run(&self, data: [&[f32]; 2], layouts: [&Layout; 2]) -> Result<(CpuStorage, Shape)>;
}

/// A CPU kernel over three contiguous `f32` tensors (typically input, weights, bias);
/// [`CpuKernel`] runs it as a candle custom op.
pub(crate) trait F32Kernel3: Send + Sync {
    /// The op's name in candle's errors and in this kernel's own.
    const NAME: &'static str;
    /// The result and its shape, from the arguments' data and layouts.
    fn run(&self, data: [&[f32]; 3], layouts: [&Layout; 3]) -> Result<(CpuStorage, Shape)>;
}

/// A kernel over `f32` slices as a candle custom op (`apply_op2_no_bwd`/`apply_op3_no_bwd`):
/// checks that every argument is contiguous `f32` data on the CPU and hands the kernel slices.
pub(crate) struct CpuKernel<K>(pub(crate) K);

impl<K: F32Kernel2> CustomOp2 for CpuKernel<K> {
    fn name(&self) -> &'static str {
        K::NAME
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let data = [f32_slice(K::NAME, s1, l1)?, f32_slice(K::NAME, s2, l2)?];
        self.0.run(data, [l1, l2])
    }
}

impl<K: F32Kernel3> CustomOp3 for CpuKernel<K> {
    fn name(&self) -> &'static str {
        K::NAME
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
        let data = [
            f32_slice(K::NAME, s1, l1)?,
            f32_slice(K::NAME, s2, l2)?,
            f32_slice(K::NAME, s3, l3)?,
        ];
        self.0.run(data, [l1, l2, l3])
    }
}
