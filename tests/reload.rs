//! Config hot reload, end to end: the real binary (`--headless`) in a private session, its
//! config file edited while it runs, callbacks sent on loopback and every toast recorded by a
//! test notification service on the private bus.
//!
//! Nothing here measures how fast an edit is applied: each step waits (up to the harness's
//! generous deadline) for the log line and the toast that report the outcome, and then checks
//! what the agent does.
//!
//! The log lines are checked for the whole message (file, line, key; address, extensions).
//! The toasts are checked for their summary and for what the body has room for, except in
//! `settings_toasts_say_all_that_the_log_says`, which asks the toasts for the whole message.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};
use support::*;

const APPLIED: &str = "calltray settings applied";
const PARTLY: &str = "calltray settings applied, but not the address";
const REJECTED: &str = "calltray settings not applied";
const FIXED: &str = "calltray settings file fixed";

/// A config listening on `127.0.0.1:0` (the port already bound stays: port 0 is "any"), with
/// `extensions` (a TOML value), `top` (line 3, top level) and `listen` (line 6, in `[listen]`)
/// put in. The first line is a comment, so that no line number in an error is 1.
fn config(extensions: &str, top: &str, listen: &str) -> String {
    format!(
        "# calltray test config\nextensions = {extensions}\n{top}\n[listen]\naddress = \"127.0.0.1:0\"\n{listen}\n"
    )
}

/// Starts a headless agent on [`TEST_CONFIG`] and waits until it applies edits.
fn start() -> (Session, NotificationServer, Agent) {
    let (session, notes, agent) = start_headless();
    wait_until_watching(&agent, &notes);
    (session, notes, agent)
}

