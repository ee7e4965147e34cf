//! MP4 output: OpenH264 (yuv420p, baseline-style stream), muxed with `mp4`, then rewritten with
//! `moov` first so browsers can stream it. The driver's AAC packets are copied unchanged, and
//! its edit list (the encoder-priming skip `mp4` would drop) is written back so audio stays in
//! sync with the frames.

use super::atomic::{self, AtomicFile, PartialGuard};
use super::writer::{FrameSink, OutputSpec, Quality};
use super::xmp::mp4_xmp_box;
use super::AudioTrack;
use crate::error::io_error;
use crate::{Error, Result};
use image::RgbImage;
use mp4::{
    AacConfig, AvcConfig, MediaConfig, Mp4Box, Mp4Config, Mp4Sample, Mp4Writer, TrackConfig,
    TrackType, WriteBox,
};
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, QpRange,
    RateControlMode,
};
use openh264::formats::{RgbSliceU8, YUVBuffer};
use openh264::OpenH264API;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// Movie timescale (mvhd, edit lists): milliseconds.
const MOVIE_TIMESCALE: u32 = 1000;
const VIDEO_TRACK: u32 = 1;
const AUDIO_TRACK: u32 = 2;

/// Streams frames through the encoder into a temporary MP4; `finish` writes the final file.
pub(crate) struct Mp4Sink {
    target: PathBuf,
    force: bool,
    xmp: Option<String>,
    encoder: Encoder,
    yuv: YUVBuffer,
    width: u32,
    height: u32,
    /// Video timescale and ticks per frame.
    timescale: u32,
    frame_ticks: u32,
    audio: Option<(AudioTrack, AacConfig)>,
    next_audio: usize,
    tmp: NamedTempFile,
    _partial: PartialGuard,
    mux: Option<Mp4Writer<BufWriter<File>>>,
    frames: u64,
    sample: Vec<u8>,
    crop: Option<RgbImage>,
}

fn aac_config(path: &Path, a: &AudioTrack) -> Result<AacConfig> {
    let bad = |what: &str| Error::bad_input(path, format!("the driver's audio track has {what}"));
    Ok(AacConfig {
        bitrate: a.bitrate,
        profile: a
            .object_type
            .try_into()
            .map_err(|_| bad("an unsupported AAC object type"))?,
        freq_index: a
            .freq_index
            .try_into()
            .map_err(|_| bad("an unsupported sample rate"))?,
        chan_conf: a
            .chan_conf
            .try_into()
            .map_err(|_| bad("an unsupported channel layout"))?,
    })
}

fn encoder_config(spec: &OutputSpec) -> EncoderConfig {
    let fps = spec.fps.as_f64() as f32;
    let config = EncoderConfig::new()
        .max_frame_rate(FrameRate::from_hz(fps))
        .skip_frames(false)
        .intra_frame_period(IntraFramePeriod::from_num_frames(
            (fps * 2.0).round().max(1.0) as u32,
        ));
    match spec.quality {
        // Constant QP: OpenH264 ignores QpRange with rate control off, so use quality mode
        // with a bitrate cap it never reaches.
        Quality::Qp(q) => config
            .rate_control_mode(RateControlMode::Quality)
            .bitrate(BitRate::from_bps(100_000_000))
            .qp(QpRange::new(q.min(51), q.min(51))),
        Quality::Bitrate(bps) => config
            .rate_control_mode(RateControlMode::Bitrate)
            .bitrate(BitRate::from_bps(bps.max(10_000))),
    }
}

impl Mp4Sink {
    pub(crate) fn create(spec: OutputSpec) -> Result<Mp4Sink> {
        atomic::check_output_path(&spec.path, &[], spec.force)?;
        let audio = match spec.audio.clone() {
            Some(a) => {
                let config = aac_config(&spec.path, &a)?;
                Some((a, config))
            }
            None => None,
        };
        let (width, height) = (spec.width & !1, spec.height & !1);
        let mut encoder =
            Encoder::with_api_config(OpenH264API::from_source(), encoder_config(&spec)).map_err(
                |e| Error::failed(&spec.path, format!("cannot start the H.264 encoder: {e}")),
            )?;
        silence_encoder_log(&mut encoder);
        let scale = if spec.fps.num >= 1000 {
            1
        } else {
            1000u32.div_ceil(spec.fps.num)
        };
        let tmp = atomic::temp_file_for(&spec.path)?;
        Ok(Mp4Sink {
            _partial: PartialGuard::new(tmp.path()),
            tmp,
            target: spec.path,
            force: spec.force,
            xmp: spec.xmp,
            encoder,
            yuv: YUVBuffer::new(width as usize, height as usize),
            width,
            height,
            timescale: spec.fps.num * scale,
            frame_ticks: spec.fps.den * scale,
            audio,
            next_audio: 0,
            mux: None,
            frames: 0,
            sample: Vec::new(),
            crop: None,
        })
    }

