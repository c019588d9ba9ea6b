//! The agent's log file: rotated by size so it stays bounded, and never a reason to stop.
//!
//! The rotation is file-rotate's. That crate makes the log's folder again when it is missing
//! and panics when it cannot; a log line can be written from any thread, the core loop's
//! included, so this wrapper makes sure the folder is there before each write and drops the
//! line (standard error still has it) when the folder cannot be made.

use file_rotate::{ContentLimit, FileRotate, compression::Compression, suffix::AppendCount};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The size at which the log file is rotated.
pub const ROTATE_AT_BYTES: usize = 1024 * 1024;
/// How many rotated log files are kept beside the current one.
pub const FILES_KEPT: usize = 3;

/// A rotating log file that cannot panic for want of its folder.
pub struct LogFile {
    folder: PathBuf,
    inner: FileRotate<AppendCount>,
}

impl LogFile {
    /// Opens (creating if need be) the log at `path`; `None` when its folder cannot be made.
    pub fn open(path: &Path) -> Option<LogFile> {
        let folder = path.parent()?.to_path_buf();
        std::fs::create_dir_all(&folder).ok()?;
        let inner = FileRotate::new(
            path,
            AppendCount::new(FILES_KEPT),
            ContentLimit::BytesSurpassed(ROTATE_AT_BYTES),
            Compression::None,
            None,
        );
        Some(LogFile { folder, inner })
    }
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.folder.is_dir() && std::fs::create_dir_all(&self.folder).is_err() {
            return Ok(buf.len());
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
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
}
