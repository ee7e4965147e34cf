//! The warp engine's invariant sweep: portraits × motions, every frame held to the invariants
//! the engine promises. Shared by the fast subset `cargo test` runs (`tests/warp_sweep.rs`)
//! and the full sweep (`cargo run --release --example sweep`).
//!
//! - Portraits: the pictures in `../shared/media`, rotated by 90°, 180°, 270° and by 15–30°
//!   (their landmarks rotated with them), and turned heads: the driver frame where the head is
//!   turned furthest, its face composited on a dark background, also mirrored.
//! - Motions: the public driver videos, the same videos transformed by ffmpeg (rotated 20°,
//!   cropped to the face, face half out of frame, 4× speed, 96 px, mirrored), every preset, and
//!   synthetic families made here from a real driver face ([`synthetic_drivers`]).
//! - Per frame ([`run`]): no panic; finite map; Jacobian determinant > 0; left, top and right
//!   frame edges still; background (outside [`Subject`]) moved by ≤ 0.5 px; output not black;
//!   and, once per run, the driver's neutral frame reproduces the portrait (≥ 40 dB over the face).
#![allow(dead_code)]

mod checks;
mod drivers;
mod portraits;

pub use checks::*;
pub use drivers::*;
pub use portraits::*;

use image::RgbImage;
use sfumato::engine::warp::WarpEngine;
use sfumato::engine::Device;
use sfumato::engine::{DriveFrame, Engine};
use sfumato::keypoints::Face;
use sfumato::media;
use sfumato::motion::{pick_reference, MotionConfig, MotionTransfer};
use sfumato::pipeline::guard::panic_message;
use sfumato::pipeline::DriverTrack;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// Largest background displacement allowed, in pixels.
pub const BACKGROUND_TOLERANCE: f32 = 0.5;
/// Largest displacement allowed on the left, top and right frame edges, in pixels.
pub const EDGE_TOLERANCE: f32 = 1e-3;
/// Smallest PSNR over the face where the driver sits at its neutral frame, in dB.
pub const NEUTRAL_PSNR: f64 = 40.0;

/// A portrait to animate, at the size it is rendered.
#[derive(Clone)]
pub struct Portrait {
    /// What it is, for the report.
    pub name: String,
    /// Pixels.
    pub image: RgbImage,
    /// Its face.
    pub face: Face,
}

/// A driver: landmarks per frame, and the video they came from (whose frames the mouth fill
/// may use), if any.
pub struct Driver {
    /// What it is, for the report.
    pub name: String,
    /// Landmarks per frame, `None` where the face is lost.
    pub track: DriverTrack,
    /// The video, for its frames.
    pub video: Option<PathBuf>,
    /// Frames per second.
    pub fps: f32,
}

/// What one portrait × driver run found.
#[derive(Debug, Default)]
pub struct Run {
    /// Frames rendered.
    pub frames: usize,
    /// Smallest Jacobian determinant over all frames.
    pub worst_jacobian: f32,
    /// Largest displacement outside the subject region over all frames, in pixels.
    pub worst_background: f32,
    /// Largest displacement on the fixed frame edges, in pixels.
    pub worst_edge: f32,
    /// Sum over frames of the share of the frame checked as background.
    pub background_share: f64,
    /// Neutral-frame PSNR over the face, dB.
    pub neutral_psnr: f64,
    /// Every broken invariant, one line each.
    pub violations: Vec<String>,
}

/// Totals over a sweep.
#[derive(Debug)]
pub struct Summary {
    /// Portrait × driver runs.
    pub runs: usize,
    /// Frames rendered.
    pub frames: usize,
    /// Smallest Jacobian determinant seen.
    pub worst_jacobian: f32,
    /// Largest background displacement seen, in pixels.
    pub worst_background: f32,
    /// Largest edge displacement seen, in pixels.
    pub worst_edge: f32,
    /// Sum over frames of the share of the frame checked as background.
    pub background_share: f64,
    /// Lowest neutral-frame PSNR seen, dB.
    pub worst_neutral_psnr: f64,
    /// Every violation, prefixed by its run.
    pub violations: Vec<String>,
}

impl Default for Summary {
    fn default() -> Self {
        Self {
            runs: 0,
            frames: 0,
            worst_jacobian: f32::MAX,
            worst_background: 0.0,
            worst_edge: 0.0,
            background_share: 0.0,
            worst_neutral_psnr: f64::MAX,
            violations: Vec::new(),
        }
    }
}

impl Summary {
    /// Adds one run's findings.
    pub fn add(&mut self, portrait: &str, driver: &str, run: Run) {
        self.runs += 1;
        self.frames += run.frames;
        self.worst_jacobian = self.worst_jacobian.min(run.worst_jacobian);
        self.worst_background = self.worst_background.max(run.worst_background);
        self.worst_edge = self.worst_edge.max(run.worst_edge);
        self.background_share += run.background_share;
        self.worst_neutral_psnr = self.worst_neutral_psnr.min(run.neutral_psnr);
        for v in run.violations {
            self.violations.push(format!("{portrait} × {driver}: {v}"));
        }
    }

