//! The HTTP contract, end to end: the real binary (`--headless`) in a private session, real
//! requests on loopback, and a test notification service on the private bus recording every
//! toast. Each refusal is checked for its exact status and for a one-line body naming the
//! problem; each accepted event for its toast.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use support::agent::Reply;
use support::*;

/// Asserts the status and that the body is one line containing every one of `words`.
fn assert_reply(reply: &Reply, status: u16, words: &[&str], what: &str) {
    assert_eq!(
        reply.status, status,
        "{what}: expected {status}, got {} with body {:?}",
        reply.status, reply.body
    );
    assert!(
        reply.body.ends_with('\n') && reply.body.trim_end().lines().count() == 1,
        "{what}: body is not one line: {:?}",
        reply.body
    );
    for w in words {
        assert!(
            reply.body.contains(w),
            "{what}: body {:?} does not mention {w:?}",
            reply.body
        );
    }
}

fn get(agent: &Agent, target: &str) -> Reply {
    agent.exchange("GET", target, &[], b"")
}

fn post_form(agent: &Agent, target: &str, body: &str) -> Reply {
    agent.exchange(
        "POST",
        target,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
}

/// Sends `target` (GET) and expects a 400 whose body names each of `words`.
fn refused(agent: &Agent, target: &str, words: &[&str]) {
    assert_reply(&get(agent, target), 400, words, &format!("GET {target}"));
}

/// The toasts whose body mentions `needle`, in order.
fn toasts_about(calls: &[Notification], needle: &str) -> Vec<Notification> {
    calls
        .iter()
        .filter(|n| n.body.contains(needle))
        .cloned()
        .collect()
}

/// Waits until a toast with `summary` whose body mentions `needle` has arrived; returns all
/// toasts received by then.
fn wait_toast(notes: &NotificationServer, summary: &str, needle: &str) -> Vec<Notification> {
    notes
        .wait_for(
            |calls| {
                calls
                    .iter()
                    .any(|n| n.summary == summary && n.body.contains(needle))
            },
            DEFAULT_TIMEOUT,
        )
        .unwrap_or_else(|e| panic!("no {summary:?} toast mentioning {needle:?}: {e}"))
}

fn summaries(calls: &[Notification]) -> Vec<&str> {
    calls.iter().map(|n| n.summary.as_str()).collect()
}

/// The toasts shown are `steps` in order, each at most once, ending with the last one. Steps
/// that come faster than the notification service shows them are merged into the newest, so
/// earlier ones may be missing; none may repeat or come out of order.
fn assert_steps(calls: &[Notification], steps: &[&str]) {
    let shown = summaries(calls);
    let mut expected = steps.iter();
    assert!(
        shown.iter().all(|s| expected.any(|step| step == s)),
        "toasts {shown:?} are not steps {steps:?} in order:\n{calls:#?}"
    );
    assert_eq!(shown.last(), steps.last(), "{calls:#?}");
}

#[test]
fn the_six_documented_examples_are_accepted() {
    let (_session, _notes, agent) = start_headless();
    let out = "callid=ABC12345&type=outgoing&caller=100&callee=5145551212";
    let examples = [
        ("GET", format!("/init?{out}"), "CallInitiated outgoing"),
        ("POST", format!("/init?{IN_A}"), "CallInitiated incoming"),
        ("GET", format!("/answered?{out}"), "CallAnswered outgoing"),
        ("POST", format!("/answered?{IN_A}"), "CallAnswered incoming"),
        (
            "GET",
            format!("/ended?{out}&duration=300"),
            "CallEnded outgoing",
        ),
        (
            "POST",
            format!("/ended?{IN_A}&duration=300"),
            "CallEnded incoming",
        ),
    ];
    for (method, target, words) in examples {
        let reply = agent.exchange(method, &target, &[], b"");
        assert_reply(
            &reply,
            200,
            &["accepted: ", words, "ABC12345"],
            &format!("{method} {target}"),
        );
        assert!(
            reply.body.starts_with("accepted: "),
            "{method} {target}: {:?}",
            reply.body
        );
    }
}

#[test]
fn parameters_in_a_form_body_are_read() {
    let (_session, notes, agent) = start_headless();
    let reply = post_form(
        &agent,
        "/init",
        "callid=FORM1&type=incoming&caller=4165550000&callee=100",
    );
    assert_reply(
        &reply,
        200,
        &["accepted: CallInitiated", "FORM1"],
        "form POST",
    );
    // With a charset parameter, and split between the query and the body.
    let reply = agent.exchange(
        "POST",
        "/answered?callid=FORM1&type=incoming",
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )],
        b"caller=4165550000&callee=100",
    );
    assert_reply(
        &reply,
        200,
        &["accepted: CallAnswered", "FORM1"],
        "split POST",
    );
    let calls = wait_toast(&notes, "Call answered", "(416) 555-0000");
    assert_steps(&calls, &["Incoming call", "Call answered"]);
}

