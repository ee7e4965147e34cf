//! The per-frame invariants: the subject region outside which nothing may move, the map's
//! checks, and the picture measures.

use super::{BACKGROUND_TOLERANCE, EDGE_TOLERANCE};
use image::RgbImage;
use sfumato::engine::warp::WarpGrid;
use sfumato::motion::regions::{face_down, FACE_OVAL, RIGID};

/// The subject region of a frame: the head with its hair (a disc around the face), and the
/// neck, shoulders and torso (a column below it in the face's own frame), for the portrait's
/// face and for the moved one, each grown by the head's move. Outside it is background, which
/// must stay still. Defined from the landmarks alone, independently of how the warp fades.
pub struct Subject {
    parts: Vec<SubjectPart>,
}

struct SubjectPart {
    centre: [f32; 2],
    down: [f32; 2],
    head_radius: f32,
    torso_half_width: f32,
    torso_top: f32,
}

impl Subject {
    /// The region for a frame that moves the portrait's `source` landmarks onto `target`.
    pub fn new(source: &[[f32; 3]], target: &[[f32; 3]]) -> Self {
        let moved = RIGID
            .iter()
            .chain(FACE_OVAL)
            .map(|&i| (target[i][0] - source[i][0]).hypot(target[i][1] - source[i][1]))
            .fold(0.0, f32::max);
        let parts = [source, target]
            .iter()
            .map(|lm| {
                let n = FACE_OVAL.len() as f32;
                let centre = [0, 1].map(|k| FACE_OVAL.iter().map(|&i| lm[i][k]).sum::<f32>() / n);
                let r = FACE_OVAL
                    .iter()
                    .map(|&i| (lm[i][0] - centre[0]).hypot(lm[i][1] - centre[1]))
                    .fold(0.0, f32::max);
                SubjectPart {
                    centre,
                    down: face_down(lm),
                    head_radius: 3.3 * r + 2.5 * moved,
                    torso_half_width: 3.6 * r + 2.5 * moved,
                    torso_top: 1.2 * r + 2.5 * moved,
                }
            })
            .collect();
        Self { parts }
    }

    /// Whether output pixel `q` lies in the subject.
    pub fn contains(&self, q: [f32; 2]) -> bool {
        self.parts.iter().any(|p| {
            let d = [q[0] - p.centre[0], q[1] - p.centre[1]];
            let down = d[0] * p.down[0] + d[1] * p.down[1];
            let across = (d[0] * p.down[1] - d[1] * p.down[0]).abs();
            d[0].hypot(d[1]) <= p.head_radius
                || (down >= -p.torso_top && across <= p.torso_half_width)
        })
    }
}

/// One frame's map, checked.
pub struct GridCheck {
    /// Smallest Jacobian determinant.
    pub jacobian: f32,
    /// Largest displacement outside the subject, in pixels.
    pub background: f32,
    /// Share of the grid nodes outside the subject.
    pub background_share: f64,
    /// Largest displacement on the fixed edges, in pixels.
    pub edge: f32,
    /// Broken invariants.
    pub violations: Vec<String>,
}

/// Checks one frame's map: finite, fold-free, edges still, background still.
pub fn check_grid(grid: &WarpGrid, subject: &Subject) -> GridCheck {
    let mut out = Vec::new();
    if let Some(k) = grid
        .source
        .iter()
        .position(|p| !p[0].is_finite() || !p[1].is_finite())
    {
        out.push(format!("non-finite map at node {k}"));
        return GridCheck {
            jacobian: f32::NAN,
            background: f32::NAN,
            background_share: 0.0,
            edge: f32::NAN,
            violations: out,
        };
    }
    let jac = grid.min_jacobian();
    if jac <= 0.0 {
        out.push(format!("fold: Jacobian {jac:.4}"));
    }
    let (mut bg, mut edge, mut outside) = (0.0f32, 0.0f32, 0usize);
    for j in 0..grid.rows {
        for i in 0..grid.cols {
            let q = grid.node_position(i, j);
            let s = grid.source[j * grid.cols + i];
            let d = (s[0] - q[0]).hypot(s[1] - q[1]);
            if i == 0 || j == 0 || i == grid.cols - 1 {
                edge = edge.max(d);
            }
            if !subject.contains(q) {
                bg = bg.max(d);
                outside += 1;
            }
        }
    }
    if edge > EDGE_TOLERANCE {
        out.push(format!("frame edge moved by {edge:.4} px"));
    }
    if bg > BACKGROUND_TOLERANCE {
        out.push(format!("background moved by {bg:.3} px"));
    }
    GridCheck {
        jacobian: jac,
        background: bg,
        background_share: outside as f64 / grid.source.len() as f64,
        edge,
        violations: out,
    }
}

/// Mean Rec. 601 luma of a picture.
pub fn mean_luma(img: &RgbImage) -> f64 {
    let sum: f64 = img
        .pixels()
        .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
        .sum();
    sum / (img.width() as f64 * img.height() as f64).max(1.0)
}

/// PSNR of `a` against `b` inside the bounding box of the face oval of `landmarks`, in dB.
pub fn face_psnr(a: &RgbImage, b: &RgbImage, landmarks: &[[f32; 3]]) -> f64 {
    let (w, h) = a.dimensions();
    let xs = FACE_OVAL.iter().map(|&i| landmarks[i][0]);
    let ys = FACE_OVAL.iter().map(|&i| landmarks[i][1]);
    let clampx = |v: f32| v.clamp(0.0, (w - 1) as f32) as u32;
    let clampy = |v: f32| v.clamp(0.0, (h - 1) as f32) as u32;
    let (x0, x1) = (
        clampx(xs.clone().fold(f32::MAX, f32::min)),
        clampx(xs.fold(f32::MIN, f32::max)),
    );
    let (y0, y1) = (
        clampy(ys.clone().fold(f32::MAX, f32::min)),
        clampy(ys.fold(f32::MIN, f32::max)),
    );
    let (mut se, mut n) = (0.0f64, 0.0f64);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
            for c in 0..3 {
                se += (p[c] as f64 - q[c] as f64).powi(2);
            }
            n += 3.0;
        }
    }
    if se == 0.0 {
        100.0
    } else {
        10.0 * (255.0f64.powi(2) * n / se).log10()
    }
}
