//! Drawing found faces over an image, to check keypoints by eye (`animate keypoints --overlay`):
//! the face box, the mesh (a Delaunay triangulation of the landmarks) and the landmarks.

use super::Face;
use image::{Rgb, RgbImage};

/// Colour of the landmark dots.
const POINT: Rgb<u8> = Rgb([40, 255, 80]);
/// Colour of the mesh edges.
const EDGE: Rgb<u8> = Rgb([20, 150, 60]);
/// Colour of the face box.
const BOX: Rgb<u8> = Rgb([255, 200, 0]);

fn put(img: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, colour);
    }
}

/// A one-pixel line from `a` to `b`.
fn line(img: &mut RgbImage, a: [f32; 2], b: [f32; 2], colour: Rgb<u8>) {
    let steps = (b[0] - a[0]).abs().max((b[1] - a[1]).abs()).ceil().max(1.0) as i64;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let (x, y) = (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]));
        put(img, x.round() as i64, y.round() as i64, colour);
    }
}

/// Circumcircle `(cx, cy, r^2)` of a triangle.
fn circumcircle(a: [f64; 2], b: [f64; 2], c: [f64; 2]) -> (f64, f64, f64) {
    let d = 2.0 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]));
    if d.abs() < 1e-12 {
        return (0.0, 0.0, f64::INFINITY);
    }
    let (a2, b2, c2) = (
        a[0] * a[0] + a[1] * a[1],
        b[0] * b[0] + b[1] * b[1],
        c[0] * c[0] + c[1] * c[1],
    );
    let cx = (a2 * (b[1] - c[1]) + b2 * (c[1] - a[1]) + c2 * (a[1] - b[1])) / d;
    let cy = (a2 * (c[0] - b[0]) + b2 * (a[0] - c[0]) + c2 * (b[0] - a[0])) / d;
    (cx, cy, (a[0] - cx).powi(2) + (a[1] - cy).powi(2))
}

/// Delaunay triangulation (Bowyer–Watson) of 2-D points; triangles as point indices.
pub(super) fn delaunay(points: &[[f32; 2]]) -> Vec<[usize; 3]> {
    let n = points.len();
    let mut pts: Vec<[f64; 2]> = points.iter().map(|p| [p[0] as f64, p[1] as f64]).collect();
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for p in &pts {
        for k in 0..2 {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1.0) * 20.0;
    let (mx, my) = ((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0);
    pts.extend([
        [mx - span, my - span],
        [mx + span, my - span],
        [mx, my + span],
    ]);
    let with_circle =
        |t: [usize; 3], pts: &[[f64; 2]]| (t, circumcircle(pts[t[0]], pts[t[1]], pts[t[2]]));
    let mut tris = vec![with_circle([n, n + 1, n + 2], &pts)];
    for i in 0..n {
        let p = pts[i];
        let (bad, good): (Vec<_>, Vec<_>) = tris
            .into_iter()
            .partition(|(_, (cx, cy, r2))| (p[0] - cx).powi(2) + (p[1] - cy).powi(2) < *r2);
        tris = good;
        let edges: Vec<[usize; 2]> = bad
            .iter()
            .flat_map(|(t, _)| [[t[0], t[1]], [t[1], t[2]], [t[2], t[0]]])
            .collect();
        let same = |a: &[usize; 2], b: &[usize; 2]| {
            (a[0] == b[0] && a[1] == b[1]) || (a[0] == b[1] && a[1] == b[0])
        };
        for e in &edges {
            if edges.iter().filter(|f| same(e, f)).count() == 1 {
                tris.push(with_circle([e[0], e[1], i], &pts));
            }
        }
    }
    tris.into_iter()
        .map(|(t, _)| t)
        .filter(|t| t.iter().all(|&v| v < n))
        .collect()
}

/// Draws each face's box, its mesh and its 468 landmarks as dots sized to the face.
pub fn draw_faces(img: &mut RgbImage, faces: &[Face]) {
    for face in faces {
        let [x0, y0, x1, y1] = face.bbox;
        for (a, b) in [
            ([x0, y0], [x1, y0]),
            ([x1, y0], [x1, y1]),
            ([x1, y1], [x0, y1]),
            ([x0, y1], [x0, y0]),
        ] {
            line(img, a, b, BOX);
        }
        let points: Vec<[f32; 2]> = face.landmarks.iter().map(|p| [p[0], p[1]]).collect();
        for t in delaunay(&points) {
            for (a, b) in [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])] {
                line(img, points[a], points[b], EDGE);
            }
        }
        let r = ((x1 - x0).max(y1 - y0) / 250.0).round().max(0.0) as i64;
        for p in &points {
            let (cx, cy) = (p[0].round() as i64, p[1].round() as i64);
            for dy in -r..=r {
                for dx in -r..=r {
                    if dx * dx + dy * dy <= r * r {
                        put(img, cx + dx, cy + dy, POINT);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delaunay_of_a_square_with_a_centre_has_four_triangles() {
        let pts = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
            [5.0, 5.0],
        ];
        let tris = delaunay(&pts);
        assert_eq!(tris.len(), 4);
        assert!(tris.iter().all(|t| t.contains(&4)));
    }
}
