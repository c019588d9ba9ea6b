//! Screen pop: the user's CRM opened on the caller, from a URL template in the config.
//!
//! The template's placeholders are replaced by the call's values, each percent-encoded, so
//! nothing a caller sends (a number is free text to Ubity) can change the URL's shape: it
//! can only fill in the blanks the user chose. Only http and https URLs are accepted.

use crate::language::Language;
use crate::names::Names;
use crate::number::{self, Party};
use crate::tr;
use crate::tracker::Call;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// At most this many CRM pages open per [`POP_WINDOW`]: a person reads one caller at a time,
/// and a flood of callbacks must not open a browser tab for each.
pub const MAX_POPS: usize = 3;
pub const POP_WINDOW: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

/// Screen pops are rationed as toasts are.
pub fn pop_ration() -> crate::flood::Ration {
    crate::flood::Ration::new(MAX_POPS, POP_WINDOW)
}

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 6] = ["number", "e164", "national", "name", "callid", "extension"];

/// Everything but RFC 3986's unreserved characters is encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Checks a template when the config is read: known placeholders only, balanced braces, and
/// an http or https URL once filled in. The error is the sentence shown to the user, in `lang`.
pub fn check_template(template: &str, lang: Language) -> Result<(), String> {
    let sample = fill(template, &|name| {
        PLACEHOLDERS.contains(&name).then(|| "1".to_string())
    })
    .map_err(|mistake| mistake.text(lang))?;
    let lower = sample.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| tr!(lang, "config-crm-scheme"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(tr!(lang, "config-crm-no-host"));
    }
    if sample.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(tr!(lang, "config-crm-spaces"));
    }
    // A caller's number fills in the path or the query, never the site: a blank in the host
    // would let whoever calls choose which site opens.
    let after_scheme = template
        .split_once("://")
        .map_or(template, |(_, rest)| rest);
    let host_end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    if after_scheme[..host_end].contains('{')
        || template[..template.len() - after_scheme.len()].contains('{')
    {
        return Err(tr!(lang, "config-crm-placeholder-in-host"));
    }
    Ok(())
}

/// The URL to open for `call`, from a template that passed [`check_template`].
pub fn url_for(template: &str, call: &Call, names: &Names) -> Option<String> {
    fill(template, &|name| value(name, call, names)).ok()
}

fn value(name: &str, call: &Call, names: &Names) -> Option<String> {
    let party = number::read(&call.party, names.region);
    Some(match name {
        "number" => call.party.clone(),
        "e164" => match party {
            Party::Phone { e164, .. } => e164,
            _ => number::normalize(&call.party),
        },
        "national" => match party {
            Party::Phone { display, .. } => display,
            Party::Extension(digits) => digits,
            Party::Unknown => String::new(),
            Party::Text(text) => text,
        },
        // Empty when no contact or extension name matches.
        "name" => names.name_for(&call.party).unwrap_or_default().to_string(),
        "callid" => call.key.callid.clone(),
        "extension" => call.extension.clone(),
        _ => return None,
    })
}

/// Why a template cannot be filled in; said in words by [`Mistake::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mistake {
    Unopened,
    Unclosed,
    UnknownPlaceholder(String),
}

impl Mistake {
    fn text(&self, lang: Language) -> String {
        match self {
            Mistake::Unopened => tr!(lang, "config-crm-unopened"),
            Mistake::Unclosed => tr!(lang, "config-crm-unclosed"),
            Mistake::UnknownPlaceholder(name) => tr!(
                lang,
                "config-crm-placeholder",
                placeholder = format!("{{{name}}}"),
                placeholders = PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
            ),
        }
    }
}

