//! `animate eval`: same-identity reconstruction quality of any engine on driver videos
//! (see [`sfumato::pipeline::eval`]), printed as a table and optionally written as JSON.

use super::engine::EngineArgs;
use super::motion::MotionArgs;
use sfumato::keypoints::FaceMesh;
use sfumato::pipeline::eval::{evaluate, EvalOptions, EvalReport};
use sfumato::Result;
use std::path::PathBuf;

/// Arguments of `animate eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Driver videos of talking faces; each one's first frame with a face becomes the portrait
    /// and the video is reconstructed from it.
    #[arg(required = true, value_name = "VIDEO")]
    drivers: Vec<PathBuf>,
    /// Also write the results as JSON here.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Warp engine: paint open mouths with the synthetic cavity instead of the driver's own
    /// interior, so no pixel of the real frames reaches the output.
    #[arg(long)]
    synthetic_mouth: bool,
    /// Write per-pixel error maps here: per driver, the mean error of the output and of the
    /// static baseline as heat maps, and every 25th frame as real | output | error.
    #[arg(long, value_name = "DIR")]
    maps: Option<PathBuf>,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    motion: MotionArgs,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: &EvalArgs) -> i32 {
    super::exit_code(eval(args))
}

fn eval(args: &EvalArgs) -> Result<()> {
    let mesh = FaceMesh::load()?;
    let options = EvalOptions {
        motion: args.motion.config(),
        engine: args.engine.choice(!args.synthetic_mouth)?,
        maps: args.maps.clone(),
        ..Default::default()
    };
    println!(
        "{:<20} {:>6} {:>22} {:>22} {:>22} {:>8} {:>9}",
        "driver",
        "frames",
        "face L1 (ratio)",
        "full L1 (ratio)",
        "landmarks px (ratio)",
        "no face",
        "jitter px"
    );
    let mut reports: Vec<EvalReport> = Vec::new();
    for driver in &args.drivers {
        let r = evaluate(driver, &mesh, &options)?;
        let cell = |m: &sfumato::pipeline::eval::Metric, p: usize| {
            format!("{:.p$}/{:.p$} ({:.2})", m.output, m.baseline, m.ratio)
        };
        println!(
            "{:<20} {:>6} {:>22} {:>22} {:>22} {:>8} {:>9.3}",
            r.driver,
            r.frames,
            cell(&r.face_l1, 4),
            cell(&r.full_l1, 4),
            cell(&r.landmark_px, 2),
            r.output_frames_without_face,
            r.still_jitter_px
        );
        reports.push(r);
    }
    if let Some(r) = reports.first() {
        println!(
            "engine: {} on {}",
            r.engine,
            if r.gpu { "GPU" } else { "CPU" }
        );
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&reports)
            .map_err(|e| sfumato::Error::Failed(format!("JSON: {e}")))?;
        sfumato::media::write_atomic(path, text.as_bytes(), true)?;
    }
    Ok(())
}
