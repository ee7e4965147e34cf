//! MP4/MOV input: `re_mp4` demuxes (plain, faststart and fragmented files), OpenH264 decodes.
//!
//! Samples are read from the file one at a time, so memory does not grow with video length.

use super::audio::{AudioPacket, AudioTrack};
use super::sps::{self, parse_sps};
use super::video::{unsupported, AudioInfo, Fps, FrameSource, VideoInfo};
use crate::error::io_error;
use crate::{Error, Result};
use image::RgbImage;
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig, Flush};
use openh264::formats::YUVSource;
use openh264::OpenH264API;
use re_mp4::{Mp4, StsdBoxContent, TrakBox};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// A parsed MP4 file with the reader positioned anywhere; samples are fetched by offset.
pub(crate) struct Demuxed {
    pub mp4: Mp4,
    pub file: BufReader<File>,
    pub len: u64,
}

/// Parses the boxes of an MP4/MOV file. `re_mp4` can panic on some malformed tables; that is
/// caught and reported as a damaged file rather than crashing the program.
pub(crate) fn demux(path: &Path) -> Result<Demuxed> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let len = file.metadata().map_err(|e| io_error(path, e))?.len();
    let mut file = BufReader::new(file);
    let parsed =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Mp4::read(&mut file, len)));
    let mp4 =
        match parsed {
            Ok(Ok(mp4)) => mp4,
            Ok(Err(e)) => {
                return Err(Error::bad_input(
                    path,
                    format!("damaged or truncated MP4/MOV file ({e}); re-export or re-download it"),
                ))
            }
            Err(_) => return Err(Error::bad_input(
                path,
                "damaged MP4/MOV file (inconsistent sample tables); re-export or re-download it",
            )),
        };
    Ok(Demuxed { mp4, file, len })
}

fn handler(trak: &TrakBox) -> [u8; 4] {
    trak.mdia.hdlr.handler_type.value
}

/// Opens the first video track for decoding, refusing undecodable codecs first.
pub(crate) fn open(path: &Path) -> Result<(VideoInfo, Mp4Video)> {
    let Demuxed { mp4, file, len } = demux(path)?;
    let trak = mp4
        .moov
        .traks
        .iter()
        .find(|t| &handler(t) == b"vide")
        .ok_or_else(|| Error::bad_input(path, "the file has no video track"))?;
    let avc = match &trak.mdia.minf.stbl.stsd.contents {
        StsdBoxContent::Avc1(avc1) => avc1,
        other => return Err(refuse_codec(path, other)),
    };
    let avcc = &avc.avcc.contents;
    let sps_nal = avcc
        .sequence_parameter_sets
        .first()
        .map(|n| n.bytes.clone())
        .ok_or_else(|| Error::bad_input(path, "the H.264 track has no SPS; the file is damaged"))?;
    let info_sps = parse_sps(&sps_nal).ok_or_else(|| {
        Error::bad_input(path, "the H.264 SPS cannot be parsed; the file is damaged")
    })?;
    check_sps(path, &info_sps)?;

    let track = mp4
        .tracks()
        .get(&trak.tkhd.track_id)
        .ok_or_else(|| Error::bad_input(path, "the video track has no sample table"))?;
    let samples: Vec<(u64, u64)> = track.samples.iter().map(|s| (s.offset, s.size)).collect();
    if samples.is_empty() {
        return Err(Error::bad_input(path, "the video track has no frames"));
    }
    if let Some(i) = samples.iter().position(|&(o, s)| o.saturating_add(s) > len) {
        return Err(Error::bad_input(
            path,
            format!(
                "the file is truncated: frame {} of {} lies past its end; re-export or re-download it",
                i + 1,
                samples.len()
            ),
        ));
    }
    let total_ticks: u64 = track.samples.iter().map(|s| s.duration).sum();
    let timescale = track.timescale.max(1);
    let first = track.samples[0].duration;
    let fps = if first > 0
        && track.samples[..track.samples.len() - 1]
            .iter()
            .all(|s| s.duration == first)
    {
        Fps::new(timescale, first)
    } else {
        Fps::new(samples.len() as u64 * timescale, total_ticks)
    };
    let frame_count = samples.len() as u64;
    let codec = track.codec_string(&mp4).unwrap_or_else(|| "avc1".into());
    let audio = audio_info(&mp4);
    let info = VideoInfo {
        container: "mp4".into(),
        codec: "h264".into(),
        profile: Some(format!(
            "{} ({codec})",
            sps::profile_name(info_sps.profile_idc)
        )),
        width: u32::from(avc.width),
        height: u32::from(avc.height),
        fps,
        frame_count,
        duration_s: frame_count as f64 / fps.as_f64(),
        audio,
    };

    let mut param_sets = Vec::new();
    for nal in avcc
        .sequence_parameter_sets
        .iter()
        .chain(&avcc.picture_parameter_sets)
    {
        param_sets.extend_from_slice(&[0, 0, 0, 1]);
        param_sets.extend_from_slice(&nal.bytes);
    }
    let config = DecoderConfig::new().flush_after_decode(Flush::NoFlush);
    let decoder = Decoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| Error::failed(path, format!("cannot start the H.264 decoder: {e}")))?;
    let video = Mp4Video {
        path: path.to_path_buf(),
        file,
        samples,
        next: 0,
        length_size: usize::from(avcc.length_size_minus_one & 3) + 1,
        param_sets,
        decoder,
        pending: VecDeque::new(),
        flushed: false,
        sample: Vec::new(),
        annexb: Vec::new(),
    };
    Ok((info, video))
}

