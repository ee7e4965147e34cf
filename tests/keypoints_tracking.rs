//! Tracking faces through frames: ROI from the previous landmarks, re-detection when the face
//! is lost, One-Euro smoothing (jitter on a still clip, lag on fast motion).

mod common;

use image::RgbImage;
use sfumato::keypoints::{FaceMesh, FaceTracker};

fn portrait(test: &str) -> Option<RgbImage> {
    let dir = common::shared_dir(test)?;
    Some(
        image::open(dir.join("media/images/astronaut.png"))
            .unwrap()
            .to_rgb8(),
    )
}

/// `img` with deterministic uniform noise of +-`amp` grey levels added.
fn noisy(img: &RgbImage, seed: u32, amp: i32) -> RgbImage {
    let mut state = seed.wrapping_mul(2654435761).wrapping_add(1);
    let mut out = img.clone();
    for v in out.iter_mut() {
        state = state.wrapping_mul(1664525).wrapping_add(1013904223);
        let n = (state >> 16) as i32 % (2 * amp + 1) - amp;
        *v = (*v as i32 + n).clamp(0, 255) as u8;
    }
    out
}

/// `img` moved right by `dx` pixels on a black canvas of the same size.
fn shifted(img: &RgbImage, dx: u32) -> RgbImage {
    let mut out = RgbImage::new(img.width(), img.height());
    image::imageops::replace(&mut out, img, dx as i64, 0);
    out
}

/// Root mean square over landmarks of each coordinate's (x, y) standard deviation over frames.
fn jitter(frames: &[Vec<[f32; 3]>]) -> f64 {
    let n = frames.len() as f64;
    let points = frames[0].len();
    let mut sum_var = 0.0;
    for p in 0..points {
        for k in 0..2 {
            let mean = frames.iter().map(|f| f[p][k] as f64).sum::<f64>() / n;
            sum_var += frames
                .iter()
                .map(|f| (f[p][k] as f64 - mean).powi(2))
                .sum::<f64>()
                / n;
        }
    }
    (sum_var / (2 * points) as f64).sqrt()
}

/// Tracks `frame` repeated 30 times with fresh noise each time; returns the jitter of the raw
/// and of the smoothed landmarks (frames 6 on, once the filter has settled).
fn still_clip_jitter(frame: &RgbImage) -> (f64, f64) {
    let mut tracker = FaceTracker::new(FaceMesh::load().unwrap(), 30.0);
    let (mut raw, mut smooth) = (Vec::new(), Vec::new());
    for i in 0..30 {
        let face = tracker
            .track(&noisy(frame, i, 16))
            .unwrap()
            .expect("face in every frame");
        if i >= 6 {
            raw.push(tracker.last_raw().unwrap().landmarks.clone());
            smooth.push(face.landmarks);
        }
    }
    assert_eq!(
        tracker.detections(),
        1,
        "the detector should run on the first frame only"
    );
    (jitter(&raw), jitter(&smooth))
}

#[test]
fn still_clip_jitter_is_small_after_smoothing() {
    let Some(dir) = common::shared_dir("still clip jitter") else {
        return;
    };
    let driver = dir.join("media/public/driving_d0.mp4");
    let first = sfumato::media::open_video(&driver)
        .unwrap()
        .next_frame()
        .unwrap()
        .unwrap();
    let portrait = image::open(dir.join("media/images/astronaut.png"))
        .unwrap()
        .to_rgb8();
    for (name, frame) in [("driving_d0 frame 0", first), ("astronaut", portrait)] {
        let (raw, smooth) = still_clip_jitter(&frame);
        eprintln!("{name} repeated, noise +-16 grey levels: landmark jitter raw {raw:.3} px, smoothed {smooth:.3} px (std)");
        assert!(smooth <= 0.3, "{name}: smoothed jitter {smooth} px");
        assert!(smooth < raw, "{name}: smoothing did not reduce jitter");
    }
}

