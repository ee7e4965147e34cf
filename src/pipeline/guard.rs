//! The last-resort guard: a bug that panics while a frame is rendered becomes one error line
//! (exit 70) instead of a backtrace, and the half-written output is removed like on any other
//! error. Tests drive the engines directly, so a panic still fails them.

use crate::{Error, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`, turning a panic into [`Error::Internal`] naming `what` was being done
/// (e.g. "rendering frame 12 of talk.mp4").
pub fn guarded<T>(what: impl FnOnce() -> String, f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| Error::internal(&what(), &panic_message(payload.as_ref())))
}

/// The message a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_one_internal_error_line() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r: Result<()> = guarded(
            || "rendering frame 3 of d.mp4".into(),
            || panic!("min > max"),
        );
        std::panic::set_hook(prev);
        let e = r.unwrap_err();
        assert_eq!(e.exit_code(), 70);
        let msg = e.to_string();
        assert!(
            msg.starts_with("internal error while rendering frame 3 of d.mp4: min > max"),
            "{msg}"
        );
        assert!(
            msg.ends_with("please report it with the output of `animate probe`"),
            "{msg}"
        );
        assert!(!msg.contains('\n'));
        assert_eq!(guarded(|| unreachable!(), || 5).unwrap(), 5);
    }
}
