//! The `calltray` command line, run as a user would: `--version`, `check`, `paths`, first run,
//! a busy port, and `simulate` against a real headless agent in a private session.
//!
//! Linux only: the harness (tests/support) runs a private D-Bus session and Xvfb.
#![cfg(target_os = "linux")]

mod support;

use std::path::Path;
use std::process::ExitStatus;

use support::*;

/// What a finished `calltray` run printed.
struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn show(&self) -> String {
        format!(
            "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status, self.stdout, self.stderr
        )
    }

    fn assert_success(&self, what: &str) {
        assert!(self.status.success(), "{what} failed:\n{}", self.show());
        self.assert_no_panic(what);
    }

    fn assert_failure(&self, what: &str) {
        assert!(
            !self.status.success() && self.status.code().is_some(),
            "{what} should exit non-zero (not by a signal):\n{}",
            self.show()
        );
        self.assert_no_panic(what);
    }

    fn assert_no_panic(&self, what: &str) {
        for text in [&self.stdout, &self.stderr] {
            assert!(
                !text.contains("panicked") && !text.contains("internal error"),
                "{what} panicked:\n{}",
                self.show()
            );
        }
    }
}

/// Runs `calltray ARGS...` to completion in `session` (within the default deadline).
fn run(session: &Session, name: &str, args: &[&str]) -> Run {
    let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
    cmd.args(args);
    let mut process = session.spawn(name, cmd);
    let status = process
        .wait_exit(DEFAULT_TIMEOUT)
        .unwrap_or_else(|e| panic!("calltray {args:?} did not finish: {e}"));
    Run {
        status,
        stdout: process.stdout(),
        stderr: process.stderr(),
    }
}

/// Runs `calltray simulate ARGS...` with no pauses against the agent `config` points at.
fn simulate(session: &Session, config: &str, args: &[&str]) -> Run {
    let mut all = vec!["simulate"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "--answer-after",
        "0",
        "--hangup-after",
        "0",
        "--config",
        config,
    ]);
    run(session, "simulate", &all)
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Writes `text` as a config file in the session and returns its path.
fn write_config(session: &Session, name: &str, text: &str) -> String {
    let path = session.dir().join(name);
    std::fs::write(&path, text).expect("writing a test config");
    path_str(&path).to_string()
}

#[test]
fn version_prints_the_version() {
    let session = Session::start();
    let r = run(&session, "version", &["--version"]);
    r.assert_success("calltray --version");
    assert_eq!(
        r.stdout.trim(),
        format!("calltray {}", env!("CARGO_PKG_VERSION")),
        "{}",
        r.show()
    );
}

#[test]
fn check_prints_the_three_callback_urls() {
    let session = Session::start();
    let config = write_config(
        &session,
        "ok.toml",
        "extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:18765\"\n",
    );
    let r = run(&session, "check", &["check", "--config", &config]);
    r.assert_success("calltray check");
    for url in [
        "http://127.0.0.1:18765/init",
        "http://127.0.0.1:18765/answered",
        "http://127.0.0.1:18765/ended",
    ] {
        let line = r.stdout.lines().find(|l| l.trim_end().ends_with(url));
        assert!(line.is_some(), "no line with {url}:\n{}", r.show());
    }
    assert!(r.stdout.contains(&config), "names the file:\n{}", r.show());

    // Custom paths and a LAN address: the URLs say where to reach this computer.
    let config = write_config(
        &session,
        "custom.toml",
        "extensions = [\"100\"]\n[listen]\naddress = \"0.0.0.0:18766\"\n\
         secret = \"0123456789abcdef0123456789abcdef\"\n\
         initiated_path = \"/ubity/start\"\nanswered_path = \"/ubity/up\"\nended_path = \"/ubity/down\"\n",
    );
    let r = run(&session, "check-custom", &["--config", &config, "check"]);
    r.assert_success("calltray check (custom paths)");
    for path in ["/ubity/start", "/ubity/up", "/ubity/down"] {
        assert!(
            r.stdout
                .contains(&format!(":18766/0123456789abcdef0123456789abcdef{path}\n")),
            "no URL ending in {path}:\n{}",
            r.show()
        );
    }
}

#[test]
fn check_with_a_secret_prints_the_secret_urls() {
    let session = Session::start();
    let secret = "q7Vd-2mKx_PzR4tWb9LcN0sa";
    let config = write_config(
        &session,
        "secret.toml",
        &format!(
            "extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:18765\"\nsecret = \"{secret}\"\n"
        ),
    );
    let r = run(&session, "check", &["check", "--config", &config]);
    r.assert_success("calltray check");
    for path in ["init", "answered", "ended"] {
        let url = format!("http://127.0.0.1:18765/{secret}/{path}");
        assert!(
            r.stdout.lines().any(|l| l.trim_end().ends_with(&url)),
            "no line with {url}:\n{}",
            r.show()
        );
    }
}

