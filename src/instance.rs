//! One calltray per user: a second start says where the first one listens, and stops.
//!
//! Two agents would both toast every call (or the second would fail on the port with a less
//! helpful message). The guard is a lock on a file in the user's runtime folder
//! (`$XDG_RUNTIME_DIR/calltray/` on Linux; [`crate::platform::instance_dir`] elsewhere), held
//! for the life of the process: the system drops it when the process ends, however it ends,
//! so a crash never leaves a stale lock behind. The file also holds the running agent's
//! listening address, for the second start to report; where locks are mandatory (Windows), so
//! that a locked file cannot be read, the address is in a file beside it instead.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The held lock; dropping it (or the process ending) lets another calltray start.
pub struct Instance {
    file: File,
    /// Where the address goes, when not in the lock file itself.
    beside: Option<PathBuf>,
}

/// Why this calltray may not run.
#[derive(Debug)]
pub enum Refused {
    /// Another calltray holds the lock; its address, when it has written one.
    Running(Option<String>),
    /// The lock file cannot be made (no runtime folder, permissions).
    Unavailable(std::io::Error),
}

impl Instance {
    /// Takes the lock at `path`, or says who holds it.
    pub fn acquire(path: &Path) -> Result<Instance, Refused> {
        Instance::acquire_with(path, crate::platform::ADDRESS_BESIDE_LOCK)
    }

    /// [`Instance::acquire`], with the address beside the lock (`<lock>.address`) or in it.
    fn acquire_with(path: &Path, address_beside: bool) -> Result<Instance, Refused> {
        let beside = address_beside.then(|| path.with_extension("address"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Refused::Unavailable)?;
        }
        // A link in its place would have calltray write its address into whatever it names.
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Refused::Unavailable(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is a link, not calltray's lock file", path.display()),
            )));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(Refused::Unavailable)?;
        match file.try_lock() {
            Ok(()) => {
                if let Some(beside) = &beside {
                    // A crashed holder's address is no one's now.
                    let _ = std::fs::remove_file(beside);
                }
                Ok(Instance { file, beside })
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = match &beside {
                    Some(beside) => {
                        File::open(beside).and_then(|f| f.take(256).read_to_string(&mut text))
                    }
                    None => Read::by_ref(&mut file).take(256).read_to_string(&mut text),
                };
                let address = text.trim();
                Err(Refused::Running(
                    (!address.is_empty()).then(|| address.to_string()),
                ))
            }
            Err(TryLockError::Error(e)) => Err(Refused::Unavailable(e)),
        }
    }

    /// Records where this calltray listens, for a second start to report.
    pub fn set_address(&mut self, address: SocketAddr) -> std::io::Result<()> {
        if let Some(beside) = &self.beside {
            return crate::paths::replace_file(beside, format!("http://{address}\n").as_bytes());
        }
        self.file.set_len(0)?;
        self.file.rewind()?;
        self.file
            .write_all(format!("http://{address}\n").as_bytes())?;
        self.file.flush()
    }
}

/// Where the lock lives: the runtime folder, or the platform's nearest equivalent.
pub fn lock_path() -> Option<PathBuf> {
    crate::platform::instance_dir().map(|dir| dir.join("calltray.lock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_link_in_place_of_the_lock_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious.txt");
        std::fs::write(&target, "keep me").unwrap();
        let lock = dir.path().join("calltray.lock");
        std::os::unix::fs::symlink(&target, &lock).unwrap();
        assert!(matches!(
            Instance::acquire_with(&lock, false),
            Err(Refused::Unavailable(_))
        ));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    }

    #[test]
    fn a_second_holder_is_told_where_the_first_listens() {
        // Both ways of keeping the address, whatever this platform uses.
        for beside in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("run").join("calltray.lock");
            let mut first = Instance::acquire_with(&path, beside).unwrap();
            match Instance::acquire_with(&path, beside) {
                Err(Refused::Running(None)) => {}
                other => panic!("{:?}", other.map(|_| ())),
            }
            first
                .set_address("127.0.0.1:8765".parse().unwrap())
                .unwrap();
            match Instance::acquire_with(&path, beside) {
                Err(Refused::Running(Some(a))) => assert_eq!(a, "http://127.0.0.1:8765"),
                other => panic!("{:?}", other.map(|_| ())),
            }
            drop(first);
            let second = Instance::acquire_with(&path, beside);
            assert!(second.is_ok(), "free once the first is gone");
            // A stale address beside the lock is not reported as the new holder's.
            assert!(!path.with_extension("address").exists());
            drop(second);
        }
    }
}
