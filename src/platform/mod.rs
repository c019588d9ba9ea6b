//! What differs between Linux, macOS and Windows, behind one small interface.
//!
//! The rest of calltray calls only the functions and types named here; each platform's module
//! (`linux`, `macos` or `windows`, chosen at compile time) answers them its own way. What the
//! platforms share stays outside: the pure logic (the text of an autostart entry, the
//! connection guard, the views) is compiled and tested everywhere, and only the calls into
//! the system that differ live here. Linux and macOS, both Unix,
//! share the private-socket channel to tiny_http in `unix`.
//!
//! The interface, by concern:
//! - Identity: [`set_notification_identity`] once at start (macOS: the bundle id the toasts
//!   come from), [`identify_toast`] on each toast (Linux: the desktop entry; Windows: the
//!   AppUserModelID).
//! - Toasts once shown: [`ShownToast`], [`show_toast`], [`update_toast`], [`close_toast`],
//!   [`toast_id`], and [`TOAST_BUTTONS`] with [`listen_for_toast_buttons`].
//! - The tray: [`tray_unavailable`], [`tray_event_loop`], [`copy_to_clipboard`].
//! - Start at login: [`autostart_location`], [`enable_autostart`], [`disable_autostart`],
//!   [`autostart_source`].
//! - The one-instance lock: [`instance_dir`] and [`ADDRESS_BESIDE_LOCK`].
//! - The guard's private channel to tiny_http: [`InternalHome`], [`InternalAddr`],
//!   [`InternalStream`], [`internal_home`], [`remove_internal_home`], [`bind_internal`],
//!   [`remove_internal`], [`connect_internal`], [`INTERNAL_IS_PRIVATE`].
//! - Resource limits: [`open_file_limit`], [`is_out_of_descriptors`].

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
compile_error!("calltray runs on Linux, macOS and Windows");

#[cfg(unix)]
mod unix;

#[cfg(not(target_os = "linux"))]
mod plain_toasts;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as imp;

#[cfg(target_os = "macos")]
mod macos;
#[cfg(target_os = "macos")]
use macos as imp;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

use crate::actions::Registry;
use crate::tracker::CallKey;
use crate::view::ToastAction;
use notify_rust::Notification;
use std::path::{Path, PathBuf};

// ---- The terminal ------------------------------------------------------------------------

/// Windows: calltray.exe is a GUI program (no console window at login), so when it is run
/// from a terminal it borrows that terminal's console to print its output and errors.
/// Nothing elsewhere: a program always writes to the terminal it was started from.
pub fn attach_console() {
    #[cfg(windows)]
    imp::attach_console()
}

// ---- Identity -------------------------------------------------------------------------

/// Tells the system, once at start and before any toast, which application calltray is.
/// macOS needs it (else it asks the user "Where is use_default?"); elsewhere each toast
/// says it itself ([`identify_toast`]) and this does nothing.
pub fn set_notification_identity() {
    imp::set_notification_identity()
}

/// Marks a new toast as calltray's: on Linux the `desktop-entry` hint, on Windows the
/// AppUserModelID that the installer's Start-menu shortcut carries (without both, Windows
/// shows the toast as another program's). Nothing on macOS (see [`set_notification_identity`]).
pub fn identify_toast(n: &mut Notification) {
    imp::identify_toast(n)
}

// ---- Toasts once shown --------------------------------------------------------------------

/// A toast handed to the notification service. On Linux it can be changed and withdrawn
/// later; on macOS and Windows, as notify-rust drives them, it cannot.
pub use imp::ShownToast;

/// Whether toasts carry buttons (Call back, Open in CRM, Copy number). Only on Linux, where
/// the freedesktop service reports clicks over D-Bus; on macOS and Windows notify-rust reports
/// a click only to a thread that blocks on each toast, so calltray shows no buttons there.
pub const TOAST_BUTTONS: bool = imp::TOAST_BUTTONS;

/// Shows a new toast.
pub fn show_toast(n: &Notification) -> notify_rust::error::Result<ShownToast> {
    imp::show_toast(n)
}

/// Changes a toast on screen in place, as `fill` edits it; `false` when it cannot be (the
/// service restarted, or the platform cannot change a toast once shown), and the caller
/// then shows a new one.
pub fn update_toast(shown: &mut ShownToast, fill: impl FnOnce(&mut Notification)) -> bool {
    imp::update_toast(shown, fill)
}

/// Withdraws a toast, where the platform allows it (Linux); elsewhere the toast stays until
/// the user or the system dismisses it.
pub fn close_toast(shown: ShownToast) {
    imp::close_toast(shown)
}

/// The id the service gave the toast, by which it reports a button click (Linux only).
pub fn toast_id(shown: &ShownToast) -> Option<u32> {
    imp::toast_id(shown)
}

