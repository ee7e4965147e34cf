//! `animate verify`: is this file synthetic? Watermark first, metadata second.

use std::path::PathBuf;

use clap::Args;
use sfumato::pipeline::verify::{verify_file_with_progress, Report};
use sfumato::watermark::{Match, Search};

use super::progress::Progress;

/// Check a file for Sfumato's invisible watermark and its provenance metadata.
///
/// Every frame Sfumato exports carries an invisible watermark with 32 bits: a synthetic-media
/// marker, the tool version and a random export id, protected by error correction and a 40-bit
/// keyed check. It survives re-encoding, resizing, cropping and GIF conversion; a video's frames
/// are combined (a video longer than 250 frames: 250 frames spread over it, decided as a whole
/// and in parts of 25, so that a marked clip inside a longer video is found too; every part where
/// it is found on its own is listed). A watermark is reported when the check passes, or, when
/// the noise is too strong for the decoder, when a whole codeword (one of the 65536 export
/// payloads of this version, or any payload a list search finds) matches the evidence far beyond
/// chance; the chance of a false claim on a file never marked is printed with the result: at
/// most 1e-6 for an image, 1e-9 for a whole video.
///
/// Exit status: 0 watermark found (synthetic), 1 no watermark found, 2 file unreadable.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// File to check: MP4/MOV (H.264), GIF, PNG, JPEG or WebP.
    file: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs the check and returns the exit code: 0 watermark found, 1 none, 2 unreadable file.
pub fn run(args: VerifyArgs) -> i32 {
    let mut bar: Option<Progress> = None;
    let checked = verify_file_with_progress(&args.file, &mut |total| {
        bar.get_or_insert_with(|| Progress::new("verifying", Some(total), args.json))
            .inc()
    });
    if let Some(bar) = bar {
        bar.finish();
    }
    match checked {
        Ok(report) => {
            if args.json {
                print_out(&format!("{}\n", to_json(&args, &report)));
            } else {
                print_text(&report);
            }
            if report.detection.payload.is_some() {
                0
            } else {
                1
            }
        }
        Err(e) => {
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({ "file": args.file, "error": e.to_string() })
                );
            }
            super::report_error(&e)
        }
    }
}

const METADATA_CAVEAT: &str =
    "metadata alone can be stripped or forged; the watermark is the stronger signal";

fn print_text(report: &Report) {
    use std::fmt::Write as _;
    let d = &report.detection;
    let mut text = String::new();
    let _ = match d.payload {
        Some(p) => writeln!(
            text,
            "synthetic: watermark found (payload {p}, false-positive probability {:.1e})\n  \
             payload: {}",
            d.false_positive_probability,
            p.describe()
        ),
        None => writeln!(text, "no watermark found"),
    };
    if let Some(m) = d.search.filter(|_| d.payload.is_some()) {
        let _ = writeln!(
            text,
            "  found by {} (the error-correcting decoder alone failed): {}",
            describe(m.search),
            match_scores(&m)
        );
    }
    let parts = &report.marked_parts;
    if !parts.is_empty() {
        let listed: Vec<String> = parts
            .iter()
            .map(|m| match d.payload {
                Some(p) if p == m.payload => format!("{}–{}", m.first, m.last),
                _ => format!("{}–{} (payload {})", m.first, m.last, m.payload),
            })
            .collect();
        let (listed, what) = (
            listed.join(", "),
            if parts.len() == 1 { "a part" } else { "parts" },
        );
        let _ = if report.from_part {
            writeln!(
                text,
                "  found in frames {listed}, {what} of the video (the video as a whole did not \
                 carry enough of it)"
            )
        } else {
            writeln!(
                text,
                "  also found in frames {listed}, {what} of the video, on their own"
            )
        };
    }
    let _ = writeln!(
        text,
        "  checked: {} {}, synchronisation score {:.1}{}",
        d.frames,
        if d.frames == 1 { "frame" } else { "frames" },
        d.sync_score,
        match d.search.filter(|_| d.payload.is_none()) {
            Some(m) => format!(", best {}", match_scores(&m)),
            None => String::new(),
        }
    );
    let _ = match &report.provenance {
        Some(m) => writeln!(
            text,
            "metadata: IPTC digital source type {} ({}), tool {}, engine {}\n  note: {METADATA_CAVEAT}",
            m.digital_source_type.rsplit('/').next().unwrap_or_default(),
            if m.declares_synthetic() {
                "synthetic"
            } else {
                "not declared synthetic"
            },
            m.creator_tool,
            m.engine
        ),
        None => writeln!(text, "metadata: none"),
    };
    print_out(&text);
}

/// A codeword match's two scores and what each needed, for the report.
pub(super) fn match_scores(m: &Match) -> String {
    format!(
        "match {:.1} standard deviations ({:.1} needed), {:.1} on the payload's own cells \
         ({:.1} needed)",
        m.score, m.threshold, m.payload_score, m.payload_threshold
    )
}

/// What a codeword search tried, for the report.
fn describe(search: Search) -> &'static str {
    match search {
        Search::Export => "matching every export payload of this version",
        Search::List => "a list search over all payloads",
    }
}

/// Prints to stdout, ignoring a closed pipe (`animate verify f | head -1`).
fn print_out(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn to_json(args: &VerifyArgs, report: &Report) -> serde_json::Value {
    let d = &report.detection;
    serde_json::json!({
        "file": args.file,
        "kind": report.kind,
        "synthetic": d.payload.is_some(),
        "watermark": {
            "found": d.payload.is_some(),
            "payload": d.payload.map(|p| p.to_string()),
            "payload_fields": d.payload.map(|p| p.describe()),
            "false_positive_probability": d.false_positive_probability,
            "sync_score": d.sync_score,
            "search": d.search.map(|m| serde_json::json!({
                "kind": match m.search {
                    Search::Export => "export",
                    Search::List => "list",
                },
                "score": m.score,
                "threshold": m.threshold,
                "payload_score": m.payload_score,
                "payload_threshold": m.payload_threshold,
            })),
            "frames_checked": d.frames,
            "found_in_frames": report
                .marked_parts
                .first()
                .filter(|_| report.from_part)
                .map(|m| [m.first, m.last]),
            "marked_parts": report.marked_parts.iter().map(|m| serde_json::json!({
                "first_frame": m.first,
                "last_frame": m.last,
                "payload": m.payload.to_string(),
            })).collect::<Vec<_>>(),
        },
        "metadata": report.provenance,
        "metadata_note": METADATA_CAVEAT,
    })
}
