//! English and French: every word calltray shows a person, looked up in Fluent files.
//!
//! Ubity's users are largely in Québec, so French is a first language here, not an
//! afterthought. The texts live in `locales/en/calltray.ftl` and `locales/fr/calltray.ftl`
//! (compiled in, so nothing can be missing at run time); code names a message and its
//! arguments, and Fluent picks the words and the plural form (French counts 0 and 1 as
//! singular, English only 1).
//!
//! The pure parts of calltray ([`crate::view`]) take a [`Language`] as a value, so each is
//! tested in both languages. Messages built far from any config (a config file that cannot
//! be read, a command-line error) use [`current`], which the program sets once it knows the
//! user's choice.

use chrono::{DateTime, TimeZone, Timelike};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};

static_loader! {
    static TEXTS = {
        locales: "./locales",
        fallback_language: "en",
        // Fluent wraps each argument in invisible direction marks by default; calltray strips
        // such characters from what it shows, and its arguments are numbers and names that
        // are cleaned before they get here.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static FR: LanguageIdentifier = langid!("fr");

/// The language of everything calltray shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    English,
    French,
}

/// An argument of a message: text, or a number (which also picks the plural form).
pub enum Arg<'a> {
    Text(Cow<'a, str>),
    Number(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}

impl From<&String> for Arg<'_> {
    fn from(s: &String) -> Self {
        Arg::Text(Cow::Owned(s.clone()))
    }
}

macro_rules! number_args {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg<'_> {
            fn from(n: $t) -> Self {
                Arg::Number(n as f64)
            }
        }
    )*};
}
number_args!(u8, u16, u32, u64, usize, i32, i64);

/// Looks up message `id` in `lang` with named arguments: `tr!(lang, "missed-calls", count = 3)`.
#[macro_export]
macro_rules! tr {
    ($lang:expr, $id:literal) => {
        $lang.text($id, &[])
    };
    ($lang:expr, $id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $lang.text($id, &[$((stringify!($name), $crate::language::Arg::from($value))),+])
    };
}

impl Language {
    /// The language named in a locale such as `fr_CA.UTF-8`, `fr-FR` or `en_US`: French for any
    /// French locale, English for everything else (the only other language calltray has).
    pub fn from_locale(locale: &str) -> Language {
        let primary = locale
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default();
        if primary.eq_ignore_ascii_case("fr") {
            Language::French
        } else {
            Language::English
        }
    }

    /// The desktop session's language (`LC_ALL`, `LC_MESSAGES`, `LANG` on Linux).
    pub fn from_system() -> Language {
        sys_locale::get_locale()
            .map(|l| Language::from_locale(&l))
            .unwrap_or_default()
    }

    /// The language's code, as the config file writes it.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::French => "fr",
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Language::English => &EN,
            Language::French => &FR,
        }
    }

    /// Message `id` with its arguments; see [`tr!`] for the usual way to call it.
    pub fn text(self, id: &str, args: &[(&'static str, Arg<'_>)]) -> String {
        TEXTS.lookup_complete(self.id(), id, Some(&to_fluent(args)))
    }

    /// A call's length: `2:31` and `1:02:05` in English, `2 min 31 s` and `1 h 02 min 05 s`
    /// in French, as Québec writes durations.
    pub fn duration(self, secs: impl Into<u64>) -> String {
        let secs: u64 = secs.into();
        let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
        match (self, h, m) {
            (Language::English, 0, _) => format!("{m}:{s:02}"),
            (Language::English, _, _) => format!("{h}:{m:02}:{s:02}"),
            (Language::French, 0, 0) => format!("{s} s"),
            (Language::French, 0, _) => format!("{m} min {s:02} s"),
            (Language::French, _, _) => format!("{h} h {m:02} min {s:02} s"),
        }
    }

    /// A time of day: `3:04 PM` in English, `15 h 04` in French.
    pub fn time<Tz: TimeZone>(self, at: &DateTime<Tz>) -> String {
        let (h, m) = (at.hour(), at.minute());
        match self {
            Language::English => {
                let (h12, half) = match h {
                    0 => (12, "AM"),
                    1..=11 => (h, "AM"),
                    12 => (12, "PM"),
                    _ => (h - 12, "PM"),
                };
                format!("{h12}:{m:02} {half}")
            }
            Language::French => format!("{h} h {m:02}"),
        }
    }

    /// A day and time, for tables: `2026-12-04 3:04 PM`, `2026-12-04 15 h 04`.
    pub fn date_time<Tz: TimeZone>(self, at: &DateTime<Tz>) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        format!("{} {}", at.format("%Y-%m-%d"), self.time(at))
    }
}

