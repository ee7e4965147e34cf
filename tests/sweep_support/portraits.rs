//! The sweep's portraits: the shared pictures, rotated, small in a wide frame, and turned
//! heads on a dark background made from driver frames.

use super::{Driver, Portrait};
use image::RgbImage;
use sfumato::keypoints::{largest_face, Face, FaceMesh};
use sfumato::media;
use sfumato::motion::regions::{eye_distance, FACE_OVAL};
use sfumato::motion::DriverMotion;
use sfumato::pipeline::prepare_portrait;
use std::path::{Path, PathBuf};

/// Every picture in `../shared/media` (images and public sources), scaled to `max_size`.
pub fn shared_portraits(shared: &Path, mesh: &FaceMesh, max_size: u32) -> Vec<Portrait> {
    let mut paths: Vec<PathBuf> = ["media/images", "media/public"]
        .iter()
        .flat_map(|d| std::fs::read_dir(shared.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "png" || e == "jpg" || e == "jpeg")
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            match prepare_portrait(p, Some(max_size), mesh) {
                Ok(pp) => Some(Portrait {
                    name,
                    image: pp.image,
                    face: pp.face,
                }),
                Err(e) => {
                    eprintln!("  (no portrait from {name}: {e})");
                    None
                }
            }
        })
        .collect()
}

/// `p` shrunk by `factor` into the middle of a canvas of its own size, on its own mean edge
/// colour: a small head in a wide frame, so most of the frame is background the warp must
/// leave still.
pub fn framed(p: &Portrait, factor: f32) -> Portrait {
    let (w, h) = p.image.dimensions();
    let (sw, sh) = ((w as f32 * factor) as u32, (h as f32 * factor) as u32);
    let small = image::imageops::resize(&p.image, sw, sh, image::imageops::FilterType::Triangle);
    let edge: Vec<&image::Rgb<u8>> = p
        .image
        .enumerate_pixels()
        .filter(|(x, y, _)| *x == 0 || *y == 0 || *x == w - 1 || *y == h - 1)
        .map(|(_, _, px)| px)
        .collect();
    let mean = [0, 1, 2].map(|c| {
        (edge.iter().map(|px| px[c] as f32).sum::<f32>() / edge.len() as f32).round() as u8
    });
    let mut image = RgbImage::from_pixel(w, h, image::Rgb(mean));
    let (ox, oy) = ((w - sw) / 2, (h - sh) / 2);
    image::imageops::replace(&mut image, &small, ox as i64, oy as i64);
    let (kx, ky) = (sw as f32 / w as f32, sh as f32 / h as f32);
    Portrait {
        name: format!("{} framed x{factor}", p.name),
        image,
        face: moved_face(&p.face, |l| {
            [
                ox as f32 + (l[0] + 0.5) * kx - 0.5,
                oy as f32 + (l[1] + 0.5) * ky - 0.5,
                l[2] * kx,
            ]
        }),
    }
}

/// Where a transformed picture's landmarks go.
type LandmarkMap = Box<dyn Fn([f32; 3]) -> [f32; 3]>;

/// `p` turned a quarter turn clockwise `quarters` times, landmarks with it.
pub fn rotated_quarters(p: &Portrait, quarters: u32) -> Portrait {
    let (w, h) = p.image.dimensions();
    let (image, map): (RgbImage, LandmarkMap) = match quarters % 4 {
        1 => (
            image::imageops::rotate90(&p.image),
            Box::new(move |l| [h as f32 - 1.0 - l[1], l[0], l[2]]),
        ),
        2 => (
            image::imageops::rotate180(&p.image),
            Box::new(move |l| [w as f32 - 1.0 - l[0], h as f32 - 1.0 - l[1], l[2]]),
        ),
        3 => (
            image::imageops::rotate270(&p.image),
            Box::new(move |l| [l[1], w as f32 - 1.0 - l[0], l[2]]),
        ),
        _ => (p.image.clone(), Box::new(|l| l)),
    };
    Portrait {
        name: format!("{} rot{}", p.name, 90 * (quarters % 4)),
        image,
        face: moved_face(&p.face, map),
    }
}

/// `p` rotated by `degrees` (counter-clockwise on screen) about its centre on the same canvas,
/// the corners filled with mid-grey, landmarks with it.
pub fn rotated_by(p: &Portrait, degrees: f32) -> Portrait {
    let (w, h) = p.image.dimensions();
    let (c, s) = (degrees.to_radians().cos(), degrees.to_radians().sin());
    let (cx, cy) = ((w as f32 - 1.0) / 2.0, (h as f32 - 1.0) / 2.0);
    // Screen counter-clockwise with y down: (x, y) ↦ (c·x + s·y, −s·x + c·y) about the centre.
    let forward = move |l: [f32; 3]| {
        let (x, y) = (l[0] - cx, l[1] - cy);
        [cx + c * x + s * y, cy - s * x + c * y, l[2]]
    };
    let raw = p.image.as_raw();
    let image = RgbImage::from_fn(w, h, |x, y| {
        let (u, v) = (x as f32 - cx, y as f32 - cy);
        let (sx, sy) = (cx + c * u - s * v, cy + s * u + c * v);
        if sx < 0.0 || sy < 0.0 || sx > (w - 1) as f32 || sy > (h - 1) as f32 {
            image::Rgb([128, 128, 128])
        } else {
            image::Rgb(bilinear(raw, w, sx, sy))
        }
    });
    Portrait {
        name: format!("{} rot{degrees}°", p.name),
        image,
        face: moved_face(&p.face, forward),
    }
}

