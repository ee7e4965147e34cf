//! Speed of the MediaPipe face networks on one CPU thread: the fast kernels
//! (`sfumato::kernels`) against the stock candle compositions, per network call
//! (face mesh, short-range detector, with the shipped weights) and per op on the face mesh's
//! layer shapes. Compare with `../shared/bench/keypoints/tflite_timing.py` run in the same
//! session: TFLite XNNPACK, one thread.
//!
//! `cargo bench --bench keypoints` (add `-- mesh`, `-- detector` or `-- op/` to filter, or
//! `-- per-call` for only the closing table of per-call min / p10 / median times, the
//! statistic `tflite_timing.py` reports).

use candle_core::{Device, Tensor};
use criterion::{criterion_group, Criterion};
use sfumato::kernels::{
    self, stock, with_kernel_path, BlockActivation, BlockWeights, KernelPath, Padding,
};
use sfumato::keypoints::{DetectorKind, FaceMesh};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Uniform random tensor in ±`scale` (speed does not depend on the values).
fn random(shape: &[usize], scale: f32) -> Tensor {
    Tensor::rand(-scale, scale, shape, &Device::Cpu).expect("random tensor")
}

/// A network input: the astronaut fixture crop (NHWC in `../shared`) when present, else
/// deterministic noise in the same range (speed does not depend on the pixel values).
fn input(key: &str, size: usize) -> Tensor {
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/mediapipe/astronaut.safetensors");
    match candle_core::safetensors::load(&fixture, &Device::Cpu) {
        Ok(tensors) if tensors.contains_key(key) => tensors[key]
            .permute((0, 3, 1, 2))
            .and_then(|t| t.contiguous())
            .expect("fixture input"),
        _ => random(&[1, 3, size, size], 1.0),
    }
}

fn networks(c: &mut Criterion) {
    let fm = FaceMesh::load().expect("weights load");
    let paths = [("stock", KernelPath::Stock), ("fast", KernelPath::Fast)];

    let x = input("mesh.input", 192);
    let mut g = c.benchmark_group("mesh");
    for (name, path) in paths {
        g.bench_function(name, |bn| {
            with_kernel_path(path, || bn.iter(|| fm.mesh_raw(black_box(&x)).unwrap()))
        });
    }
    g.finish();

    let x = input("det_short.input", 128);
    let mut g = c.benchmark_group("detector");
    for (name, path) in paths {
        g.bench_function(name, |bn| {
            with_kernel_path(path, || {
                bn.iter(|| {
                    fm.detector_raw(black_box(&x), DetectorKind::ShortRange)
                        .unwrap()
                })
            })
        });
    }
    g.finish();
}

