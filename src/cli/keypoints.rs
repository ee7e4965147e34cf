//! `animate keypoints`: the faces and 468 landmarks of a portrait, or of every frame of a
//! driver video, as JSON, with an optional overlay to check them by eye.

use super::progress::Progress;
use serde::Serialize;
use sfumato::keypoints::{overlay, Face, FaceMesh, FaceTracker};
use sfumato::media::{self, MediaKind};
use sfumato::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `animate keypoints`.
#[derive(clap::Args, Debug)]
pub struct KeypointsArgs {
    /// Portrait image (PNG, JPEG, WebP) or driver video (MP4/MOV H.264, GIF, folder of frames).
    input: PathBuf,
    /// Write the JSON to this file instead of standard output.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Draw the boxes and landmarks over the image and save it here (PNG or JPEG; still images
    /// only for now).
    #[arg(long, value_name = "OUT")]
    overlay: Option<PathBuf>,
    /// Video: report the raw landmarks, without temporal smoothing.
    #[arg(long)]
    no_smoothing: bool,
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

/// One video frame in the JSON: its index and the tracked face (none where it was lost).
#[derive(Serialize)]
struct FrameReport {
    index: usize,
    faces: Vec<Face>,
}

/// JSON of a video: frame rate, frame size and the tracked face of every frame.
#[derive(Serialize)]
struct VideoReport {
    fps: f64,
    width: u32,
    height: u32,
    frames: Vec<FrameReport>,
}

/// Runs the subcommand; returns the exit code.
pub fn run(args: &KeypointsArgs) -> i32 {
    match keypoints(args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn keypoints(args: &KeypointsArgs) -> Result<()> {
    for out in [&args.json, &args.overlay].into_iter().flatten() {
        refuse_overwriting_input(&args.input, out)?;
    }
    let json = match media::probe(&args.input)?.kind {
        MediaKind::Image => image_keypoints(args)?,
        MediaKind::Video => video_keypoints(args)?,
    };
    match &args.json {
        Some(path) => write_atomically(path, |file| {
            file.write_all(json.as_bytes())
                .map_err(|e| Error::failed(path, e))
        }),
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
    if let Some(path) = &args.overlay {
        let format = image::ImageFormat::from_path(path)
            .map_err(|_| Error::bad_input(path, "unknown image extension; use .png or .jpg"))?;
        let mut canvas = img;
        overlay::draw_faces(&mut canvas, &faces);
        write_atomically(path, |file| {
            canvas
                .write_to(&mut std::io::BufWriter::new(file), format)
                .map_err(|e| Error::failed(path, e))
        })?;
    }
    Ok(json)
}

/// The tracked main face of every frame of a driver video; returns the JSON.
fn video_keypoints(args: &KeypointsArgs) -> Result<String> {
    if let Some(path) = &args.overlay {
        return Err(Error::bad_input(
            path,
            "--overlay works on still images only for now; run without it for a video",
        ));
    }
    let mut video = media::open_video(&args.input)?;
    let info = video.info().clone();
    let mut tracker = FaceTracker::new(FaceMesh::load()?, info.fps.as_f64() as f32);
    if args.no_smoothing {
        tracker = tracker.with_smoothing(None);
    }
    let progress = Progress::new("keypoints", Some(info.frame_count), args.quiet);
    let mut frames = Vec::new();
    while let Some(frame) = video.next_frame()? {
        let faces = tracker.track(&frame)?.into_iter().collect();
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
    let (fps, width, height) = (info.fps.as_f64(), info.width, info.height);
    to_json(&VideoReport {
        fps,
        width,
        height,
        frames,
    })
}

/// Refuses an output path that names the input file.
fn refuse_overwriting_input(input: &Path, out: &Path) -> Result<()> {
    let same = match (input.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(Error::bad_input(
            out,
            "is the input file; choose another output path",
        ));
    }
    Ok(())
}

/// Writes `path` through a temporary file in the same folder, renamed into place only once
/// complete, so a failure never leaves a half-written file.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<()>,
) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| sfumato::error::io_error(dir, e))?;
    write(tmp.as_file_mut())?;
    tmp.persist(path)
        .map_err(|e| Error::failed(path, e.error))?;
    Ok(())
}