#[test]
fn check_names_the_file_line_and_key_of_a_mistake() {
    let session = Session::start();
    let cases = [
        (
            "unknown-key.toml",
            "extensions = [\"100\"]\n\n[listen]\nadress = \"127.0.0.1:8765\"\n",
            4,
            "adress",
        ),
        (
            "wrong-type.toml",
            "extensions = [\"100\"]\nring_timeout = \"soon\"\n",
            2,
            "ring_timeout",
        ),
        (
            "bad-address.toml",
            "extensions = [\"100\"]\n[listen]\naddress = \"localhost\"\n",
            3,
            "address",
        ),
        (
            "bad-bool.toml",
            "extensions = [\"100\"]\n[notify]\n\nmissed = \"yes\"\n",
            4,
            "missed",
        ),
        (
            "flood-limit.toml",
            "extensions = [\"100\"]\n[notify]\nmissed = true\nmax_new_toasts = 0\n",
            4,
            "max_new_toasts",
        ),
        (
            "short-secret.toml",
            "extensions = [\"100\"]\n[listen]\nsecret = \"short\"\n",
            3,
            "secret",
        ),
        (
            "top-level-typo.toml",
            "extensions = [\"100\"]\nring_timout = 30\n",
            2,
            "ring_timout",
        ),
    ];
    for (i, (file, text, line, key)) in cases.into_iter().enumerate() {
        let config = write_config(&session, file, text);
        let r = run(
            &session,
            &format!("check-{i}"),
            &["check", "--config", &config],
        );
        let what = format!("check on {file}");
        r.assert_failure(&what);
        for needle in [config.clone(), format!("line {line}"), key.to_string()] {
            assert!(
                r.stderr.contains(&needle),
                "{what}: stderr does not name {needle:?}:\n{}",
                r.show()
            );
        }
        assert!(
            !r.stdout.contains("/init"),
            "{what}: printed URLs for a broken config:\n{}",
            r.show()
        );
    }

    // Not TOML at all, and not UTF-8.
    let config = write_config(&session, "syntax.toml", "extensions = [\"100\"]\n[listen\n");
    let r = run(&session, "check-syntax", &["check", "--config", &config]);
    r.assert_failure("check on a syntax error");
    assert!(
        r.stderr.contains(&config) && r.stderr.contains("line 2"),
        "{}",
        r.show()
    );
    let path = session.dir().join("latin1.toml");
    std::fs::write(&path, b"extensions = [\"caf\xe9\"]\n").unwrap();
    let r = run(
        &session,
        "check-latin1",
        &["check", "--config", path_str(&path)],
    );
    r.assert_failure("check on a Latin-1 file");
    assert!(r.stderr.contains(path_str(&path)), "{}", r.show());

    // The agent itself refuses to start on a broken config, the same way.
    let config = write_config(
        &session,
        "agent.toml",
        "extensions = [\"100\"]\n\n[listen]\nadress = \"127.0.0.1:0\"\n",
    );
    let r = run(&session, "agent-bad", &["--headless", "--config", &config]);
    r.assert_failure("the agent on a broken config");
    assert!(
        r.stderr.contains(&config) && r.stderr.contains("line 4") && r.stderr.contains("adress"),
        "{}",
        r.show()
    );
}

#[test]
fn first_run_writes_the_commented_default_and_says_where() {
    let session = Session::start();
    let path = session.dir().join("fresh/sub/config.toml");

    // Commands other than the agent leave a missing config missing, and say what to do.
    let r = run(&session, "check", &["check", "--config", path_str(&path)]);
    r.assert_failure("check without a config");
    assert!(r.stderr.contains("no config file here yet"), "{}", r.show());
    assert!(!path.exists(), "check must not write files");

    // The agent's first run writes the commented default and says where.
    let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
    cmd.args(["--headless", "--config", path_str(&path)]);
    let mut agent = session.spawn("first", cmd);
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    while !agent.stderr().contains("default config") {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never said it wrote a default config:\n{}",
            agent.logs()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(agent.stderr().contains(path_str(&path)), "{}", agent.logs());
    agent.kill();
    let written = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("no config written at {}: {e}", path.display()));
    assert!(written.contains("extensions = [\"100\"]"), "{written}");
    assert!(
        written
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            >= 5,
        "the default is commented:\n{written}"
    );

    // Now check finds it, says nothing about writing, and leaves it as it is.
    let r = run(&session, "second", &["check", "--config", path_str(&path)]);
    r.assert_success("second run");
    assert!(!r.stderr.contains("default config"), "{}", r.show());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), written);
}

