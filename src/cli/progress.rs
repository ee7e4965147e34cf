//! The one progress bar of the CLI: frames done, fps and ETA on a terminal; silent otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sfumato::pipeline::Stage;
use std::io::IsTerminal;
use std::sync::Mutex;

/// A progress bar over a known (or unknown) number of frames, drawn on stderr.
///
/// Hidden when stderr is not a terminal (logs, CI, pipes) or when the user passed `-q`, so
/// scripted runs get clean output.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar labelled `label` (e.g. "rendering") over `total` frames (`None`: unknown length).
    pub fn new(label: &str, total: Option<u64>, quiet: bool) -> Progress {
        let bar = match total {
            Some(n) => ProgressBar::new(n),
            None => ProgressBar::no_length(),
        };
        if quiet || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        let template = if total.is_some() {
            "{msg:>10} [{wide_bar}] {pos}/{len} frames, {per_sec}, ETA {eta}"
        } else {
            "{msg:>10} {spinner} {pos} frames, {per_sec}, {elapsed}"
        };
        let style = ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> ");
        bar.set_style(style.with_key(
            "per_sec",
            |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.1} fps", s.per_sec());
            },
        ));
        bar.set_message(label.to_string());
        Progress { bar }
    }

    /// Counts one more frame done.
    pub fn inc(&self) {
        self.bar.inc(1);
    }

    /// Removes the bar from the terminal once the work is done.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// One bar per stage of a library job, fed by its progress callback: a bar opens when a stage
/// reports its first frame and the previous stage's bar closes.
pub struct StageBars {
    label: fn(Stage) -> &'static str,
    quiet: bool,
    current: Mutex<Option<(Stage, Progress)>>,
}

impl StageBars {
    /// Bars labelled by `label`, hidden with `quiet`.
    pub fn new(label: fn(Stage) -> &'static str, quiet: bool) -> Self {
        StageBars {
            label,
            quiet,
            current: Mutex::new(None),
        }
    }

    /// The job's progress callback: one more frame of `stage`, out of `total` if known.
    pub fn update(&self, stage: Stage, total: Option<u64>) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().map(|(s, _)| *s) != Some(stage) {
            if let Some((_, old)) = current.take() {
                old.finish();
            }
            *current = Some((stage, Progress::new((self.label)(stage), total, self.quiet)));
        }
        if let Some((_, bar)) = current.as_ref() {
            bar.inc();
        }
    }

    /// Removes the open bar, once the job is over.
    pub fn finish(&self) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, bar)) = current.take() {
            bar.finish();
        }
    }
}
