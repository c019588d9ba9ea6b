//! Linux (and the freedesktop desktops): toasts and their buttons over D-Bus, the tray
//! through appindicator and GTK, XDG autostart, and the XDG runtime folder.

use crate::actions::Registry;
use crate::tracker::CallKey;
use crate::view::ToastAction;
use futures_lite::StreamExt;
use notify_rust::{Hint, Notification};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use super::unix::{
    INTERNAL_IS_PRIVATE, InternalAddr, InternalHome, InternalStream, bind_internal,
    connect_internal, internal_home, is_out_of_descriptors, remove_internal, remove_internal_home,
};

// ---- Identity -------------------------------------------------------------------------

/// Nothing to do: each toast names its desktop entry.
pub fn set_notification_identity() {}

/// The `desktop-entry` hint: the desktop finds calltray's name and icon through it.
pub fn identify_toast(n: &mut Notification) {
    n.hint(Hint::DesktopEntry(crate::APP_ID.into()));
}

// ---- Toasts once shown --------------------------------------------------------------------

/// A toast the notification service shows: the id it gave it, and the toast as last sent.
/// `Notify` replaces a toast whole, so an update sends it all again with its changes.
#[derive(Debug)]
pub struct ShownToast {
    id: u32,
    toast: Notification,
}

pub const TOAST_BUTTONS: bool = true;

pub fn show_toast(n: &Notification) -> notify_rust::error::Result<ShownToast> {
    match notify(n, 0) {
        Ok(id) => Ok(ShownToast {
            id,
            toast: n.clone(),
        }),
        Err(e) => Err(e.to_string().as_str().into()),
    }
}

/// `replaces_id`: the service changes the toast where it is. A service that restarted since
/// does not know the old id and shows a new toast, under a new id.
pub fn update_toast(shown: &mut ShownToast, fill: impl FnOnce(&mut Notification)) -> bool {
    fill(&mut shown.toast);
    match notify(&shown.toast, shown.id) {
        Ok(id) => {
            shown.id = id;
            true
        }
        Err(e) => {
            tracing::debug!("toast not updated: {e}");
            false
        }
    }
}

pub fn close_toast(shown: ShownToast) {
    if let Err(e) = on_toast_bus(async |bus| {
        bus.call_method(
            Some(SERVICE),
            PATH,
            Some(SERVICE),
            "CloseNotification",
            &shown.id,
        )
        .await
        .map(drop)
    }) {
        tracing::debug!("toast {} not withdrawn: {e}", shown.id);
    }
}

pub fn toast_id(shown: &ShownToast) -> Option<u32> {
    Some(shown.id)
}

/// How long the notification service may take to answer: a service that hangs must not hold
/// the notifier thread (and every toast after this one) for longer.
const SERVICE_TIMEOUT: Duration = Duration::from_secs(2);

thread_local! {
    /// The notifier thread's one connection to the session bus, opened at its first toast and
    /// kept: a connection of its own for each toast (as `Notification::show` opens) costs a
    /// connect, an authentication and a `Hello` before every toast, and a socket and its
    /// reader for as long as the toast is followed. Only the notifier thread shows toasts.
    static TOAST_BUS: RefCell<Option<zbus::Connection>> = const { RefCell::new(None) };
}

/// `Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, expire_timeout)`:
/// the id of the toast shown.
fn notify(n: &Notification, replaces_id: u32) -> zbus::Result<u32> {
    let hints = hints(n);
    let timeout = i32::from(n.timeout);
    on_toast_bus(async |bus| {
        bus.call_method(
            Some(SERVICE),
            PATH,
            Some(SERVICE),
            "Notify",
            &(
                &n.appname,
                replaces_id,
                &n.icon,
                &n.summary,
                &n.body,
                &n.actions,
                &hints,
                timeout,
            ),
        )
        .await?
        .body()
        .deserialize()
    })
}

/// The hints calltray sets, as the service reads them (`a{sv}`). calltray sets only the
/// desktop entry ([`identify_toast`]); any other is left out, and said so in the debug log.
fn hints(n: &Notification) -> HashMap<&'static str, zbus::Variant<'_>> {
    let mut map = HashMap::new();
    for hint in &n.hints {
        match hint {
            Hint::DesktopEntry(entry) => {
                map.insert("desktop-entry", zbus::Variant::from(entry.as_str()));
            }
            other => tracing::debug!("toast hint not sent: {other:?}"),
        }
    }
    map
}

/// Runs `call` on the toast connection, connecting first when there is none (the first toast,
/// or the bus went away). When the connection turns out lost during the call (the session bus
/// restarted), it connects once more and tries once more; an answer from the bus, such as "no
/// notification service", or a timeout, is given up on at once.
fn on_toast_bus<T>(call: impl AsyncFn(&zbus::Connection) -> zbus::Result<T>) -> zbus::Result<T> {
    TOAST_BUS.with_borrow_mut(|kept| {
        zbus::block_on(async {
            let (bus, fresh) = match kept.take().filter(|bus| !bus.is_closed()) {
                Some(bus) => (bus, false),
                None => (connect().await?, true),
            };
            let result = call(&bus).await;
            if let Err(e) = &result
                && !fresh
                && lost(&bus, e)
            {
                tracing::debug!("the toast connection is lost ({e}); connecting again");
                drop(bus);
                let bus = connect().await?;
                let retried = call(&bus).await;
                *kept = Some(bus);
                return retried;
            }
            *kept = Some(bus);
            result
        })
    })
}

