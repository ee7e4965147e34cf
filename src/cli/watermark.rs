//! `animate watermark embed|detect`: the watermark on single images, for checks and benchmarks.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use sfumato::media;
use sfumato::watermark::{self, Marker, Payload};
use sfumato::{Error, Result};

/// Embed or detect the invisible watermark in a single image.
///
/// The watermark carries 32 bits. Sfumato's own exports put a synthetic-media marker (0x53),
/// the tool version and a random export id in them; here any payload can be given.
#[derive(Args, Debug)]
pub struct WatermarkArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand, Debug)]
enum Action {
    /// Write a watermarked copy of a PNG (same size; the input is never overwritten).
    Embed {
        /// Image to mark (PNG, or any format `verify` reads).
        input: PathBuf,
        /// Where to write the marked PNG.
        output: PathBuf,
        /// Payload as up to 8 hex digits; default: Sfumato's export payload with a random id.
        #[arg(long, value_name = "HEX")]
        payload: Option<String>,
        /// Replace OUTPUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Print the payload found in an image as hex, or `none` (false claims on an image never
    /// marked: at most 1e-6).
    Detect {
        /// Image to check (PNG, JPEG, GIF first frame…).
        input: PathBuf,
    },
}

/// Runs the subcommand and returns the exit code.
pub fn run(args: WatermarkArgs) -> i32 {
    super::exit_code(execute(args))
}

fn execute(args: WatermarkArgs) -> Result<()> {
    match args.action {
        Action::Embed {
            input,
            output,
            payload,
            force,
        } => {
            let payload = match payload {
                Some(hex) => Payload::from_hex(&hex).ok_or_else(|| {
                    Error::BadInput(format!(
                        "--payload {hex:?}: expected up to 8 hexadecimal digits, e.g. a5c3e19f"
                    ))
                })?,
                None => Payload::for_export(),
            };
            media::check_output_path(&output, &[&input], force)?;
            let mut img = media::load_portrait(&input)?;
            Marker::new(payload).for_stills().embed(&mut img);
            media::write_png(&output, &img, None, force)?;
            println!("{payload}");
        }
        Action::Detect { input } => {
            let img = media::load_portrait(&input)?;
            let detection = watermark::detect(&img);
            match detection.search {
                Some(m) => eprintln!(
                    "sync score {:.1}, decoder failed, best codeword {}",
                    detection.sync_score,
                    super::verify::match_scores(&m)
                ),
                None => eprintln!("sync score {:.1}", detection.sync_score),
            }
            match detection.payload {
                Some(p) => println!("{p}"),
                None => println!("none"),
            }
        }
    }
    Ok(())
}
