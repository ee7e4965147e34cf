use candle_core::{Device, Tensor};
use sfumato::keypoints::kernels::{
    self, stock, with_kernel_path, BlockActivation, BlockWeights, KernelPath, Padding,
};
use sfumato::keypoints::{DetectorKind, FaceMesh};
use std::time::Instant;

fn r(shape: &[usize], s: f32) -> Tensor {
    Tensor::rand(-s, s, shape, &Device::Cpu).unwrap()
}
fn t(name: &str, n: usize, mut f: impl FnMut()) {
    for _ in 0..3 {
        f();
    }
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{name:40} min {:8.3} ms  p10 {:8.3}  med {:8.3}",
        v[0],
        v[n / 10],
        v[n / 2]
    );
}
fn main() {
    std::env::set_var("RAYON_NUM_THREADS", "1");
    std::env::set_var("CANDLE_NUM_THREADS", "1");
    let args: Vec<String> = std::env::args().collect();
    let stockalso = args.iter().any(|a| a == "stock");
    let fm = FaceMesh::load().unwrap();
    let x = r(&[1, 3, 192, 192], 1.0);
    let xd = r(&[1, 3, 128, 128], 1.0);
    t("mesh fast", 200, || {
        fm.mesh_raw(&x).unwrap();
    });
    t("detector fast", 200, || {
        fm.detector_raw(&xd, DetectorKind::ShortRange).unwrap();
    });
    if stockalso {
        with_kernel_path(KernelPath::Stock, || {
            t("mesh stock", 10, || {
                fm.mesh_raw(&x).unwrap();
            });
            t("detector stock", 10, || {
                fm.detector_raw(&xd, DetectorKind::ShortRange).unwrap();
            });
        });
    }
    for &(ch, size, stride) in &[
        (16, 96, 1),
        (16, 96, 2),
        (64, 24, 1),
        (128, 12, 1),
        (128, 6, 1),
    ] {
        let (x, w, b) = (
            r(&[1, ch, size, size], 1.0),
            r(&[ch, 1, 3, 3], 0.5),
            r(&[ch], 0.5),
        );
        t(&format!("dw {ch}x{size} s{stride}"), 200, || {
            kernels::depthwise(&x, &w, &b, stride, Padding::Same).unwrap();
        });
    }
    for &(cin, cout, size) in &[(16, 16, 96), (32, 32, 48), (128, 128, 12), (128, 128, 3)] {
        let (x, w, b) = (
            r(&[1, cin, size, size], 1.0),
            r(&[cout, cin, 1, 1], 0.2),
            r(&[cout], 0.5),
        );
        t(&format!("pw {cin}-{cout}x{size}"), 200, || {
            kernels::pointwise(&x, &w, &b).unwrap();
        });
    }
    let (x, w, b) = (
        r(&[1, 3, 192, 192], 1.0),
        r(&[16, 3, 3, 3], 0.3),
        r(&[16], 0.5),
    );
    t("stem 3x3s2", 200, || {
        kernels::conv2d(&x, &w, &b, 2, Padding::Same).unwrap();
    });
    let (x, w, b) = (
        r(&[1, 32, 3, 3], 1.0),
        r(&[1404, 32, 3, 3], 0.3),
        r(&[1404], 0.5),
    );
    t("head 1404", 200, || {
        kernels::conv2d(&x, &w, &b, 3, Padding::Valid).unwrap();
    });
    let (x, w, b) = (r(&[1, 16, 96, 96], 1.0), r(&[16], 0.3), r(&[16], 0.5));
    t("prelu 16x96", 200, || {
        kernels::prelu(&x, &w).unwrap();
    });
    let _ = b;
    for &(cin, cout, size, stride) in &[(16, 16, 96, 1), (16, 32, 96, 2), (128, 128, 12, 1)] {
        let (dw, db, pw, pb) = (
            r(&[cin, 1, 3, 3], 0.5),
            r(&[cin], 0.5),
            r(&[cout, cin, 1, 1], 0.2),
            r(&[cout], 0.5),
        );
        let s = r(&[cout], 0.25);
        let x = r(&[1, cin, size, size], 1.0);
        let wts = BlockWeights {
            dw_weight: &dw,
            dw_bias: &db,
            pw_weight: &pw,
            pw_bias: &pb,
        };
        t(&format!("block {cin}-{cout}x{size} s{stride}"), 200, || {
            kernels::blaze_block(&x, wts, stride, BlockActivation::PRelu(&s)).unwrap();
        });
        if stockalso {
            t(
                &format!("block stock {cin}-{cout}x{size} s{stride}"),
                10,
                || {
                    stock::blaze_block(&x, wts, stride, BlockActivation::PRelu(&s)).unwrap();
                },
            );
        }
    }
}
