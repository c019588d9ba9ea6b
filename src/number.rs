//! Phone numbers as Ubity sends them, and as a person at a desk wants to read them.
//!
//! Ubity writes the same party several ways (`5145551212`, `+15145551212`, `15145551212`,
//! `514-555-1212`) and internal parties as short extensions (`100`). Reading them is
//! libphonenumber's job (the `rlibphonenumber` port, chosen over `phonenumber` because the
//! latter strips the home region's trunk prefix from numbers that already carry a country
//! code: `+33142764978` read with region CA came out as a different number). calltray only
//! decides what is an extension and what is text that is no number at all.
//!
//! E.164 is the key for matching contacts; people read their home region's numbers in its
//! national form and every other number in international form.

use rlibphonenumber::{NumberLengthType, PHONE_NUMBER_UTIL, PhoneNumberFormat, Region};
use std::cell::RefCell;
use std::collections::HashMap;

/// The longest run of digits still treated as an internal extension rather than a phone number.
const MAX_EXTENSION_DIGITS: usize = 6;

/// The home region when the config names none: Ubity is a Montreal company.
pub const DEFAULT_REGION: Region = Region::CA;

/// The comparable form of a number for matching the user's own extensions: separators, a
/// leading `+` and the North American trunk prefix `1` on 11-digit numbers dropped, so
/// `+1 (514) 555-1212` and `5145551212` are equal.
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

/// A home region from the config: a two-letter country code libphonenumber knows (`CA`,
/// `FR`). `None` for anything else.
pub fn region(code: &str) -> Option<Region> {
    let code = code.trim().to_ascii_uppercase();
    let region: Region = code.parse().ok()?;
    PHONE_NUMBER_UTIL
        .get_supported_regions()
        .any(|r| r == region)
        .then_some(region)
}

/// What a party string turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Party {
    /// Nothing was given.
    Unknown,
    /// A short internal extension, in digits.
    Extension(String),
    /// A phone number libphonenumber could read.
    Phone {
        /// `+15145551212`: the key for matching and lookup.
        e164: String,
        /// `(514) 555-1212` for a home-region number, `+33 1 42 76 49 78` otherwise.
        display: String,
        /// What to dial: national digits at home (`5145551212`, as Ubity's own examples
        /// write them), E.164 elsewhere.
        dial: String,
    },
    /// Anything else (`anonymous`, a SIP name, a number no plan has): shown as received.
    Text(String),
}

/// Numbers each thread keeps read: the tray's recent calls show the same few numbers at
/// every rebuild (each second during a call), and libphonenumber's regular expressions
/// cost some 10 µs a number; past this many, the memo starts again empty.
const MEMO_CAPACITY: usize = 256;

thread_local! {
    static MEMO: RefCell<HashMap<(String, Region), Party>> = RefCell::new(HashMap::new());
}

/// Reads `raw` with `home` as the region of numbers written without a country code.
/// Remembers the answer ([`read_uncached`] does the work), so the same party read again
/// costs a lookup.
pub fn read(raw: &str, home: Region) -> Party {
    let key = (raw.to_string(), home);
    if let Some(party) = MEMO.with_borrow(|memo| memo.get(&key).cloned()) {
        return party;
    }
    let party = read_uncached(raw, home);
    MEMO.with_borrow_mut(|memo| {
        if memo.len() >= MEMO_CAPACITY {
            memo.clear();
        }
        memo.insert(key, party.clone());
    });
    party
}

/// What [`read`] answers, worked out afresh each time.
pub fn read_uncached(raw: &str, home: Region) -> Party {
    let trimmed = raw.trim();
    let normal = normalize(trimmed);
    if normal.is_empty() {
        return Party::Unknown;
    }
    // A number written with `+` is dialled from abroad: never an internal extension.
    if is_extension(&normal) && !trimmed.starts_with('+') {
        return Party::Extension(normal);
    }
    let Ok(number) = PHONE_NUMBER_UTIL.parse(trimmed, Some(home)) else {
        return Party::Text(trimmed.to_string());
    };
    // Only a whole number its country's plan allows has an E.164 form: a local one (no area
    // code), one of a length the country never uses, or one no plan has (a French 01… read
    // as North American) is shown as received and matches nothing.
    if number.is_possible_with_reason() != Ok(NumberLengthType::IsPossible) || !number.is_valid() {
        return Party::Text(trimmed.to_string());
    }
    let e164 = number.format_as(PhoneNumberFormat::E164).into_owned();
    // One dialling plan is home: a Montreal desk reads a New York number as (212) 736-5000,
    // as its phones write it, since both are +1.
    let at_home = PHONE_NUMBER_UTIL.get_country_code_for_region(home) == Some(number.country_code);
    let (display, dial) = if at_home {
        (
            number.format_as(PhoneNumberFormat::National).into_owned(),
            number.get_national_significant_number(),
        )
    } else {
        (
            number
                .format_as(PhoneNumberFormat::International)
                .into_owned(),
            e164.clone(),
        )
    };
    Party::Phone {
        e164,
        display,
        dial,
    }
}

