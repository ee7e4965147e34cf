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
fn a_long_unmarked_video_verifies_neither_as_a_whole_nor_in_parts() {
    let Some(shared) = common::shared_dir_with_ffmpeg("a_long_unmarked_video") else {
        return;
    };
    // The three public drivers one after another: more than 250 frames, so decided as a whole
    // and in parts, each decision with its share of the 1e-9 limit.
    let media = shared.join("media/public");
    let [d18, d20] = ["driving_d18.mp4", "driving_d20.mp4"].map(|f| media.join(f));
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("drivers.mp4");
    let same = "fps=25,scale=512:512,setsar=1";
    let joined =
        format!("[0:v]{same}[a];[1:v]{same}[b];[2:v]{same}[c];[a][b][c]concat=n=3:v=1:a=0");
    ffmpeg(
        &media.join("driving_d0.mp4"),
        &[
            "-i",
            d18.to_str().unwrap(),
            "-i",
            d20.to_str().unwrap(),
            "-filter_complex",
            &joined,
            "-c:v",
            "libx264",
            "-crf",
            "20",
            "-an",
        ],
        &long,
    );
    let (code, found) = verify_json(&long);
    assert_eq!(code, Some(1), "{found}");
    assert_eq!(found["frames_checked"], 250, "{found}");
    assert!(found["found_in_frames"].is_null(), "{found}");
    assert_eq!(found["marked_parts"], serde_json::json!([]), "{found}");
    let limit = found["false_positive_probability"].as_f64().unwrap();
    assert!(limit > 5e-10 && limit <= 1e-9, "{found}");
}

#[test]
fn help_says_what_the_watermark_encodes() {
    for command in ["verify", "watermark"] {
        let out = animate!(command, "--help");
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        for needed in ["synthetic-media marker", "version", "export id"] {
            assert!(
                text.contains(needed),
                "`{command} --help` lacks {needed:?}:\n{text}"
            );
        }
    }
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

#[test]
fn every_export_carries_the_watermark_and_provenance() {
    let Some(shared) = common::shared_dir("every_export_carries_the_watermark") else {
        return;
    };
    let portrait = shared.join("media/images/grace_hopper.jpg");
    let dir = tempfile::tempdir().unwrap();
    let mp4 = dir.path().join("talk.mp4");
    let frames = dir.path().join("frames/");
    for out in [&mp4, &frames] {
        let made = animate!(
            portrait,
            "--driver",
            "preset:talk",
            "--max-size",
            "300",
            "-o",
            out
        );
        assert_eq!(made.status.code(), Some(0), "{made:?}");
    }
    let first_frame = std::fs::read_dir(&frames)
        .unwrap()
        .map(|e| e.unwrap().path())
        .min()
        .unwrap();
    for file in [&mp4, &first_frame] {
        let out = animate!("verify", "--json", file);
        assert_eq!(out.status.code(), Some(0), "{}: {out:?}", file.display());
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let payload = json["watermark"]["payload"].as_str().unwrap();
        assert!(
            payload.starts_with("5301"),
            "marker and version 0.1: {payload}"
        );
        assert_eq!(json["metadata"]["engine"], "warp");
        assert_eq!(json["metadata"]["watermark_payload"], payload);
        assert!(json["metadata"]["digital_source_type"]
            .as_str()
            .unwrap()
            .ends_with("compositeWithTrainedAlgorithmicMedia"));
    }
}

/// Re-encodes `input` with ffmpeg: `args` between input and output.
fn ffmpeg(input: &std::path::Path, args: &[&str], output: &std::path::Path) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(input)
        .args(args)
        .arg(output)
        .status()
        .unwrap();
    assert!(status.success(), "ffmpeg {args:?}");
}

#[test]
fn an_export_halved_at_crf_35_and_as_gif_still_verifies_and_its_driver_does_not() {
    if !common::ffmpeg_available("an_export_halved_at_crf_35") {
        return;
    }
    // README's main command: a 512x600 export of the repo's own example portrait and driver.
    let driver = common::example("driver_talk.mp4");
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("talk.mp4");
    let made = animate!(
        common::example("grace_hopper.jpg"),
        "--driver",
        driver,
        "--no-preview",
        "-o",
        export
    );
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    let payload = survives_halving_at_crf_35_and_gif(&export, dir.path());
    verifies_twice_between_unmarked_footage(&export, &payload, &driver, dir.path());

    let driver_halved = dir.path().join("driver_halved_crf35.mp4");
    ffmpeg(&driver, &CRF35_HALF, &driver_halved);
    let (code, clean) = verify_json(&driver_halved);
    assert_eq!(
        code,
        Some(1),
        "the unmarked driver, treated the same way: {clean}"
    );
}

