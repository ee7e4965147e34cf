//! `animate keypoints`: the faces and 468 landmarks of a portrait, or of every frame of a
//! driver video, as JSON, with an optional overlay to check them by eye.

use super::progress::StageBars;
use sfumato::media;
use sfumato::pipeline::keypoints::{keypoints, KeypointsJob};
use sfumato::{Error, Result};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `animate keypoints`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "JSON for an image: {\"width\":W,\"height\":H,\"faces\":[{\"score\":S,\"box\":[x0,y0,x1,y1],\"landmarks\":[[x,y,z],...468]}]}\n\
JSON for a video: {\"fps\":F,\"width\":W,\"height\":H,\"frames\":[{\"index\":I,\"faces\":[...]},...]}\n\
Pixel coordinates, origin top-left, pixel centres at integers; z in the same pixel scale (smaller is closer).\n\
A portrait with no face exits with status 2 and writes nothing."
)]
pub struct KeypointsArgs {
    /// Portrait image (PNG, JPEG, WebP) or driver video (MP4/MOV H.264, GIF, folder of frames).
    input: PathBuf,
    /// Write the JSON to this file instead of standard output.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Draw the face boxes and landmarks over the input and save it here: a .png or .jpg for
    /// an image; a .mp4, .gif or folder (PNG frames) for a video.
    #[arg(long, value_name = "OUT")]
    overlay: Option<PathBuf>,
    /// Video: report the raw landmarks, without temporal smoothing.
    #[arg(long)]
    no_smoothing: bool,
    /// Video: follow at most this many faces (still images report every face found).
    #[arg(long, value_name = "N", default_value_t = 4)]
    max_faces: usize,
    /// Replace output files that already exist.
    #[arg(long)]
    force: bool,
    /// Hide the progress bar.
    #[arg(short, long)]
    quiet: bool,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: &KeypointsArgs) -> i32 {
    super::exit_code(run_job(args))
}

fn run_job(args: &KeypointsArgs) -> Result<()> {
    if let Some(out) = &args.json {
        media::check_output_path(out, &[&args.input], args.force)?;
    }
    let job = KeypointsJob {
        input: args.input.clone(),
        overlay: args.overlay.clone(),
        smoothing: !args.no_smoothing,
        max_faces: args.max_faces,
        force: args.force,
    };
    let bars = StageBars::new(|_| "keypoints", args.quiet);
    let report = keypoints(&job, &|stage, _done, total| bars.update(stage, total));
    bars.finish();
    let json = serde_json::to_string(&report?).map_err(|e| Error::Failed(format!("JSON: {e}")))?;
    match &args.json {
        Some(path) => media::write_atomic(path, json.as_bytes(), args.force),
        None => match writeln!(std::io::stdout().lock(), "{json}") {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::Failed(format!("standard output: {e}")))
            }
            _ => Ok(()),
        },
    }
}
