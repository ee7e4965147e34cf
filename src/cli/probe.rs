//! `animate probe FILE`: is this file usable as a portrait or driver, and what is in it.

use super::progress::Progress;
use sfumato::media::{self, MediaKind, ProbeReport};
use std::path::PathBuf;

/// Arguments of `animate probe`.
#[derive(clap::Args, Debug)]
pub struct ProbeArgs {
    /// Portrait image (PNG, JPEG, WebP) or driver video (MP4/MOV H.264, GIF, folder of frames).
    pub file: PathBuf,
    /// Print one JSON object on stdout instead of text (also on failure, with "error").
    #[arg(long)]
    pub json: bool,
    /// Decode every frame (not just the first) to catch damage in the middle of a video.
    #[arg(long)]
    pub full: bool,
    /// No progress bar.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Runs `animate probe`; exit 0 when the file is usable, 2 (with the reason) when it is not.
pub fn run(args: &ProbeArgs) -> i32 {
    let checked = media::probe(&args.file).and_then(|report| {
        if args.full && report.kind == MediaKind::Video {
            decode_all(args, report.frame_count)?;
        }
        Ok(report)
    });
    match checked {
        Ok(report) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("plain data")
                );
            } else {
                print_text(&report);
            }
            0
        }
        Err(e) => {
            if args.json {
                let out = serde_json::json!({
                    "path": args.file.display().to_string(),
                    "usable": false,
                    "error": e.to_string(),
                });
                println!("{out}");
            }
            super::report_error(&e)
        }
    }
}

/// Decodes every frame with a progress bar; the error names the first frame that fails.
fn decode_all(args: &ProbeArgs, frames: Option<u64>) -> sfumato::Result<()> {
    let progress = Progress::new("decoding", frames, args.quiet || args.json);
    let mut video = media::open_video(&args.file)?;
    while video.next_frame()?.is_some() {
        progress.inc();
    }
    progress.finish();
    Ok(())
}

fn print_text(r: &ProbeReport) {
    let role = match r.kind {
        MediaKind::Image => "usable as a portrait",
        MediaKind::Video => "usable as a driver",
    };
    println!("{}: {role}", r.path);
    println!("  container  {}", r.container);
    let profile = r
        .profile
        .as_deref()
        .map(|p| format!(" {p}"))
        .unwrap_or_default();
    print!(
        "  picture    {}{profile}, {}x{}",
        r.codec, r.width, r.height
    );
    if let (Some(fps), Some(n), Some(d)) = (r.fps, r.frame_count, r.duration_s) {
        print!(", {fps} fps, {n} frames, {d:.2} s");
    }
    println!();
    match &r.audio {
        Some(a) => println!(
            "  audio      AAC ({}), {} Hz, {} ch, {:.2} s — copied into MP4 output",
            a.codec, a.sample_rate, a.channels, a.duration_s
        ),
        None if r.kind == MediaKind::Video => println!("  audio      none"),
        None => {}
    }
}