#[test]
fn paths_shows_config_data_and_logs() {
    let session = Session::start();
    let config = session.dir().join("elsewhere/my.toml");
    let r = run(&session, "paths", &["paths", "--config", path_str(&config)]);
    r.assert_success("calltray paths");
    let line = |label: &str| -> String {
        r.stdout
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|rest| rest.trim().to_string())
            .unwrap_or_else(|| panic!("no {label} line:\n{}", r.show()))
    };
    assert_eq!(line("config:"), path_str(&config), "{}", r.show());
    let home = session.home();
    for label in ["data:", "logs:"] {
        let shown = line(label);
        assert!(
            shown.starts_with(path_str(&home)) && shown.contains("calltray"),
            "{label} {shown:?} should be calltray's folder under the session's home {}",
            home.display()
        );
    }
    assert!(!config.exists(), "paths must not create the config");

    // Without --config: the default file under the (session's) XDG config home.
    let r = run(&session, "paths-default", &["paths"]);
    r.assert_success("calltray paths (default)");
    let config_line = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("config:"))
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(
        config_line.starts_with(path_str(&session.config_home()))
            && config_line.ends_with("config.toml"),
        "{}",
        r.show()
    );
}

#[test]
fn a_busy_port_is_reported_without_a_panic() {
    let session = Session::start();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a test port");
    let address = taken.local_addr().unwrap();
    let config = write_config(
        &session,
        "busy.toml",
        &format!("extensions = [\"100\"]\n[listen]\naddress = \"{address}\"\n"),
    );
    let r = run(&session, "busy", &["--headless", "--config", &config]);
    r.assert_failure("the agent on a busy port");
    assert!(
        r.stderr.contains("already in use") && r.stderr.contains(&address.to_string()),
        "stderr should say port {address} is in use:\n{}",
        r.show()
    );
    drop(taken);
}

/// A running headless agent, and a config that points `simulate` at it.
fn agent_and_sim_config(session: &Session) -> (Agent, String) {
    let agent = Agent::start(session, TEST_CONFIG, &["--headless"]);
    let address = agent.base.trim_start_matches("http://").to_string();
    let config = write_config(
        session,
        "sim.toml",
        &format!("extensions = [\"100\"]\n[listen]\naddress = \"{address}\"\n"),
    );
    (agent, config)
}

/// The answer lines `simulate` printed: one per callback, each with its status.
fn answer_lines(r: &Run) -> Vec<&str> {
    r.stdout.lines().filter(|l| l.starts_with("Call")).collect()
}

fn assert_all_200(r: &Run, want: &[&str]) {
    let lines = answer_lines(r);
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(names, want, "{}", r.show());
    for l in lines {
        let status = l.split_whitespace().nth(1);
        assert_eq!(status, Some("200"), "line {l:?}:\n{}", r.show());
        assert!(l.contains("accepted:"), "line {l:?}:\n{}", r.show());
    }
}

#[test]
fn simulate_plays_an_incoming_call_to_the_agent() {
    let session = Session::start();
    let notes = NotificationServer::start(&session);
    let (agent, config) = agent_and_sim_config(&session);
    let r = simulate(&session, &config, &["incoming", "5145551212"]);
    r.assert_success("simulate incoming");
    assert_all_200(&r, &["CallInitiated", "CallAnswered", "CallEnded"]);
    let calls = notes
        .wait_for(
            |calls| calls.iter().any(|n| n.summary.starts_with("Call ended")),
            DEFAULT_TIMEOUT,
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", agent.process.logs()));
    // Steps that come faster than the notification service shows them are merged into the
    // newest one, so earlier steps may be skipped; the order never changes.
    let summaries: Vec<&str> = calls.iter().map(|n| n.summary.as_str()).collect();
    let mut steps = ["Incoming call", "Call answered", "Call ended · 0:00"].iter();
    assert!(
        summaries.iter().all(|s| steps.any(|step| step == s)),
        "{calls:#?}"
    );
    assert_eq!(summaries.last(), Some(&"Call ended · 0:00"), "{calls:#?}");
    for n in &calls {
        assert!(
            n.body.contains("(514) 555-1212") && n.body.contains("ext 100"),
            "{n:#?}"
        );
    }
}

#[test]
fn simulate_missed_call() {
    let session = Session::start();
    let notes = NotificationServer::start(&session);
    let (_agent, config) = agent_and_sim_config(&session);
    let r = simulate(&session, &config, &["incoming", "4165550000", "--missed"]);
    r.assert_success("simulate --missed");
    assert_all_200(&r, &["CallInitiated", "CallEnded"]);
    let missed = notes
        .wait_for_summary("Missed call", DEFAULT_TIMEOUT)
        .expect("a missed-call toast");
    assert!(missed.body.contains("(416) 555-0000"), "{missed:#?}");
    assert_eq!(missed.expire_timeout, 0, "{missed:#?}");
    // The ringing toast may be merged into the missed one when both come at once.
    let summaries: Vec<String> = notes.calls().into_iter().map(|n| n.summary).collect();
    assert!(
        summaries == ["Incoming call", "Missed call"] || summaries == ["Missed call"],
        "{summaries:?}"
    );
}

#[test]
fn simulate_with_post() {
    let session = Session::start();
    let notes = NotificationServer::start(&session);
    let (_agent, config) = agent_and_sim_config(&session);
    let r = simulate(
        &session,
        &config,
        &["incoming", "+1 514 555 1212", "--post"],
    );
    r.assert_success("simulate --post");
    assert_all_200(&r, &["CallInitiated", "CallAnswered", "CallEnded"]);
    let ended = notes
        .wait_for_summary("Call ended · 0:00", DEFAULT_TIMEOUT)
        .expect("the end of the simulated call");
    assert!(ended.body.contains("(514) 555-1212"), "{ended:#?}");
}

/// A stand-in for the agent that answers every request 200 and records its request line,
/// so the test sees exactly what `simulate` sends. Serves `count` requests, then returns them.
fn recording_server(count: usize) -> (u16, std::thread::JoinHandle<Vec<String>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a test port");
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    let handle = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
        let mut seen = Vec::new();
        while seen.len() < count && std::time::Instant::now() < deadline {
            let stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                    continue;
                }
                Err(e) => panic!("accepting: {e}"),
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push(line.trim_end().to_string());
            }
            seen.push(head.first().cloned().unwrap_or_default());
            let body = "accepted: recorded\n";
            let _ = write!(
                reader.get_mut(),
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        seen
    });
    (port, handle)
}

