//! The typed form of one Ubity callback: which step of which call, in which direction.
//!
//! Validation happens here, once, so everything downstream can trust an event: the fields
//! Ubity documents are present and sane, and the parameters it echoes for calls placed
//! through its Calls API are kept as they came.

use crate::params::{Params, printable};
use std::fmt;
use thiserror::Error;

/// The longest call id accepted; Ubity's are short tokens.
pub const MAX_CALLID_LEN: usize = 128;
/// The longest caller or callee accepted: numbers and extensions are short.
pub const MAX_PARTY_LEN: usize = 64;
/// A week: any longer `duration` is a mistake, not a call.
pub const MAX_DURATION_SECS: u32 = 7 * 24 * 3600;
/// The longest parameter name accepted.
pub const MAX_NAME_LEN: usize = 64;
/// The longest value kept for a parameter Ubity echoes back.
pub const MAX_EXTRA_LEN: usize = 512;

/// Which step of a call a callback reports; the URL it arrived on says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Initiated,
    Answered,
    Ended,
}

impl EventKind {
    /// Ubity's name for the event, as in its documentation.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::Initiated => "CallInitiated",
            EventKind::Answered => "CallAnswered",
            EventKind::Ended => "CallEnded",
        }
    }
}

/// The direction of a call, always from the point of view of the extension it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    /// The value of Ubity's `type` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }
}

/// One validated callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    pub kind: EventKind,
    pub callid: String,
    pub direction: Direction,
    pub caller: String,
    pub callee: String,
    /// Seconds, as reported on CallEnded; `None` when Ubity did not say.
    pub duration: Option<u32>,
    /// Parameters Ubity does not define, kept in arrival order.
    pub extra: Vec<(String, String)>,
}

/// Why a callback's parameters do not make an event; the message is the 400's one line.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BadEvent {
    #[error("missing parameter `{0}`")]
    Missing(&'static str),
    #[error("parameter `{0}` is empty")]
    Empty(&'static str),
    #[error("parameter `{name}` is too long (at most {max} characters)")]
    TooLong { name: String, max: usize },
    #[error("a parameter name is too long (at most {MAX_NAME_LEN} characters)")]
    NameTooLong,
    #[error("parameter `type` must be `incoming` or `outgoing`, not `{0}`")]
    BadType(String),
    #[error(
        "parameter `duration` must be a whole number of seconds from 0 to {MAX_DURATION_SECS}, not `{0}`"
    )]
    BadDuration(String),
    #[error("parameter `{0}` contains control, markup or direction-override characters")]
    BadCharacters(&'static str),
}

impl CallEvent {
    /// Builds the event a callback of `kind` describes, or says which parameter is wrong.
    pub fn from_params(kind: EventKind, params: &Params) -> Result<CallEvent, BadEvent> {
        let callid = required(params, "callid", MAX_CALLID_LEN)?;
        let direction = match required(params, "type", MAX_PARTY_LEN)? {
            t if t.eq_ignore_ascii_case("incoming") => Direction::Incoming,
            t if t.eq_ignore_ascii_case("outgoing") => Direction::Outgoing,
            other => return Err(BadEvent::BadType(printable(other))),
        };
        let caller = party(params, "caller")?;
        let callee = party(params, "callee")?;
        let duration = match params.get("duration").map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                Some(text)
                    .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|t| t.parse::<u32>().ok())
                    .filter(|d| *d <= MAX_DURATION_SECS)
                    .ok_or_else(|| BadEvent::BadDuration(printable(text)))?,
            ),
        };
        let mut extra = Vec::new();
        for (name, value) in params.iter() {
            if matches!(name, "callid" | "type" | "caller" | "callee" | "duration") {
                continue;
            }
            if name.chars().count() > MAX_NAME_LEN {
                return Err(BadEvent::NameTooLong);
            }
            if value.chars().count() > MAX_EXTRA_LEN {
                return Err(BadEvent::TooLong {
                    name: printable(name),
                    max: MAX_EXTRA_LEN,
                });
            }
            extra.push((name.to_string(), value.to_string()));
        }
        Ok(CallEvent {
            kind,
            callid: callid.to_string(),
            direction,
            caller: caller.to_string(),
            callee: callee.to_string(),
            duration,
            extra,
        })
    }

    /// `(mine, other)`: the party on the user's side of the call and the far end.
    /// Ubity states the direction from the extension's point of view, so for an incoming
    /// call the callee is the extension and for an outgoing one the caller is.
    pub fn sides(&self) -> (&str, &str) {
        match self.direction {
            Direction::Incoming => (&self.callee, &self.caller),
            Direction::Outgoing => (&self.caller, &self.callee),
        }
    }
}

impl fmt::Display for CallEvent {
    /// A log-safe summary: no phone numbers, only what identifies the step.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} call {}",
            self.kind.name(),
            self.direction.as_str(),
            printable(&self.callid)
        )
    }
}

fn required<'a>(params: &'a Params, name: &'static str, max: usize) -> Result<&'a str, BadEvent> {
    let value = present(params, name, max)?;
    if value.is_empty() {
        return Err(BadEvent::Empty(name));
    }
    Ok(value)
}

/// A parameter that must be sent but may be empty, trimmed and checked.
fn present<'a>(params: &'a Params, name: &'static str, max: usize) -> Result<&'a str, BadEvent> {
    let raw = params.get(name).ok_or(BadEvent::Missing(name))?;
    if raw.chars().any(is_forbidden_in_id) {
        return Err(BadEvent::BadCharacters(name));
    }
    let value = raw.trim();
    if value.chars().count() > max {
        return Err(BadEvent::TooLong {
            name: name.to_string(),
            max,
        });
    }
    Ok(value)
}

