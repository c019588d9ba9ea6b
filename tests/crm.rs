//! Screen pop, end to end: the real binary opens the CRM URL from its config through the
//! desktop's opener (`xdg-open`), here a stand-in on `PATH` that writes down what it was given.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use support::*;

#[test]
fn the_crm_opens_on_the_caller_once_per_incoming_call() {
    let session = Session::start();
    let _notifications = NotificationServer::start(&session);
    let (path, log) = opener(&session);
    let config = format!(
        "{TEST_CONFIG}\n[crm]\nurl = \"https://crm.example.com/search?phone={{e164}}&ext={{extension}}\"\n"
    );
    let agent = Agent::start_with_env(&session, &config, &["--headless"], &[("PATH", path)]);
    let target = |step: &str, callid: &str, caller: &str| {
        format!("/{step}?callid={callid}&type=incoming&caller={caller}&callee=100")
    };
    assert_eq!(agent.get(&target("init", "C1", "5145551212")).0, 200);
    // The same call answered and ended, and an outgoing call: no more pages.
    assert_eq!(agent.get(&target("answered", "C1", "5145551212")).0, 200);
    assert_eq!(agent.get(&target("ended", "C1", "5145551212")).0, 200);
    let outgoing = "/init?callid=C2&type=outgoing&caller=100&callee=4165550000";
    assert_eq!(agent.get(outgoing).0, 200);
    // A caller's text fills its blank and nothing else.
    assert_eq!(
        agent.get(&target("init", "C3", "sip%3Aeve%40x%3Fa%3Db")).0,
        200
    );
    let pages = opened(&log, 2);
    assert_eq!(
        pages,
        vec![
            "https://crm.example.com/search?phone=%2B15145551212&ext=100".to_string(),
            "https://crm.example.com/search?phone=sip%3Aeve%40x%3Fa%3Db&ext=100".to_string(),
        ]
    );
}
