//! Without a display, or with a display but no graphics adapter, the preview reports itself
//! unavailable in one line and the export goes on to the end.
//!
//! winit allows one event loop per process, so each case runs the export in a child process:
//! this test binary started again with a chosen environment, running `child_export`.

mod common;
mod preview_support;

use std::path::Path;
use std::process::Command;

use preview_support::{export_with_preview, printed, run_child};
use sfumato::media;
use sfumato::preview::{PreviewFrame, PreviewMode};

const OUT_VAR: &str = "SFUMATO_PREVIEW_CHILD_OUT";
const ONLY_VAR: &str = "SFUMATO_PREVIEW_ONLY";
const FRAMES: usize = 10;

/// Runs the export without a usable window (`setup` says why) and checks the one notice line,
/// the outcome, and that every frame was exported and reads back unchanged.
fn check(test: &str, setup: impl FnOnce(&mut Command), notice: &str, outcome: &str) {
    let Some(shared) = common::shared_dir(test) else {
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let stdout = run_child(OUT_VAR, out.path(), setup);
    let expected = format!(
        "{notice}: preview disabled, exporting to {}",
        out.path().display()
    );
    assert_eq!(printed(&stdout, "NOTICE "), [expected], "{stdout}");
    assert!(
        printed(&stdout, "OUTCOME ")[0].starts_with(outcome),
        "{stdout}"
    );
    let mut video = media::open_video(&shared.join("media/public/driving_d0.mp4")).unwrap();
    for i in 0..FRAMES {
        let want = video.next_frame().unwrap().unwrap();
        let got = image::open(out.path().join(format!("frame_{i:04}.png")))
            .unwrap_or_else(|e| panic!("frame {i} not exported: {e}"))
            .to_rgb8();
        assert_eq!(got, want, "frame {i}");
    }
}

#[test]
fn no_display_prints_one_line_and_exports() {
    check(
        "no_display_prints_one_line_and_exports",
        |_| {},
        "no display",
        "Unavailable(NoDisplay(",
    );
}

#[test]
fn no_adapter_prints_one_line_and_exports() {
    let test = "no_adapter_prints_one_line_and_exports";
    let Some(xvfb) = preview_support::Xvfb::start(test, 640, 480) else {
        return;
    };
    // A display, but neither Vulkan nor EGL drivers can be found.
    let hide_drivers = |cmd: &mut Command| {
        xvfb.apply(cmd);
        cmd.env("VK_ICD_FILENAMES", "/nonexistent.json")
            .env("VK_DRIVER_FILES", "/nonexistent.json")
            .env("__EGL_VENDOR_LIBRARY_FILENAMES", "/nonexistent.json");
    };
    check(
        test,
        hide_drivers,
        "no usable graphics adapter",
        "Unavailable(NoAdapter(",
    );
}

#[test]
fn preview_only_without_display_is_refused() {
    let test = "preview_only_without_display_is_refused";
    if common::shared_dir(test).is_none() {
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let stdout = run_child(OUT_VAR, out.path(), |cmd| {
        cmd.env(ONLY_VAR, "1");
    });
    assert_eq!(printed(&stdout, "NOTICE "), Vec::<&str>::new(), "{stdout}");
    let result = printed(&stdout, "RESULT ");
    assert!(
        result[0].starts_with("error: preview_only: needs a window, but there is no display"),
        "{stdout}"
    );
}

/// The job the parent tests run: exports the first frames of a public clip as PNGs while
/// asking for a preview window (`--preview`, or `--preview-only` with `ONLY_VAR`), printing the
/// notice and the outcome.
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
    let mode = match std::env::var_os(ONLY_VAR) {
        Some(_) => PreviewMode::Only,
        None => PreviewMode::On,
    };
    let result = export_with_preview(mode, out, |tx| {
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
    });
    match result {
        Ok((written, outcome)) => {
            println!("RESULT exported {written}");
            println!("OUTCOME {:?}", outcome.expect("a window was planned"));
        }
        Err(e) => println!("RESULT error: {e}"),
    }
}
