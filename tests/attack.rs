//! The listener under attack: the real binary (`--headless`) on loopback, with idle and slow
//! connections by the hundred, gigabyte-sized heads and bodies, and a process out of file
//! descriptors. Each test checks that a real callback still gets through to a toast, and
//! that what the agent holds (threads, memory) does not follow what the attacker sends.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::*;

fn address(agent: &Agent) -> String {
    agent.base.trim_start_matches("http://").to_string()
}

/// A line of `/proc/PID/status`, such as `Threads` or `VmRSS` (in kB), as a number.
fn proc_status(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

/// The names of the process's threads, sorted, leaving out those of the notification
/// service's D-Bus connection, which come and go with toasts (a thread inherits the name of
/// the one that started it, so zbus's show up as `notifier` and `zruntime`).
fn listener_threads(pid: u32) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task list")
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim().to_string())
        .filter(|n| n != "notifier" && !n.starts_with("zruntime"))
        .collect();
    names.sort();
    names
}

/// A number from the agent's `/health` JSON.
fn health(agent: &Agent, key: &str) -> u64 {
    let (status, body) = agent.get("/health");
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("health is JSON");
    json[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no {key} in {body}"))
}

/// Sends one valid incoming call and waits for its toast.
fn call_gets_through(agent: &Agent, notifications: &NotificationServer, callid: &str) {
    let target = format!("/init?{}", IN_A.replace("ABC12345", callid));
    let (status, body) = agent.get(&target);
    assert_eq!(
        (status, body.starts_with("accepted")),
        (200, true),
        "{body}"
    );
    notifications
        .wait_for(
            |calls| calls.iter().any(|n| n.summary == "Incoming call"),
            DEFAULT_TIMEOUT,
        )
        .expect("the call's toast");
}

#[test]
fn idle_and_slow_clients_hold_no_thread_and_cannot_keep_a_call_out() {
    let (_session, notifications, agent) = start_headless();
    let pid = agent.process.pid();
    // A first call, so that every part of the agent is up before threads are counted.
    call_gets_through(&agent, &notifications, "WARMUP");
    let threads_before = listener_threads(pid);

    // More idle connections than the guard holds (1024), so that it must make room.
    let idle: Vec<TcpStream> = (0..1100)
        .map(|_| TcpStream::connect(address(&agent)).expect("idle connection"))
        .collect();
    // Slow clients: a byte a second of a request that would be valid.
    let request = format!("GET /init?{IN_A} HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| TcpStream::connect(address(&agent)).expect("slow connection"))
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let dribbler = {
        let mut slow: Vec<TcpStream> = slow.iter().map(|s| s.try_clone().expect("clone")).collect();
        let stop = std::sync::Arc::clone(&stop);
        let bytes = request.into_bytes();
        std::thread::spawn(move || {
            for byte in bytes.iter().cycle() {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                for s in slow.iter_mut() {
                    let _ = s.write_all(&[*byte]);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        })
    };
    std::thread::sleep(Duration::from_secs(1));

    call_gets_through(&agent, &notifications, "UNDERATTACK");
    assert_eq!(
        listener_threads(pid),
        threads_before,
        "threads changed with the attacking connections"
    );
    assert!(health(&agent, "connections_evicted") >= 1100 + 50 - 1024);

    // A slow client is told it took too long, then let go.
    let mut answer = String::new();
    slow[0]
        .set_read_timeout(Some(DEFAULT_TIMEOUT))
        .expect("timeout");
    let _ = slow[0].read_to_string(&mut answer);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    dribbler.join().expect("dribbler");
    // The idle connections are older, so they were the ones closed to make room.
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(health(&agent, "connections_timed_out") >= 1);
    // Idle connections are closed by the agent, not left to the client.
    let mut last = idle.into_iter().last().expect("an idle connection");
    last.set_read_timeout(Some(DEFAULT_TIMEOUT))
        .expect("timeout");
    assert_eq!(last.read(&mut [0u8; 16]).expect("closed, not timed out"), 0);
}

/// Sends `head` then up to 1 GiB of `filler` until the agent stops taking it; returns what
/// the agent answered and how much was sent.
fn flood(agent: &Agent, head: &[u8], filler: u8) -> (String, u64) {
    let mut stream = TcpStream::connect(address(agent)).expect("connect");
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut reader = stream.try_clone().expect("clone");
    reader
        .set_read_timeout(Some(DEFAULT_TIMEOUT))
        .expect("timeout");
    let answer = std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut piece = [0u8; 4096];
        // Only the first answer matters; the connection then closes or resets.
        while let Ok(n) = reader.read(&mut piece) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&piece[..n]);
            if got.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    });
    let mut sent = 0u64;
    let chunk = vec![filler; 1 << 20];
    if stream.write_all(head).is_ok() {
        while sent < 1 << 30 {
            match stream.write(&chunk) {
                Ok(n) => sent += n as u64,
                Err(_) => break,
            }
        }
    }
    (answer.join().expect("reader"), sent)
}

#[test]
fn gigabyte_heads_and_bodies_are_refused_without_growing_memory() {
    let (_session, notifications, agent) = start_headless();
    let pid = agent.process.pid();
    assert_eq!(agent.get("/health").0, 200);
    let rss_before = proc_status(pid, "VmRSS");

    let cases: [(&str, Vec<u8>, u8, &str); 4] = [
        (
            "a 1 GiB header line",
            b"GET /init HTTP/1.1\r\nX-Pad: ".to_vec(),
            b'a',
            "HTTP/1.1 431",
        ),
        (
            "a 1 GiB URL",
            b"GET /init?pad=".to_vec(),
            b'a',
            "HTTP/1.1 414",
        ),
        (
            "a 1 GiB body with its length",
            b"POST /init HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1073741824\r\n\r\n".to_vec(),
            b'a',
            "HTTP/1.1 413",
        ),
        (
            "a 1 GiB chunk",
            b"POST /init HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\n".to_vec(),
            b'a',
            "HTTP/1.1 413",
        ),
    ];
    for (what, head, filler, expected) in cases {
        let (answer, sent) = flood(&agent, &head, filler);
        assert!(answer.starts_with(expected), "{what}: answered {answer:?}");
        assert!(sent < 1 << 30, "{what}: the agent took the whole gigabyte");
        let grown_kb = proc_status(pid, "VmRSS").saturating_sub(rss_before);
        assert!(
            grown_kb < 16 * 1024,
            "{what}: resident memory grew by {grown_kb} kB"
        );
    }
    call_gets_through(&agent, &notifications, "AFTERFLOOD");
}

#[test]
fn out_of_file_descriptors_the_listener_makes_room_and_carries_on() {
    let (_session, notifications, agent) = start_headless();
    let pid = agent.process.pid();
    assert_eq!(agent.get("/health").0, 200);
    let open_now = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fd list")
        .count();
    // Room for a few connections more than the agent has open, then far more clients.
    let limit = open_now + 20;
    let set = |soft: &str| {
        let status = std::process::Command::new("prlimit")
            .arg(format!("--pid={pid}"))
            .arg(format!("--nofile={soft}:"))
            .status()
            .expect("prlimit (util-linux) runs");
        assert!(status.success(), "prlimit failed");
    };
    set(&limit.to_string());
    let clients: Vec<TcpStream> = (0..200)
        .filter_map(|_| TcpStream::connect(address(&agent)).ok())
        .collect();
    // The guard notices accept failing once it tries; a callback then still gets in.
    let (status, body) = agent.get(&format!("/init?{}", IN_A.replace("ABC12345", "NOFDS")));
    assert_eq!(status, 200, "{body}");
    assert!(health(&agent, "accept_errors") >= 1);
    drop(clients);
    set("4096");
    call_gets_through(&agent, &notifications, "FDSBACK");
    assert_eq!(health(&agent, "listener_restarts"), 0);
}

#[test]
fn the_listener_still_answers_after_a_long_silence() {
    // The listener once had a 10 s receive timeout on its socket, which `accept` honours: after
    // ten quiet seconds tiny_http's accept loop got EAGAIN and ended for good.
    let (_session, notifications, agent) = start_headless();
    std::thread::sleep(Duration::from_secs(12));
    call_gets_through(&agent, &notifications, "AFTERSILENCE");
}