#[test]
fn another_extensions_event_is_ignored_and_raises_no_toast() {
    let (_session, notes, agent) = start_headless();
    let reply = get(
        &agent,
        "/init?callid=OTHER1&type=incoming&caller=4165550000&callee=200",
    );
    assert_reply(&reply, 200, &["200"], "event for ext 200");
    assert!(reply.body.starts_with("ignored:"), "{:?}", reply.body);
    // An outgoing call is the caller's: placed from 200, it is not ours either.
    let reply = get(
        &agent,
        "/ended?callid=OTHER2&type=outgoing&caller=200&callee=100&duration=5",
    );
    assert_reply(&reply, 200, &["200"], "outgoing from ext 200");
    assert!(reply.body.starts_with("ignored:"), "{:?}", reply.body);

    // Barrier: a call of ours is announced after anything sent before it.
    let mine = get(&agent, &format!("/init?{IN_A}"));
    assert_reply(&mine, 200, &["accepted:"], "mine");
    let calls = wait_toast(&notes, "Incoming call", "(514) 555-1212");
    assert_eq!(calls.len(), 1, "only our call is announced: {calls:#?}");
    assert!(calls[0].body.contains("ext 100"), "{calls:#?}");
}

#[test]
fn missing_parameters_are_named() {
    let (_session, _notes, agent) = start_headless();
    let all = [
        ("callid", "ABC"),
        ("type", "incoming"),
        ("caller", "5145551212"),
        ("callee", "100"),
    ];
    for (missing, _) in all {
        let query: Vec<String> = all
            .iter()
            .filter(|(n, _)| *n != missing)
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        for path in ["/init", "/answered", "/ended"] {
            refused(
                &agent,
                &format!("{path}?{}", query.join("&")),
                &["missing", &format!("`{missing}`")],
            );
        }
    }
    // An empty call id or type is missing information too.
    refused(
        &agent,
        "/init?callid=&type=incoming&caller=1&callee=100",
        &["`callid`", "empty"],
    );
    refused(
        &agent,
        "/init?callid=A&type=+++&caller=1&callee=100",
        &["`type`", "empty"],
    );
    // No parameters at all.
    refused(&agent, "/init", &["`callid`"]);
}

#[test]
fn an_unknown_type_is_refused() {
    let (_session, _notes, agent) = start_headless();
    for t in ["sideways", "in", "incoming2"] {
        refused(
            &agent,
            &format!("/init?callid=A&type={t}&caller=5145551212&callee=100"),
            &["`type`", t, "incoming", "outgoing"],
        );
    }
}

#[test]
fn bad_durations_are_refused() {
    let (_session, _notes, agent) = start_headless();
    for d in ["ten", "-5", "99999999", "1.5", "4294967296", "0x10"] {
        refused(
            &agent,
            &format!("/ended?{IN_A}&duration={d}"),
            &["`duration`", d],
        );
    }
    // The longest accepted call is a week.
    refused(
        &agent,
        &format!("/ended?{IN_A}&duration=604801"),
        &["`duration`"],
    );
    assert_reply(
        &get(&agent, &format!("/ended?{IN_A}&duration=604800")),
        200,
        &["accepted:"],
        "a week-long call",
    );
}

