//! Keeping a flood of calls from burying the desktop.
//!
//! Every event is still tracked and every call recorded; only the toasts are limited. A
//! call already on screen is always updated (that adds nothing to the screen), but at most
//! `[notify] max_new_toasts` new calls ([`MAX_NEW_TOASTS`] unless the config says otherwise)
//! get a toast of their own per [`WINDOW`]; the others are counted and told in one summary
//! toast, "12 more calls", once the window has room again.
//! Pure logic: the time is passed in.

use crate::event::Direction;
use crate::language::Language;
use crate::tr;
use crate::tracker::{CallKey, Time};
use crate::view::{Toast, ToastContent, markup_escape};
use chrono::TimeDelta;
use std::collections::{HashSet, VecDeque};

/// New calls that may raise their own toast within one [`WINDOW`], unless the config's
/// `[notify] max_new_toasts` says otherwise.
pub const MAX_NEW_TOASTS: usize = 5;
/// The span over which new toasts are counted.
pub const WINDOW: TimeDelta = TimeDelta::seconds(5);
/// Calls whose toasts are being followed or held back; beyond this, the oldest are forgotten.
const MAX_FOLLOWED: usize = 1024;

/// At most `max` admissions in any span of `window`: the rationing behind toasts and screen
/// pops alike.
#[derive(Debug)]
pub struct Ration {
    max: usize,
    window: TimeDelta,
    /// When each recent admission happened, oldest first.
    times: VecDeque<Time>,
}

impl Ration {
    pub fn new(max: usize, window: TimeDelta) -> Ration {
        Ration {
            max,
            window,
            times: VecDeque::new(),
        }
    }

    /// Whether one more may go through at `now`; counts it when it may.
    pub fn admit(&mut self, now: Time) -> bool {
        while self.times.front().is_some_and(|t| *t + self.window <= now) {
            self.times.pop_front();
        }
        if self.times.len() >= self.max {
            return false;
        }
        self.times.push_back(now);
        true
    }

    /// Changes how many may go through per window; those already admitted still count.
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// When the oldest admission leaves the window; `None` when there is none.
    pub fn next_room(&self) -> Option<Time> {
        self.times.front().map(|t| *t + self.window)
    }
}

/// Decides which toasts reach the screen.
#[derive(Debug)]
pub struct ToastGate {
    /// The new-call toasts (and summaries) let through lately.
    admitted: Ration,
    /// Calls with a toast on screen, which may always be updated.
    shown: HashSet<CallKey>,
    /// Calls held back since the last summary.
    held: HashSet<CallKey>,
    /// Calls held back and not yet told in a summary.
    untold: usize,
}

impl Default for ToastGate {
    fn default() -> Self {
        ToastGate::new(MAX_NEW_TOASTS)
    }
}

impl ToastGate {
    /// A gate letting `max_new` new calls per [`WINDOW`] have a toast of their own.
    pub fn new(max_new: usize) -> ToastGate {
        ToastGate {
            admitted: Ration::new(max_new, WINDOW),
            shown: HashSet::new(),
            held: HashSet::new(),
            untold: 0,
        }
    }

    /// Applies a new `max_new_toasts` (a config reload); the current window keeps its count.
    pub fn set_max_new(&mut self, max_new: usize) {
        self.admitted.set_max(max_new);
    }

    /// The toasts to show now for `toast`: itself, or nothing when it is held back.
    pub fn admit(&mut self, toast: Toast, now: Time) -> Option<Toast> {
        let known = self.shown.contains(&toast.key);
        if known || toast.content.is_none() {
            if toast.last {
                self.shown.remove(&toast.key);
            }
            return Some(toast);
        }
        if self.held.contains(&toast.key) {
            if toast.last {
                self.held.remove(&toast.key);
            }
            return None;
        }
        if self.admitted.admit(now) {
            if !toast.last {
                self.bounded_insert_shown(toast.key.clone());
            }
            return Some(toast);
        }
        self.untold += 1;
        if !toast.last && self.held.len() < MAX_FOLLOWED {
            self.held.insert(toast.key);
        }
        None
    }

    /// The summary toast, once the window has room again and calls were held back.
    pub fn tick(&mut self, now: Time, lang: Language) -> Option<Toast> {
        if self.untold == 0 || !self.admitted.admit(now) {
            return None;
        }
        let count = std::mem::take(&mut self.untold);
        Some(summary_toast(count, lang))
    }

