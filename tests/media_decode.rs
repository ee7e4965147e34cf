//! Decoding the real driver videos and portraits in ../shared/media.

mod common;

use sfumato::media;

#[test]
fn public_drivers_decode_every_frame_at_their_size_and_rate() {
    let Some(shared) = common::shared_dir("public_drivers_decode_every_frame") else {
        return;
    };
    // (file, width, height, fps, frames) as ffprobe reports them.
    for (name, w, h, fps, frames) in [
        ("driving_d0.mp4", 512, 512, 25, 78),
        ("driving_d18.mp4", 480, 480, 30, 216),
        ("driving_d20.mp4", 480, 480, 25, 175),
    ] {
        let path = shared.join("media/public").join(name);
        let mut video = media::open_video(&path).unwrap();
        let info = video.info().clone();
        assert_eq!((info.width, info.height), (w, h), "{name}");
        assert_eq!(info.fps, media::Fps { num: fps, den: 1 }, "{name}");
        assert_eq!(info.frame_count, frames, "{name}");
        let mut n = 0;
        while let Some(frame) = video.next_frame().unwrap() {
            assert_eq!(frame.dimensions(), (w, h), "{name} frame {n}");
            n += 1;
        }
        assert_eq!(n, frames, "{name}: decoded frame count");
    }
}

#[test]
fn portraits_load_upright_as_rgb() {
    let Some(shared) = common::shared_dir("portraits_load_upright_as_rgb") else {
        return;
    };
    for (name, w, h) in [
        ("media/public/source_s9.jpg", 720, 1280),
        ("media/public/source_s12.jpg", 375, 500),
        ("media/images/astronaut.png", 512, 512),
        ("media/images/grace_hopper.jpg", 512, 600),
    ] {
        let image = media::load_portrait(&shared.join(name)).unwrap();
        assert_eq!(image.dimensions(), (w, h), "{name}");
    }
}

fn rgb_test_image(w: u32, h: u32) -> image::RgbImage {
    image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    })
}

/// A JPEG carrying an EXIF orientation tag (6 = rotate 90° clockwise to display).
fn jpeg_with_orientation(image: &image::RgbImage, orientation: u16) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one IFD entry
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // Orientation, SHORT, count 1
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, next IFD = 0
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn portraits_in_every_pixel_format_become_upright_rgb() {
    let tmp = tempfile::tempdir().unwrap();
    let base = rgb_test_image(60, 40);

    let rotated = tmp.path().join("rotated.jpg");
    std::fs::write(&rotated, jpeg_with_orientation(&base, 6)).unwrap();
    let upright = media::load_portrait(&rotated).unwrap();
    assert_eq!(
        upright.dimensions(),
        (40, 60),
        "EXIF orientation 6 turns 60x40 into 40x60"
    );
    // Rotated 90° clockwise: the source's top-left (dark red-green) lands top-right.
    let tr = upright.get_pixel(39, 0);
    assert!(tr[0] < 40 && tr[1] < 40, "top-right after rotation: {tr:?}");

    let grey = tmp.path().join("grey16.png");
    image::DynamicImage::ImageRgb8(base.clone())
        .into_luma16()
        .save(&grey)
        .unwrap();
    let g = media::load_portrait(&grey).unwrap();
    assert_eq!(g.dimensions(), (60, 40));
    let p = g.get_pixel(30, 20);
    assert!(p[0] == p[1] && p[1] == p[2], "grey stays grey: {p:?}");

    let rgba = tmp.path().join("alpha.png");
    let mut with_alpha = image::DynamicImage::ImageRgb8(base.clone()).into_rgba8();
    with_alpha.get_pixel_mut(0, 0)[3] = 0;
    with_alpha.get_pixel_mut(1, 0)[3] = 128;
    with_alpha.save(&rgba).unwrap();
    let a = media::load_portrait(&rgba).unwrap();
    assert_eq!(
        *a.get_pixel(0, 0),
        image::Rgb([255, 255, 255]),
        "transparent → white"
    );
    assert_eq!(
        *a.get_pixel(2, 0),
        *base.get_pixel(2, 0),
        "opaque pixels unchanged"
    );
    let half = a.get_pixel(1, 0);
    assert!(
        half[2] > 160 && half[2] < 180,
        "half alpha blends with white: {half:?}"
    );

    let webp = tmp.path().join("lossless.webp");
    base.save(&webp).unwrap();
    assert_eq!(
        media::load_portrait(&webp).unwrap(),
        base,
        "lossless WebP round trip"
    );

    let sixteen = tmp.path().join("rgb16.png");
    image::DynamicImage::ImageRgb8(base.clone())
        .into_rgb16()
        .save(&sixteen)
        .unwrap();
    assert_eq!(
        media::load_portrait(&sixteen).unwrap(),
        base,
        "16-bit scales back to 8-bit exactly"
    );
}

