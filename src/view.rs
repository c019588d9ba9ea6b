//! What the user should see: toast texts and the tray's state, computed as plain data.
//!
//! The adapters (notify-rust, tray-icon) only render what is decided here, so every word a
//! user reads is tested without a display. All text that came from a request passes through
//! [`clean`] first: the notification daemons interpret body markup, and a callback is
//! untrusted input.

use crate::config::NotifyPrefs;
use crate::event::{Direction, is_invisible_format};
use crate::language::Language;
use crate::names::Names;
use crate::tr;
use crate::tracker::{Call, CallKey, CallState, CallTracker, Outcome, Step, Time, Update};
use chrono::{Local, TimeZone};

/// The longest piece of request text shown anywhere.
pub const MAX_SHOWN_CHARS: usize = 48;
/// How many finished calls the tray menu lists.
pub const RECENT_IN_MENU: usize = 10;

/// One notification for a call; later ones for the same call replace it in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub key: CallKey,
    /// `None`: this step is not announced; any toast still up for the call is withdrawn.
    pub content: Option<ToastContent>,
    /// The call is over: the notifier can forget it once this is shown.
    pub last: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToastContent {
    pub summary: String,
    /// Body markup: already escaped.
    pub body: String,
    /// Stays until the user dismisses it (ringing, missed).
    pub sticky: bool,
    /// A freedesktop icon name.
    pub icon: &'static str,
    /// Buttons, with their labels, where the notification service shows them.
    pub actions: Vec<(ToastAction, String)>,
}

/// A button on a call's toast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastAction {
    CallBack,
    OpenCrm,
    CopyNumber,
}

impl ToastAction {
    /// The action's key on the wire (freedesktop notification actions).
    pub fn key(self) -> &'static str {
        match self {
            ToastAction::CallBack => "call-back",
            ToastAction::OpenCrm => "open-crm",
            ToastAction::CopyNumber => "copy-number",
        }
    }

    pub fn from_key(key: &str) -> Option<ToastAction> {
        [
            ToastAction::CallBack,
            ToastAction::OpenCrm,
            ToastAction::CopyNumber,
        ]
        .into_iter()
        .find(|a| a.key() == key)
    }
}

/// What this calltray can do from a toast's buttons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offer {
    /// An API key is configured.
    pub call_back: bool,
    /// A CRM URL is configured.
    pub crm: bool,
    /// There is a clipboard to copy to (a tray, on its event loop).
    pub copy: bool,
}

/// The buttons for a call's toast: on a ringing incoming call, Open in CRM and Copy number;
/// on a missed call, Call back as well. Never on a party with no number.
pub fn toast_actions(
    update: &Update,
    offer: Offer,
    lang: Language,
    names: &Names,
) -> Vec<(ToastAction, String)> {
    let call = &update.call;
    let missed = call.state == CallState::Ended(Outcome::Missed);
    let ringing_in = update.step == Step::Ringing && call.key.direction == Direction::Incoming;
    if !(missed || ringing_in) || names.dialable(&call.party).is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if missed && offer.call_back {
        out.push((ToastAction::CallBack, tr!(lang, "menu-call-back")));
    }
    if offer.crm {
        out.push((ToastAction::OpenCrm, tr!(lang, "action-open-crm")));
    }
    if offer.copy {
        out.push((ToastAction::CopyNumber, tr!(lang, "menu-copy-number")));
    }
    out
}

/// A toast about calltray itself rather than a call (a config edit that was not applied):
/// one per `topic`, each replacing the last.
pub fn notice(topic: &str, summary: &str, body: &str) -> Toast {
    notice_with_icon(topic, summary, body, "dialog-warning")
}

/// [`notice`] for good news.
pub fn notice_ok(topic: &str, summary: &str, body: &str) -> Toast {
    notice_with_icon(topic, summary, body, "call-start")
}

