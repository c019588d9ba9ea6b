//! Windows: toasts under calltray's AppUserModelID, the notification-area icon, the `Run`
//! registry value for login, and tiny_http on a loopback port.
//!
//! Toasts show as calltray's only when a Start-menu shortcut carries the same
//! AppUserModelID ([`crate::APP_ID`]): the installer (`packaging/windows/calltray.wxs`) makes
//! it. Toast buttons are off: notify-rust reports a click on Windows only to a thread that
//! blocks on that one toast, which does not fit a notifier that shows many toasts from a
//! thread of its own. Toasts are not changed in place either (notify-rust gives them no
//! tag to replace them by): each new state of a call is a new toast.

use notify_rust::Notification;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};

// ---- Identity -------------------------------------------------------------------------

/// Nothing process-wide: each toast carries the AppUserModelID.
pub fn set_notification_identity() {}

/// The AppUserModelID; without it notify-rust sends toasts as Windows PowerShell.
pub fn identify_toast(n: &mut Notification) {
    n.app_id(crate::APP_ID);
}

// ---- Toasts once shown --------------------------------------------------------------------

pub use super::plain_toasts::{
    ShownToast, TOAST_BUTTONS, close_toast, listen_for_toast_buttons, toast_id, update_toast,
};

pub fn show_toast(n: &Notification) -> notify_rust::error::Result<ShownToast> {
    n.show()?;
    Ok(ShownToast(()))
}

// ---- The tray -----------------------------------------------------------------------------

/// The notification area is always there in a desktop session.
pub fn tray_unavailable() -> Option<String> {
    None
}

pub fn tray_event_loop<T: 'static>() -> tao::event_loop::EventLoop<T> {
    tao::event_loop::EventLoopBuilder::<T>::with_user_event().build()
}

/// The Windows clipboard (arboard); it keeps the text after calltray quits.
pub fn copy_to_clipboard(text: &str) {
    if let Err(e) = arboard::Clipboard::new().and_then(|mut c| c.set_text(text)) {
        tracing::warn!("could not copy to the clipboard: {e}");
    }
}

// ---- Start at login -------------------------------------------------------------------------

/// The key whose values Explorer runs at the user's login.
const RUN_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";
/// calltray's value under it; the installer's uninstall removes the same name.
const RUN_VALUE: &str = crate::APP_ID;
/// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`: no such key or value.
const NOT_FOUND: i32 = 0x8007_0002_u32 as i32;

/// A registry error as an `io::Error`; windows-registry's carry an HRESULT, which the
/// standard library does not sort into kinds, so "not found" is made ERROR_FILE_NOT_FOUND.
fn io(e: impl Into<std::io::Error>) -> std::io::Error {
    let e = e.into();
    if e.raw_os_error() == Some(NOT_FOUND) {
        std::io::Error::from_raw_os_error(2)
    } else {
        e
    }
}

/// Attaches to the console of the program that started calltray (a terminal), if any. Run
/// from a terminal the prompt comes back at once, as for any GUI program, and calltray's
/// output follows it; from Explorer or at login there is no console and nothing happens.
pub fn attach_console() {
    use windows_sys::Win32::System::Console::{ATTACH_PARENT_PROCESS, AttachConsole};
    // SAFETY: AttachConsole takes a process id and only changes this process's console; a
    // failure (no parent console, or one already attached) leaves everything as it was.
    unsafe {
        AttachConsole(ATTACH_PARENT_PROCESS);
    }
}

pub fn autostart_location() -> Option<String> {
    Some(format!(r"HKEY_CURRENT_USER\{RUN_KEY}\{RUN_VALUE}"))
}

pub fn enable_autostart(program: &Path, config: Option<&Path>) -> std::io::Result<()> {
    let key = windows_registry::CURRENT_USER.create(RUN_KEY).map_err(io)?;
    key.set_string(RUN_VALUE, crate::autostart::run_command(program, config))
        .map_err(io)
}

pub fn disable_autostart() -> std::io::Result<super::Disabled> {
    let removed = windows_registry::CURRENT_USER
        .create(RUN_KEY)
        .and_then(|key| key.remove_value(RUN_VALUE));
    match removed.map_err(io) {
        Ok(()) => Ok(super::Disabled::Removed),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(super::Disabled::WasOff),
        Err(e) => Err(e),
    }
}

pub fn autostart_source() -> Option<String> {
    windows_registry::CURRENT_USER
        .open(RUN_KEY)
        .and_then(|key| key.get_string(RUN_VALUE))
        .ok()
        .and_then(|_| autostart_location())
}

// ---- The one-instance lock ------------------------------------------------------------------

/// `%LOCALAPPDATA%\calltray\cache\`: Windows has no per-user runtime folder.
pub fn instance_dir() -> Option<PathBuf> {
    crate::paths::project().map(|p| p.cache_dir().to_path_buf())
}

/// `LockFileEx` locks are mandatory: a second start cannot read a locked file.
pub const ADDRESS_BESIDE_LOCK: bool = true;

// ---- The guard's private channel to tiny_http ---------------------------------------------

/// Nothing to make: the channel is a loopback port.
#[derive(Debug)]
pub struct InternalHome;
pub type InternalAddr = SocketAddr;
pub type InternalStream = TcpStream;

/// Every local program can reach a loopback port: the forwarders send a key.
pub const INTERNAL_IS_PRIVATE: bool = false;

pub fn internal_home() -> std::io::Result<InternalHome> {
    Ok(InternalHome)
}

pub fn remove_internal_home(_home: &InternalHome) {}

/// tiny_http on a port the system picks, on 127.0.0.1 only.
pub fn bind_internal(
    _home: &InternalHome,
    _generation: u64,
) -> std::io::Result<(tiny_http::Server, InternalAddr)> {
    let socket = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = socket.local_addr()?;
    let server = tiny_http::Server::from_listener(socket, None)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok((server, addr))
}

/// Nothing to remove: the port closes with its listener.
pub fn remove_internal(_addr: &InternalAddr) {}

pub fn connect_internal(addr: &InternalAddr) -> std::io::Result<InternalStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

// ---- Resource limits ----------------------------------------------------------------------

/// Windows sets no per-process limit on sockets (memory is the limit).
pub fn open_file_limit() -> usize {
    usize::MAX
}

/// WSAEMFILE and WSAENOBUFS: no socket can be had now.
pub fn is_out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(10024 | 10055))
}
