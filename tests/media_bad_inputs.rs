//! A corpus of bad inputs, generated here, must give exit 2, a clear message naming the file,
//! no panic, and no file written.

mod common;

use image::RgbImage;
use sfumato::media::{self, Fps, OutputSpec, VideoWriter};
use std::path::{Path, PathBuf};
use std::process::Command;

struct Outcome {
    code: Option<i32>,
    stderr: String,
}

fn probe(path: &Path) -> Outcome {
    let out = Command::new(common::animate_bin())
        .arg("probe")
        .arg(path)
        .output()
        .unwrap();
    Outcome {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

/// Runs `animate probe` on `path` and checks the refusal: exit 2, "error: PATH: …" containing
/// every word of `expect`, no panic, and nothing new in the folder.
fn assert_refused(path: &Path, expect: &[&str]) {
    let dir = path.parent().unwrap();
    let before = listing(dir);
    let o = probe(path);
    let name = path.file_name().unwrap().to_string_lossy();
    assert_eq!(o.code, Some(2), "{name}: exit code; stderr: {}", o.stderr);
    assert!(o.stderr.starts_with("error: "), "{name}: {}", o.stderr);
    assert!(
        o.stderr.contains(&*name),
        "{name}: message must name the file: {}",
        o.stderr
    );
    for word in expect {
        assert!(
            o.stderr.contains(word),
            "{name}: expected '{word}' in: {}",
            o.stderr
        );
    }
    assert!(
        !o.stderr.contains("panicked"),
        "{name}: panic: {}",
        o.stderr
    );
    assert_eq!(
        o.stderr.lines().count(),
        1,
        "{name}: one line expected: {}",
        o.stderr
    );
    assert_eq!(listing(dir), before, "{name}: files appeared");
    eprintln!("{name}: {}", o.stderr.trim_end());
}

/// A small H.264 MP4 made by our own writer, so this corpus needs neither ffmpeg nor ../shared.
fn make_clip(path: &Path) {
    let mut w =
        VideoWriter::create(OutputSpec::new(path, Fps { num: 25, den: 1 }, 64, 48)).unwrap();
    for i in 0..10u32 {
        let frame = RgbImage::from_fn(64, 48, |x, y| {
            image::Rgb([(x * 4 + i * 8) as u8, (y * 5) as u8, 128])
        });
        w.write_frame(&frame).unwrap();
    }
    w.finish().unwrap();
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header announces `w`x`h` pixels, followed by an empty IDAT and IEND.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let chunk = |png: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &[]);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[test]
fn bad_files_are_refused_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let good = dir.join("good.mp4");
    make_clip(&good);
    assert_eq!(
        probe(&good).code,
        Some(0),
        "the generated clip itself is usable"
    );
    let bytes = std::fs::read(&good).unwrap();

    let truncated = dir.join("truncated.mp4");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    assert_refused(&truncated, &["truncated"]);

    let head_only = dir.join("cut_in_moov.mp4");
    std::fs::write(&head_only, &bytes[..200]).unwrap();
    assert_refused(&head_only, &["damaged or truncated"]);

    let empty = dir.join("empty.mp4");
    std::fs::write(&empty, b"").unwrap();
    assert_refused(&empty, &["empty"]);

    let text = dir.join("notes.mp4");
    std::fs::write(&text, "this is not a video\n".repeat(20)).unwrap();
    assert_refused(&text, &["not a video"]);

    let huge = dir.join("huge.png");
    std::fs::write(&huge, png_header_only(50_000, 50_000)).unwrap();
    assert_refused(&huge, &["50000x50000", "scale it down"]);
    let err = media::load_portrait(&huge).unwrap_err();
    assert_eq!(err.exit_code(), 2);

    let text_png = dir.join("fake.png");
    std::fs::write(&text_png, "hello").unwrap();
    assert_refused(&text_png, &["not an image"]);

    let truncated_png = dir.join("cut.png");
    let mut png = Vec::new();
    image::RgbImage::new(300, 200)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    std::fs::write(&truncated_png, &png[..png.len() / 2]).unwrap();
    assert_refused(&truncated_png, &["unreadable"]);

    assert_refused(&dir.join("missing.mp4"), &["not found"]);

    let empty_dir = dir.join("noframes");
    std::fs::create_dir(&empty_dir).unwrap();
    assert_refused(&empty_dir, &["no numbered"]);
}

#[test]
fn unsupported_codecs_are_refused_before_decoding_with_a_conversion_command() {
    if !common::ffmpeg_available("unsupported_codecs") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &[&str]); 7] = [
        (
            "hevc.mp4",
            &[
                "-c:v",
                "libx265",
                "-x265-params",
                "log-level=none",
                "-tag:v",
                "hvc1",
            ],
            &["HEVC"],
        ),
        (
            "hev1.mp4",
            &["-c:v", "libx265", "-x265-params", "log-level=none"],
            &["HEVC"],
        ),
        (
            "ten_bit.mp4",
            &["-c:v", "libx264", "-pix_fmt", "yuv420p10le"],
            &["10-bit", "High 10"],
        ),
        (
            "four22.mp4",
            &["-c:v", "libx264", "-pix_fmt", "yuv422p"],
            &["4:2:2"],
        ),
        (
            "interlaced.mp4",
            &[
                "-c:v",
                "libx264",
                "-flags",
                "+ildct+ilme",
                "-pix_fmt",
                "yuv420p",
            ],
            &["interlaced"],
        ),
        (
            "vp9.mp4",
            &["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p"],
            &["VP9"],
        ),
        ("prores.mov", &["-c:v", "prores_ks"], &["ProRes"]),
    ];
    for (name, args, expect) in cases {
        let path = tmp.path().join(name);
        if !common::ffmpeg_testsrc("128x96", 0.4, args, &path) {
            eprintln!("SKIPPED {name}: this ffmpeg cannot make it");
            continue;
        }
        let mut words = expect.to_vec();
        words.extend(["not supported", "ffmpeg -i", "libx264"]);
        assert_refused(&path, &words);
    }
}
