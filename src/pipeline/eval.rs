//! Quality evaluation by same-identity reconstruction: a driver video's reference frame is used
//! as the portrait, the driver animates it through the same [`Animator`] as the main job (any
//! engine, any device), and each output frame is compared with the real frame — as ratios to
//! the "static" baseline that just holds the reference frame still.

use super::{Animator, EngineChoice, PreparedPortrait};
use crate::engine::warp::WarpOptions;
use crate::keypoints::{Face, FaceMesh, FaceTracker};
use crate::media;
use crate::motion::MotionConfig;
use crate::{Error, Result};
use image::RgbImage;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Options of one evaluation run.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// Motion transfer settings (the driver's frame rate is filled in).
    pub motion: MotionConfig,
    /// The engine measured (for the warp, `driver_interior: false` paints the synthetic cavity,
    /// so that no pixel of the real frame reaches the output).
    pub engine: EngineChoice,
    /// Frames of the still-driver test (the reference frame repeated).
    pub still_frames: usize,
    /// Where to write per-pixel error maps (mean-error heat maps of the output and of the static
    /// baseline, and every 25th frame as real | output | error); `None` writes nothing.
    pub maps: Option<PathBuf>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            motion: MotionConfig::default(),
            engine: EngineChoice::Warp(WarpOptions::default()),
            still_frames: 30,
            maps: None,
        }
    }
}

/// One metric for the animation and for the static baseline.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Metric {
    /// Mean over frames for the animated output.
    pub output: f64,
    /// Mean over frames for the reference frame held still.
    pub baseline: f64,
    /// `output / baseline`: below 1 means the animation follows the real video better.
    pub ratio: f64,
}

impl Metric {
    fn new(output: f64, baseline: f64) -> Self {
        Self {
            output,
            baseline,
            ratio: if baseline > 0.0 {
                output / baseline
            } else {
                f64::NAN
            },
        }
    }
}

/// Results for one driver video.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// The driver's file name.
    pub driver: String,
    /// The engine that rendered the output.
    pub engine: &'static str,
    /// Whether it rendered on a GPU adapter.
    pub gpu: bool,
    /// Frames compared (those where the real frame has a face).
    pub frames: usize,
    /// The reference frame used as the portrait.
    pub reference: usize,
    /// Mean absolute error (RGB in 0..1) inside the real frame's landmark hull, enlarged 1.1x.
    pub face_l1: Metric,
    /// Mean absolute error (RGB in 0..1) over the whole frame.
    pub full_l1: Metric,
    /// Mean distance (pixels) between the landmarks found in the output and in the real frame.
    pub landmark_px: Metric,
    /// Output frames in which the keypoint extractor found no face.
    pub output_frames_without_face: usize,
    /// Still driver: RMS frame-to-frame movement of the landmarks found in the output (pixels).
    pub still_jitter_px: f64,
}

/// Evaluates the engine of `options` on one driver video.
pub fn evaluate(driver: &Path, mesh: &FaceMesh, options: &EvalOptions) -> Result<EvalReport> {
    let reader = media::open_video(driver)?;
    let fps = reader.info().fps.as_f64() as f32;
    let frames: Vec<RgbImage> = reader.collect::<Result<_>>()?;
    let mut tracker = FaceTracker::new(mesh.clone(), fps).with_smoothing(None);
    let faces: Vec<Option<Face>> = frames
        .iter()
        .map(|f| tracker.track(f))
        .collect::<Result<_>>()?;
    let (reference, face) = faces
        .iter()
        .enumerate()
        .find_map(|(i, f)| Some((i, f.clone()?)))
        .ok_or_else(|| Error::bad_input(driver, "no face in any frame"))?;
    let portrait = PreparedPortrait {
        image: frames[reference].clone(),
        face,
    };
    let fps_options = EvalOptions {
        motion: MotionConfig {
            fps,
            ..options.motion
        },
        ..options.clone()
    };
    let label = driver.display().to_string();
    let mut animator = animator_for(&portrait, &fps_options, &label)?;
    let mut maps = options
        .maps
        .as_ref()
        .map(|_| ErrorMaps::new(portrait.image.width(), portrait.image.height()));
    let mut out_tracker = FaceTracker::new(mesh.clone(), fps).with_smoothing(None);
    let (mut face_out, mut face_base, mut full_out, mut full_base) = (0.0, 0.0, 0.0, 0.0);
    let (mut lm_out, mut lm_base) = (0.0, 0.0);
    let (mut compared, mut without_face) = (0usize, 0usize);
    let still = &portrait.image;
    let still_landmarks = &portrait.face.landmarks;
    for (index, (real, face)) in frames.iter().zip(&faces).enumerate() {
        let landmarks = face.as_ref().map(|f| f.landmarks.as_slice());
        let out = animator.frame(Some(real), landmarks)?.image;
        let found = out_tracker.track(&out)?;
        if found.is_none() {
            without_face += 1;
        }
        let Some(face) = face else { continue };
        if let Some(m) = maps.as_mut() {
            m.add(index, &out, still, real);
        }
        let mask = hull_mask(&face.landmarks, real.width(), real.height(), 1.1);
        face_out += l1(&out, real, Some(&mask));
        face_base += l1(still, real, Some(&mask));
        full_out += l1(&out, real, None);
        full_base += l1(still, real, None);
        lm_base += landmark_distance(still_landmarks, &face.landmarks);
        // A lost face in the output counts as the baseline's error (no credit).
        lm_out += match &found {
            Some(f) => landmark_distance(&f.landmarks, &face.landmarks),
            None => landmark_distance(still_landmarks, &face.landmarks),
        };
        compared += 1;
    }
    let n = compared.max(1) as f64;
    let name = driver
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let (Some(m), Some(dir)) = (maps, &options.maps) {
        m.save(dir, &name)?;
    }
    Ok(EvalReport {
        driver: name,
        engine: animator.engine_name(),
        gpu: animator.uses_gpu(),
        frames: compared,
        reference,
        face_l1: Metric::new(face_out / n, face_base / n),
        full_l1: Metric::new(full_out / n, full_base / n),
        landmark_px: Metric::new(lm_out / n, lm_base / n),
        output_frames_without_face: without_face,
        still_jitter_px: still_jitter(&portrait, mesh, &fps_options, &label)?,
    })
}

