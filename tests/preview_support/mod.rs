//! A private X server (Xvfb) for the preview window tests and benchmark, with lavapipe drawing.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use image::RgbImage;

/// A running Xvfb; killed when dropped.
pub struct Xvfb {
    child: Child,
    /// The DISPLAY value, e.g. ":117".
    pub display: String,
    runtime_dir: tempfile::TempDir,
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
        let first = 100 + std::process::id() % 400;
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
            runtime_dir: runtime_dir,
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

/// Peak signal-to-noise ratio of two equally sized RGB pictures, in dB (100 when identical).
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    let mse = se / a.as_raw().len() as f64;
    if mse == 0.0 {
        100.0
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
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
