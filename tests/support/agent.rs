//! Running the real `calltray` binary inside a [`Session`] and talking to it over HTTP.

use super::{DEFAULT_TIMEOUT, Process, Session, WaitError};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A config with the listener on a port the system picks, so tests never collide.
pub const TEST_CONFIG: &str = r#"
extensions = ["100", "101"]
ring_timeout = 120

[listen]
address = "127.0.0.1:0"
"#;

/// Ubity's own example: extension 100 called from 5145551212.
pub const IN_A: &str = "callid=ABC12345&type=incoming&caller=5145551212&callee=100";

/// A private session with a test notification service, and a headless agent on
/// [`TEST_CONFIG`] in it.
pub fn start_headless() -> (super::Session, super::NotificationServer, Agent) {
    let session = super::Session::start();
    let notifications = super::NotificationServer::start(&session);
    let agent = Agent::start(&session, TEST_CONFIG, &["--headless"]);
    (session, notifications, agent)
}

/// A running calltray, with the address its listener reported.
pub struct Agent {
    pub process: Process,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub config_path: PathBuf,
}

impl Agent {
    /// Writes `config` to a file in the session and starts `calltray --config FILE ARGS...`,
    /// then waits until it logs the address it listens on.
    pub fn start(session: &Session, config: &str, args: &[&str]) -> Agent {
        Agent::start_with_env(session, config, args, &[])
    }

    /// [`Agent::start`] with extra environment variables (a `PATH` with stand-in programs).
    pub fn start_with_env(
        session: &Session,
        config: &str,
        args: &[&str],
        env: &[(&str, std::ffi::OsString)],
    ) -> Agent {
        let config_path = session.dir().join("calltray.toml");
        std::fs::write(&config_path, config).expect("writing the test config");
        let mut cmd = session.command(env!("CARGO_BIN_EXE_calltray"));
        cmd.arg("--config").arg(&config_path).args(args);
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        let mut process = session.spawn("calltray", cmd);
        let base =
            wait_for_listening(&mut process, DEFAULT_TIMEOUT).expect("calltray starts listening");
        Agent {
            process,
            base,
            config_path,
        }
    }

    /// Sends a request and returns the status and body, whatever the status.
    pub fn request(
        &self,
        method: &str,
        path_and_query: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> (u16, String) {
        let url = format!("{}{}", self.base, path_and_query);
        let mut builder = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(ct) = content_type {
            builder = builder.header("Content-Type", ct);
        }
        let request = builder.body(body.to_vec()).expect("a valid test request");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .allow_non_standard_methods(true)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let mut response = agent
            .run(request)
            .unwrap_or_else(|e| panic!("{method} {url} failed: {e}\n{}", self.process.logs()));
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, text)
    }

    pub fn get(&self, path_and_query: &str) -> (u16, String) {
        self.request("GET", path_and_query, None, b"")
    }
}

/// Waits for calltray's "Listening on http://ADDR" line and returns the URL.
pub fn wait_for_listening(process: &mut Process, timeout: Duration) -> Result<String, WaitError> {
    let deadline = Instant::now() + timeout;
    loop {
        let stderr = process.stderr();
        if let Some(rest) = stderr.split("Listening on ").nth(1) {
            let url: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            return Ok(url);
        }
        if let Some(status) = process.try_wait() {
            return Err(WaitError::new(format!(
                "calltray exited ({status}) before listening:\n{}",
                process.logs()
            )));
        }
        if Instant::now() > deadline {
            return Err(WaitError::new(format!(
                "calltray did not report its address within {timeout:?}:\n{}",
                process.logs()
            )));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A response read off the wire by [`Agent::exchange`].
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Agent {
    /// Sends one raw HTTP/1.1 request (`Connection: close`) and reads the whole reply.
    ///
    /// `target` goes on the wire byte for byte, so malformed escapes reach the server exactly
    /// as written. A `Content-Length` is added for a non-empty body unless `headers` already
    /// set `Content-Length` or `Transfer-Encoding` (then `body` must already be framed).
    pub fn exchange(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        use std::io::{Read, Write};
        let host = self.base.trim_start_matches("http://");
        let mut head =
            format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        let framed = headers.iter().any(|(k, _)| {
            k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding")
        });
        if !framed && !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let fail = |what: &str, e: std::io::Error| -> ! {
            panic!("{method} {target}: {what}: {e}\n{}", self.process.logs())
        };
        let mut stream =
            std::net::TcpStream::connect(host).unwrap_or_else(|e| fail("connecting", e));
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .and_then(|()| stream.set_write_timeout(Some(Duration::from_secs(10))))
            .unwrap_or_else(|e| fail("setting timeouts", e));
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        stream
            .write_all(&request)
            .unwrap_or_else(|e| fail("sending", e));
        let mut raw = Vec::new();
        stream
            .read_to_end(&mut raw)
            .unwrap_or_else(|e| fail("reading the reply", e));
        parse_reply(&raw).unwrap_or_else(|| {
            panic!(
                "{method} {target}: unreadable reply {:?}\n{}",
                String::from_utf8_lossy(&raw),
                self.process.logs()
            )
        })
    }
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let mut body = Vec::new();
    if chunked {
        loop {
            let end = rest.windows(2).position(|w| w == b"\r\n")?;
            let size_text = std::str::from_utf8(&rest[..end]).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            rest = &rest[end + 2..];
            if size == 0 {
                break;
            }
            body.extend_from_slice(rest.get(..size)?);
            rest = rest.get(size + 2..)?;
        }
    } else {
        body.extend_from_slice(rest);
    }
    Some(Reply {
        status,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}