/// Makes one edit and waits until it is reported applied, so that each test starts with the
/// watcher live and nothing of the warm-up still on its way. The agent sets its watch just
/// after it says it listens and then reads the file once, so the first edit normally does it;
/// should one be missed, the next try writes a different marker extension (a rewrite with the
/// same bytes is rightly skipped). The config then watches 100, 101 and the marker (99xx).
fn wait_until_watching(agent: &Agent, notes: &NotificationServer) {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    for attempt in 0.. {
        let marker = format!("99{attempt:02}");
        write(
            &agent.config_path,
            &config(&format!(r#"["100", "101", "{marker}"]"#), "", ""),
        );
        let applied = format!(
            "config reloaded: Listening on {} for extensions 100, 101, {marker}.",
            address(agent)
        );
        let attempt_deadline = deadline.min(Instant::now() + Duration::from_secs(3));
        if wait_log(agent, attempt_deadline, |log| log.contains(&applied)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no edit of the config was applied after {} tries:\n{}",
            attempt + 1,
            agent.process.logs()
        );
    }
    let reloads = outcome_lines(&agent.process.stderr()).len();
    notes
        .wait_for(
            |calls| settings_toasts(calls).len() >= reloads,
            DEFAULT_TIMEOUT,
        )
        .unwrap_or_else(|e| {
            panic!(
                "{reloads} reload(s) logged, but not as many settings toasts: {e}\n{}",
                agent.process.logs()
            )
        });
}

/// Polls the agent's log until `done(log)` or `deadline`; says whether it got there.
fn wait_log(agent: &Agent, deadline: Instant, mut done: impl FnMut(&str) -> bool) -> bool {
    loop {
        if done(&agent.process.stderr()) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Saves as many editors do: the new text goes to a temporary file in the same folder, which
/// is then renamed over the config.
fn save_by_rename(path: &Path, text: &str) {
    let tmp = path.with_file_name("calltray.toml.tmp");
    write(&tmp, text);
    std::fs::rename(&tmp, path)
        .unwrap_or_else(|e| panic!("renaming {} over {}: {e}", tmp.display(), path.display()));
}

/// The toasts about calltray's own settings, in order.
fn settings_toasts(calls: &[Notification]) -> Vec<&Notification> {
    calls
        .iter()
        .filter(|n| n.summary.starts_with("calltray settings"))
        .collect()
}

/// The log lines that report what became of an edit, in order.
fn outcome_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("config reloaded")
                || l.contains("config not applied")
                || l.contains("config fixed")
        })
        .collect()
}

/// What became of one edit: the settings toast it brought and the line it logged.
#[derive(Debug)]
struct Outcome {
    toast: Notification,
    log: String,
}

impl Outcome {
    /// Checks the toast's summary, the log line's level and wording for that outcome, and
    /// that the log line mentions every one of `words`.
    fn assert(&self, summary: &str, words: &[&str]) {
        assert_eq!(self.toast.summary, summary, "{self:#?}");
        let (level, wording) = match summary {
            APPLIED => ("INFO", "config reloaded: "),
            PARTLY => ("WARN", "config reloaded, but "),
            REJECTED => (
                "WARN",
                "config not applied, keeping the previous settings: ",
            ),
            FIXED => ("INFO", "config fixed: "),
            other => panic!("not a settings summary: {other:?}"),
        };
        assert!(
            self.log.contains(level) && self.log.contains(wording),
            "a {summary:?} toast, but the log says {:?}",
            self.log
        );
        for w in words {
            assert!(
                self.log.contains(w),
                "the log line about the edit does not mention {w:?}: {:?}",
                self.log
            );
        }
    }

    /// Checks that the toast's body mentions every one of `words`.
    fn assert_toast_mentions(&self, words: &[&str]) {
        for w in words {
            assert!(
                self.toast.body.contains(w),
                "the {:?} toast does not mention {w:?}: {:?}",
                self.toast.summary,
                self.toast.body
            );
        }
    }
}

/// Runs `save` (which changes the config file) and returns what became of it.
fn edit_with(agent: &Agent, notes: &NotificationServer, save: impl FnOnce()) -> Outcome {
    let logged = outcome_lines(&agent.process.stderr()).len();
    let shown = settings_toasts(&notes.calls()).len();
    save();
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    if !wait_log(agent, deadline, |log| outcome_lines(log).len() > logged) {
        panic!("nothing logged about the edit:\n{}", agent.process.logs());
    }
    let log = outcome_lines(&agent.process.stderr())[logged].to_string();
    let calls = notes
        .wait_for(
            |calls| settings_toasts(calls).len() > shown,
            DEFAULT_TIMEOUT,
        )
        .unwrap_or_else(|e| {
            panic!(
                "no settings toast after the edit: {e}\n{}",
                agent.process.logs()
            )
        });
    let toasts = settings_toasts(&calls);
    assert_eq!(
        toasts.len(),
        shown + 1,
        "one edit, one settings toast: {toasts:#?}"
    );
    Outcome {
        toast: toasts[shown].clone(),
        log,
    }
}

/// Writes `text` over the config and returns what became of it.
fn edit(agent: &Agent, notes: &NotificationServer, text: &str) -> Outcome {
    edit_with(agent, notes, || write(&agent.config_path, text))
}

/// The 1-based number of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    1 + text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is not in {text:?}"))
}

/// `host:port` the agent listens on now.
fn address(agent: &Agent) -> String {
    agent.base.trim_start_matches("http://").to_string()
}

/// An incoming call `callid` from 5145551212 to `callee`; returns the reply body after
/// checking it is a 200.
fn ring(agent: &Agent, callid: &str, callee: &str) -> String {
    let (status, body) = agent.get(&format!(
        "/init?callid={callid}&type=incoming&caller=5145551212&callee={callee}"
    ));
    assert_eq!(status, 200, "ringing {callee}: {body:?}");
    body
}

fn assert_accepted(agent: &Agent, callid: &str, callee: &str) {
    let body = ring(agent, callid, callee);
    assert!(
        body.starts_with("accepted:") && body.contains(callid),
        "a call to {callee} should be accepted: {body:?}"
    );
}

fn assert_ignored(agent: &Agent, callid: &str, callee: &str) {
    let body = ring(agent, callid, callee);
    assert!(
        body.starts_with("ignored:") && body.contains(callee),
        "a call to {callee} should be ignored: {body:?}"
    );
}

