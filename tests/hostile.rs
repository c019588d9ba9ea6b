//! The hostile corpus (`tests/corpus/hostile.jsonl`, made by `make-hostile.py` beside it):
//! every request goes over a raw TCP connection to the real binary and must get its expected
//! status; afterwards the agent is still up and a valid call still rings.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::*;

struct Case {
    why: String,
    status: u16,
    request: Vec<u8>,
}

fn corpus() -> Vec<Case> {
    let text = include_str!("corpus/hostile.jsonl");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let request = v["request"].as_str().expect("a request");
            Case {
                why: v["why"].as_str().expect("a reason").to_string(),
                status: v["status"].as_u64().expect("a status") as u16,
                // The requests are written as Latin-1 text, so every character is one byte.
                request: request.chars().map(|c| c as u32 as u8).collect(),
            }
        })
        .collect()
}

/// Sends raw bytes and returns the status of the answer (the connection is closed after).
fn status_of(address: &str, request: &[u8]) -> Result<u16, String> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(request)
        .map_err(|e| format!("send: {e}"))?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("no answer: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&answer);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {line:?}"))
}

#[test]
fn every_hostile_request_gets_its_answer_and_the_agent_carries_on() {
    let cases = corpus();
    assert!(cases.len() >= 200, "the corpus has {} cases", cases.len());
    let session = Session::start();
    let notes = NotificationServer::start(&session);
    let agent = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    let address = agent.base.trim_start_matches("http://").to_string();

    let mut wrong = Vec::new();
    for case in &cases {
        match status_of(&address, &case.request) {
            Ok(status) if status == case.status => {}
            Ok(status) => wrong.push(format!(
                "{}: expected {}, got {status}",
                case.why, case.status
            )),
            Err(e) => wrong.push(format!("{}: {e}", case.why)),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases answered wrongly:\n{}\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n"),
        agent.process.logs()
    );

    let (status, body) = agent.get("/init?callid=AFTER&type=incoming&caller=4185550000&callee=100");
    assert_eq!(status, 200, "{body}");
    let toast = notes
        .wait_for(
            |calls| calls.iter().any(|n| n.body.starts_with("(418) 555-0000")),
            DEFAULT_TIMEOUT,
        )
        .expect("a valid call after the corpus still rings");
    for n in &toast {
        assert!(!n.body.contains('<'), "no markup reached a toast: {n:?}");
    }
    assert!(
        !agent.process.logs().contains("panicked"),
        "{}",
        agent.process.logs()
    );
}