#[test]
fn simulate_sends_what_ubity_sends() {
    let session = Session::start();
    for (i, (flags, method, paths)) in [
        (&[][..], "GET", &["/init", "/answered", "/ended"][..]),
        (
            &["--post"][..],
            "POST",
            &["/init", "/answered", "/ended"][..],
        ),
        (&["--missed"][..], "GET", &["/init", "/ended"][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let (port, server) = recording_server(paths.len());
        let config = write_config(
            &session,
            &format!("recorded-{i}.toml"),
            &format!("extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:{port}\"\n"),
        );
        let mut args = vec![
            "simulate",
            "incoming",
            "5145551212",
            "--answer-after",
            "0",
            "--hangup-after",
            "0",
            "--config",
            &config,
        ];
        args.extend_from_slice(flags);
        let r = run(&session, &format!("simulate-{i}"), &args);
        r.assert_success(&format!("simulate {flags:?}"));
        let seen = server.join().expect("the recording server");
        assert_eq!(
            seen.len(),
            paths.len(),
            "{flags:?}: {seen:#?}\n{}",
            r.show()
        );
        let callid = seen[0]
            .split(['?', '&', ' '])
            .find_map(|p| p.strip_prefix("callid="))
            .unwrap_or_else(|| panic!("no callid in {:?}", seen[0]))
            .to_string();
        for (line, path) in seen.iter().zip(paths) {
            assert!(
                line.starts_with(&format!("{method} {path}?")),
                "{flags:?}: expected {method} {path}, got {line:?}"
            );
            for part in [
                format!("callid={callid}"),
                "type=incoming".to_string(),
                "caller=5145551212".to_string(),
                "callee=100".to_string(),
            ] {
                assert!(line.contains(&part), "{flags:?}: {line:?} lacks {part}");
            }
        }
        assert!(
            seen.last().unwrap().contains("duration=0"),
            "{flags:?}: {seen:#?}"
        );
    }
}

#[test]
fn simulate_with_nothing_listening_says_calltray_is_not_reachable() {
    let session = Session::start();
    // A port that was free a moment ago and that nobody listens on now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a test port");
        l.local_addr().unwrap().port()
    };
    let config = write_config(
        &session,
        "nobody.toml",
        &format!("extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:{port}\"\n"),
    );
    let r = simulate(&session, &config, &["incoming", "5145551212"]);
    r.assert_failure("simulate with no agent");
    assert!(
        r.stderr.contains("cannot reach the agent") && r.stderr.contains(&port.to_string()),
        "{}",
        r.show()
    );
    assert!(answer_lines(&r).is_empty(), "{}", r.show());
}

#[test]
fn simulate_reports_a_refusal() {
    // A secret mismatch is a 404, which simulate must report as a failure, not carry on past.
    let session = Session::start();
    let agent = Agent::start(
        &session,
        "extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:0\"\nsecret = \"aaaaaaaaaaaaaaaaaaaaaaaa\"\n",
        &["--headless"],
    );
    let address = agent.base.trim_start_matches("http://");
    let config = write_config(
        &session,
        "wrong-secret.toml",
        &format!(
            "extensions = [\"100\"]\n[listen]\naddress = \"{address}\"\nsecret = \"bbbbbbbbbbbbbbbbbbbbbbbb\"\n"
        ),
    );
    let r = simulate(&session, &config, &["incoming", "5145551212"]);
    r.assert_failure("simulate against the wrong secret");
    let lines = answer_lines(&r);
    assert_eq!(lines.len(), 1, "stops at the first refusal:\n{}", r.show());
    assert!(lines[0].contains("404"), "{}", r.show());
    assert!(r.stderr.contains("refused"), "{}", r.show());
}

#[test]
fn simulate_for_an_extension_that_is_not_mine_says_so() {
    let session = Session::start();
    let agent = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    let address = agent.base.trim_start_matches("http://");
    let config = write_config(
        &session,
        "simulate.toml",
        &format!("extensions = [\"100\"]\n[listen]\naddress = \"{address}\"\n"),
    );
    let r = simulate(
        &session,
        &config,
        &["incoming", "5145551212", "--ext", "200"],
    );
    r.assert_failure("simulate for somebody else's extension");
    assert_eq!(
        answer_lines(&r).len(),
        1,
        "stops at the first answer:\n{}",
        r.show()
    );
    assert!(
        r.stderr.contains("ignored the call: extension 200"),
        "{}",
        r.show()
    );
}

#[test]
fn a_listener_reachable_from_the_network_needs_a_secret() {
    let session = Session::start();
    let config = write_config(
        &session,
        "lan.toml",
        "extensions = [\"100\"]\n[listen]\naddress = \"0.0.0.0:0\"\n",
    );
    for args in [vec!["check"], vec!["--headless"]] {
        let mut all = args.clone();
        all.extend_from_slice(&["--config", &config]);
        let r = run(&session, "lan", &all);
        r.assert_failure("a LAN listener without a secret");
        r.assert_no_panic("a LAN listener without a secret");
        assert!(
            r.stderr.contains("line 3") && r.stderr.contains("listen.address"),
            "{}",
            r.show()
        );
        assert!(r.stderr.contains("calltray secret new"), "{}", r.show());
    }
}

#[test]
fn secret_new_writes_a_secret_and_prints_its_urls() {
    let session = Session::start();
    let config = write_config(
        &session,
        "secret.toml",
        "# my extension\nextensions = [\"100\"]\n\n[listen]\n# keep me\naddress = \"0.0.0.0:18767\"\n",
    );
    let r = run(&session, "secret", &["secret", "new", "--config", &config]);
    r.assert_success("secret new");
    let text = std::fs::read_to_string(&config).expect("the config");
    assert!(
        text.contains("# my extension") && text.contains("# keep me"),
        "{text}"
    );
    let secret_line = text
        .lines()
        .find(|l| l.starts_with("secret"))
        .unwrap_or_else(|| panic!("no secret line:\n{text}"));
    let secret = secret_line.split('"').nth(1).expect("a quoted secret");
    assert_eq!(secret.len(), 32, "{secret_line}");
    assert!(
        r.stdout
            .contains(&format!("http://127.0.0.1:18767/{secret}/init")),
        "{}",
        r.show()
    );
    // The config is now valid for a LAN listener, and a second run changes the secret.
    run(&session, "check", &["check", "--config", &config]).assert_success("check");
    run(&session, "again", &["secret", "new", "--config", &config]).assert_success("again");
    let again = std::fs::read_to_string(&config).expect("the config");
    assert!(
        !again.contains(secret),
        "a new secret replaces the old one:\n{again}"
    );
    assert_eq!(again.matches("secret =").count(), 1, "{again}");
}

/// `language = "fr"` makes the commands speak French, a mistake in the file included; with
/// no `language`, a French session locale does the same.
#[test]
fn commands_and_config_errors_speak_the_chosen_language() {
    let session = Session::start();
    let config = session.dir().join("fr.toml");
    std::fs::write(
        &config,
        "language = \"fr\"\nextensions = [\"100\", \"101\"]\n[listen]\naddress = \"127.0.0.1:8765\"\n",
    )
    .expect("writing the config");
    let path = config.to_str().expect("a UTF-8 path");
    let check = run(&session, "check-fr", &["check", "--config", path]);
    check.assert_success("check in French");
    assert!(
        check.stdout.contains("postes : 100, 101")
            && check.stdout.contains("à l’écoute sur : 127.0.0.1:8765")
            && check.stdout.contains("Adresses de rappel"),
        "{}",
        check.show()
    );

    std::fs::write(
        &config,
        "language = \"fr\"\nextensions = [\"100\"]\nring_timeout = 2\n",
    )
    .expect("writing the config");
    let bad = run(&session, "check-fr-bad", &["check", "--config", path]);
    bad.assert_failure("check of a bad config in French");
    assert!(
        bad.stderr.contains(&format!(
            "calltray : {path}, ligne 3, clé `ring_timeout` : "
        )),
        "{}",
        bad.show()
    );

    // No `language`: the session's locale decides.
    std::fs::write(&config, "extensions = [\"100\"]\n").expect("writing the config");
    let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
    cmd.args(["history", "--config", path])
        .env("LANG", "fr_CA.UTF-8");
    let mut process = session.spawn("history-fr", cmd);
    let status = process
        .wait_exit(DEFAULT_TIMEOUT)
        .expect("history finishes");
    assert!(status.success(), "{}", process.stderr());
    assert!(
        process.stdout().starts_with("Aucun appel enregistré"),
        "{}",
        process.stdout()
    );
}

/// `calltray lookup` says whose number it is and where the name came from, or, when nobody's,
/// how the number was read and what was searched; a vCard and a CSV are both read.
#[test]
fn lookup_explains_a_match_and_a_miss() {
    let session = Session::start();
    let dir = session.dir();
    std::fs::write(
        dir.join("team.vcf"),
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Marc Dubé\r\nTEL;TYPE=WORK:+33 1 42 76 49 78\r\nEND:VCARD\r\n",
    )
    .expect("writing the vCard");
    std::fs::write(
        dir.join("clients.csv"),
        "Name,Phone 1 - Value\nAcme Inc,514.555.1212 ::: 418-555-0100\n",
    )
    .expect("writing the CSV");
    std::fs::write(dir.join("broken.csv"), "just one column\nno phones here\n")
        .expect("writing the broken CSV");
    let config = dir.join("lookup.toml");
    std::fs::write(
        &config,
        format!(
            "extensions = [\"100\"]\ncontacts = [{:?}, {:?}, {:?}]\n",
            dir.join("team.vcf").display().to_string(),
            dir.join("clients.csv").display().to_string(),
            dir.join("broken.csv").display().to_string()
        ),
    )
    .expect("writing the config");
    let path = config.to_str().expect("a UTF-8 path");

    let found = run(
        &session,
        "lookup-found",
        &["lookup", "011 33 1 42 76 49 78", "--config", path],
    );
    found.assert_success("lookup of a contact");
    assert!(
        found
            .stdout
            .contains("reads as +33142764978, shown as +33 1 42 76 49 78")
            && found.stdout.contains("Name: Marc Dubé (from ")
            && found.stdout.contains("team.vcf"),
        "{}",
        found.show()
    );
    let second = run(
        &session,
        "lookup-second",
        &["lookup", "+1 418 555 0100", "--config", path],
    );
    assert!(
        second.stdout.contains("Name: Acme Inc"),
        "{}",
        second.show()
    );

    let missed = run(
        &session,
        "lookup-miss",
        &["lookup", "(416) 555-0000", "--config", path],
    );
    missed.assert_success("lookup of a stranger");
    assert!(
        missed
            .stdout
            .contains("reads as +14165550000, shown as (416) 555-0000")
            && missed.stdout.contains("No name matches.")
            && missed.stdout.contains("clients.csv: 2 numbers")
            && missed.stdout.contains("team.vcf: 1 number")
            && missed.stdout.contains("broken.csv: not read (")
            && missed.stdout.contains("set [ubity] api_key"),
        "{}",
        missed.show()
    );
    let text = run(
        &session,
        "lookup-text",
        &["lookup", "anonymous", "--config", path],
    );
    assert!(
        text.stdout.contains("is not a phone number"),
        "{}",
        text.show()
    );
}

/// `--help` of every command, in both languages, from the Fluent files: no description is
/// missing, and clap's own headings are translated.
#[test]
fn help_speaks_the_desktop_language_for_every_command() {
    let session = Session::start();
    let commands: [&[&str]; 10] = [
        &[],
        &["autostart"],
        &["autostart", "enable"],
        &["check"],
        &["simulate"],
        &["paths"],
        &["history"],
        &["secret"],
        &["secret", "new"],
        &["lookup"],
    ];
    for (locale, heading, missing) in [
        ("fr_CA.UTF-8", "Options\u{a0}:", "Unknown localization"),
        ("en_CA.UTF-8", "Options:", "Unknown localization"),
    ] {
        for command in commands {
            let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
            cmd.args(command).arg("--help").env("LANG", locale);
            let mut process = session.spawn("help", cmd);
            let status = process.wait_exit(DEFAULT_TIMEOUT).expect("help finishes");
            let out = process.stdout();
            assert!(
                status.success() && out.contains(heading) && !out.contains(missing),
                "{locale} {command:?}:\n{out}\n{}",
                process.stderr()
            );
        }
    }
    let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
    cmd.args(["simulate", "--help"]).env("LANG", "fr_CA.UTF-8");
    let mut process = session.spawn("help-fr", cmd);
    process.wait_exit(DEFAULT_TIMEOUT).expect("help finishes");
    let out = process.stdout();
    assert!(
        out.starts_with("Envoie à l’agent en marche")
            && out.contains("Utilisation : calltray simulate")
            && out.contains("(2 par défaut)")
            && !out.contains("[default"),
        "{out}"
    );
}

/// A reader that goes away (`calltray history | head -1`) ends a command quietly: no internal
/// error, no failure status.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let session = Session::start();
    for args in [&["history"][..], &["paths"], &["--help"]] {
        let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
        cmd.args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("starting calltray");
        // The reader leaves before anything is read.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("calltray finishes");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(0) && !stderr.contains("internal error"),
            "{args:?}: {:?}\n{stderr}",
            out.status
        );
    }
}

