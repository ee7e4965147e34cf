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