    /// Adds another sweep's findings.
    pub fn merge(&mut self, other: Summary) {
        self.runs += other.runs;
        self.frames += other.frames;
        self.worst_jacobian = self.worst_jacobian.min(other.worst_jacobian);
        self.worst_background = self.worst_background.max(other.worst_background);
        self.worst_edge = self.worst_edge.max(other.worst_edge);
        self.background_share += other.background_share;
        self.worst_neutral_psnr = self.worst_neutral_psnr.min(other.worst_neutral_psnr);
        self.violations.extend(other.violations);
    }

    /// The report printed at the end of a sweep.
    pub fn report(&self) -> String {
        let mut s = format!(
            "sweep: {} runs, {} frames, worst Jacobian {:.4}, worst background displacement \
             {:.4} px (background: {:.0}% of the frame on average), worst edge displacement \
             {:.5} px, worst neutral-frame PSNR {:.1} dB, {} violations",
            self.runs,
            self.frames,
            self.worst_jacobian,
            self.worst_background,
            100.0 * self.background_share / self.frames.max(1) as f64,
            self.worst_edge,
            self.worst_neutral_psnr,
            self.violations.len()
        );
        for v in self.violations.iter().take(40) {
            s.push_str("\n  ");
            s.push_str(v);
        }
        s
    }
}

/// Drives `portrait` with `driver` (at most `limit` frames) through the motion stage and the
/// warp engine as the main job does, checking every frame.
pub fn run(portrait: &Portrait, driver: &Driver, limit: Option<usize>) -> Run {
    let mut run = Run {
        worst_jacobian: f32::MAX,
        ..Default::default()
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        run_frames(portrait, driver, limit, &mut run)
    }));
    if let Err(e) = result {
        run.violations.push(format!(
            "panic at frame {}: {}",
            run.frames,
            panic_message(e.as_ref())
        ));
    }
    run
}

fn run_frames(portrait: &Portrait, driver: &Driver, limit: Option<usize>, run: &mut Run) {
    let lm = &portrait.face.landmarks;
    let Some(reference) = pick_reference(lm, &driver.track) else {
        run.violations.push("no driver frame has a face".into());
        return;
    };
    let config = MotionConfig {
        fps: driver.fps,
        ..Default::default()
    };
    let neutral_of = driver.track[reference].as_deref().unwrap();
    let mut engine = WarpEngine::new(portrait.image.clone(), &portrait.face, Device::Cpu).unwrap();
    let blank = RgbImage::new(1, 1);

    // The neutral frame: a fresh transfer fed the reference frame must show the portrait.
    let target = MotionTransfer::new(lm, neutral_of, config)
        .unwrap()
        .next(Some(neutral_of));
    let frame = DriveFrame {
        index: reference,
        driver: &blank,
        driver_landmarks: None,
        target_landmarks: &target,
    };
    let out = engine.render(&frame).unwrap();
    run.neutral_psnr = face_psnr(&out, &portrait.image, lm);
    if run.neutral_psnr < NEUTRAL_PSNR {
        run.violations.push(format!(
            "neutral frame {reference} reproduces the portrait at only {:.1} dB",
            run.neutral_psnr
        ));
    }

    let mut motion = MotionTransfer::new(lm, neutral_of, config).unwrap();
    let mut video = driver.video.as_ref().map(|p| media::open_video(p).unwrap());
    let portrait_luma = mean_luma(&portrait.image);
    let frames = limit.map_or(driver.track.len(), |l| l.min(driver.track.len()));
    for (index, landmarks) in driver.track.iter().take(frames).enumerate() {
        let image = match video.as_mut() {
            Some(v) => v.next_frame().unwrap().unwrap_or_else(|| blank.clone()),
            None => blank.clone(),
        };
        let target = motion.next(landmarks.as_deref());
        let grid = engine.grid(&target);
        let check = check_grid(&grid, &Subject::new(lm, &target));
        run.worst_jacobian = run.worst_jacobian.min(check.jacobian);
        run.worst_background = run.worst_background.max(check.background);
        run.worst_edge = run.worst_edge.max(check.edge);
        run.background_share += check.background_share;
        let problems = check.violations;
        let frame = DriveFrame {
            index,
            driver: &image,
            driver_landmarks: landmarks.as_deref().filter(|_| video.is_some()),
            target_landmarks: &target,
        };
        let out = engine.render(&frame).unwrap();
        let luma = mean_luma(&out);
        let mut problems = problems;
        if luma < 0.25 * portrait_luma || luma < 1.0 {
            problems.push(format!(
                "output nearly black (mean luma {luma:.1}, portrait {portrait_luma:.1})"
            ));
        }
        for p in problems {
            run.violations.push(format!("frame {index}: {p}"));
        }
        run.frames += 1;
    }
}

/// Runs every portrait with every driver, printing one line per portrait.
pub fn sweep(portraits: &[Portrait], drivers: &[Driver], limit: Option<usize>) -> Summary {
    let mut summary = Summary::default();
    for p in portraits {
        let before = summary.violations.len();
        for d in drivers {
            let r = run(p, d, limit);
            summary.add(&p.name, &d.name, r);
        }
        eprintln!(
            "  {} ({}x{}): {} violations",
            p.name,
            p.image.width(),
            p.image.height(),
            summary.violations.len() - before
        );
    }
    summary
}