#[test]
fn fast_motion_is_followed_without_redetection_or_lag() {
    let Some(img) = portrait("fast motion") else {
        return;
    };
    let mut tracker = FaceTracker::new(FaceMesh::load().unwrap(), 30.0);
    let start = tracker.track(&img).unwrap().unwrap();
    let nose = |f: &[[f32; 3]]| f[1][0];
    let mut lag = 0.0;
    let mut moved = 0.0;
    for i in 1..=15u32 {
        let dx = 6 * i;
        let face = tracker
            .track(&shifted(&img, dx))
            .unwrap()
            .expect("face followed");
        moved = nose(&tracker.last_raw().unwrap().landmarks) - nose(&start.landmarks);
        lag = nose(&tracker.last_raw().unwrap().landmarks) - nose(&face.landmarks);
        assert!(
            (moved - dx as f32).abs() < 1.5,
            "frame {i}: raw nose moved {moved} px for {dx}"
        );
    }
    eprintln!("moving 6 px/frame (180 px/s): raw moved {moved:.2} px, smoothed lag {lag:.2} px");
    assert!(lag.abs() < 2.0, "smoothed landmarks lag {lag} px behind");
    assert_eq!(tracker.detections(), 1);
}

#[test]
fn lost_face_is_redetected() {
    let Some(img) = portrait("lost face") else {
        return;
    };
    let mut tracker = FaceTracker::new(FaceMesh::load().unwrap(), 30.0);
    assert!(tracker.track(&img).unwrap().is_some());
    let blank = RgbImage::from_pixel(img.width(), img.height(), image::Rgb([128, 128, 128]));
    assert!(
        tracker.track(&blank).unwrap().is_none(),
        "no face on a blank frame"
    );
    let again = tracker.track(&img).unwrap().expect("face found again");
    assert_eq!(again.landmarks.len(), 468);
    assert_eq!(
        tracker.detections(),
        3,
        "first frame, blank frame, face again"
    );
}

/// Two portraits' faces side by side on one 400x200 frame.
fn two_faces(dir: &std::path::Path) -> RgbImage {
    let grace = image::open(dir.join("media/images/grace_hopper.jpg"))
        .unwrap()
        .to_rgb8();
    let astronaut = image::open(dir.join("media/images/astronaut.png"))
        .unwrap()
        .to_rgb8();
    let grace = image::imageops::crop_imm(&grace, 118, 94, 300, 300).to_image();
    let grace = image::imageops::resize(&grace, 200, 200, image::imageops::FilterType::Triangle);
    let astronaut = image::imageops::crop_imm(&astronaut, 125, 30, 200, 200).to_image();
    let mut frame = RgbImage::new(400, 200);
    image::imageops::replace(&mut frame, &grace, 0, 0);
    image::imageops::replace(&mut frame, &astronaut, 200, 0);
    frame
}

#[test]
fn several_faces_are_tracked_each_with_its_own_landmarks() {
    let Some(dir) = common::shared_dir("several faces") else {
        return;
    };
    let frame = two_faces(&dir);
    let mesh = FaceMesh::load().unwrap();
    assert_eq!(
        mesh.detect_faces(&frame).unwrap().len(),
        2,
        "both faces in the still image"
    );
    let mut tracker = FaceTracker::new(mesh, 30.0).with_max_faces(4);
    for i in 0..5 {
        let faces = tracker.track_all(&noisy(&frame, i, 4)).unwrap();
        assert_eq!(faces.len(), 2, "frame {i}: {} faces", faces.len());
        let centre = |f: &sfumato::keypoints::Face| (f.bbox[0] + f.bbox[2]) / 2.0;
        let (left, right) = if centre(&faces[0]) < centre(&faces[1]) {
            (0, 1)
        } else {
            (1, 0)
        };
        assert!(centre(&faces[left]) < 200.0 && centre(&faces[right]) > 200.0);
    }
    let main = tracker.track(&frame).unwrap().unwrap();
    assert!(
        (main.bbox[0] + main.bbox[2]) / 2.0 < 200.0,
        "the larger face (left) is the main one"
    );
}
