//! The one progress bar of the CLI: frames done, fps and ETA on a terminal; silent otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

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
