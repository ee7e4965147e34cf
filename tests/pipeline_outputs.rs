//! The main job's output handling: a job stopped half-way (cancelled from the preview window)
//! leaves no file behind, and a finished job writes every frame. Runs from the repo alone, on
//! the inputs in `examples/`.

mod common;

use common::example;
use sfumato::engine::warp::WarpOptions;
use sfumato::engine::Device;
use sfumato::motion::MotionConfig;
use sfumato::pipeline::{self, DriverSource, EngineChoice, Job, Stage};
use sfumato::preview::FrameSender;
use std::path::{Path, PathBuf};

fn job(output: PathBuf) -> Job {
    Job {
        portrait: example("grace_hopper.jpg"),
        driver: DriverSource::Video(example("driver_talk.mp4")),
        output: Some(output),
        max_size: Some(160),
        engine: EngineChoice::Warp(WarpOptions {
            device: Device::Cpu,
            ..WarpOptions::default()
        }),
        motion: MotionConfig::default(),
        reference: None,
        force: false,
    }
}

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_job_cancelled_half_way_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["out.mp4", "out.gif"] {
        let out = dir.path().join(name);
        let preview = FrameSender::detached();
        let cancel_after_ten = |stage: Stage, done: u64, _: Option<u64>| {
            if stage == Stage::Rendering && done == 10 {
                preview.cancel();
            }
        };
        let result = pipeline::run(&job(out.clone()), &cancel_after_ten, &preview);
        let err = result.expect_err("a cancelled job must fail").to_string();
        assert!(err.contains("cancelled"), "{name}: {err}");
        assert!(
            files_in(dir.path()).is_empty(),
            "{name}: left {:?}",
            files_in(dir.path())
        );
    }
}

#[test]
fn a_finished_job_writes_every_driver_frame() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let no_progress = |_: Stage, _: u64, _: Option<u64>| {};
    let report = pipeline::run(&job(out.clone()), &no_progress, &FrameSender::detached()).unwrap();
    let driver_frames = sfumato::media::open_video(&example("driver_talk.mp4"))
        .unwrap()
        .count();
    assert_eq!(report.frames, driver_frames);
    let written = sfumato::media::open_video(&out).unwrap().count();
    assert_eq!(written, driver_frames);
    assert_eq!(files_in(dir.path()), vec!["out.mp4".to_string()]);
}