    /// When [`tick`](Self::tick) may have a summary to give; `None` when nothing is held back.
    pub fn next_deadline(&self) -> Option<Time> {
        // Calls are held back only while the window is full, so it has a first entry.
        (self.untold > 0)
            .then(|| self.admitted.next_room())
            .flatten()
    }

    fn bounded_insert_shown(&mut self, key: CallKey) {
        if self.shown.len() >= MAX_FOLLOWED {
            self.shown.clear();
        }
        self.shown.insert(key);
    }
}

/// "12 more calls", replacing the previous summary in place.
fn summary_toast(count: usize, lang: Language) -> Toast {
    let summary = tr!(lang, "flood-summary", count = count);
    Toast {
        // Control characters never pass the listener, so no call can have this id.
        key: CallKey {
            callid: "\u{0}summary".into(),
            direction: Direction::Incoming,
        },
        content: Some(ToastContent {
            summary,
            body: markup_escape(&tr!(lang, "flood-body")),
            sticky: false,
            icon: "call-start",
            actions: Vec::new(),
        }),
        last: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn t(ms: i64) -> Time {
        DateTime::from_timestamp_millis(1_800_000_000_000 + ms).expect("valid test time")
    }

    fn toast(callid: &str, last: bool) -> Toast {
        Toast {
            key: CallKey {
                callid: callid.into(),
                direction: Direction::Incoming,
            },
            content: Some(ToastContent {
                summary: "Incoming call".into(),
                body: String::new(),
                sticky: true,
                icon: "call-start",
                actions: Vec::new(),
            }),
            last,
        }
    }

    #[test]
    fn a_flood_is_told_in_one_summary() {
        let mut gate = ToastGate::default();
        let shown = (0..30)
            .filter(|i| gate.admit(toast(&format!("C{i}"), false), t(*i)).is_some())
            .count();
        assert_eq!(shown, MAX_NEW_TOASTS);
        assert_eq!(
            gate.tick(t(100), Language::English),
            None,
            "the window is still full"
        );
        assert_eq!(gate.next_deadline(), Some(t(0) + WINDOW));
        let summary = gate
            .tick(t(0) + WINDOW, Language::English)
            .expect("a summary once there is room");
        assert_eq!(summary.content.unwrap().summary, "25 more calls");
        assert_eq!(gate.next_deadline(), None);
    }

    #[test]
    fn calls_on_screen_are_always_updated_and_held_ones_stay_quiet() {
        let mut gate = ToastGate::default();
        for i in 0..MAX_NEW_TOASTS {
            assert!(gate.admit(toast(&format!("C{i}"), false), t(0)).is_some());
        }
        assert!(gate.admit(toast("HELD", false), t(1)).is_none());
        assert!(
            gate.admit(toast("C0", false), t(2)).is_some(),
            "an update passes"
        );
        assert!(
            gate.admit(toast("C0", true), t(3)).is_some(),
            "so does its end"
        );
        assert!(
            gate.admit(toast("HELD", true), t(4)).is_none(),
            "held calls stay quiet"
        );
        let summary = gate
            .tick(t(0) + WINDOW, Language::English)
            .expect("a summary");
        assert_eq!(summary.content.unwrap().summary, "1 more call");
    }

    #[test]
    fn the_limit_follows_the_config() {
        let mut gate = ToastGate::new(20);
        let shown = (0..30)
            .filter(|i| gate.admit(toast(&format!("C{i}"), false), t(*i)).is_some())
            .count();
        assert_eq!(shown, 20);
        // A reload lowers it: the 20 already shown fill the window.
        gate.set_max_new(2);
        assert!(gate.admit(toast("LATE", false), t(40)).is_none());
        gate.set_max_new(100);
        assert!(gate.admit(toast("RAISED", false), t(41)).is_some());
    }

    #[test]
    fn a_quiet_pace_shows_every_call() {
        let mut gate = ToastGate::default();
        for i in 0..50 {
            let at = t(i * 2000);
            assert!(
                gate.admit(toast(&format!("C{i}"), true), at).is_some(),
                "call {i}"
            );
            assert_eq!(gate.tick(at, Language::English), None);
        }
    }
}