    fn failed(&self, what: impl std::fmt::Display) -> Error {
        Error::failed(&self.target, what)
    }

    /// Starts the muxer once the encoder has produced its SPS/PPS.
    fn start_mux(&mut self, sps: Vec<u8>, pps: Vec<u8>) -> Result<()> {
        let file = self
            .tmp
            .reopen()
            .map_err(|e| io_error(self.tmp.path(), e))?;
        let config = Mp4Config {
            major_brand: "isom".parse().expect("fourcc"),
            minor_version: 512,
            compatible_brands: ["isom", "iso2", "avc1", "mp41"]
                .iter()
                .map(|b| b.parse().expect("fourcc"))
                .collect(),
            timescale: MOVIE_TIMESCALE,
        };
        let mut mux = Mp4Writer::write_start(BufWriter::new(file), &config)
            .map_err(|e| self.failed(format!("cannot start the MP4 file: {e}")))?;
        let video = TrackConfig {
            track_type: TrackType::Video,
            timescale: self.timescale,
            language: "und".into(),
            media_conf: MediaConfig::AvcConfig(AvcConfig {
                width: self.width as u16,
                height: self.height as u16,
                seq_param_set: sps,
                pic_param_set: pps,
            }),
        };
        mux.add_track(&video).map_err(|e| self.failed(e))?;
        if let Some((track, config)) = &self.audio {
            let audio = TrackConfig {
                track_type: TrackType::Audio,
                timescale: track.timescale,
                language: "und".into(),
                media_conf: MediaConfig::AacConfig(config.clone()),
            };
            mux.add_track(&audio).map_err(|e| self.failed(e))?;
        }
        self.mux = Some(mux);
        Ok(())
    }

    /// Writes the audio packets that start before `until_s` (seconds of output time).
    fn write_audio_until(&mut self, until_s: f64) -> Result<()> {
        let (Some((track, _)), Some(mux)) = (&self.audio, &mut self.mux) else {
            return Ok(());
        };
        let ts = f64::from(track.timescale.max(1));
        while let Some(p) = track.packets.get(self.next_audio) {
            if (p.dts as i64 + track.start) as f64 / ts >= until_s {
                break;
            }
            let sample = Mp4Sample {
                start_time: p.dts,
                duration: p.duration,
                rendering_offset: 0,
                is_sync: true,
                bytes: bytes::Bytes::copy_from_slice(&p.data),
            };
            mux.write_sample(AUDIO_TRACK, &sample)
                .map_err(|e| Error::failed(&self.target, format!("cannot write audio: {e}")))?;
            self.next_audio += 1;
        }
        Ok(())
    }
}

/// OpenH264 prints a harmless warning on stderr while initialising (frame skipping is off on
/// purpose: every frame must be kept). Its log level is only set after that, so set it first.
fn silence_encoder_log(encoder: &mut Encoder) {
    let mut quiet = openh264_sys2::WELS_LOG_QUIET;
    // SAFETY: the encoder object exists (created with the API); OpenH264 accepts the trace
    // level option before initialisation and only reads the pointed-to integer during the call.
    unsafe {
        encoder.raw_api().set_option(
            openh264_sys2::ENCODER_OPTION_TRACE_LEVEL,
            std::ptr::addr_of_mut!(quiet).cast(),
        );
    }
}

/// Strips an Annex B start code from one NAL unit as OpenH264 returns it.
fn strip_start_code(nal: &[u8]) -> &[u8] {
    if nal.starts_with(&[0, 0, 0, 1]) {
        &nal[4..]
    } else if nal.starts_with(&[0, 0, 1]) {
        &nal[3..]
    } else {
        nal
    }
}

