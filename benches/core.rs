//! The in-process parts of one callback's path, timed by criterion: reading a request
//! (framing, then decoding and validating its parameters), following the call in the
//! tracker, and turning the change into words (the toast, the tray's view, a number).
//!
//! `cargo bench --bench core` runs them; `bench/run.sh` runs them with the rest and puts the
//! figures in BENCHMARKS.md. Under `cargo test` each runs once, as a smoke test.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use calltray::config::NotifyPrefs;
use calltray::event::{CallEvent, EventKind};
use calltray::framing::{Framer, Progress};
use calltray::language::Language;
use calltray::names::Names;
use calltray::number;
use calltray::params::Params;
use calltray::tracker::{CallTracker, Time};
use calltray::view::{ListenerNote, toast_for, tray_view};
use chrono::{TimeDelta, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

/// What Ubity sends for a ringing call, as in its documentation's examples.
const QUERY: &str = "callid=1670001234.5678&type=incoming&caller=5145551212&callee=100";
const REQUEST: &[u8] =
    b"GET /init?callid=1670001234.5678&type=incoming&caller=5145551212&callee=100 HTTP/1.1\r\n\
Host: calltray.example.net\r\nUser-Agent: Ubity-Callbacks\r\nAccept: */*\r\n\
X-Forwarded-For: 203.0.113.7\r\nConnection: keep-alive\r\n\r\n";

fn start() -> Time {
    Utc.with_ymd_and_hms(2026, 12, 4, 15, 4, 0).unwrap()
}

fn event(kind: EventKind, id: u32, duration: Option<&str>) -> CallEvent {
    let mut params = Params::default();
    params
        .add_encoded(&format!(
            "callid={id}&type=incoming&caller=514555{:04}&callee=100",
            id % 10_000
        ))
        .unwrap();
    if let Some(d) = duration {
        params.add_encoded(&format!("duration={d}")).unwrap();
    }
    CallEvent::from_params(kind, &params).unwrap()
}

fn parsing(c: &mut Criterion) {
    let peer = IpAddr::V4(Ipv4Addr::LOCALHOST);
    c.bench_function("framing: a whole GET callback", |b| {
        b.iter(|| {
            let mut framer = Framer::default();
            match framer.advance(black_box(REQUEST), peer) {
                Ok(Progress::Whole(whole)) => whole,
                other => panic!("not framed: {other:?}"),
            }
        })
    });
    c.bench_function("params + event: decode and validate a query", |b| {
        b.iter(|| {
            let mut params = Params::default();
            params.add_encoded(black_box(QUERY)).unwrap();
            CallEvent::from_params(EventKind::Initiated, &params).unwrap()
        })
    });
}

fn tracking(c: &mut Criterion) {
    let ring = event(EventKind::Initiated, 1, None);
    let answer = event(EventKind::Answered, 1, None);
    let end = event(EventKind::Ended, 1, Some("151"));
    c.bench_function("tracker: one call rings, is answered, ends", |b| {
        b.iter_batched_ref(
            || CallTracker::new(Duration::from_secs(120), 10),
            |tracker| {
                let t = start();
                tracker.apply(&ring, t);
                tracker.apply(&answer, t + TimeDelta::seconds(3));
                tracker.apply(&end, t + TimeDelta::seconds(154))
            },
            BatchSize::SmallInput,
        )
    });
    // A tracker that has already seen thousands of calls: the cost of the next one must not
    // depend on them (finished calls are remembered in bounded sets).
    let events: Vec<[CallEvent; 2]> = (0..10_000)
        .map(|i| {
            [
                event(EventKind::Initiated, i, None),
                event(EventKind::Ended, i, Some("0")),
            ]
        })
        .collect();
    let mut busy = CallTracker::new(Duration::from_secs(120), 10);
    for (i, [ring, end]) in events.iter().enumerate() {
        let t = start() + TimeDelta::seconds(i as i64);
        busy.apply(ring, t);
        busy.apply(end, t);
    }
    let next = [
        event(EventKind::Initiated, 99_999, None),
        event(EventKind::Ended, 99_999, Some("0")),
    ];
    c.bench_function("tracker: a missed call after 10,000 others", |b| {
        b.iter_batched_ref(
            || busy_clone(&events),
            |tracker| {
                let t = start() + TimeDelta::days(1);
                tracker.apply(&next[0], t);
                tracker.apply(&next[1], t)
            },
            BatchSize::LargeInput,
        )
    });
}

/// A tracker fed `events`, built fresh for each batch (the tracker is not `Clone`).
fn busy_clone(events: &[[CallEvent; 2]]) -> CallTracker {
    let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
    for (i, [ring, end]) in events.iter().enumerate() {
        let t = start() + TimeDelta::seconds(i as i64);
        tracker.apply(ring, t);
        tracker.apply(end, t);
    }
    tracker
}

fn formatting(c: &mut Criterion) {
    let region = number::region("CA").unwrap();
    let names = Names::new(region);
    let prefs = NotifyPrefs::default();
    let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
    let ringing = tracker
        .apply(&event(EventKind::Initiated, 1, None), start())
        .unwrap();
    for i in 2..12 {
        let t = start() - TimeDelta::minutes(i64::from(i));
        tracker.apply(&event(EventKind::Initiated, i, None), t);
        tracker.apply(&event(EventKind::Ended, i, Some("0")), t);
    }
    for lang in [Language::English, Language::French] {
        // The same call each time, so its number is read once (`number::read` remembers it),
        // as for the updates of a call already on screen; a new caller adds one read, timed
        // below.
        c.bench_function(
            &format!("view: ringing toast, number already read ({lang:?})"),
            |b| b.iter(|| toast_for(black_box(&ringing), &prefs, lang, &names)),
        );
        c.bench_function(
            &format!("view: tray and menu, 10 recent calls, 10 numbers ({lang:?})"),
            |b| {
                let note = ListenerNote::Up("127.0.0.1:8765".parse().unwrap());
                b.iter(|| tray_view(black_box(&tracker), &note, start(), &Utc, lang, &names))
            },
        );
    }
    c.bench_function("number: read and format +33 1 42 76 49 78", |b| {
        b.iter(|| number::read_uncached(black_box("+33142764978"), region))
    });
    c.bench_function("number: read and format (514) 555-1212", |b| {
        b.iter(|| number::read_uncached(black_box("5145551212"), region))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3));
    targets = parsing, tracking, formatting
}
criterion_main!(benches);
