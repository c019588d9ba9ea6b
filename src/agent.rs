//! The agent's core loop: the one place that owns the call tracker.
//!
//! It waits for events from the listener and clicks from the tray, feeds them to the
//! [`CallTracker`], and publishes what changed: toasts to the notifier, a fresh [`TrayView`]
//! to the tray. It wakes on its own only when something is due (a ringing call timing out,
//! or the running time of a call on the tray), so an idle agent uses no CPU.

use crate::config::{Config, OpenOn};
use crate::crm;
use crate::event::CallEvent;
use crate::event::Direction;
use crate::extensions::{self, ExtensionNames};
use crate::flood::ToastGate;
use crate::history;
use crate::language::Language;
use crate::listener::ListenerNote;
use crate::names::Names;
use crate::notifier::NotifierMsg;
use crate::tracker::{Call, CallKey, CallState, CallTracker, Outcome, Step, Time, Update};
use crate::view::{self, Toast, ToastAction, TrayView};
use chrono::{Local, TimeDelta, Utc};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

/// Messages to the core loop.
///
/// The queue is a `sync_channel` of [`QUEUE_DEPTH`] slots, each as large as the largest
/// message, all allocated and written when it is made: large payloads are boxed, so that the
/// empty queue holds 256 KB of resident memory (64-byte slots) rather than 576 KB.
#[derive(Debug)]
pub enum AgentMsg {
    /// A callback for one of the user's extensions, with the time it arrived.
    Event(Box<(CallEvent, Time)>),
    /// The user has looked at their missed calls.
    MarkSeen,
    /// The tray's "Do not disturb" was switched on or off.
    DoNotDisturb(bool),
    /// "Call back" on a recent call: ring `extension`, then dial `number`.
    CallBack { number: String, extension: String },
    /// The listener went down or came back.
    Listener(ListenerNote),
    /// The config file changed and passed its checks; the names are read from its contacts.
    Reload(Arc<Config>, Box<Names>),
    /// Ubity's extension names, fetched again.
    ExtensionNames(ExtensionNames),
    /// The contacts files were read (at start, off the core loop, or after one changed).
    Names(Box<Names>),
    /// A button was pressed on the toast of this call.
    ToastAction(CallKey, ToastAction),
    /// A message for the user about calltray itself (a config edit that was not applied).
    Tell(Box<Toast>),
    /// Stop the loop (Quit in the menu, or a termination signal).
    Quit,
}

/// How many events may wait for the core loop before the listener answers 503.
pub const QUEUE_DEPTH: usize = 4096;

/// What the agent starts from: the events of the latest calls, from the history, and when
/// the user last marked missed calls as seen.
#[derive(Default)]
pub struct Replay {
    pub events: Vec<(CallEvent, Time)>,
    pub seen_at: Option<Time>,
    /// Missed calls not yet seen, counted in the history (more than the replayed ones).
    pub unseen_missed: usize,
}

/// Where the core loop's output goes.
pub struct Outputs {
    pub toasts: Sender<NotifierMsg>,
    /// The call history, when there is one: every change of a call is saved there.
    pub history: Option<history::Writer>,
    /// Opens a URL in the default browser without waiting (the CRM's screen pop).
    pub open_url: Option<Box<dyn Fn(String) + Send>>,
    /// The tray, when there is one: called with every new view.
    pub tray: Option<Box<dyn FnMut(TrayView) + Send>>,
    /// Fetches Ubity's extension names in the background, when there is an API key.
    pub extension_names: Option<extensions::Refresher>,
    /// Puts text on the clipboard (the tray's), when there is one.
    pub copy: Option<Box<dyn Fn(String) + Send>>,
}