#[test]
fn broken_encodings_are_refused() {
    let (_session, _notes, agent) = start_headless();
    refused(
        &agent,
        "/init?callid=%G1&type=incoming&caller=5145551212&callee=100",
        &["percent-encoding", "`callid`"],
    );
    refused(
        &agent,
        "/init?callid=A&type=incoming&caller=5145551212&callee=100%4",
        &["percent-encoding", "`callee`"],
    );
    refused(
        &agent,
        "/init?callid=A&type=incoming&caller=5145551212%&callee=100",
        &["percent-encoding", "`caller`"],
    );
    refused(
        &agent,
        "/init?callid=A&type=incoming&caller=%ff&callee=100",
        &["UTF-8", "`caller`"],
    );
    refused(
        &agent,
        "/init?callid=A%C3&type=incoming&caller=1&callee=100",
        &["UTF-8", "`callid`"],
    );
    // In a form body too.
    let reply = post_form(
        &agent,
        "/init",
        "callid=A&type=incoming&caller=%ZZ&callee=100",
    );
    assert_reply(&reply, 400, &["percent-encoding", "`caller`"], "form body");
    let reply = agent.exchange(
        "POST",
        "/init",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"callid=A&type=incoming&caller=\xff\xfe&callee=100",
    );
    assert_reply(&reply, 400, &["UTF-8"], "raw non-UTF-8 body");
}

#[test]
fn a_parameter_given_twice_with_different_values_is_refused() {
    let (_session, _notes, agent) = start_headless();
    refused(
        &agent,
        &format!("/init?{IN_A}&callid=XYZ"),
        &["`callid`", "twice"],
    );
    refused(
        &agent,
        &format!("/init?{IN_A}&callee=101"),
        &["`callee`", "twice"],
    );
    // Between the query and the body.
    let reply = post_form(&agent, &format!("/init?{IN_A}"), "caller=4165550000");
    assert_reply(&reply, 400, &["`caller`", "twice"], "query vs body");
    // The same value twice is only a repeat.
    let reply = get(&agent, &format!("/init?{IN_A}&callid=ABC12345"));
    assert_reply(&reply, 200, &["accepted:"], "same value twice");
}

#[test]
fn control_markup_and_bidi_characters_in_a_party_are_refused() {
    let (_session, notes, agent) = start_headless();
    for bad in [
        "514%0A5551212",
        "514%0D5551212",
        "514%075551212",
        "%00",
        "%3Cb%3E5145551212%3C%2Fb%3E",
        "514%265551212",
        "%22quoted%22",
        "it%27s",
        "5145551212%E2%80%AE",
        "%E2%80%AE2121555415",
        "%E2%81%A6514%E2%81%A9",
        "%E2%80%8F5145551212",
    ] {
        refused(
            &agent,
            &format!("/init?callid=A&type=incoming&caller={bad}&callee=100"),
            &["`caller`", "characters"],
        );
    }
    refused(
        &agent,
        "/init?callid=A&type=incoming&caller=5145551212&callee=100%E2%80%AE",
        &["`callee`", "characters"],
    );
    refused(
        &agent,
        "/init?callid=A%0Ax&type=incoming&caller=5145551212&callee=100",
        &["`callid`", "characters"],
    );
    // Nothing refused was announced: the next good call is the first toast.
    assert_reply(
        &get(&agent, &format!("/init?{IN_A}")),
        200,
        &["accepted:"],
        "good call",
    );
    let calls = wait_toast(&notes, "Incoming call", "(514) 555-1212");
    assert_eq!(calls.len(), 1, "{calls:#?}");
}

#[test]
fn a_body_of_another_content_type_is_415() {
    let (_session, _notes, agent) = start_headless();
    for ct in [
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let reply = agent.exchange(
            "POST",
            &format!("/init?{IN_A}"),
            &[("Content-Type", ct)],
            b"{\"callid\":\"A\"}",
        );
        assert_reply(
            &reply,
            415,
            &["application/x-www-form-urlencoded"],
            &format!("POST with {ct}"),
        );
    }
    let reply = agent.exchange("POST", "/init", &[], b"callid=A");
    assert_reply(
        &reply,
        415,
        &["application/x-www-form-urlencoded", "no Content-Type"],
        "POST body without Content-Type",
    );
    // An empty body of any type is no body at all.
    let reply = agent.exchange(
        "POST",
        &format!("/init?{IN_A}"),
        &[("Content-Type", "application/json")],
        b"",
    );
    assert_reply(&reply, 200, &["accepted:"], "empty JSON body");
}

