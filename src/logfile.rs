//! The agent's log file: rotated by size so it stays bounded, and never a reason to stop.
//!
//! The moving of files is file-rotate's; when to rotate is decided here, from the file's size
//! on disk before each line. file-rotate left to itself counts the bytes it was handed (even
//! those it could not write), remembers which old files it saw when it started, and asserts
//! both are still true when it rotates: an unwritable folder, or a user deleting the old logs,
//! made it panic. So it never rotates on its own (`ContentLimit::None`); at the limit a fresh
//! one is made, which looks at the folder again, and told to rotate. The size on disk also
//! counts what an earlier run wrote. A line that cannot be written (no folder, no file) is
//! dropped: standard error still has it. Should file-rotate panic anyway, the panic is caught
//! and the file given up for the rest of the run.

use file_rotate::{ContentLimit, FileRotate, compression::Compression, suffix::AppendCount};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The size at which the log file is rotated.
pub const ROTATE_AT_BYTES: usize = 1024 * 1024;
/// How many rotated log files are kept beside the current one.
pub const FILES_KEPT: usize = 3;

/// A rotating log file that cannot panic for want of its folder or its old files.
pub struct LogFile {
    path: PathBuf,
    folder: PathBuf,
    /// `None` once file-rotate has panicked: its state may be anything then.
    inner: Option<FileRotate<AppendCount>>,
}

impl LogFile {
    /// Opens (creating if need be) the log at `path`; `None` when its folder cannot be made.
    pub fn open(path: &Path) -> Option<LogFile> {
        let folder = path.parent()?.to_path_buf();
        std::fs::create_dir_all(&folder).ok()?;
        let inner = std::panic::catch_unwind(|| rotator(path)).ok()?;
        Some(LogFile {
            path: path.to_path_buf(),
            folder,
            inner: Some(inner),
        })
    }
}

/// A file-rotate over `path` that rotates only when told to.
fn rotator(path: &Path) -> FileRotate<AppendCount> {
    FileRotate::new(
        path,
        AppendCount::new(FILES_KEPT),
        ContentLimit::None,
        Compression::None,
        None,
    )
}

/// `RUST_LOG` as a filter, when it is one: a level (`debug`), or directives
/// (`calltray=debug,tiny_http=warn`). A lone word that is no level (`warning`, `verbose`) is
/// taken by tracing for a module name and would silence every line, errors included, so it
/// is refused (`None`) and the config's `log_level` applies; so is an empty value.
pub fn rust_log_filter(value: &str) -> Option<&str> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let value = value.trim();
    let directives = value.contains(['=', ',', '[', ':']);
    let level = LEVELS.iter().any(|l| l.eq_ignore_ascii_case(value));
    (directives || level).then_some(value)
}

impl LogFile {
    fn write_line(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if self.inner.is_none()
            || (!self.folder.is_dir() && std::fs::create_dir_all(&self.folder).is_err())
        {
            return Ok(());
        }
        let size = match std::fs::metadata(&self.path) {
            Ok(meta) if meta.is_file() => meta.len(),
            _ => {
                // Gone, or never made: file-rotate would write to nothing (or to a deleted
                // file), so it starts again on a file made here.
                let made = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&self.path);
                if made.is_err() {
                    return Ok(());
                }
                self.inner = None;
                0
            }
        };
        let path = &self.path;
        let inner = &mut self.inner;
        let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if inner.is_none() || size >= ROTATE_AT_BYTES as u64 {
                let mut fresh = rotator(path);
                if size >= ROTATE_AT_BYTES as u64 {
                    fresh.rotate()?;
                }
                *inner = Some(fresh);
            }
            match inner.as_mut() {
                Some(inner) => inner.write_all(buf),
                None => Ok(()),
            }
        }));
        written.unwrap_or_else(|_| {
            self.inner = None;
            Ok(())
        })
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_line(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.as_mut().map_or(Ok(()), |inner| inner.flush())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_taken_away_is_made_again_or_the_line_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("state");
        let mut log = LogFile::open(&folder.join("calltray.log")).unwrap();
        log.write_all(b"first\n").unwrap();
        std::fs::remove_dir_all(&folder).unwrap();
        // Enough to rotate: file-rotate itself would try to make the folder, and panic.
        let line = vec![b'x'; ROTATE_AT_BYTES + 10];
        log.write_all(&line).unwrap();
        assert!(folder.is_dir(), "the folder is made again");
        std::fs::remove_dir_all(&folder).unwrap();
        // A file where the folder was: it cannot be made; the line is dropped, nothing panics.
        std::fs::write(&folder, b"in the way").unwrap();
        log.write_all(&line).unwrap();
        log.write_all(b"last\n").unwrap();
    }

    #[test]
    fn rust_log_is_a_level_or_directives_or_nothing() {
        for ok in [
            "debug",
            " INFO ",
            "warn",
            "calltray=debug",
            "info,tiny_http=warn",
            "debug,,,",
        ] {
            assert_eq!(rust_log_filter(ok), Some(ok.trim()), "{ok}");
        }
        for no in ["", "  ", "warning", "verbose", "1", "info;"] {
            assert_eq!(rust_log_filter(no), None, "{no}");
        }
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Rotation at the size on disk, three old files kept, and old files deleted by the user
    /// while calltray runs (file-rotate remembered them, and asserted they were there).
    #[test]
    fn old_logs_deleted_while_running_do_not_stop_the_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calltray.log");
        let mut log = LogFile::open(&path).unwrap();
        let chunk = vec![b'x'; ROTATE_AT_BYTES / 2];
        for _ in 0..12 {
            log.write_all(&chunk).unwrap();
        }
        assert_eq!(
            files(dir.path()),
            [
                "calltray.log",
                "calltray.log.1",
                "calltray.log.2",
                "calltray.log.3"
            ]
        );
        for old in ["calltray.log.1", "calltray.log.2", "calltray.log.3"] {
            std::fs::remove_file(dir.path().join(old)).unwrap();
        }
        for _ in 0..4 {
            log.write_all(&chunk).unwrap();
        }
        log.write_all(b"still here\n").unwrap();
        assert!(log.inner.is_some(), "the log file was given up");
        // Three rotations since: the line found 1 MiB and rotated it away, as did two chunks.
        assert_eq!(
            files(dir.path()),
            [
                "calltray.log",
                "calltray.log.1",
                "calltray.log.2",
                "calltray.log.3"
            ]
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "still here\n");
    }

    /// A log file that cannot be made (here a link to a folder that does not exist, which
    /// stops root as well as anyone): file-rotate counted the lines it could not write and, at
    /// the limit, asserted that the file existed. The lines are dropped instead, and the log
    /// comes back once the file can be made.
    #[cfg(unix)]
    #[test]
    fn a_log_file_that_cannot_be_made_drops_the_lines_and_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calltray.log");
        std::os::unix::fs::symlink(dir.path().join("gone/calltray.log"), &path).unwrap();
        let mut log = LogFile::open(&path).unwrap();
        let line = vec![b'x'; 4096];
        for _ in 0..(3 * ROTATE_AT_BYTES / line.len()) {
            log.write_all(&line).unwrap();
        }
        std::fs::remove_file(&path).unwrap();
        log.write_all(b"back\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "back\n");
    }
}
