//! The `tpsmm` engine end to end on the small fixture checkpoint: framing, the high-detail
//! composition against tensors of the official code, face crop and paste-back on a real photo,
//! bad checkpoints reported as bad input, and `eval` measuring the engine.

mod common;

use candle_core::{safetensors, Device, Tensor};
use image::RgbImage;
use sfumato::engine::tpsmm::{Config, CropMode, Mode, Tpsmm, TpsmmEngine, TpsmmOptions};
use sfumato::engine::{DriveFrame, Engine};
use sfumato::keypoints::{largest_face, FaceMesh};
use sfumato::pipeline::eval::{evaluate, EvalOptions};
use sfumato::pipeline::EngineChoice;
use sfumato::Error;
use std::path::{Path, PathBuf};

fn fixture_dir(test: &str) -> Option<PathBuf> {
    common::shared_dir(test).map(|s| s.join("fixtures/tpsmm"))
}

fn small_model(dir: &Path) -> Tpsmm {
    let cfg = Config::load(dir.join("tpsmm-small.yaml").to_str().unwrap()).unwrap();
    Tpsmm::load(&dir.join("tpsmm-small.pth.tar"), &cfg, &Device::Cpu).unwrap()
}

fn png(path: PathBuf) -> RgbImage {
    image::open(path).unwrap().to_rgb8()
}

fn frame<'a>(
    index: usize,
    driver: &'a RgbImage,
    landmarks: Option<&'a [[f32; 3]]>,
) -> DriveFrame<'a> {
    DriveFrame {
        index,
        driver,
        driver_landmarks: landmarks,
        target_landmarks: &[],
    }
}

#[test]
fn whole_frame_high_detail_matches_official_tensors() {
    let Some(dir) = fixture_dir("whole_frame_high_detail_matches_official_tensors") else {
        return;
    };
    let source = png(dir.join("source_256.png"));
    let mut opts = TpsmmOptions::new(dir.join("tpsmm-small.pth.tar"));
    opts.crop = CropMode::None;
    let mut engine = TpsmmEngine::with_model(small_model(&dir), &source, None, &opts).unwrap();
    assert_eq!(engine.name(), "tpsmm");
    let want = safetensors::load(dir.join("relative.safetensors"), &Device::Cpu).unwrap();
    let mut last = None;
    for j in 0..3 {
        let driver = png(dir.join(format!("driving_{j}.png")));
        last = Some(engine.render(&frame(j, &driver, None)).unwrap());
    }
    let out = last.unwrap();
    assert_eq!(out.dimensions(), source.dimensions());
    // At the model's own resolution the high-detail picture is the official full-resolution
    // warp where the source is visible and the colour-corrected generator output elsewhere.
    let (deformed, occ, pred) = (
        &want["f2.deformed"],
        &want["f2.occlusion_map3"],
        &want["f2.prediction"],
    );
    let weight = occ.sum_all().unwrap().to_scalar::<f32>().unwrap().max(1.0) as f64;
    let bias = (pred - deformed)
        .unwrap()
        .broadcast_mul(occ)
        .unwrap()
        .sum_keepdim((2, 3))
        .unwrap();
    let generated = pred
        .broadcast_sub(&bias.affine(1.0 / weight, 0.0).unwrap())
        .unwrap();
    let expected = (deformed.broadcast_mul(occ).unwrap()
        + generated
            .broadcast_mul(&occ.affine(-1.0, 1.0).unwrap())
            .unwrap())
    .unwrap();
    let expected = sfumato::engine::tpsmm::tensor_image(&expected).unwrap();
    let worst = out
        .pixels()
        .zip(expected.pixels())
        .flat_map(|(a, b)| (0..3).map(move |c| (a[c] as i32 - b[c] as i32).abs()))
        .max()
        .unwrap();
    assert!(worst <= 1, "engine vs official composition: {worst} levels");
}

