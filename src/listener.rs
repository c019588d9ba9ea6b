//! The HTTP side: where Ubity's callbacks arrive.
//!
//! Each request is judged by [`judge`], a pure function of the request's parts and the
//! config, then answered at once; an accepted event is handed to the agent over a bounded
//! channel. A request thread never waits on the tray, the event loop or the notification
//! service, so a slow desktop cannot make Ubity's callbacks time out.

use crate::agent::AgentMsg;
use crate::config::Config;
use crate::event::{CallEvent, EventKind};
use crate::params::{ParamError, Params};
use chrono::Utc;
use ipnet::IpNet;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, SyncSender, TrySendError, channel};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use thiserror::Error;
use tiny_http::{Header, Method, Request, Response, Server};

/// The largest form body read; Ubity's parameters fit in a fraction of this.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The longest request target accepted.
pub const MAX_URL_BYTES: usize = 8 * 1024;
/// Threads answering requests; each request is a few microseconds of work.
const WORKERS: usize = 4;
/// Threads that finish off requests whose body was refused unread.
const DRAINERS: usize = 2;
/// How long a read or write on a connection may wait before it fails, so that a client that
/// goes quiet cannot hold a thread for good.
pub const SOCKET_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What a request turned out to be, once judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `GET /health`.
    Health,
    /// A valid event for one of the user's extensions.
    Accept(CallEvent),
    /// A valid event for somebody else's extension: answered 200 so Ubity does not retry.
    Ignore(CallEvent),
}

/// A request that is refused, with the status and the one line that says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: String,
    /// For a 405: the methods the path does answer.
    pub allow: Option<&'static str>,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<String>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
            allow: None,
        }
    }

    fn method_not_allowed(reason: &str, allow: &'static str) -> Refusal {
        Refusal {
            allow: Some(allow),
            ..Refusal::new(405, reason)
        }
    }

    fn not_found() -> Refusal {
        Refusal::new(404, "not found")
    }
}

impl From<ParamError> for Refusal {
    fn from(e: ParamError) -> Refusal {
        Refusal::new(e.status(), e.to_string())
    }
}

/// The parts of a request [`judge`] looks at.
pub struct RequestParts<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
}

/// Decides what a request is and whether it is acceptable. Unknown paths and wrong secrets
/// get the same 404, before the method is even looked at, so probing learns nothing.
pub fn judge(req: &RequestParts<'_>, config: &Config) -> Result<Verdict, Refusal> {
    let Some(kind) = preflight(req.method, req.url, config)? else {
        return Ok(Verdict::Health);
    };
    let query = req.url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let mut params = Params::default();
    params.add_encoded(query)?;
    if req.method == "POST" {
        params.add_body(req.content_type, req.body)?;
    }
    let event =
        CallEvent::from_params(kind, &params).map_err(|e| Refusal::new(400, e.to_string()))?;
    if config.is_mine(event.sides().0) {
        Ok(Verdict::Accept(event))
    } else {
        Ok(Verdict::Ignore(event))
    }
}

/// What can be decided from the request line alone: the event a callback path is for, or
/// `None` for the health page. Run before any body is read, so that a wrong path or secret
/// costs the sender a 404 and costs calltray nothing.
pub fn preflight(method: &str, url: &str, config: &Config) -> Result<Option<EventKind>, Refusal> {
    if url.len() > MAX_URL_BYTES {
        return Err(Refusal::new(
            414,
            format!("URL longer than {MAX_URL_BYTES} bytes"),
        ));
    }
    let path = url.split_once('?').map(|(p, _)| p).unwrap_or(url);
    if path == "/health" {
        return match method {
            "GET" | "HEAD" => Ok(None),
            _ => Err(Refusal::method_not_allowed(
                "method not allowed: /health answers GET",
                "GET, HEAD",
            )),
        };
    }
    let kind = route(path, config).ok_or_else(Refusal::not_found)?;
    if method != "GET" && method != "POST" {
        return Err(Refusal::method_not_allowed(
            "method not allowed: callbacks use GET or POST",
            "GET, POST",
        ));
    }
    Ok(Some(kind))
}

