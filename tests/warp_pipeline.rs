//! The main job end to end: presets, every public portrait with every public driver, and bad
//! input (no face, unknown preset).

mod common;

use sfumato::engine::warp::WarpOptions;
use sfumato::engine::Device;
use sfumato::keypoints::{FaceMesh, FaceTracker};
use sfumato::motion::preset::Preset;
use sfumato::motion::MotionConfig;
use sfumato::pipeline::{self, prepare_portrait, track_driver, DriverSource, EngineChoice, Job};
use sfumato::preview::FrameSender;
use std::path::{Path, PathBuf};
use std::process::Command;

fn job(portrait: &Path, driver: DriverSource, output: PathBuf, max_size: Option<u32>) -> Job {
    Job {
        portrait: portrait.to_path_buf(),
        driver,
        output: Some(output),
        max_size,
        engine: EngineChoice::Warp(WarpOptions {
            device: Device::Cpu,
            ..WarpOptions::default()
        }),
        motion: MotionConfig::default(),
        reference: None,
        force: false,
    }
}

fn no_progress(_: pipeline::Stage, _: u64, _: Option<u64>) {}

fn frames(path: &Path) -> (sfumato::media::VideoInfo, Vec<image::RgbImage>) {
    let reader = sfumato::media::open_video(path).unwrap();
    let info = reader.info().clone();
    let frames = reader.map(|f| f.unwrap()).collect();
    (info, frames)
}

fn mean_abs_diff(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    a.as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .sum::<f64>()
        / a.as_raw().len() as f64
}

