//! What the user should see: toast texts and the tray's state, computed as plain data.
//!
//! The adapters (notify-rust, tray-icon) only render what is decided here, so every word a
//! user reads is tested without a display. All text that came from a request passes through
//! [`clean`] first: the notification daemons interpret body markup, and a callback is
//! untrusted input.

use crate::config::NotifyPrefs;
use crate::event::{Direction, is_invisible_format};
use crate::number;
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
        }),
        last: false,
    }
}

/// After quiet hours or "Do not disturb": the calls missed meanwhile, in one toast that stays.
pub fn missed_while_away(count: usize) -> Toast {
    let (summary, body) = if count == 1 {
        (
            "1 missed call while away".to_string(),
            "It is in the tray menu, under Recent calls.",
        )
    } else {
        (
            format!("{count} missed calls while away"),
            "They are in the tray menu, under Recent calls.",
        )
    };
    Toast {
        // Control characters never pass the listener, so no call can have this id.
        key: CallKey {
            callid: "\u{0}away".into(),
            direction: Direction::Incoming,
        },
        content: Some(ToastContent {
            summary,
            body: body.into(),
            sticky: true,
            icon: "call-stop",
        }),
        last: false,
    }
}

/// The toast that announces `update`, following the user's switches.
pub fn toast_for(update: &Update, prefs: &NotifyPrefs) -> Toast {
    let call = &update.call;
    let incoming = call.key.direction == Direction::Incoming;
    let (enabled, summary, sticky, icon) = match (update.step, call.state) {
        (Step::Ringing, _) if incoming => (
            prefs.incoming_ringing,
            "Incoming call".to_string(),
            true,
            "call-start",
        ),
        (Step::Ringing, _) => (
            prefs.outgoing_ringing,
            "Calling…".to_string(),
            false,
            "call-start",
        ),
        (Step::Answered, _) => (
            if incoming {
                prefs.incoming_answered
            } else {
                prefs.outgoing_answered
            },
            "Call answered".to_string(),
            false,
            "call-start",
        ),
        (Step::Ended, CallState::Ended(Outcome::Missed)) => {
            (prefs.missed, "Missed call".to_string(), true, "call-stop")
        }
        (Step::Ended, CallState::Ended(Outcome::Unanswered)) => (
            prefs.outgoing_ended,
            "No answer".to_string(),
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
                Some(d) => format!("Call ended · {}", format_duration(d)),
                None => "Call ended".to_string(),
            },
            false,
            "call-stop",
        ),
    };
    let content = enabled.then(|| ToastContent {
        summary,
        body: toast_body(call),
        sticky,
        icon,
    });
    Toast {
        key: call.key.clone(),
        content,
        last: update.step == Step::Ended,
    }
}

fn toast_body(call: &Call) -> String {
    let party = markup_escape(&clean(&number::display(&call.party)));
    let ext = markup_escape(&clean(&number::display(&call.extension)));
    match call.key.direction {
        Direction::Incoming => format!("{party}\nto {ext}"),
        Direction::Outgoing => format!("{party}\nfrom {ext}"),
    }
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
            format!(" (+{} more)", n - 1)
        } else {
            String::new()
        }
    };

    let (icon, status) = if let Some(first) = ringing.first() {
        let verb = match first.key.direction {
            Direction::Incoming => "Ringing",
            Direction::Outgoing => "Calling",
        };
        (
            TrayIcon::Ringing,
            format!("{verb}: {}{}", shown_party(first), more(ringing.len())),
        )
    } else if let Some(first) = in_call.first() {
        let elapsed = first
            .answered_at
            .map(|a| (now - a).num_seconds().max(0) as u64)
            .unwrap_or(0);
        (
            TrayIcon::InCall,
            format!(
                "In call with {} · {}{}",
                shown_party(first),
                format_duration(elapsed),
                more(in_call.len())
            ),
        )
    } else {
        let icon = if tracker.unseen_missed() > 0 {
            TrayIcon::Missed
        } else {
            TrayIcon::Idle
        };
        let status = match (listener, tracker.recent().next()) {
            (ListenerNote::Down(_), _) => "Not receiving calls: restarting the listener".into(),
            (_, Some(last)) => {
                format!("Last call: {} · {}", shown_party(last), outcome_text(last))
            }
            (ListenerNote::Up(address), None) => format!("Listening on {address}"),
        };
        (icon, status)
    };

    let unseen = tracker.unseen_missed();
    let mut tooltip = match listener {
        ListenerNote::Up(address) => format!("calltray · listening on {address}\n{status}"),
        ListenerNote::Down(why) => format!("calltray · not receiving calls: {}", clean(why)),
    };
    if unseen > 0 {
        tooltip.push_str(&format!("\n{}", missed_count_text(unseen)));
    }
    let recent = tracker
        .recent()
        .take(RECENT_IN_MENU)
        .map(|c| RecentCall {
            label: recent_label(c, tz),
            number: clean(&number::dialable(&c.party)),
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
    }
}

/// "2 missed calls", for the tooltip and the "mark as seen" menu line.
pub fn missed_count_text(n: usize) -> String {
    if n == 1 {
        "1 missed call".into()
    } else {
        format!("{n} missed calls")
    }
}

fn shown_party(call: &Call) -> String {
    clean(&number::display(&call.party))
}

fn outcome_text(call: &Call) -> String {
    match call.state {
        CallState::Ended(Outcome::Missed) => "missed".into(),
        CallState::Ended(Outcome::Unanswered) => "no answer".into(),
        _ => call
            .duration
            .map(format_duration)
            .unwrap_or_else(|| "ended".into()),
    }
}

