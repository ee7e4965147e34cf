//! Parity of the candle re-implementation with MediaPipe's TFLite models, on the fixtures in
//! `../shared/fixtures/mediapipe` (README there): inputs, raw outputs, detections, landmarks.

mod common;

use candle_core::{Device, Tensor};
use image::RgbImage;
use sfumato::keypoints::{roi, DetectorKind, FaceMesh, Roi};
use std::collections::HashMap;
use std::path::Path;

const IMAGES: [&str; 4] = [
    "grace_hopper",
    "astronaut",
    "astronaut_rot30",
    "astronaut_edge",
];

struct Fixture {
    name: &'static str,
    tensors: HashMap<String, Tensor>,
}

impl Fixture {
    fn load(dir: &Path, name: &'static str) -> Self {
        let path = dir.join(format!("fixtures/mediapipe/{name}.safetensors"));
        let tensors = candle_core::safetensors::load(&path, &Device::Cpu).expect("fixture loads");
        Self { name, tensors }
    }

    fn get(&self, key: &str) -> &Tensor {
        self.tensors
            .get(key)
            .unwrap_or_else(|| panic!("{}: no {key}", self.name))
    }

    fn vec(&self, key: &str) -> Vec<f32> {
        self.get(key)
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap()
    }

    /// An NHWC fixture input as the NCHW tensor our networks take.
    fn nchw(&self, key: &str) -> Tensor {
        self.get(key)
            .permute((0, 3, 1, 2))
            .unwrap()
            .contiguous()
            .unwrap()
    }

    fn image(&self) -> RgbImage {
        let t = self.get("image.rgb_u8");
        let (h, w, _) = t.dims3().unwrap();
        let raw = t.flatten_all().unwrap().to_vec1::<u8>().unwrap();
        RgbImage::from_raw(w as u32, h as u32, raw).unwrap()
    }
}

