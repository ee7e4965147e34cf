//! Rates shown in the window title and timings returned to the caller.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Events per second over the last second (at least the last two events).
pub(crate) struct RateMeter {
    times: VecDeque<Instant>,
}

impl RateMeter {
    pub(super) fn new() -> Self {
        Self {
            times: VecDeque::new(),
        }
    }

    pub(super) fn record(&mut self, t: Instant) {
        self.times.push_back(t);
        while self.times.len() > 2 && t - self.times[0] > Duration::from_secs(1) {
            self.times.pop_front();
        }
    }

    /// Rate over the recorded window; 0 before two events, or when the last one is older than
    /// two seconds (generation or playback has stopped).
    pub(super) fn rate(&self, now: Instant) -> f64 {
        match (self.times.front(), self.times.back()) {
            (Some(&a), Some(&b)) if b > a && now - b < Duration::from_secs(2) => {
                (self.times.len() - 1) as f64 / (b - a).as_secs_f64()
            }
            _ => 0.0,
        }
    }
}

/// Summary of a set of durations, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    /// Number of samples.
    pub count: usize,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// Largest sample.
    pub max_ms: f64,
}

impl Timing {
    /// Summarises `samples` (empty gives all zeros).
    pub fn of(samples: &[Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Self {
            count: ms.len(),
            mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
            p50_ms: at(0.5),
            p95_ms: at(0.95),
            max_ms: ms[ms.len() - 1],
        }
    }
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "mean {:.2} ms, median {:.2}, p95 {:.2}, max {:.2} (n={})",
            self.mean_ms, self.p50_ms, self.p95_ms, self.max_ms, self.count
        )
    }
}

/// What the preview measured while it ran.
#[derive(Clone, Debug, Default)]
pub struct PreviewStats {
    /// Frames received from the generator.
    pub frames_received: usize,
    /// Distinct frames that reached the screen at least once.
    pub frames_shown: usize,
    /// Time to upload, draw and present one picture, on the window's thread.
    pub present: Timing,
    /// From a frame's `generated_at` to the end of its first present.
    pub lag: Timing,
    /// Name of the graphics adapter used (e.g. "llvmpipe (LLVM 15.0.6, 256 bits)").
    pub adapter: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_timing() {
        let t0 = Instant::now();
        let mut m = RateMeter::new();
        for i in 0..=10 {
            m.record(t0 + Duration::from_millis(40 * i));
        }
        assert!((m.rate(t0 + Duration::from_millis(400)) - 25.0).abs() < 1e-6);
        assert_eq!(m.rate(t0 + Duration::from_secs(5)), 0.0);
        let t = Timing::of(&[1, 2, 3, 4, 10].map(Duration::from_millis));
        assert_eq!((t.p50_ms, t.max_ms, t.mean_ms), (3.0, 10.0, 4.0));
    }
}