fn notice_with_icon(topic: &str, summary: &str, body: &str, icon: &'static str) -> Toast {
    Toast {
        // Control characters never pass the listener, so no call can have this id.
        key: CallKey {
            callid: format!("\u{0}{topic}"),
            direction: Direction::Incoming,
        },
        content: Some(ToastContent {
            summary: summary.to_string(),
            body: markup_escape(&own_text(body)),
            sticky: false,
            icon,
            actions: Vec::new(),
        }),
        last: false,
    }
}

/// After quiet hours or "Do not disturb": the calls missed meanwhile, in one toast that stays.
pub fn missed_while_away(count: usize, lang: Language) -> Toast {
    Toast {
        // Control characters never pass the listener, so no call can have this id.
        key: CallKey {
            callid: "\u{0}away".into(),
            direction: Direction::Incoming,
        },
        content: Some(ToastContent {
            summary: tr!(lang, "away-summary", count = count),
            body: markup_escape(&tr!(lang, "away-body", count = count)),
            sticky: true,
            icon: "call-stop",
            actions: Vec::new(),
        }),
        last: false,
    }
}

/// The toast that announces `update`, following the user's switches.
pub fn toast_for(update: &Update, prefs: &NotifyPrefs, lang: Language, names: &Names) -> Toast {
    let call = &update.call;
    let incoming = call.key.direction == Direction::Incoming;
    let (enabled, summary, sticky, icon) = match (update.step, call.state) {
        (Step::Ringing, _) if incoming => (
            prefs.incoming_ringing,
            tr!(lang, "toast-incoming"),
            true,
            "call-start",
        ),
        (Step::Ringing, _) => (
            prefs.outgoing_ringing,
            tr!(lang, "toast-calling"),
            false,
            "call-start",
        ),
        (Step::Answered, _) => (
            if incoming {
                prefs.incoming_answered
            } else {
                prefs.outgoing_answered
            },
            tr!(lang, "toast-answered"),
            false,
            "call-start",
        ),
        (Step::Ended, CallState::Ended(Outcome::Missed)) => {
            (prefs.missed, tr!(lang, "toast-missed"), true, "call-stop")
        }
        (Step::Ended, CallState::Ended(Outcome::Unanswered)) => (
            prefs.outgoing_ended,
            tr!(lang, "toast-no-answer"),
            false,
            "call-stop",
        ),
        (Step::Ended, _) => (
            if incoming {
                prefs.incoming_ended
            } else {
                prefs.outgoing_ended
            },
            match call.duration {
                Some(d) => tr!(lang, "toast-ended-after", duration = lang.duration(d)),
                None => tr!(lang, "toast-ended"),
            },
            false,
            "call-stop",
        ),
    };
    let content = enabled.then(|| ToastContent {
        summary,
        body: toast_body(call, lang, names),
        sticky,
        icon,
        actions: Vec::new(),
    });
    Toast {
        key: call.key.clone(),
        content,
        last: update.step == Step::Ended,
    }
}

fn toast_body(call: &Call, lang: Language, names: &Names) -> String {
    let party = markup_escape(&names.name_and_number(&call.party, lang));
    let extension = markup_escape(&names.number_text(&call.extension, lang));
    let second = match call.key.direction {
        Direction::Incoming => tr!(lang, "toast-to-extension", extension = extension),
        Direction::Outgoing => tr!(lang, "toast-from-extension", extension = extension),
    };
    format!("{party}\n{second}")
}

/// Which picture the tray shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayIcon {
    Idle,
    Ringing,
    InCall,
    Missed,
}

/// Whether the listener is taking calls, as the tray and `/health` tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerNote {
    /// Listening on this address.
    Up(std::net::SocketAddr),
    /// A part of the listener failed and is being restarted.
    Down(String),
}

/// Everything the tray shows, rebuilt after each change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub icon: TrayIcon,
    /// The first, disabled menu line: appindicator ignores tooltips, so state goes here.
    pub status: String,
    pub tooltip: String,
    pub recent: Vec<RecentCall>,
    pub unseen_missed: usize,
    /// A call is in progress, so the status shows a running time and wants refreshing.
    pub ticking: bool,
    /// Recent calls offer "Call back" (an API key is configured).
    pub call_back: bool,
    /// The fixed words of the menu, in the user's language.
    pub words: MenuWords,
}

