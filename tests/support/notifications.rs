//! A fake `org.freedesktop.Notifications` server, served from the test process on the
//! session's bus, that records every `Notify` call.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use zbus::{OwnedVariant, Variant};

use super::WaitError;
use super::session::Session;

pub const NOTIFICATIONS_NAME: &str = "org.freedesktop.Notifications";
pub const NOTIFICATIONS_PATH: &str = "/org/freedesktop/Notifications";
pub const NOTIFICATIONS_IFACE: &str = "org.freedesktop.Notifications";

/// A hint value, converted from the D-Bus variant.
#[derive(Clone, Debug, PartialEq)]
pub enum HintValue {
    Byte(u8),
    Bool(bool),
    Int(i32),
    UInt(u32),
    Int64(i64),
    Double(f64),
    Str(String),
    /// Anything else (e.g. `image-data`): its D-Bus signature.
    Other(String),
}

impl HintValue {
    fn from_variant(v: &Variant<'_>) -> HintValue {
        match v {
            Variant::Variant(inner) => HintValue::from_variant(inner),
            Variant::U8(b) => HintValue::Byte(*b),
            Variant::Bool(b) => HintValue::Bool(*b),
            Variant::I16(i) => HintValue::Int(i32::from(*i)),
            Variant::U16(u) => HintValue::UInt(u32::from(*u)),
            Variant::I32(i) => HintValue::Int(*i),
            Variant::U32(u) => HintValue::UInt(*u),
            Variant::I64(i) => HintValue::Int64(*i),
            Variant::U64(u) => HintValue::Other(format!("t {u}")),
            Variant::F64(d) => HintValue::Double(*d),
            Variant::Str(s) => HintValue::Str(s.as_str().to_owned()),
            Variant::ObjectPath(p) => HintValue::Str(p.as_str().to_owned()),
            other => HintValue::Other(other.value_signature().to_string()),
        }
    }
}

/// One recorded `Notify` call.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// The id the server returned for this call.
    pub id: u32,
    pub app_name: String,
    pub replaces_id: u32,
    pub app_icon: String,
    pub summary: String,
    pub body: String,
    /// Flat `[key, label, key, label, ...]` as on the wire.
    pub actions: Vec<String>,
    pub hints: BTreeMap<String, HintValue>,
    pub expire_timeout: i32,
    /// Unique bus name of the caller.
    pub sender: String,
}

