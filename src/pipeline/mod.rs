//! The jobs, each driving the stages below: the main one here ([`run`], `animate PORTRAIT
//! --driver VIDEO|preset:NAME -o OUT`: decode → keypoints → motion → engine → watermark on every
//! frame, plus provenance XMP → writer, with decoding, rendering and encoding overlapped on
//! separate threads), [`eval`] (reconstruction quality), [`keypoints`] (faces as JSON) and
//! [`verify`] (watermark and provenance of a file). Every frame is animated by [`Animator`].

mod animator;
pub mod eval;
pub mod guard;
pub mod keypoints;
pub mod verify;

pub use animator::{Animated, Animator};

use crate::engine::tpsmm::TpsmmOptions;
use crate::engine::warp::WarpOptions;
use crate::keypoints::{largest_face, Face, FaceMesh, FaceTracker};
use crate::media::{self, Fps, OutputSpec, VideoWriter};
use crate::motion::preset::Preset;
use crate::motion::{pick_reference, MotionConfig};
use crate::preview::{ClipInfo, FrameSender, PreviewFrame};
use crate::watermark::{xmp::Provenance, Marker, Payload};
use crate::{Error, Result};
use image::RgbImage;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Where the motion comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum DriverSource {
    /// A driving video of a talking face (MP4/MOV, GIF or a frame folder).
    Video(PathBuf),
    /// A built-in motion of `seconds` length at `fps`.
    Preset {
        /// Which motion.
        preset: Preset,
        /// Length of the clip in seconds.
        seconds: f32,
        /// Frame rate of the clip.
        fps: u32,
    },
}

impl std::fmt::Display for DriverSource {
    /// The driver as the user named it: its path, or `preset:NAME`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriverSource::Video(path) => write!(f, "{}", path.display()),
            DriverSource::Preset { preset, .. } => write!(f, "preset:{}", preset.name()),
        }
    }
}

impl DriverSource {
    /// Parses a driver as users name it, `preset:NAME` or a path; a preset's clip lasts
    /// `seconds` (0 to 600) at `fps` (1 to 120).
    pub fn parse(arg: &str, seconds: f32, fps: u32) -> Result<Self> {
        let Some(name) = arg.strip_prefix("preset:") else {
            return Ok(DriverSource::Video(PathBuf::from(arg)));
        };
        if !(seconds > 0.0 && seconds <= 600.0) {
            return Err(Error::setting(
                "seconds",
                seconds,
                "must be between 0 and 600 seconds",
            ));
        }
        if fps == 0 || fps > 120 {
            return Err(Error::setting("fps", fps, "must be between 1 and 120"));
        }
        Ok(DriverSource::Preset {
            preset: Preset::from_name(name)?,
            seconds,
            fps,
        })
    }
}

/// Which engine renders the frames (`--engine`).
#[derive(Debug, Clone)]
pub enum EngineChoice {
    /// The default keypoint-driven warp.
    Warp(WarpOptions),
    /// The neural Thin-Plate-Spline Motion Model with a user-supplied checkpoint.
    Tpsmm(Box<TpsmmOptions>),
}

/// Everything the main job needs.
#[derive(Debug, Clone)]
pub struct Job {
    /// The still portrait to animate.
    pub portrait: PathBuf,
    /// Where the motion comes from.
    pub driver: DriverSource,
    /// Output: `.mp4`, `.gif`, or a folder for PNG frames; `None` renders for the preview only.
    pub output: Option<PathBuf>,
    /// Cap on the output's longer side, in pixels (the portrait is scaled down to fit).
    pub max_size: Option<u32>,
    /// The engine that renders the frames.
    pub engine: EngineChoice,
    /// How driver motion becomes portrait motion (its `fps` is set from the driver).
    pub motion: MotionConfig,
    /// Driver frame to use as the neutral reference (0-based); `None` picks the frame closest
    /// to the portrait's pose and expression.
    pub reference: Option<usize>,
    /// Replace an existing output.
    pub force: bool,
}

