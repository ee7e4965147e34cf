//! The 32 bits every watermark carries, and what Sfumato puts in them.

use std::fmt;
use std::hash::{BuildHasher, Hasher};

/// Marker byte of a payload written by Sfumato's exporter ('S', synthetic).
pub const SYNTHETIC_MARKER: u8 = 0x53;

/// A 32-bit watermark payload. Sfumato's exports use the layout
/// `[marker 0x53][tool version major<<4 | minor][16-bit random export id]`; the
/// `watermark embed --payload` command can carry any 32 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Payload(pub u32);

impl Payload {
    /// The payload for a new export: synthetic marker, this tool's version and a random id that
    /// tells one export from another.
    pub fn for_export() -> Self {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        Self::new_export(h.finish() as u16)
    }

    /// The export payload with a given id.
    pub fn new_export(export_id: u16) -> Self {
        Payload((Self::export_prefix() as u32) << 16 | export_id as u32)
    }

    /// The first 16 bits every export payload of this tool version shares: marker and version.
    pub fn export_prefix() -> u16 {
        (SYNTHETIC_MARKER as u16) << 8 | tool_version_byte() as u16
    }

    /// Parses hexadecimal (optionally `0x`-prefixed, at most 8 digits).
    pub fn from_hex(s: &str) -> Option<Self> {
        let digits = s.trim().trim_start_matches("0x");
        if digits.is_empty() || digits.len() > 8 {
            return None;
        }
        u32::from_str_radix(digits, 16).ok().map(Payload)
    }

    /// The tool version and export id, if this payload has Sfumato's export layout.
    pub fn export_fields(self) -> Option<(String, u16)> {
        let [marker, version, hi, lo] = self.0.to_be_bytes();
        (marker == SYNTHETIC_MARKER).then(|| {
            (
                format!("{}.{}", version >> 4, version & 15),
                u16::from_be_bytes([hi, lo]),
            )
        })
    }

    /// A short human description of the payload's fields.
    pub fn describe(self) -> String {
        match self.export_fields() {
            Some((version, id)) => {
                format!("synthetic-media marker, made by Sfumato {version}, export id {id:04x}")
            }
            None => "custom payload (not Sfumato's export layout)".into(),
        }
    }
}

impl fmt::Display for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

fn tool_version_byte() -> u8 {
    let major: u8 = env!("CARGO_PKG_VERSION_MAJOR").parse().unwrap_or(0);
    let minor: u8 = env!("CARGO_PKG_VERSION_MINOR").parse().unwrap_or(0);
    (major.min(15) << 4) | minor.min(15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_fields() {
        assert_eq!(Payload::from_hex("a5c3e19f"), Some(Payload(0xa5c3_e19f)));
        assert_eq!(Payload::from_hex("0x1"), Some(Payload(1)));
        assert_eq!(Payload::from_hex("123456789"), None);
        assert_eq!(Payload::from_hex("zz"), None);
        assert_eq!(Payload(0xa5c3_e19f).to_string(), "a5c3e19f");
        let p = Payload::new_export(0xbeef);
        assert_eq!(p.export_fields(), Some(("0.1".into(), 0xbeef)));
        assert_eq!(Payload(0xa5c3_e19f).export_fields(), None);
    }
}
