//! `animate watermark embed|detect` and `animate verify` as a user runs them.

mod common;

use std::process::{Command, Output};

/// Runs `animate` with arguments given as anything path-like.
macro_rules! animate {
    ($($arg:expr),* $(,)?) => {
        run(&[$(std::ffi::OsStr::new(&$arg).to_owned()),*])
    };
}

fn run(args: &[std::ffi::OsString]) -> Output {
    Command::new(common::animate_bin())
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn embed_then_detect_and_verify_a_real_photo() {
    let Some(shared) = common::shared_dir("embed_then_detect_and_verify") else {
        return;
    };
    let input = shared.join("media/images/grace_hopper.jpg");
    let dir = tempfile::tempdir().unwrap();
    let marked = dir.path().join("marked.png");

    let out = animate!("watermark", "embed", input, marked, "--payload", "a5c3e19f");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(stdout(&out).trim(), "a5c3e19f");
    let img = image::open(&marked).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (512, 600),
        "same size as the input"
    );

    let out = animate!("watermark", "detect", marked);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).lines().last(), Some("a5c3e19f"));
    let out = animate!("watermark", "detect", input);
    assert_eq!(stdout(&out).lines().last(), Some("none"));

    let out = animate!("verify", marked);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "synthetic: watermark found (payload a5c3e19f, false-positive probability"
        ),
        "{text}"
    );

    let out = animate!("verify", "--json", marked);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["synthetic"], true);
    assert_eq!(json["watermark"]["payload"], "a5c3e19f");
    assert!(
        json["watermark"]["false_positive_probability"]
            .as_f64()
            .unwrap()
            <= 1e-6
    );

    let out = animate!("verify", input);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("no watermark found"));
}

#[test]
fn default_payload_is_the_export_layout() {
    let Some(shared) = common::shared_dir("default_payload_is_the_export_layout") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let marked = dir.path().join("m.png");
    let input = shared.join("media/images/astronaut.png");
    let out = animate!("watermark", "embed", input, marked);
    assert_eq!(out.status.code(), Some(0));
    let payload = stdout(&out).trim().to_string();
    assert!(
        payload.starts_with("53"),
        "synthetic marker byte first: {payload}"
    );
    let out = animate!("verify", marked);
    let text = stdout(&out);
    assert!(
        text.contains("synthetic-media marker, made by Sfumato"),
        "{text}"
    );
}

#[test]
fn public_driver_videos_do_not_verify() {
    let Some(shared) = common::shared_dir("public_driver_videos_do_not_verify") else {
        return;
    };
    let out = animate!("verify", shared.join("media/public/driving_d0.mp4"));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let text = stdout(&out);
    assert!(text.starts_with("no watermark found"), "{text}");
    assert!(text.contains("78 frames"), "{text}");
}

#[test]
fn bad_input_exits_2_without_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an image").unwrap();
    let missing = dir.path().join("missing.png");
    let png = dir.path().join("grey.png");
    image::RgbImage::from_pixel(64, 64, image::Rgb([90, 90, 90]))
        .save(&png)
        .unwrap();
    let before = std::fs::read(&png).unwrap();
    let out_png = dir.path().join("out.png");
    let cases = [
        animate!("verify", text),
        animate!("verify", missing),
        animate!("watermark", "detect", missing),
        animate!("watermark", "embed", png, png),
        animate!("watermark", "embed", png, out_png, "--payload", "xyz"),
    ];
    for (i, out) in cases.iter().enumerate() {
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "case {i}: {err}");
        assert!(err.starts_with("error: "), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert_eq!(before, std::fs::read(&png).unwrap(), "input untouched");
    assert!(!out_png.exists(), "nothing written on a bad payload");
}