/// The animator eval drives: the portrait moved relative to its own landmarks (the reference
/// frame is the portrait).
fn animator_for(
    portrait: &PreparedPortrait,
    options: &EvalOptions,
    label: &str,
) -> Result<Animator> {
    Animator::new(
        portrait,
        &portrait.face.landmarks,
        options.motion,
        &options.engine,
        label,
    )
}

/// Drives the portrait with its own frame repeated and measures how much the landmarks found
/// in the output move from frame to frame.
fn still_jitter(
    portrait: &PreparedPortrait,
    mesh: &FaceMesh,
    options: &EvalOptions,
    label: &str,
) -> Result<f64> {
    let fps = options.motion.fps;
    let mut animator = animator_for(portrait, options, label)?;
    let mut driver_tracker = FaceTracker::new(mesh.clone(), fps).with_smoothing(None);
    let mut out_tracker = FaceTracker::new(mesh.clone(), fps).with_smoothing(None);
    let mut previous: Option<Vec<[f32; 3]>> = None;
    let (mut sum, mut n) = (0.0, 0usize);
    let still = &portrait.image;
    for _ in 0..options.still_frames {
        let face = driver_tracker.track(still)?;
        let landmarks = face.as_ref().map(|f| f.landmarks.as_slice());
        let out = animator.frame(Some(still), landmarks)?.image;
        let found = out_tracker.track(&out)?.map(|f| f.landmarks);
        if let (Some(a), Some(b)) = (&previous, &found) {
            let ms = a
                .iter()
                .zip(b)
                .map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)) as f64)
                .sum::<f64>()
                / a.len() as f64;
            sum += ms.sqrt();
            n += 1;
        }
        previous = found;
    }
    Ok(if n > 0 { sum / n as f64 } else { f64::NAN })
}

/// Per-pixel error maps of one driver, for finding what dominates the full-frame error: the mean
/// absolute error of the output and of the static baseline over all frames (heat maps, white =
/// 0.25 mean RGB error or more), and every 25th frame as real | output | error side by side.
struct ErrorMaps {
    width: u32,
    height: u32,
    output: Vec<f64>,
    baseline: Vec<f64>,
    frames: usize,
    samples: Vec<(usize, RgbImage)>,
}

impl ErrorMaps {
    fn new(width: u32, height: u32) -> Self {
        let n = (width * height) as usize;
        Self {
            width,
            height,
            output: vec![0.0; n],
            baseline: vec![0.0; n],
            frames: 0,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, index: usize, out: &RgbImage, portrait: &RgbImage, real: &RgbImage) {
        for (k, ((o, p), r)) in out
            .pixels()
            .zip(portrait.pixels())
            .zip(real.pixels())
            .enumerate()
        {
            self.output[k] += pixel_error(o, r);
            self.baseline[k] += pixel_error(p, r);
        }
        self.frames += 1;
        if index.is_multiple_of(25) {
            let (w, h) = (self.width, self.height);
            let mut side = RgbImage::new(3 * w, h);
            image::imageops::replace(&mut side, real, 0, 0);
            image::imageops::replace(&mut side, out, w as i64, 0);
            let err = RgbImage::from_fn(w, h, |x, y| {
                heat(pixel_error(out.get_pixel(x, y), real.get_pixel(x, y)))
            });
            image::imageops::replace(&mut side, &err, 2 * w as i64, 0);
            self.samples.push((index, side));
        }
    }

    fn save(&self, dir: &Path, driver: &str) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| crate::error::io_error(dir, e))?;
        let stem = driver.rsplit_once('.').map_or(driver, |(s, _)| s);
        let n = self.frames.max(1) as f64;
        let map = |sum: &[f64]| {
            RgbImage::from_fn(self.width, self.height, |x, y| {
                heat(sum[(y * self.width + x) as usize] / n)
            })
        };
        let mut images = vec![
            (format!("{stem}_error_output.png"), map(&self.output)),
            (format!("{stem}_error_static.png"), map(&self.baseline)),
        ];
        for (index, side) in &self.samples {
            images.push((format!("{stem}_frame{index:04}.png"), side.clone()));
        }
        for (file, image) in images {
            let path = dir.join(file);
            image.save(&path).map_err(|e| Error::failed(&path, e))?;
        }
        Ok(())
    }
}

