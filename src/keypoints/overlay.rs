//! Drawing found faces over an image, to check keypoints by eye (`animate keypoints --overlay`).

use super::Face;
use image::{Rgb, RgbImage};

/// Colour of the landmark dots.
const POINT: Rgb<u8> = Rgb([40, 255, 80]);
/// Colour of the face box.
const BOX: Rgb<u8> = Rgb([255, 200, 0]);

fn put(img: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if x >= 0 && y >= 0 && (x as u32) < img.width() && (y as u32) < img.height() {
        img.put_pixel(x as u32, y as u32, colour);
    }
}

/// Draws each face's box and its 468 landmarks as dots sized to the face.
pub fn draw_faces(img: &mut RgbImage, faces: &[Face]) {
    for face in faces {
        let [x0, y0, x1, y1] = face.bbox.map(|v| v.round() as i64);
        for x in x0..=x1 {
            put(img, x, y0, BOX);
            put(img, x, y1, BOX);
        }
        for y in y0..=y1 {
            put(img, x0, y, BOX);
            put(img, x1, y, BOX);
        }
        let size = (face.bbox[2] - face.bbox[0]).max(face.bbox[3] - face.bbox[1]);
        let r = (size / 250.0).round().max(0.0) as i64;
        for p in &face.landmarks {
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
