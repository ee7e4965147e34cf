//! Memory and speed of the media path: decode a long 1080p H.264 clip with AAC audio and
//! re-encode it to MP4 with the audio copied, sampling resident memory as it goes.
//!
//! `cargo bench --bench media_memory` runs a 10-minute clip (`SFUMATO_BENCH_SECONDS` changes
//! the length). The clip is generated with ffmpeg (testsrc2, x264 with B-frames, AAC) when it is
//! installed, else with our own encoder. Without `--bench` (as under `cargo test
//! --all-targets`) it runs a 2-second smoke version. Prints peak RSS, the RSS curve, decode and
//! encode fps, and ffmpeg's single-thread decode speed of the same clip as a baseline.

use sfumato::media::{self, Fps, OutputSpec, VideoWriter};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;
const FPS: u32 = 25;

/// A field of /proc/self/status in MiB (VmRSS: now, VmHWM: peak).
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn make_clip_ffmpeg(path: &Path, seconds: u32) -> bool {
    let size = format!("testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}");
    Command::new("nice")
        .args([
            "ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", &size, "-f", "lavfi", "-i",
        ])
        .arg("sine=frequency=440:sample_rate=44100")
        .args([
            "-t",
            &seconds.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
        ])
        .args([
            "-bf", "2", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k",
        ])
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

fn make_clip_ourselves(path: &Path, seconds: u32) {
    let spec = OutputSpec::new(path, Fps { num: FPS, den: 1 }, WIDTH, HEIGHT);
    let mut writer = VideoWriter::create(spec).expect("bench clip");
    for i in 0..seconds * FPS {
        let frame = image::RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
            image::Rgb([
                ((x + i * 4) % 256) as u8,
                ((y + i * 2) % 256) as u8,
                ((x ^ y) % 256) as u8,
            ])
        });
        writer.write_frame(&frame).expect("bench frame");
    }
    writer.finish().expect("bench clip");
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let seconds: u32 = match std::env::var("SFUMATO_BENCH_SECONDS") {
        Ok(s) => s
            .parse()
            .expect("SFUMATO_BENCH_SECONDS must be a whole number"),
        Err(_) if full => 600,
        Err(_) => 2,
    };
    let tmp = tempfile::tempdir().expect("temp dir");
    let clip = tmp.path().join("clip.mp4");
    let made = Instant::now();
    let generator = if make_clip_ffmpeg(&clip, seconds) {
        "ffmpeg libx264 ultrafast, 2 B-frames, AAC"
    } else {
        make_clip_ourselves(&clip, seconds);
        "our OpenH264 encoder, no audio (ffmpeg not found)"
    };
    println!(
        "clip: {WIDTH}x{HEIGHT} {FPS} fps, {seconds} s ({generator}), {:.1} MB, made in {:.0} s",
        std::fs::metadata(&clip).map_or(0.0, |m| m.len() as f64 / 1e6),
        made.elapsed().as_secs_f64()
    );

    let rss_start = status_mib("VmRSS");
    let mut reader = media::open_video(&clip).expect("open clip");
    let info = reader.info().clone();
    let mut spec = OutputSpec::new(
        tmp.path().join("out.mp4"),
        info.fps,
        info.width,
        info.height,
    );
    spec.audio = media::read_audio(&clip).expect("audio");
    let mut writer = VideoWriter::create(spec).expect("writer");
    let (mut decode, mut encode) = (Duration::ZERO, Duration::ZERO);
    let step = (info.frame_count / 10).max(1);
    let mut curve = Vec::new();
    let mut n = 0u64;
    loop {
        let t = Instant::now();
        let Some(frame) = reader.next_frame().expect("decode") else {
            break;
        };
        decode += t.elapsed();
        let t = Instant::now();
        writer.write_frame(&frame).expect("encode");
        encode += t.elapsed();
        n += 1;
        if n.is_multiple_of(step) {
            curve.push((n, status_mib("VmRSS")));
        }
    }
    let t = Instant::now();
    writer.finish().expect("finish");
    let finish = t.elapsed();
    println!(
        "frames: {n} of {} (decode + encode + audio copy)",
        info.frame_count
    );
    println!(
        "decode: {:.1} fps ({:.1} s); encode: {:.1} fps ({:.1} s); faststart rewrite {:.1} s",
        n as f64 / decode.as_secs_f64(),
        decode.as_secs_f64(),
        n as f64 / encode.as_secs_f64(),
        encode.as_secs_f64(),
        finish.as_secs_f64()
    );
    println!(
        "RSS before opening: {rss_start:.0} MiB; peak (VmHWM): {:.0} MiB",
        status_mib("VmHWM")
    );
    let curve: Vec<String> = curve.iter().map(|(f, m)| format!("{f}:{m:.0}")).collect();
    println!("RSS curve (frame:MiB): {}", curve.join(" "));

    let t = Instant::now();
    let baseline = Command::new("nice")
        .args(["ffmpeg", "-v", "error", "-threads", "1", "-i"])
        .arg(&clip)
        .args(["-map", "0:v", "-f", "null", "-"])
        .status();
    if baseline.is_ok_and(|s| s.success()) {
        let s = t.elapsed().as_secs_f64();
        println!(
            "baseline: ffmpeg -threads 1 decodes the same clip at {:.1} fps (ours / ffmpeg = {:.2})",
            n as f64 / s,
            (n as f64 / decode.as_secs_f64()) / (n as f64 / s)
        );
    }
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average: {}", load.trim());
    }
}