#[test]
fn a_body_over_16_kib_is_413() {
    let (_session, _notes, agent) = start_headless();
    let mut body = format!("{IN_A}&pad=").into_bytes();
    body.resize(16 * 1024 + 1, b'x');
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let reply = agent.exchange("POST", "/init", &form, &body);
    assert_reply(
        &reply,
        413,
        &["body", "16384"],
        "17 KiB with Content-Length",
    );

    // The same, sent chunked so that no length is announced.
    let mut chunked = Vec::new();
    for piece in body.chunks(4000) {
        chunked.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        chunked.extend_from_slice(piece);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let reply = agent.exchange(
        "POST",
        "/init",
        &[form[0], ("Transfer-Encoding", "chunked")],
        &chunked,
    );
    assert_reply(&reply, 413, &["body", "16384"], "17 KiB chunked");

    // Exactly 16 KiB is still read.
    body.truncate(16 * 1024);
    let reply = agent.exchange("POST", "/init", &form, &body);
    assert_ne!(reply.status, 413, "{:?}", reply.body);
}

#[test]
fn an_unknown_path_is_404() {
    let (_session, _notes, agent) = start_headless();
    for target in [
        format!("/nope?{IN_A}"),
        "/".to_string(),
        format!("/init/?{IN_A}"),
        format!("/INIT?{IN_A}"),
        format!("/init/extra?{IN_A}"),
        "/healthz".to_string(),
        "/favicon.ico".to_string(),
    ] {
        assert_reply(&get(&agent, &target), 404, &["not found"], &target);
    }
    let reply = agent.exchange("PUT", "/nope", &[], b"x");
    assert_reply(&reply, 404, &["not found"], "PUT /nope");
}

#[test]
fn other_methods_on_a_callback_path_are_405_with_allow() {
    let (_session, _notes, agent) = start_headless();
    for path in ["/init", "/answered", "/ended"] {
        for method in ["PUT", "DELETE", "PATCH"] {
            let target = format!("{path}?{IN_A}");
            let reply = agent.exchange(method, &target, &[], b"");
            assert_reply(&reply, 405, &["GET", "POST"], &format!("{method} {target}"));
            let allow = reply.header("Allow").unwrap_or_else(|| {
                panic!("{method} {target}: no Allow header in {:?}", reply.headers)
            });
            let mut allowed: Vec<&str> = allow.split(',').map(str::trim).collect();
            allowed.sort();
            assert_eq!(
                allowed,
                ["GET", "POST"],
                "{method} {target}: Allow {allow:?}"
            );
        }
    }
    let reply = agent.exchange("DELETE", "/health", &[], b"");
    assert_reply(&reply, 405, &["GET"], "DELETE /health");
    assert_eq!(
        reply.header("Allow"),
        Some("GET, HEAD"),
        "{:?}",
        reply.headers
    );
    assert_eq!(agent.exchange("HEAD", "/health", &[], b"").status, 200);
}

#[test]
fn a_callback_path_that_starts_like_health_gets_its_own_allow() {
    let session = Session::start();
    let config = format!("{TEST_CONFIG}initiated_path = \"/healthy-init\"\n");
    let agent = Agent::start(&session, &config, &["--headless"]);
    let reply = agent.exchange("PUT", "/healthy-init?callid=A", &[], b"");
    assert_eq!(reply.status, 405);
    assert_eq!(
        reply.header("Allow"),
        Some("GET, POST"),
        "{:?}",
        reply.headers
    );
}

#[test]
fn a_withheld_caller_is_shown_as_an_unknown_number() {
    let (_session, notes, agent) = start_headless();
    for caller in ["", "+++"] {
        let (status, body) = agent.get(&format!(
            "/init?callid=W{}&type=incoming&caller={caller}&callee=100",
            caller.len()
        ));
        assert_eq!(status, 200, "caller {caller:?}: {body}");
    }
    let seen = notes
        .wait_for(|calls| calls.len() >= 2, DEFAULT_TIMEOUT)
        .expect("two ringing toasts");
    for toast in &seen {
        assert_eq!(toast.summary, "Incoming call");
        assert_eq!(toast.body, "Unknown number\nto ext 100");
    }
}

#[test]
fn health_reports_status_version_uptime_and_last_callback() {
    let (_session, _notes, agent) = start_headless();
    let read = |what: &str| -> serde_json::Value {
        let reply = get(&agent, "/health");
        assert_eq!(reply.status, 200, "{what}: {reply:?}");
        assert!(
            reply
                .header("Content-Type")
                .is_some_and(|t| t.starts_with("application/json")),
            "{what}: {:?}",
            reply.headers
        );
        serde_json::from_str(&reply.body)
            .unwrap_or_else(|e| panic!("{what}: /health is not JSON ({e}): {:?}", reply.body))
    };
    let before = read("before any callback");
    assert_eq!(before["status"], "ok", "{before}");
    assert_eq!(before["version"], env!("CARGO_PKG_VERSION"), "{before}");
    assert!(before["uptime_seconds"].is_u64(), "{before}");
    assert!(
        before
            .as_object()
            .is_some_and(|o| o.contains_key("seconds_since_last_callback")),
        "{before}"
    );
    assert!(before["seconds_since_last_callback"].is_null(), "{before}");

    // A refused request is not a callback.
    refused(&agent, "/init?callid=A", &["`type`"]);
    let after_refusal = read("after a refusal");
    assert!(
        after_refusal["seconds_since_last_callback"].is_null(),
        "{after_refusal}"
    );

    assert_reply(
        &get(&agent, &format!("/init?{IN_A}")),
        200,
        &["accepted:"],
        "callback",
    );
    let after = read("after a callback");
    assert!(after["seconds_since_last_callback"].is_u64(), "{after}");
    assert!(
        after["seconds_since_last_callback"].as_u64() <= after["uptime_seconds"].as_u64(),
        "{after}"
    );
    assert_eq!(after["status"], "ok", "{after}");
}

#[test]
fn with_a_secret_only_the_secret_paths_answer() {
    let session = Session::start();
    let notes = NotificationServer::start(&session);
    let secret = "Zk3_q-9XbT2vLw8RnC4yHs7e";
    assert_eq!(secret.len(), 24);
    let config = format!(
        "extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:0\"\nsecret = \"{secret}\"\n"
    );
    let agent = Agent::start(&session, &config, &["--headless"]);

    let reply = get(&agent, &format!("/{secret}/init?{IN_A}"));
    assert_reply(&reply, 200, &["accepted: CallInitiated"], "secret init");
    let reply = post_form(&agent, &format!("/{secret}/answered"), IN_A);
    assert_reply(&reply, 200, &["accepted: CallAnswered"], "secret answered");

    let unknown = get(&agent, "/no-such-path");
    assert_reply(&unknown, 404, &["not found"], "unknown path");
    let wrong = [
        format!("/init?{IN_A}"),
        format!("/ended?{IN_A}&duration=1"),
        format!("/Zk3_q-9XbT2vLw8RnC4yHs7f/init?{IN_A}"),
        format!("/Zk3_q-9XbT2vLw8RnC4yHs7/init?{IN_A}"),
        format!("/{secret}x/init?{IN_A}"),
        format!("/{secret}?{IN_A}"),
        format!("/{secret}/{secret}/init?{IN_A}"),
        format!("/init/{secret}?{IN_A}"),
    ];
    for target in &wrong {
        let reply = get(&agent, target);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (unknown.status, unknown.body.as_str()),
            "{target} must look exactly like an unknown path"
        );
        // Even with a method a callback path would refuse with 405.
        let reply = agent.exchange("DELETE", target, &[], b"");
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (unknown.status, unknown.body.as_str()),
            "DELETE {target}"
        );
    }
    // Health stays where it is.
    assert_eq!(get(&agent, "/health").status, 200);

    // Only the two secret-path events were announced.
    let reply = get(&agent, &format!("/{secret}/ended?{IN_A}&duration=300"));
    assert_reply(&reply, 200, &["accepted: CallEnded"], "secret ended");
    let calls = wait_toast(&notes, "Call ended · 5:00", "(514) 555-1212");
    assert_steps(
        &calls,
        &["Incoming call", "Call answered", "Call ended · 5:00"],
    );
}

