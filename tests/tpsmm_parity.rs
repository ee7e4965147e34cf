//! Numerical parity of the candle TPSMM with the official PyTorch implementation, on the
//! small-config fixture checkpoint and tensors in ../shared/fixtures/tpsmm (README there).

mod common;

use candle_core::{safetensors, DType, Device, Tensor};
use sfumato::engine::tpsmm::{image_tensor, points_tensor};
use sfumato::engine::tpsmm::{Config, KeypointTransfer, Mode, Tpsmm};
use std::collections::HashMap;
use std::path::Path;

/// Max and mean absolute difference.
fn diff(a: &Tensor, b: &Tensor) -> (f32, f32) {
    assert_eq!(a.dims(), b.dims(), "shape");
    let d = (a.to_dtype(DType::F32).unwrap() - b.to_dtype(DType::F32).unwrap())
        .unwrap()
        .abs()
        .unwrap();
    let max = d.max_all().unwrap().to_scalar::<f32>().unwrap();
    let mean = d.mean_all().unwrap().to_scalar::<f32>().unwrap();
    (max, mean)
}

struct Checker {
    worst: Vec<String>,
    failures: Vec<String>,
}

impl Checker {
    fn check(&mut self, name: &str, ours: &Tensor, theirs: &Tensor, tol: f32) {
        let (max, mean) = diff(ours, theirs);
        let line = format!("{name:40} max {max:.2e} mean {mean:.2e} (tol {tol:.0e})");
        if max.is_nan() || max > tol {
            self.failures.push(line.clone());
        }
        self.worst.push(line);
    }
}

fn load_png(dir: &Path, name: &str) -> Tensor {
    let img = image::open(dir.join(name)).unwrap().to_rgb8();
    image_tensor(&img, &Device::Cpu).unwrap()
}

fn tps_tensors(tps: &[sfumato::engine::tpsmm::Tps]) -> (Tensor, Tensor) {
    let k = tps.len();
    let theta: Vec<f32> = tps
        .iter()
        .flat_map(|t| t.theta.iter().flatten().copied())
        .collect();
    let params: Vec<f32> = tps
        .iter()
        .flat_map(|t| t.weights.iter().flatten().copied())
        .collect();
    (
        Tensor::from_vec(theta, (1, k, 2, 3), &Device::Cpu).unwrap(),
        Tensor::from_vec(params, (1, k, 5, 2), &Device::Cpu).unwrap(),
    )
}

