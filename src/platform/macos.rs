//! macOS: toasts through the Notification Center as the app bundle
//! `io.github.calltray.Calltray` (`packaging/macos/Info.plist`), a menu-bar item with no Dock
//! icon, a LaunchAgent for login, and the cache folder for the one-instance lock.
//!
//! Toast buttons are off: notify-rust reports a click on macOS only to a thread that blocks
//! on that one toast, with the main run loop running, which does not fit a notifier that
//! shows many toasts from a thread of its own. Toasts are not changed in place either (the
//! Notification Center has no `replaces_id`): each new state of a call is a new toast.

use notify_rust::Notification;
use std::path::{Path, PathBuf};

pub use super::unix::{
    INTERNAL_IS_PRIVATE, InternalAddr, InternalHome, InternalStream, bind_internal,
    connect_internal, internal_home, is_out_of_descriptors, remove_internal, remove_internal_home,
};

// ---- Identity -------------------------------------------------------------------------

/// The Notification Center shows a toast as the app whose bundle id sends it. Without this,
/// mac-notification-sys looks up an app called "use_default", and macOS asks the user
/// "Where is use_default?". It works once calltray.app is installed (its Info.plist declares
/// the id); can be done only once per process.
pub fn set_notification_identity() {
    if let Err(e) = notify_rust::set_application(crate::APP_ID) {
        tracing::warn!(
            "toasts may not show as calltray's: {e} (is calltray.app installed in /Applications?)"
        );
    }
}

/// Nothing per toast: [`set_notification_identity`] named the app for the whole process.
pub fn identify_toast(_n: &mut Notification) {}

// ---- Toasts once shown --------------------------------------------------------------------

pub use super::plain_toasts::{
    ShownToast, TOAST_BUTTONS, close_toast, listen_for_toast_buttons, toast_id, update_toast,
};

/// notify-rust sends a macOS toast when its handle is dropped, so it is dropped here at once.
pub fn show_toast(n: &Notification) -> notify_rust::error::Result<ShownToast> {
    drop(n.show()?);
    Ok(ShownToast(()))
}

// ---- The tray -----------------------------------------------------------------------------

/// The menu bar is always there in a desktop session.
pub fn tray_unavailable() -> Option<String> {
    None
}

/// An "accessory" app: a menu-bar item, no Dock icon and no menu bar of its own. The app
/// bundle says the same with `LSUIElement`; this covers a binary started outside the bundle.
pub fn tray_event_loop<T: 'static>() -> tao::event_loop::EventLoop<T> {
    use tao::platform::macos::{ActivationPolicy, EventLoopExtMacOS};
    let mut event_loop = tao::event_loop::EventLoopBuilder::<T>::with_user_event().build();
    event_loop.set_activation_policy(ActivationPolicy::Accessory);
    event_loop
}

/// The general pasteboard (arboard); it keeps the text after calltray quits.
pub fn copy_to_clipboard(text: &str) {
    if let Err(e) = arboard::Clipboard::new().and_then(|mut c| c.set_text(text)) {
        tracing::warn!("could not copy to the clipboard: {e}");
    }
}

// ---- Start at login -------------------------------------------------------------------------

/// `~/Library/LaunchAgents/io.github.calltray.Calltray.plist`, which launchd loads at login.
fn launch_agent() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| {
        d.home_dir()
            .join("Library")
            .join("LaunchAgents")
            .join(format!("{}.plist", crate::APP_ID))
    })
}

fn no_home() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "no home folder")
}

pub fn autostart_location() -> Option<String> {
    launch_agent().map(|p| p.display().to_string())
}

pub fn enable_autostart(program: &Path, config: Option<&Path>) -> std::io::Result<()> {
    let path = launch_agent().ok_or_else(no_home)?;
    let text = crate::autostart::launch_agent(program, config);
    crate::paths::replace_file(&path, text.as_bytes())
}

pub fn disable_autostart() -> std::io::Result<super::Disabled> {
    let removed = crate::autostart::remove(&launch_agent().ok_or_else(no_home)?)?;
    Ok(if removed {
        super::Disabled::Removed
    } else {
        super::Disabled::WasOff
    })
}

pub fn autostart_source() -> Option<String> {
    launch_agent()
        .filter(|p| p.exists())
        .map(|p| p.display().to_string())
}

// ---- The one-instance lock ------------------------------------------------------------------

/// `~/Library/Caches/calltray/`: macOS has no per-user runtime folder in the XDG sense.
pub fn instance_dir() -> Option<PathBuf> {
    crate::paths::project().map(|p| p.cache_dir().to_path_buf())
}

/// `flock` locks are advisory: the second start can read the lock file.
pub const ADDRESS_BESIDE_LOCK: bool = false;

// ---- Resource limits ----------------------------------------------------------------------

/// The soft limit launchd gives an app by default.
pub fn open_file_limit() -> usize {
    256
}