/// What a finished job did.
#[derive(Debug, Clone, PartialEq)]
pub struct JobReport {
    /// Frames written.
    pub frames: usize,
    /// Driver frames in which no face was found (the portrait eased back to its reference pose).
    pub frames_without_face: usize,
    /// The driver frame used as the neutral reference.
    pub reference: usize,
    /// Output size.
    pub width: u32,
    /// Output size.
    pub height: u32,
    /// Output frame rate.
    pub fps: Fps,
    /// Whether the engine ran on a GPU adapter.
    pub gpu: bool,
    /// The engine's name, as recorded in the provenance metadata.
    pub engine: &'static str,
}

/// Progress of a job, reported to the caller's callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Tracking the driver's face: frame `done` of `total` (if known).
    Tracking,
    /// Rendering and encoding output frames.
    Rendering,
}

/// The portrait at output resolution with its face.
pub struct PreparedPortrait {
    /// Pixels at output resolution.
    pub image: RgbImage,
    /// The face the job animates (the largest one).
    pub face: Face,
}

/// Loads the portrait, scales it to fit `max_size`, and finds its face
/// ("no face found in …" as bad input when there is none).
pub fn prepare_portrait(
    path: &Path,
    max_size: Option<u32>,
    mesh: &FaceMesh,
) -> Result<PreparedPortrait> {
    let mut image = media::load_portrait(path)?;
    let (w, h) = image.dimensions();
    let longest = w.max(h);
    if let Some(cap) = max_size.filter(|&c| c < longest) {
        if cap < 16 {
            return Err(Error::setting(
                "max_size",
                cap,
                "is too small (at least 16)",
            ));
        }
        let scale = cap as f64 / longest as f64;
        let nw = ((w as f64 * scale).round() as u32).max(2);
        let nh = ((h as f64 * scale).round() as u32).max(2);
        image = image::imageops::resize(&image, nw, nh, image::imageops::FilterType::Lanczos3);
    }
    let mut faces = mesh.detect_faces(&image)?;
    let face = largest_face(&faces)
        .map(|i| faces.swap_remove(i))
        .ok_or_else(|| Error::bad_input(path, format!("no face found in {}", path.display())))?;
    Ok(PreparedPortrait { image, face })
}

/// The driver's face landmarks in every frame, `None` where no face was found.
pub type DriverTrack = Vec<Option<Vec<[f32; 3]>>>;

/// Callback told about progress: `(stage, frames done, total frames if known)`.
pub type ProgressFn<'a> = &'a (dyn Fn(Stage, u64, Option<u64>) + Sync);

/// Runs the job; `progress` is called after each frame and every finished frame is offered to
/// `preview` (use [`FrameSender::detached`] without a window).
pub fn run(job: &Job, progress: ProgressFn<'_>, preview: &FrameSender) -> Result<JobReport> {
    job.motion.validate()?;
    let mut inputs: Vec<&Path> = vec![&job.portrait];
    if let DriverSource::Video(p) = &job.driver {
        inputs.push(p);
    }
    if let Some(output) = &job.output {
        media::check_output_path(output, &inputs, job.force)?;
    }
    if let (EngineChoice::Tpsmm(_), DriverSource::Preset { .. }) = (&job.engine, &job.driver) {
        return Err(Error::setting(
            "engine",
            "tpsmm",
            "needs a driving video; presets drive the warp engine only",
        ));
    }
    let mesh = FaceMesh::load()?;
    let portrait = prepare_portrait(&job.portrait, job.max_size, &mesh)?;
    let track = match &job.driver {
        DriverSource::Video(path) => track_driver(path, &mesh, progress)?,
        DriverSource::Preset {
            preset,
            seconds,
            fps,
        } => {
            let frames = ((seconds * *fps as f32).round() as usize).max(1);
            let lm = preset.track(&portrait.face.landmarks, *fps as f32, frames);
            lm.into_iter().map(Some).collect()
        }
    };
    render(job, &portrait, &track, progress, preview)
}

