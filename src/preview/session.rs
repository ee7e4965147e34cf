//! Generation on a worker thread, the window on this one: the wiring every job needs.

use std::path::Path;

use super::frame::{channel, FrameSender};
use super::mode::WindowPlan;
use super::window::run;
use super::{PreviewHooks, PreviewOptions, PreviewOutcome};
use crate::{Error, Result};

/// Runs `generate` (which renders, exports and hands frames to its [`FrameSender`]) on a worker
/// thread while the preview plays them on the calling thread, as `plan` says.
///
/// - No window planned: `generate` runs here with a sender nobody listens to.
/// - The window cannot open: `notice` gets the one line ("no display: preview disabled,
///   exporting to OUTPUT") and the export goes on; with `--preview-only` (nothing exported) the
///   generation is stopped and an [`Error::Setting`] explains that a display is needed.
/// - The user closes the window: the export goes on; with `--preview-only` generation stops.
/// - The user confirms cancelling (Esc twice): the sender reports it and `generate` is expected
///   to stop and return an error.
///
/// Returns what `generate` returned and how the preview ended (`None` without a window).
pub fn run_alongside<T: Send>(
    plan: WindowPlan,
    mut opts: PreviewOptions,
    hooks: PreviewHooks,
    output: Option<&Path>,
    notice: &mut dyn FnMut(&str),
    generate: impl FnOnce(FrameSender) -> Result<T> + Send,
) -> Result<(T, Option<PreviewOutcome>)> {
    let WindowPlan::Open {
        close_when_done,
        exporting,
    } = plan
    else {
        return Ok((generate(FrameSender::detached())?, None));
    };
    opts.close_when_done = close_when_done;
    opts.exporting = exporting;
    let (tx, rx) = channel();
    let cancel = rx.cancel.clone();
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("generate".into())
            .spawn_scoped(scope, move || generate(tx))
            .map_err(|e| Error::Failed(format!("cannot start the generator thread: {e}")))?;
        let outcome = run(&opts, rx, hooks);
        let stop = !exporting
            && matches!(
                outcome,
                Ok(PreviewOutcome::Closed(_) | PreviewOutcome::Unavailable(_)) | Err(_)
            );
        if stop {
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if let (true, Ok(o)) = (exporting, &outcome) {
            if let Some(line) = o.notice(output) {
                notice(&line);
            }
        }
        let generated = worker
            .join()
            .map_err(|_| Error::Failed("the frame generator crashed".into()))?;
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => {
                notice(&format!("preview stopped: {e}"));
                return generated.map(|r| (r, None));
            }
        };
        if let (false, PreviewOutcome::Unavailable(why)) = (exporting, &outcome) {
            return Err(Error::setting(
                "preview_only",
                "",
                format!("needs a window, but there is {why}; export to a file instead"),
            ));
        }
        Ok((generated?, Some(outcome)))
    })
}
