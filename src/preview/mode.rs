//! Whether to open a window at all: the `--preview` / `--preview-only` / `--no-preview` choice
//! and the default, which must never leave a script waiting on a window.

use std::io::IsTerminal;

/// The preview the user asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PreviewMode {
    /// No flag: open a window only in an interactive terminal session (stdin and stderr are
    /// terminals). The window closes by itself once the export is written and the clip was shown,
    /// so the command never waits for the user. Scripts, pipes, CI and cron get no window.
    #[default]
    Auto,
    /// `--preview`: open a window even when not interactive; it stays open, playing, after the
    /// export is written, until the user closes it.
    On,
    /// `--preview-only`: play in the window and write no file.
    Only,
    /// `--no-preview`: never open a window.
    Off,
}

/// The facts about the session that the default depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Environment {
    /// A person is at a terminal: stdin and stderr are both terminals.
    pub interactive: bool,
}

impl Environment {
    /// Looks at this process's stdin and stderr.
    pub fn detect() -> Self {
        Self {
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        }
    }
}

/// What the job should do about the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowPlan {
    /// Export without a window and say nothing about it.
    NoWindow,
    /// Try to open the window (and print the one-line notice if it cannot open).
    Open {
        /// Close by itself after the clip was shown (see [`super::PreviewOptions::close_when_done`]).
        close_when_done: bool,
        /// A file is being written (false for `--preview-only`).
        exporting: bool,
    },
}

impl PreviewMode {
    /// Decides the window for this mode; `kiosk` (`--kiosk`) implies a window that stays open.
    pub fn plan(self, kiosk: bool, env: Environment) -> WindowPlan {
        match self {
            PreviewMode::Off => WindowPlan::NoWindow,
            PreviewMode::Only => WindowPlan::Open {
                close_when_done: false,
                exporting: false,
            },
            PreviewMode::On => WindowPlan::Open {
                close_when_done: false,
                exporting: true,
            },
            PreviewMode::Auto if kiosk => PreviewMode::On.plan(kiosk, env),
            PreviewMode::Auto if env.interactive => WindowPlan::Open {
                close_when_done: true,
                exporting: true,
            },
            PreviewMode::Auto => WindowPlan::NoWindow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTY: Environment = Environment { interactive: true };
    const SCRIPT: Environment = Environment { interactive: false };

    #[test]
    fn default_never_blocks_a_script() {
        assert_eq!(PreviewMode::Auto.plan(false, SCRIPT), WindowPlan::NoWindow);
        assert_eq!(
            PreviewMode::Auto.plan(false, TTY),
            WindowPlan::Open {
                close_when_done: true,
                exporting: true
            }
        );
    }

    #[test]
    fn explicit_flags_win() {
        assert_eq!(PreviewMode::Off.plan(true, TTY), WindowPlan::NoWindow);
        assert_eq!(
            PreviewMode::Only.plan(false, SCRIPT),
            WindowPlan::Open {
                close_when_done: false,
                exporting: false
            }
        );
        assert_eq!(
            PreviewMode::Auto.plan(true, SCRIPT),
            PreviewMode::On.plan(false, SCRIPT)
        );
    }
}