/// The second half of [`run`]: animates a prepared portrait with an already tracked driver
/// (one landmark set per driver frame, or the preset's track) and writes the output.
pub fn render(
    job: &Job,
    portrait: &PreparedPortrait,
    track: &DriverTrack,
    progress: ProgressFn<'_>,
    preview: &FrameSender,
) -> Result<JobReport> {
    let (fps, audio) = match &job.driver {
        DriverSource::Video(path) => (
            media::open_video(path)?.info().fps,
            media::read_audio(path)?,
        ),
        DriverSource::Preset { fps, .. } => (Fps::new(*fps as u64, 1), None),
    };
    let reference = match job.reference {
        Some(n) if n >= track.len() => {
            return Err(Error::setting(
                "reference",
                n,
                format!(
                    "the driver has only {} frames (0..{})",
                    track.len(),
                    track.len().saturating_sub(1)
                ),
            ))
        }
        Some(n) if track[n].is_none() => {
            return Err(Error::setting(
                "reference",
                n,
                "no face was found in that driver frame; pick another",
            ))
        }
        Some(n) => n,
        None => pick_reference(&portrait.face.landmarks, track).ok_or_else(|| {
            Error::BadInput("no face was found in any frame of the driver video".into())
        })?,
    };
    let config = MotionConfig {
        fps: fps.as_f64() as f32,
        ..job.motion
    };
    let reference_landmarks = track[reference].clone().unwrap_or_default();
    let mut animator = Animator::new(
        portrait,
        &reference_landmarks,
        config,
        &job.engine,
        job.driver.to_string(),
    )?;
    let (width, height) = portrait.image.dimensions();
    let marker = Marker::new(Payload::for_export());
    let xmp = Provenance::for_export(animator.engine_name(), marker.payload()).to_xmp();
    let spec = job.output.as_ref().map(|output| {
        let mut spec = OutputSpec::new(output, fps, width, height);
        spec.audio = audio;
        spec.force = job.force;
        spec.xmp = Some(xmp);
        spec
    });
    preview.set_clip(ClipInfo {
        fps: fps.as_f64(),
        size: (width, height),
        total: Some(track.len()),
    });

    let total = track.len();
    let frames = match &job.driver {
        DriverSource::Video(path) => decode_thread(path.clone()),
        DriverSource::Preset { .. } => {
            let (tx, rx) = sync_channel(1);
            drop(tx);
            rx
        }
    };
    let (enc_tx, encoder) = encode_thread(spec)?;
    // Three stages overlap: this thread moves the portrait, a marking thread watermarks and
    // previews, the encoder thread writes (the decoder runs ahead on a fourth).
    let (render_result, written) = std::thread::scope(|scope| {
        let (mark_tx, mark_rx) = sync_channel::<Rendered>(2);
        let marking =
            scope.spawn(|| mark_frames(mark_rx, &marker, preview, enc_tx, progress, total));
        let render_result = (|| -> Result<()> {
            for (index, landmarks) in track.iter().enumerate() {
                if preview.is_cancelled() {
                    return Err(Error::Failed("cancelled from the preview window".into()));
                }
                let driver = match &job.driver {
                    DriverSource::Video(_) => Some(frames.recv().map_err(|_| {
                        Error::Failed("the driver video ended early on the second read".into())
                    })??),
                    DriverSource::Preset { .. } => None,
                };
                let Animated { image, target } =
                    animator.frame(driver.as_ref(), landmarks.as_deref())?;
                let preview = preview.wants_frames().then(|| {
                    PreviewFrame::pending(
                        index,
                        driver.as_ref().unwrap_or(&portrait.image),
                        &target,
                    )
                });
                if mark_tx.send(Rendered { image, preview }).is_err() {
                    break;
                }
            }
            Ok(())
        })();
        drop(mark_tx);
        let written = marking
            .join()
            .map_err(|_| Error::Failed("the watermarking thread panicked".into()));
        (render_result, written)
    });
    let writer = encoder
        .join()
        .map_err(|_| Error::Failed("the encoder thread panicked".into()))?;
    render_result?;
    if let Some(writer) = writer? {
        writer.finish()?;
    }
    Ok(JobReport {
        frames: written?,
        frames_without_face: animator.lost_frames(),
        reference,
        width,
        height,
        fps,
        gpu: animator.uses_gpu(),
        engine: animator.engine_name(),
    })
}

