//! `animate keypoints` from the outside: JSON shape, overlay, and the no-face refusal.

mod common;

use std::process::Command;

#[test]
fn portrait_gives_json_with_468_landmarks_and_an_overlay() {
    let Some(dir) = common::shared_dir("keypoints cli portrait") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let (json, overlay) = (out.path().join("k.json"), out.path().join("k.png"));
    let input = dir.join("media/images/grace_hopper.jpg");
    let status = Command::new(common::animate_bin())
        .arg("keypoints")
        .arg(&input)
        .arg("--json")
        .arg(&json)
        .arg("--overlay")
        .arg(&overlay)
        .status()
        .unwrap();
    assert!(status.success());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(512), Some(600))
    );
    let faces = v["faces"].as_array().unwrap();
    assert_eq!(faces.len(), 1);
    let face = &faces[0];
    assert!(face["score"].as_f64().unwrap() > 0.5);
    let b: Vec<f64> = face["box"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(
        b.len() == 4 && b[0] < b[2] && b[1] < b[3] && b[0] > 0.0 && b[3] < 600.0,
        "box {b:?}"
    );
    let lms = face["landmarks"].as_array().unwrap();
    assert_eq!(lms.len(), 468);
    for p in lms {
        let p = p.as_array().unwrap();
        assert_eq!(p.len(), 3);
        let (x, y) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
        assert!(x >= b[0] - 0.01 && x <= b[2] + 0.01 && y >= b[1] - 0.01 && y <= b[3] + 0.01);
    }
    let drawn = image::open(&overlay).unwrap().to_rgb8();
    let original = image::open(&input).unwrap().to_rgb8();
    assert_eq!(drawn.dimensions(), original.dimensions());
    let changed = drawn
        .pixels()
        .zip(original.pixels())
        .filter(|(a, b)| a != b)
        .count();
    assert!(changed > 468, "overlay changed only {changed} pixels");
}

#[test]
fn no_face_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("wall.png");
    image::RgbImage::from_pixel(320, 240, image::Rgb([200, 190, 170]))
        .save(&input)
        .unwrap();
    let json = dir.path().join("out.json");
    let out = Command::new(common::animate_bin())
        .arg("keypoints")
        .arg(&input)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("no face found in {}", input.display())),
        "stderr: {stderr}"
    );
    assert!(out.stdout.is_empty());
    assert!(!json.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the input is left"
    );
}

#[test]
fn missing_input_is_a_clear_error() {
    let out = Command::new(common::animate_bin())
        .args(["keypoints", "/nonexistent/portrait.png"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("/nonexistent/portrait.png"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}