/// A caller or callee. It may be empty: Ubity does not document how a withheld number is
/// sent, and a call with an unknown party must still be shown rather than refused.
fn party<'a>(params: &'a Params, name: &'static str) -> Result<&'a str, BadEvent> {
    let value = present(params, name, MAX_PARTY_LEN)?;
    if value.chars().any(is_markup) {
        return Err(BadEvent::BadCharacters(name));
    }
    Ok(value)
}

/// The characters notification bodies give meaning to; none belongs in a phone number.
pub fn is_markup(c: char) -> bool {
    matches!(c, '<' | '>' | '&' | '"' | '\'')
}

/// Characters that have no place in an identifier or a number: controls, and the invisible
/// marks that can hide text, break lines, or reorder how a line is displayed.
pub fn is_forbidden_in_id(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// Unicode's invisible formatting characters: direction marks, embeddings, overrides and
/// isolates; zero-width spaces and joiners; line and paragraph separators; soft hyphen,
/// fillers, variation selectors and tags.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: EventKind, query: &str) -> Result<CallEvent, BadEvent> {
        let mut p = Params::default();
        p.add_encoded(query).expect("test query decodes");
        CallEvent::from_params(kind, &p)
    }

    /// The six example requests of Ubity's Event Callbacks page.
    #[test]
    fn documented_examples() {
        use Direction::*;
        use EventKind::*;
        let table = [
            (
                Initiated,
                "callid=ABC12345&type=outgoing&caller=100&callee=5145551212",
                Outgoing,
                None,
            ),
            (
                Initiated,
                "callid=ABC12345&type=incoming&caller=5145551212&callee=100",
                Incoming,
                None,
            ),
            (
                Answered,
                "callid=ABC12345&type=outgoing&caller=100&callee=5145551212",
                Outgoing,
                None,
            ),
            (
                Answered,
                "callid=ABC12345&type=incoming&caller=5145551212&callee=100",
                Incoming,
                None,
            ),
            (
                Ended,
                "callid=ABC12345&type=outgoing&caller=100&callee=5145551212&duration=300",
                Outgoing,
                Some(300),
            ),
            (
                Ended,
                "callid=ABC12345&type=incoming&caller=5145551212&callee=100&duration=300",
                Incoming,
                Some(300),
            ),
        ];
        for (kind, query, direction, duration) in table {
            let e = event(kind, query).expect(query);
            assert_eq!(e.kind, kind);
            assert_eq!(e.callid, "ABC12345");
            assert_eq!(e.direction, direction);
            assert_eq!(e.duration, duration);
            assert_eq!(e.sides(), ("100", "5145551212"), "{query}");
            assert!(e.extra.is_empty());
        }
    }

    #[test]
    fn keeps_unknown_parameters() {
        let e = event(
            EventKind::Initiated,
            "callid=A&type=incoming&caller=1&callee=2&ticket=42&crm_id=x%20y",
        )
        .unwrap();
        assert_eq!(
            e.extra,
            vec![
                ("ticket".into(), "42".into()),
                ("crm_id".into(), "x y".into())
            ]
        );
    }

    #[test]
    fn names_the_bad_parameter() {
        use BadEvent::*;
        let table = [
            ("type=incoming&caller=1&callee=2", Missing("callid")),
            ("callid=&type=incoming&caller=1&callee=2", Empty("callid")),
            ("callid=A&caller=1&callee=2", Missing("type")),
            (
                "callid=A&type=sideways&caller=1&callee=2",
                BadType("sideways".into()),
            ),
            ("callid=A&type=incoming&callee=2", Missing("caller")),
            ("callid=A&type=&caller=1&callee=2", Empty("type")),
            ("callid=A&type=incoming&caller=1", Missing("callee")),
            (
                "callid=A&type=incoming&caller=1&callee=2&duration=-5",
                BadDuration("-5".into()),
            ),
            (
                "callid=A&type=incoming&caller=1&callee=2&duration=ten",
                BadDuration("ten".into()),
            ),
            (
                "callid=A&type=incoming&caller=1&callee=2&duration=99999999",
                BadDuration("99999999".into()),
            ),
            (
                "callid=A&type=incoming&caller=%3Cb%3E1&callee=2",
                BadCharacters("caller"),
            ),
            (
                "callid=A&type=incoming&caller=1&callee=2%E2%80%AE",
                BadCharacters("callee"),
            ),
            (
                "callid=A%0A&type=incoming&caller=1&callee=2",
                BadCharacters("callid"),
            ),
            (
                "callid=A&type=incoming&caller=514%E2%80%A8FAKE&callee=2",
                BadCharacters("caller"),
            ),
            (
                "callid=A&type=incoming&caller=%E2%80%8B&callee=2",
                BadCharacters("caller"),
            ),
            (
                "callid=A&type=incoming&caller=1&callee=2&duration=%2B5",
                BadDuration("+5".into()),
            ),
        ];
        for (query, want) in table {
            assert_eq!(event(EventKind::Ended, query), Err(want), "{query}");
        }
        let long = format!("callid={}&type=incoming&caller=1&callee=2", "x".repeat(200));
        assert!(matches!(
            event(EventKind::Initiated, &long),
            Err(TooLong { .. })
        ));
    }

    #[test]
    fn display_leaves_numbers_out() {
        let e = event(
            EventKind::Answered,
            "callid=Z9&type=incoming&caller=5145551212&callee=100",
        )
        .unwrap();
        let shown = e.to_string();
        assert_eq!(shown, "CallAnswered incoming call Z9");
    }
}
