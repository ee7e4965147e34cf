//! Interrupting a run (the Ctrl-C handler calls `remove_partial_outputs`) leaves no partial
//! files. Alone in its own test binary because the cleanup is process-wide.

use sfumato::media::{self, Fps, OutputSpec, VideoWriter};

#[test]
fn interrupted_writers_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let frame = image::RgbImage::from_pixel(32, 32, image::Rgb([10, 200, 30]));
    let mut writers = Vec::new();
    for name in ["a.mp4", "a.gif", "frames/"] {
        let spec = OutputSpec::new(tmp.path().join(name), Fps { num: 25, den: 1 }, 32, 32);
        let mut w = VideoWriter::create(spec).unwrap();
        w.write_frame(&frame).unwrap();
        writers.push(w);
    }
    let count = || std::fs::read_dir(tmp.path()).unwrap().count();
    assert!(count() >= 3, "temporary outputs exist while writing");
    media::remove_partial_outputs();
    assert_eq!(count(), 0, "nothing left after the interrupt cleanup");
    std::mem::forget(writers); // as when the process exits from the signal handler
}
