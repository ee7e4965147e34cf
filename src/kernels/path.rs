//! The switch between the fast kernels and the stock candle compositions.
//!
//! Networks call the kernel entry points unconditionally; which implementation runs is chosen per
//! thread, so a parity test or a benchmark can run the same network both ways side by side.
//! The default is [`KernelPath::Fast`], or [`KernelPath::Stock`] when the environment variable
//! `SFUMATO_KERNELS=stock` is set (to rule the kernels out when chasing a numerical problem).

use std::cell::Cell;
use std::sync::OnceLock;

/// Which implementation the kernel entry points run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelPath {
    /// The custom CPU kernels (f32 on the CPU; anything else still runs the stock path).
    Fast,
    /// The stock candle compositions in [`super::stock`], the numerical reference.
    Stock,
}

thread_local! {
    static CURRENT: Cell<Option<KernelPath>> = const { Cell::new(None) };
}

/// The process default: `Stock` when `SFUMATO_KERNELS=stock`, else `Fast`.
fn process_default() -> KernelPath {
    static DEFAULT: OnceLock<KernelPath> = OnceLock::new();
    *DEFAULT.get_or_init(|| match std::env::var("SFUMATO_KERNELS") {
        Ok(v) if v.eq_ignore_ascii_case("stock") => KernelPath::Stock,
        _ => KernelPath::Fast,
    })
}

/// The implementation kernel calls on this thread run now.
pub fn kernel_path() -> KernelPath {
    CURRENT.with(|c| c.get()).unwrap_or_else(process_default)
}

/// Runs `f` with the kernel entry points on this thread using `path`, then restores the
/// previous choice (also when `f` panics).
pub fn with_kernel_path<R>(path: KernelPath, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<KernelPath>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(path))));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_switch_restores() {
        let before = kernel_path();
        let inner = with_kernel_path(KernelPath::Stock, || {
            let nested = with_kernel_path(KernelPath::Fast, kernel_path);
            (kernel_path(), nested)
        });
        assert_eq!(inner, (KernelPath::Stock, KernelPath::Fast));
        assert_eq!(kernel_path(), before);
    }
}
