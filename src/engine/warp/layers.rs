//! The rigid layers under the expression field, as one backward map: the head's affine motion,
//! whole on the face and fading with distance (hair, ears and neck follow), over the body's
//! damped translation (neck, shoulders and torso carried along as one piece), both fading to
//! nothing towards the background and the frame edges.
//!
//! A displacement `d` that fades out over a band of length `L` (smoothstep, steepest slope
//! 1.5 / L) keeps the map fold-free as long as `L > 1.5 |d|`; every band here is at least
//! [`FOLD_MARGIN`] times the displacement it absorbs, so a large head move widens the band that
//! carries it (more hair and neck move along) instead of squeezing it into a thin streak.

use super::field::{fit_affine, smoothstep};
use crate::motion::regions::{face_down, FACE_OVAL, RIGID};

/// Band length over displacement, for every fade (see the module doc).
const FOLD_MARGIN: f32 = 2.2;
/// Face-oval radii beyond the oval over which the head's own motion fades above and beside the
/// face (hair, ears), at the least.
const HEAD_FALLOFF: f32 = 1.1;
/// The same straight above the face (the hair crown, which on many portraits rises a whole
/// face radius above the forehead, and would stretch if it stayed behind the face) once the
/// head moves far (as the body follows, see [`BODY_FOLLOW`]); small moves keep
/// [`HEAD_FALLOFF`] there, so the background above a nearly still head stays put.
const HAIR_FALLOFF: f32 = 2.0;
/// The same straight below the face (the neck): the body layer takes over there.
const NECK_FALLOFF: f32 = 0.6;
/// Head translations (in face-oval radii) below the first figure move the head on its neck
/// alone; above the second the whole body (neck, shoulders, torso) moves with the head.
const BODY_FOLLOW: [f32; 2] = [0.15, 0.6];
/// Face-oval radii over which the body's motion fades into the background, at the least.
const BODY_BAND: f32 = 1.0;

/// The head and body layers for one target frame; [`Layers::map`] gives the backward map.
pub(super) struct Layers {
    /// Affine map from target to source: x' = a x + b y + c, y' = d x + e y + f.
    affine: [f32; 6],
    /// Centre of the target face oval.
    centre: [f32; 2],
    /// The target face's "down" (forehead to chin): above, below and beside are the face's,
    /// not the image's, so a tilted or sideways head keeps its hair above and neck below.
    down: [f32; 2],
    /// Inverse covariance of the target oval, for its elliptic radius.
    inv_cov: [f32; 3],
    /// Mean elliptic radius of the oval points (so the oval sits at radius 1).
    oval_norm: f32,
    /// Smallest distance from the centre to the oval, in pixels.
    radius_px: f32,
    /// Fade lengths of the head layer, in oval radii: beside, above, and below.
    head_falloff: f32,
    hair_falloff: f32,
    neck_falloff: f32,
    /// The body's backward displacement (source minus target position).
    body_shift: [f32; 2],
    /// Fade length of the body layer, in pixels.
    body_band: f32,
    /// Fade lengths towards the left, top and right frame edges, in pixels.
    border: [f32; 3],
    /// Distance from the frame edges within which nothing moves (one grid cell, so that the
    /// pixels on the edge, between two grid nodes, stay exactly still).
    margin: f32,
    /// Where the fade towards the bottom edge starts (just below the chin), in pixels.
    torso_top: f32,
    /// The part of the motion the bottom edge keeps (0 = the bottom edge stays still).
    bottom_keep: f32,
    width: f32,
    height: f32,
}

