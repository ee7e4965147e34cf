//! Motion transfer on real face-mesh landmarks (MediaPipe fixtures in ../shared) moved by known
//! synthetic motions: pose/expression separation, transfer, soft limit, smoothing, face loss.

mod common;

use sfumato::motion::linalg::{axis_angle_from_rotation, mul_vec, norm};
use sfumato::motion::preset::Preset;
use sfumato::motion::regions::{mouth_opening, LEFT_EYE_LOWER, LEFT_EYE_UPPER};
use sfumato::motion::{fit_pose, pick_reference, DriverMotion, MotionConfig, MotionTransfer};

fn landmarks(name: &str) -> Option<Vec<[f32; 3]>> {
    let dir = common::shared_dir(&format!("warp_motion {name}"))?;
    let path = dir.join(format!("fixtures/mediapipe/{name}.safetensors"));
    let t = candle_core::safetensors::load(path, &candle_core::Device::Cpu).unwrap();
    let v: Vec<Vec<f32>> = t["mesh_mp.landmarks_px"].to_vec2().unwrap();
    Some(v.into_iter().map(|p| [p[0], p[1], p[2]]).collect())
}

fn config(smoothing: f32) -> MotionConfig {
    MotionConfig {
        smoothing,
        ..Default::default()
    }
}

fn eye_gap(l: &[[f32; 3]]) -> f32 {
    LEFT_EYE_UPPER
        .iter()
        .zip(LEFT_EYE_LOWER)
        .map(|(&u, &d)| (l[u][1] - l[d][1]).abs())
        .sum::<f32>()
        / LEFT_EYE_UPPER.len() as f32
}

fn max_dist(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(p, q)| ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt())
        .fold(0.0, f32::max)
}

#[test]
fn reference_frame_leaves_the_portrait_unchanged() {
    let (Some(portrait), Some(driver)) = (landmarks("grace_hopper"), landmarks("astronaut")) else {
        return;
    };
    let mut t = MotionTransfer::new(&portrait, &driver, config(0.5)).unwrap();
    for _ in 0..3 {
        let out = t.next(Some(&driver));
        assert!(max_dist(&out, &portrait) < 1e-2);
    }
}

#[test]
fn head_rotation_is_separated_from_expression_and_transferred() {
    let (Some(portrait), Some(driver)) = (landmarks("grace_hopper"), landmarks("astronaut")) else {
        return;
    };
    // Preset nod frames are the driver's own face rotated about the x axis, no expression.
    let track = Preset::Nod.track(&driver, 25.0, 10);
    let m = DriverMotion::measure(&driver, &track[3]).unwrap();
    let angle = norm(m.rotation);
    assert!(angle > 0.05, "no rotation measured: {angle}");
    assert!(
        m.rotation[0].abs() > 0.95 * angle,
        "nod not about x: {:?}",
        m.rotation
    );
    let expr = m.expression.iter().map(|e| norm(*e)).fold(0.0, f64::max);
    assert!(expr < 1e-3, "rotation leaked into expression: {expr}");

    let mut t = MotionTransfer::new(&portrait, &driver, config(0.0)).unwrap();
    let out = t.next(Some(&track[3]));
    let pose = fit_pose(&portrait, &out).unwrap();
    let got = axis_angle_from_rotation(&pose.rotation);
    // The default soft limit (25°) bends even small angles a little: limit · tanh(angle / limit).
    // The nod is the portrait's own: its axis is carried by the rotation from the driver's
    // reference head to the portrait's (Hopper's head is turned a little against the astronaut's).
    let limit = 25f64.to_radians();
    let driver_axis = m
        .rotation
        .map(|c| c / angle * limit * (angle / limit).tanh());
    let align = fit_pose(&driver, &portrait).unwrap();
    let want = mul_vec(&align.rotation, driver_axis);
    for k in 0..3 {
        assert!((got[k] - want[k]).abs() < 1e-3, "{got:?} vs {want:?}");
    }
}

