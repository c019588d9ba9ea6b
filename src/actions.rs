//! Buttons on toasts (freedesktop notification actions): Call back, Open in CRM, Copy number.
//!
//! Linux only: there the notification service tells of a click with an
//! `ActionInvoked(id, key)` signal, which a thread of its own listens for on the session bus
//! ([`crate::platform::listen_for_toast_buttons`]). On macOS and Windows toasts have no
//! buttons ([`crate::platform::TOAST_BUTTONS`]); the same actions are in the tray menu.
//!
//! The notifier [`Registry::watch`]es each toast that carries buttons; a watch ends when the
//! service says the toast closed, or after [`WAIT_AT_MOST`], whichever comes first, so the
//! registry stays small however long calltray runs.

use crate::tracker::CallKey;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a toast's buttons are listened for: a missed call may wait on screen through a
/// meeting, but not past a working day.
pub const WAIT_AT_MOST: Duration = Duration::from_secs(10 * 3600);
/// The most toasts whose buttons are listened for at once; the oldest watch goes first.
const MAX_WATCHED: usize = 64;
/// How long a click on a toast the notifier has not registered yet waits for it.
const REGISTRATION_GRACE: Duration = Duration::from_millis(500);

/// The toasts with buttons, by the id the notification service gave them.
#[derive(Clone, Default)]
pub struct Registry {
    watched: Arc<Mutex<HashMap<u32, (CallKey, Instant)>>>,
    /// How many toasts have been watched so far, for [`Registry::wait_for_toast_after`].
    shown: Arc<(Mutex<u64>, Condvar)>,
}

impl Registry {
    /// Listens for the buttons of toast `id`, which shows call `key`.
    pub fn watch(&self, id: u32, key: CallKey) {
        let mut watched = self.lock();
        let now = Instant::now();
        watched.retain(|_, (_, since)| now.duration_since(*since) < WAIT_AT_MOST);
        if watched.len() >= MAX_WATCHED
            && let Some(oldest) = watched
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(id, _)| *id)
        {
            watched.remove(&oldest);
        }
        watched.insert(id, (key, now));
        drop(watched);
        let (count, changed) = &*self.shown;
        *count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        changed.notify_all();
    }

    /// How many toasts with buttons have been shown so far.
    pub fn toasts_shown(&self) -> u64 {
        *self.shown.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until more than `seen` toasts with buttons have been shown, or for `timeout`;
    /// whether one was. The click listener waits here between attempts to reach the session
    /// bus: a toast just shown means the bus is there, and its buttons need listening for
    /// now, not at the next attempt minutes later.
    pub fn wait_for_toast_after(&self, seen: u64, timeout: Duration) -> bool {
        let (count, changed) = &*self.shown;
        let guard = count.lock().unwrap_or_else(PoisonError::into_inner);
        let (guard, _) = changed
            .wait_timeout_while(guard, timeout, |n| *n <= seen)
            .unwrap_or_else(PoisonError::into_inner);
        *guard > seen
    }

    /// The call whose toast `id` was clicked, while its watch lasts.
    fn call_of(&self, id: u32) -> Option<CallKey> {
        let watched = self.lock();
        let (key, since) = watched.get(&id)?;
        (since.elapsed() < WAIT_AT_MOST).then(|| key.clone())
    }

    /// [`Registry::call_of`], allowing the notifier a moment to register a toast it has just
    /// shown: the service can report a click before the notifier has heard back the toast's
    /// id. Only the click-listening thread waits here.
    pub fn wait_for(&self, id: u32) -> Option<CallKey> {
        let deadline = Instant::now() + REGISTRATION_GRACE;
        loop {
            if let Some(call) = self.call_of(id) {
                return Some(call);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops listening for the buttons of toast `id` (the service closed it).
    pub fn forget(&self, id: u32) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, (CallKey, Instant)>> {
        // The map stays consistent whatever a panicking holder was doing.
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Direction;

    fn key(id: &str) -> CallKey {
        CallKey {
            callid: id.into(),
            direction: Direction::Incoming,
        }
    }

    #[test]
    fn a_toast_shown_wakes_whoever_waits_for_one() {
        let registry = Registry::default();
        let seen = registry.toasts_shown();
        assert!(!registry.wait_for_toast_after(seen, Duration::from_millis(1)));
        let shower = registry.clone();
        let showing = std::thread::spawn(move || shower.watch(7, key("A")));
        assert!(registry.wait_for_toast_after(seen, Duration::from_secs(60)));
        showing.join().expect("the showing thread");
        assert_eq!(registry.toasts_shown(), seen + 1);
    }

    #[test]
    fn the_registry_forgets_closed_toasts_and_stays_bounded() {
        let r = Registry::default();
        r.watch(7, key("A"));
        assert_eq!(r.call_of(7), Some(key("A")));
        r.forget(7);
        assert_eq!(r.call_of(7), None);
        for id in 0..(MAX_WATCHED as u32 + 10) {
            r.watch(id, key(&id.to_string()));
        }
        assert_eq!(r.len(), MAX_WATCHED);
        // The newest watch is kept, the oldest went first.
        let last = MAX_WATCHED as u32 + 9;
        assert_eq!(r.call_of(last), Some(key(&last.to_string())));
        assert_eq!(r.call_of(0), None);
    }
}
