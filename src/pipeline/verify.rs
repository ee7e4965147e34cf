//! The verify job: checking a file for the watermark and the provenance metadata, what
//! `animate verify` runs. Videos are sampled and decided as a whole and part by part.

use std::io::Read;
use std::path::Path;

use image::RgbImage;
use rayon::prelude::*;

use crate::error::io_error;
use crate::watermark::xmp::Provenance;
use crate::watermark::{Detection, Detector, Evidence, Payload, Scope};
use crate::{media, Error, Result};

/// Most frames of a video whose evidence is gathered, spread evenly over the whole video: ten
/// seconds of frames are plenty for an export.
pub const MAX_FRAMES: usize = 250;

/// Sampled frames per part of a video longer than [`MAX_FRAMES`] frames. Such a video is
/// decided as a whole and part by part, so that a marked clip inside it is found even where the
/// unmarked rest outweighs it in the whole.
pub const PART_FRAMES: usize = 25;

/// What `verify` found in a file.
#[derive(Debug, Clone)]
pub struct Report {
    /// "image" or "video".
    pub kind: &'static str,
    /// The watermark decision: on all frames checked, or, when `from_part`, on the first of
    /// `marked_parts`. Its false-positive probability covers every decision made on the file.
    pub detection: Detection,
    /// Whether `detection` is the first marked part's, the video as a whole not carrying enough
    /// of the watermark.
    pub from_part: bool,
    /// Every stretch of a long video whose own decision found the watermark, in video order:
    /// where a video that mixes marked clips and other footage is synthetic. Empty for an image
    /// and for a video decided only as a whole.
    pub marked_parts: Vec<MarkedPart>,
    /// Provenance metadata, if the file carries a Sfumato-style XMP packet.
    pub provenance: Option<Provenance>,
}

/// A stretch of a long video in which the watermark was found: consecutive parts whose
/// decisions claimed the same payload, joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkedPart {
    /// Its first sampled frame, counted from 0.
    pub first: u64,
    /// Its last sampled frame.
    pub last: u64,
    /// The payload found there.
    pub payload: Payload,
}

/// Checks an image (PNG, JPEG, WebP) or a video (MP4/MOV H.264, GIF, folder of frames).
/// A video's frames (all of them, or [`MAX_FRAMES`] spread evenly over a longer one) are
/// combined into one decision; a longer video is also decided in parts of [`PART_FRAMES`].
pub fn verify_file(path: &Path) -> Result<Report> {
    verify_file_with_progress(path, &mut |_| {})
}