/// The address a request comes from: the TCP peer, unless the peer is a trusted proxy (a
/// tunnel on this computer), whose word on the client is then taken: `CF-Connecting-IP`,
/// else the last `X-Forwarded-For` hop (the one the proxy itself added). `None` when a
/// trusted proxy forwards without saying for whom (Tailscale Funnel's marker alone).
pub fn client_address(
    peer: IpAddr,
    header: impl Fn(&str) -> Option<String>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    let parse = |text: &str| text.trim().parse::<IpAddr>().ok();
    if let Some(ip) = header("CF-Connecting-IP").as_deref().and_then(parse) {
        return Some(ip);
    }
    if let Some(list) = header("X-Forwarded-For") {
        return list.rsplit(',').next().and_then(parse);
    }
    if header("Tailscale-Funnel-Request").is_some() {
        return None;
    }
    Some(peer)
}

/// Whether a client may send anything at all.
pub fn allowed(client: Option<IpAddr>, allow_from: &[IpNet]) -> bool {
    allow_from.is_empty() || client.is_some_and(|ip| allow_from.iter().any(|n| n.contains(&ip)))
}

/// Which event a path is for, if it is one of the configured callback paths.
fn route(path: &str, config: &Config) -> Option<EventKind> {
    let listen = &config.listen;
    let rest = match &listen.secret {
        Some(secret) => {
            let after = path.strip_prefix('/')?;
            let (given, _) = after.split_once('/')?;
            if !crate::secret::matches(given, secret) {
                return None;
            }
            &after[given.len()..]
        }
        None => path,
    };
    [
        (&listen.initiated_path, EventKind::Initiated),
        (&listen.answered_path, EventKind::Answered),
        (&listen.ended_path, EventKind::Ended),
    ]
    .into_iter()
    .find(|(p, _)| p.as_str() == rest)
    .map(|(_, kind)| kind)
}

/// Why the listener could not start.
#[derive(Debug, Error)]
pub enum ListenError {
    #[error(
        "cannot listen on {address}: the port is already in use (is calltray already running, or another program on that port?); choose another port in [listen] address"
    )]
    InUse { address: SocketAddr },
    #[error(
        "cannot listen on {address}: permission denied (ports below 1024 need privileges); choose a port from 1024 up in [listen] address"
    )]
    Denied { address: SocketAddr },
    #[error(
        "cannot listen on {address}: that address does not belong to this computer; use 127.0.0.1 or 0.0.0.0 in [listen] address"
    )]
    NotLocal { address: SocketAddr },
    #[error("cannot listen on {address}: {source}")]
    Other {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// Binds the listening socket with read and write timeouts, which accepted connections
/// inherit on Linux: tiny_http sets none of its own.
fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(address),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_read_timeout(Some(SOCKET_TIMEOUT))?;
    socket.set_write_timeout(Some(SOCKET_TIMEOUT))?;
    socket.bind(&address.into())?;
    socket.listen(128)?;
    Ok(socket.into())
}

/// The running listener.
pub struct Listener {
    /// The address actually bound (the port is chosen by the system when 0 was asked for).
    pub address: SocketAddr,
}

/// What the request threads share.
struct Shared {
    config: Arc<Config>,
    agent: SyncSender<AgentMsg>,
    started: Instant,
    /// Milliseconds after `started` of the last valid callback, plus one; 0 for none yet.
    last_callback: AtomicU64,
    /// Requests refused because of their address (`allow_from`).
    refused_by_address: AtomicU64,
    /// Events answered 503 because the agent's queue was full.
    busy: AtomicU64,
    /// Answers whose request body was never read, for the drainer threads.
    drain: Sender<(Request, Response<std::io::Cursor<Vec<u8>>>)>,
}

