//! The whole MediaPipe networks on the fast kernels against the same networks on the stock
//! candle compositions (`KernelPath::Stock`), on the real fixture inputs (astronaut crops from
//! `../shared/fixtures/mediapipe`). The LiteRT parity of the fast path itself is covered by
//! `keypoints_parity.rs`, which runs on the default (fast) path.

mod common;

use candle_core::{Device, Tensor};
use sfumato::kernels::{with_kernel_path, KernelPath};
use sfumato::keypoints::{DetectorKind, FaceMesh};

/// The NHWC fixture input `key` of the astronaut image as an NCHW tensor.
fn fixture_input(shared: &std::path::Path, key: &str) -> Tensor {
    let path = shared.join("fixtures/mediapipe/astronaut.safetensors");
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu).expect("fixture loads");
    tensors[key]
        .permute((0, 3, 1, 2))
        .unwrap()
        .contiguous()
        .unwrap()
}

/// Max |a - b| and max |b| over all elements.
fn diff_and_scale(a: &Tensor, b: &Tensor) -> (f32, f32) {
    assert_eq!(a.dims(), b.dims());
    let a = a.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let b = b.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let diff = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    let scale = b.iter().map(|y| y.abs()).fold(0.0, f32::max);
    (diff, scale)
}

/// Asserts the fast outputs are within 1e-5 relative (to the output's largest magnitude) of
/// the stock ones: both compute the same sums in a different order.
fn assert_same_outputs(what: &str, fast: (Tensor, Tensor), stock: (Tensor, Tensor)) {
    for (name, f, s) in [("first", &fast.0, &stock.0), ("second", &fast.1, &stock.1)] {
        let (diff, scale) = diff_and_scale(f, s);
        eprintln!(
            "{what} {name} output: max |fast - stock| = {diff:.3e} (max |stock| = {scale:.1})"
        );
        assert!(
            diff <= 1e-5 * scale.max(1.0),
            "{what} {name} output: max |fast - stock| = {diff} (max |stock| = {scale})"
        );
    }
}

#[test]
fn networks_on_fast_kernels_match_stock_candle() {
    let Some(shared) = common::shared_dir("networks_on_fast_kernels_match_stock_candle") else {
        return;
    };
    let fm = FaceMesh::load().expect("weights load");
    let mesh_in = fixture_input(&shared, "mesh.input");
    let run_mesh = || fm.mesh_raw(&mesh_in).expect("mesh runs");
    assert_same_outputs(
        "face mesh",
        with_kernel_path(KernelPath::Fast, run_mesh),
        with_kernel_path(KernelPath::Stock, run_mesh),
    );
    for (kind, key) in [
        (DetectorKind::ShortRange, "det_short.input"),
        (DetectorKind::FullRange, "det_full.input"),
    ] {
        let input = fixture_input(&shared, key);
        let run = || fm.detector_raw(&input, kind).expect("detector runs");
        assert_same_outputs(
            &format!("{kind:?} detector"),
            with_kernel_path(KernelPath::Fast, run),
            with_kernel_path(KernelPath::Stock, run),
        );
    }
}
