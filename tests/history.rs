//! Call history, end to end: the real binary, killed with SIGKILL in the middle of a flood of
//! callbacks, then started again; `calltray history` must list every call whose event was
//! answered 200, and the restarted agent must not toast them again.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

/// Runs `calltray history ARGS` in the session; its standard output.
fn history(session: &Session, agent: &Agent, args: &[&str]) -> String {
    let output = session
        .command(env!("CARGO_BIN_EXE_calltray"))
        .arg("--config")
        .arg(&agent.config_path)
        .arg("history")
        .args(args)
        .output()
        .expect("calltray history runs");
    assert!(
        output.status.success(),
        "calltray history {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The call ids `calltray history --json` lists.
fn recorded(session: &Session, agent: &Agent) -> BTreeSet<String> {
    let json = history(session, agent, &["--json", "--limit", "100000"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).expect("history is JSON");
    rows.iter()
        .filter_map(|r| r["callid"].as_str().map(str::to_string))
        .collect()
}

fn call(agent: &Agent, callid: &str) -> (u16, String) {
    agent.get(&format!("/init?{}", IN_A.replace("ABC12345", callid)))
}

#[test]
fn every_acknowledged_call_survives_kill_9() {
    let (session, notifications, mut agent) = start_headless();
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let base = agent.base.clone();
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let acknowledged = Arc::clone(&acknowledged);
            let base = base.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(5)))
                    .build()
                    .into();
                for i in 0..10_000 {
                    let callid = format!("T{t}N{i}");
                    let url = format!("{base}/init?{}", IN_A.replace("ABC12345", &callid));
                    match agent.get(&url).call() {
                        Ok(r) if r.status() == 200 => {
                            acknowledged.lock().expect("lock").insert(callid);
                        }
                        // The agent is gone: stop.
                        _ => return,
                    }
                }
            })
        })
        .collect();
    // Kill it in the middle of the flood.
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    while acknowledged.lock().expect("lock").len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    agent.process.kill();
    for s in senders {
        s.join().expect("sender");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 300, "the flood did not get going");
    let toasts_before = notifications.calls().len();

    // On disk, before any restart: an event for every call answered 200.
    let file = session.data_home().join("calltray").join("history.sqlite3");
    let db = rusqlite::Connection::open(&file).expect("the history file opens");
    let mut stored = BTreeSet::new();
    let mut select = db
        .prepare("SELECT DISTINCT callid FROM events")
        .expect("events table");
    for id in select
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
    {
        stored.insert(id.expect("a call id"));
    }
    let lost: Vec<_> = acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but not stored: {lost:?}");
    // As if the tracker had not written its last 50 calls when it died: the restart must
    // rebuild them from their events.
    db.execute(
        "DELETE FROM calls WHERE id IN (SELECT id FROM calls ORDER BY updated_at DESC LIMIT 50)",
        [],
    )
    .expect("delete");
    drop(select);
    drop(db);

    // Started again, it replays what the tracker had not written yet.
    let agent = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    let mut missing: Vec<String>;
    loop {
        let seen = recorded(&session, &agent);
        missing = acknowledged.difference(&seen).cloned().collect();
        if missing.is_empty() || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged calls are not in the history, such as {:?}",
        missing.len(),
        acknowledged.len(),
        &missing[..missing.len().min(5)]
    );
    // The restart brought back no toast for calls already announced.
    let (status, _) = call(&agent, "AFTERRESTART");
    assert_eq!(status, 200);
    let calls = notifications
        .wait_for(
            |calls| {
                calls[toasts_before..]
                    .iter()
                    .any(|n| n.summary == "Incoming call")
            },
            DEFAULT_TIMEOUT,
        )
        .expect("the new call's toast");
    let new: Vec<_> = calls[toasts_before..]
        .iter()
        .filter(|n| n.summary == "Incoming call")
        .collect();
    assert_eq!(
        new.len(),
        1,
        "{}",
        support::notifications::describe(&calls[toasts_before..])
    );
}

#[test]
fn history_lists_filters_and_exports() {
    let (session, _notifications, agent) = start_headless();
    assert_eq!(call(&agent, "H1").0, 200);
    let ended = format!("/ended?{}", IN_A.replace("ABC12345", "H1"));
    assert_eq!(agent.get(&ended).0, 200);
    assert_eq!(call(&agent, "H2").0, 200);
    let answered = format!("/answered?{}", IN_A.replace("ABC12345", "H2"));
    assert_eq!(agent.get(&answered).0, 200);
    let ended = format!("/ended?{}&duration=65", IN_A.replace("ABC12345", "H2"));
    assert_eq!(agent.get(&ended).0, 200);

    // The tracker writes calls on its own thread: wait for both.
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    while recorded(&session, &agent).len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let table = history(&session, &agent, &[]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("when"), "{table}");
    assert!(
        lines[1].contains("(514) 555-1212") && lines[1].ends_with("1:05"),
        "{table}"
    );
    assert!(lines[2].ends_with("missed"), "{table}");

    let missed = history(&session, &agent, &["--missed", "--json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&missed).expect("JSON");
    assert_eq!(rows.len(), 1, "{missed}");
    assert_eq!(rows[0]["callid"], "H1");
    assert_eq!(rows[0]["state"], "missed");

    let csv = history(&session, &agent, &["--csv", "--limit", "1"]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "callid,direction,extension,party,name,state,first_seen,answered_at,ended_at,duration"
        )
    );
    let row = lines.next().expect("one call");
    assert!(
        row.starts_with("H2,incoming,100,5145551212,,answered,"),
        "{csv}"
    );
    assert!(row.ends_with(",65"), "{csv}");
    assert_eq!(lines.next(), None, "{csv}");

    let future = history(&session, &agent, &["--since", "2999-01-01"]);
    assert!(future.contains("(no calls)"), "{future}");
}