/// The menu's fixed labels; the tray shows these rather than words of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuWords {
    pub recent: String,
    pub no_calls: String,
    pub do_not_disturb: String,
    pub open_config: String,
    pub quit: String,
    pub copy_number: String,
    pub no_number: String,
    pub call_back: String,
    /// "Mark 2 missed calls as seen", while there are unseen missed calls.
    pub mark_seen: String,
}

impl MenuWords {
    pub fn new(lang: Language, unseen_missed: usize) -> MenuWords {
        MenuWords {
            recent: tr!(lang, "menu-recent"),
            no_calls: tr!(lang, "menu-no-calls"),
            do_not_disturb: tr!(lang, "menu-do-not-disturb"),
            open_config: tr!(lang, "menu-open-config"),
            quit: tr!(lang, "menu-quit"),
            copy_number: tr!(lang, "menu-copy-number"),
            no_number: tr!(lang, "menu-no-number"),
            call_back: tr!(lang, "menu-call-back"),
            mark_seen: tr!(
                lang,
                "menu-mark-seen",
                missed = missed_count_text(unseen_missed, lang),
                count = unseen_missed
            ),
        }
    }
}

/// One line of the recent-calls menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentCall {
    pub label: String,
    /// What "Copy number" puts on the clipboard.
    pub number: String,
    /// The user's extension on that call: the phone "Call back" rings first.
    pub extension: String,
}

/// The tray's state at `now`; `listener` says whether calls can arrive.
pub fn tray_view<Tz: TimeZone>(
    tracker: &CallTracker,
    listener: &ListenerNote,
    now: Time,
    tz: &Tz,
    lang: Language,
    names: &Names,
) -> TrayView
where
    Tz::Offset: std::fmt::Display,
{
    let live = tracker.live();
    let ringing: Vec<&&Call> = live
        .iter()
        .filter(|c| c.state == CallState::Ringing)
        .collect();
    let in_call: Vec<&&Call> = live
        .iter()
        .filter(|c| c.state == CallState::InCall)
        .collect();
    let more = |n: usize| {
        if n > 1 {
            tr!(lang, "status-more", count = n - 1)
        } else {
            String::new()
        }
    };

    let (icon, status) = if let Some(first) = ringing.first() {
        let (party, more) = (names.party_text(&first.party, lang), more(ringing.len()));
        let status = match first.key.direction {
            Direction::Incoming => tr!(lang, "status-ringing", party = party, more = more),
            Direction::Outgoing => tr!(lang, "status-calling", party = party, more = more),
        };
        (TrayIcon::Ringing, status)
    } else if let Some(first) = in_call.first() {
        let elapsed = first
            .answered_at
            .map(|a| (now - a).num_seconds().max(0) as u64)
            .unwrap_or(0);
        (
            TrayIcon::InCall,
            tr!(
                lang,
                "status-in-call",
                party = names.party_text(&first.party, lang),
                duration = lang.duration(elapsed),
                more = more(in_call.len())
            ),
        )
    } else {
        let icon = if tracker.unseen_missed() > 0 {
            TrayIcon::Missed
        } else {
            TrayIcon::Idle
        };
        let status = match (listener, tracker.recent().next()) {
            (ListenerNote::Down(_), _) => tr!(lang, "status-down"),
            (_, Some(last)) => tr!(
                lang,
                "status-last",
                party = names.party_text(&last.party, lang),
                outcome = outcome_text(last, lang)
            ),
            (ListenerNote::Up(address), None) => {
                tr!(lang, "status-listening", address = address.to_string())
            }
        };
        (icon, status)
    };

    let unseen = tracker.unseen_missed();
    let mut tooltip = match listener {
        ListenerNote::Up(address) => tr!(
            lang,
            "tooltip-up",
            address = address.to_string(),
            status = &status
        ),
        ListenerNote::Down(why) => tr!(lang, "tooltip-down", why = clean(why)),
    };
    if unseen > 0 {
        tooltip.push_str(&format!("\n{}", missed_count_text(unseen, lang)));
    }
    let recent = tracker
        .recent()
        .take(RECENT_IN_MENU)
        .map(|c| RecentCall {
            label: recent_label(c, tz, lang, names),
            number: names.dialable(&c.party),
            extension: clean(&c.extension),
        })
        .collect();
    TrayView {
        icon,
        status,
        tooltip,
        recent,
        unseen_missed: unseen,
        ticking: !in_call.is_empty() && ringing.is_empty(),
        call_back: false,
        words: MenuWords::new(lang, unseen),
    }
}

