//! TPSMM speed and memory per driving frame (batch 1, square frames at the config's size,
//! relative mode) after the source is prepared: the figure compared with the official PyTorch
//! code by `../shared/bench/tpsmm/torch_timing.py`. Not a criterion bench: one frame takes
//! seconds and peak memory must be measured per process, so run each thread count in its own
//! process (see README, "TPSMM benchmark"):
//!
//! `RAYON_NUM_THREADS=1 cargo bench --bench tpsmm_frame -- --weights vox.pth.tar [--config vox]
//! [--frames 10] [--warmup 2]`
//!
//! Prints ms per frame (median, min), process CPU ms per frame, stage medians and peak RSS.

use candle_core::{Device, Tensor};
use image::RgbImage;
use sfumato::engine::tpsmm::image_tensor;
use sfumato::engine::tpsmm::{Config, KeypointTransfer, Mode, Tpsmm};
use std::path::PathBuf;
use std::time::Instant;

/// Deterministic noise image standing in for a driving frame (content does not change the
/// amount of work).
fn noise_image(size: u32, seed: u64) -> RgbImage {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    RgbImage::from_fn(size, size, |_, _| {
        let mut px = [0u8; 3];
        for v in &mut px {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *v = (state >> 56) as u8;
        }
        image::Rgb(px)
    })
}

/// A field of /proc/self/status in KiB (VmHWM = peak RSS).
fn proc_status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU time of this process in ms (clock ticks of 10 ms on Linux).
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 10.0
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> sfumato::Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut weights, mut config, mut frames, mut warmup) = (None, "vox".to_string(), 10, 2);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--weights" => weights = args.next().map(PathBuf::from),
            "--config" => config = args.next().unwrap_or(config),
            "--frames" => frames = args.next().and_then(|v| v.parse().ok()).unwrap_or(frames),
            "--warmup" => warmup = args.next().and_then(|v| v.parse().ok()).unwrap_or(warmup),
            _ => {} // cargo's own flags such as --bench
        }
    }
    let Some(weights) = weights.or_else(|| std::env::var_os("TPSMM_WEIGHTS").map(PathBuf::from))
    else {
        eprintln!("tpsmm_frame: SKIPPED, give --weights FILE or TPSMM_WEIGHTS (make one with benches/tpsmm_make_checkpoint.py)");
        return Ok(());
    };
    let threads = candle_core::utils::get_num_threads();
    let dev = Device::Cpu;
    let cfg = Config::load(&config)?;
    let t = Instant::now();
    let model = Tpsmm::load(&weights, &cfg, &dev)?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;
    let rss_loaded = proc_status_kib("VmRSS:").unwrap_or(0) as f64 / 1024.0;
    let size = cfg.frame_size as u32;
    let source = image_tensor(&noise_image(size, 0), &dev)?;
    let t = Instant::now();
    let prepared = model.prepare_source(&source)?;
    let prep_ms = t.elapsed().as_secs_f64() * 1e3;
    let drivers: Vec<Tensor> = (0..4)
        .map(|i| image_tensor(&noise_image(size, i + 1), &dev))
        .collect::<sfumato::Result<_>>()?;
    let mut transfer = KeypointTransfer::new(Mode::Relative);
    let (mut wall, mut kp_ms, mut dense_ms, mut inpaint_ms) = (vec![], vec![], vec![], vec![]);
    let mut cpu_total = 0.0;
    for i in 0..warmup + frames {
        let frame = &drivers[i % drivers.len()];
        let (t0, c0) = (Instant::now(), cpu_ms());
        let kp = model.keypoints(frame)?;
        let kp_norm = transfer.transfer(&model, &prepared, &kp)?;
        let t1 = Instant::now();
        let motion = model.dense_motion(&prepared, &kp_norm)?;
        let t2 = Instant::now();
        model.inpaint(&prepared, &motion)?;
        let done = Instant::now();
        if i >= warmup {
            wall.push((done - t0).as_secs_f64() * 1e3);
            kp_ms.push((t1 - t0).as_secs_f64() * 1e3);
            dense_ms.push((t2 - t1).as_secs_f64() * 1e3);
            inpaint_ms.push((done - t2).as_secs_f64() * 1e3);
            cpu_total += cpu_ms() - c0;
        }
    }
    let min = wall.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "candle tpsmm config={config} size={size} threads={threads} frames={frames}: \
         median {:.0} ms/frame, min {min:.0}, cpu {:.0} ms/frame | stages (median ms): kp {:.0}, \
         dense {:.0}, inpainting {:.0} | load {load_ms:.0} ms, source prep {prep_ms:.0} ms | \
         RSS after load {rss_loaded:.0} MiB, peak RSS {:.0} MiB",
        median(&mut wall),
        cpu_total / frames as f64,
        median(&mut kp_ms),
        median(&mut dense_ms),
        median(&mut inpaint_ms),
        proc_status_kib("VmHWM:").unwrap_or(0) as f64 / 1024.0,
    );
    Ok(())
}
