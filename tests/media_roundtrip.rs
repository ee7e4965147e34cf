//! Decode → encode → decode round trips on the real drivers in ../shared/media/public.

mod common;

use sfumato::media::{self, OutputSpec, VideoWriter};
use std::path::Path;
use std::process::Command;

/// Copies `input` (first `limit` frames) into `out` with its audio; returns frames written.
fn transcode(input: &Path, out: &Path, limit: usize, xmp: Option<&str>) -> u64 {
    let mut video = media::open_video(input).unwrap();
    let info = video.info().clone();
    let mut spec = OutputSpec::new(out, info.fps, info.width, info.height);
    spec.audio = media::read_audio(input).unwrap();
    spec.xmp = xmp.map(String::from);
    let mut writer = VideoWriter::create(spec).unwrap();
    for frame in video.by_ref().take(limit) {
        writer.write_frame(&frame.unwrap()).unwrap();
    }
    let n = writer.frames_written();
    writer.finish().unwrap();
    n
}

/// Mean and minimum PSNR of `b` against `a`, frame by frame; asserts equal frame counts.
fn compare(a: &Path, b: &Path, limit: usize) -> (f64, f64) {
    let (mut ra, mut rb) = (media::open_video(a).unwrap(), media::open_video(b).unwrap());
    let (mut sum, mut min, mut n) = (0.0, f64::MAX, 0);
    loop {
        match (
            ra.next_frame().unwrap().filter(|_| n < limit),
            rb.next_frame().unwrap(),
        ) {
            (Some(fa), Some(fb)) => {
                let p = common::psnr(&fa, &fb);
                sum += p;
                min = min.min(p);
                n += 1;
            }
            (None, None) => break,
            (x, y) => panic!(
                "frame counts differ at frame {n}: {} vs {}",
                x.is_some(),
                y.is_some()
            ),
        }
    }
    (sum / n as f64, min)
}

fn top_level_boxes(path: &Path) -> Vec<String> {
    let data = std::fs::read(path).unwrap();
    let mut pos = 0;
    let mut boxes = Vec::new();
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        boxes.push(String::from_utf8_lossy(&data[pos + 4..pos + 8]).into_owned());
        assert!(size >= 8, "bad box size");
        pos += size;
    }
    boxes
}

#[test]
fn mp4_round_trip_keeps_frames_size_rate_and_quality() {
    let Some(shared) = common::shared_dir("mp4_round_trip") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for name in ["driving_d0.mp4", "driving_d18.mp4", "driving_d20.mp4"] {
        let input = shared.join("media/public").join(name);
        let out = tmp.path().join(name);
        transcode(&input, &out, usize::MAX, None);
        let (a, b) = (
            media::open_video(&input).unwrap(),
            media::open_video(&out).unwrap(),
        );
        let (ia, ib) = (a.info(), b.info());
        assert_eq!(
            (ib.width, ib.height, ib.fps, ib.frame_count),
            (ia.width, ia.height, ia.fps, ia.frame_count),
            "{name}"
        );
        let (mean, min) = compare(&input, &out, usize::MAX);
        eprintln!("{name}: PSNR mean {mean:.2} dB, min {min:.2} dB");
        assert!(min >= 35.0, "{name}: min PSNR {min:.2} dB < 35");
        let boxes = top_level_boxes(&out);
        let (moov, mdat) = (
            boxes.iter().position(|b| b == "moov"),
            boxes.iter().position(|b| b == "mdat"),
        );
        assert!(
            moov.unwrap() < mdat.unwrap(),
            "{name}: moov must precede mdat: {boxes:?}"
        );
    }
}