impl Notification {
    /// The `urgency` hint (0 low, 1 normal, 2 critical), if sent as a byte.
    pub fn urgency(&self) -> Option<u8> {
        match self.hints.get("urgency") {
            Some(HintValue::Byte(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn hint_str(&self, key: &str) -> Option<&str> {
        match self.hints.get(key) {
            Some(HintValue::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn hint_bool(&self, key: &str) -> Option<bool> {
        match self.hints.get(key) {
            Some(HintValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn desktop_entry(&self) -> Option<&str> {
        self.hint_str("desktop-entry")
    }

    pub fn resident(&self) -> Option<bool> {
        self.hint_bool("resident")
    }

    /// `actions` as `(key, label)` pairs.
    pub fn action_pairs(&self) -> Vec<(&str, &str)> {
        self.actions
            .chunks(2)
            .map(|c| (c[0].as_str(), c.get(1).map(String::as_str).unwrap_or("")))
            .collect()
    }
}

#[derive(Default)]
struct State {
    calls: Vec<Notification>,
    closed: Vec<u32>,
    next_id: u32,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock must not hide the original failure.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct NotificationsIface {
    shared: Arc<Shared>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl NotificationsIface {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        #[zbus(header)] header: zbus::message::Header<'_>,
        app_name: String,
        replaces_id: u32,
        app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        hints: HashMap<String, OwnedVariant>,
        expire_timeout: i32,
    ) -> u32 {
        let mut state = self.shared.lock();
        let id = if replaces_id != 0 {
            replaces_id
        } else {
            state.next_id += 1;
            state.next_id
        };
        let hints = hints
            .iter()
            .map(|(k, v)| (k.clone(), HintValue::from_variant(v)))
            .collect();
        state.calls.push(Notification {
            id,
            app_name,
            replaces_id,
            app_icon,
            summary,
            body,
            actions,
            hints,
            expire_timeout,
            sender: header
                .sender()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        });
        drop(state);
        self.shared.changed.notify_all();
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        ["body", "body-markup", "persistence", "actions"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[zbus(out_args("name", "vendor", "version", "spec_version"))]
    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "calltray-test-notifications".into(),
            "calltray".into(),
            "1.0".into(),
            "1.2".into(),
        )
    }

    async fn close_notification(
        &self,
        id: u32,
        #[zbus(signal_emitter)] emitter: zbus::object_server::SignalEmitter<'_>,
    ) -> zbus::fdo::Result<()> {
        {
            let mut state = self.shared.lock();
            state.closed.push(id);
        }
        self.shared.changed.notify_all();
        // Reason 3: closed by a call to CloseNotification.
        Self::notification_closed(&emitter, id, 3).await?;
        Ok(())
    }

    #[zbus(signal)]
    async fn notification_closed(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        id: u32,
        reason: u32,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn action_invoked(
        emitter: &zbus::object_server::SignalEmitter<'_>,
        id: u32,
        action_key: &str,
    ) -> zbus::Result<()>;
}

/// The fake notification server. Owns `org.freedesktop.Notifications` on the session bus until
/// dropped.
pub struct NotificationServer {
    connection: zbus::Connection,
    shared: Arc<Shared>,
}

impl NotificationServer {
    /// Serves the interface at `/org/freedesktop/Notifications` and owns the well-known name.
    pub fn start(session: &Session) -> NotificationServer {
        let shared = Arc::new(Shared::default());
        let iface = NotificationsIface {
            shared: Arc::clone(&shared),
        };
        let connection = zbus::block_on(
            zbus::connection::Builder::address(session.bus_address())
                .serve_at(NOTIFICATIONS_PATH, iface)
                .name(NOTIFICATIONS_NAME)
                .build(),
        )
        .unwrap_or_else(|e| {
            panic!(
                "starting the test notification server on {}: {e}",
                session.bus_address()
            )
        });
        NotificationServer { connection, shared }
    }

    /// A snapshot of every `Notify` call so far, in order.
    pub fn calls(&self) -> Vec<Notification> {
        self.shared.lock().calls.clone()
    }

    /// Ids passed to `CloseNotification` so far.
    pub fn closed(&self) -> Vec<u32> {
        self.shared.lock().closed.clone()
    }

    /// Waits until `predicate(calls)` holds, returning the calls at that moment. On timeout the
    /// error lists every call that was received.
    pub fn wait_for<F>(
        &self,
        mut predicate: F,
        timeout: Duration,
    ) -> Result<Vec<Notification>, WaitError>
    where
        F: FnMut(&[Notification]) -> bool,
    {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if predicate(&state.calls) {
                return Ok(state.calls.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(WaitError::new(format!(
                    "timed out after {timeout:?} waiting for a notification condition; \
                     received {} Notify call(s):\n{}",
                    state.calls.len(),
                    describe(&state.calls)
                )));
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Waits for a notification whose summary equals `summary`; returns that notification.
    pub fn wait_for_summary(
        &self,
        summary: &str,
        timeout: Duration,
    ) -> Result<Notification, WaitError> {
        let calls = self
            .wait_for(|calls| calls.iter().any(|n| n.summary == summary), timeout)
            .map_err(|e| {
                WaitError::new(format!("no notification with summary {summary:?}: {e}"))
            })?;
        Ok(calls
            .into_iter()
            .find(|n| n.summary == summary)
            .expect("predicate just matched this summary"))
    }

    /// Emits `ActionInvoked(id, action_key)`, as a server does when the user clicks an action.
    pub fn invoke_action(&self, id: u32, action_key: &str) {
        zbus::block_on(self.connection.emit_signal(
            None::<&str>,
            NOTIFICATIONS_PATH,
            NOTIFICATIONS_IFACE,
            "ActionInvoked",
            &(id, action_key),
        ))
        .unwrap_or_else(|e| panic!("emitting ActionInvoked({id}, {action_key:?}): {e}"));
    }

    /// Emits `NotificationClosed(id, reason)` (1 expired, 2 dismissed, 3 closed by call).
    pub fn emit_closed(&self, id: u32, reason: u32) {
        zbus::block_on(self.connection.emit_signal(
            None::<&str>,
            NOTIFICATIONS_PATH,
            NOTIFICATIONS_IFACE,
            "NotificationClosed",
            &(id, reason),
        ))
        .unwrap_or_else(|e| panic!("emitting NotificationClosed({id}, {reason}): {e}"));
    }

    pub fn connection(&self) -> &zbus::Connection {
        &self.connection
    }
}

/// Pretty listing of recorded calls for failure messages.
pub fn describe(calls: &[Notification]) -> String {
    if calls.is_empty() {
        return "  (none)".to_owned();
    }
    calls
        .iter()
        .map(|n| {
            format!(
                "  #{} app={:?} summary={:?} body={:?} icon={:?} actions={:?} hints={:?} \
                 replaces={} timeout={}",
                n.id,
                n.app_name,
                n.summary,
                n.body,
                n.app_icon,
                n.actions,
                n.hints,
                n.replaces_id,
                n.expire_timeout
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
