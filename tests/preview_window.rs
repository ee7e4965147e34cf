//! Opens the real preview window under Xvfb with the software Vulkan adapter (lavapipe), plays a
//! short clip made from the public portraits and checks what reached the screen.
//!
//! One test per binary: winit allows one event loop per process.

mod common;
mod preview_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use image::RgbImage;
use preview_support::{psnr, square, Xvfb};
use sfumato::preview::{self, Action, PreviewFrame, PreviewHooks, PreviewOptions, PreviewOutcome};

const SIDE: u32 = 256;
const FRAMES: usize = 12;

/// A 12-frame clip: the Grace Hopper portrait cross-fading into the astronaut, 256².
fn clip(shared: &std::path::Path) -> Vec<RgbImage> {
    let open = |name: &str| {
        let img = image::open(shared.join("media/images").join(name)).expect("read portrait");
        square(&img.to_rgb8(), SIDE)
    };
    let (a, b) = (open("grace_hopper.jpg"), open("astronaut.png"));
    (0..FRAMES)
        .map(|i| {
            let t = i as f32 / (FRAMES - 1) as f32;
            RgbImage::from_fn(SIDE, SIDE, |x, y| {
                let (p, q) = (a.get_pixel(x, y).0, b.get_pixel(x, y).0);
                image::Rgb(std::array::from_fn(|c| {
                    (p[c] as f32 * (1.0 - t) + q[c] as f32 * t).round() as u8
                }))
            })
        })
        .collect()
}

fn crop(img: &RgbImage, x: u32, y: u32, w: u32, h: u32) -> RgbImage {
    image::imageops::crop_imm(img, x, y, w, h).to_image()
}

