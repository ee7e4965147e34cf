//! Fast CPU kernels for both networks, as candle custom ops: the bottom of the module graph,
//! importing nothing else of the crate. `keypoints` (the MediaPipe face networks) and
//! `engine::tpsmm` (the Thin-Plate-Spline Motion Model) both build on it.
//!
//! Stock candle runs a depthwise convolution as one small convolution per channel and a 1x1
//! convolution through im2col, which makes the face mesh ~50x slower than TFLite on one thread;
//! its generic conv scatters its im2col writes and converts every input to NHWC on one thread,
//! which makes TPSMM's big 3x3 layers slower than PyTorch. These kernels compute the same
//! results directly on contiguous `f32` NCHW tensors, the layout candle's own convolutions use,
//! so a network can switch any layer between the stock composition ([`stock`], the reference
//! used in parity tests) and the fast op without changing layouts.
//!
//! Every entry point takes and returns candle tensors in NCHW order (`[batch, channels, height,
//! width]`). The fast path applies to `f32` tensors on the CPU; any other device or dtype (the
//! `cuda` and `metal` features, f16 weights) runs the stock composition instead, so callers never
//! need a second code path. Functions return [`candle_core::Result`] so that they compose with
//! candle ops inside a network's `forward`.
//!
//! - [`depthwise`]: depthwise convolution (any odd kernel, stride 1 or 2, TFLite padding) + bias.
//! - [`pointwise`]: 1x1 convolution as one matrix product + bias.
//! - [`conv2d`]: dense convolution (im2col + matrix product) + bias, for stems and heads.
//! - [`prelu`]: per-channel PReLU; [`add_padded`]: residual add with zero-padded channels;
//!   [`max_pool2`]: 2x2 stride-2 max pool.
//! - [`blaze_block`]: the fused residual block (depthwise, pointwise, skip, activation).
//! - `SameConv` (crate-internal): TPSMM's stride-1 "same" KxK convolution layer: Winograd F(4x4, 3x3) on large
//!   maps, a direct kernel for at most 16 output channels, im2col tiles + GEMM otherwise.
//! - Inside the crate, `CpuKernel` wraps any kernel over `f32` slices (`F32Kernel2`,
//!   `F32Kernel3`) as a candle custom op, so an op is written once, without storage plumbing.
//!
//! Which implementation of the MediaPipe ops runs is chosen per thread with
//! [`with_kernel_path`] (default: fast; `SFUMATO_KERNELS=stock` makes the stock compositions the
//! process default). The keypoint networks reach these kernels through `keypoints::ops` and the
//! fused residual blocks.
//!
//! The loops are compiled for AVX-512, AVX2+FMA and baseline x86-64 and the widest the CPU
//! supports runs. Speed: `cargo bench --bench keypoints` (face mesh and short-range detector per
//! call, stock vs fast, plus per-op micro-benches) and the TPSMM bench in
//! `src/engine/tpsmm/README.md`.

#[cfg(target_arch = "x86_64")]
mod avx512;
mod block;
mod conv;
mod depthwise;
mod elementwise;
mod geometry;
mod matmul;
mod narrow;
mod path;
mod pointwise;
mod pool;
mod same_conv;
pub(crate) mod simd;
pub mod stock;
mod storage;
mod winograd;

pub use block::{blaze_block, BlockActivation, BlockWeights};
pub use conv::conv2d;
pub use depthwise::depthwise;
pub use elementwise::{add_padded, prelu};
pub use geometry::Padding;
pub use path::{kernel_path, with_kernel_path, KernelPath};
pub use pointwise::pointwise;
pub use pool::max_pool2;
pub(crate) use same_conv::SameConv;
pub(crate) use storage::{CpuKernel, F32Kernel2, F32Kernel3};
