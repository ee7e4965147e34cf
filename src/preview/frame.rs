//! What a generator hands to the preview, and the channel that carries it from the worker thread
//! to the window.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

use image::RgbImage;

use super::keys::Action;

/// One generated output frame, as the engine made it, with optional extras the preview can show.
pub struct PreviewFrame {
    /// Index of the frame in the output (0-based, display order).
    pub index: usize,
    /// The generated picture.
    pub image: RgbImage,
    /// When the generator finished this frame; the preview measures its lag from here.
    pub generated_at: Instant,
    /// The driver frame it was made from, for the picture-in-picture view (key D).
    pub driver: Option<RgbImage>,
    /// Landmarks in `image` pixels, drawn by the keypoint overlay (key K).
    pub landmarks: Option<Vec<[f32; 2]>>,
}

impl PreviewFrame {
    /// A frame generated just now, without driver picture or landmarks.
    pub fn new(index: usize, image: RgbImage) -> Self {
        Self {
            index,
            image,
            generated_at: Instant::now(),
            driver: None,
            landmarks: None,
        }
    }

    /// Frame `index` with the driver picture and the target landmarks the preview can overlay,
    /// but an empty picture: the caller sets `image` once the picture is final (the pipeline
    /// watermarks it first), so it is copied once, not twice.
    pub fn pending(index: usize, driver: &RgbImage, target: &[[f32; 3]]) -> Self {
        Self::new(index, RgbImage::new(0, 0))
            .with_driver(driver.clone())
            .with_landmarks(target.iter().map(|p| [p[0], p[1]]).collect())
    }

    /// Attaches the driver frame shown by the picture-in-picture view.
    pub fn with_driver(mut self, driver: RgbImage) -> Self {
        self.driver = Some(driver);
        self
    }

    /// Attaches landmarks (in output-frame pixels) shown by the keypoint overlay.
    pub fn with_landmarks(mut self, landmarks: Vec<[f32; 2]>) -> Self {
        self.landmarks = Some(landmarks);
        self
    }
}

/// What travels from the worker and from [`PreviewControl`]s to the window.
pub(crate) enum Message {
    Frame(PreviewFrame),
    Action(Action),
    Clip(ClipInfo),
    GenerationDone,
}

/// What the generator learns about its clip once work has started (after tracking the driver,
/// say): the window adopts the frame rate and size and shows the frame count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipInfo {
    /// Playback rate: the driver's frame rate.
    pub fps: f64,
    /// Size of the frames to come.
    pub size: (u32, u32),
    /// Number of frames to come, when known.
    pub total: Option<usize>,
}

/// Makes the pair that connects a generator (worker thread) to [`super::run`] (window thread).
pub fn channel() -> (FrameSender, FrameReceiver) {
    let (tx, rx) = mpsc::channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let listening = Arc::new(AtomicBool::new(true));
    (
        FrameSender {
            tx: tx.clone(),
            cancel: cancel.clone(),
            listening: listening.clone(),
        },
        FrameReceiver {
            tx,
            rx,
            cancel,
            listening,
        },
    )
}

/// The generator's end: sends frames, and tells whether the user asked to cancel the export.
///
/// Sending never blocks and never fails the generation: once the window is closed, frames are
/// dropped and the export goes on. Dropping the sender tells the preview that generation is done.
pub struct FrameSender {
    tx: Sender<Message>,
    cancel: Arc<AtomicBool>,
    listening: Arc<AtomicBool>,
}

impl FrameSender {
    /// A sender with no window behind it, for jobs that run without a preview.
    pub fn detached() -> Self {
        let (tx, _rx) = mpsc::channel();
        Self {
            tx,
            cancel: Arc::new(AtomicBool::new(false)),
            listening: Arc::new(AtomicBool::new(false)),
        }
    }

    /// True while a window may still show frames; generators skip copying frames for the
    /// preview once it is false (no window, or the user closed it).
    pub fn wants_frames(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    /// Hands a frame to the preview. Returns `false` when no preview is listening any more.
    pub fn send(&self, frame: PreviewFrame) -> bool {
        self.tx.send(Message::Frame(frame)).is_ok()
    }

    /// Tells the window the clip's frame rate, frame size and length, when they are only known
    /// after generation started (they override [`super::PreviewOptions`]).
    pub fn set_clip(&self, clip: ClipInfo) {
        let _ = self.tx.send(Message::Clip(clip));
    }

    /// True once the user confirmed in the window that the export should stop (Esc twice).
    /// Generators check it between frames and stop with [`crate::Error::Failed`].
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// A remote control for the window, e.g. for the job's Ctrl-C handler to close it.
    pub fn control(&self) -> PreviewControl {
        PreviewControl {
            tx: self.tx.clone(),
        }
    }

    /// Marks the export as cancelled, as the window does on a confirmed Esc.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Drop for FrameSender {
    fn drop(&mut self) {
        let _ = self.tx.send(Message::GenerationDone);
    }
}

/// The window's end, consumed by [`super::run`].
pub struct FrameReceiver {
    tx: Sender<Message>,
    pub(crate) rx: Receiver<Message>,
    pub(crate) cancel: Arc<AtomicBool>,
    pub(crate) listening: Arc<AtomicBool>,
}

impl FrameReceiver {
    /// A remote control for the window: sends the same actions as the keyboard (pause, step,
    /// save, close…), for callers that drive the preview without a user, such as tests or a
    /// Ctrl-C handler.
    pub fn control(&self) -> PreviewControl {
        PreviewControl {
            tx: self.tx.clone(),
        }
    }
}

/// Sends keyboard-equivalent actions to a running preview; see [`FrameReceiver::control`].
#[derive(Clone)]
pub struct PreviewControl {
    tx: Sender<Message>,
}

impl PreviewControl {
    /// Performs `action` in the window as if its key had been pressed. Returns `false` when the
    /// window is gone.
    pub fn send(&self, action: Action) -> bool {
        self.tx.send(Message::Action(action)).is_ok()
    }
}