#[test]
fn expression_is_transferred_relative_and_scaled_to_face_size() {
    let (Some(portrait), Some(driver)) = (landmarks("grace_hopper"), landmarks("astronaut")) else {
        return;
    };
    let talk = Preset::Talk.track(&driver, 25.0, 50);
    let open = (0..50)
        .max_by(|&a, &b| mouth_opening(&talk[a]).total_cmp(&mouth_opening(&talk[b])))
        .unwrap();
    let mut t = MotionTransfer::new(&portrait, &driver, config(0.0)).unwrap();
    let out = t.next(Some(&talk[open]));
    let unit = |l: &[[f32; 3]]| sfumato::motion::regions::eye_distance(l);
    let driver_gain = (mouth_opening(&talk[open]) - mouth_opening(&driver)) / unit(&driver);
    let portrait_gain = (mouth_opening(&out) - mouth_opening(&portrait)) / unit(&portrait);
    assert!(
        driver_gain > 0.1,
        "preset did not open the mouth: {driver_gain}"
    );
    assert!(
        (portrait_gain - driver_gain).abs() < 0.2 * driver_gain,
        "driver opened {driver_gain}, portrait {portrait_gain} (face units)"
    );

    let blink = Preset::Blink.track(&driver, 25.0, 45);
    let closed = (0..45)
        .min_by(|&a, &b| eye_gap(&blink[a]).total_cmp(&eye_gap(&blink[b])))
        .unwrap();
    let out = t.next(Some(&blink[closed]));
    assert!(
        eye_gap(&out) < 0.3 * eye_gap(&portrait),
        "eyes did not close"
    );
}

#[test]
fn large_rotations_are_softly_limited_and_motion_scale_applies() {
    let Some(driver) = landmarks("astronaut") else {
        return;
    };
    let rotate = |deg: f64| {
        let r = sfumato::motion::linalg::rotation_from_axis_angle([0.0, deg.to_radians(), 0.0]);
        let c = driver[1];
        driver
            .iter()
            .map(|p| {
                let v = [0, 1, 2].map(|k| (p[k] - c[k]) as f64);
                let w = sfumato::motion::linalg::mul_vec(&r, v);
                [0, 1, 2].map(|k| w[k] as f32 + c[k])
            })
            .collect::<Vec<_>>()
    };
    let measured_yaw = |cfg: MotionConfig, deg: f64| {
        let mut t = MotionTransfer::new(&driver, &driver, cfg).unwrap();
        let out = t.next(Some(&rotate(deg)));
        norm(axis_angle_from_rotation(
            &fit_pose(&driver, &out).unwrap().rotation,
        ))
        .to_degrees()
    };
    let limited = measured_yaw(config(0.0), 60.0);
    assert!(limited < 25.0 && limited > 20.0, "60° became {limited}°");
    let small = measured_yaw(config(0.0), 5.0);
    assert!((small - 5.0).abs() < 0.2, "5° became {small}°");
    let half = MotionConfig {
        motion_scale: 0.5,
        ..config(0.0)
    };
    let damped = measured_yaw(half, 10.0);
    assert!((damped - 5.0).abs() < 0.2, "half of 10° became {damped}°");
}

#[test]
fn lost_face_eases_back_to_the_reference_and_is_counted() {
    let (Some(portrait), Some(driver)) = (landmarks("grace_hopper"), landmarks("astronaut")) else {
        return;
    };
    let nod = Preset::Nod.track(&driver, 25.0, 20);
    let mut t = MotionTransfer::new(&portrait, &driver, config(0.5)).unwrap();
    let mut last = portrait.clone();
    for f in &nod[..10] {
        last = t.next(Some(f));
    }
    let start = max_dist(&last, &portrait);
    assert!(start > 2.0, "nod moved the portrait only {start} px");
    let mut prev = start;
    let mut max_step: f32 = 0.0;
    for _ in 0..25 {
        let out = t.next(None);
        let d = max_dist(&out, &portrait);
        assert!(d <= prev + 1e-4, "moved away from the reference while lost");
        max_step = max_step.max(max_dist(&out, &last));
        last = out;
        prev = d;
    }
    assert!(
        prev < 0.05 * start,
        "still {prev} px from the reference after 1 s"
    );
    assert!(max_step < 0.5 * start, "jumped {max_step} px in one frame");
    assert_eq!(t.lost_frames(), 25);
}