#[test]
fn tpsmm_matches_official_pytorch_fixtures() {
    let Some(shared) = common::shared_dir("tpsmm_matches_official_pytorch_fixtures") else {
        return;
    };
    let dir = shared.join("fixtures/tpsmm");
    let dev = Device::Cpu;
    let config = Config::load(dir.join("tpsmm-small.yaml").to_str().unwrap()).unwrap();
    let model = Tpsmm::load(&dir.join("tpsmm-small.pth.tar"), &config, &dev).unwrap();
    assert!(model.has_avd());
    let inputs = safetensors::load(dir.join("inputs_and_source.safetensors"), &dev).unwrap();
    let mut c = Checker {
        worst: vec![],
        failures: vec![],
    };

    let source = load_png(&dir, "source_256.png");
    c.check("source", &source, &inputs["source"], 0.0);
    let prepared = model.prepare_source(&source).unwrap();
    c.check("kp_source", &prepared.kp, &inputs["kp_source"], 1e-5);
    c.check("source_down", &prepared.down, &inputs["source_down"], 1e-5);
    for (i, map) in prepared.encoder_maps.iter().enumerate() {
        c.check(
            &format!("encoder_map{i}"),
            map,
            &inputs[&format!("encoder_map{i}")],
            1e-4,
        );
    }
    let frames: Vec<Tensor> = (0..3)
        .map(|j| load_png(&dir, &format!("driving_{j}.png")))
        .collect();
    let kp_driving: Vec<Tensor> = frames.iter().map(|f| model.keypoints(f).unwrap()).collect();

    // (mode, TPS params, grids, maps, images) tolerances: the README's suggestions.
    for (mode, tol_tps, tol_grid, tol_map, tol_img) in [
        (Mode::Relative, 5e-4, 2e-4, 5e-4, 2e-3),
        (Mode::Standard, 5e-4, 2e-4, 5e-4, 2e-3),
        (Mode::Avd, 2e-3, 2e-3, 2e-3, 3e-2),
    ] {
        let want: HashMap<String, Tensor> =
            safetensors::load(dir.join(format!("{mode}.safetensors")), &dev).unwrap();
        let mut transfer = KeypointTransfer::new(mode);
        for (j, kp) in kp_driving.iter().enumerate() {
            let key = |n: &str| format!("f{j}.{n}");
            let name = |n: &str| format!("{mode} f{j} {n}");
            let get = |n: &str| want.get(&key(n));
            c.check(&name("kp_driving"), kp, &want[&key("kp_driving")], 1e-5);
            let kp_norm = transfer.transfer(&model, &prepared, kp).unwrap();
            let kp_norm_t = points_tensor(&kp_norm, &dev).unwrap();
            c.check(&name("kp_norm"), &kp_norm_t, &want[&key("kp_norm")], 1e-5);
            if mode == Mode::Relative {
                let init = transfer.initial(&dev).unwrap().unwrap();
                c.check(
                    "kp_driving_initial",
                    &init,
                    &inputs["kp_driving_initial"],
                    1e-5,
                );
            }
            let out = model.animate(&prepared, &kp_norm).unwrap();
            let m = &out.motion;
            let (theta, params) = tps_tensors(&m.tps);
            c.check(
                &name("tps_theta"),
                &theta,
                &want[&key("tps_theta")],
                tol_tps,
            );
            c.check(
                &name("tps_control_params"),
                &params,
                &want[&key("tps_control_params")],
                tol_tps,
            );
            if let Some(t) = get("transformations") {
                c.check(&name("transformations"), &m.transformations, t, tol_grid);
            }
            if let Some(t) = get("deformed_source") {
                c.check(&name("deformed_source"), &m.deformed_source, t, tol_img);
            }
            if let Some(t) = get("heatmap") {
                c.check(&name("heatmap"), &m.heatmap, t, 1e-4);
            }
            c.check(
                &name("contribution_maps"),
                &m.contribution_maps,
                &want[&key("contribution_maps")],
                tol_map,
            );
            c.check(
                &name("deformation"),
                &m.deformation,
                &want[&key("deformation")],
                tol_grid,
            );
            for (i, occ) in m.occlusion.iter().enumerate() {
                let n = format!("occlusion_map{i}");
                c.check(&name(&n), occ, &want[&key(&n)], tol_map);
            }
            for (i, h) in m.hourglass.iter().enumerate() {
                if let Some(t) = get(&format!("hourglass_out{i}")) {
                    c.check(&name(&format!("hourglass_out{i}")), h, t, 1e-3);
                }
            }
            for (i, h) in out.inpainted.warped_encoder_maps.iter().enumerate() {
                if let Some(t) = get(&format!("warped_encoder_map{i}")) {
                    c.check(&name(&format!("warped_encoder_map{i}")), h, t, 1e-3);
                }
            }
            if let Some(t) = get("deformed") {
                c.check(&name("deformed"), &out.inpainted.deformed, t, tol_img);
            }
            let pred = &out.inpainted.prediction;
            c.check(
                &name("prediction"),
                pred,
                &want[&key("prediction")],
                tol_img,
            );
            if mode == Mode::Avd {
                let (_, mean) = diff(pred, &want[&key("prediction")]);
                assert!(mean < 2e-4, "avd f{j} prediction mean abs {mean}");
            }
        }
    }
    for line in &c.worst {
        eprintln!("{line}");
    }
    assert!(
        c.failures.is_empty(),
        "out of tolerance:\n{}",
        c.failures.join("\n")
    );
}