/// A fifo named as a contacts file (it would block a read until someone writes to it) is
/// refused, not waited on.
#[test]
fn a_fifo_named_as_contacts_is_refused_not_waited_on() {
    let session = Session::start();
    let fifo = session.dir().join("people.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("running mkfifo");
    assert!(made.success());
    let config = session.dir().join("fifo.toml");
    std::fs::write(
        &config,
        format!(
            "extensions = [\"100\"]\ncontacts = [{:?}]\n",
            fifo.display().to_string()
        ),
    )
    .expect("writing the config");
    let path = config.to_str().expect("a UTF-8 path");
    let r = run(
        &session,
        "lookup-fifo",
        &["lookup", "5145551212", "--config", path],
    );
    r.assert_success("lookup with a fifo in contacts");
    assert!(
        r.stdout
            .contains("people.csv: not read (not a regular file)"),
        "{}",
        r.show()
    );
}

/// A second calltray in the same session says the first is running, and where, and stops;
/// once the first is gone, a new one starts.
#[test]
fn a_second_agent_points_at_the_first_and_stops() {
    let session = Session::start();
    let mut first = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    let other = write_config(
        &session,
        "second.toml",
        "extensions = [\"100\"]\n[listen]\naddress = \"127.0.0.1:0\"\n",
    );
    let second = run(&session, "second", &["--headless", "--config", &other]);
    second.assert_success("a second start");
    assert!(
        second.stderr.contains(&format!(
            "calltray is already running (listening on {})",
            first.base
        )),
        "{}",
        second.show()
    );
    assert!(!second.stderr.contains("Listening on"), "{}", second.show());

    first.process.kill();
    let third = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    assert_eq!(third.get("/health").0, 200);
}

/// The agent keeps a log file in the state folder, where `calltray paths` says, with the same
/// lines as its standard error; the config's `log_level` sets how much goes there.
#[test]
fn the_agent_logs_to_a_file_that_paths_names() {
    let session = Session::start();
    let state = session
        .env()
        .into_iter()
        .find(|(k, _)| k == "XDG_STATE_HOME")
        .map(|(_, v)| std::path::PathBuf::from(v))
        .expect("the session's state folder");
    let log = state.join("calltray").join("calltray.log");
    let agent = Agent::start(
        &session,
        &format!("log_level = \"debug\"\n{TEST_CONFIG}"),
        &["--headless"],
    );
    assert_eq!(agent.get(&format!("/init?{IN_A}")).0, 200);
    let deadline = std::time::Instant::now() + DEFAULT_TIMEOUT;
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        // "event" lines are debug-level: the config's level reached the file.
        if text.contains("Listening on http://") && text.contains("DEBUG event") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}:\n{text}\n--- agent ---\n{}",
            log.display(),
            agent.process.logs()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let config = agent.config_path.to_str().expect("a UTF-8 path");
    let paths = run(&session, "paths-log", &["paths", "--config", config]);
    assert!(
        paths.stdout.contains(&log.display().to_string()),
        "{}",
        paths.show()
    );
}

