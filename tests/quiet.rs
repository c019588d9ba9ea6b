//! Quiet hours and "Do not disturb", end to end: no toast while quiet, the calls still
//! tracked, and one toast summing up the missed ones when toasts come back.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use std::time::{Duration, Instant};
use support::*;

fn missed_call(agent: &Agent, callid: &str) {
    let q = IN_A.replace("ABC12345", callid);
    assert_eq!(agent.get(&format!("/init?{q}")).0, 200);
    assert_eq!(agent.get(&format!("/ended?{q}")).0, 200);
}

/// Waits until `calltray history` knows `count` calls, so that they have been through the
/// tracker (and any toast they would bring has been sent).
fn wait_tracked(session: &Session, agent: &Agent, count: usize) {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let out = session
            .command(env!("CARGO_BIN_EXE_calltray"))
            .arg("--config")
            .arg(&agent.config_path)
            .args(["history", "--json"])
            .output()
            .expect("calltray history");
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        if rows.len() >= count {
            return;
        }
        assert!(Instant::now() < deadline, "{}", agent.process.logs());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn quiet_hours_hold_toasts_back_and_sum_up_the_missed_calls() {
    let session = Session::start();
    let notifications = NotificationServer::start(&session);
    let always = format!("quiet_hours = [\"daily 00:00-24:00\"]\n{TEST_CONFIG}");
    let agent = Agent::start(&session, &always, &["--headless"]);
    missed_call(&agent, "Q1");
    missed_call(&agent, "Q2");
    wait_tracked(&session, &agent, 2);
    assert!(
        notifications.calls().is_empty(),
        "{}",
        support::notifications::describe(&notifications.calls())
    );

    // Quiet hours end (here, by an edit of the config): one toast for both calls.
    std::fs::write(&agent.config_path, TEST_CONFIG).expect("edit");
    let away = notifications
        .wait_for_summary("2 missed calls while away", DEFAULT_TIMEOUT)
        .expect("the summary toast");
    assert_eq!(away.expire_timeout, 0, "it stays until dismissed");
    // And calls raise their own toasts again.
    missed_call(&agent, "Q3");
    notifications
        .wait_for_summary("Missed call", DEFAULT_TIMEOUT)
        .expect("a toast for the call after quiet hours");
    // Toasts go out in order: had Q1 or Q2 raised one, it would be here by now.
    let calls = notifications.calls();
    let missed: Vec<_> = calls
        .iter()
        .filter(|n| n.summary == "Missed call")
        .collect();
    assert_eq!(
        missed.len(),
        1,
        "{}",
        support::notifications::describe(&calls)
    );
}