/// Bilinear sample of an RGB buffer `w` pixels wide at `(x, y)`, inside the picture.
fn bilinear(raw: &[u8], w: u32, x: f32, y: f32) -> [u8; 3] {
    let h = raw.len() as u32 / 3 / w;
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x: u32, y: u32, c: usize| raw[3 * (y * w + x) as usize + c] as f32;
    [0, 1, 2].map(|c| {
        let top = at(x0, y0, c) + fx * (at(x1, y0, c) - at(x0, y0, c));
        let bottom = at(x0, y1, c) + fx * (at(x1, y1, c) - at(x0, y1, c));
        (top + fy * (bottom - top)).round() as u8
    })
}

fn moved_face(face: &Face, map: impl Fn([f32; 3]) -> [f32; 3]) -> Face {
    Face {
        score: face.score,
        bbox: face.bbox,
        landmarks: face.landmarks.iter().map(|&l| map(l)).collect(),
    }
}

/// Turned heads on a dark background: from each video driver, the frame where the head is
/// turned furthest from the driver's first frame, everything outside its face (grown to take
/// in some hair) darkened, and the same mirrored; landmarks found afresh on each picture.
pub fn turned_portraits(drivers: &[Driver], mesh: &FaceMesh) -> Vec<Portrait> {
    let mut out = Vec::new();
    for d in drivers.iter().filter(|d| d.video.is_some()) {
        let Some(first) = d.track.iter().flatten().next() else {
            continue;
        };
        let yaw = |l: &Vec<[f32; 3]>| {
            DriverMotion::measure(first, l).map_or(0.0, |m| m.rotation[1].abs())
        };
        let Some((k, lm)) = d
            .track
            .iter()
            .enumerate()
            .filter_map(|(k, l)| l.as_ref().map(|l| (k, l)))
            .max_by(|a, b| yaw(a.1).total_cmp(&yaw(b.1)))
        else {
            continue;
        };
        let mut video = media::open_video(d.video.as_ref().unwrap()).unwrap();
        let mut frame = None;
        for _ in 0..=k {
            frame = video.next_frame().unwrap();
        }
        let dark = on_dark_background(&frame.unwrap(), lm);
        let degrees = yaw(lm).to_degrees();
        for (mirror, image) in [
            (false, dark.clone()),
            (true, image::imageops::flip_horizontal(&dark)),
        ] {
            let faces = mesh.detect_faces(&image).unwrap();
            let name = format!(
                "{} frame {k} turned {degrees:.0}°{}",
                d.name,
                if mirror { " mirrored" } else { "" }
            );
            match largest_face(&faces) {
                Some(i) => out.push(Portrait {
                    name,
                    image,
                    face: faces[i].clone(),
                }),
                None => eprintln!("  (no face found again in {name})"),
            }
        }
    }
    out
}

/// The picture with everything outside the face oval, grown by a third about its centre,
/// faded to a near-black background over a few pixels.
fn on_dark_background(img: &RgbImage, lm: &[[f32; 3]]) -> RgbImage {
    let n = FACE_OVAL.len() as f32;
    let c = [0, 1].map(|k| FACE_OVAL.iter().map(|&i| lm[i][k]).sum::<f32>() / n);
    let poly: Vec<[f32; 2]> = FACE_OVAL
        .iter()
        .map(|&i| [0, 1].map(|k| c[k] + 1.3 * (lm[i][k] - c[k])))
        .collect();
    let feather = 0.04 * eye_distance(lm).max(10.0);
    let mut out = img.clone();
    for (x, y, p) in out.enumerate_pixels_mut() {
        let q = [x as f32, y as f32];
        let d = signed_distance(&poly, q);
        let keep = (0.5 - d / feather).clamp(0.0, 1.0);
        for (ch, bg) in [18.0f32, 15.0, 13.0].iter().enumerate() {
            p[ch] = (bg + keep * (p[ch] as f32 - bg)).round() as u8;
        }
    }
    out
}

/// Distance from `q` to the polygon's outline, negative inside.
fn signed_distance(poly: &[[f32; 2]], q: [f32; 2]) -> f32 {
    let mut inside = false;
    let mut best = f32::MAX;
    for k in 0..poly.len() {
        let (a, b) = (poly[k], poly[(k + 1) % poly.len()]);
        if (a[1] > q[1]) != (b[1] > q[1])
            && q[0] < a[0] + (q[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0])
        {
            inside = !inside;
        }
        let ab = [b[0] - a[0], b[1] - a[1]];
        let t = (((q[0] - a[0]) * ab[0] + (q[1] - a[1]) * ab[1])
            / (ab[0] * ab[0] + ab[1] * ab[1]).max(1e-9))
        .clamp(0.0, 1.0);
        best = best.min((q[0] - a[0] - t * ab[0]).hypot(q[1] - a[1] - t * ab[1]));
    }
    if inside {
        -best
    } else {
        best
    }
}
