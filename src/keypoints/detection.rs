//! Turning raw detector outputs into face detections: SSD anchors, box decoding, score
//! threshold and MediaPipe's weighted non-maximum suppression.

use serde::{Deserialize, Serialize};

/// One detected face, in image pixels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// Confidence in 0..1.
    pub score: f32,
    /// Box `[x0, y0, x1, y1]`.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// Six keypoints: right eye, left eye (the subject's), nose tip, mouth centre, right ear
    /// tragion, left ear tragion.
    pub keypoints: [[f32; 2]; 6],
}

/// A detection in tensor-normalised coordinates, before projection to pixels.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    score: f32,
    /// xmin, ymin, xmax, ymax, then six (x, y) keypoints.
    coords: [f32; 16],
}

/// SSD anchor centres `(x, y)`, normalised: grid by grid (consecutive equal strides share one
/// grid), row-major, the anchors of a cell consecutive. `per_layer` anchors per stride entry.
pub(super) fn anchors(input_size: usize, strides: &[usize], per_layer: usize) -> Vec<[f32; 2]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < strides.len() {
        let j = i + strides[i..]
            .iter()
            .take_while(|&&s| s == strides[i])
            .count();
        let per_cell = per_layer * (j - i);
        let grid = input_size.div_ceil(strides[i]);
        for y in 0..grid {
            for x in 0..grid {
                let centre = [
                    (x as f32 + 0.5) / grid as f32,
                    (y as f32 + 0.5) / grid as f32,
                ];
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
        i = j;
    }
    out
}

/// Decodes one anchor's 16 regressor values into box corners and keypoints (normalised).
pub(super) fn decode(raw: &[f32], anchor: [f32; 2], input_size: usize) -> [f32; 16] {
    let s = input_size as f32;
    let (cx, cy) = (raw[0] / s + anchor[0], raw[1] / s + anchor[1]);
    let (w, h) = (raw[2] / s, raw[3] / s);
    let mut out = [0f32; 16];
    out[..4].copy_from_slice(&[cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]);
    for k in 0..6 {
        out[4 + 2 * k] = raw[4 + 2 * k] / s + anchor[0];
        out[5 + 2 * k] = raw[5 + 2 * k] / s + anchor[1];
    }
    out
}

/// Score of a raw logit: sigmoid of the logit clamped to +-100.
pub(super) fn score(logit: f32) -> f32 {
    super::ops::sigmoid(logit.clamp(-100.0, 100.0))
}

fn iou(a: &[f32], b: &[f32]) -> f32 {
    let ix = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let iy = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = ix * iy;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union > 0.0 {
        inter / union
    } else {
        0.0
    }
}

/// Weighted NMS: the best remaining candidate absorbs every candidate overlapping it by more
/// than `iou_threshold` (itself included); coordinates become their score-weighted mean, the
/// score stays the best one's.
fn weighted_nms(mut cands: Vec<Candidate>, iou_threshold: f32) -> Vec<Candidate> {
    cands.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while let Some(top) = cands.first().copied() {
        let (merged, rest): (Vec<Candidate>, Vec<Candidate>) = cands
            .iter()
            .partition(|c: &&Candidate| iou(&c.coords[..4], &top.coords[..4]) > iou_threshold);
        let mut coords = [0f64; 16];
        let mut total = 0f64;
        for c in &merged {
            total += c.score as f64;
            for (acc, v) in coords.iter_mut().zip(c.coords) {
                *acc += v as f64 * c.score as f64;
            }
        }
        let coords = if total > 0.0 {
            coords.map(|v| (v / total) as f32)
        } else {
            top.coords
        };
        out.push(Candidate {
            score: top.score,
            coords,
        });
        if merged.is_empty() {
            break;
        }
        cands = rest;
    }
    out
}

/// How a detector's outputs are read.
#[derive(Debug, Clone)]
pub(super) struct DecodeParams {
    /// Input side in pixels.
    pub input_size: usize,
    /// Anchor centres, one per output row.
    pub anchors: Vec<[f32; 2]>,
    /// Minimum score to keep.
    pub min_score: f32,
    /// IoU above which candidates merge.
    pub iou_threshold: f32,
}

/// Decodes raw `regressors` (`16 * n`) and `logits` (`n`) into detections in image pixels,
/// undoing the letterbox of a `width`x`height` image into the square input.
pub(super) fn detections(
    regressors: &[f32],
    logits: &[f32],
    params: &DecodeParams,
    width: u32,
    height: u32,
) -> Vec<Detection> {
    let cands = params
        .anchors
        .iter()
        .enumerate()
        .filter_map(|(i, &anchor)| {
            let score = score(logits[i]);
            let coords = decode(&regressors[16 * i..16 * (i + 1)], anchor, params.input_size);
            let (w, h) = (coords[2] - coords[0], coords[3] - coords[1]);
            (score >= params.min_score && w >= 0.0 && h >= 0.0)
                .then_some(Candidate { score, coords })
        })
        .collect();
    let side = width.max(height) as f64;
    let px = |v: f32, full: u32| ((v as f64 - 0.5) * side + full as f64 / 2.0) as f32;
    weighted_nms(cands, params.iou_threshold)
        .into_iter()
        .map(|c| {
            let p = c.coords;
            let mut keypoints = [[0f32; 2]; 6];
            for (k, kp) in keypoints.iter_mut().enumerate() {
                *kp = [px(p[4 + 2 * k], width), px(p[5 + 2 * k], height)];
            }
            Detection {
                score: c.score,
                bbox: [
                    px(p[0], width),
                    px(p[1], height),
                    px(p[2], width),
                    px(p[3], height),
                ],
                keypoints,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_counts_match_the_models() {
        assert_eq!(anchors(128, &[8, 16, 16, 16], 2).len(), 896);
        assert_eq!(anchors(192, &[4], 1).len(), 2304);
        let a = anchors(128, &[8, 16, 16, 16], 2);
        assert_eq!(a[0], [0.5 / 16.0, 0.5 / 16.0]);
        assert_eq!(a[512], [0.5 / 8.0, 0.5 / 8.0]);
        assert_eq!(a[517], [0.5 / 8.0, 0.5 / 8.0]);
        assert_eq!(a[518], [1.5 / 8.0, 0.5 / 8.0]);
    }

    #[test]
    fn overlapping_candidates_merge_by_score() {
        let mk = |score, x0: f32| {
            let mut coords = [0f32; 16];
            coords[..4].copy_from_slice(&[x0, 0.0, x0 + 1.0, 1.0]);
            Candidate { score, coords }
        };
        let out = weighted_nms(vec![mk(0.6, 0.1), mk(0.9, 0.0), mk(0.7, 5.0)], 0.3);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        assert!((out[0].coords[0] - 0.04).abs() < 1e-6);
        assert_eq!(out[1].coords[0], 5.0);
    }
}
