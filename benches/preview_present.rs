//! Preview window timings under Xvfb with the software Vulkan adapter (lavapipe):
//!
//! - `present N`: frames of N² arrive faster than they can be shown; playback runs unthrottled
//!   and every frame is uploaded, drawn and presented. Per-present time and throughput.
//! - `redraw N` (baseline): the same N² frame redrawn without upload, the cost floor of a
//!   present on this adapter.
//! - `lag N`: a generator slower than real time (20 fps) with playback at 25 fps, so each frame
//!   is shown on arrival; time from `generated_at` to the end of its present.
//!
//! Run: `cargo bench --profile dev --bench preview_present` (needs Xvfb, mesa-vulkan-drivers).
//! winit allows one event loop per process, so each scenario runs in a child process.

#[path = "../tests/preview_support/mod.rs"]
mod preview_support;

use std::process::Command;
use std::time::{Duration, Instant};

use image::RgbImage;
use sfumato::preview::{self, Action, PreviewFrame, PreviewHooks, PreviewOptions, Timing};

const SCENARIO_VAR: &str = "SFUMATO_PREVIEW_BENCH";

fn main() {
    if let Ok(scenario) = std::env::var(SCENARIO_VAR) {
        return child(&scenario);
    }
    let Some(xvfb) = preview_support::Xvfb::start("preview_present", 1280, 1280) else {
        return;
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average before: {}", load.trim());
    for scenario in [
        "redraw 512",
        "present 512",
        "redraw 1024",
        "present 1024",
        "lag 512",
        "lag 1024",
    ] {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.env(SCENARIO_VAR, scenario);
        xvfb.apply(&mut cmd);
        let out = cmd.output().expect("run scenario");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            eprintln!(
                "{scenario} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average after: {}", load.trim());
}

/// A distinct noisy picture per index, so every upload carries new data.
fn picture(side: u32, i: usize) -> RgbImage {
    RgbImage::from_fn(side, side, |x, y| {
        let h = (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ (i as u32 * 83_492_791))
            >> 7;
        image::Rgb([(x + i as u32) as u8, (y * 2) as u8, h as u8])
    })
}

fn child(scenario: &str) {
    let (kind, side) = scenario.split_once(' ').expect("KIND SIDE");
    let side: u32 = side.parse().expect("side");
    let pictures: Vec<RgbImage> = (0..16).map(|i| picture(side, i)).collect();
    let (tx, rx) = preview::channel();
    let control = rx.control();
    let (frames, fps, pause) = match kind {
        "present" => (150, 1000.0, Duration::ZERO),
        "redraw" => (1, 1000.0, Duration::ZERO),
        _ => (60, 25.0, Duration::from_millis(50)),
    };
    let presents = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = presents.clone();
    let on_present: preview::PresentHook = Box::new(move |p| {
        log.lock().unwrap().push((Instant::now(), p.present_time));
    });
    let redraw = kind == "redraw";
    let producer = std::thread::spawn(move || {
        // Let the window open before timing starts.
        std::thread::sleep(Duration::from_millis(1500));
        for i in 0..frames {
            tx.send(PreviewFrame::new(i, pictures[i % pictures.len()].clone()));
            std::thread::sleep(pause);
        }
        if redraw {
            // K with no landmarks: a redraw of the uploaded picture, no new upload.
            for _ in 0..150 {
                std::thread::sleep(Duration::from_millis(5));
                control.send(Action::ToggleKeypoints);
            }
            std::thread::sleep(Duration::from_millis(300));
            control.send(Action::Close);
        }
    });
    let opts = PreviewOptions {
        fps,
        frame_size: Some((side, side)),
        close_when_done: true,
        ..PreviewOptions::default()
    };
    let hooks = PreviewHooks {
        on_present: Some(on_present),
        ..PreviewHooks::default()
    };
    let outcome = preview::run(&opts, rx, hooks).expect("preview runs");
    producer.join().unwrap();
    let stats = outcome.stats().expect("window opened").clone();
    let presents = presents.lock().unwrap();
    let times: Vec<Duration> = presents.iter().skip(1).map(|p| p.1).collect();
    let span = presents.last().unwrap().0 - presents[1].0;
    let throughput = (presents.len() - 2) as f64 / span.as_secs_f64();
    match kind {
        "lag" => println!("lag {side}²: {} [{}]", stats.lag, stats.adapter),
        _ => println!(
            "{kind} {side}²: {} · {:.1} presents/s [{}]",
            Timing::of(&times),
            throughput,
            stats.adapter
        ),
    }
}
