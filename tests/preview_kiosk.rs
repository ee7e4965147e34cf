//! Kiosk mode (`--kiosk`, a museum screen) keeps playing: after the last frame of the public clip
//! it starts again from the first, and it does not close by itself. Runs under Xvfb with
//! lavapipe; one test per binary (one winit event loop per process).

mod common;
mod preview_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sfumato::media;
use sfumato::preview::{self, Action, PreviewFrame, PreviewHooks, PreviewOptions, PreviewOutcome};

const FRAMES: usize = 8;

#[test]
fn kiosk_loops_forever() {
    let Some(shared) = common::shared_dir("kiosk_loops_forever") else {
        return;
    };
    let Some(xvfb) = preview_support::Xvfb::start("kiosk_loops_forever", 800, 600) else {
        return;
    };
    xvfb.export_env();
    let mut video = media::open_video(&shared.join("media/public/driving_d0.mp4")).unwrap();
    let fps = video.info().fps.as_f64();
    let frames: Vec<_> = (0..FRAMES)
        .map(|_| video.next_frame().unwrap().unwrap())
        .collect();

    let (tx, rx) = preview::channel();
    let (control, watchdog) = (rx.control(), rx.control());
    let shown = Arc::new(Mutex::new(Vec::new()));
    let log = shown.clone();
    let on_present: preview::PresentHook = Box::new(move |p| {
        let mut log = log.lock().unwrap();
        log.push(p.index);
        // Stop after the clip has started over twice.
        if log.iter().filter(|&&i| i == 0).count() == 3 {
            control.send(Action::Close);
        }
    });
    std::thread::spawn(move || {
        for (i, f) in frames.into_iter().enumerate() {
            tx.send(PreviewFrame::new(i, f));
        }
    });
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        watchdog.send(Action::Close);
    });
    let opts = PreviewOptions {
        fps,
        frame_size: Some((512, 512)),
        kiosk: true,
        // Ignored in kiosk mode, which loops: the window must stay open.
        close_when_done: true,
        ..PreviewOptions::default()
    };
    let hooks = PreviewHooks {
        on_present: Some(on_present),
        ..PreviewHooks::default()
    };
    let outcome = preview::run(&opts, rx, hooks).expect("preview runs");
    assert!(matches!(outcome, PreviewOutcome::Closed(_)), "{outcome:?}");
    let shown = shown.lock().unwrap();
    let sequence: Vec<usize> = shown
        .iter()
        .copied()
        .filter(|&i| i == 0 || i == FRAMES - 1)
        .collect();
    eprintln!("first/last frames in presentation order: {sequence:?}");
    let starts = shown.iter().filter(|&&i| i == 0).count();
    assert_eq!(
        starts, 3,
        "the clip started over twice before the watchdog: {shown:?}"
    );
    assert!(
        shown.windows(2).any(|w| w == [FRAMES - 1, 0]),
        "wraps from last to first"
    );
}
