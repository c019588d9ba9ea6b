//! Phone numbers as Ubity sends them, and as a person at a desk wants to read them.
//!
//! Ubity writes the same party several ways (`5145551212`, `+15145551212`, `15145551212`,
//! `514-555-1212`) and internal parties as short extensions (`100`). Matching must see through
//! the spelling, and display must be the familiar North American form.

/// The longest run of digits still treated as an internal extension rather than a phone number.
const MAX_EXTENSION_DIGITS: usize = 6;

/// The comparable form of a number: separators, a leading `+` and the North American trunk
/// prefix `1` on 11-digit numbers dropped, so `+1 (514) 555-1212` and `5145551212` are equal.
///
/// Anything that is not a plain phone number (`anonymous`, a SIP name) comes back unchanged
/// apart from the separators, so it can still be compared with itself.
pub fn normalize(raw: &str) -> String {
    let trimmed = raw.trim();
    let without_plus = trimmed.strip_prefix('+').unwrap_or(trimmed);
    let kept: String = without_plus
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '\t'))
        .collect();
    if kept.len() == 11 && kept.starts_with('1') && kept.bytes().all(|b| b.is_ascii_digit()) {
        kept[1..].to_string()
    } else {
        kept
    }
}

/// Whether a number in its [`normalize`]d form is a short internal extension (`100`).
pub fn is_extension(normalized: &str) -> bool {
    !normalized.is_empty()
        && normalized.len() <= MAX_EXTENSION_DIGITS
        && normalized.bytes().all(|b| b.is_ascii_digit())
}

/// How a party is shown: `(514) 555-1212` for North American numbers, `ext 100` for
/// extensions, "Unknown number" when none was given, and anything else as it came (the
/// caller escapes it for display).
pub fn display(raw: &str) -> String {
    let n = normalize(raw);
    if n.is_empty() {
        return "Unknown number".into();
    }
    if is_international(raw) {
        return raw.trim().to_string();
    }
    let all_digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    if all_digits && n.len() == 10 {
        format!("({}) {}-{}", &n[0..3], &n[3..6], &n[6..])
    } else if all_digits && n.len() <= MAX_EXTENSION_DIGITS {
        format!("ext {n}")
    } else {
        raw.trim().to_string()
    }
}

/// The E.164 form (`+15145551212`) of a phone number: 10-digit North American numbers get
/// `+1`, numbers written with `+` keep their country code. `None` for extensions and anything
/// that is not a phone number.
pub fn e164(raw: &str) -> Option<String> {
    let n = normalize(raw);
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if is_international(raw) {
        Some(format!("+{n}"))
    } else if n.len() == 10 {
        Some(format!("+1{n}"))
    } else {
        None
    }
}

/// The number to put on the clipboard: digits only for phone numbers, so it pastes into any
/// dialler; anything else as it came.
pub fn dialable(raw: &str) -> String {
    let n = normalize(raw);
    if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
        if is_international(raw) {
            format!("+{n}")
        } else {
            n
        }
    } else {
        raw.trim().to_string()
    }
}

/// A number written with `+` and a country code other than North America's `1`: it is not
/// a North American number even when it has ten digits (`+5114261234` is in Peru).
fn is_international(raw: &str) -> bool {
    raw.trim()
        .strip_prefix('+')
        .is_some_and(|rest| !rest.trim_start().starts_with('1'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_sees_through_spelling() {
        let table = [
            ("5145551212", "5145551212"),
            ("+15145551212", "5145551212"),
            ("15145551212", "5145551212"),
            ("1 (514) 555-1212", "5145551212"),
            ("514.555.1212", "5145551212"),
            (" 100 ", "100"),
            ("+33142764978", "33142764978"),
            ("25145551212", "25145551212"),
            ("anonymous", "anonymous"),
            ("", ""),
        ];
        for (raw, want) in table {
            assert_eq!(normalize(raw), want, "normalize({raw:?})");
        }
    }

    #[test]
    fn display_is_what_a_person_reads() {
        let table = [
            ("5145551212", "(514) 555-1212"),
            ("+15145551212", "(514) 555-1212"),
            ("100", "ext 100"),
            ("123456", "ext 123456"),
            ("1234567", "1234567"),
            ("+33142764978", "+33142764978"),
            ("+44 20 7946 0958", "+44 20 7946 0958"),
            ("+5145551212", "+5145551212"),
            ("+1 514 555 1212", "(514) 555-1212"),
            ("anonymous", "anonymous"),
            ("", "Unknown number"),
        ];
        for (raw, want) in table {
            assert_eq!(display(raw), want, "display({raw:?})");
        }
    }

    #[test]
    fn dialable_keeps_digits_only_for_numbers() {
        assert_eq!(dialable("+1 (514) 555-1212"), "5145551212");
        assert_eq!(dialable("anonymous"), "anonymous");
        assert_eq!(dialable("+44 20 7946 0958"), "+442079460958");
    }
}
