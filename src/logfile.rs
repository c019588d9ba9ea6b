//! The agent's log file: rotated by size so it stays bounded, and never a reason to stop.
//!
//! The rotation is file-rotate's. That crate makes the log's folder again when it is missing
//! and panics when it cannot, and it counts the bytes of lines it could not write, then at
//! the limit asserts that the log file it never made exists. A log line can be written from
//! any thread, the core loop's included, so this wrapper makes sure the folder and the file
//! are there before each write and drops the line (standard error still has it) when they
//! cannot be made. Should file-rotate panic anyway (a file put in the way of a rotation), the
//! panic is caught and the file is given up for the rest of the run.

use file_rotate::{ContentLimit, FileRotate, compression::Compression, suffix::AppendCount};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The size at which the log file is rotated.
pub const ROTATE_AT_BYTES: usize = 1024 * 1024;
/// How many rotated log files are kept beside the current one.
pub const FILES_KEPT: usize = 3;

/// A rotating log file that cannot panic for want of its folder.
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
        Some(LogFile {
            path: path.to_path_buf(),
            folder,
            inner: Some(rotator(path)),
        })
    }
}

fn rotator(path: &Path) -> FileRotate<AppendCount> {
    FileRotate::new(
        path,
        AppendCount::new(FILES_KEPT),
        ContentLimit::BytesSurpassed(ROTATE_AT_BYTES),
        Compression::None,
        None,
    )
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.folder.is_dir() && std::fs::create_dir_all(&self.folder).is_err() {
            return Ok(buf.len());
        }
        if !self.path.is_file() {
            // Gone, or never made: file-rotate would write to nothing (or to a deleted file)
            // until its next rotation, so it starts again on a file made here.
            let made = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path);
            if made.is_err() || self.inner.is_none() {
                return Ok(buf.len());
            }
            self.inner = Some(rotator(&self.path));
        }
        let Some(inner) = self.inner.as_mut() else {
            return Ok(buf.len());
        };
        let written = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| inner.write(buf)));
        written.unwrap_or_else(|_| {
            self.inner = None;
            Ok(buf.len())
        })
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