impl Layers {
    /// The layers moving the portrait's landmarks `source` onto `target` in a `width` × `height`
    /// frame sampled by a grid with nodes `spacing` pixels apart.
    pub(super) fn new(
        source: &[[f32; 2]],
        target: &[[f32; 2]],
        width: u32,
        height: u32,
        spacing: u32,
    ) -> Self {
        let affine = fit_affine(
            &RIGID.iter().map(|&i| target[i]).collect::<Vec<_>>(),
            &RIGID.iter().map(|&i| source[i]).collect::<Vec<_>>(),
        );
        let oval: Vec<[f32; 2]> = FACE_OVAL.iter().map(|&i| target[i]).collect();
        let n = oval.len() as f32;
        let centre = [
            oval.iter().map(|p| p[0]).sum::<f32>() / n,
            oval.iter().map(|p| p[1]).sum::<f32>() / n,
        ];
        let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
        for p in &oval {
            let (dx, dy) = (p[0] - centre[0], p[1] - centre[1]);
            sxx += dx * dx / n;
            sxy += dx * dy / n;
            syy += dy * dy / n;
        }
        let det = (sxx * syy - sxy * sxy).max(1e-6);
        let radius_px = oval
            .iter()
            .map(|p| (p[0] - centre[0]).hypot(p[1] - centre[1]))
            .fold(f32::MAX, f32::min)
            .max(1.0);
        let mut me = Self {
            affine,
            centre,
            down: face_down(target),
            inv_cov: [syy / det, -sxy / det, sxx / det],
            oval_norm: 1.0,
            radius_px,
            head_falloff: HEAD_FALLOFF,
            hair_falloff: HAIR_FALLOFF,
            neck_falloff: NECK_FALLOFF,
            body_shift: [0.0; 2],
            body_band: BODY_BAND * radius_px,
            border: [0.0; 3],
            margin: spacing as f32,
            torso_top: 0.0,
            bottom_keep: 0.0,
            width: width as f32,
            height: height as f32,
        };
        me.oval_norm = oval.iter().map(|p| me.radius(*p)).sum::<f32>() / n;
        let head_shift = me.head_shift(centre);
        let moved = head_shift[0].hypot(head_shift[1]) / radius_px;
        let follow = smoothstep(BODY_FOLLOW[0], BODY_FOLLOW[1], moved);
        me.body_shift = head_shift.map(|c| follow * c);
        // The head fades into the body: its band must absorb the difference of the two.
        let relative = oval
            .iter()
            .map(|&p| {
                let d = me.head_shift(p);
                (d[0] - me.body_shift[0]).hypot(d[1] - me.body_shift[1])
            })
            .fold(0.0, f32::max);
        let needed = FOLD_MARGIN * relative / radius_px;
        me.head_falloff = HEAD_FALLOFF.max(needed);
        me.hair_falloff = (HEAD_FALLOFF + follow * (HAIR_FALLOFF - HEAD_FALLOFF)).max(needed);
        me.neck_falloff = NECK_FALLOFF.max(needed);
        let body = me.body_shift[0].hypot(me.body_shift[1]);
        me.body_band = me.body_band.max(FOLD_MARGIN * body);
        // Wide enough to absorb the motion, but never reaching into the face itself (a face
        // at an edge keeps a short fade there; the fold repair relaxes what folds).
        let largest = oval
            .iter()
            .map(|&p| {
                let d = me.head_shift(p);
                d[0].hypot(d[1])
            })
            .fold(body, f32::max);
        let wanted = (FOLD_MARGIN * largest).max(0.06 * width.min(height) as f32);
        let fold =
            |f: fn(f32, f32) -> f32, init: f32, k: usize| oval.iter().map(|p| p[k]).fold(init, f);
        let room = [
            fold(f32::min, f32::MAX, 0),
            fold(f32::min, f32::MAX, 1),
            me.width - 1.0 - fold(f32::max, f32::MIN, 0),
        ];
        me.border = room.map(|r| wanted.min(0.9 * r - me.margin).max(1.0));
        // The bottom edge stays still while the torso below the chin is tall enough to absorb
        // the body's motion; beyond that the torso runs on past the frame.
        let chin = oval.iter().map(|p| p[1]).fold(f32::MIN, f32::max);
        me.torso_top = chin + 0.25 * radius_px;
        let room = (me.height - 1.0 - me.torso_top).max(0.0);
        me.bottom_keep = (1.0 - room / (FOLD_MARGIN * body).max(1e-3)).max(0.0);
        me
    }

