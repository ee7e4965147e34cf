//! The live preview window (winit + wgpu) that plays frames as they are generated.
//!
//! Works with any engine: generation runs on a worker thread and hands each frame to a
//! [`FrameSender`]; the window runs on the calling thread (the main thread on macOS, any thread
//! on Linux and Windows) in [`run`], or both are wired up by [`run_alongside`]:
//!
//! ```no_run
//! use sfumato::preview::{self, PreviewFrame, PreviewHooks, PreviewOptions};
//! # fn render(i: usize) -> image::RgbImage { image::RgbImage::new(64, 64) }
//! let opts = PreviewOptions { fps: 25.0, ..PreviewOptions::default() };
//! let (tx, rx) = preview::channel();
//! let worker = std::thread::spawn(move || {
//!     for i in 0..100 {
//!         if tx.is_cancelled() { break; }
//!         tx.send(PreviewFrame::new(i, render(i))); // export the frame here too
//!     }
//! });
//! let outcome = preview::run(&opts, rx, PreviewHooks::default())?;
//! if let Some(line) = outcome.notice(Some("out.mp4".as_ref())) { eprintln!("{line}"); }
//! worker.join().unwrap();
//! # Ok::<(), sfumato::Error>(())
//! ```
//!
//! Playback shows each frame as soon as it arrives while generation is slower than real time,
//! and plays at `fps` once generation is ahead. Keys: see [`KEY_HELP`]. No display or no usable
//! graphics adapter is not an error: [`run`] returns [`PreviewOutcome::Unavailable`] and the
//! caller goes on exporting.

mod frame;
mod gpu;
mod keys;
mod layout;
mod mode;
mod playback;
mod save;
mod session;
mod stats;
mod store;
mod window;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use image::RgbImage;

pub use frame::{channel, ClipInfo, FrameReceiver, FrameSender, PreviewControl, PreviewFrame};
pub use keys::{Action, KEY_HELP};
pub use mode::{Environment, PreviewMode, WindowPlan};
pub use save::save_beside;
pub use session::run_alongside;
pub use stats::{PreviewStats, Timing};
pub use window::run;

/// Saves the current frame when the user presses S and returns where it went. The pipeline
/// passes a closure that watermarks the frame like every export; without one, S says that
/// saving is unavailable rather than writing an unmarked picture.
pub type SaveHook = Box<dyn FnMut(&RgbImage, usize) -> crate::Result<PathBuf>>;

/// Called on the window's thread after every present, with what was shown.
pub type PresentHook = Box<dyn FnMut(&Presented)>;

/// Caller-provided behaviour for the window.
#[derive(Default)]
pub struct PreviewHooks {
    /// What S does; see [`SaveHook`].
    pub save_frame: Option<SaveHook>,
    /// Observer of every present (tests, benchmarks, a status line).
    pub on_present: Option<PresentHook>,
}

/// One picture that reached the screen.
#[derive(Clone, Debug)]
pub struct Presented {
    /// The frame's index as given by the generator.
    pub index: usize,
    /// True the first time this frame is shown (not on loops, steps or redraws).
    pub first_time: bool,
    /// From the frame's `generated_at` to the end of this present.
    pub lag: Duration,
    /// Upload, draw and present time on the window's thread.
    pub present_time: Duration,
    /// Drawable size of the window in physical pixels.
    pub window_size: (u32, u32),
}

/// How the window behaves.
#[derive(Clone, Debug)]
pub struct PreviewOptions {
    /// Window title prefix, e.g. the portrait's file name.
    pub title: String,
    /// Playback rate once generation is ahead: the driver's frame rate.
    pub fps: f64,
    /// Size of the frames to come, so the window opens at the right shape (fitted to the
    /// screen); `None` opens 640×640 until the first frame arrives.
    pub frame_size: Option<(u32, u32)>,
    /// Number of frames to come, shown in the title when known.
    pub total_frames: Option<usize>,
    /// Museum mode: fullscreen, cursor hidden, loops forever.
    pub kiosk: bool,
    /// Start with looping on (L toggles it).
    pub looping: bool,
    /// Close the window by itself once generation is done and the last frame was shown
    /// (ignored when looping). The default preview mode uses this, so it never waits for a user.
    pub close_when_done: bool,
    /// An export is being written while the window is open: closing then keeps exporting, and
    /// only a second Esc cancels it.
    pub exporting: bool,
    /// Memory for stepping back and looping; beyond it the oldest frames are dropped.
    pub memory_budget_bytes: usize,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        Self {
            title: "Sfumato preview".into(),
            fps: 25.0,
            frame_size: None,
            total_frames: None,
            kiosk: false,
            looping: false,
            close_when_done: false,
            exporting: false,
            memory_budget_bytes: 2 << 30,
        }
    }
}

/// Why no window could be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unavailable {
    /// No display server to talk to (no `DISPLAY`/`WAYLAND_DISPLAY`, or it refused us).
    NoDisplay(String),
    /// A display exists but no graphics adapter (GPU or software) can draw into a window.
    NoAdapter(String),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::NoDisplay(d) => write!(f, "no display ({d})"),
            Unavailable::NoAdapter(d) => write!(f, "no usable graphics adapter ({d})"),
        }
    }
}

/// How a preview ended. In every case but `CancelRequested` an export in progress goes on.
#[derive(Debug)]
pub enum PreviewOutcome {
    /// The user closed the window (Q, Esc, close button).
    Closed(PreviewStats),
    /// The user confirmed with a second Esc that the export should stop; the frame sender's
    /// [`FrameSender::is_cancelled`] now returns true.
    CancelRequested(PreviewStats),
    /// The clip was shown to its end and the window closed itself (`close_when_done`).
    Finished(PreviewStats),
    /// No window could be shown; nothing was displayed.
    Unavailable(Unavailable),
}

impl PreviewOutcome {
    /// The one line to print for the user when the preview could not open, naming where the
    /// export goes ("no display: preview disabled, exporting to out.mp4"); `None` otherwise.
    pub fn notice(&self, output: Option<&Path>) -> Option<String> {
        let PreviewOutcome::Unavailable(why) = self else {
            return None;
        };
        let what = match why {
            Unavailable::NoDisplay(_) => "no display",
            Unavailable::NoAdapter(_) => "no usable graphics adapter",
        };
        Some(match output {
            Some(out) => format!("{what}: preview disabled, exporting to {}", out.display()),
            None => format!("{what}: preview disabled ({why})"),
        })
    }

    /// What the window measured, when it opened.
    pub fn stats(&self) -> Option<&PreviewStats> {
        match self {
            PreviewOutcome::Closed(s)
            | PreviewOutcome::CancelRequested(s)
            | PreviewOutcome::Finished(s) => Some(s),
            PreviewOutcome::Unavailable(_) => None,
        }
    }
}
