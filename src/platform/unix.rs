//! What Linux and macOS share: tiny_http on a Unix socket in a private folder, and Unix's
//! error numbers.

use std::path::{Path, PathBuf};

/// The private folder the sockets live in.
pub type InternalHome = PathBuf;
/// One generation's socket.
pub type InternalAddr = PathBuf;
pub type InternalStream = std::os::unix::net::UnixStream;

/// Only this user can enter the folder, so nobody can skip the guard's checks by connecting
/// to tiny_http directly.
pub const INTERNAL_IS_PRIVATE: bool = true;

/// A directory only this user can enter, for tiny_http's socket: the guard's checks must not
/// be skipped by connecting to tiny_http directly. In `$XDG_RUNTIME_DIR` when there is one,
/// else in the temporary folder (on macOS a per-user one).
pub fn internal_home() -> std::io::Result<InternalHome> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let mut attempts = 0;
    loop {
        let mut tag = [0u8; 8];
        getrandom::fill(&mut tag).map_err(|e| std::io::Error::other(e.to_string()))?;
        let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        let dir = base.join(format!("calltray-{}-{tag}", std::process::id()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempts < 5 => {
                attempts += 1;
            }
            Err(e) => {
                return Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot make a private folder in {}: {e}", base.display()),
                ));
            }
        }
    }
}

pub fn remove_internal_home(home: &InternalHome) {
    let _ = std::fs::remove_dir_all(home);
}

/// tiny_http on a fresh socket in `home`.
pub fn bind_internal(
    home: &Path,
    generation: u64,
) -> std::io::Result<(tiny_http::Server, InternalAddr)> {
    let path = home.join(format!("http-{generation}.sock"));
    let _ = std::fs::remove_file(&path);
    let socket = std::os::unix::net::UnixListener::bind(&path)?;
    let server = tiny_http::Server::from_listener(socket, None)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok((server, path))
}

pub fn remove_internal(addr: &InternalAddr) {
    let _ = std::fs::remove_file(addr);
}

pub fn connect_internal(addr: &InternalAddr) -> std::io::Result<InternalStream> {
    std::os::unix::net::UnixStream::connect(addr)
}

/// EMFILE and ENFILE, the same numbers on Linux and macOS.
pub fn is_out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}
