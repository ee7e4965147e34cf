//! A private X server (Xvfb) for the preview window tests and benchmark, with lavapipe drawing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use image::RgbImage;
use sfumato::preview::{
    Environment, FrameSender, PreviewHooks, PreviewMode, PreviewOptions, PreviewOutcome,
};

/// Offset of the next display number this process tries.
static NEXT_DISPLAY: AtomicU32 = AtomicU32::new(0);

/// One window test of a binary at a time: two concurrent servers and windows broke each other's
/// X connections now and then.
static ONE_SERVER: Mutex<()> = Mutex::new(());

/// A running Xvfb; killed when dropped.
pub struct Xvfb {
    child: Child,
    /// The DISPLAY value, e.g. ":117".
    pub display: String,
    runtime_dir: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Xvfb {
    /// Starts Xvfb on a free display with a `width`×`height` screen. `None`, with a visible
    /// SKIPPED line, when Xvfb is not installed (`.ci/run` installs it).
    pub fn start(test: &str, width: u32, height: u32) -> Option<Xvfb> {
        if Command::new("Xvfb")
            .arg("-help")
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            eprintln!("SKIPPED {test}: Xvfb is not installed (apt-get install xvfb xauth mesa-vulkan-drivers)");
            return None;
        }
        let turn = ONE_SERVER.lock().unwrap_or_else(|e| e.into_inner());
        // Tests of one binary start their servers concurrently: the counter keeps them apart.
        let first =
            100 + (std::process::id() % 80) * 5 + NEXT_DISPLAY.fetch_add(1, Ordering::Relaxed);
        let number = (first..first + 100)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                &format!("{width}x{height}x24"),
                "-nolisten",
                "tcp",
                // Without it the server resets when its last client disconnects, which breaks a
                // child's second connection (Vulkan's) when the window closes first.
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb");
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "Xvfb did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let runtime_dir = tempfile::Builder::new()
            .prefix("xdg")
            .tempdir()
            .expect("temp dir");
        // Mesa wants a private runtime dir; the test binary runs this single test, so setting
        // the environment here races with no other thread.
        std::env::set_var("DISPLAY", &display);
        std::env::remove_var("WAYLAND_DISPLAY");
        std::env::set_var("XDG_RUNTIME_DIR", runtime_dir.path());
        Some(Xvfb {
            child,
            display,
            runtime_dir,
            _turn: turn,
        })
    }

    /// Points this process at the server (DISPLAY, XDG_RUNTIME_DIR). Only for test binaries
    /// whose single test runs the window in-process: no other thread may read the environment.
    pub fn export_env(&self) {
        std::env::set_var("DISPLAY", &self.display);
        std::env::remove_var("WAYLAND_DISPLAY");
        std::env::set_var("XDG_RUNTIME_DIR", self.runtime_dir.path());
    }

    /// Points a child process at the server.
    pub fn apply(&self, cmd: &mut Command) {
        cmd.env("DISPLAY", &self.display)
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", self.runtime_dir.path());
    }

    /// Screenshot of the whole screen with ImageMagick's `import`.
    pub fn screenshot(&self, path: &Path) -> RgbImage {
        let status = Command::new("import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(path)
            .status()
            .expect("run ImageMagick import");
        assert!(status.success(), "import failed");
        image::open(path).expect("read screenshot").to_rgb8()
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs this test binary's ignored test `child_export` in a child process, with `var` set to
/// `out`, no display unless `setup` gives one, and `setup` applied; returns its stdout.
/// (winit allows one event loop per process, so each window scenario gets its own process.)
pub fn run_child(var: &str, out: &Path, setup: impl FnOnce(&mut Command)) -> String {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--ignored", "--exact", "child_export", "--nocapture"])
        .env(var, out)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    setup(&mut cmd);
    let output = cmd.output().expect("run the child test");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    stdout
}

/// What the child printed after each `KEY ` (the harness may print its status before it).
pub fn printed<'a>(stdout: &'a str, key: &str) -> Vec<&'a str> {
    stdout
        .lines()
        .filter_map(|l| l.find(key).map(|at| l[at + key.len()..].trim()))
        .collect()
}

/// The child's job: `generate` (an export) with the preview `mode` (`--preview`: `On`), through
/// the same wiring as the `animate` command; prints each notice line as `NOTICE …`.
pub fn export_with_preview<T: Send>(
    mode: PreviewMode,
    out: &Path,
    generate: impl FnOnce(FrameSender) -> sfumato::Result<T> + Send,
) -> sfumato::Result<(T, Option<PreviewOutcome>)> {
    let plan = mode.plan(false, Environment { interactive: false });
    let mut notice = |line: &str| println!("NOTICE {line}");
    sfumato::preview::run_alongside(
        plan,
        PreviewOptions::default(),
        PreviewHooks::default(),
        Some(out),
        &mut notice,
        generate,
    )
}

/// `img` centre-cropped to a square and resized to `side`².
pub fn square(img: &RgbImage, side: u32) -> RgbImage {
    let s = img.width().min(img.height());
    let crop = image::imageops::crop_imm(img, (img.width() - s) / 2, (img.height() - s) / 2, s, s);
    image::imageops::resize(
        &crop.to_image(),
        side,
        side,
        image::imageops::FilterType::Triangle,
    )
}