#[test]
fn cmyk_jpeg_is_converted_to_rgb() {
    let tmp = tempfile::tempdir().unwrap();
    let png = tmp.path().join("src.png");
    let cmyk = tmp.path().join("cmyk.jpg");
    rgb_test_image(64, 48).save(&png).unwrap();
    let made = std::process::Command::new("python3")
        .args(["-c", "import sys; from PIL import Image; Image.open(sys.argv[1]).convert('CMYK').save(sys.argv[2], quality=95)"])
        .arg(&png)
        .arg(&cmyk)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("SKIPPED cmyk_jpeg_is_converted_to_rgb: python3 with Pillow is needed to make a CMYK JPEG");
        return;
    }
    let rgb = media::load_portrait(&cmyk).unwrap();
    let src = media::load_portrait(&png).unwrap();
    let max_diff = rgb
        .as_raw()
        .iter()
        .zip(src.as_raw())
        .map(|(&a, &b)| a.abs_diff(b))
        .max()
        .unwrap();
    assert!(
        max_diff < 24,
        "CMYK JPEG decoded to the right colours (max diff {max_diff})"
    );
}

fn psnr(a: &image::RgbImage, b: &image::RgbImage) -> f64 {
    let se: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    10.0 * (65025.0 / (se / a.as_raw().len() as f64).max(1e-9)).log10()
}

fn ffmpeg_make(args: &[&str], out: &std::path::Path) -> bool {
    std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x120:rate=25:duration=2",
        ])
        .args(args)
        .arg(out)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn bframes_fragmented_mov_and_gif_inputs_decode_fully() {
    if std::process::Command::new("ffmpeg")
        .arg("-version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED bframes_fragmented_mov_and_gif_inputs: ffmpeg is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str]); 5] = [
        (
            "main_bframes.mp4",
            &[
                "-c:v",
                "libx264",
                "-profile:v",
                "main",
                "-bf",
                "3",
                "-pix_fmt",
                "yuv420p",
            ],
        ),
        (
            "baseline.mp4",
            &[
                "-c:v",
                "libx264",
                "-profile:v",
                "baseline",
                "-pix_fmt",
                "yuv420p",
            ],
        ),
        (
            "fragmented.mp4",
            &[
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "frag_keyframe+empty_moov",
            ],
        ),
        ("quicktime.mov", &["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
        ("anim.gif", &[]),
    ];
    let mut reference = None;
    for (name, args) in cases {
        let path = tmp.path().join(name);
        assert!(ffmpeg_make(args, &path), "ffmpeg could not make {name}");
        let mut video = media::open_video(&path).unwrap();
        assert_eq!(
            (video.info().width, video.info().height),
            (160, 120),
            "{name}"
        );
        assert_eq!(video.info().frame_count, 50, "{name}");
        assert!(
            (video.info().fps.as_f64() - 25.0).abs() < 1e-9,
            "{name}: {:?}",
            video.info().fps
        );
        let frames: Vec<_> = video.by_ref().map(Result::unwrap).collect();
        assert_eq!(frames.len(), 50, "{name}");
        // All encodings of the same test pattern must agree frame by frame, in display order:
        // each frame is closer to the same reference frame than to its neighbour.
        let reference = reference.get_or_insert_with(|| frames.clone());
        let floor = if name.ends_with(".gif") { 20.0 } else { 30.0 };
        for i in 0..49 {
            let (same, next) = (
                psnr(&reference[i], &frames[i]),
                psnr(&reference[i + 1], &frames[i]),
            );
            assert!(
                same > floor && same > next,
                "{name} frame {i}: {same:.1} dB, vs next {next:.1} dB"
            );
        }
    }
}
