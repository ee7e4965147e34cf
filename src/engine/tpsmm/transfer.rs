//! How driving keypoints become the keypoints the source is animated with (demo.py's modes).

use super::model::{points, points_tensor, PreparedSource, Tpsmm};
use super::tps::convex_hull_area;
use crate::Result;
use std::fmt;

/// Keypoint transfer mode (`--mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Source keypoints plus the driver's motion since its first frame, scaled by the ratio of
    /// the keypoint hulls' sizes (the official default; keeps the portrait's face shape).
    #[default]
    Relative,
    /// The driver's keypoints as they are (the face takes the driver's shape and position).
    Standard,
    /// Driver pose re-targeted onto the source identity by the AVD network.
    Avd,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::Relative => "relative",
            Mode::Standard => "standard",
            Mode::Avd => "avd",
        })
    }
}

/// Stateful keypoint transfer over a video: relative mode remembers the first driving frame.
#[derive(Debug, Clone)]
pub struct KeypointTransfer {
    mode: Mode,
    initial: Option<(Vec<[f32; 2]>, f64)>,
}

impl KeypointTransfer {
    /// A transfer in `mode`, before the first frame.
    pub fn new(mode: Mode) -> Self {
        KeypointTransfer {
            mode,
            initial: None,
        }
    }

    /// Keypoints to animate the source with for one driving frame whose detected keypoints are
    /// `kp_driving` (1, 5K, 2). The first call in relative mode sets the reference frame.
    pub fn transfer(
        &mut self,
        model: &Tpsmm,
        source: &PreparedSource,
        kp_driving: &candle_core::Tensor,
    ) -> Result<Vec<[f32; 2]>> {
        match self.mode {
            Mode::Standard => points(kp_driving),
            Mode::Avd => points(&model.avd(&source.kp, kp_driving)?),
            Mode::Relative => {
                let driving = points(kp_driving)?;
                let (initial, area) = self.initial.get_or_insert_with(|| {
                    let area = convex_hull_area(&driving);
                    (driving.clone(), area)
                });
                let scale = relative_scale(source.hull_area, *area) as f32;
                Ok(driving
                    .iter()
                    .zip(initial.iter())
                    .zip(&source.kp_points)
                    .map(|((d, i), s)| [(d[0] - i[0]) * scale + s[0], (d[1] - i[1]) * scale + s[1]])
                    .collect())
            }
        }
    }

    /// The relative-mode reference keypoints as a tensor, once set.
    pub fn initial(&self, device: &candle_core::Device) -> Result<Option<candle_core::Tensor>> {
        self.initial
            .as_ref()
            .map(|(p, _)| points_tensor(p, device))
            .transpose()
    }
}

/// sqrt(source area) / sqrt(initial driving area); 1 when the driving hull is degenerate.
pub(super) fn relative_scale(source_area: f64, initial_area: f64) -> f64 {
    if initial_area > 0.0 {
        source_area.sqrt() / initial_area.sqrt()
    } else {
        1.0
    }
}