#[test]
fn unknown_extra_parameters_are_accepted() {
    let (_session, notes, agent) = start_headless();
    let reply = get(
        &agent,
        &format!("/init?{IN_A}&ticket=42&crm_id=x%20y&flag&empty=&caf%C3%A9=cr%C3%A8me"),
    );
    assert_reply(&reply, 200, &["accepted: CallInitiated"], "extras in query");
    let reply = post_form(
        &agent,
        &format!("/answered?{IN_A}"),
        "api_call_uuid=0f6e2c1a-11aa-4bb2-9c3d-0123456789ab&cid_name=Front+desk",
    );
    assert_reply(&reply, 200, &["accepted: CallAnswered"], "extras in body");
    let calls = wait_toast(&notes, "Call answered", "(514) 555-1212");
    assert_steps(&calls, &["Incoming call", "Call answered"]);
}

#[test]
fn a_full_incoming_call_is_one_toast_updated_in_place() {
    let (_session, notes, agent) = start_headless();
    for (step, target) in [
        ("init", format!("/init?{IN_A}")),
        ("answered", format!("/answered?{IN_A}")),
        ("ended", format!("/ended?{IN_A}&duration=300")),
    ] {
        assert_reply(&get(&agent, &target), 200, &["accepted:"], step);
    }
    let calls = wait_toast(&notes, "Call ended · 5:00", "(514) 555-1212");
    assert_steps(
        &calls,
        &["Incoming call", "Call answered", "Call ended · 5:00"],
    );
    for n in &calls {
        assert!(
            n.body.contains("(514) 555-1212") && n.body.contains("ext 100"),
            "body {:?} should show the caller and the extension",
            n.body
        );
        assert_eq!(n.app_name, "calltray", "{n:#?}");
    }
    let first = &calls[0];
    assert_eq!(first.replaces_id, 0, "the first toast is new: {first:#?}");
    assert_ne!(first.expire_timeout, -2);
    for later in &calls[1..] {
        assert_eq!(
            later.replaces_id, first.id,
            "{:?} must replace toast #{} in place: {calls:#?}",
            later.summary, first.id
        );
    }
}

