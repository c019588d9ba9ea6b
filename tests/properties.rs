//! Properties that must hold for any input: the request parser never panics, and the call
//! tracker stays within its bounds and never reports a duration it was not given.

use calltray::config::Config;
use calltray::event::{CallEvent, EventKind};
use calltray::listener::{RequestParts, judge};
use calltray::params::Params;
use calltray::tracker::{CallTracker, MAX_LIVE_CALLS};
use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Duration;

fn config() -> Config {
    Config::parse(
        "extensions = [\"100\"]\n[listen]\nsecret = \"0123456789abcdef0123456789abcdef\"\n",
        Path::new("p.toml"),
    )
    .expect("test config")
}

/// Query strings made of the pieces that matter: names, `=`, `&`, `%` escapes, `+`, and
/// arbitrary characters.
fn query() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("callid=".to_string()),
        Just("type=incoming".to_string()),
        Just("type=outgoing".to_string()),
        Just("caller=".to_string()),
        Just("callee=100".to_string()),
        Just("duration=".to_string()),
        Just("&".to_string()),
        Just("=".to_string()),
        Just("%".to_string()),
        Just("+".to_string()),
        "%[0-9a-fA-FgG]{0,2}",
        "[0-9]{0,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decoding_never_panics(q in query(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut p = Params::default();
        let _ = p.add_encoded(&q);
        let _ = p.add_body(Some("application/x-www-form-urlencoded"), &body);
        for kind in [EventKind::Initiated, EventKind::Answered, EventKind::Ended] {
            let _ = CallEvent::from_params(kind, &p);
        }
    }

    #[test]
    fn judging_any_request_gives_an_event_or_a_client_error(
        method in prop_oneof![
            Just("GET".to_string()),
            Just("POST".to_string()),
            Just("PUT".to_string()),
            Just("HEAD".to_string()),
            "[A-Z]{1,8}",
        ],
        path in prop_oneof![
            Just("/init".to_string()),
            Just("/0123456789abcdef0123456789abcdef/init".to_string()),
            Just("/0123456789abcdef0123456789abcdef/ended".to_string()),
            Just("/health".to_string()),
            any::<String>(),
        ],
        q in query(),
        content_type in prop::option::of(prop_oneof![
            Just("application/x-www-form-urlencoded".to_string()),
            any::<String>(),
        ]),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let url = format!("{path}?{q}");
        let verdict = judge(
            &RequestParts { method: &method, url: &url, content_type: content_type.as_deref(), body: &body },
            &config(),
        );
        if let Err(refusal) = verdict {
            prop_assert!((400..500).contains(&refusal.status), "{refusal:?}");
            prop_assert!(!refusal.reason.is_empty());
            prop_assert!(!refusal.reason.contains('\n'), "one line: {:?}", refusal.reason);
        }
    }
}

/// One step of a made-up feed: an event for one of a few calls, or time passing.
#[derive(Debug, Clone)]
enum Step {
    Event {
        kind: u8,
        call: u16,
        outgoing: bool,
        duration: Option<u32>,
    },
    Wait(u32),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (0u8..3, 0u16..400, any::<bool>(), prop::option::of(0u32..100_000))
            .prop_map(|(kind, call, outgoing, duration)| Step::Event { kind, call, outgoing, duration }),
        1 => (0u32..400).prop_map(Step::Wait),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn the_tracker_stays_bounded_and_invents_no_durations(steps in prop::collection::vec(step(), 0..1000)) {
        let mut tracker = CallTracker::new(Duration::from_secs(120), 10);
        let mut now = DateTime::from_timestamp(1_800_000_000, 0).expect("valid time");
        let mut given: HashMap<String, HashSet<u32>> = HashMap::new();
        for step in steps {
            let updates = match step {
                Step::Wait(secs) => {
                    now += TimeDelta::seconds(i64::from(secs));
                    tracker.expire(now)
                }
                Step::Event { kind, call, outgoing, duration } => {
                    let kind = [EventKind::Initiated, EventKind::Answered, EventKind::Ended][kind as usize];
                    let callid = format!("C{call}");
                    let (direction, caller, callee) = if outgoing {
                        ("outgoing", "100", "5145551212")
                    } else {
                        ("incoming", "5145551212", "100")
                    };
                    let mut p = Params::default();
                    p.add_encoded(&format!("callid={callid}&type={direction}&caller={caller}&callee={callee}"))
                        .expect("valid params");
                    let mut event = CallEvent::from_params(kind, &p).expect("valid event");
                    if kind == EventKind::Ended {
                        event.duration = duration;
                        if let Some(d) = duration {
                            given.entry(callid.clone()).or_default().insert(d);
                        }
                    }
                    tracker.apply(&event, now).into_iter().collect()
                }
            };
            prop_assert!(tracker.live().len() <= MAX_LIVE_CALLS);
            prop_assert!(tracker.recent().count() <= 10);
            for update in updates {
                if let Some(d) = update.call.duration {
                    let known = given.get(&update.call.key.callid).is_some_and(|set| set.contains(&d));
                    prop_assert!(known, "duration {d} for {} was never given", update.call.key.callid);
                }
            }
        }
    }
}
