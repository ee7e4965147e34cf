//! Temporal smoothing of motion parameters: the One Euro filter (Casiry, Roussel & Vogel 2012),
//! which removes landmark jitter when the face is still and lags little when it moves fast.

use std::f64::consts::PI;

/// A One Euro filter over a vector of independent scalars sampled at a fixed rate.
#[derive(Debug, Clone)]
pub struct OneEuro {
    min_cutoff: f64,
    beta: f64,
    rate: f64,
    state: Option<(Vec<f64>, Vec<f64>)>,
}

/// Cut-off of the derivative's own low-pass filter, in Hz.
const DERIVATIVE_CUTOFF: f64 = 1.0;

impl OneEuro {
    /// A filter for samples arriving `rate` times a second. `min_cutoff` (Hz) sets the smoothing
    /// at rest, `beta` how fast the cut-off rises with speed (per unit of the values per second).
    pub fn new(rate: f64, min_cutoff: f64, beta: f64) -> Self {
        Self {
            min_cutoff,
            beta,
            rate,
            state: None,
        }
    }

    /// The smoothing factor of a first-order low-pass at `cutoff` Hz.
    fn alpha(&self, cutoff: f64) -> f64 {
        let tau = 1.0 / (2.0 * PI * cutoff);
        1.0 / (1.0 + tau * self.rate)
    }

    /// Replaces the filter's memory by `value` (used after easing through frames with no face).
    pub fn reset_to(&mut self, value: &[f64]) {
        self.state = Some((value.to_vec(), vec![0.0; value.len()]));
    }

    /// Filters one sample and returns the smoothed values.
    pub fn filter(&mut self, x: &[f64]) -> Vec<f64> {
        let a_d = self.alpha(DERIVATIVE_CUTOFF);
        let Some((prev, dprev)) = self.state.as_mut() else {
            self.state = Some((x.to_vec(), vec![0.0; x.len()]));
            return x.to_vec();
        };
        let mut out = Vec::with_capacity(x.len());
        for i in 0..x.len() {
            let d = (x[i] - prev[i]) * self.rate;
            let d_hat = dprev[i] + a_d * (d - dprev[i]);
            let cutoff = self.min_cutoff + self.beta * d_hat.abs();
            let tau = 1.0 / (2.0 * PI * cutoff);
            let a = 1.0 / (1.0 + tau * self.rate);
            let v = prev[i] + a * (x[i] - prev[i]);
            prev[i] = v;
            dprev[i] = d_hat;
            out.push(v);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_jitter_but_follows_a_step() {
        let mut f = OneEuro::new(25.0, 1.0, 3.0);
        let mut last = 0.0;
        let mut max_dev: f64 = 0.0;
        for i in 0..100 {
            let noise = if i % 2 == 0 { 0.01 } else { -0.01 };
            last = f.filter(&[noise])[0];
            if i > 10 {
                max_dev = max_dev.max(last.abs());
            }
        }
        assert!(max_dev < 0.004, "jitter left: {max_dev}");
        for _ in 0..10 {
            last = f.filter(&[1.0])[0];
        }
        assert!(last > 0.9, "lags behind a step: {last}");
    }
}
