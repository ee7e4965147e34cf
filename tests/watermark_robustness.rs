//! The watermark on real photos and videos from ../shared/media: invisible by PSNR, recovered
//! exactly after the attacks of the issue, never claimed on unmarked content.

mod common;

use std::path::Path;

use image::{imageops, RgbImage};
use sfumato::media;
use sfumato::watermark::{self, Detector, Marker, Payload};

const PAYLOAD: Payload = Payload(0xa5c3_e19f);

fn jpeg(img: &RgbImage, quality: u8) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(img)
        .unwrap();
    image::load_from_memory(&bytes).unwrap().to_rgb8()
}

fn centre_crop(img: &RgbImage, keep_side: f64) -> RgbImage {
    let (w, h) = img.dimensions();
    let (cw, ch) = ((w as f64 * keep_side) as u32, (h as f64 * keep_side) as u32);
    imageops::crop_imm(img, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image()
}

fn rescale(img: &RgbImage, factor: f64) -> RgbImage {
    let (w, h) = img.dimensions();
    let (sw, sh) = ((w as f64 * factor) as u32, (h as f64 * factor) as u32);
    imageops::resize(img, sw, sh, imageops::FilterType::CatmullRom)
}

fn map_pixels(img: &RgbImage, f: impl Fn(usize, u8) -> f64) -> RgbImage {
    let data = img
        .as_raw()
        .iter()
        .enumerate()
        .map(|(i, &v)| f(i, v).round().clamp(0.0, 255.0) as u8)
        .collect();
    RgbImage::from_raw(img.width(), img.height(), data).unwrap()
}

/// Deterministic Gaussian-like noise (sum of uniforms) with standard deviation `sigma`.
fn noise(img: &RgbImage, sigma: f64) -> RgbImage {
    let uniform = |i: u64| {
        let z = (i.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 11) as f64;
        z / (1u64 << 53) as f64 - 0.5
    };
    map_pixels(img, |i, v| {
        let s: f64 = (0..12).map(|k| uniform(i as u64 * 12 + k)).sum();
        v as f64 + sigma * s
    })
}

fn photos(shared: &Path) -> Vec<(String, RgbImage)> {
    [
        "media/images/astronaut.png",
        "media/images/grace_hopper.jpg",
        "media/public/source_s42.jpg",
        "media/public/source_s9.jpg",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            media::load_portrait(&shared.join(p)).unwrap(),
        )
    })
    .collect()
}

#[test]
fn marks_are_invisible_by_psnr_and_survive_the_attacks() {
    let Some(shared) = common::shared_dir("marks_survive_the_attacks") else {
        return;
    };
    let marker = Marker::new(PAYLOAD).for_stills();
    let detector = Detector::new();
    // Each photo as it is and scaled to a 300 px short side, where a still keeps two tiles
    // across and the detector also tries one (a small video frame's).
    let photos = photos(&shared).into_iter().flat_map(|(name, img)| {
        let small = rescale(&img, 300.0 / img.width().min(img.height()) as f64);
        [(name.clone(), img), (format!("{name} at 300 px"), small)]
    });
    for (name, original) in photos {
        let mut marked = original.clone();
        marker.embed(&mut marked);
        let quality = common::psnr(&original, &marked);
        assert!(quality >= 42.0, "{name}: PSNR {quality:.2} dB < 42");
        let (w, h) = marked.dimensions();
        let attacks: Vec<(&str, RgbImage)> = vec![
            ("none", marked.clone()),
            ("jpeg q50", jpeg(&marked, 50)),
            ("crop 90% area", centre_crop(&marked, 0.949)),
            (
                "resize 0.5 and back",
                imageops::resize(
                    &rescale(&marked, 0.5),
                    w,
                    h,
                    imageops::FilterType::CatmullRom,
                ),
            ),
            ("downscale to 0.5", rescale(&marked, 0.5)),
            (
                "brightness +20",
                map_pixels(&marked, |_, v| v as f64 + 20.0),
            ),
            ("noise sigma 5", noise(&marked, 5.0)),
        ];
        for (attack, img) in attacks {
            let d = detector.detect(&img);
            assert_eq!(d.payload, Some(PAYLOAD), "{name}, {attack}: {d:?}");
            assert!(d.false_positive_probability <= 1e-6);
        }
    }
}