#[test]
fn window_shows_the_frames_it_was_given() {
    let Some(shared) = common::shared_dir("window_shows_the_frames_it_was_given") else {
        return;
    };
    let Some(xvfb) = Xvfb::start("window_shows_the_frames_it_was_given", 800, 600) else {
        return;
    };
    let frames = clip(&shared);
    let driver = square(
        &image::open(shared.join("media/images/astronaut_rot30.png"))
            .unwrap()
            .to_rgb8(),
        SIDE / 4,
    );
    let work = tempfile::tempdir().unwrap();

    let (tx, rx) = preview::channel();
    let control = rx.control();
    let presented = Arc::new(Mutex::new(Vec::new()));
    let shots = Arc::new(Mutex::new(Vec::new()));
    let saved = work.path().join("saved.png");

    let save_to = saved.clone();
    let save_frame: preview::SaveHook = Box::new(move |img, _index| {
        img.save(&save_to)
            .map_err(|e| sfumato::Error::Failed(e.to_string()))?;
        Ok(save_to.clone())
    });
    // After the last frame first reaches the screen: screenshot it, save it with S, step back
    // with ←, switch the driver inset on with D, screenshot again, close with Q.
    let (log, shot_log, dir, display) = (
        presented.clone(),
        shots.clone(),
        work.path().to_owned(),
        xvfb.display.clone(),
    );
    let on_present: preview::PresentHook = Box::new(move |p| {
        log.lock().unwrap().push(p.clone());
        if p.index == FRAMES - 1 && p.first_time {
            let (control, shot_log, dir, display) = (
                control.clone(),
                shot_log.clone(),
                dir.clone(),
                display.clone(),
            );
            std::thread::spawn(move || {
                let shot = |name: &str| {
                    std::thread::sleep(Duration::from_millis(400));
                    let path = dir.join(name);
                    let ok = std::process::Command::new("import")
                        .args(["-display", &display, "-window", "root"])
                        .arg(&path)
                        .status()
                        .is_ok_and(|s| s.success());
                    assert!(ok, "import failed");
                    shot_log.lock().unwrap().push(path);
                };
                shot("last.png");
                control.send(Action::SaveFrame);
                control.send(Action::Step(-1));
                control.send(Action::ToggleDriver);
                shot("stepped.png");
                control.send(Action::Close);
            });
        }
    });

    let producer_frames = frames.clone();
    let producer = std::thread::spawn(move || {
        for (i, f) in producer_frames.into_iter().enumerate() {
            tx.send(PreviewFrame::new(i, f).with_driver(driver.clone()));
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let opts = PreviewOptions {
        title: "preview test".into(),
        fps: 25.0,
        frame_size: Some((SIDE, SIDE)),
        total_frames: Some(FRAMES),
        ..PreviewOptions::default()
    };
    let hooks = PreviewHooks {
        save_frame: Some(save_frame),
        on_present: Some(on_present),
    };
    let outcome = preview::run(&opts, rx, hooks).expect("preview runs");
    producer.join().unwrap();

    let stats = match &outcome {
        PreviewOutcome::Closed(stats) => stats.clone(),
        other => panic!("expected the window to be closed by Q, got {other:?}"),
    };
    eprintln!(
        "adapter {}: present {}; lag {}",
        stats.adapter, stats.present, stats.lag
    );
    assert_eq!(stats.frames_received, FRAMES);
    assert_eq!(stats.frames_shown, FRAMES, "every frame reached the screen");

    let log = presented.lock().unwrap();
    let firsts: Vec<usize> = log
        .iter()
        .filter(|p| p.first_time)
        .map(|p| p.index)
        .collect();
    assert_eq!(
        firsts,
        (0..FRAMES).collect::<Vec<_>>(),
        "frames shown in order"
    );
    assert!(
        log.iter().all(|p| p.window_size == (SIDE, SIDE)),
        "window opened at frame size"
    );

    let shots = shots.lock().unwrap();
    assert_eq!(shots.len(), 2, "both screenshots taken");
    if let Some(keep) = std::env::var_os("SFUMATO_TEST_OUT") {
        for shot in shots.iter() {
            std::fs::copy(
                shot,
                std::path::Path::new(&keep).join(shot.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    let last = image::open(&shots[0]).unwrap().to_rgb8();
    let on_screen = crop(&last, 0, 0, SIDE, SIDE);
    let (good, other) = (
        psnr(&on_screen, &frames[FRAMES - 1]),
        psnr(&on_screen, &frames[0]),
    );
    eprintln!("screen vs last frame {good:.1} dB, vs first frame {other:.1} dB");
    assert!(
        good >= 35.0,
        "presented picture differs from the frame: {good:.1} dB"
    );
    assert!(good > other + 10.0, "the check tells frames apart");

    let saved = image::open(&saved).expect("S saved a PNG").to_rgb8();
    assert_eq!(
        saved,
        frames[FRAMES - 1],
        "S saves the frame on screen, full resolution"
    );

    let stepped = image::open(&shots[1]).unwrap().to_rgb8();
    let inset = (
        SIDE - SIDE / 4 - (SIDE as f32 * 0.02).round() as u32,
        SIDE / 4,
    );
    let stepped_main = crop(&stepped, 0, 0, SIDE, inset.0 - 1);
    let want = crop(&frames[FRAMES - 2], 0, 0, SIDE, inset.0 - 1);
    let step_psnr = psnr(&stepped_main, &want);
    assert!(
        step_psnr >= 35.0,
        "← shows the previous frame: {step_psnr:.1} dB"
    );
    let driver_shown = crop(&stepped, inset.0, inset.0, inset.1, inset.1);
    let driver_want = square(
        &image::open(shared.join("media/images/astronaut_rot30.png"))
            .unwrap()
            .to_rgb8(),
        SIDE / 4,
    );
    let pip = psnr(&driver_shown, &driver_want);
    eprintln!("after ←: {step_psnr:.1} dB; driver inset {pip:.1} dB");
    assert!(
        pip >= 35.0,
        "D shows the driver frame in the corner: {pip:.1} dB"
    );
}
