//! End-to-end speed of the main job on the CPU path with 2 threads: decode, keypoints, motion,
//! warp and encode, at 512² and 1024² output, driven by `driving_d0.mp4` (512², 78 frames).
//!
//! Run: `cargo bench --profile dev --bench warp_e2e` (dependencies are optimised in the dev
//! profile; `cargo bench --bench warp_e2e` gives the release numbers). Needs `../shared`.
//! Prints, per size, the whole job's frames per second and the two passes separately (driver
//! tracking; decode + motion + warp + encode), plus the warp alone, with the load average.

use sfumato::engine::warp::{WarpEngine, WarpOptions};
use sfumato::engine::Device;
use sfumato::engine::{DriveFrame, Engine};
use sfumato::keypoints::FaceMesh;
use sfumato::motion::{MotionConfig, MotionTransfer};
use sfumato::pipeline::{
    self, prepare_portrait, track_driver, DriverSource, EngineChoice, Job, Stage,
};
use sfumato::preview::FrameSender;
use std::path::PathBuf;
use std::time::Instant;

fn no_progress(_: Stage, _: u64, _: Option<u64>) {}

fn main() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared");
    if !shared.join("README.md").is_file() {
        eprintln!("SKIPPED warp_e2e: ../shared is not present");
        return;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build_global()
        .expect("rayon pool");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}", load.trim());
    let driver = shared.join("media/public/driving_d0.mp4");
    let astronaut = image::open(shared.join("media/images/astronaut.png"))
        .expect("astronaut")
        .to_rgb8();
    let dir = tempfile::tempdir().expect("temp dir");
    let mesh = FaceMesh::load().expect("weights");
    for size in [512u32, 1024] {
        let portrait = dir.path().join(format!("astronaut_{size}.png"));
        image::imageops::resize(
            &astronaut,
            size,
            size,
            image::imageops::FilterType::Lanczos3,
        )
        .save(&portrait)
        .expect("portrait");
        let job = Job {
            portrait: portrait.clone(),
            driver: DriverSource::Video(driver.clone()),
            output: Some(dir.path().join(format!("out_{size}.mp4"))),
            max_size: None,
            engine: EngineChoice::Warp(WarpOptions {
                device: Device::Cpu,
                ..WarpOptions::default()
            }),
            motion: MotionConfig::default(),
            reference: None,
            force: true,
        };
        let t = Instant::now();
        let report = pipeline::run(&job, &no_progress, &FrameSender::detached()).expect("job");
        let whole = t.elapsed().as_secs_f64();
        let frames = report.frames as f64;

        let t = Instant::now();
        let track = track_driver(&driver, &mesh, &no_progress).expect("track");
        let tracking = t.elapsed().as_secs_f64();
        let prepared = prepare_portrait(&portrait, None, &mesh).expect("portrait face");
        let t = Instant::now();
        pipeline::render(
            &job,
            &prepared,
            &track,
            &no_progress,
            &FrameSender::detached(),
        )
        .expect("render");
        let render = t.elapsed().as_secs_f64();

        let mut motion = MotionTransfer::new(
            &prepared.face.landmarks,
            track[report.reference].as_ref().expect("reference face"),
            MotionConfig::default(),
        )
        .expect("motion");
        let mut engine =
            WarpEngine::new(prepared.image.clone(), &prepared.face, Device::Cpu).expect("engine");
        let t = Instant::now();
        for (index, lm) in track.iter().enumerate() {
            let target = motion.next(lm.as_deref());
            engine
                .render(&DriveFrame {
                    index,
                    driver: &prepared.image,
                    driver_landmarks: None,
                    target_landmarks: &target,
                })
                .expect("warp");
        }
        let warp = t.elapsed().as_secs_f64();
        println!(
            "{size}²: whole job {:.1} fps ({frames} frames in {whole:.2} s); tracking pass {:.1} fps; \
             render pass (decode+motion+warp+encode) {:.1} fps; motion+warp alone {:.1} fps",
            frames / whole,
            frames / tracking,
            frames / render,
            frames / warp,
        );
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at end: {}", load.trim());
}