/// Starts listening for clicks on toast buttons; `on_click` gets each one. `Ok(None)` on
/// the platforms without toast buttons ([`TOAST_BUTTONS`]).
pub fn listen_for_toast_buttons(
    on_click: impl Fn(CallKey, ToastAction) + Send + 'static,
) -> std::io::Result<Option<Registry>> {
    imp::listen_for_toast_buttons(on_click)
}

// ---- The tray -----------------------------------------------------------------------------

/// Why there can be no tray in this session (the agent then runs headless); `None` when
/// there can be one.
pub fn tray_unavailable() -> Option<String> {
    imp::tray_unavailable()
}

/// The event loop the tray runs on, set up as the platform expects (Linux: GTK's application
/// id; macOS: an agent with no Dock icon, even when not started from its app bundle).
pub fn tray_event_loop<T: 'static>() -> tao::event_loop::EventLoop<T> {
    imp::tray_event_loop()
}

/// Puts text on the clipboard; called on the tray's event loop thread.
pub fn copy_to_clipboard(text: &str) {
    imp::copy_to_clipboard(text)
}

// ---- Start at login -------------------------------------------------------------------------

/// Where the login entry lives, as shown to the user: a file on Linux and macOS, a registry
/// value on Windows. `None` without a home folder.
pub fn autostart_location() -> Option<String> {
    imp::autostart_location()
}

/// Makes the system start `program` (with `--config config` when one was named) at login.
pub fn enable_autostart(program: &Path, config: Option<&Path>) -> std::io::Result<()> {
    imp::enable_autostart(program, config)
}

/// What [`disable_autostart`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disabled {
    /// The user's login entry was removed.
    Removed,
    /// A package's system-wide entry (this path) starts calltray for everyone; the user's
    /// entry now hides it for this user alone (Linux).
    Hidden(String),
    /// Nothing started calltray at login.
    WasOff,
}

/// Stops starting calltray at login, for this user.
pub fn disable_autostart() -> std::io::Result<Disabled> {
    imp::disable_autostart()
}

/// The entry that starts calltray at login (the user's own, or on Linux a package's
/// system-wide one), or `None` when nothing does.
pub fn autostart_source() -> Option<String> {
    imp::autostart_source()
}

// ---- The one-instance lock ------------------------------------------------------------------

/// The folder of the one-instance lock: the runtime folder on Linux, the cache folder on
/// macOS and Windows, which have no runtime folder.
pub fn instance_dir() -> Option<PathBuf> {
    imp::instance_dir()
}

/// Whether the running agent's address is kept in a file beside the lock rather than in the
/// lock file itself. Windows locks are mandatory: a second start could not read a locked file.
pub const ADDRESS_BESIDE_LOCK: bool = imp::ADDRESS_BESIDE_LOCK;

// ---- The guard's private channel to tiny_http ---------------------------------------------

/// Where one generation of tiny_http listens (Unix: a socket's path; Windows: a loopback port).
pub use imp::InternalAddr;
/// What holds the channel's endpoints for the life of the listener (Unix: a private folder).
pub use imp::InternalHome;
/// A forwarder's connection to tiny_http.
pub use imp::InternalStream;

/// Whether only this user can reach the channel. On Unix the socket is in a folder only the
/// user can enter; a loopback port on Windows is open to every local program, so there the
/// forwarders prove themselves with a per-run key (see [`crate::guard::Internal`]).
pub const INTERNAL_IS_PRIVATE: bool = imp::INTERNAL_IS_PRIVATE;

/// Makes the channel's home, once per listener.
pub fn internal_home() -> std::io::Result<InternalHome> {
    imp::internal_home()
}

/// Removes the channel's home on the way out.
pub fn remove_internal_home(home: &InternalHome) {
    imp::remove_internal_home(home)
}

/// Starts tiny_http on a fresh endpoint for generation `generation`.
pub fn bind_internal(
    home: &InternalHome,
    generation: u64,
) -> std::io::Result<(tiny_http::Server, InternalAddr)> {
    imp::bind_internal(home, generation)
}

/// Cleans up after an endpoint no longer used (a replaced generation).
pub fn remove_internal(addr: &InternalAddr) {
    imp::remove_internal(addr)
}

/// Connects a forwarder to tiny_http.
pub fn connect_internal(addr: &InternalAddr) -> std::io::Result<InternalStream> {
    imp::connect_internal(addr)
}

// ---- Resource limits ----------------------------------------------------------------------

/// How many files and sockets this process may have open at once.
pub fn open_file_limit() -> usize {
    imp::open_file_limit()
}

/// Whether an `accept` error means the process is out of descriptors (or sockets).
pub fn is_out_of_descriptors(e: &std::io::Error) -> bool {
    imp::is_out_of_descriptors(e)
}
