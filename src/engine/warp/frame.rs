//! A face-aligned coordinate frame for the fills: eyelids and mouth are reasoned about as
//! "upper" and "lower" lines along an axis, which only holds in image pixels for an upright
//! face. In this frame the x-axis runs along the feature (corner to corner) and the y-axis
//! points towards the chin, whatever the portrait's or the head's roll.

/// An orthonormal frame in the image plane: x along a feature, y towards the chin.
#[derive(Debug, Clone, Copy)]
pub(super) struct LocalFrame {
    origin: [f32; 2],
    x: [f32; 2],
    y: [f32; 2],
}

impl LocalFrame {
    /// The frame with its origin at `a`, its x-axis towards `b`, and its y-axis perpendicular
    /// on the side of `down` (a direction pointing to the chin). Where `a` and `b` coincide the
    /// x-axis is taken square to `down`.
    pub(super) fn new(a: [f32; 2], b: [f32; 2], down: [f32; 2]) -> Self {
        let d = [b[0] - a[0], b[1] - a[1]];
        let len = d[0].hypot(d[1]);
        let x = if len > 1e-4 {
            [d[0] / len, d[1] / len]
        } else {
            [-down[1], down[0]]
        };
        let y = if x[0] * down[1] - x[1] * down[0] >= 0.0 {
            [-x[1], x[0]]
        } else {
            [x[1], -x[0]]
        };
        Self { origin: a, x, y }
    }

    /// Image position `p` in this frame.
    pub(super) fn to_local(self, p: [f32; 2]) -> [f32; 2] {
        let d = [p[0] - self.origin[0], p[1] - self.origin[1]];
        [
            d[0] * self.x[0] + d[1] * self.x[1],
            d[0] * self.y[0] + d[1] * self.y[1],
        ]
    }

    /// Local position `l` in image pixels.
    pub(super) fn to_image(self, l: [f32; 2]) -> [f32; 2] {
        [0, 1].map(|k| self.origin[k] + l[0] * self.x[k] + l[1] * self.y[k])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_y_points_to_the_chin_for_any_roll() {
        for (a, b, down) in [
            ([10.0, 10.0], [30.0, 10.0], [0.0, 1.0]),
            ([30.0, 10.0], [10.0, 10.0], [0.0, 1.0]),
            ([10.0, 10.0], [10.0, 30.0], [-1.0, 0.0]),
            ([5.0, 5.0], [5.0, 5.0], [0.6, 0.8]),
        ] {
            let f = LocalFrame::new(a, b, down);
            let below = [a[0] + 3.0 * down[0], a[1] + 3.0 * down[1]];
            assert!(f.to_local(below)[1] > 2.9, "{a:?} {b:?} {down:?}");
            let p = [17.5, -4.25];
            let back = f.to_image(f.to_local(p));
            assert!((back[0] - p[0]).abs() < 1e-4 && (back[1] - p[1]).abs() < 1e-4);
        }
    }
}
