//! Opens the real preview window under Xvfb with the software Vulkan adapter (lavapipe), plays
//! the public driving clip `driving_d0.mp4` at its frame rate and checks what reached the screen
//! against the frames it was given.
//!
//! One test per binary: winit allows one event loop per process.

mod common;
mod preview_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use image::RgbImage;
use preview_support::{psnr, square, Xvfb};
use sfumato::media;
use sfumato::preview::{self, Action, PreviewFrame, PreviewHooks, PreviewOptions, PreviewOutcome};

/// Every frame of the clip, and its frame rate.
fn clip(shared: &std::path::Path) -> (Vec<RgbImage>, f64) {
    let mut video = media::open_video(&shared.join("media/public/driving_d0.mp4")).unwrap();
    let fps = video.info().fps.as_f64();
    let mut frames = Vec::new();
    while let Some(f) = video.next_frame().unwrap() {
        frames.push(f);
    }
    (frames, fps)
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
    xvfb.export_env();
    let (frames, fps) = clip(&shared);
    let count = frames.len();
    let side = frames[0].width();
    assert_eq!((side, frames[0].height()), (512, 512));
    let inset_side = side / 4;
    let portrait = |side| {
        let img = image::open(shared.join("media/images/grace_hopper.jpg")).unwrap();
        square(&img.to_rgb8(), side)
    };
    let driver = portrait(inset_side);
    let work = tempfile::tempdir().unwrap();

    let (tx, rx) = preview::channel();
    let control = rx.control();
    let watchdog = rx.control();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        watchdog.send(Action::Close); // a hung window fails the test instead of blocking CI
    });
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
        if p.index == count - 1 && p.first_time {
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
        }
    });
    let opts = PreviewOptions {
        title: "preview test".into(),
        fps,
        frame_size: Some((side, side)),
        total_frames: Some(count),
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
    assert_eq!(stats.frames_received, count);
    assert_eq!(stats.frames_shown, count, "every frame reached the screen");

    let log = presented.lock().unwrap();
    let firsts: Vec<usize> = log
        .iter()
        .filter(|p| p.first_time)
        .map(|p| p.index)
        .collect();
    assert_eq!(
        firsts,
        (0..count).collect::<Vec<_>>(),
        "frames shown in order"
    );
    assert!(
        log.iter().all(|p| p.window_size == (side, side)),
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
    let on_screen = crop(&last, 0, 0, side, side);
    let (good, other) = (
        psnr(&on_screen, &frames[count - 1]),
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
        frames[count - 1],
        "S saves the frame on screen, full resolution"
    );

    let stepped = image::open(&shots[1]).unwrap().to_rgb8();
    let margin = (side as f32 * 0.02).round() as u32;
    let inset_at = side - inset_side - margin;
    // Above the inset, the stepped-to frame; in the corner, the driver picture.
    let stepped_main = crop(&stepped, 0, 0, side, inset_at);
    let step_psnr = psnr(
        &stepped_main,
        &crop(&frames[count - 2], 0, 0, side, inset_at),
    );
    let not_last = psnr(
        &stepped_main,
        &crop(&frames[count - 1], 0, 0, side, inset_at),
    );
    assert!(
        step_psnr >= 35.0,
        "← shows the previous frame: {step_psnr:.1} dB"
    );
    assert!(step_psnr > not_last, "← moved away from the last frame");
    let driver_shown = crop(&stepped, inset_at, inset_at, inset_side, inset_side);
    let pip = psnr(&driver_shown, &portrait(inset_side));
    eprintln!("after ←: {step_psnr:.1} dB (last frame {not_last:.1} dB); driver inset {pip:.1} dB");
    assert!(
        pip >= 35.0,
        "D shows the driver frame in the corner: {pip:.1} dB"
    );
}
