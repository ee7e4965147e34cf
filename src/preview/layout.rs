//! Where the picture and the picture-in-picture go in the window, keeping their aspect ratio.

/// A rectangle in physical window pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rect {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

/// The largest rectangle with the aspect of `content` centred in `window` (letterboxed).
/// Sizes are rounded to whole pixels so a frame shown at its own size maps pixel to pixel.
pub(crate) fn fit(content: (u32, u32), window: (u32, u32)) -> Rect {
    let (cw, ch) = (content.0.max(1) as f32, content.1.max(1) as f32);
    let (ww, wh) = (window.0.max(1) as f32, window.1.max(1) as f32);
    let scale = (ww / cw).min(wh / ch);
    let (w, h) = (
        (cw * scale).round().clamp(1.0, ww),
        (ch * scale).round().clamp(1.0, wh),
    );
    Rect {
        x: ((ww - w) / 2.0).floor(),
        y: ((wh - h) / 2.0).floor(),
        w,
        h,
    }
}

/// The driver's picture-in-picture: a quarter of the picture's width, in its bottom-right
/// corner with a small margin, keeping the driver's aspect.
pub(crate) fn picture_in_picture(main: Rect, driver: (u32, u32)) -> Rect {
    let margin = (main.w.min(main.h) * 0.02).round();
    let w = (main.w * 0.25).round().max(1.0);
    let h = (w * driver.1.max(1) as f32 / driver.0.max(1) as f32)
        .round()
        .clamp(1.0, main.h);
    Rect {
        x: main.x + main.w - w - margin,
        y: main.y + main.h - h - margin,
        w,
        h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterbox_keeps_aspect() {
        let r = fit((512, 512), (512, 512));
        assert_eq!(
            r,
            Rect {
                x: 0.0,
                y: 0.0,
                w: 512.0,
                h: 512.0
            }
        );
        let r = fit((1024, 512), (800, 600));
        assert_eq!(
            r,
            Rect {
                x: 0.0,
                y: 100.0,
                w: 800.0,
                h: 400.0
            }
        );
        let r = fit((300, 600), (1000, 400));
        assert_eq!(
            r,
            Rect {
                x: 400.0,
                y: 0.0,
                w: 200.0,
                h: 400.0
            }
        );
    }

    #[test]
    fn pip_sits_inside_the_bottom_right_corner() {
        let main = fit((512, 512), (512, 512));
        let p = picture_in_picture(main, (640, 480));
        assert_eq!((p.w, p.h), (128.0, 96.0));
        assert!(p.x + p.w <= 512.0 && p.y + p.h <= 512.0 && p.x > 256.0);
    }
}