fn recent_label<Tz: TimeZone>(call: &Call, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let at = call.first_seen.with_timezone(tz).format("%H:%M");
    let way = match call.key.direction {
        Direction::Incoming => "from",
        Direction::Outgoing => "to",
    };
    format!(
        "{at} · {way} {} · {}",
        shown_party(call),
        outcome_text(call)
    )
}

/// The local time zone, for the adapters.
pub fn local() -> Local {
    Local
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub fn format_duration(secs: impl Into<u64>) -> String {
    let secs: u64 = secs.into();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
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
pub fn history_table<Tz: TimeZone>(rows: &[crate::history::CallRow], tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let mut out = format!(
        "{:<16}  {:<8}  {:<5}  {:<20}  {}\n",
        "when", "way", "ext", "number", "outcome"
    );
    for row in rows {
        let when = row.first_seen.with_timezone(tz).format("%Y-%m-%d %H:%M");
        let way = if row.direction == "outgoing" {
            "out"
        } else {
            "in"
        };
        let outcome = match (row.state, row.duration) {
            ("missed", _) => "missed".to_string(),
            ("unanswered", _) => "no answer".to_string(),
            ("ringing", _) => "ringing".to_string(),
            ("in_call", _) => "in call".to_string(),
            (_, Some(d)) => format_duration(d),
            (_, None) => "answered".to_string(),
        };
        let party = clean(&number::display(&row.party));
        let ext = clean(&row.extension);
        out.push_str(&format!(
            "{when:<16}  {way:<8}  {ext:<5}  {party:<20}  {outcome}\n"
        ));
    }
    if rows.is_empty() {
        out.push_str("(no calls)\n");
    }
    out
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

    const IN: &str = "callid=C&type=incoming&caller=15145551212&callee=100";
    const OUT: &str = "callid=D&type=outgoing&caller=100&callee=4165550000";

    #[test]
    fn durations() {
        let table = [
            (0u64, "0:00"),
            (5, "0:05"),
            (300, "5:00"),
            (3599, "59:59"),
            (3600, "1:00:00"),
            (3725, "1:02:05"),
        ];
        for (secs, want) in table {
            assert_eq!(format_duration(secs), want);
        }
    }

    #[test]
    fn toasts_walk_an_incoming_call() {
        let prefs = NotifyPrefs::default();
        let mut tr = CallTracker::new(Duration::from_secs(120), 10);
        let ring = toast_for(
            &apply(&mut tr, EventKind::Initiated, IN, 0).unwrap(),
            &prefs,
        );
        let c = ring.content.as_ref().unwrap();
        assert_eq!(c.summary, "Incoming call");
        assert_eq!(c.body, "(514) 555-1212\nto ext 100");
        assert!(c.sticky && !ring.last);
        let ans = toast_for(&apply(&mut tr, EventKind::Answered, IN, 2).unwrap(), &prefs);
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
        );
        let c = missed.content.unwrap();
        assert_eq!((c.summary.as_str(), c.sticky), ("Missed call", true));

        let dial = toast_for(
            &apply(&mut tr, EventKind::Initiated, OUT, 30).unwrap(),
            &prefs,
        );
        assert_eq!(dial.content, None);
        let ans = toast_for(
            &apply(&mut tr, EventKind::Answered, OUT, 31).unwrap(),
            &prefs,
        );
        assert_eq!(ans.content, None);
        let end = toast_for(
            &apply(&mut tr, EventKind::Ended, &format!("{OUT}&duration=61"), 92).unwrap(),
            &prefs,
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
        let idle = tray_view(&tr, &up(), t(0), &tz());
        assert_eq!(
            (idle.icon, idle.status.as_str()),
            (TrayIcon::Idle, "Listening on 127.0.0.1:8765")
        );

        let down = tray_view(
            &tr,
            &ListenerNote::Down("out of\u{7}files".into()),
            t(0),
            &tz(),
        );
        assert_eq!(down.status, "Not receiving calls: restarting the listener");
        assert_eq!(down.tooltip, "calltray · not receiving calls: out offiles");

        apply(&mut tr, EventKind::Initiated, IN, 0);
        let v = tray_view(&tr, &up(), t(1), &tz());
        assert_eq!(
            (v.icon, v.status.as_str(), v.ticking),
            (TrayIcon::Ringing, "Ringing: (514) 555-1212", false)
        );

        apply(&mut tr, EventKind::Answered, IN, 2);
        let v = tray_view(&tr, &up(), t(153), &tz());
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
        let v = tray_view(&tr, &up(), t(303), &tz());
        assert_eq!(
            (v.icon, v.status.as_str(), v.ticking),
            (TrayIcon::Idle, "Last call: (514) 555-1212 · 5:00", false)
        );
        // 1_800_000_000 is 2027-01-15 08:00:00 UTC, 03:00 at UTC-5.
        assert_eq!(
            v.recent,
            vec![RecentCall {
                label: "03:00 · from (514) 555-1212 · 5:00".into(),
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
        let v = tray_view(&tr, &up(), t(200), &tz());
        assert_eq!(v.icon, TrayIcon::Missed);
        assert_eq!(v.unseen_missed, 1);
        assert!(
            v.recent[0].label.ends_with("missed"),
            "{}",
            v.recent[0].label
        );
        assert!(v.tooltip.contains("1 missed call"));
        tr.mark_seen();
        assert_eq!(tray_view(&tr, &up(), t(200), &tz()).icon, TrayIcon::Idle);
    }
}
