//! The driver's AAC audio track, carried as compressed packets so writers copy it bit for bit.

use crate::Result;
use std::path::Path;

/// One AAC access unit as stored in the driver file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioPacket {
    /// The raw access unit (no ADTS header).
    pub data: Vec<u8>,
    /// Decode time in [`AudioTrack::timescale`] ticks, 0 for the first packet.
    pub dts: u64,
    /// Duration in ticks (1024 samples for AAC-LC).
    pub duration: u32,
}

/// An AAC audio track read from a driver video, ready to be copied without re-encoding.
///
/// Compressed audio is small (about 1 MB a minute), so all packets are held in memory.
#[derive(Clone, Debug)]
pub struct AudioTrack {
    /// MPEG-4 audio object type (2 = AAC-LC).
    pub object_type: u8,
    /// Sampling-frequency index of the AudioSpecificConfig.
    pub freq_index: u8,
    /// Channel configuration of the AudioSpecificConfig.
    pub chan_conf: u8,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channel count.
    pub channels: u16,
    /// Average bitrate in bits per second as the file declares it (0 if unknown).
    pub bitrate: u32,
    /// Ticks per second of `dts`/`duration` (usually the sample rate).
    pub timescale: u32,
    /// Where packet time 0 is presented relative to the first video frame, in ticks. Negative
    /// when the file's edit list skips encoder priming (typically -1024 for AAC): that many
    /// samples at the start are decoded but not played. Writers must reproduce it.
    pub start: i64,
    /// All packets in decode order.
    pub packets: Vec<AudioPacket>,
}

impl AudioTrack {
    /// Total duration of the packets in seconds (priming included).
    pub fn duration_s(&self) -> f64 {
        let ticks: u64 = self.packets.iter().map(|p| u64::from(p.duration)).sum();
        ticks as f64 / f64::from(self.timescale.max(1))
    }
}

/// Reads the AAC audio track of an MP4/MOV driver; `Ok(None)` for files without one (GIF,
/// frame folders, silent MP4).
pub fn read_audio(path: &Path) -> Result<Option<AudioTrack>> {
    if path.is_dir() || !super::xmp::is_mp4(path) {
        return Ok(None);
    }
    super::mp4_in::read_audio(path)
}
