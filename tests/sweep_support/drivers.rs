//! The sweep's drivers: tracked videos, their ffmpeg-transformed copies, the presets and the
//! synthetic motion families.

use super::Driver;
use sfumato::keypoints::FaceMesh;
use sfumato::media;
use sfumato::motion::linalg::{mul_vec, rotation_from_axis_angle};
use sfumato::motion::preset::Preset;
use sfumato::motion::regions::{
    eye_distance, face_down, JAW, LEFT_EYE_LOWER, LEFT_EYE_UPPER, LIPS_INNER_LOWER,
    RIGHT_EYE_LOWER, RIGHT_EYE_UPPER, RIGID,
};
use sfumato::pipeline::{track_driver, DriverTrack};
use std::path::Path;
use std::process::Command;

/// A video driver, tracked as the main job tracks it.
pub fn video_driver(name: &str, path: &Path, mesh: &FaceMesh) -> Driver {
    let fps = media::open_video(path).unwrap().info().fps.as_f64() as f32;
    let track = track_driver(path, mesh, &|_, _, _| {}).unwrap();
    Driver {
        name: name.to_string(),
        track,
        video: Some(path.to_path_buf()),
        fps,
    }
}

/// The ffmpeg transforms applied to a driver video: name and `-vf` filter, where `face` is
/// the face's bounding box `[x0, y0, x1, y1]` in the video's first frame with a face.
pub fn video_transforms(face: [f32; 4]) -> Vec<(&'static str, String)> {
    let [x0, y0, x1, y1] = face;
    let side = (x1 - x0).max(y1 - y0);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    vec![
        (
            "rotated 20°",
            "rotate=20*PI/180:fillcolor=black".to_string(),
        ),
        (
            "face fills frame",
            format!(
                "crop={s:.0}:{s:.0}:{x:.0}:{y:.0}",
                s = side,
                x = (cx - side / 2.0).max(0.0),
                y = (cy - side / 2.0).max(0.0)
            ),
        ),
        (
            "face half out",
            format!("crop=iw-{x:.0}:ih:{x:.0}:0", x = cx),
        ),
        (
            "4x speed",
            "select=not(mod(n\\,4)),setpts=N/FRAME_RATE/TB".to_string(),
        ),
        ("96 px", "scale=96:-2".to_string()),
        ("mirrored", "hflip".to_string()),
    ]
}

/// Makes the transformed copies of a driver video in `dir` with ffmpeg and tracks them.
pub fn transformed_drivers(base: &Driver, dir: &Path, mesh: &FaceMesh) -> Vec<Driver> {
    let path = base.video.as_ref().unwrap();
    let first = base.track.iter().flatten().next().unwrap();
    let xs = first.iter().map(|p| p[0]);
    let ys = first.iter().map(|p| p[1]);
    let bbox = [
        xs.clone().fold(f32::MAX, f32::min),
        ys.clone().fold(f32::MAX, f32::min),
        xs.fold(f32::MIN, f32::max),
        ys.fold(f32::MIN, f32::max),
    ];
    let mut out = Vec::new();
    for (k, (name, filter)) in video_transforms(bbox).into_iter().enumerate() {
        let file = dir.join(format!("{}_{k}.mp4", base.name.replace(' ', "_")));
        let ok = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(path)
            .args([
                "-vf", &filter, "-an", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            ])
            .arg(&file)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "ffmpeg could not make the '{name}' driver from {}",
            path.display()
        );
        out.push(video_driver(&format!("{} {name}", base.name), &file, mesh));
    }
    out
}

/// Every preset, made from the `neutral` driver face.
pub fn preset_drivers(neutral: &[[f32; 3]], frames: usize) -> Vec<Driver> {
    Preset::ALL
        .iter()
        .map(|(name, p)| Driver {
            name: format!("preset:{name}"),
            track: p
                .track(neutral, 25.0, frames)
                .into_iter()
                .map(Some)
                .collect(),
            video: None,
            fps: 25.0,
        })
        .collect()
}

