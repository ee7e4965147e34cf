//! Without a display, or with a display but no graphics adapter, the preview reports itself
//! unavailable in one line and the export goes on to the end.
//!
//! winit allows one event loop per process, so each case runs the export in a child process:
//! this test binary started again with a chosen environment, running `child_export`.

mod common;
mod preview_support;

use std::path::Path;
use std::process::Command;

use sfumato::media;
use sfumato::preview::{self, PreviewFrame, PreviewHooks, PreviewMode, PreviewOptions};

const OUT_VAR: &str = "SFUMATO_PREVIEW_CHILD_OUT";
const FRAMES: usize = 10;

/// Runs `child_export` in a child process with `setup` applied; returns its stdout.
fn run_child(out: &Path, setup: impl FnOnce(&mut Command)) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        "child_export",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(OUT_VAR, out)
    .env_remove("DISPLAY")
    .env_remove("WAYLAND_DISPLAY");
    setup(&mut cmd);
    let output = cmd.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    stdout
}

/// The notice lines the child printed (the test harness may print its status before them).
fn notices(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter_map(|l| l.find("NOTICE ").map(|at| &l[at..]))
        .collect()
}

/// The export finished: every frame of the clip was written and reads back unchanged.
fn assert_exported(shared: &Path, out: &Path) {
    let mut video = media::open_video(&shared.join("media/public/driving_d0.mp4")).unwrap();
    for i in 0..FRAMES {
        let want = video.next_frame().unwrap().unwrap();
        let got = image::open(out.join(format!("frame_{i:04}.png")))
            .unwrap_or_else(|e| panic!("frame {i} not exported: {e}"))
            .to_rgb8();
        assert_eq!(got, want, "frame {i}");
    }
}

#[test]
fn no_display_prints_one_line_and_exports() {
    let Some(shared) = common::shared_dir("no_display_prints_one_line_and_exports") else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let stdout = run_child(out.path(), |_| {});
    let notices = notices(&stdout);
    assert_eq!(
        notices,
        [format!(
            "NOTICE no display: preview disabled, exporting to {}",
            out.path().display()
        )],
        "{stdout}"
    );
    assert!(
        stdout.contains("OUTCOME Unavailable(NoDisplay("),
        "{stdout}"
    );
    assert_exported(&shared, out.path());
}

#[test]
fn no_adapter_prints_one_line_and_exports() {
    let Some(shared) = common::shared_dir("no_adapter_prints_one_line_and_exports") else {
        return;
    };
    let Some(xvfb) =
        preview_support::Xvfb::start("no_adapter_prints_one_line_and_exports", 640, 480)
    else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    // A display, but neither Vulkan nor EGL drivers can be found.
    let stdout = run_child(out.path(), |cmd| {
        xvfb.apply(cmd);
        cmd.env("VK_ICD_FILENAMES", "/nonexistent.json")
            .env("VK_DRIVER_FILES", "/nonexistent.json")
            .env("__EGL_VENDOR_LIBRARY_FILENAMES", "/nonexistent.json");
    });
    let notices = notices(&stdout);
    assert_eq!(
        notices,
        [format!(
            "NOTICE no usable graphics adapter: preview disabled, exporting to {}",
            out.path().display()
        )],
        "{stdout}"
    );
    assert!(
        stdout.contains("OUTCOME Unavailable(NoAdapter("),
        "{stdout}"
    );
    assert_exported(&shared, out.path());
}

/// The job the parent tests run: exports the first frames of a public clip as PNGs while
/// asking for a preview window (`--preview`), printing the notice and the outcome.
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_export() {
    let Some(out) = std::env::var_os(OUT_VAR) else {
        eprintln!("SKIPPED child_export: only runs as a child of the headless preview tests");
        return;
    };
    let out = Path::new(&out);
    let shared = common::shared_dir("child_export").expect("../shared");
    let clip = shared.join("media/public/driving_d0.mp4");
    let plan = PreviewMode::On.plan(false, preview::Environment { interactive: false });
    let mut notice = |line: &str| println!("NOTICE {line}");
    let (written, outcome) = preview::run_alongside(
        plan,
        PreviewOptions::default(),
        PreviewHooks::default(),
        Some(out),
        &mut notice,
        |tx| {
            let mut video = media::open_video(&clip)?;
            for i in 0..FRAMES {
                let frame = video.next_frame()?.expect("clip has enough frames");
                frame
                    .save(out.join(format!("frame_{i:04}.png")))
                    .map_err(|e| sfumato::Error::Failed(e.to_string()))?;
                if tx.wants_frames() {
                    tx.send(PreviewFrame::new(i, frame));
                }
            }
            Ok(FRAMES)
        },
    )
    .expect("export succeeds without a preview");
    println!("EXPORTED {written}");
    println!("OUTCOME {:?}", outcome.expect("a window was planned"));
}