/// Binds the configured address and starts answering requests on background threads.
pub fn start(config: Arc<Config>, agent: SyncSender<AgentMsg>) -> Result<Listener, ListenError> {
    let address = config.listen.address;
    let socket = bind(address).map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => ListenError::InUse { address },
        std::io::ErrorKind::PermissionDenied => ListenError::Denied { address },
        std::io::ErrorKind::AddrNotAvailable => ListenError::NotLocal { address },
        _ => ListenError::Other { address, source },
    })?;
    let bound = socket
        .local_addr()
        .map_err(|source| ListenError::Other { address, source })?;
    let server = Server::from_listener(socket, None).map_err(|e| ListenError::Other {
        address,
        source: std::io::Error::other(e.to_string()),
    })?;
    let server = Arc::new(server);
    let (drain, drained) = channel::<(Request, Response<std::io::Cursor<Vec<u8>>>)>();
    let drained = Arc::new(Mutex::new(drained));
    for i in 0..DRAINERS {
        let drained = Arc::clone(&drained);
        std::thread::Builder::new()
            .name(format!("http-drain-{i}"))
            .spawn(move || {
                loop {
                    let next = match drained.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok((request, response)) => send(request, response),
                        Err(_) => return,
                    }
                }
            })
            .map_err(|source| ListenError::Other { address, source })?;
    }
    let shared = Arc::new(Shared {
        config,
        agent,
        started: Instant::now(),
        last_callback: AtomicU64::new(0),
        refused_by_address: AtomicU64::new(0),
        busy: AtomicU64::new(0),
        drain,
    });
    for i in 0..WORKERS {
        let server = Arc::clone(&server);
        let shared = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("http-{i}"))
            .spawn(move || {
                while let Ok(request) = server.recv() {
                    answer(request, &shared);
                }
            })
            .map_err(|source| ListenError::Other { address, source })?;
    }
    Ok(Listener { address: bound })
}

/// Judges one request, hands over its event, and answers it.
fn answer(mut request: Request, shared: &Shared) {
    let mut allow = None;
    let mut body_read = false;
    let (status, text, content_type) = match read_and_judge(&mut request, shared, &mut body_read) {
        Ok(Verdict::Health) => (200, health_json(shared), "application/json"),
        Ok(Verdict::Ignore(event)) => {
            shared.note_callback();
            tracing::debug!(%event, "ignored: not one of this agent's extensions");
            let (mine, _) = event.sides();
            let who = match event.direction {
                crate::event::Direction::Incoming => "callee",
                crate::event::Direction::Outgoing => "caller",
            };
            (
                200,
                format!("ignored: {who} {mine} is not one of this agent's extensions\n"),
                "text/plain; charset=utf-8",
            )
        }
        Ok(Verdict::Accept(event)) => {
            shared.note_callback();
            let line = format!("accepted: {event}\n");
            match shared.agent.try_send(AgentMsg::Event(event, Utc::now())) {
                Ok(()) => (200, line, "text/plain; charset=utf-8"),
                Err(TrySendError::Full(_)) => {
                    let busy = shared.busy.fetch_add(1, Ordering::Relaxed) + 1;
                    // One line per thousand, so a flood cannot flood the log too.
                    if busy % 1000 == 1 {
                        tracing::warn!(
                            "event queue full; asked the sender to retry ({busy} times so far)"
                        );
                    }
                    (
                        503,
                        "busy: too many events at once, retry shortly\n".into(),
                        "text/plain; charset=utf-8",
                    )
                }
                Err(TrySendError::Disconnected(_)) => {
                    (503, "shutting down\n".into(), "text/plain; charset=utf-8")
                }
            }
        }
        Err(refusal) => {
            tracing::debug!(status = refusal.status, reason = %refusal.reason, "refused a request");
            allow = refusal.allow;
            (
                refusal.status,
                format!("{}\n", refusal.reason),
                "text/plain; charset=utf-8",
            )
        }
    };
    let mut response = Response::from_string(text).with_status_code(status);
    if let Ok(h) = Header::from_bytes("Content-Type", content_type) {
        response.add_header(h);
    }
    if let Some(h) = allow.and_then(|methods| Header::from_bytes("Allow", methods).ok()) {
        response.add_header(h);
    }
    let chunked = header_value(&request, "Transfer-Encoding").is_some();
    let unread_body = !body_read && request.body_length().map_or(chunked, |n| n > 0);
    if unread_body {
        // tiny_http reads an unread body to its end once the request is answered; a sender
        // that never sends it would hold this thread. A drainer thread waits instead.
        if let Err(returned) = shared.drain.send((request, response)) {
            let (request, response) = returned.0;
            send(request, response);
        }
    } else {
        send(request, response);
    }
}