/// The synthetic motion families, each `frames` long, made from the real driver face
/// `neutral` (frame 0 of each is `neutral` itself): head rotations to the soft limit and past
/// it, translation to and beyond the frame edge (`frame` is the driver's frame size), scale
/// 0.5–2×, mouth wide open, eyes shut, lids crossing, landmark noise, the face lost for a few
/// frames, and 4× speed jumps.
pub fn synthetic_drivers(neutral: &[[f32; 3]], frame: (u32, u32), frames: usize) -> Vec<Driver> {
    let n = frames.max(4);
    // 0 → 1 → 0 over the clip.
    let ramp = |k: usize| (std::f32::consts::PI * k as f32 / (n - 1) as f32).sin();
    let unit = eye_distance(neutral);
    let centre = {
        let m = RIGID.len() as f32;
        [0, 1, 2].map(|k| RIGID.iter().map(|&i| neutral[i][k]).sum::<f32>() / m)
    };
    let rotate = |w: [f64; 3]| -> Vec<[f32; 3]> {
        let r = rotation_from_axis_angle(w);
        neutral
            .iter()
            .map(|p| {
                let d = [0, 1, 2].map(|k| (p[k] - centre[k]) as f64);
                let q = mul_vec(&r, d);
                [0, 1, 2].map(|k| centre[k] + q[k] as f32)
            })
            .collect()
    };
    let shift = |dx: f32, dy: f32, lm: &[[f32; 3]]| -> Vec<[f32; 3]> {
        lm.iter().map(|p| [p[0] + dx, p[1] + dy, p[2]]).collect()
    };
    let scale = |s: f32| -> Vec<[f32; 3]> {
        neutral
            .iter()
            .map(|p| [0, 1, 2].map(|k| centre[k] + s * (p[k] - centre[k])))
            .collect()
    };
    let down = face_down(neutral);
    let open_mouth = |amount: f32| -> Vec<[f32; 3]> {
        let mut lm = neutral.to_vec();
        let moves = JAW
            .iter()
            .copied()
            .chain(LIPS_INNER_LOWER.iter().map(|&i| (i, 1.0)));
        for (i, w) in moves {
            lm[i][0] += w * amount * unit * down[0];
            lm[i][1] += w * amount * unit * down[1];
        }
        lm
    };
    // `t` = 1 closes the lids, beyond 1 the upper lid passes the lower one.
    let close_eyes = |t: f32| -> Vec<[f32; 3]> {
        let mut lm = neutral.to_vec();
        for (upper, lower) in [
            (RIGHT_EYE_UPPER, RIGHT_EYE_LOWER),
            (LEFT_EYE_UPPER, LEFT_EYE_LOWER),
        ] {
            for (&u, &l) in upper.iter().zip(lower) {
                for k in 0..2 {
                    lm[u][k] += t * (neutral[l][k] - neutral[u][k]);
                }
            }
        }
        lm
    };
    let deg = |d: f32| (d as f64).to_radians();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        // xorshift64*, two uniforms → one roughly normal value (sum of four uniforms).
        let mut sum = 0.0;
        for _ in 0..4 {
            rng ^= rng >> 12;
            rng ^= rng << 25;
            rng ^= rng >> 27;
            sum += (rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32;
        }
        (sum - 2.0) * 1.73
    };
    let (fw, fh) = (frame.0 as f32, frame.1 as f32);
    let mut families: Vec<(String, DriverTrack)> = Vec::new();
    let mut family = |name: &str, f: &mut dyn FnMut(usize) -> Option<Vec<[f32; 3]>>| {
        families.push((name.to_string(), (0..n).map(&mut *f).collect()));
    };
    for (axis, label) in [(1usize, "yaw"), (0, "pitch"), (2, "roll")] {
        for limit in [25.0f32, 60.0] {
            family(&format!("{label} ±{limit}°"), &mut |k| {
                // Out to +limit, back through 0 to −limit.
                let t = (2.0 * std::f32::consts::PI * k as f32 / (n - 1) as f32).sin();
                let mut w = [0.0; 3];
                w[axis] = deg(limit * t);
                Some(rotate(w))
            });
        }
    }
    family("roll 90°", &mut |k| {
        Some(rotate([0.0, 0.0, deg(90.0 * ramp(k))]))
    });
    family("translate past right edge", &mut |k| {
        Some(shift(1.2 * fw * ramp(k), 0.0, neutral))
    });
    family("translate past top edge", &mut |k| {
        Some(shift(0.0, -1.2 * fh * ramp(k), neutral))
    });
    family("scale 0.5x", &mut |k| Some(scale(1.0 - 0.5 * ramp(k))));
    family("scale 2x", &mut |k| Some(scale(1.0 + ramp(k))));
    family("mouth wide open", &mut |k| Some(open_mouth(0.9 * ramp(k))));
    family("eyes shut", &mut |k| Some(close_eyes(ramp(k))));
    family("lids crossing", &mut |k| Some(close_eyes(1.6 * ramp(k))));
    family("landmark noise 4 px", &mut |_| {
        Some(
            neutral
                .iter()
                .map(|p| [p[0] + 4.0 * noise(), p[1] + 4.0 * noise(), p[2]])
                .collect(),
        )
    });
    family("face lost and back", &mut |k| {
        (!(n / 3..n / 3 + 5).contains(&k)).then(|| rotate([0.0, deg(15.0), 0.0]))
    });
    family("4x speed jumps", &mut |k| {
        // Every frame jumps between two far poses (yaw, pitch and mouth at once).
        let s = if k % 2 == 0 { 1.0 } else { -1.0 };
        let head = rotate([deg(15.0 * s), deg(20.0 * s), deg(8.0 * s)]);
        let mouth = open_mouth(if s > 0.0 { 0.6 } else { 0.0 });
        Some(
            head.iter()
                .zip(&mouth)
                .zip(neutral)
                .map(|((h, m), o)| [0, 1, 2].map(|c| h[c] + m[c] - o[c]))
                .collect(),
        )
    });
    families
        .into_iter()
        .map(|(name, mut track)| {
            track[0] = Some(neutral.to_vec());
            Driver {
                name,
                track,
                video: None,
                fps: 25.0,
            }
        })
        .collect()
}
