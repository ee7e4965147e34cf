//! Keypoints through real driver videos: a face in every frame of the public drivers, and the
//! video JSON of `animate keypoints`.

mod common;

use sfumato::keypoints::{FaceMesh, FaceTracker};
use sfumato::media;
use std::process::Command;

#[test]
fn every_frame_of_the_public_drivers_has_a_face() {
    let Some(dir) = common::shared_dir("public drivers") else {
        return;
    };
    let mesh = FaceMesh::load().unwrap();
    for name in ["driving_d0.mp4", "driving_d18.mp4", "driving_d20.mp4"] {
        let mut video = media::open_video(&dir.join("media/public").join(name)).unwrap();
        let fps = video.info().fps.as_f64() as f32;
        let mut tracker = FaceTracker::new(mesh.clone(), fps);
        let mut frames = 0;
        let mut min_score = f32::INFINITY;
        let mut gap = (0.0f32, 0.0f32);
        while let Some(frame) = video.next_frame().unwrap() {
            let face = tracker.track(&frame).unwrap();
            assert!(face.is_some(), "{name}: no face in frame {frames}");
            let face = face.unwrap();
            min_score = min_score.min(face.score);
            let raw = &tracker.last_raw().unwrap().landmarks;
            let d = face
                .landmarks
                .iter()
                .zip(raw)
                .map(|(a, b)| (a[0] - b[0]).hypot(a[1] - b[1]));
            let mean = d.sum::<f32>() / raw.len() as f32;
            gap = (gap.0 + mean, gap.1.max(mean));
            frames += 1;
        }
        eprintln!(
            "{name}: {frames} frames, all with a face (lowest score {min_score:.3}); detector ran {} \
             time(s); smoothed vs raw landmarks: mean {:.3} px, worst frame {:.3} px",
            tracker.detections(),
            gap.0 / frames as f32,
            gap.1
        );
        assert_eq!(
            frames as u64,
            video.info().frame_count,
            "{name}: frames decoded"
        );
        assert!(
            tracker.detections() <= 2,
            "{name}: re-detected {} times",
            tracker.detections()
        );
    }
}

#[test]
fn video_json_has_one_entry_per_frame() {
    let Some(dir) = common::shared_dir("keypoints cli video") else {
        return;
    };
    let portrait = image::open(dir.join("media/images/astronaut.png"))
        .unwrap()
        .to_rgb8();
    let tmp = tempfile::tempdir().unwrap();
    let frames = tmp.path().join("frames");
    std::fs::create_dir(&frames).unwrap();
    for i in 0..3u32 {
        let mut frame = image::RgbImage::new(portrait.width(), portrait.height());
        image::imageops::replace(&mut frame, &portrait, 4 * i as i64, 0);
        frame
            .save(frames.join(format!("frame_{i:04}.png")))
            .unwrap();
    }
    let json = tmp.path().join("video.json");
    let overlay = tmp.path().join("overlay/");
    let status = Command::new(common::animate_bin())
        .args(["keypoints", "--quiet"])
        .arg(&frames)
        .arg("--json")
        .arg(&json)
        .arg("--overlay")
        .arg(&overlay)
        .status()
        .unwrap();
    assert!(status.success());
    let drawn = image::open(overlay.join(media::frame_file_name(2)))
        .unwrap()
        .to_rgb8();
    let plain = image::open(frames.join("frame_0002.png"))
        .unwrap()
        .to_rgb8();
    let changed = drawn
        .pixels()
        .zip(plain.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(changed > 468, "overlay frame changed only {changed} pixels");
    assert_eq!(std::fs::read_dir(&overlay).unwrap().count(), 3);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["fps"].as_f64(), Some(media::FOLDER_FPS as f64));
    let list = v["frames"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    for (i, f) in list.iter().enumerate() {
        assert_eq!(f["index"].as_u64(), Some(i as u64));
        let faces = f["faces"].as_array().unwrap();
        assert_eq!(faces.len(), 1);
        assert_eq!(faces[0]["landmarks"].as_array().unwrap().len(), 468);
    }
    let nose = |i: usize| list[i]["faces"][0]["landmarks"][1][0].as_f64().unwrap();
    assert!(
        nose(2) > nose(0) + 2.0,
        "the face moved right by 8 px: {} -> {}",
        nose(0),
        nose(2)
    );
}