#[test]
fn d20_audio_is_copied_bit_exact_and_in_sync() {
    let Some(shared) = common::shared_dir("d20_audio") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let input = shared.join("media/public/driving_d20.mp4");
    let out = tmp.path().join("d20.mp4");
    transcode(&input, &out, usize::MAX, None);
    let a = media::read_audio(&input).unwrap().unwrap();
    let b = media::read_audio(&out).unwrap().unwrap();
    // The priming skip (edit list) survives: audio starts at the same instant relative to video.
    assert_eq!(a.start, b.start);
    assert!(a.start < 0, "d20 declares encoder priming");
    // Every packet that starts before the video ends is copied, byte for byte.
    let video_s = 175.0 / 25.0;
    let expected = a
        .packets
        .iter()
        .filter(|p| (p.dts as i64 + a.start) as f64 / f64::from(a.timescale) < video_s)
        .count();
    assert_eq!(b.packets.len(), expected);
    for (i, (pa, pb)) in a.packets.iter().zip(&b.packets).enumerate() {
        assert_eq!(pa.data, pb.data, "packet {i}");
        assert_eq!(pa.dts, pb.dts, "packet {i} timing");
    }
    if common::ffmpeg_available("ffmpeg cross-checks") {
        // Decoded PCM, with each file's edit list applied by ffmpeg, must match sample for
        // sample: zero offset, well within one frame (40 ms).
        let pcm = |p: &Path| {
            let o = Command::new("ffmpeg")
                .args(["-v", "error", "-i"])
                .arg(p)
                .args(["-map", "0:a", "-f", "s16le", "-"])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            o.stdout
        };
        let (pa, pb) = (pcm(&input), pcm(&out));
        let n = pb.len().min(pa.len()) - 4 * 2048;
        assert!(n > 4 * 44100 * 6, "at least 6 s of audio compared");
        assert!(pa[..n] == pb[..n], "decoded audio differs: out of sync");
        let o = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&out)
            .args(["-f", "null", "-"])
            .output()
            .unwrap();
        assert!(
            o.stderr.is_empty(),
            "ffmpeg complains: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn gif_and_png_outputs_read_back_with_their_xmp() {
    let Some(shared) = common::shared_dir("gif_and_png_outputs") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let input = shared.join("media/public/driving_d18.mp4");
    let xmp = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">test ü</x:xmpmeta><?xpacket end="w"?>"#;

    let gif = tmp.path().join("d18.gif");
    assert_eq!(transcode(&input, &gif, 30, Some(xmp)), 30);
    let reader = media::open_video(&gif).unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height, info.frame_count), (480, 480, 30));
    assert!(
        (info.duration_s - 1.0).abs() < 0.011,
        "30 frames at 30 fps last 1 s: {}",
        info.duration_s
    );
    let (mean, min) = compare(&input, &gif, 30);
    eprintln!("GIF: PSNR mean {mean:.2} dB, min {min:.2} dB");
    assert!(min >= 28.0, "GIF min PSNR {min:.2}");
    assert_eq!(media::read_xmp(&gif).unwrap().as_deref(), Some(xmp));

    let dir = tmp.path().join("frames/");
    assert_eq!(transcode(&input, &dir, 5, Some(xmp)), 5);
    let (_, min) = compare(&input, &dir, 5);
    assert_eq!(min, 100.0, "PNG frames are lossless");
    assert_eq!(media::read_xmp(&dir).unwrap().as_deref(), Some(xmp));
    assert!(dir.join("frame_000005.png").is_file());

    let mp4 = tmp.path().join("x.mp4");
    transcode(&input, &mp4, 3, Some(xmp));
    assert_eq!(media::read_xmp(&mp4).unwrap().as_deref(), Some(xmp));
    assert_eq!(
        media::read_xmp(&shared.join("media/public/driving_d0.mp4")).unwrap(),
        None
    );
    if common::ffmpeg_available("ffmpeg cross-checks") {
        for f in [&gif, &mp4] {
            let o = Command::new("ffmpeg")
                .args(["-v", "error", "-i"])
                .arg(f)
                .args(["-f", "null", "-"])
                .output()
                .unwrap();
            assert!(
                o.status.success() && o.stderr.is_empty(),
                "{}: {}",
                f.display(),
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}

#[test]
fn outputs_are_atomic_and_never_clobber() {
    let Some(shared) = common::shared_dir("outputs_are_atomic") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let input = shared.join("media/public/driving_d0.mp4");
    let frame = media::open_video(&input)
        .unwrap()
        .next_frame()
        .unwrap()
        .unwrap();
    let fps = media::Fps { num: 25, den: 1 };
    for name in ["a.mp4", "a.gif", "a/"] {
        let out = tmp.path().join(name);
        let mut w = VideoWriter::create(OutputSpec::new(&out, fps, 512, 512)).unwrap();
        w.write_frame(&frame).unwrap();
        drop(w); // abandoned mid-way: nothing may remain
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "{name}: left behind {left:?}");
    }
    let out = tmp.path().join("b.gif");
    std::fs::write(&out, b"precious").unwrap();
    let err = VideoWriter::create(OutputSpec::new(&out, fps, 512, 512))
        .err()
        .unwrap();
    assert_eq!(err.exit_code(), 2);
    assert!(
        matches!(err, sfumato::Error::OutputExists(ref p) if p == &out),
        "{err}"
    );
    assert_eq!(std::fs::read(&out).unwrap(), b"precious");
    let mut spec = OutputSpec::new(&out, fps, 512, 512);
    spec.force = true;
    let mut w = VideoWriter::create(spec).unwrap();
    w.write_frame(&frame).unwrap();
    w.finish().unwrap();
    assert_ne!(std::fs::read(&out).unwrap(), b"precious");
    let err = media::check_output_path(&input, &[&input], true).unwrap_err();
    assert!(err.to_string().contains("one of the inputs"), "{err}");
    let err = VideoWriter::create(OutputSpec::new(tmp.path().join("x.avi"), fps, 512, 512))
        .err()
        .unwrap();
    assert!(err.to_string().contains(".avi"), "{err}");
}