#[test]
fn still_driver_with_landmark_noise_gives_little_jitter() {
    let (Some(portrait), Some(driver)) = (landmarks("grace_hopper"), landmarks("astronaut")) else {
        return;
    };
    let mut t = MotionTransfer::new(&portrait, &driver, MotionConfig::default()).unwrap();
    let mut seed = 12345u32;
    let mut noise = || {
        seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
        (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    let mut outs = Vec::new();
    for _ in 0..60 {
        // ±0.5 px uniform noise on every driver landmark, like a tracker's jitter.
        let noisy: Vec<_> = driver
            .iter()
            .map(|p| [p[0] + noise(), p[1] + noise(), p[2] + noise()])
            .collect();
        outs.push(t.next(Some(&noisy)));
    }
    // Jitter: RMS over landmarks of the frame-to-frame movement, worst frame.
    let mut worst: f32 = 0.0;
    for w in outs[20..].windows(2) {
        let ms = w[0]
            .iter()
            .zip(&w[1])
            .map(|(p, q)| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2))
            .sum::<f32>()
            / w[0].len() as f32;
        worst = worst.max(ms.sqrt());
    }
    assert!(
        worst < 0.3,
        "frame-to-frame jitter {worst} px (RMS over landmarks)"
    );
}

#[test]
fn reference_is_the_driver_frame_closest_to_the_portrait() {
    let Some(driver) = landmarks("astronaut") else {
        return;
    };
    let talk = Preset::Talk.track(&driver, 25.0, 30);
    let smile = Preset::Smile.track(&driver, 25.0, 30);
    let frames = vec![
        Some(talk[12].clone()),
        None,
        // Smiling, between the preset's blinks (its frame 15 is mid-blink, never a reference).
        Some(smile[8].clone()),
        Some(Preset::Nod.track(&driver, 25.0, 5)[0].clone()),
        Some(talk[20].clone()),
    ];
    assert_eq!(pick_reference(&driver, &frames), Some(3));
    assert_eq!(pick_reference(&driver, &[None, None]), None);
}

#[test]
fn blinks_close_the_lids_fully_through_default_smoothing() {
    let Some(lm) = landmarks("grace_hopper") else {
        return;
    };
    let track = Preset::Blink.track(&lm, 25.0, 45);
    let mut t = MotionTransfer::new(&lm, &lm, MotionConfig::default()).unwrap();
    let out: Vec<_> = track.iter().map(|f| t.next(Some(f))).collect();
    let shut = out.iter().map(|l| eye_gap(l)).fold(f32::MAX, f32::min) / eye_gap(&lm);
    let first = eye_gap(&out[0]) / eye_gap(&lm);
    eprintln!("smallest lid gap through smoothing: {shut:.2} of the open eye's");
    // The 0.3 s blink must not be smoothed into a squint; the lids at rest stay put.
    assert!(
        shut < 0.15,
        "blink only closed to {shut:.2} of the open gap"
    );
    assert!((first - 1.0).abs() < 0.01, "lids at rest moved: {first}");
}

#[test]
fn reference_is_never_a_frame_caught_mid_blink() {
    let Some(lm) = landmarks("grace_hopper") else {
        return;
    };
    let track = Preset::Blink.track(&lm, 25.0, 45);
    // A portrait with half-closed eyes: the blink's frames match it best.
    let half = (0..track.len())
        .min_by(|&a, &b| {
            let off = |i: usize| (eye_gap(&track[i]) / eye_gap(&lm) - 0.5).abs();
            off(a).total_cmp(&off(b))
        })
        .unwrap();
    let portrait = track[half].clone();
    let frames: Vec<Option<Vec<[f32; 3]>>> = track.into_iter().map(Some).collect();
    let picked = pick_reference(&portrait, &frames).unwrap();
    let gap = eye_gap(frames[picked].as_ref().unwrap()) / eye_gap(&lm);
    eprintln!(
        "half-closed portrait (like frame {half}): picked frame {picked}, eyes {gap:.2} open"
    );
    assert!(
        gap > 0.95,
        "picked frame {picked}, caught mid-blink ({gap:.2} open)"
    );
}
