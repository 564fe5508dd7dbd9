//! The command line against a reader of its output that goes away (`dtsen … | head`).

use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_stops_the_command_quietly() {
    // A pipe whose reader is gone before the command starts: its first line fails.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_dtsen"))
        .args(["generate", "--rate", "list=0"])
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("dtsen runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}

#[test]
fn an_open_stdout_gets_everything() {
    let out = Command::new(env!("CARGO_BIN_EXE_dtsen"))
        .args(["generate", "--rate", "list=0"])
        .output()
        .expect("dtsen runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.lines().count() > 5, "{text}");
}
