//! Output sizes and TFLite's SAME/VALID padding along one spatial axis.

/// Spatial padding mode, named as in TFLite graphs so a layer can be transcribed directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// TFLite SAME: output size `ceil(n / stride)`, zeros padded so that the window fits, the
    /// smaller half before (asymmetric: 3x3 stride 2 on an even size pads 0 before, 1 after).
    Same,
    /// TFLite VALID: no padding, output size `(n - k) / stride + 1`.
    Valid,
}

/// How one spatial axis of a windowed op maps input to output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Axis {
    /// Input length.
    pub len: usize,
    /// Zeros padded before the first input element.
    pub before: usize,
    /// Zeros padded after the last input element.
    pub after: usize,
    /// Output length.
    pub out: usize,
}

impl Axis {
    /// The axis of a window of size `k` moved by `stride` over `len` inputs, or `None` when the
    /// window does not fit (VALID with `len < k`) or a size is zero.
    pub(super) fn new(len: usize, k: usize, stride: usize, padding: Padding) -> Option<Self> {
        if len == 0 || k == 0 || stride == 0 {
            return None;
        }
        match padding {
            Padding::Valid => (len >= k).then(|| Axis {
                len,
                before: 0,
                after: 0,
                out: (len - k) / stride + 1,
            }),
            Padding::Same => {
                let out = len.div_ceil(stride);
                let total = ((out - 1) * stride + k).saturating_sub(len);
                Some(Axis {
                    len,
                    before: total / 2,
                    after: total - total / 2,
                    out,
                })
            }
        }
    }

    /// Length of the zero-padded input.
    pub(super) fn padded(&self) -> usize {
        self.before + self.len + self.after
    }
}

/// The two spatial axes of a windowed op with a square `k`x`k` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Kernel size (square).
    pub k: usize,
    /// Stride on both axes.
    pub stride: usize,
    /// Vertical axis.
    pub rows: Axis,
    /// Horizontal axis.
    pub cols: Axis,
}

/// The window settings of a convolution op (square `k`x`k`, `stride`, TFLite `padding`), from
/// which each call derives its [`Window`].
#[derive(Debug, Clone, Copy)]
pub(super) struct ConvWindow {
    pub(super) k: usize,
    pub(super) stride: usize,
    pub(super) padding: Padding,
}

impl ConvWindow {
    /// The batch size, channel count and window of the NCHW input laid out as `layout`.
    pub(super) fn over(
        &self,
        op: &str,
        layout: &candle_core::Layout,
    ) -> candle_core::Result<(usize, usize, Window)> {
        let (n, c, h, w) = layout.shape().dims4()?;
        let win = Window::new(op, (h, w), self.k, self.stride, self.padding)?;
        Ok((n, c, win))
    }
}

impl Window {
    /// The window over an `h`x`w` plane, or a candle error naming `op` when it does not fit.
    pub(super) fn new(
        op: &str,
        (h, w): (usize, usize),
        k: usize,
        stride: usize,
        padding: Padding,
    ) -> candle_core::Result<Self> {
        match (
            Axis::new(h, k, stride, padding),
            Axis::new(w, k, stride, padding),
        ) {
            (Some(rows), Some(cols)) => Ok(Window {
                k,
                stride,
                rows,
                cols,
            }),
            _ => candle_core::bail!(
                "{op}: a {k}x{k} window with stride {stride} and {padding:?} padding does not fit a {h}x{w} input"
            ),
        }
    }

    /// Output plane size `oh * ow`.
    pub(super) fn out_area(&self) -> usize {
        self.rows.out * self.cols.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_padding_matches_tflite() {
        // 3x3 stride 2 on an even size: nothing before, one after.
        let a = Axis::new(96, 3, 2, Padding::Same).unwrap();
        assert_eq!((a.before, a.after, a.out), (0, 1, 48));
        // 5x5 stride 2 on 128: one before, two after (BlazeFace stem).
        let a = Axis::new(128, 5, 2, Padding::Same).unwrap();
        assert_eq!((a.before, a.after, a.out), (1, 2, 64));
        // 3x3 stride 1: symmetric.
        let a = Axis::new(7, 3, 1, Padding::Same).unwrap();
        assert_eq!((a.before, a.after, a.out), (1, 1, 7));
        // 3x3 stride 2 on an odd size: symmetric again.
        let a = Axis::new(7, 3, 2, Padding::Same).unwrap();
        assert_eq!((a.before, a.after, a.out), (1, 1, 4));
    }

    #[test]
    fn valid_padding_and_misfit() {
        let a = Axis::new(3, 3, 3, Padding::Valid).unwrap();
        assert_eq!((a.before, a.after, a.out), (0, 0, 1));
        assert!(Axis::new(2, 3, 1, Padding::Valid).is_none());
        assert!(Window::new("t", (2, 8), 3, 1, Padding::Valid).is_err());
    }
}