/// Waits for the "Incoming call" toast of a call to `ext`.
fn wait_incoming_toast(notes: &NotificationServer, agent: &Agent, ext: &str) -> Notification {
    let needle = format!("ext {ext}");
    notes
        .wait_for(
            |calls| {
                calls
                    .iter()
                    .any(|n| n.summary == "Incoming call" && n.body.contains(&needle))
            },
            DEFAULT_TIMEOUT,
        )
        .unwrap_or_else(|e| {
            panic!(
                "no Incoming call toast for {needle}: {e}\n{}",
                agent.process.logs()
            )
        })
        .into_iter()
        .find(|n| n.summary == "Incoming call" && n.body.contains(&needle))
        .expect("just matched")
}

/// Toasts about calls (not about the settings), in order.
fn call_toasts(calls: &[Notification]) -> Vec<&Notification> {
    calls
        .iter()
        .filter(|n| !n.summary.starts_with("calltray settings"))
        .collect()
}

fn health(address: &str) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let mut response = agent
        .get(&format!("http://{address}/health"))
        .call()
        .unwrap_or_else(|e| panic!("GET http://{address}/health: {e}"));
    let status = response.status().as_u16();
    (
        status,
        response.body_mut().read_to_string().unwrap_or_default(),
    )
}

fn assert_healthy(address: &str) {
    let (status, body) = health(address);
    assert_eq!(status, 200, "/health on {address}: {body:?}");
    let json: serde_json::Value = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("/health on {address} is not JSON ({e}): {body:?}"));
    assert_eq!(json["status"], "ok", "/health on {address}: {body}");
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let probe = TcpListener::bind("127.0.0.1:0").expect("binding a probe socket");
    probe.local_addr().expect("probe address").port()
}