/// "2 missed calls", for the tooltip and the "mark as seen" menu line.
pub fn missed_count_text(n: usize, lang: Language) -> String {
    tr!(lang, "missed-calls", count = n)
}

fn outcome_text(call: &Call, lang: Language) -> String {
    match call.state {
        CallState::Ended(Outcome::Missed) => tr!(lang, "outcome-missed"),
        CallState::Ended(Outcome::Unanswered) => tr!(lang, "outcome-no-answer"),
        _ => call
            .duration
            .map(|d| lang.duration(d))
            .unwrap_or_else(|| tr!(lang, "outcome-ended")),
    }
}

fn recent_label<Tz: TimeZone>(call: &Call, tz: &Tz, lang: Language, names: &Names) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let time = lang.time(&call.first_seen.with_timezone(tz));
    let party = names.party_text(&call.party, lang);
    let outcome = outcome_text(call, lang);
    match call.key.direction {
        Direction::Incoming => tr!(
            lang,
            "recent-from",
            time = time,
            party = party,
            outcome = outcome
        ),
        Direction::Outgoing => tr!(
            lang,
            "recent-to",
            time = time,
            party = party,
            outcome = outcome
        ),
    }
}

/// The local time zone, for the adapters.
pub fn local() -> Local {
    Local
}

/// Request text made safe to show: control and direction-override characters removed,
/// and cut to [`MAX_SHOWN_CHARS`].
pub fn clean(text: &str) -> String {
    let mut kept = text
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c));
    let mut out: String = kept.by_ref().take(MAX_SHOWN_CHARS).collect();
    if kept.next().is_some() {
        out.push('…');
    }
    out
}

/// `calltray history`'s table: one line per call, newest first, in the local time zone.
pub fn history_table<Tz: TimeZone>(
    rows: &[crate::history::CallRow],
    tz: &Tz,
    lang: Language,
    names: &Names,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    // Columns are padded by characters, so French accents do not shift them.
    let pad = |text: &str, width: usize| {
        let n = text.chars().count();
        format!("{text}{}", " ".repeat(width.saturating_sub(n)))
    };
    let mut out = format!(
        "{}  {}  {}  {}  {}  {}\n",
        pad(&tr!(lang, "history-when"), 19),
        pad(&tr!(lang, "history-way"), 8),
        pad(&tr!(lang, "history-extension"), 5),
        pad(&tr!(lang, "history-number"), 20),
        pad(&tr!(lang, "history-name"), 24),
        tr!(lang, "history-outcome")
    );
    for row in rows {
        let when = lang.date_time(&row.first_seen.with_timezone(tz));
        let way = if row.direction == "outgoing" {
            tr!(lang, "history-out")
        } else {
            tr!(lang, "history-in")
        };
        let outcome = match (row.state, row.duration) {
            ("missed", _) => tr!(lang, "outcome-missed"),
            ("unanswered", _) => tr!(lang, "outcome-no-answer"),
            ("ringing", _) => tr!(lang, "history-ringing"),
            ("in_call", _) => tr!(lang, "history-in-call"),
            (_, Some(d)) => lang.duration(d),
            (_, None) => tr!(lang, "history-answered"),
        };
        let party = names.number_text(&row.party, lang);
        // The name known when the call came, else the one known now.
        let name = row
            .name
            .as_deref()
            .or_else(|| names.name_for(&row.party))
            .map(clean)
            .unwrap_or_default();
        let ext = clean(&row.extension);
        out.push_str(&format!(
            "{}  {}  {}  {}  {}  {outcome}\n",
            pad(&when, 19),
            pad(&way, 8),
            pad(&ext, 5),
            pad(&party, 20),
            pad(&name, 24)
        ));
    }
    if rows.is_empty() {
        out.push_str(&tr!(lang, "history-none"));
        out.push('\n');
    }
    out
}