fn send(request: Request, response: Response<std::io::Cursor<Vec<u8>>>) {
    if let Err(e) = request.respond(response) {
        tracing::debug!("could not send a response: {e}");
    }
}

/// The value of a request header, whatever the case of its name.
fn header_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

fn read_and_judge(
    request: &mut Request,
    shared: &Shared,
    body_read: &mut bool,
) -> Result<Verdict, Refusal> {
    let method = match request.method() {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        _ => "OTHER",
    };
    let content_type = header_value(request, "Content-Type");
    let peer = request
        .remote_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let header = |name: &str| header_value(request, name);
    let listen = &shared.config.listen;
    if !allowed(
        client_address(peer, header, &listen.trusted_proxies),
        &listen.allow_from,
    ) {
        // Counted rather than logged: a scan must not flood the log.
        shared.refused_by_address.fetch_add(1, Ordering::Relaxed);
        return Err(Refusal::new(
            403,
            "forbidden: this address may not send callbacks",
        ));
    }
    let url = request.url().to_string();
    preflight(method, &url, &shared.config)?;
    let mut body = Vec::new();
    if method == "POST" {
        if request.body_length().is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(Refusal::new(
                413,
                format!("body larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
        *body_read = true;
        request
            .as_reader()
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|_| Refusal::new(400, "could not read the body"))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(Refusal::new(
                413,
                format!("body larger than {MAX_BODY_BYTES} bytes"),
            ));
        }
    }
    judge(
        &RequestParts {
            method,
            url: &url,
            content_type: content_type.as_deref(),
            body: &body,
        },
        &shared.config,
    )
}

impl Shared {
    fn note_callback(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.last_callback.store(ms + 1, Ordering::Relaxed);
    }
}

fn health_json(shared: &Shared) -> String {
    let uptime = shared.started.elapsed().as_secs();
    let last = shared.last_callback.load(Ordering::Relaxed);
    let since = (last > 0)
        .then(|| (shared.started.elapsed().as_millis() as u64).saturating_sub(last - 1) / 1000);
    serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": uptime,
        "seconds_since_last_callback": since,
        "refused_by_address": shared.refused_by_address.load(Ordering::Relaxed),
        "answered_busy": shared.busy.load(Ordering::Relaxed),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(extra: &str) -> Config {
        Config::parse(
            &format!("extensions = [\"100\"]\n{extra}"),
            Path::new("t.toml"),
        )
        .expect("test config")
    }

    fn get(url: &str, config: &Config) -> Result<Verdict, Refusal> {
        judge(
            &RequestParts {
                method: "GET",
                url,
                content_type: None,
                body: b"",
            },
            config,
        )
    }

    #[test]
    fn routes_the_three_events_and_health() {
        let c = config("");
        let q = "?callid=A&type=incoming&caller=5145551212&callee=100";
        for (path, kind) in [
            ("/init", EventKind::Initiated),
            ("/answered", EventKind::Answered),
            ("/ended", EventKind::Ended),
        ] {
            match get(&format!("{path}{q}"), &c) {
                Ok(Verdict::Accept(e)) => assert_eq!(e.kind, kind),
                other => panic!("{path}: {other:?}"),
            }
        }
        assert_eq!(get("/health", &c), Ok(Verdict::Health));
        assert_eq!(get("/nope", &c).unwrap_err().status, 404);
    }

    #[test]
    fn other_extensions_are_ignored_not_refused() {
        let c = config("");
        let v = get(
            "/init?callid=A&type=incoming&caller=5145551212&callee=200",
            &c,
        )
        .unwrap();
        assert!(matches!(v, Verdict::Ignore(_)));
        let v = get("/init?callid=A&type=outgoing&caller=200&callee=100", &c).unwrap();
        assert!(
            matches!(v, Verdict::Ignore(_)),
            "outgoing is matched on the caller"
        );
    }

    #[test]
    fn secret_moves_the_paths() {
        let c = config("[listen]\nsecret = \"s3cr3t-s3cr3t-s3cr3t-s3\"\n");
        let q = "?callid=A&type=incoming&caller=1&callee=100";
        assert!(matches!(
            get(&format!("/s3cr3t-s3cr3t-s3cr3t-s3/init{q}"), &c),
            Ok(Verdict::Accept(_))
        ));
        assert_eq!(get(&format!("/init{q}"), &c).unwrap_err().status, 404);
        assert_eq!(
            get(&format!("/wrong-secret-wrong/init{q}"), &c)
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            get(&format!("/s3cr3t-s3cr3t-s3cr3t-s/init{q}"), &c)
                .unwrap_err()
                .status,
            404
        );
    }

    #[test]
    fn client_address_believes_only_trusted_proxies() {
        let loopback: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let headers = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_string())
            }
        };
        type Headers = &'static [(&'static str, &'static str)];
        let table: &[(&str, Headers, Option<&str>)] = &[
            ("127.0.0.1", &[], Some("127.0.0.1")),
            (
                "127.0.0.1",
                &[("CF-Connecting-IP", "203.0.113.9")],
                Some("203.0.113.9"),
            ),
            (
                "127.0.0.1",
                &[("X-Forwarded-For", "10.0.0.1, 203.0.113.7")],
                Some("203.0.113.7"),
            ),
            ("127.0.0.1", &[("X-Forwarded-For", "garbage")], None),
            ("127.0.0.1", &[("Tailscale-Funnel-Request", "?1")], None),
            (
                "198.51.100.4",
                &[("CF-Connecting-IP", "203.0.113.9")],
                Some("198.51.100.4"),
            ),
        ];
        for (peer, hs, want) in table {
            let got = client_address(ip(peer), headers(hs), &loopback);
            assert_eq!(got, want.map(ip), "{peer} {hs:?}");
        }
        let allow: Vec<IpNet> = vec!["203.0.113.0/24".parse().unwrap()];
        assert!(allowed(Some(ip("203.0.113.200")), &allow));
        assert!(!allowed(Some(ip("127.0.0.1")), &allow));
        assert!(!allowed(None, &allow));
        assert!(allowed(None, &[]));
    }

    #[test]
    fn refusals_say_why() {
        let c = config("");
        let table = [
            ("PUT", "/init?callid=A", None, &b""[..], 405, "GET or POST"),
            ("PUT", "/elsewhere", None, &b""[..], 404, "not found"),
            (
                "GET",
                "/init?type=incoming&caller=1&callee=100",
                None,
                &b""[..],
                400,
                "missing parameter `callid`",
            ),
            (
                "GET",
                "/ended?callid=A&type=incoming&caller=1&callee=100&duration=x",
                None,
                &b""[..],
                400,
                "`duration`",
            ),
            (
                "GET",
                "/init?callid=%G1",
                None,
                &b""[..],
                400,
                "percent-encoding",
            ),
            (
                "POST",
                "/init",
                Some("application/json"),
                &b"{}"[..],
                415,
                "application/x-www-form-urlencoded",
            ),
            (
                "POST",
                "/init?callid=A",
                Some("application/x-www-form-urlencoded"),
                &b"callid=B"[..],
                400,
                "twice",
            ),
        ];
        for (method, url, ct, body, status, words) in table {
            let r = judge(
                &RequestParts {
                    method,
                    url,
                    content_type: ct,
                    body,
                },
                &c,
            )
            .unwrap_err();
            assert_eq!(r.status, status, "{method} {url}: {}", r.reason);
            assert!(r.reason.contains(words), "{method} {url}: {}", r.reason);
        }
    }

    #[test]
    fn post_body_carries_parameters() {
        let c = config("");
        let body = b"callid=A&type=incoming&caller=5145551212&callee=100";
        let v = judge(
            &RequestParts {
                method: "POST",
                url: "/init",
                content_type: Some("application/x-www-form-urlencoded"),
                body,
            },
            &c,
        );
        assert!(matches!(v, Ok(Verdict::Accept(_))), "{v:?}");
    }
}