impl FrameSink for Mp4Sink {
    fn write_frame(&mut self, frame: &RgbImage) -> Result<()> {
        let frame = if frame.dimensions() != (self.width, self.height) {
            let cropped =
                image::imageops::crop_imm(frame, 0, 0, self.width, self.height).to_image();
            self.crop.insert(cropped)
        } else {
            frame
        };
        let (w, h) = (self.width as usize, self.height as usize);
        self.yuv.read_rgb8(RgbSliceU8::new(frame.as_raw(), (w, h)));
        let encoded = self
            .encoder
            .encode(&self.yuv)
            .map_err(|e| Error::failed(&self.target, format!("H.264 encoding failed: {e}")))?;
        let is_sync = encoded.frame_type() == FrameType::IDR;
        let (mut sps, mut pps) = (None, None);
        self.sample.clear();
        for l in 0..encoded.num_layers() {
            let Some(layer) = encoded.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(n).map(strip_start_code) else {
                    continue;
                };
                match nal.first().map(|b| b & 0x1F) {
                    Some(7) => sps = Some(nal.to_vec()),
                    Some(8) => pps = Some(nal.to_vec()),
                    Some(9) | None => {}
                    Some(_) => {
                        self.sample
                            .extend_from_slice(&(nal.len() as u32).to_be_bytes());
                        self.sample.extend_from_slice(nal);
                    }
                }
            }
        }
        if self.sample.is_empty() {
            return Err(self.failed(format!("the H.264 encoder dropped frame {}", self.frames)));
        }
        if self.mux.is_none() {
            let (Some(sps), Some(pps)) = (sps, pps) else {
                return Err(self.failed("the H.264 encoder produced no SPS/PPS"));
            };
            self.start_mux(sps, pps)?;
        }
        let sample = Mp4Sample {
            start_time: self.frames * u64::from(self.frame_ticks),
            duration: self.frame_ticks,
            rendering_offset: 0,
            is_sync,
            bytes: bytes::Bytes::copy_from_slice(&self.sample),
        };
        let target = self.target.clone();
        self.mux
            .as_mut()
            .expect("started above")
            .write_sample(VIDEO_TRACK, &sample)
            .map_err(|e| Error::failed(&target, format!("cannot write video: {e}")))?;
        self.frames += 1;
        let t = (self.frames * u64::from(self.frame_ticks)) as f64 / f64::from(self.timescale);
        self.write_audio_until(t)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let video_s =
            (self.frames * u64::from(self.frame_ticks)) as f64 / f64::from(self.timescale);
        self.write_audio_until(video_s)?;
        let mut mux = self
            .mux
            .take()
            .ok_or_else(|| self.failed("no frames were written"))?;
        mux.write_end()
            .map_err(|e| self.failed(format!("cannot finish the MP4 file: {e}")))?;
        mux.into_writer()
            .flush()
            .map_err(|e| io_error(self.tmp.path(), e))?;
        let edit = self.audio.as_ref().map(|(track, _)| {
            let written = &track.packets[..self.next_audio];
            audio_edit_list(track, written.iter().map(|p| u64::from(p.duration)).sum())
        });
        faststart(
            self.tmp.path(),
            &self.target,
            self.force,
            edit,
            self.xmp.as_deref(),
        )
    }
}

/// The audio edit list, as (segment duration in movie ticks, media time in audio ticks; `None`
/// for an empty edit), that presents the copied audio exactly as the driver did: an empty edit
/// for a delayed start, then a skip of the encoder-priming samples (usually 1024).
fn audio_edit_list(track: &AudioTrack, written_ticks: u64) -> Vec<(u64, Option<u64>)> {
    let ts = u64::from(track.timescale.max(1));
    let to_movie = |ticks: u64| ticks * u64::from(MOVIE_TIMESCALE) / ts;
    let skip = (-track.start).max(0) as u64;
    let mut entries = Vec::new();
    if track.start > 0 {
        entries.push((to_movie(track.start as u64), None));
    }
    entries.push((to_movie(written_ticks.saturating_sub(skip)), Some(skip)));
    entries
}

/// Reads a top-level box header at the reader's position: (type, total size, header size).
fn box_header(r: &mut impl Read, remaining: u64) -> std::io::Result<([u8; 4], u64, u64)> {
    let mut h = [0u8; 8];
    r.read_exact(&mut h)?;
    let size = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
    let kind = [h[4], h[5], h[6], h[7]];
    Ok(match size {
        1 => {
            let mut large = [0u8; 8];
            r.read_exact(&mut large)?;
            (kind, u64::from_be_bytes(large), 16)
        }
        0 => (kind, remaining, 8),
        _ => (kind, size, 8),
    })
}