/// A frame as the engine made it, on its way to the marking thread.
struct Rendered {
    image: RgbImage,
    /// What the preview shows of it (the marked picture goes in on the marking thread), when a
    /// window listens.
    preview: Option<PreviewFrame>,
}

/// The marking stage: watermarks every frame (the one call site: nothing is exported or shown
/// unmarked), hands it to the preview and then to the encoder; returns how many frames went on.
fn mark_frames(
    frames: Receiver<Rendered>,
    marker: &Marker,
    preview: &FrameSender,
    encoder: SyncSender<RgbImage>,
    progress: ProgressFn<'_>,
    total: usize,
) -> usize {
    let mut written = 0usize;
    for Rendered {
        mut image,
        preview: shown,
    } in frames
    {
        marker.embed(&mut image);
        if let Some(mut shown) = shown {
            shown.image.clone_from(&image);
            preview.send(shown);
        }
        if encoder.send(image).is_err() {
            break;
        }
        written += 1;
        progress(Stage::Rendering, written as u64, Some(total as u64));
    }
    written
}

/// The encoder thread's handle: it returns the writer, unfinished (`None` without an output).
type EncoderThread = JoinHandle<Result<Option<VideoWriter>>>;

/// The writer on its own thread, fed through a short queue. The thread hands the writer back
/// unfinished, so that the caller completes the output only when every frame was rendered: a
/// job that fails or is cancelled half-way leaves no truncated file behind (dropping the writer
/// removes its temporary file). Fails at once if the output cannot be opened. Without a spec
/// (preview only) the thread just drops the frames.
fn encode_thread(spec: Option<OutputSpec>) -> Result<(SyncSender<RgbImage>, EncoderThread)> {
    let (tx, rx) = sync_channel::<RgbImage>(4);
    let (ready_tx, ready_rx) = sync_channel::<Result<()>>(1);
    let handle = std::thread::spawn(move || -> Result<Option<VideoWriter>> {
        let Some(spec) = spec else {
            let _ = ready_tx.send(Ok(()));
            rx.into_iter().for_each(drop);
            return Ok(None);
        };
        let mut writer = match VideoWriter::create(spec) {
            Ok(w) => {
                let _ = ready_tx.send(Ok(()));
                w
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return Ok(None);
            }
        };
        for frame in rx {
            writer.write_frame(&frame)?;
        }
        Ok(Some(writer))
    });
    ready_rx
        .recv()
        .map_err(|_| Error::Failed("the encoder thread stopped".into()))??;
    Ok((tx, handle))
}

/// Decodes the driver on its own thread, a few frames ahead of the renderer.
fn decode_thread(path: PathBuf) -> Receiver<Result<RgbImage>> {
    let (tx, rx) = sync_channel(4);
    std::thread::spawn(move || {
        let reader = match media::open_video(&path) {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        for frame in reader {
            if tx.send(frame).is_err() {
                return;
            }
        }
    });
    rx
}

/// The driver's face landmarks in every frame (`None` where no face was found), decoding on
/// one thread while tracking on this one.
pub fn track_driver(path: &Path, mesh: &FaceMesh, progress: ProgressFn<'_>) -> Result<DriverTrack> {
    let info = media::open_video(path)?.info().clone();
    let frames = decode_thread(path.to_path_buf());
    // Unsmoothed: the motion stage smooths (one knob, `--smoothing`, and no double lag).
    let mut tracker = FaceTracker::new(mesh.clone(), info.fps.as_f64() as f32).with_smoothing(None);
    let total = info.frame_count;
    let mut out = Vec::new();
    for frame in frames {
        let face = tracker.track(&frame?)?;
        out.push(face.map(|f| f.landmarks));
        progress(Stage::Tracking, out.len() as u64, Some(total));
    }
    if out.is_empty() {
        return Err(Error::bad_input(path, "the driver video has no frames"));
    }
    Ok(out)
}