fn flat(t: &Tensor) -> Vec<f32> {
    t.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Largest difference scaled by the reference's magnitude where that exceeds 1: an absolute
/// error for values up to 1, a relative one above (the detectors' letterbox corners reach raw
/// values near 1e3, where float32 rounding alone is ~1e-4; TFLite's own kernels disagree there
/// by up to 2e-2).
fn max_scaled_diff(ours: &[f32], want: &[f32]) -> f32 {
    assert_eq!(ours.len(), want.len(), "length mismatch");
    ours.iter()
        .zip(want)
        .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
        .fold(0.0, f32::max)
}

fn fixtures(test: &str) -> Option<Vec<Fixture>> {
    let dir = common::shared_dir(test)?;
    Some(
        IMAGES
            .iter()
            .map(|name| Fixture::load(&dir, name))
            .collect(),
    )
}

fn detector_parity(kind: DetectorKind, prefix: &str) {
    let Some(fixtures) = fixtures(&format!("{prefix} parity")) else {
        return;
    };
    let fm = FaceMesh::load().unwrap();
    for f in &fixtures {
        let img = f.image();
        let input = fm.detector_input(&img, kind).unwrap();
        let d_in = max_abs_diff(&flat(&input), &flat(&f.nchw(&format!("{prefix}.input"))));
        assert!(d_in < 1e-4, "{}: {prefix} input differs by {d_in}", f.name);

        let (reg, cls) = fm
            .detector_raw(&f.nchw(&format!("{prefix}.input")), kind)
            .unwrap();
        let (reg, cls) = (flat(&reg), flat(&cls));
        let want_reg = f.vec(&format!("{prefix}.out.regressors"));
        let want_cls = f.vec(&format!("{prefix}.out.classificators"));
        let d_reg = max_scaled_diff(&reg, &want_reg);
        let d_cls = max_scaled_diff(&cls, &want_cls);
        eprintln!(
            "{} {prefix}: raw regressors max diff {:.2e} abs / {d_reg:.2e} scaled, classificators {:.2e} / {d_cls:.2e}",
            f.name,
            max_abs_diff(&reg, &want_reg),
            max_abs_diff(&cls, &want_cls)
        );
        assert!(
            d_reg < 1e-3 && d_cls < 1e-3,
            "{}: {prefix} raw outputs differ: {d_reg} {d_cls}",
            f.name
        );

        let dets = fm.detect(&img, kind).unwrap();
        let boxes = f.vec(&format!("{prefix}.boxes_px"));
        let kps = f.vec(&format!("{prefix}.keypoints_px"));
        let scores = f.vec(&format!("{prefix}.scores"));
        assert_eq!(
            dets.len(),
            scores.len(),
            "{}: {prefix} detection count",
            f.name
        );
        for (i, d) in dets.iter().enumerate() {
            let d_box = max_abs_diff(&d.bbox, &boxes[4 * i..4 * i + 4]);
            let ours: Vec<f32> = d.keypoints.iter().flatten().copied().collect();
            let d_kp = max_abs_diff(&ours, &kps[12 * i..12 * i + 12]);
            eprintln!(
                "{} {prefix} #{i}: box {d_box:.4} px, keypoints {d_kp:.4} px",
                f.name
            );
            assert!(
                d_box < 0.1 && d_kp < 0.1,
                "{}: {prefix} detection {i} off: {d_box} {d_kp}",
                f.name
            );
            assert!(
                (d.score - scores[i]).abs() < 1e-3,
                "{}: {prefix} score",
                f.name
            );
        }
    }
}

#[test]
fn short_range_detector_matches_tflite() {
    detector_parity(DetectorKind::ShortRange, "det_short");
}

#[test]
fn full_range_detector_matches_tflite() {
    detector_parity(DetectorKind::FullRange, "det_full");
}

fn roi_of(v: &[f32]) -> Roi {
    Roi {
        cx: v[0],
        cy: v[1],
        w: v[2],
        h: v[3],
        rotation: v[4],
    }
}

/// Mean and max distance in x, y per landmark component against a fixture `[468, 3]`.
fn landmark_errors(ours: &[[f32; 3]], want: &[f32]) -> (f32, f32, f32) {
    let mut sum = 0.0;
    let mut max: f32 = 0.0;
    let mut max_z: f32 = 0.0;
    for (p, q) in ours.iter().zip(want.chunks_exact(3)) {
        for k in 0..2 {
            let d = (p[k] - q[k]).abs();
            sum += d;
            max = max.max(d);
        }
        max_z = max_z.max((p[2] - q[2]).abs());
    }
    (sum / (2.0 * ours.len() as f32), max, max_z)
}

#[test]
fn face_mesh_matches_tflite() {
    let Some(fixtures) = fixtures("face mesh parity") else {
        return;
    };
    let fm = FaceMesh::load().unwrap();
    for f in &fixtures {
        let img = f.image();
        // Raw outputs on the fixture's own input tensors (both passes).
        for (input, out) in [("mesh.input", "mesh_mp"), ("mesh2.input", "mesh2_mp")] {
            let (lm, flag) = fm.mesh_raw(&f.nchw(input)).unwrap();
            let d_lm = max_abs_diff(&flat(&lm), &f.vec(&format!("{out}.out.landmarks")));
            let d_flag = max_abs_diff(&flat(&flag), &f.vec(&format!("{out}.out.face_flag")));
            eprintln!(
                "{} {out}: raw landmarks max diff {d_lm:.2e}, flag {d_flag:.2e}",
                f.name
            );
            assert!(
                d_lm < 1e-3 && d_flag < 1e-3,
                "{}: {out} raw outputs differ: {d_lm} {d_flag}",
                f.name
            );
        }

        // The whole pipeline from the image: detection -> ROI -> crop -> mesh -> pixels.
        let det = &fm.detect(&img, DetectorKind::ShortRange).unwrap()[0];
        let roi1 = roi::from_detection(det);
        let want_roi = f.vec("mesh.roi_px");
        let ours_roi = [roi1.cx, roi1.cy, roi1.w, roi1.h, roi1.rotation];
        assert!(
            max_abs_diff(&ours_roi[..4], &want_roi[..4]) < 0.1,
            "{}: roi {ours_roi:?} vs {want_roi:?}",
            f.name
        );
        assert!(
            (ours_roi[4] - want_roi[4]).abs() < 1e-3,
            "{}: roi angle",
            f.name
        );

        let crop = fm.mesh_input(&img, &roi_of(&want_roi)).unwrap();
        let d_in = max_abs_diff(&flat(&crop), &flat(&f.nchw("mesh.input")));
        assert!(d_in < 1e-4, "{}: mesh crop differs by {d_in}", f.name);

        let first = fm.landmarks(&img, &roi1).unwrap();
        let (mean, max, max_z) = landmark_errors(&first.landmarks, &f.vec("mesh_mp.landmarks_px"));
        eprintln!(
            "{}: landmarks mean {mean:.4} px, max {max:.4} px, z max {max_z:.4}",
            f.name
        );
        assert!(
            mean < 0.1 && max < 0.5,
            "{}: landmarks off: mean {mean}, max {max}",
            f.name
        );
        assert!((first.presence - f.vec("mesh_mp.presence")[0]).abs() < 1e-3);

        let second = fm.landmarks_for(&img, det).unwrap();
        let (mean2, max2, _) = landmark_errors(&second.landmarks, &f.vec("mesh2_mp.landmarks_px"));
        eprintln!(
            "{}: second pass mean {mean2:.4} px, max {max2:.4} px",
            f.name
        );
        assert!(
            mean2 < 0.1 && max2 < 0.5,
            "{}: second pass off: mean {mean2}, max {max2}",
            f.name
        );
    }
}

#[test]
fn detect_faces_reports_one_face_per_fixture_image() {
    let Some(fixtures) = fixtures("detect_faces") else {
        return;
    };
    let fm = FaceMesh::load().unwrap();
    for f in &fixtures {
        let faces = fm.detect_faces(&f.image()).unwrap();
        assert_eq!(faces.len(), 1, "{}", f.name);
        let face = &faces[0];
        assert_eq!(face.landmarks.len(), 468);
        let want = f.vec("mesh2_mp.landmarks_px");
        let (mean, max, _) = landmark_errors(&face.landmarks, &want);
        assert!(
            mean < 0.1 && max < 0.5,
            "{}: mean {mean}, max {max}",
            f.name
        );
        let b = face.bbox;
        assert!(b[0] < b[2] && b[1] < b[3], "{}: box {b:?}", f.name);
    }
}