/// The E.164 form (`+15145551212`) of a phone number; `None` for extensions and anything
/// that is not a phone number.
pub fn e164(raw: &str, home: Region) -> Option<String> {
    match read(raw, home) {
        Party::Phone { e164, .. } => Some(e164),
        _ => None,
    }
}

/// The number to put on the clipboard or dial: digits for phone numbers (with `+` outside
/// the home region), digits for extensions, anything else as it came.
pub fn dialable(raw: &str, home: Region) -> String {
    match read(raw, home) {
        Party::Phone { dial, .. } => dial,
        Party::Extension(digits) => digits,
        Party::Unknown => String::new(),
        Party::Text(text) => text,
    }
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

    fn phone(e164: &str, display: &str, dial: &str) -> Party {
        Party::Phone {
            e164: e164.into(),
            display: display.into(),
            dial: dial.into(),
        }
    }

    /// One corpus per home region: the same caller written the ways Ubity and people write
    /// it, foreign numbers, extensions, and text that is no number.
    #[test]
    fn numbers_are_read_for_a_desk_in_quebec() {
        let montreal = phone("+15145551212", "(514) 555-1212", "5145551212");
        let table = [
            ("5145551212", montreal.clone()),
            ("+15145551212", montreal.clone()),
            ("15145551212", montreal.clone()),
            ("514-555-1212", montreal.clone()),
            ("(514) 555-1212", montreal.clone()),
            ("1.514.555.1212", montreal.clone()),
            ("+1 514 555 1212", montreal),
            (
                "18006226232",
                phone("+18006226232", "(800) 622-6232", "8006226232"),
            ),
            // New York shares +1 and reads as a home number would.
            (
                "2127365000",
                phone("+12127365000", "(212) 736-5000", "2127365000"),
            ),
            (
                "+33142764978",
                phone("+33142764978", "+33 1 42 76 49 78", "+33142764978"),
            ),
            (
                "011 33 1 42 76 49 78",
                phone("+33142764978", "+33 1 42 76 49 78", "+33142764978"),
            ),
            (
                "+44 20 7946 0958",
                phone("+442079460958", "+44 20 7946 0958", "+442079460958"),
            ),
            (
                "+49 1512 3456789",
                phone("+4915123456789", "+49 1512 3456789", "+4915123456789"),
            ),
            (
                "+41 44 668 18 00",
                phone("+41446681800", "+41 44 668 18 00", "+41446681800"),
            ),
            (
                "+7 800 555-35-35",
                phone("+78005553535", "+7 800 555-35-35", "+78005553535"),
            ),
            ("100", Party::Extension("100".into())),
            ("2001", Party::Extension("2001".into())),
            ("", Party::Unknown),
            ("   ", Party::Unknown),
            ("anonymous", Party::Text("anonymous".into())),
            ("sip:bob@pbx", Party::Text("sip:bob@pbx".into())),
            ("+999 1234567", Party::Text("+999 1234567".into())),
            ("12345678", Party::Text("12345678".into())),
            ("0142764978", Party::Text("0142764978".into())),
            ("+1 014 276 4978", Party::Text("+1 014 276 4978".into())),
            ("+999 123", Party::Text("+999 123".into())),
        ];
        for (raw, want) in table {
            assert_eq!(read(raw, Region::CA), want, "read({raw:?})");
        }
    }

    #[test]
    fn a_desk_in_france_reads_french_numbers_nationally() {
        assert_eq!(
            read("0142764978", Region::FR),
            phone("+33142764978", "01 42 76 49 78", "142764978")
        );
        assert_eq!(
            read("+15145551212", Region::FR),
            phone("+15145551212", "+1 514-555-1212", "+15145551212")
        );
    }

    #[test]
    fn dialable_and_e164() {
        assert_eq!(dialable("+1 (514) 555-1212", Region::CA), "5145551212");
        assert_eq!(dialable("anonymous", Region::CA), "anonymous");
        assert_eq!(dialable("+44 20 7946 0958", Region::CA), "+442079460958");
        assert_eq!(dialable(" 100 ", Region::CA), "100");
        assert_eq!(
            e164("514 555 1212", Region::CA).as_deref(),
            Some("+15145551212")
        );
        assert_eq!(e164("100", Region::CA), None);
    }

    #[test]
    fn regions_are_country_codes_libphonenumber_knows() {
        assert_eq!(region("ca"), Some(Region::CA));
        assert_eq!(region(" FR "), Some(Region::FR));
        assert_eq!(region("ZZ"), None);
        assert_eq!(region("Canada"), None);
        assert_eq!(region(""), None);
    }

    #[test]
    fn no_input_panics() {
        for raw in [
            "+",
            "++15145551212",
            "٥١٤-٥٥٥-١٢١٢",
            "５１４５５５１２１２",
            &"9".repeat(5000),
            "\u{0}\u{202e}123",
        ] {
            let _ = read(raw, Region::CA);
        }
    }
}