/// Mean absolute RGB difference of two pixels, in 0..1.
fn pixel_error(a: &image::Rgb<u8>, b: &image::Rgb<u8>) -> f64 {
    (0..3)
        .map(|c| (a[c] as f64 - b[c] as f64).abs())
        .sum::<f64>()
        / (3.0 * 255.0)
}

/// A black → red → yellow → white heat colour for an error in 0..0.25 (clamped above).
fn heat(error: f64) -> image::Rgb<u8> {
    let t = (error / 0.25).clamp(0.0, 1.0) * 3.0;
    let ch = |v: f64| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    image::Rgb([ch(t), ch(t - 1.0), ch(t - 2.0)])
}

/// Mean distance in (x, y) between corresponding landmarks.
fn landmark_distance(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| ((p[0] - q[0]) as f64).hypot((p[1] - q[1]) as f64))
        .sum::<f64>()
        / a.len().max(1) as f64
}

/// Mean absolute difference of RGB in 0..1, over the pixels where `mask` is set (all if `None`).
fn l1(a: &RgbImage, b: &RgbImage, mask: Option<&[bool]>) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for (k, (pa, pb)) in a.pixels().zip(b.pixels()).enumerate() {
        if mask.is_some_and(|m| !m[k]) {
            continue;
        }
        for c in 0..3 {
            sum += (pa[c] as f64 - pb[c] as f64).abs() / 255.0;
        }
        n += 3;
    }
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

/// Pixels inside the convex hull of the landmarks, scaled by `enlarge` about its centroid.
fn hull_mask(landmarks: &[[f32; 3]], width: u32, height: u32, enlarge: f32) -> Vec<bool> {
    let hull = convex_hull(landmarks.iter().map(|p| [p[0], p[1]]).collect());
    let n = hull.len() as f32;
    let c = [
        hull.iter().map(|p| p[0]).sum::<f32>() / n,
        hull.iter().map(|p| p[1]).sum::<f32>() / n,
    ];
    let hull: Vec<[f32; 2]> = hull
        .iter()
        .map(|p| {
            [
                c[0] + enlarge * (p[0] - c[0]),
                c[1] + enlarge * (p[1] - c[1]),
            ]
        })
        .collect();
    let mut mask = vec![false; (width * height) as usize];
    for y in 0..height {
        for x in 0..width {
            let q = [x as f32, y as f32];
            let inside = (0..hull.len()).all(|k| {
                let a = hull[k];
                let b = hull[(k + 1) % hull.len()];
                (b[0] - a[0]) * (q[1] - a[1]) - (b[1] - a[1]) * (q[0] - a[0]) >= 0.0
            });
            mask[(y * width + x) as usize] = inside;
        }
    }
    mask
}

/// Convex hull (Andrew's monotone chain), counter-clockwise in a y-up sense.
fn convex_hull(mut pts: Vec<[f32; 2]>) -> Vec<[f32; 2]> {
    pts.sort_by(|a, b| a[0].total_cmp(&b[0]).then(a[1].total_cmp(&b[1])));
    let cross = |o: [f32; 2], a: [f32; 2], b: [f32; 2]| {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    };
    let mut lower: Vec<[f32; 2]> = Vec::new();
    for &p in &pts {
        while lower.len() >= 2 && cross(lower[lower.len() - 2], lower[lower.len() - 1], p) <= 0.0 {
            lower.pop();
        }
        lower.push(p);
    }
    let mut upper: Vec<[f32; 2]> = Vec::new();
    for &p in pts.iter().rev() {
        while upper.len() >= 2 && cross(upper[upper.len() - 2], upper[upper.len() - 1], p) <= 0.0 {
            upper.pop();
        }
        upper.push(p);
    }
    lower.pop();
    upper.pop();
    lower.extend(upper);
    lower
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hull_mask_covers_the_enlarged_square() {
        let square = vec![
            [10.0, 10.0, 0.0],
            [30.0, 10.0, 0.0],
            [30.0, 30.0, 0.0],
            [10.0, 30.0, 0.0],
            [20.0, 20.0, 0.0],
        ];
        let m = hull_mask(&square, 40, 40, 1.1);
        let count = m.iter().filter(|&&b| b).count();
        // 22 x 22 square centred on (20, 20): 9..31 inclusive → 23 x 23 pixels.
        assert_eq!(count, 23 * 23);
        assert!(m[(20 * 40 + 20) as usize] && !m[(5 * 40 + 5) as usize]);
    }
}