#[test]
fn a_call_ended_without_an_answer_is_a_sticky_missed_call() {
    let (_session, notes, agent) = start_headless();
    let q = "callid=MISS1&type=incoming&caller=%2B15145551212&callee=100";
    assert_reply(
        &get(&agent, &format!("/init?{q}")),
        200,
        &["accepted:"],
        "init",
    );
    assert_reply(
        &get(&agent, &format!("/ended?{q}&duration=0")),
        200,
        &["accepted:"],
        "ended",
    );
    let calls = wait_toast(&notes, "Missed call", "(514) 555-1212");
    assert_steps(&calls, &["Incoming call", "Missed call"]);
    let missed = calls.last().expect("the missed-call toast");
    assert_eq!(
        missed.expire_timeout, 0,
        "a missed call stays until dismissed: {missed:#?}"
    );
    if let [ringing, _] = calls.as_slice() {
        assert_eq!(missed.replaces_id, ringing.id, "{calls:#?}");
    }
    assert!(missed.body.contains("ext 100"), "{missed:#?}");
}

#[test]
fn request_text_is_shown_safely() {
    let (_session, notes, agent) = start_headless();
    let markup = "note=%3Cb%3Ebold%3C%2Fb%3E%3Ca+href%3D%22http%3A%2F%2Fx%22%3Elink%3C%2Fa%3E%3Cimg+src%3D%22x%22%2F%3E";
    let q = format!("callid=ANON1&type=incoming&caller=anonymous&callee=100&{markup}");
    assert_reply(
        &get(&agent, &format!("/init?{q}")),
        200,
        &["accepted:"],
        "init",
    );
    let reply = post_form(
        &agent,
        &format!("/ended?{q}"),
        &format!("duration=7&{markup}"),
    );
    assert_reply(&reply, 200, &["accepted:"], "ended");
    let calls = wait_toast(&notes, "Missed call", "anonymous");
    assert_steps(&calls, &["Incoming call", "Missed call"]);
    for n in &calls {
        assert!(n.body.contains("anonymous"), "{n:#?}");
        assert!(n.body.contains("ext 100"), "{n:#?}");
        for text in [&n.body, &n.summary] {
            for raw in ["<b>", "<a ", "<a>", "<img", "</"] {
                assert!(!text.contains(raw), "{raw} reached a toast: {n:#?}");
            }
        }
    }
}

