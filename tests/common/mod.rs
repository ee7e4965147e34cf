//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The `../shared` folder beside the repository (test media, fixtures), or `None` with a visible
/// skip message when it is absent, as on a user's fresh clone. `SFUMATO_SHARED` overrides it.
pub fn shared_dir(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SFUMATO_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if dir.join("README.md").is_file() {
        Some(dir)
    } else {
        eprintln!("SKIPPED {test}: ../shared (test media and fixtures) is not present");
        None
    }
}

/// A file in the repository's own `examples/` folder (inputs the project may redistribute, so
/// tests using them run on a fresh clone).
pub fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

/// Path of the `animate` binary built for the tests.
pub fn animate_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_animate"))
}

/// Peak signal-to-noise ratio of two equally sized RGB pictures, in dB (100 when identical).
pub fn psnr(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    assert_eq!(
        a.dimensions(),
        b.dimensions(),
        "PSNR of pictures of different sizes"
    );
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

/// True when `ffmpeg` is installed (tests use it to make and cross-check media); otherwise
/// prints a visible skip message for `test`.
pub fn ffmpeg_available(test: &str) -> bool {
    let ok = std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED {test}: ffmpeg is not installed (.ci/run installs it)");
    }
    ok
}

/// Encodes ffmpeg's `testsrc2` pattern (`size` like "160x120", 25 fps, `seconds` long) into
/// `../shared` when the test can also run ffmpeg (tests that re-encode shared media); `None`,
/// with a visible skip message, otherwise.
pub fn shared_dir_with_ffmpeg(test: &str) -> Option<PathBuf> {
    shared_dir(test).filter(|_| ffmpeg_available(test))
}

/// `out` with the extra output `args`; false when ffmpeg fails.
pub fn ffmpeg_testsrc(size: &str, seconds: f64, args: &[&str], out: &std::path::Path) -> bool {
    let source = format!("testsrc2=size={size}:rate=25:duration={seconds}");
    std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", &source])
        .args(args)
        .arg(out)
        .status()
        .is_ok_and(|s| s.success())
}