#[test]
fn a_small_export_halved_at_crf_35_and_as_gif_still_verifies() {
    let Some(shared) = common::shared_dir_with_ffmpeg("a_small_export_halved_at_crf_35") else {
        return;
    };
    // A 288x512 export (a 9:16 painting at --max-size 512): halved, 144x256.
    let media = shared.join("media/public");
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("small.mp4");
    let made = animate!(
        media.join("source_s9.jpg"),
        "--driver",
        media.join("driving_d18.mp4"),
        "--max-size",
        "512",
        "--no-preview",
        "-o",
        export
    );
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    survives_halving_at_crf_35_and_gif(&export, dir.path());
}

const CRF35_HALF: [&str; 7] = [
    "-c:v",
    "libx264",
    "-crf",
    "35",
    "-vf",
    "scale=iw/2:ih/2",
    "-an",
];

/// Checks that `export`, which carries `payload`, is found twice in a long video where it comes
/// after 300 unmarked frames (its driver, looped and scaled to the export's size) and again
/// after 300 more: `verify` gathers frames from the whole video, not just its start, and lists
/// each stretch where the watermark was found on its own.
fn verifies_twice_between_unmarked_footage(
    export: &std::path::Path,
    payload: &serde_json::Value,
    driver: &std::path::Path,
    dir: &std::path::Path,
) {
    let long = dir.join("unmarked_and_export_twice.mp4");
    let joined =
        "[0:v]loop=loop=-1:size=60,trim=end_frame=300,setpts=N/FRAME_RATE/TB,scale=512:600,\
         setsar=1,split[u1][u2];[1:v]setsar=1[e1];[2:v]setsar=1[e2];\
         [u1][e1][u2][e2]concat=n=4:v=1:a=0";
    let export = export.to_str().unwrap();
    let crf18 = ["-c:v", "libx264", "-crf", "18", "-an"];
    let inputs = ["-i", export, "-i", export, "-filter_complex", joined];
    ffmpeg(driver, &[&inputs[..], &crf18[..]].concat(), &long);
    let (code, found) = verify_json(&long);
    assert_eq!(code, Some(0), "{found}");
    assert_eq!(&found["payload"], payload);
    assert_eq!(found["frames_checked"], 250, "{found}");
    // The export's 60 frames are frames 300–359 and 660–719 of the 720.
    let parts = found["marked_parts"].as_array().unwrap();
    let span = |p: &serde_json::Value| {
        let frame = |k: &str| p[k].as_u64().unwrap();
        (frame("first_frame"), frame("last_frame"))
    };
    assert_eq!(parts.len(), 2, "{found}");
    let ((a0, a1), (b0, b1)) = (span(&parts[0]), span(&parts[1]));
    assert!(a0 <= 359 && (300..660).contains(&a1), "{found}");
    assert!((360..=719).contains(&b0) && b1 >= 660, "{found}");
    assert!(parts.iter().all(|p| &p["payload"] == payload), "{found}");
}

/// `animate verify --json FILE`: the exit status and the watermark part of the report.
fn verify_json(file: &std::path::Path) -> (Option<i32>, serde_json::Value) {
    let out = animate!("verify", "--json", file);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code(), json["watermark"].clone())
}

/// Checks that `export` verifies, and so do it re-encoded at CRF 35 at half size and it
/// converted to a 256-colour GIF, with the same payload and within the video limit on false
/// claims; returns that payload (JSON).
fn survives_halving_at_crf_35_and_gif(
    export: &std::path::Path,
    dir: &std::path::Path,
) -> serde_json::Value {
    let (code, original) = verify_json(export);
    assert_eq!(code, Some(0), "{original}");
    let halved = dir.join("halved_crf35.mp4");
    ffmpeg(export, &CRF35_HALF, &halved);
    let gif = dir.join("export.gif");
    let palette = "split[a][b];[a]palettegen[p];[b][p]paletteuse";
    ffmpeg(export, &["-filter_complex", palette], &gif);
    for file in [&halved, &gif] {
        let (code, found) = verify_json(file);
        assert_eq!(code, Some(0), "{}: {found}", file.display());
        assert_eq!(found["payload"], original["payload"], "{}", file.display());
        assert!(found["false_positive_probability"].as_f64().unwrap() <= 1e-9);
    }
    original["payload"].clone()
}