#[test]
fn a_repeated_event_raises_one_toast() {
    let (_session, notes, agent) = start_headless();
    for _ in 0..2 {
        assert_reply(
            &get(&agent, &format!("/init?{IN_A}")),
            200,
            &["accepted:"],
            "init",
        );
    }
    assert_reply(
        &post_form(&agent, "/init", IN_A),
        200,
        &["accepted:"],
        "init again, as a form",
    );
    // Barrier: another call, announced after everything sent before it.
    let other = "callid=NEXT1&type=incoming&caller=4165550000&callee=101";
    assert_reply(
        &get(&agent, &format!("/init?{other}")),
        200,
        &["accepted:"],
        "other",
    );
    let calls = wait_toast(&notes, "Incoming call", "(416) 555-0000");
    let ours = toasts_about(&calls, "(514) 555-1212");
    assert_eq!(summaries(&ours), ["Incoming call"], "{calls:#?}");

    // Same for a repeated answer and a repeated end.
    for target in [
        format!("/answered?{IN_A}"),
        format!("/answered?{IN_A}"),
        format!("/ended?{IN_A}&duration=61"),
        format!("/ended?{IN_A}&duration=61"),
        format!("/answered?{IN_A}"),
    ] {
        assert_reply(&get(&agent, &target), 200, &["accepted:"], &target);
    }
    assert_reply(
        &get(&agent, &format!("/ended?{other}&duration=0")),
        200,
        &["accepted:"],
        "other ends",
    );
    let calls = wait_toast(&notes, "Missed call", "(416) 555-0000");
    let ours = toasts_about(&calls, "(514) 555-1212");
    assert_steps(
        &ours,
        &["Incoming call", "Call answered", "Call ended · 1:01"],
    );
}

#[test]
fn without_a_notification_service_events_are_still_answered() {
    let session = Session::start();
    let mut agent = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    for target in [
        format!("/init?{IN_A}"),
        format!("/answered?{IN_A}"),
        format!("/ended?{IN_A}&duration=300"),
        "/init?callid=B2&type=incoming&caller=4165550000&callee=100".to_string(),
        "/ended?callid=B2&type=incoming&caller=4165550000&callee=100".to_string(),
    ] {
        assert_reply(&get(&agent, &target), 200, &["accepted:"], &target);
    }
    let health = get(&agent, "/health");
    assert_eq!(health.status, 200, "{health:?}");
    assert!(health.body.contains("\"ok\""), "{health:?}");
    assert!(
        agent.process.try_wait().is_none(),
        "calltray exited:\n{}",
        agent.process.logs()
    );
    assert!(
        !agent.process.stderr().contains("panicked"),
        "{}",
        agent.process.logs()
    );

    // Once a notification service appears, the next call is shown.
    let notes = NotificationServer::start(&session);
    let q = "callid=C3&type=incoming&caller=6135550000&callee=100";
    assert_reply(
        &get(&agent, &format!("/init?{q}")),
        200,
        &["accepted:"],
        "C3",
    );
    wait_toast(&notes, "Incoming call", "(613) 555-0000");
}

#[test]
fn an_answer_overtaken_by_its_end_corrects_the_same_toast() {
    let (_session, notes, agent) = start_headless();
    assert_eq!(agent.get(&format!("/init?{IN_A}")).0, 200);
    assert_eq!(agent.get(&format!("/ended?{IN_A}&duration=300")).0, 200);
    let missed = notes
        .wait_for_summary("Missed call", DEFAULT_TIMEOUT)
        .expect("taken for missed at first");
    assert_eq!(agent.get(&format!("/answered?{IN_A}")).0, 200);
    let ended = notes
        .wait_for_summary("Call ended · 5:00", DEFAULT_TIMEOUT)
        .expect("corrected to an answered call");
    assert_eq!(
        ended.replaces_id, missed.id,
        "the same toast, corrected in place"
    );
}