/// `calltray autostart enable` writes an XDG autostart entry that runs this binary with the
/// config given, valid by `desktop-file-validate`; `status` and `disable` follow it.
#[test]
fn autostart_writes_and_removes_a_valid_login_entry() {
    let session = Session::start();
    let config_home = session
        .env()
        .into_iter()
        .find(|(k, _)| k == "XDG_CONFIG_HOME")
        .map(|(_, v)| std::path::PathBuf::from(v))
        .expect("the session's config folder");
    let entry = config_home
        .join("autostart")
        .join("io.github.calltray.Calltray.desktop");
    let config = write_config(&session, "desk 1.toml", "extensions = [\"100\"]\n");

    let status = run(
        &session,
        "status-off",
        &["autostart", "status", "--config", &config],
    );
    assert!(
        status.stdout.contains("does not start when you log in"),
        "{}",
        status.show()
    );

    let on = run(
        &session,
        "enable",
        &["autostart", "enable", "--config", &config],
    );
    on.assert_success("autostart enable");
    let text = std::fs::read_to_string(&entry).expect("the autostart entry");
    let exec = format!(
        "Exec=\"{}\" --config \"{config}\"",
        env!("CARGO_BIN_EXE_calltray")
    );
    assert!(text.contains(&exec), "{text}");
    let validated = std::process::Command::new("desktop-file-validate")
        .arg(&entry)
        .output()
        .expect("running desktop-file-validate");
    assert!(
        validated.status.success() && validated.stdout.is_empty(),
        "{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );
    let status = run(
        &session,
        "status-on",
        &["autostart", "status", "--config", &config],
    );
    assert!(
        status.stdout.contains("starts when you log in"),
        "{}",
        status.show()
    );

    let off = run(
        &session,
        "disable",
        &["autostart", "disable", "--config", &config],
    );
    assert!(off.stdout.contains("no longer start"), "{}", off.show());
    assert!(!entry.exists());
    let again = run(
        &session,
        "disable-again",
        &["autostart", "disable", "--config", &config],
    );
    assert!(again.stdout.contains("nothing to do"), "{}", again.show());
}

/// With the package's system-wide entry (in `$XDG_CONFIG_DIRS/autostart/`), calltray starts at
/// login until `disable` hides that entry with one of the user's own (`Hidden=true`, valid for
/// `desktop-file-validate`), and `enable` turns it back on.
#[test]
fn autostart_disable_hides_the_packages_entry_for_this_user() {
    let session = Session::start();
    let env = session.env();
    let var = |name: &str| {
        env.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| std::path::PathBuf::from(v))
            .expect(name)
    };
    let name = "io.github.calltray.Calltray.desktop";
    let system = var("XDG_CONFIG_DIRS").join("autostart").join(name);
    let user = var("XDG_CONFIG_HOME").join("autostart").join(name);
    std::fs::create_dir_all(system.parent().unwrap()).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/packaging/linux/",
            "io.github.calltray.Calltray.desktop"
        ),
        &system,
    )
    .expect("installing the package's entry");
    let config = write_config(&session, "desk.toml", "extensions = [\"100\"]\n");
    let autostart =
        |label: &str, what: &str| run(&session, label, &["autostart", what, "--config", &config]);

    let status = autostart("status-package", "status");
    assert!(
        status.stdout.contains("starts when you log in")
            && status.stdout.contains(&system.display().to_string()),
        "{}",
        status.show()
    );

    let off = autostart("disable", "disable");
    off.assert_success("autostart disable");
    assert!(
        off.stdout.contains("no longer start") && off.stdout.contains("installed with the package"),
        "{}",
        off.show()
    );
    assert!(system.exists(), "the package's own file is left alone");
    let hiding = std::fs::read_to_string(&user).expect("the user's hiding entry");
    assert!(hiding.contains("\nHidden=true\n"), "{hiding}");
    let validated = std::process::Command::new("desktop-file-validate")
        .arg(&user)
        .output()
        .expect("running desktop-file-validate");
    assert!(
        validated.status.success() && validated.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&validated.stdout)
    );
    let status = autostart("status-hidden", "status");
    assert!(
        status.stdout.contains("does not start when you log in"),
        "{}",
        status.show()
    );
    let again = autostart("disable-again", "disable");
    assert!(again.stdout.contains("nothing to do"), "{}", again.show());

    let on = autostart("enable", "enable");
    on.assert_success("autostart enable");
    let status = autostart("status-user", "status");
    assert!(
        status.stdout.contains("starts when you log in")
            && status.stdout.contains(&user.display().to_string()),
        "{}",
        status.show()
    );
    let own = std::fs::read_to_string(&user).expect("the user's entry");
    assert!(
        !own.contains("Hidden=true") && own.contains("\nExec="),
        "{own}"
    );

    // The package's entry turned off where it lives (by an administrator) starts nothing.
    let package = std::fs::read_to_string(&system).expect("the package's entry");
    std::fs::write(
        &system,
        format!("{package}X-GNOME-Autostart-enabled=false\n"),
    )
    .expect("turning the package's entry off");
    std::fs::remove_file(&user).expect("removing the user's entry");
    let status = autostart("status-admin-off", "status");
    assert!(
        status.stdout.contains("does not start when you log in"),
        "{}",
        status.show()
    );
}