/// A CSV cell that a spreadsheet will show as text: one that would start a formula (`=`,
/// `@`, or `+`/`-` followed by anything but a phone number's characters) gets a leading `'`.
/// A caller is free text, and whoever holds the callback URL must not plant a formula in the
/// user's export.
pub fn spreadsheet_cell(text: &str) -> String {
    let mut chars = text.chars();
    let risky = match chars.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !chars.all(|c| c.is_ascii_digit() || " ().-".contains(c)),
        _ => false,
    };
    if risky {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// calltray's own multi-line text (a config error quotes the file's path and key): shown in
/// full, line breaks kept, other control characters removed.
fn own_text(text: &str) -> String {
    const MAX_NOTICE_CHARS: usize = 1000;
    text.chars()
        .filter(|c| *c == '\n' || (!c.is_control() && !is_invisible_format(*c)))
        .take(MAX_NOTICE_CHARS)
        .collect()
}

/// Escapes the five characters notification body markup gives meaning to.
pub fn markup_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{CallEvent, EventKind};
    use crate::names::Names;
    use crate::params::Params;
    use chrono::{DateTime, FixedOffset};
    use std::time::Duration;

    fn t(secs: i64) -> Time {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("valid test time")
    }

    fn tz() -> FixedOffset {
        FixedOffset::west_opt(5 * 3600).expect("valid offset")
    }

    fn up() -> ListenerNote {
        ListenerNote::Up("127.0.0.1:8765".parse().expect("an address"))
    }

    fn apply(tr: &mut CallTracker, kind: EventKind, q: &str, at: i64) -> Option<Update> {
        let mut p = Params::default();
        p.add_encoded(q).expect("test params");
        tr.apply(
            &CallEvent::from_params(kind, &p).expect("test event"),
            t(at),
        )
    }

    const EN: Language = Language::English;
    const FR: Language = Language::French;

    const IN: &str = "callid=C&type=incoming&caller=15145551212&callee=100";
    const OUT: &str = "callid=D&type=outgoing&caller=100&callee=4165550000";

    #[test]
    fn toasts_walk_an_incoming_call() {
        let prefs = NotifyPrefs::default();
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        let ring = toast_for(
            &apply(&mut tr, EventKind::Initiated, IN, 0).unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        let c = ring.content.as_ref().unwrap();
        assert_eq!(c.summary, "Incoming call");
        assert_eq!(c.body, "(514) 555-1212\nto ext 100");
        assert!(c.sticky && !ring.last);
        let ans = toast_for(
            &apply(&mut tr, EventKind::Answered, IN, 2).unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        assert_eq!(ans.content.unwrap().summary, "Call answered");
        let end = toast_for(
            &apply(
                &mut tr,
                EventKind::Ended,
                &format!("{IN}&duration=3725"),
                3727,
            )
            .unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        assert_eq!(
            end.content.as_ref().unwrap().summary,
            "Call ended · 1:02:05"
        );
        assert!(end.last);
        assert_eq!(end.key, ring.key);
    }

    #[test]
    fn missed_is_sticky_and_outgoing_is_quiet_by_default() {
        let prefs = NotifyPrefs::default();
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        apply(&mut tr, EventKind::Initiated, IN, 0);
        let missed = toast_for(
            &apply(&mut tr, EventKind::Ended, &format!("{IN}&duration=0"), 20).unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        let c = missed.content.unwrap();
        assert_eq!((c.summary.as_str(), c.sticky), ("Missed call", true));

        let dial = toast_for(
            &apply(&mut tr, EventKind::Initiated, OUT, 30).unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        assert_eq!(dial.content, None);
        let ans = toast_for(
            &apply(&mut tr, EventKind::Answered, OUT, 31).unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        assert_eq!(ans.content, None);
        let end = toast_for(
            &apply(&mut tr, EventKind::Ended, &format!("{OUT}&duration=61"), 92).unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        let c = end.content.unwrap();
        assert_eq!(c.summary, "Call ended · 1:01");
        assert_eq!(c.body, "(416) 555-0000\nfrom ext 100");
    }

    #[test]
    fn switches_turn_toasts_off() {
        let prefs = NotifyPrefs {
            incoming_ringing: false,
            ..NotifyPrefs::default()
        };
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        let ring = toast_for(
            &apply(&mut tr, EventKind::Initiated, IN, 0).unwrap(),
            &prefs,
            EN,
            &Names::default(),
        );
        assert_eq!(ring.content, None);
    }

    #[test]
    fn request_text_cannot_inject_markup() {
        assert_eq!(
            markup_escape("<b>A&B</b> \"q\" 'a'"),
            "&lt;b&gt;A&amp;B&lt;/b&gt; &quot;q&quot; &#39;a&#39;"
        );
        assert_eq!(clean("12\u{202E}34\n5\u{7}"), "12345");
        let long = "9".repeat(100);
        assert_eq!(clean(&long).chars().count(), MAX_SHOWN_CHARS + 1);
    }

    #[test]
    fn tray_walks_a_call() {
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        let idle = tray_view(&tr, &up(), t(0), &tz(), EN, &Names::default());
        assert_eq!(
            (idle.icon, idle.status.as_str()),
            (TrayIcon::Idle, "Listening on 127.0.0.1:8765")
        );

        let down = tray_view(
            &tr,
            &ListenerNote::Down("out of\u{7}files".into()),
            t(0),
            &tz(),
            EN,
            &Names::default(),
        );
        assert_eq!(down.status, "Not receiving calls: restarting the listener");
        assert_eq!(down.tooltip, "calltray · not receiving calls: out offiles");

        apply(&mut tr, EventKind::Initiated, IN, 0);
        let v = tray_view(&tr, &up(), t(1), &tz(), EN, &Names::default());
        assert_eq!(
            (v.icon, v.status.as_str(), v.ticking),
            (TrayIcon::Ringing, "Ringing: (514) 555-1212", false)
        );

        apply(&mut tr, EventKind::Answered, IN, 2);
        let v = tray_view(&tr, &up(), t(153), &tz(), EN, &Names::default());
        assert_eq!(
            (v.icon, v.status.as_str(), v.ticking),
            (TrayIcon::InCall, "In call with (514) 555-1212 · 2:31", true)
        );

        apply(
            &mut tr,
            EventKind::Ended,
            &format!("{IN}&duration=300"),
            302,
        );
        let v = tray_view(&tr, &up(), t(303), &tz(), EN, &Names::default());
        assert_eq!(
            (v.icon, v.status.as_str(), v.ticking),
            (TrayIcon::Idle, "Last call: (514) 555-1212 · 5:00", false)
        );
        // 1_800_000_000 is 2027-01-15 08:00:00 UTC, 03:00 at UTC-5.
        assert_eq!(
            v.recent,
            vec![RecentCall {
                label: "3:00 AM · from (514) 555-1212 · 5:00".into(),
                number: "5145551212".into(),
                extension: "100".into(),
            }]
        );
    }

    #[test]
    fn missed_calls_show_until_seen() {
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        apply(&mut tr, EventKind::Initiated, IN, 0);
        tr.expire(t(200));
        let v = tray_view(&tr, &up(), t(200), &tz(), EN, &Names::default());
        assert_eq!(v.icon, TrayIcon::Missed);
        assert_eq!(v.unseen_missed, 1);
        assert!(
            v.recent[0].label.ends_with("missed"),
            "{}",
            v.recent[0].label
        );
        assert!(v.tooltip.contains("1 missed call"));
        tr.mark_seen();
        assert_eq!(
            tray_view(&tr, &up(), t(200), &tz(), EN, &Names::default()).icon,
            TrayIcon::Idle
        );
    }

    #[test]
    fn a_call_in_french() {
        let prefs = NotifyPrefs::default();
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        let ring = toast_for(
            &apply(&mut tr, EventKind::Initiated, IN, 0).unwrap(),
            &prefs,
            FR,
            &Names::default(),
        );
        let c = ring.content.unwrap();
        assert_eq!(c.summary, "Appel entrant");
        assert_eq!(c.body, "(514) 555-1212\npour le poste 100");
        assert_eq!(
            tray_view(&tr, &up(), t(1), &tz(), FR, &Names::default()).status,
            "Sonnerie : (514) 555-1212"
        );
        apply(&mut tr, EventKind::Answered, IN, 2);
        assert_eq!(
            tray_view(&tr, &up(), t(153), &tz(), FR, &Names::default()).status,
            "En appel avec (514) 555-1212 · 2 min 31 s"
        );
        let end = toast_for(
            &apply(
                &mut tr,
                EventKind::Ended,
                &format!("{IN}&duration=3725"),
                3727,
            )
            .unwrap(),
            &prefs,
            FR,
            &Names::default(),
        );
        assert_eq!(
            end.content.unwrap().summary,
            "Appel terminé · 1 h 02 min 05 s"
        );
        let v = tray_view(&tr, &up(), t(3728), &tz(), FR, &Names::default());
        assert_eq!(v.status, "Dernier appel : (514) 555-1212 · 1 h 02 min 05 s");
        assert_eq!(
            v.recent[0].label,
            "3 h 00 · de (514) 555-1212 · 1 h 02 min 05 s"
        );
        assert_eq!(
            (v.words.quit.as_str(), v.words.call_back.as_str()),
            ("Quitter", "Rappeler")
        );

        // A missed outgoing call, and the menu line that counts missed calls.
        apply(&mut tr, EventKind::Initiated, OUT, 4000);
        let none = toast_for(
            &apply(
                &mut tr,
                EventKind::Ended,
                &format!("{OUT}&duration=0"),
                4010,
            )
            .unwrap(),
            &prefs,
            FR,
            &Names::default(),
        );
        assert_eq!(none.content.unwrap().summary, "Pas de réponse");
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        apply(&mut tr, EventKind::Initiated, IN, 0);
        tr.expire(t(200));
        let v = tray_view(&tr, &up(), t(200), &tz(), FR, &Names::default());
        assert_eq!(v.words.mark_seen, "Marquer 1 appel manqué comme vu");
        assert!(v.tooltip.ends_with("\n1 appel manqué"), "{}", v.tooltip);
        assert_eq!(
            missed_while_away(2, FR).content.unwrap().summary,
            "2 appels manqués pendant votre absence"
        );
    }

    #[test]
    fn spreadsheet_cells_cannot_start_a_formula() {
        assert_eq!(spreadsheet_cell("=2+5"), "'=2+5");
        assert_eq!(spreadsheet_cell("@SUM(1+1)"), "'@SUM(1+1)");
        assert_eq!(
            spreadsheet_cell("+cmd|' /C calc'!A0"),
            "'+cmd|' /C calc'!A0"
        );
        assert_eq!(spreadsheet_cell("-1+1"), "'-1+1");
        assert_eq!(spreadsheet_cell("+15145551212"), "+15145551212");
        assert_eq!(spreadsheet_cell("+1 (514) 555-1212"), "+1 (514) 555-1212");
        assert_eq!(spreadsheet_cell("Hélène Tremblay"), "Hélène Tremblay");
        assert_eq!(spreadsheet_cell(""), "");
    }

    #[test]
    fn numbers_without_digits_or_with_few_are_named_in_each_language() {
        assert_eq!(Names::default().number_text("", EN), "Unknown number");
        assert_eq!(Names::default().number_text("  ", FR), "Numéro inconnu");
        assert_eq!(Names::default().number_text("100", EN), "ext 100");
        assert_eq!(Names::default().number_text("100", FR), "poste 100");
        assert_eq!(Names::default().number_text("anonymous", FR), "anonymous");
    }
}
