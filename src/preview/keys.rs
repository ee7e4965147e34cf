//! The preview's keyboard: which key does what. The same [`Action`]s can be sent from code
//! through a [`super::PreviewControl`].

use winit::keyboard::{Key, NamedKey};

/// Something the user can ask the preview window to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Space: pause or resume playback.
    TogglePause,
    /// ← / →: pause and show the previous (-1) or next (+1) frame.
    Step(i32),
    /// L: loop at the end of the clip, or stop on the last frame.
    ToggleLoop,
    /// D: show or hide the driver frame as a picture-in-picture.
    ToggleDriver,
    /// K: show or hide the landmark overlay.
    ToggleKeypoints,
    /// F: toggle borderless fullscreen.
    ToggleFullscreen,
    /// S: save the current frame through the caller's save hook (which watermarks it).
    SaveFrame,
    /// Q or the window's close button: close the window; a running export goes on.
    Close,
    /// Esc: close; while an export runs, a second Esc within a few seconds cancels it.
    Escape,
}

/// The action bound to `key`, if any. Letters match in either case.
pub(super) fn action_for_key(key: &Key) -> Option<Action> {
    match key {
        Key::Named(NamedKey::Space) => Some(Action::TogglePause),
        Key::Named(NamedKey::ArrowLeft) => Some(Action::Step(-1)),
        Key::Named(NamedKey::ArrowRight) => Some(Action::Step(1)),
        Key::Named(NamedKey::Escape) => Some(Action::Escape),
        Key::Character(c) => match c.to_ascii_lowercase().as_str() {
            " " => Some(Action::TogglePause),
            "l" => Some(Action::ToggleLoop),
            "d" => Some(Action::ToggleDriver),
            "k" => Some(Action::ToggleKeypoints),
            "f" => Some(Action::ToggleFullscreen),
            "s" => Some(Action::SaveFrame),
            "q" => Some(Action::Close),
            _ => None,
        },
        _ => None,
    }
}

/// One line per key, for `--help` texts and the README.
pub const KEY_HELP: &str =
    "space pause/resume · ←/→ step · L loop · D driver picture-in-picture · \
K keypoints · F fullscreen · S save frame (watermarked PNG) · Q close (export goes on) · \
Esc close, Esc twice cancels the export";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_the_documented_actions() {
        assert_eq!(
            action_for_key(&Key::Named(NamedKey::Space)),
            Some(Action::TogglePause)
        );
        assert_eq!(
            action_for_key(&Key::Named(NamedKey::ArrowLeft)),
            Some(Action::Step(-1))
        );
        assert_eq!(
            action_for_key(&Key::Character("S".into())),
            Some(Action::SaveFrame)
        );
        assert_eq!(
            action_for_key(&Key::Character("q".into())),
            Some(Action::Close)
        );
        assert_eq!(action_for_key(&Key::Character("x".into())), None);
    }
}