/// [`verify_file`], calling `progress` with the video's frame count after each frame it reads
/// (a long video is read to its end, which takes a while): what a progress bar needs.
pub fn verify_file_with_progress(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Report> {
    let detector = Detector::new();
    let (kind, decision) = if is_still_image(path)? {
        let img = media::load_portrait(path)?;
        ("image", Decision::whole(detector.detect(&img)))
    } else {
        let parts = gather_parts(path, progress)?;
        ("video", decide_video(&detector, &parts))
    };
    let provenance = media::read_xmp(path)
        .ok()
        .flatten()
        .and_then(|x| Provenance::from_xmp(&x));
    Ok(Report {
        kind,
        detection: decision.detection,
        from_part: decision.from_part,
        marked_parts: decision.marked_parts,
        provenance,
    })
}

/// Evidence from consecutive sampled frames of a video, and where they lie in it.
struct Part {
    evidence: Evidence,
    first: u64,
    last: u64,
}

/// Reads the video at `path` and gathers the evidence of its sampled frames (at most
/// [`MAX_FRAMES`], even if the reader returns more frames than it announced): one part, or
/// parts of [`PART_FRAMES`] when it is longer than [`MAX_FRAMES`] frames. Frames are folded in
/// parallel batches and added in order, so the result does not depend on the number of threads.
fn gather_parts(path: &Path, progress: &mut dyn FnMut(u64)) -> Result<Vec<Part>> {
    let mut video = media::open_video(path)?;
    let (w, h) = (video.info().width, video.info().height);
    let total = video.info().frame_count;
    let per_part = if total > MAX_FRAMES as u64 {
        PART_FRAMES
    } else {
        MAX_FRAMES
    };
    // A frame per thread, at most 8 held at once (a 4K frame is 25 MB).
    let batch = rayon::current_num_threads().clamp(1, 8);
    let mut parts: Vec<Part> = Vec::new();
    let mut pending: Vec<(u64, RgbImage)> = Vec::with_capacity(batch);
    let (mut index, mut sampled) = (0, 0);
    loop {
        let frame = if sampled < MAX_FRAMES {
            video.next_frame()?
        } else {
            None
        };
        let end = frame.is_none();
        if let Some(frame) = frame {
            progress(total);
            if is_sampled(index, total) {
                sampled += 1;
                pending.push((index, frame));
            }
            index += 1;
        }
        if pending.len() == batch || (end && !pending.is_empty()) {
            let folded = fold_each(&pending, w, h)
                .ok_or_else(|| Error::bad_input(path, "frames change size mid-video"))?;
            add_in_order(&mut parts, folded, per_part);
            pending.clear();
        }
        if end {
            break;
        }
    }
    if parts.is_empty() {
        return Err(Error::bad_input(path, "the video has no frames"));
    }
    Ok(parts)
}

/// Each frame's evidence (tagged with its index), folded in parallel; `None` if a frame is not
/// `w`×`h`.
fn fold_each(frames: &[(u64, RgbImage)], w: u32, h: u32) -> Option<Vec<(u64, Evidence)>> {
    frames
        .par_iter()
        .map(|(index, frame)| {
            let mut evidence = Evidence::new(w, h);
            evidence.add(frame).then_some((*index, evidence))
        })
        .collect()
}

/// Adds frames' evidence, in video order, to the last part, starting a new part when it holds
/// `per_part` frames.
fn add_in_order(parts: &mut Vec<Part>, frames: Vec<(u64, Evidence)>, per_part: usize) {
    for (index, evidence) in frames {
        match parts.last_mut() {
            Some(part) if part.evidence.frames() < per_part => {
                part.evidence.absorb(&evidence);
                part.last = index;
            }
            _ => parts.push(Part {
                evidence,
                first: index,
                last: index,
            }),
        }
    }
}

/// The decision on a file: the reported detection, and for a long video its marked parts.
struct Decision {
    detection: Detection,
    from_part: bool,
    marked_parts: Vec<MarkedPart>,
}

impl Decision {
    /// A decision on the file as a whole, with no parts.
    fn whole(detection: Detection) -> Self {
        Decision {
            detection,
            from_part: false,
            marked_parts: Vec::new(),
        }
    }
}

/// Decides on a video from its parts. One part gets the video's whole limit on false claims.
/// Otherwise the parts together get half of it and each part an equal share of the other half;
/// the whole's claim comes first, then that of the first part that claims. Every part that
/// claims is listed.
fn decide_video(detector: &Detector, parts: &[Part]) -> Decision {
    if let [only] = parts {
        return Decision::whole(detector.decide(&only.evidence, Scope::Video { share: 1.0 }));
    }
    let mut all = parts[0].evidence.clone();
    parts[1..].iter().for_each(|p| all.absorb(&p.evidence));
    let whole = detector.decide(&all, Scope::Video { share: 0.5 });
    let share = Scope::Video {
        share: 0.5 / parts.len() as f64,
    };
    let each: Vec<(Detection, &Part)> = parts
        .iter()
        .map(|p| (detector.decide(&p.evidence, share), p))
        .collect();
    let false_positive_probability = whole.false_positive_probability
        + each
            .iter()
            .map(|(d, _)| d.false_positive_probability)
            .sum::<f64>();
    let part_claim = each.iter().find(|(d, _)| d.payload.is_some());
    let (chosen, from_part) = match part_claim {
        Some((d, _)) if whole.payload.is_none() => (
            Detection {
                frames: whole.frames,
                ..*d
            },
            true,
        ),
        _ => (whole, false),
    };
    Decision {
        detection: Detection {
            false_positive_probability,
            ..chosen
        },
        from_part,
        marked_parts: join_marked(
            each.iter()
                .map(|(d, p)| d.payload.map(|payload| (p.first, p.last, payload))),
        ),
    }
}

/// The marked stretches of a video from its parts' findings in video order (`None` where a part
/// did not claim): consecutive parts with the same payload become one stretch.
fn join_marked(found: impl Iterator<Item = Option<(u64, u64, Payload)>>) -> Vec<MarkedPart> {
    let mut marked: Vec<MarkedPart> = Vec::new();
    let mut joinable = false;
    for part in found {
        if let Some((first, last, payload)) = part {
            match marked.last_mut() {
                Some(m) if joinable && m.payload == payload => m.last = last,
                _ => marked.push(MarkedPart {
                    first,
                    last,
                    payload,
                }),
            }
        }
        joinable = part.is_some();
    }
    marked
}

/// Whether frame `index` of a video of `total` frames is one of the [`MAX_FRAMES`] spread
/// evenly over it (every frame of a shorter one; frames past `total` keep the same spacing).
fn is_sampled(index: u64, total: u64) -> bool {
    let wanted = MAX_FRAMES as u64;
    total <= wanted || (index * wanted) % total < wanted
}

fn is_still_image(path: &Path) -> Result<bool> {
    if path.is_dir() {
        return Ok(false);
    }
    let mut head = [0u8; 12];
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    let head = &head[..n];
    Ok(head.starts_with(b"\x89PNG")
        || head.starts_with(&[0xff, 0xd8, 0xff])
        || (head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WEBP")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_parts_with_one_payload_join_into_one_stretch() {
        let (a, b) = (Payload(0x5301_0001), Payload(0x5301_0002));
        let found = [
            None,
            Some((10, 19, a)),
            Some((20, 29, a)),
            None,
            Some((40, 49, a)),
            Some((50, 59, b)),
        ];
        let stretch = |first, last, payload| MarkedPart {
            first,
            last,
            payload,
        };
        assert_eq!(
            join_marked(found.into_iter()),
            [stretch(10, 29, a), stretch(40, 49, a), stretch(50, 59, b)]
        );
    }

    #[test]
    fn sampled_frames_spread_evenly_over_the_whole_video() {
        assert!((0..100).all(|i| is_sampled(i, 100)));
        for total in [251, 400, 1000, 7499] {
            let picked: Vec<u64> = (0..total).filter(|&i| is_sampled(i, total)).collect();
            assert_eq!(picked.len(), MAX_FRAMES, "{total} frames");
            assert_eq!(picked[0], 0);
            let gaps: Vec<u64> = picked.windows(2).map(|p| p[1] - p[0]).collect();
            let (lo, hi) = (total / MAX_FRAMES as u64, total.div_ceil(MAX_FRAMES as u64));
            assert!(
                gaps.iter().all(|g| (lo..=hi).contains(g)),
                "{total} frames: {gaps:?}"
            );
            assert!(
                total - 1 - picked[MAX_FRAMES - 1] <= hi,
                "{total} frames: tail unused"
            );
        }
    }
}