/// The refusal message for a non-H.264 video track.
fn refuse_codec(path: &Path, contents: &StsdBoxContent) -> Error {
    let codec = contents.codec_string();
    let named = |name: &str| match &codec {
        Some(c) => format!("{name} ({c})"),
        None => name.to_string(),
    };
    let what = match contents {
        StsdBoxContent::Hev1(_) | StsdBoxContent::Hvc1(_) => named("HEVC/H.265 video"),
        StsdBoxContent::Av01(_) => named("AV1 video"),
        StsdBoxContent::Vp09(_) => named("VP9 video"),
        StsdBoxContent::Vp08(_) => named("VP8 video"),
        StsdBoxContent::Unknown(fourcc) => {
            let f = fourcc.to_string();
            let name = match f.as_str() {
                "apch" | "apcn" | "apcs" | "apco" | "ap4h" | "ap4x" => "Apple ProRes video",
                "mp4v" => "MPEG-4 Part 2 video",
                "hvc1" | "hev1" => "HEVC/H.265 video",
                "avc3" => "H.264 with in-band parameter sets (avc3)",
                _ => "this video codec",
            };
            return unsupported(path, &format!("{name} (sample entry '{f}')"), false);
        }
        _ => "this video codec".to_string(),
    };
    unsupported(path, &what, false)
}

/// Refuses H.264 variants OpenH264 cannot decode, before decoding starts.
fn check_sps(path: &Path, sps: &sps::SpsInfo) -> Result<()> {
    let profile = sps::profile_name(sps.profile_idc);
    if sps.bit_depth != 8 {
        return Err(unsupported(
            path,
            &format!("{}-bit H.264 ({profile} profile)", sps.bit_depth),
            false,
        ));
    }
    if sps.chroma_format_idc != 1 {
        let chroma = match sps.chroma_format_idc {
            0 => "monochrome",
            2 => "4:2:2",
            _ => "4:4:4",
        };
        return Err(unsupported(
            path,
            &format!("H.264 with {chroma} chroma ({profile} profile)"),
            false,
        ));
    }
    if !sps.frame_mbs_only {
        return Err(unsupported(path, "interlaced H.264", true));
    }
    Ok(())
}

fn is_aac(trak: &TrakBox) -> bool {
    &handler(trak) == b"soun"
        && matches!(trak.mdia.minf.stbl.stsd.contents, StsdBoxContent::Mp4a(_))
}

/// Channel count from the AAC channel configuration (the sample entry's count is often a
/// placeholder 2), falling back to the sample entry.
fn channels(chan_conf: u8, sample_entry: u16) -> u16 {
    match chan_conf {
        1..=6 => u16::from(chan_conf),
        7 => 8,
        _ => sample_entry,
    }
}

fn audio_info(mp4: &Mp4) -> Option<AudioInfo> {
    let trak = mp4.moov.traks.iter().find(|t| is_aac(t))?;
    let StsdBoxContent::Mp4a(mp4a) = &trak.mdia.minf.stbl.stsd.contents else {
        return None;
    };
    let dsd = &mp4a.esds.as_ref()?.es_desc.dec_config.dec_specific;
    Some(AudioInfo {
        codec: format!("mp4a.40.{}", dsd.profile),
        sample_rate: u32::from(mp4a.samplerate.value()),
        channels: channels(dsd.chan_conf, mp4a.channelcount),
        duration_s: trak.mdia.mdhd.duration as f64 / f64::from(trak.mdia.mdhd.timescale.max(1)),
    })
}

