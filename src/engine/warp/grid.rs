//! The coarse backward-map grid shared by the CPU and GPU remaps: for every node of a regular
//! grid over the output frame, the portrait position it shows.

/// Source positions (portrait pixels) at the nodes of a regular grid over the output frame;
/// between nodes the map is bilinear. Node `(i, j)` sits at output pixel `(i·spacing, j·spacing)`.
#[derive(Debug, Clone, PartialEq)]
pub struct WarpGrid {
    /// Output pixels between neighbouring nodes.
    pub spacing: u32,
    /// Nodes per row.
    pub cols: usize,
    /// Node rows.
    pub rows: usize,
    /// Source position of each node, row-major.
    pub source: Vec<[f32; 2]>,
}

impl WarpGrid {
    /// The grid that shows the portrait unchanged, covering a `width` × `height` frame.
    pub fn identity(width: u32, height: u32, spacing: u32) -> Self {
        let spacing = spacing.max(1);
        let cols = (width.saturating_sub(1)).div_ceil(spacing) as usize + 1;
        let rows = (height.saturating_sub(1)).div_ceil(spacing) as usize + 1;
        let source = (0..rows)
            .flat_map(|j| {
                (0..cols).map(move |i| [(i as u32 * spacing) as f32, (j as u32 * spacing) as f32])
            })
            .collect();
        Self {
            spacing,
            cols,
            rows,
            source,
        }
    }

    /// Output position of node `(i, j)`.
    pub fn node_position(&self, i: usize, j: usize) -> [f32; 2] {
        [
            (i as u32 * self.spacing) as f32,
            (j as u32 * self.spacing) as f32,
        ]
    }

    /// The source position shown at output pixel `(x, y)` (bilinear between nodes).
    pub fn sample(&self, x: f32, y: f32) -> [f32; 2] {
        let s = self.spacing as f32;
        let gx = (x / s).clamp(0.0, (self.cols - 1) as f32);
        let gy = (y / s).clamp(0.0, (self.rows - 1) as f32);
        let i = (gx as usize).min(self.cols.saturating_sub(2));
        let j = (gy as usize).min(self.rows.saturating_sub(2));
        let (fx, fy) = (gx - i as f32, gy - j as f32);
        let at = |i: usize, j: usize| self.source[j * self.cols + i];
        let (a, b, c, d) = (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1));
        [0, 1].map(|k| {
            let top = a[k] + fx * (b[k] - a[k]);
            let bottom = c[k] + fx * (d[k] - c[k]);
            top + fy * (bottom - top)
        })
    }

    /// The smallest Jacobian determinant of the map over the whole frame, relative to the
    /// identity's (1 = unchanged area; ≤ 0 means the warp folds). The map is bilinear per cell,
    /// so its determinant is affine in each cell and the minimum sits at a cell corner.
    pub fn min_jacobian(&self) -> f32 {
        let mut worst = f32::MAX;
        for j in 0..self.rows.saturating_sub(1) {
            for i in 0..self.cols.saturating_sub(1) {
                worst = worst.min(self.cell_min_jacobian(i, j));
            }
        }
        worst
    }

    /// The smallest Jacobian determinant in cell `(i, j)` (relative to the identity's).
    pub fn cell_min_jacobian(&self, i: usize, j: usize) -> f32 {
        let at = |i: usize, j: usize| self.source[j * self.cols + i];
        let (p00, p10, p01, p11) = (at(i, j), at(i + 1, j), at(i, j + 1), at(i + 1, j + 1));
        let cross = |u: [f32; 2], v: [f32; 2]| u[0] * v[1] - u[1] * v[0];
        let sub = |a: [f32; 2], b: [f32; 2]| [a[0] - b[0], a[1] - b[1]];
        let (top, bottom) = (sub(p10, p00), sub(p11, p01));
        let (left, right) = (sub(p01, p00), sub(p11, p10));
        let s2 = (self.spacing * self.spacing) as f32;
        cross(top, left)
            .min(cross(top, right))
            .min(cross(bottom, left))
            .min(cross(bottom, right))
            / s2
    }
}