fn layers(c: &mut Criterion) {
    let mut g = c.benchmark_group("op");
    for &(ch, size, stride) in &[(16, 96, 1), (16, 96, 2), (64, 24, 1), (128, 12, 1)] {
        let x = random(&[1, ch, size, size], 1.0);
        let w = random(&[ch, 1, 3, 3], 0.5);
        let b = random(&[ch], 0.5);
        let name = format!("depthwise3x3/{ch}x{size}²/s{stride}");
        g.bench_function(format!("{name}/stock"), |bn| {
            bn.iter(|| stock::depthwise(black_box(&x), &w, &b, stride, Padding::Same).unwrap())
        });
        g.bench_function(format!("{name}/fast"), |bn| {
            bn.iter(|| kernels::depthwise(black_box(&x), &w, &b, stride, Padding::Same).unwrap())
        });
    }
    for &(cin, cout, size) in &[(16, 16, 96), (32, 32, 48), (128, 128, 12)] {
        let x = random(&[1, cin, size, size], 1.0);
        let w = random(&[cout, cin, 1, 1], 0.2);
        let b = random(&[cout], 0.5);
        let name = format!("pointwise/{cin}-{cout}x{size}²");
        g.bench_function(format!("{name}/stock"), |bn| {
            bn.iter(|| stock::pointwise(black_box(&x), &w, &b).unwrap())
        });
        g.bench_function(format!("{name}/fast"), |bn| {
            bn.iter(|| kernels::pointwise(black_box(&x), &w, &b).unwrap())
        });
    }
    let x = random(&[1, 3, 192, 192], 1.0);
    let w = random(&[16, 3, 3, 3], 0.3);
    let b = random(&[16], 0.5);
    g.bench_function("conv3x3s2/3-16x192²/stock", |bn| {
        bn.iter(|| stock::conv2d(black_box(&x), &w, &b, 2, Padding::Same).unwrap())
    });
    g.bench_function("conv3x3s2/3-16x192²/fast", |bn| {
        bn.iter(|| kernels::conv2d(black_box(&x), &w, &b, 2, Padding::Same).unwrap())
    });
    for &(cin, cout, size, stride) in &[(16, 16, 96, 1), (16, 32, 96, 2)] {
        let (dw_weight, dw_bias) = (random(&[cin, 1, 3, 3], 0.5), random(&[cin], 0.5));
        let (pw_weight, pw_bias) = (random(&[cout, cin, 1, 1], 0.2), random(&[cout], 0.5));
        let weights = BlockWeights {
            dw_weight: &dw_weight,
            dw_bias: &dw_bias,
            pw_weight: &pw_weight,
            pw_bias: &pw_bias,
        };
        let slope = random(&[cout], 0.25);
        let act = BlockActivation::PRelu(&slope);
        let x = random(&[1, cin, size, size], 1.0);
        let name = format!("block/{cin}-{cout}x{size}²/s{stride}");
        g.bench_function(format!("{name}/stock"), |bn| {
            bn.iter(|| stock::blaze_block(black_box(&x), weights, stride, act).unwrap())
        });
        g.bench_function(format!("{name}/fast"), |bn| {
            bn.iter(|| kernels::blaze_block(black_box(&x), weights, stride, act).unwrap())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20);
    targets = networks, layers
}

/// Per-call times (min, p10, median of single calls, milliseconds), the statistic
/// `tflite_timing.py` reports: on a loaded shared machine criterion's batch means also count
/// the time the process waits for a core, which single short calls mostly escape.
fn per_call(runs: usize, mut f: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..3 {
        f();
    }
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    (ms[0], ms[runs / 10], ms[runs / 2])
}

/// Prints the per-call table for both networks and both kernel paths.
fn per_call_summary() {
    let fm = FaceMesh::load().expect("weights load");
    let mesh_in = input("mesh.input", 192);
    let det_in = input("det_short.input", 128);
    println!("per call, 1 thread (ms):            min      p10   median");
    for (name, path, runs) in [
        ("stock", KernelPath::Stock, 20),
        ("fast", KernelPath::Fast, 300),
    ] {
        with_kernel_path(path, || {
            let (min, p10, med) = per_call(runs, || {
                fm.mesh_raw(black_box(&mesh_in)).unwrap();
            });
            println!("  mesh/{name:<28} {min:8.3} {p10:8.3} {med:8.3}");
            let (min, p10, med) = per_call(runs, || {
                fm.detector_raw(black_box(&det_in), DetectorKind::ShortRange)
                    .unwrap();
            });
            println!("  detector/{name:<24} {min:8.3} {p10:8.3} {med:8.3}");
        });
    }
}

fn main() {
    // One thread, as the speed goal is stated: both rayon and candle's own pool.
    std::env::set_var("RAYON_NUM_THREADS", "1");
    std::env::set_var("CANDLE_NUM_THREADS", "1");
    benches();
    Criterion::default().configure_from_args().final_summary();
    // Only for a full run or when asked for (`-- per-call`), not for other filters.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if args.is_empty() || args.iter().any(|a| a == "per-call") {
        per_call_summary();
    }
}