/// Rewrites the muxer's file (ftyp, mdat, moov) as ftyp, moov, XMP, mdat into `target`,
/// shifting chunk offsets and adding the audio edit list.
fn faststart(
    tmp: &Path,
    target: &Path,
    force: bool,
    audio_edit: Option<Vec<(u64, Option<u64>)>>,
    xmp: Option<&str>,
) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| {
        Error::failed(target, format!("cannot finish the MP4 file: {e}"))
    };
    let len = std::fs::metadata(tmp).map_err(|e| io_error(tmp, e))?.len();
    let mut src = BufReader::new(File::open(tmp).map_err(|e| io_error(tmp, e))?);
    let (mut ftyp, mut mdat) = (None, None);
    let mut pos = 0;
    while pos < len {
        src.seek(SeekFrom::Start(pos)).map_err(|e| fail(&e))?;
        let (kind, size, _) = box_header(&mut src, len - pos).map_err(|e| fail(&e))?;
        match &kind {
            b"ftyp" => ftyp = Some((pos, size)),
            b"mdat" => mdat = Some((pos, size)),
            _ => {}
        }
        pos += size.max(8);
    }
    let (Some((ftyp_pos, ftyp_size)), Some((mdat_pos, mdat_size))) = (ftyp, mdat) else {
        return Err(fail(&"the muxer wrote no ftyp/mdat box"));
    };
    src.seek(SeekFrom::Start(0)).map_err(|e| fail(&e))?;
    let mut moov = mp4::Mp4Reader::read_header(&mut src, len)
        .map_err(|e| fail(&e))?
        .moov;
    if let (Some(edits), Some(trak)) = (audio_edit, moov.traks.get_mut(AUDIO_TRACK as usize - 1)) {
        // `mp4` exports no names for the edit-list boxes, hence `Default` and field writes.
        let elst = trak
            .edts
            .insert(Default::default())
            .elst
            .insert(Default::default());
        for (segment, media_time) in edits {
            elst.entries.push(Default::default());
            let entry = elst.entries.last_mut().expect("just pushed");
            entry.segment_duration = segment;
            entry.media_time = media_time.unwrap_or(u64::from(u32::MAX));
            entry.media_rate = 1;
        }
    }
    let xmp_box = xmp.map(mp4_xmp_box).unwrap_or_default();
    // Moving mdat after moov shifts every chunk offset by the same amount. Offsets that no
    // longer fit 32 bits need co64, which changes moov's size: iterate until stable.
    let shift = loop {
        let new_mdat_pos = ftyp_size + moov.box_size() + xmp_box.len() as u64;
        let shift = new_mdat_pos - mdat_pos;
        let mut changed = false;
        for trak in &mut moov.traks {
            let stbl = &mut trak.mdia.minf.stbl;
            if let Some(stco) = &stbl.stco {
                if stco
                    .entries
                    .iter()
                    .any(|&o| u64::from(o) + shift > u64::from(u32::MAX))
                {
                    let entries = stco.entries.iter().map(|&o| u64::from(o)).collect();
                    stbl.co64.insert(Default::default()).entries = entries;
                    stbl.stco = None;
                    changed = true;
                }
            }
        }
        if !changed {
            break shift;
        }
    };
    for trak in &mut moov.traks {
        let stbl = &mut trak.mdia.minf.stbl;
        if let Some(stco) = &mut stbl.stco {
            stco.entries.iter_mut().for_each(|o| *o += shift as u32);
        }
        if let Some(co64) = &mut stbl.co64 {
            co64.entries.iter_mut().for_each(|o| *o += shift);
        }
    }
    let mut out = AtomicFile::create(target, force)?;
    {
        let mut w = BufWriter::new(out.file());
        let copy = |src: &mut BufReader<File>, from: u64, n: u64, w: &mut BufWriter<&mut File>| {
            src.seek(SeekFrom::Start(from))?;
            std::io::copy(&mut src.take(n), w).map(drop)
        };
        copy(&mut src, ftyp_pos, ftyp_size, &mut w).map_err(|e| io_error(target, e))?;
        moov.write_box(&mut w).map_err(|e| fail(&e))?;
        w.write_all(&xmp_box).map_err(|e| io_error(target, e))?;
        copy(&mut src, mdat_pos, mdat_size, &mut w).map_err(|e| io_error(target, e))?;
        w.flush().map_err(|e| io_error(target, e))?;
    }
    out.commit()
}
