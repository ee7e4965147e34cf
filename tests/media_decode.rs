//! Decoding the real driver videos and portraits in ../shared/media.

mod common;

use sfumato::media;

#[test]
fn public_drivers_decode_every_frame_at_their_size_and_rate() {
    let Some(shared) = common::shared_dir("public_drivers_decode_every_frame") else {
        return;
    };
    // (file, width, height, fps, frames) as ffprobe reports them.
    for (name, w, h, fps, frames) in [
        ("driving_d0.mp4", 512, 512, 25, 78),
        ("driving_d18.mp4", 480, 480, 30, 216),
        ("driving_d20.mp4", 480, 480, 25, 175),
    ] {
        let path = shared.join("media/public").join(name);
        let mut video = media::open_video(&path).unwrap();
        let info = video.info().clone();
        assert_eq!((info.width, info.height), (w, h), "{name}");
        assert_eq!(info.fps, media::Fps { num: fps, den: 1 }, "{name}");
        assert_eq!(info.frame_count, frames, "{name}");
        let mut n = 0;
        while let Some(frame) = video.next_frame().unwrap() {
            assert_eq!(frame.dimensions(), (w, h), "{name} frame {n}");
            n += 1;
        }
        assert_eq!(n, frames, "{name}: decoded frame count");
    }
}

#[test]
fn portraits_load_upright_as_rgb() {
    let Some(shared) = common::shared_dir("portraits_load_upright_as_rgb") else {
        return;
    };
    for (name, w, h) in [
        ("media/public/source_s9.jpg", 720, 1280),
        ("media/public/source_s12.jpg", 375, 500),
        ("media/images/astronaut.png", 512, 512),
        ("media/images/grace_hopper.jpg", 512, 600),
    ] {
        let image = media::load_portrait(&shared.join(name)).unwrap();
        assert_eq!(image.dimensions(), (w, h), "{name}");
    }
}
