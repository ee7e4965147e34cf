//! Argument parsing and dispatch to the library; one file per subcommand.

mod animate;
mod engine;
mod eval;
mod keypoints;
mod motion;
mod preview;
mod probe;
pub mod progress;
mod verify;
mod watermark;

use clap::{Parser, Subcommand};
use sfumato::pipeline::guard::guarded;

/// Animate a portrait with the motion of a driving video of a talking face.
#[derive(Parser, Debug)]
#[command(name = "animate", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    animate: animate::AnimateArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a portrait or driver before a long run: format, codec, size, fps, frames, audio.
    Probe(probe::ProbeArgs),
    /// Find faces and their 468 landmarks in a portrait or every frame of a video, as JSON.
    Keypoints(keypoints::KeypointsArgs),
    Verify(verify::VerifyArgs),
    Watermark(watermark::WatermarkArgs),
    /// Measure an engine (`--engine`, `--device`): reconstruct driver videos from their own
    /// first frame and compare with the real frames (face L1, full-frame L1, landmark error vs.
    /// holding still).
    Eval(eval::EvalArgs),
}

/// Prints `error: …` for a failed subcommand and returns its exit code (2 bad input, 1 failure,
/// 70 internal error). A setting the library rejects is named by the flag that sets it, and an
/// existing output by `--force`.
fn report_error(e: &sfumato::Error) -> i32 {
    match e {
        sfumato::Error::Setting {
            setting,
            value,
            problem,
        } => eprintln!(
            "error: {}",
            sfumato::error::setting_message(&flag_for(setting), value, problem)
        ),
        sfumato::Error::OutputExists(path) => eprintln!(
            "error: {}: already exists; pass --force to replace it, or choose another output path",
            path.display()
        ),
        _ => eprintln!("error: {e}"),
    }
    e.exit_code()
}

/// The flag that sets a library setting named in [`sfumato::Error::Setting`].
fn flag_for(setting: &str) -> String {
    match setting {
        "max_rotation_deg" => "--max-rotation".into(),
        "seconds" => "--duration".into(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// The exit code of a subcommand that prints its own output on success.
fn exit_code(result: sfumato::Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => report_error(&e),
    }
}

/// Parses the command line, runs it and returns the process exit code.
pub fn run() -> i32 {
    // Ctrl-C: remove half-written outputs (their destructors will not run), exit 130 like a shell.
    let _ = ctrlc::set_handler(|| {
        sfumato::media::remove_partial_outputs();
        eprintln!("interrupted; no output was written");
        std::process::exit(130);
    });
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    quiet_panics();
    let dispatch = || match cli.command {
        Some(Command::Probe(args)) => probe::run(&args),
        Some(Command::Keypoints(args)) => keypoints::run(&args),
        Some(Command::Verify(args)) => verify::run(args),
        Some(Command::Watermark(args)) => watermark::run(args),
        Some(Command::Eval(args)) => eval::run(&args),
        None => animate::run(&cli.animate),
    };
    // A panic the pipeline's per-frame guard did not catch: still one line, and no partial output.
    guarded(|| "running the command".into(), dispatch).unwrap_or_else(|e| {
        sfumato::media::remove_partial_outputs();
        report_error(&e)
    })
}

/// Panics are reported as one `internal error` line by the guards, so the default hook's
/// message and backtrace are silenced — unless `RUST_BACKTRACE` asks for them (for us, when a
/// report comes in).
fn quiet_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
}