/// A command that fails says so in the user's language, then the system's reason: here a
/// file is where the autostart folder should be.
#[test]
fn a_failing_command_says_why_in_french() {
    let session = Session::start();
    let folder = session.config_home().join("autostart");
    std::fs::create_dir_all(session.config_home()).expect("the config folder");
    std::fs::write(&folder, b"in the way").expect("a file where the folder goes");
    let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
    cmd.args(["autostart", "enable"]).env("LANG", "fr_CA.UTF-8");
    let mut process = session.spawn("autostart-fr", cmd);
    let status = process
        .wait_exit(DEFAULT_TIMEOUT)
        .expect("autostart finishes");
    assert_eq!(status.code(), Some(1), "{}", process.stderr());
    let said = process.stderr();
    assert!(
        said.starts_with("calltray : impossible d’écrire ")
            && said.contains("io.github.calltray.Calltray.desktop"),
        "{said}"
    );
    assert!(
        !said.contains("panicked") && !said.contains("Error {"),
        "{said}"
    );
}

/// Completion scripts and the manual page come from the command line's own definition: every
/// command is in them, and the bash script is valid bash.
#[test]
fn completions_and_man_page_cover_every_command() {
    let session = Session::start();
    let bash = run(&session, "completions", &["completions", "bash"]);
    bash.assert_success("calltray completions bash");
    let script = session.dir().join("calltray.bash");
    std::fs::write(&script, &bash.stdout).expect("writing the script");
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("running bash -n");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let man = run(&session, "man", &["man"]);
    man.assert_success("calltray man");
    assert!(man.stdout.contains(".TH calltray 1"), "{}", man.show());
    for command in [
        "check",
        "simulate",
        "history",
        "lookup",
        "autostart",
        "secret",
        "paths",
    ] {
        assert!(bash.stdout.contains(command), "completions lack {command}");
        assert!(man.stdout.contains(command), "the manual lacks {command}");
    }
    for shell in ["zsh", "fish"] {
        run(&session, shell, &["completions", shell]).assert_success(shell);
    }
}
