//! The XMP metadata slot: the packet the watermark module builds is carried, unchanged, in MP4
//! (`uuid` box), GIF (XMP application extension + comment) and PNG (`iTXt`) outputs, and read back.

use crate::error::io_error;
use crate::{Error, Result};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// The UUID of the ISO BMFF box that holds an XMP packet (Adobe XMP spec, part 3).
pub const XMP_UUID: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];
/// The PNG `iTXt` keyword for XMP.
pub const PNG_XMP_KEYWORD: &str = "XML:com.adobe.xmp";
/// Application identifier + authentication code of the GIF XMP extension.
pub(crate) const GIF_XMP_APP_ID: &[u8; 11] = b"XMP DataXMP";

/// True when the file starts like an ISO BMFF (MP4/MOV) file.
pub(crate) fn is_mp4(path: &Path) -> bool {
    let mut head = [0u8; 8];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && [&b"ftyp"[..], b"moov", b"mdat", b"free", b"wide", b"uuid"].contains(&&head[4..8])
}

/// Reads the XMP packet of an MP4, GIF or PNG file (for a PNG frame folder: of its first frame),
/// `Ok(None)` when the file carries none.
pub fn read_xmp(path: &Path) -> Result<Option<String>> {
    if path.is_dir() {
        let mut frames: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| io_error(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
            .collect();
        frames.sort();
        return match frames.first() {
            Some(first) => read_xmp(first),
            None => Ok(None),
        };
    }
    let mut head = [0u8; 8];
    let mut file = File::open(path).map_err(|e| io_error(path, e))?;
    let n = file.read(&mut head).map_err(|e| io_error(path, e))?;
    let head = &head[..n];
    let bad = |e: std::io::Error| Error::bad_input(path, format!("cannot read its metadata: {e}"));
    if head.starts_with(b"\x89PNG") {
        read_png_xmp(path)
    } else if head.starts_with(b"GIF8") {
        read_gif_xmp(BufReader::new(
            File::open(path).map_err(|e| io_error(path, e))?,
        ))
        .map_err(bad)
    } else if is_mp4(path) {
        read_mp4_xmp(&mut BufReader::new(file)).map_err(bad)
    } else {
        Err(Error::bad_input(path, "not an MP4, GIF or PNG file"))
    }
}

fn read_png_xmp(path: &Path) -> Result<Option<String>> {
    let file = File::open(path).map_err(|e| io_error(path, e))?;
    let reader = png::Decoder::new(BufReader::new(file))
        .read_info()
        .map_err(|e| Error::bad_input(path, format!("unreadable PNG: {e}")))?;
    for chunk in &reader.info().utf8_text {
        if chunk.keyword == PNG_XMP_KEYWORD {
            let text = chunk
                .get_text()
                .map_err(|e| Error::bad_input(path, format!("damaged XMP iTXt chunk: {e}")))?;
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// Walks ISO BMFF boxes in `[start, end)` looking for the XMP `uuid` box, descending into
/// `moov` and `udta`.
fn find_uuid_box<R: Read + Seek>(
    r: &mut R,
    start: u64,
    end: u64,
) -> std::io::Result<Option<String>> {
    let mut pos = start;
    while pos + 8 <= end {
        r.seek(SeekFrom::Start(pos))?;
        let mut header = [0u8; 8];
        r.read_exact(&mut header)?;
        let mut size = u64::from(u32::from_be_bytes(header[..4].try_into().expect("4 bytes")));
        let mut header_len = 8;
        if size == 1 {
            let mut large = [0u8; 8];
            r.read_exact(&mut large)?;
            size = u64::from_be_bytes(large);
            header_len = 16;
        } else if size == 0 {
            size = end - pos;
        }
        if size < header_len || pos + size > end {
            return Ok(None);
        }
        match &header[4..8] {
            b"uuid" if size >= header_len + 16 => {
                let mut uuid = [0u8; 16];
                r.read_exact(&mut uuid)?;
                if uuid == XMP_UUID {
                    let mut payload = vec![0; (size - header_len - 16) as usize];
                    r.read_exact(&mut payload)?;
                    return Ok(Some(String::from_utf8_lossy(&payload).into_owned()));
                }
            }
            b"moov" | b"udta" => {
                if let Some(x) = find_uuid_box(r, pos + header_len, pos + size)? {
                    return Ok(Some(x));
                }
            }
            _ => {}
        }
        pos += size;
    }
    Ok(None)
}

fn read_mp4_xmp<R: Read + Seek>(r: &mut R) -> std::io::Result<Option<String>> {
    let end = r.seek(SeekFrom::End(0))?;
    find_uuid_box(r, 0, end)
}

fn skip_sub_blocks<R: BufRead>(r: &mut R, mut keep: Option<&mut Vec<u8>>) -> std::io::Result<()> {
    loop {
        let mut len = [0u8; 1];
        r.read_exact(&mut len)?;
        if len[0] == 0 {
            return Ok(());
        }
        let mut block = vec![0; usize::from(len[0])];
        r.read_exact(&mut block)?;
        if let Some(keep) = keep.as_deref_mut() {
            keep.extend_from_slice(&block);
        }
    }
}

/// Skips the colour table a GIF screen or image descriptor's `flags` announce, if any.
fn skip_color_table<R: Read>(r: &mut R, flags: u8) -> std::io::Result<()> {
    if flags & 0x80 != 0 {
        std::io::copy(&mut r.take(3 << ((flags & 7) + 1)), &mut std::io::sink())?;
    }
    Ok(())
}

/// Scans GIF blocks for the XMP application extension (raw packet ended by the 258-byte
/// "magic trailer"), falling back to a comment extension holding an XMP packet.
fn read_gif_xmp<R: BufRead>(mut r: R) -> std::io::Result<Option<String>> {
    let mut header = [0u8; 13];
    r.read_exact(&mut header)?;
    skip_color_table(&mut r, header[10])?;
    let mut comment_xmp = None;
    loop {
        let mut kind = [0u8; 1];
        if r.read(&mut kind)? == 0 {
            return Ok(comment_xmp);
        }
        match kind[0] {
            0x3B => return Ok(comment_xmp),
            0x2C => {
                let mut desc = [0u8; 9];
                r.read_exact(&mut desc)?;
                skip_color_table(&mut r, desc[8])?;
                let mut min_code = [0u8; 1];
                r.read_exact(&mut min_code)?;
                skip_sub_blocks(&mut r, None)?;
            }
            0x21 => {
                let mut label = [0u8; 1];
                r.read_exact(&mut label)?;
                if label[0] == 0xFF {
                    let mut len = [0u8; 1];
                    r.read_exact(&mut len)?;
                    let mut id = vec![0; usize::from(len[0])];
                    r.read_exact(&mut id)?;
                    if id == GIF_XMP_APP_ID {
                        let mut packet = Vec::new();
                        r.read_until(0x01, &mut packet)?;
                        // The packet ends where the magic trailer (0x01, 0xFF, 0xFE, …, 0x00) starts.
                        packet.pop();
                        return Ok(Some(String::from_utf8_lossy(&packet).into_owned()));
                    }
                    skip_sub_blocks(&mut r, None)?;
                } else if label[0] == 0xFE {
                    let mut text = Vec::new();
                    skip_sub_blocks(&mut r, Some(&mut text))?;
                    let text = String::from_utf8_lossy(&text).into_owned();
                    if comment_xmp.is_none() && text.contains("<x:xmpmeta") {
                        comment_xmp = Some(text);
                    }
                } else {
                    skip_sub_blocks(&mut r, None)?;
                }
            }
            _ => return Ok(comment_xmp),
        }
    }
}

/// The GIF XMP application extension for `xmp`: identifier, raw packet, magic trailer.
pub(crate) fn gif_xmp_extension(xmp: &str) -> Vec<u8> {
    let mut ext = vec![0x21, 0xFF, 11];
    ext.extend_from_slice(GIF_XMP_APP_ID);
    ext.extend_from_slice(xmp.as_bytes());
    ext.push(0x01);
    ext.extend((0..=255u8).rev());
    ext.push(0x00);
    ext
}

/// The MP4 `uuid` box carrying `xmp`.
pub(crate) fn mp4_xmp_box(xmp: &str) -> Vec<u8> {
    let size = (8 + 16 + xmp.len()) as u32;
    let mut b = Vec::with_capacity(size as usize);
    b.extend_from_slice(&size.to_be_bytes());
    b.extend_from_slice(b"uuid");
    b.extend_from_slice(&XMP_UUID);
    b.extend_from_slice(xmp.as_bytes());
    b
}