#[test]
fn unmarked_images_and_other_keys_are_not_claimed() {
    let Some(shared) = common::shared_dir("unmarked_images_are_not_claimed") else {
        return;
    };
    let mut images = photos(&shared);
    for entry in std::fs::read_dir(shared.join("bench/watermark/frames")).unwrap() {
        let path = entry.unwrap().path();
        images.push((
            path.display().to_string(),
            media::load_portrait(&path).unwrap(),
        ));
    }
    for (name, img) in &images {
        assert_eq!(watermark::detect(img).payload, None, "{name}: false claim");
        assert_eq!(
            watermark::detect(&jpeg(img, 75)).payload,
            None,
            "{name} as JPEG"
        );
    }
    let (name, original) = &images[0];
    let mut other_key = original.clone();
    Marker::with_key(PAYLOAD, 12345).embed(&mut other_key);
    assert_eq!(
        watermark::detect(&other_key).payload,
        None,
        "{name}, other key"
    );
    assert_eq!(
        Detector::with_key(12345).detect(&other_key).payload,
        Some(PAYLOAD),
        "{name}, its own key"
    );
}

#[test]
fn a_marked_gif_of_a_real_driver_verifies_and_the_driver_does_not() {
    let Some(shared) = common::shared_dir("a_marked_gif_verifies") else {
        return;
    };
    let driver = shared.join("media/public/driving_d18.mp4");
    let frames: Vec<RgbImage> = media::open_video(&driver)
        .unwrap()
        .take(24)
        .map(|f| f.unwrap())
        .collect();
    let marker = Marker::new(Payload::new_export(0x0b0e));
    let dir = tempfile::tempdir().unwrap();
    let gif_path = dir.path().join("marked.gif");
    {
        let (w, h) = frames[0].dimensions();
        let file = std::fs::File::create(&gif_path).unwrap();
        let mut encoder = gif::Encoder::new(file, w as u16, h as u16, &[]).unwrap();
        for frame in &frames {
            let mut marked = frame.clone();
            marker.embed(&mut marked);
            let mut gif_frame = gif::Frame::from_rgb_speed(w as u16, h as u16, marked.as_raw(), 10);
            gif_frame.delay = 4;
            encoder.write_frame(&gif_frame).unwrap();
        }
    }
    let marked = sfumato::pipeline::verify::verify_file(&gif_path).unwrap();
    assert_eq!(marked.kind, "video");
    assert_eq!(marked.detection.frames, frames.len());
    assert_eq!(marked.detection.payload, Some(marker.payload()));
    let clean = sfumato::pipeline::verify::verify_file(&driver).unwrap();
    assert_eq!(clean.detection.payload, None);
    assert_eq!(clean.detection.frames, 216);
}

#[test]
fn benchmark_frames_through_x264_crf_28_keep_their_payload() {
    let Some(shared) = common::shared_dir_with_ffmpeg("frames_through_x264_crf_28") else {
        return;
    };
    // As bench.py does it: the 20 marked frames, in name order, as one clip (camera motion
    // between the d20 frames makes x264's B-frames carry little of the pattern).
    let mut names: Vec<_> = std::fs::read_dir(shared.join("bench/watermark/frames"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let marker = Marker::new(PAYLOAD);
    let dir = tempfile::tempdir().unwrap();
    for (i, path) in names.iter().enumerate() {
        let mut img = media::load_portrait(path).unwrap();
        marker.embed(&mut img);
        img.save(dir.path().join(format!("{i:05}.png"))).unwrap();
    }
    let clip = dir.path().join("clip.mp4");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-framerate", "25", "-i"])
        .arg(dir.path().join("%05d.png"))
        .args(["-c:v", "libx264", "-preset", "medium", "-crf", "28"])
        .args(["-pix_fmt", "yuv420p"])
        .arg(&clip)
        .status()
        .unwrap();
    assert!(status.success());
    let detector = Detector::new();
    let decoded: Vec<RgbImage> = media::open_video(&clip)
        .unwrap()
        .map(|f| f.unwrap())
        .collect();
    assert_eq!(decoded.len(), names.len());
    for (name, frame) in names.iter().zip(&decoded) {
        let d = detector.detect(frame);
        assert_eq!(d.payload, Some(PAYLOAD), "{}: {d:?}", name.display());
        assert!(d.false_positive_probability <= 1e-6);
    }
}