async fn connect() -> zbus::Result<zbus::Connection> {
    zbus::connection::Builder::session()
        .method_timeout(SERVICE_TIMEOUT)
        .build()
        .await
}

/// Whether a call failed because the connection itself is gone, rather than with an answer
/// from the other end or a timeout (connecting again would not help either).
fn lost(bus: &zbus::Connection, e: &zbus::Error) -> bool {
    bus.is_closed()
        || matches!(e, zbus::Error::InputOutput(io) if io.kind() != std::io::ErrorKind::TimedOut)
}

/// After the session bus goes away, how long before connecting again; each failed attempt
/// doubles the wait up to [`RECONNECT_AT_MOST`], so a headless calltray with no session bus
/// at all does not wake every few seconds for ever. A toast with buttons shown meanwhile
/// (the bus is back) ends the wait at once.
const RECONNECT_AFTER: Duration = Duration::from_secs(5);
const RECONNECT_AT_MOST: Duration = Duration::from_secs(300);

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// The notification service tells of a click with an `ActionInvoked(id, key)` signal. One
/// thread of its own listens for those signals on the session bus, so no click is ever
/// waited for on the listener's threads, the core loop or the tray's event loop. Only
/// signals from the process that owns the notification service's name count: another
/// program on the bus cannot press a button.
pub fn listen_for_toast_buttons(
    on_click: impl Fn(CallKey, ToastAction) + Send + 'static,
) -> std::io::Result<Option<Registry>> {
    let registry = Registry::default();
    let watched = registry.clone();
    std::thread::Builder::new()
        .name("toast-actions".into())
        .spawn(move || {
            let mut wait = RECONNECT_AFTER;
            loop {
                let seen = watched.toasts_shown();
                match zbus::block_on(listen(&watched, &on_click)) {
                    // Connected, then the bus went away: try again soon.
                    Ok(()) => wait = RECONNECT_AFTER,
                    Err(e) => {
                        tracing::debug!("toast buttons: {e}; listening again in {wait:?}")
                    }
                }
                if watched.wait_for_toast_after(seen, wait) {
                    wait = RECONNECT_AFTER;
                } else {
                    wait = (wait * 2).min(RECONNECT_AT_MOST);
                }
            }
        })?;
    Ok(Some(registry))
}

/// Listens until the bus connection ends.
async fn listen(
    registry: &Registry,
    on_click: &(dyn Fn(CallKey, ToastAction) + Send),
) -> zbus::Result<()> {
    let connection = zbus::Connection::session().await?;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .interface(SERVICE)
        .path(PATH)
        .build()?;
    let mut signals = zbus::MessageStream::for_match_rule(rule, &connection, None).await?;
    let bus = zbus::fdo::DBusProxy::new(&connection).await?;
    while let Some(message) = signals.next().await {
        let Ok(message) = message else { continue };
        let header = message.header();
        let member = header.member().map(|m| m.as_str().to_string());
        match member.as_deref() {
            Some("ActionInvoked") => {
                let body = message.body();
                let parsed: zbus::Result<(u32, String)> = body.deserialize();
                let Ok((id, key)) = parsed else {
                    continue;
                };
                let Some(call) = registry.wait_for(id) else {
                    continue;
                };
                let Some(action) = ToastAction::from_key(&key) else {
                    continue;
                };
                let owner = bus
                    .get_name_owner(SERVICE.try_into()?)
                    .await
                    .ok()
                    .map(|o| o.to_string());
                let sender = header.sender().map(|s| s.to_string());
                if owner.is_none() || owner != sender {
                    tracing::warn!(
                        "a toast button press not from the notification service ignored"
                    );
                    continue;
                }
                on_click(call, action);
            }
            Some("NotificationClosed") => {
                let body = message.body();
                let parsed: zbus::Result<(u32, u32)> = body.deserialize();
                if let Ok((id, _reason)) = parsed {
                    registry.forget(id);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

// ---- The tray -----------------------------------------------------------------------------

/// The libraries tray-icon loads at run time to talk to the panel, newest name first.
const APPINDICATOR_LIBS: [&str; 2] = ["libayatana-appindicator3.so.1", "libappindicator3.so.1"];

/// No display, no appindicator library, or GTK cannot start: tao would panic.
pub fn tray_unavailable() -> Option<String> {
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        return Some("no display (neither DISPLAY nor WAYLAND_DISPLAY is set)".into());
    }
    // SAFETY: loading a well-known system library whose initialisers are the ones
    // tray-icon itself would run a moment later; nothing from it is called here.
    let found = APPINDICATOR_LIBS
        .iter()
        .any(|lib| unsafe { libloading::Library::new(*lib) }.is_ok());
    if !found {
        return Some(
            "the tray library is missing; install it with: sudo apt install libayatana-appindicator3-1"
                .into(),
        );
    }
    if let Err(e) = gtk::init() {
        return Some(format!("cannot open the display ({e})"));
    }
    None
}

/// GTK learns who it is (the same id as the desktop entry), as desktops expect.
pub fn tray_event_loop<T: 'static>() -> tao::event_loop::EventLoop<T> {
    let mut builder = tao::event_loop::EventLoopBuilder::<T>::with_user_event();
    tao::platform::unix::EventLoopBuilderExtUnix::with_app_id(&mut builder, crate::APP_ID);
    builder.build()
}

/// GTK's clipboard is owned by this long-lived process, so the number stays pasteable after
/// the menu closes.
pub fn copy_to_clipboard(text: &str) {
    let clipboard = gtk::Clipboard::get(&gtk::gdk::SELECTION_CLIPBOARD);
    clipboard.set_text(text);
    clipboard.store();
}

// ---- Start at login -------------------------------------------------------------------------

/// A desktop entry in `$XDG_CONFIG_HOME/autostart/` (the XDG Autostart specification, which
/// GNOME, KDE, Xfce and the others follow): the session starts what it finds there.
fn autostart_entry() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| {
        d.config_dir()
            .join("autostart")
            .join(format!("{}.desktop", crate::APP_ID))
    })
}

fn no_home() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::NotFound, "no home folder")
}

