//! The last-resort guard, end to end: a panic while a frame renders (injected with
//! `SFUMATO_PANIC_AT_FRAME`, debug builds only) reaches the user as one `internal error` line,
//! exit 70, without a backtrace, and leaves no output file behind. Runs from the repo alone.

mod common;

use common::{animate_bin, example};
use std::process::Command;

#[test]
fn a_panic_while_rendering_is_one_line_exit_70_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let driver = example("driver_talk.mp4");
    let run = Command::new(animate_bin())
        .arg(example("grace_hopper.jpg"))
        .arg("--driver")
        .arg(&driver)
        .args(["--max-size", "128", "--device", "cpu", "-o"])
        .arg(&out)
        .env("SFUMATO_PANIC_AT_FRAME", "7")
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(70), "{stderr}");
    let expected = format!(
        "error: internal error while rendering frame 7 of {}: injected panic",
        driver.display()
    );
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].starts_with(&expected), "{stderr}");
    assert!(errors[0].ends_with("please report it with the output of `animate probe`"));
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}
