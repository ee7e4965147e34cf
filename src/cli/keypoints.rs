//! `animate keypoints`: the faces and 468 landmarks of a portrait, or of every frame of a
//! driver video, as JSON, with an optional overlay to check them by eye.

use serde::Serialize;
use sfumato::keypoints::{overlay, Face, FaceMesh};
use sfumato::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `animate keypoints`.
#[derive(clap::Args, Debug)]
pub struct KeypointsArgs {
    /// Portrait image (PNG, JPEG, WebP).
    input: PathBuf,
    /// Write the JSON to this file instead of standard output.
    #[arg(long, value_name = "OUT")]
    json: Option<PathBuf>,
    /// Draw the boxes and landmarks over the image and save it here (PNG or JPEG).
    #[arg(long, value_name = "OUT")]
    overlay: Option<PathBuf>,
}

/// JSON of a still image: its size and every face found, in pixels.
#[derive(Serialize)]
struct ImageReport<'a> {
    width: u32,
    height: u32,
    faces: &'a [Face],
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
    let img = image::open(&args.input)
        .map_err(|e| Error::bad_input(&args.input, format!("cannot read the image: {e}")))?
        .to_rgb8();
    let faces = FaceMesh::load()?.detect_faces(&img)?;
    if faces.is_empty() {
        return Err(Error::BadInput(format!(
            "no face found in {}",
            args.input.display()
        )));
    }
    let report = ImageReport {
        width: img.width(),
        height: img.height(),
        faces: &faces,
    };
    let json = serde_json::to_string(&report).map_err(|e| Error::Failed(format!("JSON: {e}")))?;
    if let Some(path) = &args.overlay {
        let mut canvas = img.clone();
        overlay::draw_faces(&mut canvas, &faces);
        write_atomically(path, |file| {
            let format = image::ImageFormat::from_path(path)
                .map_err(|_| Error::bad_input(path, "unknown image extension; use .png or .jpg"))?;
            canvas
                .write_to(&mut std::io::BufWriter::new(file), format)
                .map_err(|e| Error::failed(path, e))
        })?;
    }
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