/// Replaces each `{name}` by its value, percent-encoded.
fn fill(template: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String, Mistake> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        out.push_str(&rest[..open]);
        if rest.as_bytes()[open] == b'}' {
            return Err(Mistake::Unopened);
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or(Mistake::Unclosed)?;
        let name = &after[..close];
        let v = value(name).ok_or_else(|| Mistake::UnknownPlaceholder(name.to_string()))?;
        out.extend(utf8_percent_encode(&v, COMPONENT));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_blank_may_choose_the_site() {
        for template in [
            "https://{number}.evil.example/",
            "https://crm.example.com{e164}/x",
            "https://user:{e164}@crm.example.com/",
        ] {
            let e = check_template(template, Language::English).unwrap_err();
            assert!(e.contains("site"), "{template}: {e}");
        }
        assert!(
            check_template(
                "https://crm.example.com/{e164}?n={name}#{callid}",
                Language::English
            )
            .is_ok()
        );
    }

    #[test]
    fn pops_are_rationed_per_window() {
        let t =
            |secs: i64| chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("a time");
        let mut gate = pop_ration();
        let admitted: Vec<bool> = (0..5).map(|i| gate.admit(t(i))).collect();
        assert_eq!(admitted, [true, true, true, false, false]);
        // Once the first pop is a window old, one more may open.
        assert!(gate.admit(t(10)));
        assert!(!gate.admit(t(10)));
    }
    use crate::event::{CallEvent, Direction, EventKind};
    use crate::tracker::CallTracker;
    use chrono::DateTime;
    use std::time::Duration;

    fn call(caller: &str) -> Call {
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        let event = CallEvent {
            kind: EventKind::Initiated,
            callid: "c 1/2".into(),
            direction: Direction::Incoming,
            caller: caller.into(),
            callee: "100".into(),
            duration: None,
            extra: vec![],
        };
        let at = DateTime::from_timestamp(1_800_000_000, 0).expect("a time");
        tracker.apply(&event, at).expect("a ringing call").call
    }

    #[test]
    fn placeholders_are_filled_and_encoded() {
        let c = call("+1 514-555-1212");
        let url = url_for(
            "https://crm.example.com/s?p={e164}&n={national}&raw={number}&id={callid}&x={extension}&who={name}",
            &c,
            &Names::default(),
        );
        assert_eq!(
            url.as_deref(),
            Some(
                "https://crm.example.com/s?p=%2B15145551212&n=%28514%29%20555-1212&raw=%2B1%20514-555-1212&id=c%201%2F2&x=100&who="
            )
        );
        // A hostile number fills its blank and nothing else.
        let c = call("1&admin=1#x");
        assert_eq!(
            url_for(
                "https://crm.example.com/s?p={number}",
                &c,
                &Names::default()
            )
            .as_deref(),
            Some("https://crm.example.com/s?p=1%26admin%3D1%23x")
        );
    }

    #[test]
    fn templates_are_checked_in_each_language() {
        for lang in [Language::English, Language::French] {
            assert_eq!(
                check_template("https://crm.example.com/?q={e164}", lang),
                Ok(())
            );
            assert_eq!(
                check_template("HTTP://crm.example.com/{number}", lang),
                Ok(())
            );
        }
        for (bad, en, fr) in [
            (
                "file:///etc/passwd?{number}",
                "http:// or https://",
                "l’URL doit commencer par http:// ou https://",
            ),
            (
                "javascript:alert({number})",
                "http:// or https://",
                "http:// ou https://",
            ),
            (
                "https://crm.example.com/?q={phone}",
                "unknown placeholder {phone}; use {number}, {e164}",
                "variable inconnue {phone}; utilisez {number}, {e164}",
            ),
            (
                "https://crm.example.com/?q={e164",
                "a `{` without its `}`",
                "un `{` sans son `}`",
            ),
            (
                "https://crm.example.com/?q=e164}",
                "a `}` without its `{`",
                "un `}` sans son `{`",
            ),
            ("https:///path", "no host", "pas de nom d’hôte"),
            ("https://crm.example.com/a b", "spaces", "des espaces"),
        ] {
            for (lang, says) in [(Language::English, en), (Language::French, fr)] {
                let e = check_template(bad, lang).expect_err(bad);
                assert!(e.contains(says), "{bad}: {e}");
            }
        }
    }
}
