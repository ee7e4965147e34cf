//! The preview flags as a clap argument group, so every command that generates frames offers
//! the same `--preview`, `--preview-only`, `--no-preview` and `--kiosk` (`#[command(flatten)]`),
//! mapped onto the library's [`PreviewMode`], [`WindowPlan`] and [`PreviewOptions`].

use sfumato::preview::{Environment, PreviewMode, PreviewOptions, WindowPlan};
use std::path::Path;

/// Live preview flags. Without any of them a window opens only when `animate` runs in an
/// interactive terminal, and closes by itself once the export is written and shown, so scripts,
/// pipes, CI and servers never wait on a window.
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Eq)]
pub struct PreviewArgs {
    /// Open the live preview window even when not run from a terminal, and keep it open, playing,
    /// after the export is written until you close it. Keys: space pause, ←/→ step, L loop,
    /// D driver inset, K keypoints, F fullscreen, S save frame, Q close (export goes on),
    /// Esc twice cancel the export.
    #[arg(long, conflicts_with_all = ["preview_only", "no_preview"])]
    pub preview: bool,
    /// Play the animation in the preview window without writing any file.
    #[arg(long, conflicts_with = "no_preview")]
    pub preview_only: bool,
    /// Never open a preview window (the default already opens none outside a terminal).
    #[arg(long)]
    pub no_preview: bool,
    /// Museum mode: fullscreen preview, cursor hidden, looping forever (implies --preview).
    #[arg(long, conflicts_with = "no_preview")]
    pub kiosk: bool,
}

impl PreviewArgs {
    /// The mode the flags select.
    pub fn mode(&self) -> PreviewMode {
        if self.no_preview {
            PreviewMode::Off
        } else if self.preview_only {
            PreviewMode::Only
        } else if self.preview {
            PreviewMode::On
        } else {
            PreviewMode::Auto
        }
    }

    /// Whether and how to open the window in this process's session.
    pub fn plan(&self) -> WindowPlan {
        self.mode().plan(self.kiosk, Environment::detect())
    }

    /// Window options for a job on `portrait` (the generator tells the clip's rate, size and
    /// length later, with [`sfumato::preview::FrameSender::set_clip`]).
    pub fn options(&self, portrait: &Path) -> PreviewOptions {
        let name = portrait.file_name().unwrap_or(portrait.as_os_str());
        PreviewOptions {
            title: format!("Sfumato — {}", name.to_string_lossy()),
            kiosk: self.kiosk,
            looping: self.kiosk,
            ..PreviewOptions::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        preview: PreviewArgs,
    }

    fn parse(args: &[&str]) -> Result<PreviewArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("animate").chain(args.iter().copied()))
            .map(|c| c.preview)
    }

    #[test]
    fn flags_select_modes() {
        assert_eq!(parse(&[]).unwrap().mode(), PreviewMode::Auto);
        assert_eq!(parse(&["--preview"]).unwrap().mode(), PreviewMode::On);
        assert_eq!(
            parse(&["--preview-only"]).unwrap().mode(),
            PreviewMode::Only
        );
        assert_eq!(parse(&["--no-preview"]).unwrap().mode(), PreviewMode::Off);
        assert!(parse(&["--preview", "--no-preview"]).is_err());
        assert!(parse(&["--kiosk", "--no-preview"]).is_err());
        let kiosk = parse(&["--kiosk"]).unwrap();
        let opts = kiosk.options(Path::new("/art/mona.jpg"));
        assert!(opts.kiosk && opts.looping);
        assert_eq!(opts.title, "Sfumato — mona.jpg");
    }
}