fn to_fluent<'a>(
    args: &'a [(&'static str, Arg<'a>)],
) -> HashMap<Cow<'static, str>, FluentValue<'a>> {
    args.iter()
        .map(|(name, value)| {
            let value = match value {
                Arg::Text(s) => FluentValue::from(s.as_ref()),
                Arg::Number(n) => FluentValue::from(*n),
            };
            (Cow::Borrowed(*name), value)
        })
        .collect()
}

static CURRENT: AtomicU8 = AtomicU8::new(u8::MAX);

/// The language for messages made away from the config (errors, command output): the user's
/// choice once [`set_current`] was called, the system's before.
pub fn current() -> Language {
    match CURRENT.load(Ordering::Relaxed) {
        0 => Language::English,
        1 => Language::French,
        _ => Language::from_system(),
    }
}

/// Makes `lang` the language of [`current`] (at start, and when the config changes).
pub fn set_current(lang: Language) {
    let n = match lang {
        Language::English => 0,
        Language::French => 1,
    };
    CURRENT.store(n, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone};

    #[test]
    fn locales_pick_french_only_for_french() {
        let table = [
            ("fr_CA.UTF-8", Language::French),
            ("fr-FR", Language::French),
            ("FR", Language::French),
            ("fr_CA@euro", Language::French),
            ("en_US.UTF-8", Language::English),
            ("C", Language::English),
            ("POSIX", Language::English),
            ("de_DE", Language::English),
            ("fry_NL", Language::English),
            ("", Language::English),
        ];
        for (locale, want) in table {
            assert_eq!(Language::from_locale(locale), want, "{locale:?}");
        }
    }

    #[test]
    fn durations_in_each_language() {
        let table = [
            (0u64, "0:00", "0 s"),
            (5, "0:05", "5 s"),
            (65, "1:05", "1 min 05 s"),
            (300, "5:00", "5 min 00 s"),
            (3599, "59:59", "59 min 59 s"),
            (3600, "1:00:00", "1 h 00 min 00 s"),
            (3725, "1:02:05", "1 h 02 min 05 s"),
        ];
        for (secs, en, fr) in table {
            assert_eq!(Language::English.duration(secs), en);
            assert_eq!(Language::French.duration(secs), fr);
        }
    }

    #[test]
    fn times_in_each_language() {
        let tz = FixedOffset::west_opt(5 * 3600).expect("offset");
        let at = |h, m| tz.with_ymd_and_hms(2026, 12, 4, h, m, 0).unwrap();
        let table = [
            ((0, 5), "12:05 AM", "0 h 05"),
            ((9, 30), "9:30 AM", "9 h 30"),
            ((12, 0), "12:00 PM", "12 h 00"),
            ((15, 4), "3:04 PM", "15 h 04"),
        ];
        for ((h, m), en, fr) in table {
            assert_eq!(Language::English.time(&at(h, m)), en);
            assert_eq!(Language::French.time(&at(h, m)), fr);
        }
        assert_eq!(Language::French.date_time(&at(15, 4)), "2026-12-04 15 h 04");
    }

    #[test]
    fn plurals_follow_each_language() {
        // French counts zero as singular, English does not.
        let en: Vec<String> = [0u64, 1, 2]
            .iter()
            .map(|n| tr!(Language::English, "missed-calls", count = *n))
            .collect();
        let fr: Vec<String> = [0u64, 1, 2]
            .iter()
            .map(|n| tr!(Language::French, "missed-calls", count = *n))
            .collect();
        assert_eq!(en, ["0 missed calls", "1 missed call", "2 missed calls"]);
        assert_eq!(fr, ["0 appel manqué", "1 appel manqué", "2 appels manqués"]);
    }

    #[test]
    fn every_english_message_has_a_french_one_and_back() {
        let ids = |text: &str| -> Vec<String> {
            let mut ids: Vec<String> = text
                .lines()
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_string()))
                .collect();
            ids.sort();
            ids
        };
        let en = ids(include_str!("../locales/en/calltray.ftl"));
        let fr = ids(include_str!("../locales/fr/calltray.ftl"));
        assert!(en.len() > 20, "{en:?}");
        assert_eq!(en, fr);
        // Each French message formats (given a value for every variable either file uses)
        // in French itself, not through the English fallback.
        let mut names: Vec<&'static str> = Vec::new();
        for text in [
            include_str!("../locales/en/calltray.ftl"),
            include_str!("../locales/fr/calltray.ftl"),
        ] {
            for piece in text.split('$').skip(1) {
                let name: String = piece
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                if !names.contains(&name.as_str()) {
                    names.push(Box::leak(name.into_boxed_str()));
                }
            }
        }
        let args: Vec<(&'static str, Arg<'_>)> =
            names.iter().map(|n| (*n, Arg::Number(2.0))).collect();
        for id in &en {
            let fr_text = TEXTS
                .lookup_single_language(&FR, id, Some(&to_fluent(&args)))
                .unwrap_or_else(|e| panic!("{id} in French: {e}"));
            assert!(!fr_text.is_empty(), "{id}");
        }
    }
}
