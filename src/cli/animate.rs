//! The main command, `animate PORTRAIT --driver VIDEO|preset:NAME [-o OUT]`: a thin layer over
//! [`sfumato::pipeline`].

use super::engine::EngineArgs;
use super::motion::MotionArgs;
use super::preview::PreviewArgs;
use super::progress::StageBars;
use sfumato::pipeline::{self, DriverSource, Job, Stage};
use sfumato::preview::{self, PreviewHooks, PreviewMode};
use sfumato::{Error, Result};
use std::path::{Path, PathBuf};

/// Arguments of the main command (given without a subcommand).
#[derive(clap::Args, Debug)]
pub struct AnimateArgs {
    /// The portrait to animate (PNG, JPEG, WebP): a painting or a photo with one main face.
    #[arg(value_name = "PORTRAIT")]
    portrait: Option<PathBuf>,
    /// The motion: a driving video of a talking face (MP4/MOV H.264, GIF, or a folder of
    /// frames), or a built-in motion `preset:idle|blink|nod|smile|talk`.
    #[arg(short, long, value_name = "VIDEO|preset:NAME")]
    driver: Option<String>,
    /// Output: `.mp4` (H.264, with the driver's audio), `.gif`, or a folder (ending in `/`) for
    /// PNG frames. Default: PORTRAIT's name with `_animated.mp4`, in the current folder.
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Cap the output's longer side at this many pixels (default: the portrait's full size).
    #[arg(long, value_name = "PIXELS")]
    max_size: Option<u32>,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    motion: MotionArgs,
    /// Driver frame (0-based) whose pose and expression count as neutral. Default: the frame
    /// closest to the portrait's own pose and expression.
    #[arg(long, value_name = "N")]
    reference: Option<usize>,
    /// Length of a preset's clip in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 4.0)]
    duration: f32,
    /// Frame rate of a preset's clip.
    #[arg(long, value_name = "FPS", default_value_t = 25)]
    fps: u32,
    /// Replace OUT if it exists.
    #[arg(short, long)]
    force: bool,
    /// No progress bar or summary.
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    preview: PreviewArgs,
}

/// Runs the main command; returns the exit code.
pub fn run(args: &AnimateArgs) -> i32 {
    let _ = env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,wgpu_hal=off,wgpu_core=off,naga=off"),
    )
    .format_timestamp(None)
    .format_target(false)
    .try_init();
    super::exit_code(animate(args))
}

fn animate(args: &AnimateArgs) -> Result<()> {
    let portrait = args.portrait.clone().ok_or_else(|| {
        Error::BadInput(
            "no portrait given; usage: animate PORTRAIT --driver VIDEO|preset:NAME [-o OUT] \
             (see animate --help)"
                .into(),
        )
    })?;
    let driver = args.driver.as_deref().ok_or_else(|| {
        Error::BadInput(
            "no --driver given: pass a driving video or a preset such as preset:idle".into(),
        )
    })?;
    let preview_only = args.preview.mode() == PreviewMode::Only;
    if preview_only && args.output.is_some() {
        return Err(Error::BadInput(
            "--preview-only writes no file; drop -o or use --preview".into(),
        ));
    }
    let output = (!preview_only).then(|| {
        args.output.clone().unwrap_or_else(|| {
            let stem = portrait.file_stem().unwrap_or_default().to_string_lossy();
            PathBuf::from(format!("{stem}_animated.mp4"))
        })
    });
    let job = Job {
        portrait: portrait.clone(),
        driver: DriverSource::parse(driver, args.duration, args.fps)?,
        output: output.clone(),
        max_size: args.max_size,
        engine: args.engine.choice(true)?,
        motion: args.motion.config(),
        reference: args.reference,
        force: args.force,
    };
    let label = |stage| match stage {
        Stage::Tracking => "tracking",
        Stage::Rendering => "rendering",
    };
    let bars = StageBars::new(label, args.quiet);
    let on_progress = |stage, _done, total| bars.update(stage, total);
    let opts = args.preview.options(&portrait);
    let hooks = PreviewHooks {
        save_frame: Some(preview::save_beside(
            output.as_deref().unwrap_or(Path::new(&portrait)),
            None,
        )),
        ..PreviewHooks::default()
    };
    let mut notice = |line: &str| eprintln!("{line}");
    let (report, _) = preview::run_alongside(
        args.preview.plan(),
        opts,
        hooks,
        output.as_deref(),
        &mut notice,
        |frames| pipeline::run(&job, &on_progress, &frames),
    )?;
    bars.finish();
    if let (false, Some(output)) = (args.quiet, &output) {
        eprintln!(
            "wrote {}: {} frames, {}x{}, {:.2} fps (reference driver frame {}, {} on {}{})",
            output.display(),
            report.frames,
            report.width,
            report.height,
            report.fps.as_f64(),
            report.reference,
            report.engine,
            if report.gpu { "GPU" } else { "CPU" },
            if report.frames_without_face > 0 {
                format!(", {} frames without a face", report.frames_without_face)
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