#[test]
fn portrait_without_a_face_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let img = image::RgbImage::from_fn(200, 160, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let portrait = dir.path().join("wall.png");
    img.save(&portrait).unwrap();
    let out = dir.path().join("out.gif");
    let run = Command::new(common::animate_bin())
        .arg(&portrait)
        .args(["--driver", "preset:idle", "--duration", "0.2", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no face found in"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn unknown_preset_and_missing_driver_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let portrait = dir.path().join("p.png");
    image::RgbImage::new(64, 64).save(&portrait).unwrap();
    for args in [vec!["--driver", "preset:dance"], vec![]] {
        let run = Command::new(common::animate_bin())
            .arg(&portrait)
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

#[test]
fn rejected_settings_are_named_by_their_flags_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let portrait = dir.path().join("p.png");
    image::RgbImage::new(64, 64).save(&portrait).unwrap();
    let existing = dir.path().join("taken.mp4");
    std::fs::write(&existing, b"keep").unwrap();
    let out = dir.path().join("out.mp4");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], String); 5] = [
        (
            &["--motion-scale", "9", "-o", out],
            "error: --motion-scale 9: must be between 0 and 5".into(),
        ),
        (
            &["--max-rotation", "0", "-o", out],
            "error: --max-rotation 0: must be between 1 and 90".into(),
        ),
        (
            &["--smoothing", "2", "-o", out],
            "error: --smoothing 2: must be between 0 and 1".into(),
        ),
        (
            &["--duration", "700", "-o", out],
            "error: --duration 700: must be between 0 and 600".into(),
        ),
        (
            &["-o", existing.to_str().unwrap()],
            format!(
                "error: {}: already exists; pass --force",
                existing.display()
            ),
        ),
    ];
    for (args, want) in cases {
        let run = Command::new(common::animate_bin())
            .arg(&portrait)
            .args(["--driver", "preset:nod"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(&want), "{args:?}: {stderr}");
    }
    assert_eq!(std::fs::read(&existing).unwrap(), b"keep");
    assert!(!Path::new(out).exists());
}

#[test]
fn a_gpu_failing_mid_run_hands_over_to_the_cpu_and_the_export_completes() {
    let test = "a_gpu_failing_mid_run_hands_over_to_the_cpu_and_the_export_completes";
    let dir = tempfile::tempdir().unwrap();
    let run = |out: &Path, device: &str, fail_at: Option<&str>| {
        let mut cmd = Command::new(common::animate_bin());
        cmd.arg(common::example("grace_hopper.jpg"))
            .args([
                "--driver",
                "preset:nod",
                "--duration",
                "0.4",
                "--max-size",
                "256",
            ])
            .args(["--device", device, "--no-preview", "-o"])
            .arg(out);
        if let Some(n) = fail_at {
            cmd.env("SFUMATO_GPU_FAIL_AT_FRAME", n);
        }
        cmd.output().unwrap()
    };
    let probe = run(&dir.path().join("probe/"), "gpu", None);
    if !probe.status.success() {
        let stderr = String::from_utf8_lossy(&probe.stderr);
        eprintln!("SKIPPED {test}: no GPU adapter here ({})", stderr.trim());
        return;
    }
    let fell_back = dir.path().join("fell_back/");
    let cpu = dir.path().join("cpu/");
    let failing = run(&fell_back, "gpu", Some("3"));
    let stderr = String::from_utf8_lossy(&failing.stderr);
    assert_eq!(failing.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("injected GPU failure")
            && stderr.contains("at frame 3; warping on the CPU"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warp on CPU"),
        "the summary names the CPU: {stderr}"
    );
    assert!(run(&cpu, "cpu", None).status.success());
    let frames = |d: &Path| {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    };
    let (a, b) = (frames(&fell_back), frames(&cpu));
    assert_eq!(a.len(), b.len());
    assert_eq!(a.len(), 10, "{a:?}");
    // Same picture on both paths (each export carries its own watermark payload).
    for (x, y) in a.iter().zip(&b) {
        let (x, y) = (
            image::open(x).unwrap().to_rgb8(),
            image::open(y).unwrap().to_rgb8(),
        );
        let p = common::psnr(&x, &y);
        assert!(p >= 38.0, "{p} dB");
    }
}

#[test]
fn idle_preset_gif_loops_without_a_jump() {
    let Some(shared) = common::shared_dir("idle_preset_gif_loops_without_a_jump") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let portrait = shared.join("media/images/grace_hopper.jpg");
    let out = dir.path().join("idle.gif");
    let driver = DriverSource::Preset {
        preset: Preset::Idle,
        seconds: 3.6,
        fps: 10,
    };
    let report = pipeline::run(
        &job(&portrait, driver, out.clone(), None),
        &no_progress,
        &FrameSender::detached(),
    )
    .unwrap();
    assert_eq!((report.frames, report.width, report.height), (36, 512, 600));
    let (info, gif) = frames(&out);
    assert_eq!(gif.len(), 36);
    assert_eq!((info.width, info.height), (512, 600));
    let steps: Vec<f64> = gif
        .windows(2)
        .map(|w| mean_abs_diff(&w[0], &w[1]))
        .collect();
    let wrap = mean_abs_diff(&gif[gif.len() - 1], &gif[0]);
    let typical = steps.iter().sum::<f64>() / steps.len() as f64;
    let largest = steps.iter().cloned().fold(0.0, f64::max);
    eprintln!("idle loop: wrap-around step {wrap:.3}, typical {typical:.3}, largest {largest:.3}");
    assert!(typical > 0.02, "the idle preset does not move");
    assert!(
        wrap <= largest * 1.1,
        "the loop jumps: {wrap} vs largest step {largest}"
    );
}

#[test]
fn every_public_portrait_with_every_public_driver() {
    let Some(shared) = common::shared_dir("every_public_portrait_with_every_public_driver") else {
        return;
    };
    let public = shared.join("media/public");
    let dir = tempfile::tempdir().unwrap();
    let mesh = FaceMesh::load().unwrap();
    // Output capped at 320 px to keep this test's time modest; the full-size path is the same.
    let max_size = Some(320);
    for driver in ["driving_d0.mp4", "driving_d18.mp4", "driving_d20.mp4"] {
        let driver_path = public.join(driver);
        let track = track_driver(&driver_path, &mesh, &no_progress).unwrap();
        let (driver_info, _) = (
            sfumato::media::open_video(&driver_path)
                .unwrap()
                .info()
                .clone(),
            (),
        );
        for portrait in [
            "source_s9.jpg",
            "source_s4.jpg",
            "source_s12.jpg",
            "source_s42.jpg",
            "source_s7.jpg",
        ] {
            let portrait_path = public.join(portrait);
            let prepared = prepare_portrait(&portrait_path, max_size, &mesh).unwrap();
            let out = dir.path().join(format!("{portrait}_{driver}.mp4"));
            let job = job(
                &portrait_path,
                DriverSource::Video(driver_path.clone()),
                out.clone(),
                max_size,
            );
            let report = pipeline::render(
                &job,
                &prepared,
                &track,
                &no_progress,
                &FrameSender::detached(),
            )
            .unwrap();
            let (info, video) = frames(&out);
            let what = format!("{portrait} × {driver}");
            assert_eq!(video.len(), track.len(), "{what}: frame count");
            assert_eq!(info.fps, driver_info.fps, "{what}: fps");
            let (w, h) = prepared.image.dimensions();
            assert_eq!((info.width, info.height), (w & !1, h & !1), "{what}: size");
            assert_eq!(report.frames, video.len());
            let audio = sfumato::media::read_audio(&out).unwrap();
            assert_eq!(
                audio.is_some(),
                driver_info.audio.is_some(),
                "{what}: audio"
            );
            let mut tracker = FaceTracker::new(mesh.clone(), 25.0);
            let missing = video
                .iter()
                .filter(|f| tracker.track(f).unwrap().is_none())
                .count();
            eprintln!(
                "{what}: {} frames, reference {}, {missing} without a face",
                video.len(),
                report.reference
            );
            assert_eq!(missing, 0, "{what}: output frames without a face");
        }
    }
}
