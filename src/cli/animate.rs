//! The main command, `animate PORTRAIT --driver VIDEO|preset:NAME [-o OUT]`: a thin layer over
//! [`sfumato::pipeline`].

use super::progress::Progress;
use clap::ValueEnum;
use sfumato::engine::tpsmm::{CropMode, Mode, TpsmmOptions};
use sfumato::engine::warp::Device;
use sfumato::motion::MotionConfig;
use sfumato::pipeline::{self, DriverSource, EngineChoice, Job, Stage};
use sfumato::preview::{self, PreviewArgs, PreviewHooks, PreviewMode};
use sfumato::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    /// Where the warp runs: `auto` uses a hardware GPU when there is one, else the CPU.
    #[arg(long, value_enum, default_value_t = DeviceArg::Auto)]
    device: DeviceArg,
    /// Rendering engine: `warp` (default, nothing to download) moves the full-resolution
    /// portrait with the face landmarks; `tpsmm` runs the Thin-Plate-Spline Motion Model
    /// (needs --weights, the official checkpoint, e.g. vox.pth.tar).
    #[arg(long, value_enum, default_value_t = EngineArg::Warp)]
    engine: EngineArg,
    /// `--engine tpsmm`: the checkpoint, the official `.pth.tar` or a safetensors conversion.
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// `--engine tpsmm`: model config, `vox`, `taichi`, `ted`, `mgif` or a YAML file.
    #[arg(long, value_name = "NAME|FILE", default_value = "vox")]
    config: String,
    /// `--engine tpsmm`: keypoint transfer, `relative` (keeps the portrait's face shape),
    /// `standard` (driver keypoints as they are) or `avd` (the model's pose re-targeting).
    #[arg(long, value_name = "MODE", default_value = "relative")]
    mode: String,
    /// `--engine tpsmm`: `face` crops a 256² face region and pastes it back; `none` feeds the
    /// whole frames, like the official demo on pre-cropped clips.
    #[arg(long, value_name = "CROP", default_value = "face")]
    crop: String,
    /// `--engine tpsmm`: `high` warps the full-resolution portrait with the model's motion and
    /// uses generated pixels only where the source is hidden; `model` upscales the 256² output.
    #[arg(long, value_name = "DETAIL", default_value = "high")]
    detail: String,
    /// Scale the driver's motion: 1 as measured, 0.5 half as much, 1.5 exaggerated.
    #[arg(long, value_name = "K", default_value_t = 1.0)]
    motion_scale: f32,
    /// Temporal smoothing of the motion, 0 (off) to 1 (strong).
    #[arg(long, value_name = "S", default_value_t = 0.5)]
    smoothing: f32,
    /// Soft limit on head rotation in degrees: a 2D warp cannot show a head turned further, so
    /// larger rotations approach this angle without passing it.
    #[arg(long, value_name = "DEG", default_value_t = 25.0)]
    max_rotation: f32,
    /// Soft limit on the head's movement across the frame, in face widths (eye-corner
    /// distances); 0 = none (the default: the warp carries neck, shoulders and torso along with
    /// a far-moving head). Set it (e.g. 0.2) to keep the figure near its painted place.
    #[arg(long, value_name = "FACES", default_value_t = 0.0)]
    max_translation: f32,
    /// Soft limit on the head's scale change, as a fraction (0.08 = ±8 %); 0 = none (default).
    #[arg(long, value_name = "FRACTION", default_value_t = 0.0)]
    max_scale_change: f32,
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

/// `--engine` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum EngineArg {
    Warp,
    Tpsmm,
}

/// `--device` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceArg {
    Auto,
    Cpu,
    Gpu,
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
    if !(args.duration > 0.0 && args.duration <= 600.0) {
        return Err(Error::BadInput(
            "--duration must be between 0 and 600 seconds".into(),
        ));
    }
    if args.fps == 0 || args.fps > 120 {
        return Err(Error::BadInput("--fps must be between 1 and 120".into()));
    }
    if !(args.motion_scale >= 0.0 && args.motion_scale <= 5.0) {
        return Err(Error::BadInput(
            "--motion-scale must be between 0 and 5".into(),
        ));
    }
    if !(0.0..=1.0).contains(&args.smoothing) {
        return Err(Error::BadInput(
            "--smoothing must be between 0 and 1".into(),
        ));
    }
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
        engine: engine_choice(args)?,
        motion: MotionConfig {
            motion_scale: args.motion_scale,
            max_rotation_deg: args.max_rotation,
            max_translation: args.max_translation,
            max_scale_change: args.max_scale_change,
            smoothing: args.smoothing,
            ..Default::default()
        },
        reference: args.reference,
        force: args.force,
    };
    let bars: Mutex<Option<(Stage, Progress)>> = Mutex::new(None);
    let on_progress = |stage: Stage, _done: u64, total: Option<u64>| {
        let mut bars = bars.lock().unwrap_or_else(|e| e.into_inner());
        if bars.as_ref().map(|(s, _)| *s) != Some(stage) {
            if let Some((_, old)) = bars.take() {
                old.finish();
            }
            let label = match stage {
                Stage::Tracking => "tracking",
                Stage::Rendering => "rendering",
            };
            *bars = Some((stage, Progress::new(label, total, args.quiet)));
        }
        if let Some((_, bar)) = bars.as_ref() {
            bar.inc();
        }
    };
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
    if let Some((_, bar)) = bars.lock().unwrap_or_else(|e| e.into_inner()).take() {
        bar.finish();
    }
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

/// The engine `--engine` and its options select.
fn engine_choice(args: &AnimateArgs) -> Result<EngineChoice> {
    Ok(match args.engine {
        EngineArg::Warp => EngineChoice::Warp(match args.device {
            DeviceArg::Auto => Device::Auto,
            DeviceArg::Cpu => Device::Cpu,
            DeviceArg::Gpu => Device::Gpu,
        }),
        EngineArg::Tpsmm => {
            let weights = args.weights.clone().ok_or_else(|| {
                Error::BadInput(
                    "--engine tpsmm needs --weights FILE: the official TPSMM checkpoint \
                     (e.g. vox.pth.tar; see README, section Neural engine)"
                        .into(),
                )
            })?;
            let high_detail = match args.detail.as_str() {
                "high" => true,
                "model" => false,
                other => {
                    return Err(Error::BadInput(format!(
                        "--detail {other}: expected high or model"
                    )))
                }
            };
            EngineChoice::Tpsmm(Box::new(TpsmmOptions {
                weights,
                config: args.config.clone(),
                mode: args.mode.parse::<Mode>()?,
                crop: args.crop.parse::<CropMode>()?,
                high_detail,
            }))
        }
    })
}
