//! A stand-in for the desktop's opener (`xdg-open`) that writes down what it was asked to
//! open, so a test can see which page calltray would have shown.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use super::DEFAULT_TIMEOUT;
use super::session::Session;

/// A `PATH` whose `xdg-open` appends its argument to `opened.txt` in the session folder.
pub fn opener(session: &Session) -> (std::ffi::OsString, std::path::PathBuf) {
    let bin = session.dir().join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let log = session.dir().join("opened.txt");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
    )
    .expect("writing the stand-in");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut path = bin.into_os_string();
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    (path, log)
}

pub fn opened(log: &std::path::Path, count: usize) -> Vec<String> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let lines: Vec<String> = std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if lines.len() >= count || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