    /// Elliptic distance from the oval's centre, 1 on the oval.
    fn radius(&self, q: [f32; 2]) -> f32 {
        let (dx, dy) = (q[0] - self.centre[0], q[1] - self.centre[1]);
        let [a, b, c] = self.inv_cov;
        (a * dx * dx + 2.0 * b * dx * dy + c * dy * dy)
            .max(0.0)
            .sqrt()
            / self.oval_norm
    }

    /// `q` relative to the oval's centre in the face's frame: across the face, and down it.
    fn in_face_frame(&self, q: [f32; 2]) -> [f32; 2] {
        let (dx, dy) = (q[0] - self.centre[0], q[1] - self.centre[1]);
        let [x, y] = self.down;
        [dx * y - dy * x, dx * x + dy * y]
    }

    /// The head's backward displacement at `q`, unweighted.
    fn head_shift(&self, q: [f32; 2]) -> [f32; 2] {
        let [a, b, c, d, e, f] = self.affine;
        [
            a * q[0] + b * q[1] + c - q[0],
            d * q[0] + e * q[1] + f - q[1],
        ]
    }

    /// How much of the head's motion `q` shows: 1 on the face, fading to 0 away from it (over
    /// a longer distance above the face, over the hair, and a shorter one below it, where the
    /// body takes over).
    fn head_weight(&self, q: [f32; 2]) -> f32 {
        let rho = self.radius(q);
        let [along, down] = self.in_face_frame(q);
        let vertical = down / along.hypot(down).max(1e-6);
        let (above, below) = ((-vertical).max(0.0), vertical.max(0.0));
        let falloff = self.head_falloff
            + above * above * (self.hair_falloff - self.head_falloff)
            + below * below * (self.neck_falloff - self.head_falloff);
        1.0 - smoothstep(1.1, 1.1 + falloff, rho)
    }

    /// How much of the body's motion `q` shows: 1 on the head, neck, shoulders and torso (a
    /// column widening from the face's width to three times it below the chin), fading into the
    /// background around them.
    fn body_weight(&self, q: [f32; 2]) -> f32 {
        let r = self.radius_px;
        let head = 1.0 - smoothstep(1.1, 1.1 + self.body_band / r, self.radius(q));
        let [along, dy] = self.in_face_frame(q);
        let half_width = r * (1.0 + 1.5 * smoothstep(0.8 * r, 2.5 * r, dy));
        let outside = along.abs() - half_width;
        let torso = (1.0 - smoothstep(0.0, self.body_band, outside))
            * (1.0 - smoothstep(0.0, self.body_band, -dy));
        head.max(torso)
    }

    /// How much of any motion `q` shows near the left, top and right frame edges: 0 on them,
    /// 1 a border's width inside (the bottom edge is [`Self::bottom_weight`]'s).
    pub(super) fn edge_weight(&self, q: [f32; 2]) -> f32 {
        let [left, top, right] = self.border;
        let m = self.margin;
        smoothstep(m, m + left, q[0])
            * smoothstep(m, m + top, q[1])
            * smoothstep(m, m + right, self.width - 1.0 - q[0])
    }

    /// How much of the rigid motion `q` shows towards the bottom edge: it fades over the whole
    /// torso below the chin, down to [`Self::bottom_keep`] on the edge.
    fn bottom_weight(&self, q: [f32; 2]) -> f32 {
        1.0 - (1.0 - self.bottom_keep) * smoothstep(self.torso_top, self.height - 1.0, q[1])
    }

    /// The portrait position output pixel `q` shows under the two layers.
    pub(super) fn map(&self, q: [f32; 2]) -> [f32; 2] {
        let wh = self.head_weight(q);
        let wb = (1.0 - wh) * self.body_weight(q);
        let head = self.head_shift(q);
        let e = self.edge_weight(q) * self.bottom_weight(q);
        [0, 1].map(|c| q[c] + e * (wh * head[c] + wb * self.body_shift[c]))
    }
}