/// Waits until connecting to `address` is refused. The old socket closes when the connection
/// loop takes up the new one, which it is told to do as the edit is applied.
fn wait_refused(address: &str, agent: &Agent) {
    let address: SocketAddr = address.parse().expect("an IP address and port");
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        match TcpStream::connect_timeout(&address, Duration::from_secs(5)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => return,
            outcome => {
                if Instant::now() >= deadline {
                    panic!(
                        "{address} still takes connections ({outcome:?}) after the address \
                         changed\n{}",
                        agent.process.logs()
                    );
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_added_extension_is_watched_after_the_edit() {
    let (_session, notes, agent) = start();
    assert_ignored(&agent, "BEFORE102", "102");
    assert_accepted(&agent, "BEFORE100", "100");

    let outcome = edit(&agent, &notes, &config(r#"["100", "101", "102"]"#, "", ""));
    let listening = format!("Listening on {} for extensions", address(&agent));
    outcome.assert(APPLIED, &[&format!("{listening} 100, 101, 102.")]);
    outcome.assert_toast_mentions(&[&listening]);

    assert_accepted(&agent, "AFTER102", "102");
    let incoming = wait_incoming_toast(&notes, &agent, "102");
    assert!(incoming.body.contains("(514) 555-1212"), "{incoming:#?}");
    assert_accepted(&agent, "AFTER100", "100");

    // Taking extensions out works the same way.
    let outcome = edit(&agent, &notes, &config(r#"["102"]"#, "", ""));
    // One extension is written in the singular.
    let listening_one = format!("Listening on {} for extension 102.", address(&agent));
    outcome.assert(APPLIED, &[&listening_one]);
    assert_ignored(&agent, "GONE100", "100");
    assert_ignored(&agent, "GONE101", "101");
    assert_accepted(&agent, "STILL102", "102");
}

#[test]
fn an_invalid_edit_changes_nothing_until_it_is_fixed() {
    let (_session, notes, agent) = start();
    let good = std::fs::read_to_string(&agent.config_path).expect("the config in use");
    // Adds 102, but ring_timeout (line 3) has the wrong type: none of it may apply.
    let broken = config(r#"["100", "101", "102"]"#, "ring_timeout = \"soon\"", "");
    assert_eq!(broken.lines().nth(2), Some("ring_timeout = \"soon\""));
    let outcome = edit(&agent, &notes, &broken);
    let file = agent.config_path.display().to_string();
    outcome.assert(
        REJECTED,
        &[&format!("{file}, line 3, key `ring_timeout`"), "soon"],
    );
    outcome.assert_toast_mentions(&["calltray.toml"]);

    // The previous settings stay: 102 is still somebody else's, 100 is still ours.
    assert_ignored(&agent, "BROKEN102", "102");
    assert_accepted(&agent, "BROKEN100", "100");
    wait_incoming_toast(&notes, &agent, "100");

    // Undoing the mistake changes nothing, and says the file is fine again.
    edit(&agent, &notes, &good).assert(FIXED, &["settings already in use"]);
    let broken_again = edit(&agent, &notes, &broken);
    broken_again.assert(REJECTED, &["ring_timeout"]);

    // Fixing the file applies it.
    let fixed = config(r#"["100", "101", "102"]"#, "ring_timeout = 60", "");
    let outcome = edit(&agent, &notes, &fixed);
    outcome.assert(APPLIED, &["extensions 100, 101, 102."]);
    assert_accepted(&agent, "FIXED102", "102");
    wait_incoming_toast(&notes, &agent, "102");
}

#[test]
fn every_kind_of_mistake_is_named_and_changes_nothing() {
    let (_session, notes, agent) = start();
    let ext = r#"["100", "101", "102"]"#;
    // (text, what the line at fault contains, the key at fault if one is named, words)
    let cases: Vec<(String, &str, Option<&str>, &str)> = vec![
        // Not TOML.
        (
            config(ext, "ring_timeout 60", ""),
            "ring_timeout 60",
            None,
            "expected `=`",
        ),
        // A misspelt key.
        (
            config(ext, "ring_timout = 60", ""),
            "ring_timout",
            Some("ring_timout"),
            "unknown field",
        ),
        // A misspelt key in a table.
        (
            config(ext, "", "") + "\n[notify]\nincoming_rining = false\n",
            "incoming_rining",
            Some("notify.incoming_rining"),
            "unknown field",
        ),
        // A value out of range in a table.
        (
            config(ext, "", "") + "\n[notify]\nmax_new_toasts = 0\n",
            "max_new_toasts",
            Some("notify.max_new_toasts"),
            "1 to 10000",
        ),
        // The wrong type.
        (
            config("\"102\"", "", ""),
            "extensions",
            Some("extensions"),
            "expected a list",
        ),
        // A value out of range.
        (
            config(ext, "ring_timeout = 2", ""),
            "ring_timeout",
            Some("ring_timeout"),
            "5 to 3600",
        ),
        // A secret too short, in [listen].
        (
            config(ext, "", "secret = \"short\""),
            "secret",
            Some("listen.secret"),
            "too short",
        ),
    ];
    let file = agent.config_path.display().to_string();
    for (i, (text, at, key, words)) in cases.iter().enumerate() {
        let mut place = format!("{file}, line {}", line_of(text, at));
        if let Some(key) = key {
            place.push_str(&format!(", key `{key}`"));
        }
        let outcome = edit(&agent, &notes, text);
        outcome.assert(REJECTED, &[&place, words]);
        // Nothing of it applied: 102 (named in every case) is still not ours.
        assert_ignored(&agent, &format!("CASE{i}"), "102");
    }
    // And 100 still is. Toasts come in order, so by the time this call's toast has come, any
    // toast for a call to 102 would have come first.
    assert_accepted(&agent, "MINE", "100");
    let calls = notes
        .wait_for(|calls| !call_toasts(calls).is_empty(), DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("no toast for the call to 100: {e}"));
    let about_calls = call_toasts(&calls);
    assert!(
        about_calls.len() == 1 && about_calls[0].body.contains("ext 100"),
        "{about_calls:#?}"
    );
}

#[test]
fn a_save_by_renaming_a_new_file_over_the_config_is_applied() {
    let (_session, notes, agent) = start();
    assert_ignored(&agent, "BEFORE102", "102");

    let outcome = edit_with(&agent, &notes, || {
        save_by_rename(
            &agent.config_path,
            &config(r#"["100", "101", "102"]"#, "", ""),
        )
    });
    outcome.assert(APPLIED, &["extensions 100, 101, 102."]);
    assert_accepted(&agent, "RENAMED102", "102");
    wait_incoming_toast(&notes, &agent, "102");

    // The config is another file now: the next save by rename, and a plain write after it,
    // are seen too.
    let outcome = edit_with(&agent, &notes, || {
        save_by_rename(&agent.config_path, &config(r#"["103"]"#, "", ""))
    });
    outcome.assert(APPLIED, &["extension 103."]);
    assert_ignored(&agent, "RENAMED2_102", "102");
    assert_accepted(&agent, "RENAMED2_103", "103");

    let outcome = edit(&agent, &notes, &config(r#"["104"]"#, "", ""));
    outcome.assert(APPLIED, &["extension 104."]);
    assert_accepted(&agent, "WRITTEN104", "104");

    // A broken file renamed over the config is refused like a broken write.
    let outcome = edit_with(&agent, &notes, || {
        save_by_rename(
            &agent.config_path,
            &config(r#"["105"]"#, "ring_timeout = \"soon\"", ""),
        )
    });
    outcome.assert(REJECTED, &["line 3, key `ring_timeout`"]);
    assert_ignored(&agent, "RENAMED_BAD105", "105");
    assert_accepted(&agent, "STILL104", "104");
}

#[test]
fn a_new_address_is_listened_on_and_the_old_one_closed() {
    let (session, notes, mut agent) = start();
    let old = address(&agent);
    assert_healthy(&old);

    let new = format!("127.0.0.1:{}", free_port());
    let text = config(r#"["100", "101", "102"]"#, "", "").replace("127.0.0.1:0", &new);
    let outcome = edit(&agent, &notes, &text);
    let listening = format!("Listening on {new} for extensions");
    outcome.assert(APPLIED, &[&format!("{listening} 100, 101, 102.")]);
    outcome.assert_toast_mentions(&[&listening]);

    assert_healthy(&new);
    wait_refused(&old, &agent);
    agent.base = format!("http://{new}");
    assert_accepted(&agent, "MOVED102", "102");
    wait_incoming_toast(&notes, &agent, "102");

    // A second start is told the new address, not the one calltray started on.
    let second = session
        .command(env!("CARGO_BIN_EXE_calltray"))
        .args(["--headless", "--config"])
        .arg(&agent.config_path)
        .output()
        .expect("a second start");
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        second.status.success() && said.contains(&format!("(listening on http://{new})")),
        "{said}"
    );

    // An edit that keeps the address keeps the socket.
    let outcome = edit(&agent, &notes, &text.replace("\"102\"", "\"103\""));
    outcome.assert(APPLIED, &[&format!("{listening} 100, 101, 103.")]);
    assert_healthy(&new);
    assert_accepted(&agent, "STAYED103", "103");
}

#[test]
fn a_busy_address_is_not_taken_but_the_rest_applies() {
    let (_session, notes, mut agent) = start();
    let old = address(&agent);
    let squatter = TcpListener::bind("127.0.0.1:0").expect("binding the squatter");
    let busy = squatter.local_addr().expect("squatter address").to_string();

    let text = config(r#"["100", "101", "102"]"#, "", "").replace("127.0.0.1:0", &busy);
    let outcome = edit(&agent, &notes, &text);
    outcome.assert(
        PARTLY,
        &[
            &format!("cannot listen on {busy}: the port is already in use"),
            &format!("Still listening on {old}."),
        ],
    );
    outcome.assert_toast_mentions(&[&busy]);

    // The old address still answers, with the rest of the edit in force.
    assert_healthy(&old);
    assert_accepted(&agent, "PARTLY102", "102");
    wait_incoming_toast(&notes, &agent, "102");
    // Reading the file back is no edit: the failed bind is not retried on its own, over
    // and over (it was, every quarter of a second).
    let reloads = outcome_lines(&agent.process.stderr()).len();
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        outcome_lines(&agent.process.stderr()).len(),
        reloads,
        "{}",
        agent.process.logs()
    );

    // Going back to the previous file undoes the edit, although its address never applied.
    let outcome = edit(&agent, &notes, &config(r#"["100", "101"]"#, "", ""));
    outcome.assert(APPLIED, &["extensions 100, 101."]);
    assert_ignored(&agent, "BACK102", "102");

    // Once the port is free, the next edit takes it.
    drop(squatter);
    let outcome = edit(&agent, &notes, &text.replace("\"102\"", "\"103\""));
    outcome.assert(
        APPLIED,
        &[&format!(
            "Listening on {busy} for extensions 100, 101, 103."
        )],
    );
    assert_healthy(&busy);
    wait_refused(&old, &agent);
    agent.base = format!("http://{busy}");
    assert_accepted(&agent, "MOVED103", "103");
}

#[test]
fn notify_switches_and_the_ring_timeout_apply_live() {
    let (_session, notes, agent) = start();
    // No toast while ringing, and a call not answered within 5 s is missed (not after 120 s,
    // longer than any wait here).
    let text = config(r#"["100"]"#, "ring_timeout = 5", "")
        + "\n[notify]\nincoming_ringing = false\nmissed = true\n";
    edit(&agent, &notes, &text).assert(APPLIED, &["extension 100."]);

    assert_accepted(&agent, "QUIET1", "100");
    let calls = notes
        .wait_for(
            |calls| calls.iter().any(|n| n.summary == "Missed call"),
            DEFAULT_TIMEOUT,
        )
        .unwrap_or_else(|e| {
            panic!(
                "the call was not reported missed: {e}\n{}",
                agent.process.logs()
            )
        });
    let about_calls = call_toasts(&calls);
    assert_eq!(
        about_calls
            .iter()
            .map(|n| n.summary.as_str())
            .collect::<Vec<_>>(),
        ["Missed call"],
        "no Incoming call toast with incoming_ringing = false: {about_calls:#?}"
    );
    assert!(
        about_calls[0].body.contains("(514) 555-1212"),
        "{about_calls:#?}"
    );
}

/// With the default limit, 5 of 8 calls in a row would get a toast of their own and the
/// other 3 would wait for a summary; raised to 8, each of the 8 gets its own.
#[test]
fn the_flood_limit_applies_live() {
    let (_session, notes, agent) = start();
    let text = config(r#"["100"]"#, "", "") + "\n[notify]\nmax_new_toasts = 8\n";
    edit(&agent, &notes, &text).assert(APPLIED, &["extension 100."]);

    for i in 0..8 {
        assert_accepted(&agent, &format!("FLOOD{i}"), "100");
    }
    let incoming = |calls: &[Notification]| {
        calls
            .iter()
            .filter(|n| n.summary == "Incoming call")
            .count()
    };
    let calls = notes
        .wait_for(|calls| incoming(calls) >= 8, DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| {
            panic!(
                "8 calls should each have had a toast: {e}\n{}",
                agent.process.logs()
            )
        });
    let summaries: Vec<_> = call_toasts(&calls)
        .into_iter()
        .filter(|n| n.summary.contains("more call"))
        .collect();
    assert!(
        summaries.is_empty(),
        "nothing was held back: {summaries:#?}"
    );
}

#[test]
fn a_new_secret_and_paths_apply_live() {
    let (_session, notes, agent) = start();
    let secret = "abcdefghijklmnopqrstuvwxyz012345";
    let text = config(
        r#"["100"]"#,
        "",
        &format!("secret = \"{secret}\"\ninitiated_path = \"/ring\""),
    );
    edit(&agent, &notes, &text).assert(APPLIED, &["extension 100."]);

    let query = "callid=SECRET1&type=incoming&caller=5145551212&callee=100";
    for refused in [
        format!("/init?{query}"),
        format!("/ring?{query}"),
        format!("/{secret}/init?{query}"),
    ] {
        let (status, body) = agent.get(&refused);
        assert_eq!(status, 404, "GET {refused}: {body:?}");
    }
    let (status, body) = agent.get(&format!("/{secret}/ring?{query}"));
    assert_eq!(status, 200, "{body:?}");
    assert!(body.starts_with("accepted:"), "{body:?}");
    wait_incoming_toast(&notes, &agent, "100");
    // The status page stays where it was.
    assert_healthy(&address(&agent));
}

/// The settings toasts must tell the user what the log tells: for an applied edit, the
/// address and every extension; for a refused one, the file, the line and the key, and that
/// the previous settings stay; for a busy address, where calltray still listens.
#[test]
fn settings_toasts_say_all_that_the_log_says() {
    let (_session, notes, agent) = start();
    let old = address(&agent);
    let file = agent.config_path.display().to_string();
    let mut missing = Vec::new();
    let mut check = |outcome: &Outcome, words: &[&str]| {
        for w in words {
            if !outcome.toast.body.contains(w) {
                missing.push(format!(
                    "the {:?} toast does not mention {w:?}:\n  toast body: {:?}\n  log line:   {:?}",
                    outcome.toast.summary, outcome.toast.body, outcome.log
                ));
            }
        }
    };

    let outcome = edit(
        &agent,
        &notes,
        &config(r#"["100", "101", "102", "103", "104"]"#, "", ""),
    );
    outcome.assert(APPLIED, &[]);
    check(
        &outcome,
        &[&format!(
            "Listening on {old} for extensions 100, 101, 102, 103, 104."
        )],
    );

    let outcome = edit(
        &agent,
        &notes,
        &config(r#"["100"]"#, "ring_timeout = \"soon\"", ""),
    );
    outcome.assert(REJECTED, &[]);
    check(
        &outcome,
        &[
            "Line 3, key `ring_timeout`",
            &format!("in {file}"),
            "The previous settings stay in use until the file is fixed.",
        ],
    );

    let squatter = TcpListener::bind("127.0.0.1:0").expect("binding the squatter");
    let busy = squatter.local_addr().expect("squatter address").to_string();
    let text = config(r#"["100"]"#, "", "").replace("127.0.0.1:0", &busy);
    let outcome = edit(&agent, &notes, &text);
    outcome.assert(PARTLY, &[]);
    check(&outcome, &[&busy, &format!("Still listening on {old}.")]);

    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// A contacts file named in the config is read when the config names it, and read again when
/// the file itself changes (saved by rename, as spreadsheets do): the next call shows the new
/// name, with no config edit and no settings toast.
#[test]
fn an_edited_contacts_file_is_read_again() {
    let (session, notes, agent) = start();
    let contacts = session.dir().join("people.csv");
    write(&contacts, "Name,Phone\nAnne Roy,514 555 1212\n");
    let top = format!("contacts = [{:?}]", contacts.display().to_string());
    edit(&agent, &notes, &config(r#"["100", "101"]"#, &top, "")).assert(APPLIED, &[]);
    let toasts_named = |who: &'static str| {
        notes
            .wait_for(
                |calls| {
                    calls
                        .iter()
                        .any(|n| n.body.starts_with(&format!("{who} · (514) 555-1212")))
                },
                DEFAULT_TIMEOUT,
            )
            .unwrap_or_else(|e| panic!("no toast naming {who}: {e}\n{}", agent.process.logs()))
    };
    assert_accepted(&agent, "K1", "100");
    toasts_named("Anne Roy");

    let settings_before = settings_toasts(&notes.calls()).len();
    let tmp = contacts.with_file_name("people.csv.tmp");
    write(&tmp, "Name,Phone\nAnne Tremblay-Roy,514 555 1212\n");
    std::fs::rename(&tmp, &contacts).expect("saving the contacts by rename");
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    assert!(
        wait_log(&agent, deadline, |log| log.contains("contacts read again")),
        "the edit was not noticed:\n{}",
        agent.process.logs()
    );
    assert_accepted(&agent, "K2", "100");
    toasts_named("Anne Tremblay-Roy");
    assert_eq!(
        settings_toasts(&notes.calls()).len(),
        settings_before,
        "a contacts edit is no settings change"
    );
}

/// A config kept in another folder and linked into place (a dotfiles repository) is edited
/// where it lives, saved by rename: the edit applies as any other.
#[test]
fn a_linked_config_is_reloaded_when_its_target_is_edited() {
    let session = Session::start();
    let notes = NotificationServer::start(&session);
    let dotfiles = session.dir().join("dotfiles");
    std::fs::create_dir_all(&dotfiles).expect("the dotfiles folder");
    let real = dotfiles.join("calltray.toml");
    std::os::unix::fs::symlink(&real, session.dir().join("calltray.toml")).expect("the link");
    // Written through the link, into the real file.
    let agent = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    assert!(real.exists(), "the config is the linked file");
    let outcome = edit_with(&agent, &notes, || {
        let tmp = dotfiles.join("calltray.toml.new");
        write(&tmp, &config(r#"["100", "101", "105"]"#, "", ""));
        std::fs::rename(&tmp, &real).expect("saving the real file by rename");
    });
    outcome.assert(APPLIED, &["100, 101, 105"]);
    assert_accepted(&agent, "LINKED105", "105");
}
