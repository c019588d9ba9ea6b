//! Screen pop, end to end: the real binary opens the CRM URL from its config through the
//! desktop's opener (`xdg-open`), here a stand-in on `PATH` that writes down what it was given.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};
use support::*;

/// A `PATH` whose `xdg-open` appends its argument to `opened.txt` in the session folder.
fn opener(session: &Session) -> (std::ffi::OsString, std::path::PathBuf) {
    let bin = session.dir().join("bin");
    std::fs::create_dir_all(&bin).expect("bin folder");
    let log = session.dir().join("opened.txt");
    let script = bin.join("xdg-open");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", log.display()),
    )
    .expect("writing the stand-in");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut path = bin.into_os_string();
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    (path, log)
}

fn opened(log: &std::path::Path, count: usize) -> Vec<String> {
    let deadline = Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let lines: Vec<String> = std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if lines.len() >= count || Instant::now() > deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

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