#[test]
fn allow_from_refuses_other_addresses_and_believes_only_trusted_tunnels() {
    let session = Session::start();
    let notes = NotificationServer::start(&session);
    let config = format!("{TEST_CONFIG}allow_from = [\"203.0.113.0/24\"]\n");
    let agent = Agent::start(&session, &config, &["--headless"]);
    let target = format!("/init?{IN_A}");

    // Straight from this computer: not in the allowed range.
    let reply = agent.exchange("GET", &target, &[], b"");
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert!(reply.body.contains("forbidden"), "{}", reply.body);
    assert_eq!(agent.exchange("GET", "/health", &[], b"").status, 403);

    // Through a tunnel on this computer (a trusted proxy), for an allowed client.
    let reply = agent.exchange("GET", &target, &[("CF-Connecting-IP", "203.0.113.9")], b"");
    assert_eq!(reply.status, 200, "{}", reply.body);
    let reply = agent.exchange(
        "GET",
        "/health",
        &[("X-Forwarded-For", "203.0.113.50, 203.0.113.7")],
        b"",
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply.body.contains("\"refused_by_address\":2"),
        "{}",
        reply.body
    );
    // The last hop is the one the tunnel added; a forged first hop does not help.
    let reply = agent.exchange(
        "GET",
        &target,
        &[("X-Forwarded-For", "203.0.113.50, 198.51.100.1")],
        b"",
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
    notes
        .wait_for_summary("Incoming call", DEFAULT_TIMEOUT)
        .expect("the allowed call rings");
}

#[test]
fn with_no_trusted_proxies_tunnel_headers_are_ignored() {
    let session = Session::start();
    let config = format!("{TEST_CONFIG}allow_from = [\"203.0.113.0/24\"]\ntrusted_proxies = []\n");
    let agent = Agent::start(&session, &config, &["--headless"]);
    let reply = agent.exchange(
        "GET",
        &format!("/init?{IN_A}"),
        &[("CF-Connecting-IP", "203.0.113.9")],
        b"",
    );
    assert_eq!(reply.status, 403, "{}", reply.body);
}

#[test]
fn a_flood_of_calls_is_summed_up_instead_of_burying_the_desktop() {
    let (_session, notes, agent) = start_headless();
    for i in 0..20 {
        let target =
            format!("/init?callid=FLOOD{i}&type=incoming&caller=51455500{i:02}&callee=100");
        assert_eq!(get(&agent, &target).status, 200, "call {i}");
    }
    let calls = notes
        .wait_for(
            |calls| calls.iter().any(|n| n.summary.ends_with("more calls")),
            DEFAULT_TIMEOUT,
        )
        .expect("a summary toast once the window has room");
    let ringing = calls
        .iter()
        .filter(|n| n.summary == "Incoming call")
        .count();
    assert_eq!(ringing, 5, "{calls:#?}");
    let summary = calls
        .iter()
        .find(|n| n.summary.ends_with("more calls"))
        .expect("the summary");
    assert_eq!(summary.summary, "15 more calls", "{calls:#?}");
    assert!(summary.body.contains("tray menu"), "{summary:#?}");
}

#[test]
fn neither_the_secret_nor_numbers_reach_the_log() {
    let session = Session::start();
    let _notes = NotificationServer::start(&session);
    let secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let config = session.dir().join("calltray.toml");
    std::fs::write(
        &config,
        format!(
            "extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:0\"\nsecret = \"{secret}\"\n"
        ),
    )
    .expect("writing the config");
    let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
    cmd.env_remove("RUST_LOG")
        .args(["--headless", "--config"])
        .arg(&config);
    let mut process = session.spawn("calltray", cmd);
    let base =
        support::agent::wait_for_listening(&mut process, DEFAULT_TIMEOUT).expect("listening");
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let call = "type=incoming&caller=5145551212&callee=100";
    for target in [
        format!("/{secret}/init?callid=L1&{call}"),
        format!("/{secret}/answered?callid=L1&{call}"),
        format!("/{secret}/ended?callid=L1&{call}&duration=9"),
        format!("/{secret}/init?callid=L2&type=incoming&caller=4165550000&callee=200"),
        format!("/{secret}x/init?callid=L3&{call}"),
        format!("/{secret}/init?callid=L4&type=incoming&caller=%3Cb%3E&callee=100"),
    ] {
        agent
            .get(&format!("{base}{target}"))
            .call()
            .expect("a request");
    }
    // Wait until the agent has logged the whole call, then read everything it wrote.
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    while !process.stderr().contains("step=Ended") {
        assert!(std::time::Instant::now() < deadline, "{}", process.logs());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let logs = process.logs();
    for secret_text in [secret, "5145551212", "555-1212", "4165550000", "0f1e2d3c"] {
        assert!(
            !logs.contains(secret_text),
            "{secret_text:?} is in the log:\n{logs}"
        );
    }
}

#[test]
fn answers_are_framed_by_their_length_and_say_when_the_connection_closes() {
    let (_session, _notes, agent) = start_headless();
    // `TE: chunked` asks for a chunked answer; tiny_http would give one that the guard
    // could not relay, so the header is not passed on.
    let reply = agent.exchange("GET", "/health", &[("TE", "chunked")], b"");
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(
        reply.header("transfer-encoding"),
        None,
        "{:?}",
        reply.headers
    );
    assert_eq!(
        reply.header("content-length"),
        Some(reply.body.len().to_string().as_str())
    );
    assert!(serde_json::from_str::<serde_json::Value>(&reply.body).is_ok());
    // The harness asks for `Connection: close`: the answer says it.
    assert_eq!(reply.header("connection"), Some("close"));
}
