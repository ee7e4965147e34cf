//! Closing the preview never loses the export: Esc closes the window and the export runs to its
//! end; only a second Esc cancels it. Runs the window under Xvfb in child processes (one
//! event loop per process), exporting the public clip `driving_d0.mp4` as PNG frames.

mod common;
mod preview_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use sfumato::media;
use sfumato::preview::{self, Action, PreviewFrame, PreviewHooks, PreviewMode, PreviewOptions};

const OUT_VAR: &str = "SFUMATO_PREVIEW_CLOSE_OUT";
const ESCAPES_VAR: &str = "SFUMATO_PREVIEW_ESCAPES";

fn run_child(test: &str, escapes: u32) -> Option<(String, tempfile::TempDir)> {
    common::shared_dir(test)?;
    let xvfb = preview_support::Xvfb::start(test, 800, 600)?;
    let out = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", "child_export", "--nocapture"])
        .env(OUT_VAR, out.path())
        .env(ESCAPES_VAR, escapes.to_string());
    xvfb.apply(&mut cmd);
    let output = cmd.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    Some((stdout, out))
}

fn value<'a>(stdout: &'a str, key: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.find(key).map(|at| l[at + key.len()..].trim()))
        .unwrap_or_else(|| panic!("no {key} in\n{stdout}"))
}

fn pngs(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn one_escape_closes_the_window_and_the_export_finishes() {
    let Some((stdout, out)) = run_child("one_escape_closes_the_window", 1) else {
        return;
    };
    assert_eq!(value(&stdout, "OUTCOME "), "Closed", "{stdout}");
    let frames: usize = value(&stdout, "FRAMES ").parse().unwrap();
    let gone: usize = value(&stdout, "WINDOW_GONE_AT ").parse().unwrap();
    assert_eq!(value(&stdout, "RESULT "), format!("exported {frames}"));
    assert!(
        gone + 10 < frames,
        "the window closed well before the export ended: {gone}/{frames}"
    );
    assert_eq!(pngs(out.path()), frames, "every frame exported");
}

#[test]
fn a_second_escape_cancels_the_export() {
    let Some((stdout, out)) = run_child("a_second_escape_cancels_the_export", 2) else {
        return;
    };
    assert_eq!(
        value(&stdout, "OUTCOME "),
        "none (the export stopped)",
        "{stdout}"
    );
    let frames: usize = value(&stdout, "FRAMES ").parse().unwrap();
    let result = value(&stdout, "RESULT ");
    assert!(
        result.starts_with("error: export cancelled at frame"),
        "{result}"
    );
    assert!(pngs(out.path()) < frames / 2, "the export stopped early");
}

/// The job the parent tests run: an export that takes about 4 s, with `ESCAPES` Esc presses
/// sent to its preview once the first frame is out.
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_export() {
    let (Some(out), Some(escapes)) = (std::env::var_os(OUT_VAR), std::env::var_os(ESCAPES_VAR))
    else {
        eprintln!("SKIPPED child_export: only runs as a child of the preview close tests");
        return;
    };
    let out = Path::new(&out);
    let escapes: u32 = escapes.to_str().unwrap().parse().unwrap();
    let shared = common::shared_dir("child_export").expect("../shared");
    let clip = shared.join("media/public/driving_d0.mp4");
    let frames = media::open_video(&clip).unwrap().info().frame_count as usize;
    println!("FRAMES {frames}");
    let plan = PreviewMode::On.plan(false, preview::Environment { interactive: false });
    let mut notice = |line: &str| println!("NOTICE {line}");
    let result = preview::run_alongside(
        plan,
        PreviewOptions::default(),
        PreviewHooks::default(),
        Some(out),
        &mut notice,
        |tx| {
            let mut video = media::open_video(&clip)?;
            let mut i = 0;
            while let Some(frame) = video.next_frame()? {
                if tx.is_cancelled() {
                    return Err(sfumato::Error::Failed(format!(
                        "export cancelled at frame {i}"
                    )));
                }
                std::thread::sleep(Duration::from_millis(50)); // rendering
                frame
                    .save(out.join(format!("frame_{i:04}.png")))
                    .map_err(|e| sfumato::Error::Failed(e.to_string()))?;
                if tx.wants_frames() {
                    tx.send(PreviewFrame::new(i, frame));
                } else {
                    println!("WINDOW_GONE_AT {i}");
                }
                if i == 2 {
                    for _ in 0..escapes {
                        tx.control().send(Action::Escape);
                    }
                }
                i += 1;
            }
            Ok(i)
        },
    );
    match result {
        Ok((n, outcome)) => {
            println!("RESULT exported {n}");
            let outcome = outcome.expect("a window was planned");
            let name = format!("{outcome:?}");
            println!("OUTCOME {}", name.split('(').next().unwrap());
        }
        Err(e) => {
            println!("RESULT error: {e}");
            println!("OUTCOME none (the export stopped)");
        }
    }
}
