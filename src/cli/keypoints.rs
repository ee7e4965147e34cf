//! `animate keypoints`: the faces and 468 landmarks of a portrait, or of every frame of a
//! driver video, as JSON, with an optional overlay to check them by eye.

use super::progress::Progress;
use serde::Serialize;
use sfumato::keypoints::{draw_faces, Face, FaceMesh, FaceTracker};
use sfumato::media::{self, MediaKind, OutputSpec, VideoWriter};
use sfumato::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `animate keypoints`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "JSON for an image: {\"width\":W,\"height\":H,\"faces\":[{\"score\":S,\"box\":[x0,y0,x1,y1],\"landmarks\":[[x,y,z],...468]}]}\n\
JSON for a video: {\"fps\":F,\"width\":W,\"height\":H,\"frames\":[{\"index\":I,\"faces\":[...]},...]}\n\
Pixel coordinates, origin top-left, pixel centres at integers; z in the same pixel scale (smaller is closer).\n\
A portrait with no face exits with status 2 and writes nothing."
)]
pub struct KeypointsArgs {
    /// Portrait image (PNG, JPEG, WebP) or driver video (MP4/MOV H.264, GIF, folder of frames).
    input: PathBuf,
    /// Write the JSON to this file instead of standard output.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Draw the face boxes and landmarks over the input and save it here: a .png or .jpg for
    /// an image; a .mp4, .gif or folder (PNG frames) for a video.
    #[arg(long, value_name = "OUT")]
    overlay: Option<PathBuf>,
    /// Video: report the raw landmarks, without temporal smoothing.
    #[arg(long)]
    no_smoothing: bool,
    /// Video: follow at most this many faces (still images report every face found).
    #[arg(long, value_name = "N", default_value_t = 4)]
    max_faces: usize,
    /// Replace output files that already exist.
    #[arg(long)]
    force: bool,
    /// Hide the progress bar.
    #[arg(short, long)]
    quiet: bool,
}

/// JSON of a still image: its size and every face found, in pixels.
#[derive(Serialize)]
struct ImageReport<'a> {
    width: u32,
    height: u32,
    faces: &'a [Face],
}

/// One video frame in the JSON: its index and the tracked faces (none where all were lost).
#[derive(Serialize)]
struct FrameReport {
    index: usize,
    faces: Vec<Face>,
}

/// JSON of a video: frame rate, frame size and the tracked faces of every frame.
#[derive(Serialize)]
struct VideoReport {
    fps: f64,
    width: u32,
    height: u32,
    frames: Vec<FrameReport>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: &KeypointsArgs) -> i32 {
    super::exit_code(keypoints(args))
}

fn keypoints(args: &KeypointsArgs) -> Result<()> {
    for out in [&args.json, &args.overlay].into_iter().flatten() {
        media::check_output_path(out, &[&args.input], args.force)?;
    }
    let json = match media::probe(&args.input)?.kind {
        MediaKind::Image => image_keypoints(args)?,
        MediaKind::Video => video_keypoints(args)?,
    };
    match &args.json {
        Some(path) => media::write_atomic(path, json.as_bytes(), args.force),
        None => match writeln!(std::io::stdout().lock(), "{json}") {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::Failed(format!("standard output: {e}")))
            }
            _ => Ok(()),
        },
    }
}

fn no_face(input: &Path) -> Error {
    Error::BadInput(format!("no face found in {}", input.display()))
}

fn to_json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Failed(format!("JSON: {e}")))
}

/// Faces of a still portrait (writing the overlay if asked); returns the JSON.
fn image_keypoints(args: &KeypointsArgs) -> Result<String> {
    let format = match &args.overlay {
        Some(path) => Some(image::ImageFormat::from_path(path).map_err(|_| {
            Error::bad_input(
                path,
                "unknown image extension for the overlay; use .png or .jpg",
            )
        })?),
        None => None,
    };
    let img = media::load_portrait(&args.input)?;
    let faces = FaceMesh::load()?.detect_faces(&img)?;
    if faces.is_empty() {
        return Err(no_face(&args.input));
    }
    let (width, height) = img.dimensions();
    let json = to_json(&ImageReport {
        width,
        height,
        faces: &faces,
    })?;
    if let (Some(path), Some(format)) = (&args.overlay, format) {
        let mut canvas = img;
        draw_faces(&mut canvas, &faces);
        let mut bytes = std::io::Cursor::new(Vec::new());
        canvas
            .write_to(&mut bytes, format)
            .map_err(|e| Error::failed(path, e))?;
        media::write_atomic(path, bytes.get_ref(), args.force)?;
    }
    Ok(json)
}

/// The tracked faces of every frame of a driver video (writing the overlay video if
/// asked); returns the JSON.
fn video_keypoints(args: &KeypointsArgs) -> Result<String> {
    let mut video = media::open_video(&args.input)?;
    let info = video.info().clone();
    let mut writer = match &args.overlay {
        Some(path) => {
            let mut spec = OutputSpec::new(path, info.fps, info.width, info.height);
            spec.force = args.force;
            Some(VideoWriter::create(spec)?)
        }
        None => None,
    };
    let mut tracker = FaceTracker::new(FaceMesh::load()?, info.fps.as_f64() as f32)
        .with_max_faces(args.max_faces);
    if args.no_smoothing {
        tracker = tracker.with_smoothing(None);
    }
    let progress = Progress::new("keypoints", Some(info.frame_count), args.quiet);
    let mut frames = Vec::new();
    while let Some(mut frame) = video.next_frame()? {
        let faces = tracker.track_all(&frame)?;
        if let Some(w) = &mut writer {
            draw_faces(&mut frame, &faces);
            w.write_frame(&frame)?;
        }
        frames.push(FrameReport {
            index: frames.len(),
            faces,
        });
        progress.inc();
    }
    progress.finish();
    if frames.iter().all(|f| f.faces.is_empty()) {
        return Err(no_face(&args.input));
    }
    if let Some(w) = writer {
        w.finish()?;
    }
    let (fps, width, height) = (info.fps.as_f64(), info.width, info.height);
    to_json(&VideoReport {
        fps,
        width,
        height,
        frames,
    })
}