#[test]
fn face_crop_animates_only_around_the_face() {
    let Some(dir) = fixture_dir("face_crop_animates_only_around_the_face") else {
        return;
    };
    let shared = dir.parent().unwrap().parent().unwrap().to_path_buf();
    let portrait = png(shared.join("media/images/grace_hopper.jpg"));
    let mesh = FaceMesh::load().unwrap();
    let faces = mesh.detect_faces(&portrait).unwrap();
    let face = &faces[largest_face(&faces).expect("a face in grace_hopper.jpg")];
    let opts = TpsmmOptions {
        mode: Mode::Standard,
        ..TpsmmOptions::new("unused")
    };
    let mut engine =
        TpsmmEngine::with_model(small_model(&dir), &portrait, Some(&face.landmarks), &opts)
            .unwrap();
    let driver = png(dir.join("driving_1.png"));
    let driver_faces = mesh.detect_faces(&driver).unwrap();
    let out = engine
        .render(&frame(
            0,
            &driver,
            driver_faces.first().map(|f| f.landmarks.as_slice()),
        ))
        .unwrap();
    assert_eq!(out.dimensions(), portrait.dimensions());
    if let Some(path) = std::env::var_os("SFUMATO_TEST_OUT") {
        out.save(Path::new(&path).join("tpsmm_face_crop.png"))
            .unwrap();
    }
    // Far from the face nothing changes; on the face the random-weight model moves pixels.
    let [x0, y0, x1, y1] = face.bbox;
    let (cx, cy) = (((x0 + x1) / 2.0) as u32, ((y0 + y1) / 2.0) as u32);
    let side = (x1 - x0).max(y1 - y0);
    let mut inside = 0f64;
    let mut n = 0f64;
    for (x, y, px) in out.enumerate_pixels() {
        let (dx, dy) = ((x as f32 - cx as f32).abs(), (y as f32 - cy as f32).abs());
        let orig = portrait.get_pixel(x, y);
        if dx > 2.0 * side || dy > 2.0 * side {
            assert_eq!(px, orig, "pixel ({x}, {y}) far from the face changed");
        } else if dx < side / 3.0 && dy < side / 3.0 {
            inside += (0..3)
                .map(|c| (px[c] as f64 - orig[c] as f64).abs())
                .sum::<f64>();
            n += 3.0;
        }
    }
    assert!(
        inside / n > 1.0,
        "face region unchanged: mean diff {}",
        inside / n
    );
    // No face in the portrait: the face crop is refused as a setting, with the way out.
    let err = TpsmmEngine::with_model(small_model(&dir), &portrait, None, &opts)
        .err()
        .unwrap();
    assert!(
        matches!(err, Error::Setting { setting: "crop", ref problem, .. }
            if problem.contains("crop none")),
        "{err}"
    );
}

#[test]
fn bad_checkpoints_are_bad_input_naming_what_is_missing() {
    let Some(dir) = fixture_dir("bad_checkpoints_are_bad_input_naming_what_is_missing") else {
        return;
    };
    let small = Config::load(dir.join("tpsmm-small.yaml").to_str().unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // Truncated archive.
    let bytes = std::fs::read(dir.join("tpsmm-small.pth.tar")).unwrap();
    let cut = tmp.path().join("cut.pth.tar");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = Tpsmm::load(&cut, &small, &Device::Cpu).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(err.to_string().contains("cut.pth.tar"), "{err}");
    // Not a checkpoint at all.
    let err = Tpsmm::load(&dir.join("source_256.png"), &small, &Device::Cpu).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    // The right file with the wrong config names the tensor that does not fit.
    let err = Tpsmm::load(
        &dir.join("tpsmm-small.pth.tar"),
        &Config::named("vox").unwrap(),
        &Device::Cpu,
    )
    .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string().contains("shape mismatch") && err.to_string().contains("another config"),
        "{err}"
    );
    // A safetensors file lacking a network says which.
    let partial = tmp.path().join("partial.safetensors");
    let t = Tensor::zeros(3, candle_core::DType::F32, &Device::Cpu).unwrap();
    safetensors::save(
        &[("kp_detector.x".to_string(), t)].into_iter().collect(),
        &partial,
    )
    .unwrap();
    let err = Tpsmm::load(&partial, &small, &Device::Cpu).unwrap_err();
    assert!(err.to_string().contains("dense_motion_network"), "{err}");
    // A missing file.
    let err = Tpsmm::load(&tmp.path().join("nope.pth.tar"), &small, &Device::Cpu).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn eval_measures_the_neural_engine_through_the_same_core() {
    let Some(dir) = fixture_dir("eval_measures_the_neural_engine_through_the_same_core") else {
        return;
    };
    // The fixture's three driving frames as a clip (a folder of frames).
    let clip = tempfile::tempdir().unwrap();
    for i in 0..3 {
        std::fs::copy(
            dir.join(format!("driving_{i}.png")),
            clip.path().join(format!("frame_{i:04}.png")),
        )
        .unwrap();
    }
    let tpsmm = TpsmmOptions {
        config: dir.join("tpsmm-small.yaml").to_str().unwrap().into(),
        device: sfumato::engine::Device::Cpu,
        ..TpsmmOptions::new(dir.join("tpsmm-small.pth.tar"))
    };
    let options = EvalOptions {
        engine: EngineChoice::Tpsmm(Box::new(tpsmm)),
        still_frames: 3,
        ..EvalOptions::default()
    };
    let report = evaluate(clip.path(), &FaceMesh::load().unwrap(), &options).unwrap();
    assert_eq!((report.engine, report.gpu), ("tpsmm", false));
    assert_eq!(report.frames, 3, "every frame has a face");
    // The random-weight model repaints the face, so its error is real and measured against
    // the same static baseline the warp is.
    for m in [&report.face_l1, &report.full_l1, &report.landmark_px] {
        assert!(m.output.is_finite() && m.output > 0.0, "{m:?}");
        assert!(m.baseline.is_finite(), "{m:?}");
    }
    assert!(report.still_jitter_px.is_finite());
}
