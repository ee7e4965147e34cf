//! The full invariant sweep of the warp engine (the fast subset runs in `cargo test`):
//! every portrait in `../shared/media` — as it is, rotated by 90°, 180°, 270°, 15° and −30°,
//! and small in a wide frame — plus turned heads on a dark background made from the public
//! drivers, each driven by every public driver video, its ffmpeg-transformed copies, every
//! preset and every synthetic motion family, every frame checked. Needs `../shared` and ffmpeg.
//!
//!     cargo run --example sweep [-- --max-size 512 --frames N]
//!
//! `--frames N` caps the frames per video driver (default: all). Exits 1 on any violation.

#[path = "../tests/sweep_support/mod.rs"]
mod sweep_support;

use sfumato::keypoints::FaceMesh;
use std::path::PathBuf;
use sweep_support::*;

/// Frames per synthetic motion and preset.
const FRAMES: usize = 40;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse::<usize>().expect("a number"))
    };
    let max_size = value("--max-size").unwrap_or(512) as u32;
    let limit = value("--frames");
    let shared = std::env::var_os("SFUMATO_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let mesh = FaceMesh::load().unwrap();
    let start = std::time::Instant::now();

    let mut videos = Vec::new();
    for name in ["driving_d0", "driving_d18", "driving_d20"] {
        let path = shared.join(format!("media/public/{name}.mp4"));
        videos.push(video_driver(name, &path, &mesh));
    }
    let base = shared_portraits(&shared, &mesh, max_size);
    let mut portraits = Vec::new();
    for p in &base {
        portraits.push(p.clone());
        for q in 1..4 {
            portraits.push(rotated_quarters(p, q));
        }
        portraits.push(rotated_by(p, 15.0));
        portraits.push(rotated_by(p, -30.0));
        portraits.push(framed(p, 0.4));
    }
    portraits.extend(turned_portraits(&videos, &mesh));

    let tmp = tempfile::tempdir().unwrap();
    let neutral = videos[2].track.iter().flatten().next().unwrap().clone();
    let mut drivers = synthetic_drivers(&neutral, (480, 480), FRAMES);
    drivers.extend(preset_drivers(&neutral, FRAMES));
    let mut video_drivers = Vec::new();
    for v in &videos {
        video_drivers.extend(transformed_drivers(v, tmp.path(), &mesh));
    }
    video_drivers.extend(videos);
    eprintln!(
        "{} portraits × {} drivers ({} synthetic and presets, {} videos), set up in {:.0} s",
        portraits.len(),
        drivers.len() + video_drivers.len(),
        drivers.len(),
        video_drivers.len(),
        start.elapsed().as_secs_f64()
    );
    let mut summary = sweep(&portraits, &drivers, None);
    summary.merge(sweep(&portraits, &video_drivers, limit));
    println!("{}", summary.report());
    println!("took {:.0} s", start.elapsed().as_secs_f64());
    if !summary.violations.is_empty() {
        std::process::exit(1);
    }
}
