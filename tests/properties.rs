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

/// Raw requests built from the pieces framing cares about, and arbitrary bytes.
fn raw_request() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"GET /init?callid=1 HTTP/1.1\r\n".to_vec()),
        Just(b"POST /init HTTP/1.0\r\n".to_vec()),
        Just(b"Content-Length: 5\r\n".to_vec()),
        Just(b"Content-Length: 99999999999999999999\r\n".to_vec()),
        Just(b"Transfer-Encoding: chunked\r\n".to_vec()),
        Just(b"Expect: 100-continue\r\n".to_vec()),
        Just(b"Connection: close\r\n".to_vec()),
        Just(b"X-Calltray-Peer: 10.0.0.1\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"5\r\nhello\r\n0\r\n\r\n".to_vec()),
        Just(b"ffffffffffffffffff\r\n".to_vec()),
        Just(b"hello".to_vec()),
        prop::collection::vec(any::<u8>(), 0..64),
    ];
    prop::collection::vec(piece, 0..16).prop_map(|pieces| pieces.concat())
}

fn frame(
    bytes: &[u8],
    step: usize,
) -> Result<Option<calltray::framing::Whole>, calltray::framing::Refused> {
    let peer = "192.0.2.7".parse().expect("an address");
    calltray::framing::frame_in_pieces(bytes, step, peer)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// However the bytes are split into reads, framing comes to the same answer; what it
    /// forwards is one well-formed request that names the peer once and states its length.
    #[test]
    fn framing_does_not_depend_on_how_bytes_arrive(raw in raw_request(), step in 1usize..64) {
        let whole_at_once = frame(&raw, raw.len().max(1));
        let piecewise = frame(&raw, step);
        match (&whole_at_once, &piecewise) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.status, b.status),
            _ => prop_assert!(false, "{:?} vs {:?}", whole_at_once, piecewise),
        }
        if let Ok(Some(whole)) = piecewise {
            prop_assert!(whole.consumed <= raw.len());
            let mut headers = [httparse::EMPTY_HEADER; 80];
            let mut request = httparse::Request::new(&mut headers);
            let head_len = match request.parse(&whole.forwarded) {
                Ok(httparse::Status::Complete(n)) => n,
                other => return Err(TestCaseError::fail(format!("forwarded {other:?}"))),
            };
            let peers: Vec<_> = request
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case("X-Calltray-Peer"))
                .map(|h| h.value.to_vec())
                .collect();
            prop_assert_eq!(peers, vec![b"192.0.2.7".to_vec()]);
            let length = request
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("Content-Length"))
                .map(|h| String::from_utf8_lossy(h.value).parse::<usize>().expect("a number"))
                .unwrap_or(0);
            prop_assert_eq!(head_len + length, whole.forwarded.len());
            prop_assert!(!request.headers.iter().any(|h| h.name.eq_ignore_ascii_case("Transfer-Encoding")));
        }
    }
}