/// Runs the core loop until [`AgentMsg::Quit`] or until every sender is gone.
pub fn run(
    mut config: Arc<Config>,
    mut names: Names,
    listening: SocketAddr,
    replay: Replay,
    inbox: Receiver<AgentMsg>,
    mut out: Outputs,
) {
    let mut tracker = CallTracker::new(config.ring_timeout, view::RECENT_IN_MENU);
    // Calls from before a restart come back silently: no toast for what was already shown.
    // A call that timed out while calltray was stopped ends when it timed out, not now, so
    // the recent calls keep the order in which they happened.
    for update in replay_into(&mut tracker, &replay.events, Utc::now()) {
        save(&update, &names, &out);
    }
    if let Some(history) = &out.history {
        history.send(history::Write::Replayed);
    }
    tracker.restore_unseen(replay.seen_at, replay.unseen_missed);
    let mut listener = ListenerNote::Up(listening);
    let mut gate = ToastGate::new(config.notify.max_new_toasts);
    let mut pops = crm::pop_ration();
    let tz = view::local();
    let mut last_view: Option<TrayView> = None;
    let mut away = Away::default();
    loop {
        let quiet = away.dnd || config.quiet_hours.contains(Local::now().naive_local());
        if let Some(summary) = away.update(quiet, config.language) {
            let _ = out.toasts.send(NotifierMsg::Show(summary));
        }
        let lang = config.language;
        let view_now = |tracker: &CallTracker| {
            view::tray_view(tracker, &listener, Utc::now(), &tz, lang, &names)
        };
        if let Some(tray) = out.tray.as_mut() {
            let mut v = view_now(&tracker);
            v.call_back = config.ubity.is_some();
            if last_view.as_ref() != Some(&v) {
                tray(v.clone());
                last_view = Some(v);
            }
        }
        let ticking = out.tray.is_some() && last_view.as_ref().is_some_and(|v| v.ticking);
        let quiet_change = config
            .quiet_hours
            .next_change(Local::now().naive_local())
            .map(|at| (at - Local::now().naive_local()).max(TimeDelta::zero()))
            .and_then(|d| d.to_std().ok());
        let msg = match earliest(wait_for(&tracker, &gate, ticking), quiet_change) {
            Some(timeout) => inbox.recv_timeout(timeout),
            None => inbox.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match msg {
            Ok(AgentMsg::Event(arrived)) => {
                let (event, at) = *arrived;
                tracing::debug!(%event, "event");
                if let Some(update) = tracker.apply(&event, at) {
                    announce(
                        &update, &config, &names, &mut gate, &mut pops, &out, &mut away,
                    );
                }
            }
            Ok(AgentMsg::MarkSeen) => mark_seen(&mut tracker, &out),
            Ok(AgentMsg::Listener(note)) => listener = note,
            Ok(AgentMsg::DoNotDisturb(on)) => away.dnd = on,
            Ok(AgentMsg::CallBack { number, extension }) => match &config.ubity {
                Some(api) => {
                    let toasts = out.toasts.clone();
                    let shown = names.party_text(&number, lang);
                    crate::dial::spawn(api.clone(), extension, number, shown, lang, move |toast| {
                        let _ = toasts.send(NotifierMsg::Show(toast));
                    });
                }
                None => tracing::warn!("Call back clicked, but [ubity] api_key is not set"),
            },
            Ok(AgentMsg::Reload(new, new_names)) => {
                tracker.set_ring_timeout(new.ring_timeout);
                gate.set_max_new(new.notify.max_new_toasts);
                if let Some(refresher) = &out.extension_names
                    && new.ubity != config.ubity
                {
                    refresher.set_api(new.ubity.clone());
                }
                let mut new_names = new_names;
                new_names.keep_extensions_of(&mut names);
                names = *new_names;
                if let Some(history) = &out.history {
                    history.send(history::Write::Retention(new.history));
                }
                config = new;
            }
            Ok(AgentMsg::ExtensionNames(fresh)) => names.set_extensions(fresh),
            Ok(AgentMsg::Names(mut fresh)) => {
                fresh.keep_extensions_of(&mut names);
                names = *fresh;
            }
            Ok(AgentMsg::ToastAction(key, action)) => {
                let call = tracker
                    .live()
                    .into_iter()
                    .chain(tracker.recent())
                    .find(|c| c.key == key)
                    .cloned();
                if let Some(call) = call {
                    if toast_action(&call, action, &config, &names, &out) {
                        mark_seen(&mut tracker, &out);
                    }
                } else {
                    tracing::info!("a toast button for a call calltray no longer follows");
                }
            }
            Ok(AgentMsg::Tell(toast)) => {
                let _ = out.toasts.send(NotifierMsg::Show(*toast));
            }
            Ok(AgentMsg::Quit) | Err(RecvTimeoutError::Disconnected) => {
                withdraw_sticky_toasts(&out);
                return;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        let now = Utc::now();
        for update in tracker.expire(now) {
            announce(
                &update, &config, &names, &mut gate, &mut pops, &out, &mut away,
            );
        }
        if let Some(summary) = gate.tick(now, config.language) {
            if let Some(content) = &summary.content {
                tracing::info!(
                    "{}: too many calls at once to show or log each",
                    content.summary
                );
            }
            let _ = out.toasts.send(NotifierMsg::Show(summary));
        }
    }
}

/// How long the loop may sleep: until the next ring timeout or flood summary, or a second
/// while the tray shows a running call time; forever when nothing is due.
fn wait_for(tracker: &CallTracker, gate: &ToastGate, ticking: bool) -> Option<Duration> {
    let deadline = earliest(tracker.next_deadline(), gate.next_deadline());
    let until_deadline = deadline.map(|d| {
        (d - Utc::now())
            .max(TimeDelta::zero())
            .to_std()
            .unwrap_or_default()
    });
    earliest(until_deadline, ticking.then_some(Duration::from_secs(1)))
}

/// Feeds the events of a previous run to the tracker, ending calls that timed out meanwhile
/// at their deadlines, up to `now`.
fn replay_into(tracker: &mut CallTracker, events: &[(CallEvent, Time)], now: Time) -> Vec<Update> {
    let mut updates = Vec::new();
    for (event, at) in events {
        updates.extend(expire_until(tracker, *at));
        updates.extend(tracker.apply(event, *at));
    }
    updates.extend(expire_until(tracker, now));
    updates
}

/// Ends every call whose time was up by `until`, each at its own deadline and in that order.
fn expire_until(tracker: &mut CallTracker, until: Time) -> Vec<Update> {
    let mut updates = Vec::new();
    while let Some(due) = tracker.next_deadline().filter(|d| *d <= until) {
        let ended = tracker.expire(due);
        if ended.is_empty() {
            break;
        }
        updates.extend(ended);
    }
    updates
}

/// The sooner of two optional moments; `None` only when neither is set.
fn earliest<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Opens the user's CRM on an incoming call, once, at the moment the config says.
fn screen_pop(
    update: &Update,
    config: &Config,
    names: &Names,
    pops: &mut crate::flood::Ration,
    out: &Outputs,
) {
    let (Some(open), false) = (&out.open_url, config.crm.url.is_empty()) else {
        return;
    };
    let wanted = match config.crm.open_on {
        OpenOn::Ringing => Step::Ringing,
        OpenOn::Answered => Step::Answered,
        OpenOn::Never => return,
    };
    if update.step != wanted || update.call.key.direction != Direction::Incoming {
        return;
    }
    if !pops.admit(Utc::now()) {
        tracing::info!("CRM page not opened: too many calls at once");
        return;
    }
    if let Some(url) = crm::url_for(&config.crm.url, &update.call, names) {
        open(url);
    }
}

/// The user has looked at their missed calls: the tray stops showing them as new, now and
/// after a restart.
fn mark_seen(tracker: &mut CallTracker, out: &Outputs) {
    tracker.mark_seen();
    if let Some(history) = &out.history {
        history.send(history::Write::SeenAt(Utc::now()));
    }
}

/// Does what a toast's button says for `call`; true when it counts as having seen the call
/// (the user copied its number).
fn toast_action(
    call: &Call,
    action: ToastAction,
    config: &Config,
    names: &Names,
    out: &Outputs,
) -> bool {
    let lang = config.language;
    match action {
        ToastAction::CallBack => match &config.ubity {
            Some(api) => {
                let toasts = out.toasts.clone();
                crate::dial::spawn(
                    api.clone(),
                    call.extension.clone(),
                    names.dialable(&call.party),
                    names.party_text(&call.party, lang),
                    lang,
                    move |toast| {
                        let _ = toasts.send(NotifierMsg::Show(toast));
                    },
                );
                false
            }
            None => false,
        },
        ToastAction::OpenCrm => {
            if let (Some(open), false) = (&out.open_url, config.crm.url.is_empty())
                && let Some(url) = crm::url_for(&config.crm.url, call, names)
            {
                open(url);
            }
            false
        }
        ToastAction::CopyNumber => match &out.copy {
            Some(copy) => {
                copy(names.dialable(&call.party));
                true
            }
            None => false,
        },
    }
}

/// Saves a call's new state in the history, with the party's name when one is known.
fn save(update: &Update, names: &Names, out: &Outputs) {
    if let Some(history) = &out.history {
        history.send(history::Write::Call(
            Box::new(update.call.clone()),
            names.name_for(&update.call.party).map(str::to_string),
            Utc::now(),
        ));
    }
}

/// Do not disturb: the tray's switch, and what happened while toasts were off.
#[derive(Default)]
struct Away {
    dnd: bool,
    was_quiet: bool,
    missed: usize,
}

impl Away {
    /// Notes whether toasts are off now; when they come back on after missed calls, the one
    /// toast that sums those up.
    fn update(&mut self, quiet: bool, lang: Language) -> Option<view::Toast> {
        let back = self.was_quiet && !quiet;
        self.was_quiet = quiet;
        if back && self.missed > 0 {
            let n = std::mem::take(&mut self.missed);
            return Some(view::missed_while_away(n, lang));
        }
        None
    }
}

fn announce(
    update: &Update,
    config: &Config,
    names: &Names,
    gate: &mut ToastGate,
    pops: &mut crate::flood::Ration,
    out: &Outputs,
    away: &mut Away,
) {
    save(update, names, out);
    let mut toast = view::toast_for(update, &config.notify, config.language, names);
    if let Some(content) = toast.content.as_mut() {
        let offer = view::Offer {
            call_back: config.ubity.is_some(),
            crm: !config.crm.url.is_empty(),
            copy: out.copy.is_some(),
        };
        content.actions = view::toast_actions(update, offer, config.language, names);
    }
    if away.was_quiet {
        // No new toast; one already up for this call (it rang before quiet began) goes.
        toast.content = None;
        if update.call.state == CallState::Ended(Outcome::Missed) {
            away.missed += 1;
        }
    } else {
        screen_pop(update, config, names, pops, out);
    }
    let admitted = gate.admit(toast, Utc::now());
    // In a flood, the calls whose toasts are held back are logged at debug level only, so
    // that the log does not grow with the flood either; the summary toast is logged.
    let callid = crate::params::printable(&update.call.key.callid);
    let direction = update.call.key.direction.as_str();
    if admitted.is_some() {
        tracing::info!(%callid, direction, step = ?update.step, state = ?update.call.state, "call");
    } else {
        tracing::debug!(%callid, direction, step = ?update.step, state = ?update.call.state, "call");
    }
    // The notifier outlives the loop; a send can only fail while the process is exiting.
    if let Some(toast) = admitted {
        let _ = out.toasts.send(NotifierMsg::Show(toast));
    }
}

/// A ringing or missed-call toast must not outlive calltray: nothing could replace it.
/// Waits a little for the notifier, which may be stuck on a service that does not answer.
fn withdraw_sticky_toasts(out: &Outputs) {
    let (done, wait) = channel();
    if out.toasts.send(NotifierMsg::CloseSticky(done)).is_ok() {
        let _ = wait.recv_timeout(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    fn t(secs: i64) -> Time {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("a time")
    }

    fn event(kind: EventKind, callid: &str, caller: &str) -> CallEvent {
        CallEvent {
            kind,
            callid: callid.into(),
            direction: Direction::Incoming,
            caller: caller.into(),
            callee: "100".into(),
            duration: None,
            extra: Vec::new(),
        }
    }

    /// Every slot of the event queue is as large as the largest message (see [`AgentMsg`]).
    #[test]
    fn messages_stay_small_enough_for_a_preallocated_queue() {
        assert!(std::mem::size_of::<AgentMsg>() <= 56);
    }

    /// A rang and timed out; B came after and ended. After a restart the menu lists B first,
    /// and A ended at its timeout, not at the restart.
    #[test]
    fn a_replay_keeps_calls_in_the_order_they_happened() {
        let mut tracker = CallTracker::new(Duration::from_secs(5), 10);
        let events = [
            (event(EventKind::Initiated, "A", "5145550001"), t(0)),
            (event(EventKind::Initiated, "B", "5145550002"), t(20)),
            (event(EventKind::Answered, "B", "5145550002"), t(22)),
            (event(EventKind::Ended, "B", "5145550002"), t(30)),
        ];
        replay_into(&mut tracker, &events, t(3600));
        let recent: Vec<(&str, Option<Time>)> = tracker
            .recent()
            .map(|c| (c.key.callid.as_str(), c.ended_at))
            .collect();
        assert_eq!(recent, [("B", Some(t(30))), ("A", Some(t(5)))]);
    }
}
