//! The fast subset of the warp engine's invariant sweep (the full one:
//! `cargo run --release --example sweep`): the Mona Lisa, a photo lying on its side, a tilted
//! photo and a turned head on a dark background, each driven by every synthetic motion family,
//! every preset and ffmpeg-transformed copies of a public driver, every frame checked.

mod common;
mod sweep_support;

use sfumato::keypoints::FaceMesh;
use sweep_support::*;

/// Portraits are rendered at this size (the size the reported panics happened at is 512).
const MAX_SIZE: u32 = 320;
/// Frames per synthetic motion and preset.
const FRAMES: usize = 16;
/// Frames per video driver.
const VIDEO_FRAMES: usize = 24;

#[test]
fn warp_holds_its_invariants_on_unseen_portraits_and_motions() {
    let Some(shared) = common::shared_dir_with_ffmpeg("warp_sweep") else {
        return;
    };
    let mesh = FaceMesh::load().unwrap();
    let base = shared_portraits(&shared, &mesh, MAX_SIZE);
    let pick = |name: &str| base.iter().find(|p| p.name == name).unwrap();
    let d20 = video_driver(
        "driving_d20",
        &shared.join("media/public/driving_d20.mp4"),
        &mesh,
    );
    let neutral = d20.track.iter().flatten().next().unwrap().clone();
    let mut portraits = vec![
        pick("source_s9").clone(),
        rotated_quarters(pick("grace_hopper"), 1),
        rotated_by(pick("source_s42"), 25.0),
        framed(pick("astronaut"), 0.4),
    ];
    portraits.extend(
        turned_portraits(std::slice::from_ref(&d20), &mesh)
            .into_iter()
            .take(1),
    );
    assert_eq!(portraits.len(), 5, "a turned portrait could not be made");

    let tmp = tempfile::tempdir().unwrap();
    let mut drivers = synthetic_drivers(&neutral, (480, 480), FRAMES);
    drivers.extend(preset_drivers(&neutral, FRAMES));
    let transformed = transformed_drivers(&d20, tmp.path(), &mesh);
    let mut summary = sweep(&portraits, &drivers, None);
    summary.merge(sweep(&portraits, &transformed, Some(VIDEO_FRAMES)));
    eprintln!("{}", summary.report());
    assert!(summary.violations.is_empty(), "{}", summary.report());
    assert!(summary.frames >= portraits.len() * drivers.len() * FRAMES);
}