/// Reads the AAC track of an MP4/MOV file, packets and all, for copying into an output file.
pub(crate) fn read_audio(path: &Path) -> Result<Option<AudioTrack>> {
    let Demuxed { mp4, mut file, len } = demux(path)?;
    let Some(trak) = mp4.moov.traks.iter().find(|t| is_aac(t)) else {
        return Ok(None);
    };
    let StsdBoxContent::Mp4a(mp4a) = &trak.mdia.minf.stbl.stsd.contents else {
        return Ok(None);
    };
    let Some(esds) = &mp4a.esds else {
        return Ok(None);
    };
    let dec = &esds.es_desc.dec_config;
    let track = mp4
        .tracks()
        .get(&trak.tkhd.track_id)
        .ok_or_else(|| Error::bad_input(path, "the audio track has no sample table"))?;
    let mut packets = Vec::with_capacity(track.samples.len());
    for s in &track.samples {
        if s.offset.saturating_add(s.size) > len {
            return Err(Error::bad_input(
                path,
                "the file is truncated inside its audio track",
            ));
        }
        let mut data = vec![0; s.size as usize];
        file.seek(SeekFrom::Start(s.offset))
            .and_then(|_| file.read_exact(&mut data))
            .map_err(|e| io_error(path, e))?;
        packets.push(AudioPacket {
            data,
            dts: s.decode_timestamp.max(0) as u64,
            duration: s.duration as u32,
        });
    }
    let timescale = trak.mdia.mdhd.timescale.max(1);
    let movie_timescale = u64::from(mp4.moov.mvhd.timescale.max(1));
    let (delay, skip) = edit_list_start(trak, movie_timescale, u64::from(timescale));
    Ok(Some(AudioTrack {
        object_type: dec.dec_specific.profile,
        freq_index: dec.dec_specific.freq_index,
        chan_conf: dec.dec_specific.chan_conf,
        sample_rate: u32::from(mp4a.samplerate.value()),
        channels: channels(dec.dec_specific.chan_conf, mp4a.channelcount),
        bitrate: dec.avg_bitrate,
        timescale,
        start: delay as i64 - skip as i64,
        packets,
    }))
}

/// From an edit list: (empty-edit delay, media time skipped at the start), in media ticks.
fn edit_list_start(trak: &TrakBox, movie_timescale: u64, media_timescale: u64) -> (u64, u64) {
    let Some(elst) = trak.edts.as_ref().and_then(|e| e.elst.as_ref()) else {
        return (0, 0);
    };
    let mut delay = 0;
    for entry in &elst.entries {
        let empty = if elst.version == 1 {
            entry.media_time == u64::MAX
        } else {
            entry.media_time == u64::from(u32::MAX)
        };
        if empty {
            delay += entry.segment_duration * media_timescale / movie_timescale;
        } else {
            return (delay, entry.media_time);
        }
    }
    (delay, 0)
}

/// Decodes the video track sample by sample, returning frames in display order.
pub(crate) struct Mp4Video {
    path: PathBuf,
    file: BufReader<File>,
    samples: Vec<(u64, u64)>,
    next: usize,
    length_size: usize,
    param_sets: Vec<u8>,
    decoder: Decoder,
    pending: VecDeque<RgbImage>,
    flushed: bool,
    sample: Vec<u8>,
    annexb: Vec<u8>,
}

impl Mp4Video {
    /// Rewrites one length-prefixed (avcC) sample as Annex B, parameter sets first on frame 0.
    fn fill_annexb(&mut self) -> Result<()> {
        self.annexb.clear();
        if self.next == 0 {
            self.annexb.extend_from_slice(&self.param_sets);
        }
        let mut rest = &self.sample[..];
        while !rest.is_empty() {
            if rest.len() < self.length_size {
                return Err(self.damaged("a NAL length field is cut short"));
            }
            let n = rest[..self.length_size]
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            rest = &rest[self.length_size..];
            if n > rest.len() {
                return Err(self.damaged("a NAL unit runs past the end of its sample"));
            }
            self.annexb.extend_from_slice(&[0, 0, 0, 1]);
            self.annexb.extend_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        Ok(())
    }

    fn damaged(&self, what: &str) -> Error {
        Error::bad_input(
            &self.path,
            format!("frame {} is damaged: {what}", self.next + 1),
        )
    }
}

fn to_rgb(yuv: &DecodedYUV<'_>) -> RgbImage {
    let (w, h) = yuv.dimensions();
    let mut rgb = vec![0u8; w * h * 3];
    yuv.write_rgb8(&mut rgb);
    RgbImage::from_raw(w as u32, h as u32, rgb).expect("buffer sized w*h*3")
}

impl FrameSource for Mp4Video {
    fn next_frame(&mut self) -> Result<Option<RgbImage>> {
        while self.pending.is_empty() && self.next < self.samples.len() {
            let (offset, size) = self.samples[self.next];
            self.sample.resize(size as usize, 0);
            self.file
                .seek(SeekFrom::Start(offset))
                .and_then(|_| self.file.read_exact(&mut self.sample))
                .map_err(|e| io_error(&self.path, e))?;
            self.fill_annexb()?;
            let decoded = self
                .decoder
                .decode(&self.annexb)
                .map_err(|e| {
                    Error::bad_input(
                        &self.path,
                        format!("H.264 frame {} cannot be decoded: {e}", self.next + 1),
                    )
                })?
                .map(|yuv| to_rgb(&yuv));
            self.pending.extend(decoded);
            self.next += 1;
        }
        if self.pending.is_empty() && !self.flushed {
            self.flushed = true;
            let rest = self.decoder.flush_remaining().map_err(|e| {
                Error::bad_input(
                    &self.path,
                    format!("the last H.264 frames cannot be decoded: {e}"),
                )
            })?;
            let frames: Vec<RgbImage> = rest.iter().map(to_rgb).collect();
            self.pending.extend(frames);
        }
        Ok(self.pending.pop_front())
    }
}