pub fn autostart_location() -> Option<String> {
    autostart_entry().map(|p| p.display().to_string())
}

pub fn enable_autostart(program: &Path, config: Option<&Path>) -> std::io::Result<()> {
    let path = autostart_entry().ok_or_else(no_home)?;
    let text = crate::autostart::desktop_entry(program, config).ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a path with a control character or bytes that are not UTF-8, or a program path with a '%', cannot be written in a login entry",
        )
    })?;
    crate::paths::replace_file(&path, text.as_bytes())
}

/// The package's system-wide entry, in the first of `$XDG_CONFIG_DIRS` (default `/etc/xdg`)
/// that has one: the Debian package puts it in `/etc/xdg/autostart/`.
fn system_entry() -> Option<PathBuf> {
    let dirs = std::env::var_os("XDG_CONFIG_DIRS")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/etc/xdg".into());
    std::env::split_paths(&dirs)
        .filter(|d| d.is_absolute())
        .map(|d| {
            d.join("autostart")
                .join(format!("{}.desktop", crate::APP_ID))
        })
        .find(|p| p.is_file())
}

/// How the session will treat calltray at login, and the two entries it looked at.
fn login() -> Option<(crate::autostart::XdgLogin, PathBuf, Option<PathBuf>)> {
    let user = autostart_entry()?;
    let read = |path: &Path| {
        crate::config::read_capped(path)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let text = read(&user);
    // The first system entry found is the one the session reads; it may be turned off
    // itself (by an administrator), or unreadable to this user.
    let system = system_entry();
    let system_starts = system
        .as_deref()
        .and_then(read)
        .is_some_and(|t| !crate::autostart::hides(&t));
    let state = crate::autostart::xdg_login(text.as_deref(), system_starts);
    Some((state, user, system.filter(|_| system_starts)))
}

pub fn disable_autostart() -> std::io::Result<super::Disabled> {
    use crate::autostart::XdgLogin;
    let (state, user, system) = login().ok_or_else(no_home)?;
    match (state, system) {
        (XdgLogin::System | XdgLogin::User, Some(system)) => {
            crate::paths::replace_file(&user, crate::autostart::hiding_entry().as_bytes())?;
            Ok(super::Disabled::Hidden(system.display().to_string()))
        }
        (XdgLogin::User, None) => {
            crate::autostart::remove(&user)?;
            Ok(super::Disabled::Removed)
        }
        _ => Ok(super::Disabled::WasOff),
    }
}

pub fn autostart_source() -> Option<String> {
    use crate::autostart::XdgLogin;
    match login()? {
        (XdgLogin::User, user, _) => Some(user.display().to_string()),
        (XdgLogin::System, _, system) => system.map(|s| s.display().to_string()),
        _ => None,
    }
}

// ---- The one-instance lock ------------------------------------------------------------------

/// `$XDG_RUNTIME_DIR/calltray/`, or the data folder when there is no runtime folder.
pub fn instance_dir() -> Option<PathBuf> {
    let project = crate::paths::project()?;
    Some(
        project
            .runtime_dir()
            .unwrap_or_else(|| project.data_local_dir())
            .to_path_buf(),
    )
}

pub const ADDRESS_BESIDE_LOCK: bool = false;

// ---- Resource limits ----------------------------------------------------------------------

/// The soft limit on open files, from /proc (256 if it cannot be read).
pub fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3).map(str::to_owned))
        })
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toast_names_its_desktop_entry_in_the_hints_the_service_reads() {
        let mut n = Notification::new();
        identify_toast(&mut n);
        let sent = hints(&n);
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(
            sent.get("desktop-entry"),
            Some(&zbus::Variant::from(crate::APP_ID))
        );
    }
}
