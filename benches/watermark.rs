//! Watermark speed on a 512×512 frame, one core: embed (goal ≤ 5 ms) and detect (goal ≤ 20 ms),
//! plus detect on the unmarked frame, the slowest case (the decoder fails, so both codeword
//! searches run).
//! A frame copy plus luma conversion runs beside them as an in-process baseline, since the
//! machines are shared and noisy.
//!
//! `cargo bench --bench watermark -- --warm-up-time 1 --measurement-time 3`
//! (uses `../shared/bench/watermark/frames/d18_00.png` when present, a synthetic texture otherwise)

use criterion::{criterion_group, criterion_main, Criterion};
use image::RgbImage;
use sfumato::watermark::{Detector, Marker, Payload};
use std::hint::black_box;

fn frame() -> RgbImage {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/bench/watermark/frames/d18_00.png");
    match image::open(&shared) {
        Ok(img) => img.to_rgb8(),
        Err(_) => {
            eprintln!("../shared absent: benchmarking on a synthetic texture");
            RgbImage::from_fn(512, 512, |x, y| {
                let v = ((x * 7 + y * 13) % 97 + (x ^ y) % 61) as u8;
                image::Rgb([v, v / 2 + 40, 255 - v])
            })
        }
    }
}

fn bench(c: &mut Criterion) {
    // One core, as the goals are stated (embedding runs bands of rows on rayon's pool).
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("rayon pool");
    let original = frame();
    let marker = Marker::new(Payload(0xa5c3_e19f));
    let detector = Detector::new();
    let mut marked = original.clone();
    marker.embed(&mut marked);
    assert!(detector.detect(&marked).payload.is_some());
    assert!(detector.detect(&original).payload.is_none());

    let mut group = c.benchmark_group("watermark_512");
    group.bench_function("baseline_copy_and_luma", |b| {
        b.iter(|| {
            let img = black_box(&original).clone();
            black_box(
                img.pixels()
                    .map(|p| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32)
                    .sum::<f32>(),
            )
        })
    });
    group.bench_function("embed", |b| {
        b.iter(|| {
            let mut img = black_box(&original).clone();
            marker.embed(&mut img);
            img
        })
    });
    group.bench_function("detect", |b| b.iter(|| detector.detect(black_box(&marked))));
    group.bench_function("detect_unmarked", |b| {
        b.iter(|| detector.detect(black_box(&original)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
