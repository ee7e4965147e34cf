//! The playback clock: which frame to show when, given what has been generated so far.
//!
//! Frames are shown as soon as they arrive while generation is slower than real time; once it is
//! ahead, they are shown at the driver's frame rate. Pure logic, no window, so it is unit-tested.

use std::time::{Duration, Instant};

/// Playback position and mode. Positions count frames in arrival order from 0.
pub(crate) struct Playback {
    period: Duration,
    pub paused: bool,
    pub looping: bool,
    pub generation_done: bool,
    current: Option<usize>,
    shown_at: Instant,
}

impl Playback {
    pub(super) fn new(fps: f64, looping: bool, now: Instant) -> Self {
        Self {
            period: period(fps),
            paused: false,
            looping,
            generation_done: false,
            current: None,
            shown_at: now,
        }
    }

    /// Changes the playback rate (the clip's rate became known).
    pub(super) fn set_fps(&mut self, fps: f64) {
        self.period = period(fps);
    }

    /// The position to show, if any frame has arrived.
    pub(super) fn current(&self) -> Option<usize> {
        self.current
    }

    /// Advances the clock to `now` with frames `first..end` available. Returns true when the
    /// position changed and the window must redraw.
    pub(super) fn tick(&mut self, now: Instant, first: usize, end: usize) -> bool {
        if first >= end {
            return false;
        }
        let Some(cur) = self.current else {
            self.show(first, now);
            return true;
        };
        if cur < first {
            self.show(first, now);
            return true;
        }
        if self.paused || now < self.shown_at + self.period {
            return false;
        }
        let next = if cur + 1 < end {
            cur + 1
        } else if self.looping && self.generation_done && end - first > 1 {
            first
        } else {
            return false;
        };
        // Keep a steady cadence when on time; restart it after a wait for a late frame.
        let due = self.shown_at + self.period;
        self.current = Some(next);
        self.shown_at = if now - due < self.period { due } else { now };
        true
    }

    /// When `tick` should next be called, or `None` to wait for a new frame or a key.
    pub(super) fn next_deadline(&self, first: usize, end: usize) -> Option<Instant> {
        let cur = self.current?;
        let more = cur + 1 < end || (self.looping && self.generation_done && end - first > 1);
        (!self.paused && more).then_some(self.shown_at + self.period)
    }

    /// Pauses and moves by `delta` frames within `first..end` (wrapping when looping).
    pub(super) fn step(&mut self, delta: i32, first: usize, end: usize, now: Instant) -> bool {
        self.paused = true;
        let Some(cur) = self.current else {
            return false;
        };
        let len = (end - first) as i64;
        let mut target = cur as i64 - first as i64 + i64::from(delta);
        if self.looping && self.generation_done {
            target = target.rem_euclid(len);
        } else {
            target = target.clamp(0, len - 1);
        }
        let target = first + target as usize;
        let changed = target != cur;
        self.show(target, now);
        changed
    }

    /// True when the last generated frame is on screen, generation is over and playback will
    /// not wrap around: the clip has been shown to the end.
    pub(super) fn at_end(&self, end: usize) -> bool {
        self.generation_done && !self.looping && self.current == end.checked_sub(1)
    }

    fn show(&mut self, pos: usize, now: Instant) {
        self.current = Some(pos);
        self.shown_at = now;
    }
}

/// One frame's duration at `fps`; 25 fps when the rate is unusable.
fn period(fps: f64) -> Duration {
    let fps = if fps.is_finite() && fps > 0.0 {
        fps
    } else {
        25.0
    };
    Duration::from_secs_f64(1.0 / fps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    #[test]
    fn shows_first_frame_at_once_then_plays_at_fps() {
        let t0 = Instant::now();
        let mut p = Playback::new(25.0, false, t0);
        assert!(!p.tick(t0, 0, 0));
        assert!(p.tick(t0, 0, 10));
        assert_eq!(p.current(), Some(0));
        assert!(!p.tick(ms(t0, 39), 0, 10));
        assert_eq!(p.next_deadline(0, 10), Some(ms(t0, 40)));
        assert!(p.tick(ms(t0, 40), 0, 10));
        assert!(p.tick(ms(t0, 81), 0, 10));
        assert_eq!(p.current(), Some(2));
        // Cadence stays on the 40 ms grid despite the 1 ms late tick.
        assert_eq!(p.next_deadline(0, 10), Some(ms(t0, 120)));
    }

    #[test]
    fn a_late_frame_is_shown_as_soon_as_it_arrives() {
        let t0 = Instant::now();
        let mut p = Playback::new(25.0, false, t0);
        p.tick(t0, 0, 1);
        assert_eq!(p.next_deadline(0, 1), None, "nothing to advance to: wait");
        assert!(p.tick(ms(t0, 300), 0, 2));
        assert_eq!(p.current(), Some(1));
        assert_eq!(p.next_deadline(0, 3), Some(ms(t0, 340)));
    }

    #[test]
    fn pause_step_and_loop() {
        let t0 = Instant::now();
        let mut p = Playback::new(10.0, false, t0);
        p.tick(t0, 0, 3);
        p.paused = true;
        assert!(!p.tick(ms(t0, 500), 0, 3));
        assert!(!p.step(-1, 0, 3, t0), "already on the first frame");
        assert_eq!(p.current(), Some(0));
        p.step(5, 0, 3, t0);
        assert_eq!(p.current(), Some(2));
        p.paused = false;
        assert!(
            !p.tick(ms(t0, 1000), 0, 3),
            "no loop: stays on the last frame"
        );
        p.generation_done = true;
        assert!(p.at_end(3));
        p.looping = true;
        assert!(p.tick(ms(t0, 2000), 0, 3));
        assert_eq!(p.current(), Some(0));
        p.step(-1, 0, 3, t0);
        assert_eq!(p.current(), Some(2), "stepping wraps when looping");
    }

    #[test]
    fn evicted_frames_are_skipped() {
        let t0 = Instant::now();
        let mut p = Playback::new(25.0, false, t0);
        p.tick(t0, 0, 5);
        assert!(p.tick(t0, 3, 8));
        assert_eq!(p.current(), Some(3));
    }
}
