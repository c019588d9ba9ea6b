//! Quiet hours: when calltray keeps its toasts to itself (a meeting, lunch, the weekend).
//!
//! Written in the config as `"mon-fri 12:00-13:00"`, `"sat,sun"` (all day) or
//! `"daily 22:00-07:00"` (past midnight: into the next morning). Pure: local times in, answers
//! out.

use crate::language::Language;
use crate::tr;
use chrono::{Datelike, NaiveDateTime, NaiveTime, TimeDelta, Timelike};

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One quiet range: the days it starts on, and its start and end in minutes of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    days: [bool; 7],
    start: u32,
    end: u32,
}

/// The user's quiet hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QuietHours {
    ranges: Vec<Range>,
}

impl QuietHours {
    /// Reads the config's entries; the error, in `lang`, names the entry and what is wrong
    /// with it.
    pub fn parse(entries: &[String], lang: Language) -> Result<QuietHours, String> {
        let ranges = entries
            .iter()
            .map(|e| {
                parse_entry(e).map_err(|why| {
                    tr!(
                        lang,
                        "config-quiet-entry",
                        entry = format!("{e:?}"),
                        problem = why.text(lang)
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(QuietHours { ranges })
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether `at` (local time) is within quiet hours.
    pub fn contains(&self, at: NaiveDateTime) -> bool {
        let day = at.weekday().num_days_from_monday() as usize;
        let yesterday = (day + 6) % 7;
        let minute = at.hour() * 60 + at.minute();
        self.ranges.iter().any(|r| {
            if r.start < r.end {
                r.days[day] && (r.start..r.end).contains(&minute)
            } else {
                (r.days[day] && minute >= r.start) || (r.days[yesterday] && minute < r.end)
            }
        })
    }

    /// The next moment after `at` when quiet hours begin or end; `None` if they never change.
    pub fn next_change(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        let now = self.contains(at);
        let midnight = at.date().and_time(NaiveTime::MIN);
        let mut edges: Vec<NaiveDateTime> = (0..=8)
            .flat_map(|d| {
                let day = midnight + TimeDelta::days(d);
                self.ranges.iter().flat_map(move |r| {
                    [r.start, r.end].map(|m| day + TimeDelta::minutes(i64::from(m)))
                })
            })
            .filter(|edge| *edge > at)
            .collect();
        edges.sort();
        edges.into_iter().find(|edge| self.contains(*edge) != now)
    }
}

/// What is wrong with one entry; said in words by [`Mistake::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mistake {
    Empty,
    HoursShape,
    Extra,
    SameTime,
    UnknownDay(String),
    NotATime(String),
}

impl Mistake {
    fn text(&self, lang: Language) -> String {
        match self {
            Mistake::Empty => tr!(lang, "config-quiet-empty"),
            Mistake::HoursShape => tr!(lang, "config-quiet-hours-shape"),
            Mistake::Extra => tr!(lang, "config-quiet-extra"),
            Mistake::SameTime => tr!(lang, "config-quiet-same-time"),
            Mistake::UnknownDay(day) => tr!(lang, "config-quiet-day", day = format!("{day:?}")),
            Mistake::NotATime(time) => tr!(lang, "config-quiet-time", time = format!("{time:?}")),
        }
    }
}

fn parse_entry(entry: &str) -> Result<Range, Mistake> {
    let mut words = entry.split_whitespace();
    let days = parse_days(words.next().ok_or(Mistake::Empty)?)?;
    let (start, end) = match words.next() {
        None => (0, 24 * 60),
        Some(span) => {
            let (a, b) = span.split_once('-').ok_or(Mistake::HoursShape)?;
            let start = parse_time(a)?;
            // 24:00 ends a day; it starts nothing.
            if start == 24 * 60 {
                return Err(Mistake::NotATime(a.to_string()));
            }
            (start, parse_time(b)?)
        }
    };
    if words.next().is_some() {
        return Err(Mistake::Extra);
    }
    if start == end {
        return Err(Mistake::SameTime);
    }
    Ok(Range { days, start, end })
}

fn parse_days(text: &str) -> Result<[bool; 7], Mistake> {
    let mut days = [false; 7];
    let index = |name: &str| {
        DAY_NAMES
            .iter()
            .position(|d| name.eq_ignore_ascii_case(d))
            .ok_or_else(|| Mistake::UnknownDay(name.to_string()))
    };
    if text.eq_ignore_ascii_case("daily") {
        return Ok([true; 7]);
    }
    for part in text.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (index(a)?, index(b)?);
                let mut d = a;
                loop {
                    days[d] = true;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days[index(part)?] = true,
        }
    }
    Ok(days)
}

fn parse_time(text: &str) -> Result<u32, Mistake> {
    let bad = || Mistake::NotATime(text.to_string());
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    // HH:MM as written on a clock: one or two digits for the hour, two for the minutes.
    let digits = |s: &str, lengths: &[usize]| {
        lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, &[1, 2]) || !digits(m, &[2]) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-07 is a Monday.
    fn at(day: u32, hm: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("2026-12-{day:02} {hm}"), "%Y-%m-%d %H:%M")
            .expect("a time")
    }

    fn quiet(entries: &[&str]) -> QuietHours {
        QuietHours::parse(
            &entries.iter().map(|e| e.to_string()).collect::<Vec<_>>(),
            Language::English,
        )
        .expect("valid entries")
    }

    #[test]
    fn ranges_days_and_nights() {
        let q = quiet(&["mon-fri 12:00-13:00", "sat,sun", "daily 22:00-07:00"]);
        assert!(q.contains(at(7, "12:00")));
        assert!(!q.contains(at(7, "13:00")));
        assert!(!q.contains(at(7, "11:59")));
        assert!(q.contains(at(12, "15:00")), "Saturday, all day");
        assert!(q.contains(at(8, "23:30")));
        assert!(q.contains(at(8, "06:59")), "the night from Monday");
        assert!(!q.contains(at(8, "07:00")));
        // Friday's night runs into Saturday, which is quiet anyway; Sunday's into Monday.
        assert!(q.contains(at(14, "06:00")));
        let fri_sun = quiet(&["fri-sun 09:00-10:00"]);
        assert!(
            fri_sun.contains(at(13, "09:30")),
            "wraps from Friday to Sunday"
        );
        assert!(!fri_sun.contains(at(14, "09:30")));
    }

    #[test]
    fn the_next_change_is_the_next_edge_that_flips() {
        let q = quiet(&["mon-fri 12:00-13:00", "mon-fri 12:30-14:00"]);
        assert_eq!(q.next_change(at(7, "09:00")), Some(at(7, "12:00")));
        assert_eq!(
            q.next_change(at(7, "12:10")),
            Some(at(7, "14:00")),
            "overlaps merge"
        );
        assert_eq!(
            q.next_change(at(11, "15:00")),
            Some(at(14, "12:00")),
            "over the weekend"
        );
        assert_eq!(quiet(&[]).next_change(at(7, "09:00")), None);
        assert_eq!(
            quiet(&["daily 00:00-24:00"]).next_change(at(7, "09:00")),
            None
        );
    }

    #[test]
    fn mistakes_are_named_in_each_language() {
        for (entry, en, fr) in [
            (
                "mon-fry 12:00-13:00",
                "\"mon-fry 12:00-13:00\": unknown day \"fry\"",
                "\"mon-fry 12:00-13:00\" : jour inconnu \"fry\"; utilisez les abréviations anglaises",
            ),
            ("mon 12-13", "not a time", "\"12\" n’est pas une heure"),
            ("mon 12:00", "HH:MM-HH:MM", "sous la forme HH:MM-HH:MM"),
            ("mon 25:00-26:00", "not a time", "n’est pas une heure"),
            (
                "mon 9:5-10:00",
                "\"9:5\" is not a time",
                "\"9:5\" n’est pas une heure",
            ),
            ("mon +1:00-2:00", "not a time", "n’est pas une heure"),
            (
                "daily 24:00-00:00",
                "\"24:00\" is not a time",
                "n’est pas une heure",
            ),
            ("mon 12:00-12:00", "same time", "à la même heure"),
            (
                "mon 12:00-13:00 extra",
                "one HH:MM-HH:MM",
                "une seule plage",
            ),
            ("", "empty", "entrée vide"),
        ] {
            for (lang, says) in [(Language::English, en), (Language::French, fr)] {
                let e = QuietHours::parse(&[entry.to_string()], lang).expect_err(entry);
                assert!(e.contains(says), "{entry}: {e}");
            }
        }
    }
}
