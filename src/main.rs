//! `animate`: the command-line front end of Sfumato, a thin layer over the `sfumato` library.

mod cli;

fn main() {
    skip_vulkan_device_select_without_session();
    std::process::exit(cli::run());
}

/// Mesa's Vulkan device-select layer connects to Wayland while GPUs are listed, and without a
/// desktop session (servers, ssh, CI) libwayland then prints "error: XDG_RUNTIME_DIR is invalid
/// or not set" — a false alarm in the middle of a normal run. The layer only reorders GPUs,
/// which the warp engine's adapter request does itself, so it is skipped when there is no
/// session. Called first, while the process still has a single thread.
fn skip_vulkan_device_select_without_session() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none()
        && std::env::var_os("NODEVICE_SELECT").is_none()
    {
        std::env::set_var("NODEVICE_SELECT", "1");
    }
}
