//! One-Euro filter (Casiez, Roussel & Vogel 2012): strong smoothing when a value is still,
//! little lag when it moves fast, because the cutoff frequency rises with the speed. Used here
//! on landmarks; generic over any vector of scalars sampled at a fixed rate.

use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// One-Euro parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OneEuroParams {
    /// Cutoff frequency at rest, in Hz: lower removes more jitter.
    pub min_cutoff: f64,
    /// How fast the cutoff rises with speed (per value unit per second): higher follows fast
    /// motion with less lag.
    pub beta: f64,
    /// Cutoff of the speed estimate itself, in Hz.
    pub derivative_cutoff: f64,
}

impl Default for OneEuroParams {
    /// Tuned for landmarks measured in face sizes (see [`LandmarkSmoother`]).
    fn default() -> Self {
        Self {
            min_cutoff: 0.5,
            beta: 60.0,
            derivative_cutoff: 1.0,
        }
    }
}

/// Smoothing factor of a first-order low-pass at `cutoff` Hz for samples `rate` times a second.
fn alpha(cutoff: f64, rate: f64) -> f64 {
    let tau = 1.0 / (2.0 * PI * cutoff);
    1.0 / (1.0 + tau * rate)
}

/// A One-Euro filter over a vector of independent scalars sampled `rate` times a second.
#[derive(Debug, Clone)]
pub(crate) struct OneEuro {
    params: OneEuroParams,
    rate: f64,
    /// Last output and last smoothed speed of each scalar.
    state: Option<(Vec<f64>, Vec<f64>)>,
}

impl OneEuro {
    /// A filter for samples arriving `rate` times a second, with `min_cutoff` (Hz) and `beta`.
    pub(crate) fn new(rate: f64, min_cutoff: f64, beta: f64) -> Self {
        Self::with_params(
            rate,
            OneEuroParams {
                min_cutoff,
                beta,
                ..OneEuroParams::default()
            },
        )
    }

    /// A filter with all parameters given.
    pub(crate) fn with_params(rate: f64, params: OneEuroParams) -> Self {
        Self {
            params,
            rate,
            state: None,
        }
    }

    /// Forgets the past: the next sample passes through unchanged.
    pub(crate) fn reset(&mut self) {
        self.state = None;
    }

    /// Replaces the filter's memory by `value`, at rest.
    pub(crate) fn reset_to(&mut self, value: &[f64]) {
        self.state = Some((value.to_vec(), vec![0.0; value.len()]));
    }

    /// Filters one sample.
    pub(crate) fn filter(&mut self, x: &[f64]) -> Vec<f64> {
        self.filter_scaled(x, 1.0)
    }

    /// Filters one sample, measuring speeds in units of `speed_unit` (e.g. the face size, so
    /// the same `beta` suits small and large faces).
    pub(crate) fn filter_scaled(&mut self, x: &[f64], speed_unit: f64) -> Vec<f64> {
        let (p, rate) = (self.params, self.rate);
        let a_speed = alpha(p.derivative_cutoff, rate);
        match &mut self.state {
            Some((value, speed)) if value.len() == x.len() => {
                for i in 0..x.len() {
                    speed[i] += a_speed * ((x[i] - value[i]) * rate - speed[i]);
                    let cutoff = p.min_cutoff + p.beta * speed[i].abs() / speed_unit;
                    value[i] += alpha(cutoff, rate) * (x[i] - value[i]);
                }
                value.clone()
            }
            _ => {
                self.state = Some((x.to_vec(), vec![0.0; x.len()]));
                x.to_vec()
            }
        }
    }
}

/// One-Euro smoothing of a face's landmarks over video frames, with speeds measured in face
/// sizes (the long side of the landmarks' box) so one setting suits every face size.
#[derive(Debug, Clone)]
pub struct LandmarkSmoother {
    filter: OneEuro,
}

impl LandmarkSmoother {
    /// A smoother for frames arriving `fps` times a second.
    pub fn new(fps: f64, params: OneEuroParams) -> Self {
        Self {
            filter: OneEuro::with_params(fps, params),
        }
    }

    /// Forgets the past (after the face was lost).
    pub fn reset(&mut self) {
        self.filter.reset();
    }

    /// Smooths one frame's landmarks.
    pub fn smooth(&mut self, landmarks: &[[f32; 3]]) -> Vec<[f32; 3]> {
        let b = super::roi::landmark_bounds(landmarks);
        let size = (b[2] - b[0]).max(b[3] - b[1]).max(1.0) as f64;
        let flat: Vec<f64> = landmarks.iter().flatten().map(|&v| v as f64).collect();
        let out = self.filter.filter_scaled(&flat, size);
        out.chunks_exact(3)
            .map(|p| [p[0] as f32, p[1] as f32, p[2] as f32])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn still_noise_is_damped_and_steady_motion_is_followed() {
        let mut s = LandmarkSmoother::new(30.0, OneEuroParams::default());
        let mut seed = 1u32;
        let (mut raw, mut out) = (Vec::new(), Vec::new());
        for i in 0..90 {
            seed = seed.wrapping_mul(1664525).wrapping_add(1013904223);
            let n = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let smoothed = s.smooth(&[[100.0 + n, 100.0, 0.0], [300.0, 300.0, 0.0]]);
            if i > 30 {
                raw.push(100.0 + n);
                out.push(smoothed[0][0]);
            }
        }
        let std = |v: &[f32]| {
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32).sqrt()
        };
        let (raw, out) = (std(&raw), std(&out));
        assert!(
            out < 0.5 * raw,
            "still point: jitter {out} px after smoothing, {raw} px before"
        );
        s.reset();
        let mut lag = 0.0;
        for i in 0..30 {
            let x = 10.0 * i as f32;
            let out = s.smooth(&[[x, 0.0, 0.0], [x + 200.0, 200.0, 0.0]]);
            lag = x - out[0][0];
        }
        assert!(lag.abs() < 3.0, "lags {lag} px behind at 300 px/s");
    }
}
