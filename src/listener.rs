//! The HTTP side: where Ubity's callbacks arrive.
//!
//! Each request is judged by [`judge`], a pure function of the request's parts and the
//! config, then answered at once; an accepted event is handed to the agent over a bounded
//! channel. A request thread never waits on the tray, the event loop or the notification
//! service, so a slow desktop cannot make Ubity's callbacks time out.

use crate::agent::AgentMsg;
use crate::config::Config;
use crate::event::{CallEvent, EventKind};
use crate::framing::PEER_HEADER;
pub use crate::framing::{MAX_BODY_BYTES, MAX_URL_BYTES};
use crate::guard::{Control, Guard, GuardHandle, GuardStats, Internal, Job};
use crate::history::Recorder;
use crate::params::{ParamError, Params};
pub use crate::view::ListenerNote;
use chrono::Utc;
use ipnet::IpNet;
use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, SyncSender, TrySendError, channel};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use thiserror::Error;
use tiny_http::{Header, Method, Request, Response, Server};

/// Threads answering requests; each request is a few microseconds of work.
const WORKERS: usize = 4;
/// Threads passing whole requests from the guard to tiny_http, one kept connection each.
const FORWARDERS: usize = 4;

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
                "method not allowed: /health answers GET and HEAD",
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
/// tunnel on this computer), whose word on the client is then taken. `header` gives every
/// value of a header, in order.
///
/// - A Tailscale Funnel request names no client (Funnel passes the client's own headers
///   through), so it is `None`: unknown.
/// - Else the last `X-Forwarded-For` hop, across all its lines: the one the nearest proxy
///   added. cloudflared (Cloudflare adds it) and ngrok both send it, so a client's own
///   `CF-Connecting-IP` cannot win through ngrok.
/// - Else `CF-Connecting-IP`.
///
/// IPv4 clients of a dual-stack socket arrive as `::ffff:a.b.c.d`; they are compared as IPv4.
pub fn client_address(
    peer: IpAddr,
    header: impl Fn(&str) -> Vec<String>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer.to_canonical();
    if !trusted.iter().any(|net| net.contains(&peer)) {
        return Some(peer);
    }
    let parse = |text: &str| {
        text.trim()
            .parse::<IpAddr>()
            .ok()
            .map(|ip| ip.to_canonical())
    };
    if !header("Tailscale-Funnel-Request").is_empty() {
        return None;
    }
    let forwarded = header("X-Forwarded-For").join(",");
    if !forwarded.trim().is_empty() {
        return forwarded.rsplit(',').next().and_then(parse);
    }
    match header("CF-Connecting-IP").as_slice() {
        [] => Some(peer),
        [one] => parse(one),
        _ => None,
    }
}

/// Whether a client may send anything at all.
pub fn allowed(client: Option<IpAddr>, allow_from: &[IpNet]) -> bool {
    allow_from.is_empty()
        || client
            .map(|ip| ip.to_canonical())
            .is_some_and(|ip| allow_from.iter().any(|n| n.contains(&ip)))
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
    /// `cause` is in the message and not a `source`, so that a report of the whole chain
    /// does not say it twice.
    #[error("cannot listen on {address}: {cause}")]
    Other {
        address: SocketAddr,
        cause: std::io::Error,
    },
}

/// Binds the listening socket. Nothing else touches it but the guard's `poll` loop.
fn bind(address: SocketAddr) -> Result<TcpListener, ListenError> {
    use socket2::{Domain, Protocol, Socket, Type};
    let open = || -> std::io::Result<TcpListener> {
        let socket = Socket::new(
            Domain::for_address(address),
            Type::STREAM,
            Some(Protocol::TCP),
        )?;
        socket.set_reuse_address(true)?;
        socket.bind(&address.into())?;
        socket.listen(1024)?;
        Ok(socket.into())
    };
    open().map_err(|source| match source.kind() {
        std::io::ErrorKind::AddrInUse => ListenError::InUse { address },
        std::io::ErrorKind::PermissionDenied => ListenError::Denied { address },
        std::io::ErrorKind::AddrNotAvailable => ListenError::NotLocal { address },
        _ => ListenError::Other {
            address,
            cause: source,
        },
    })
}

/// The running listener: the public socket and its guard, tiny_http behind it on a private
/// channel, and a supervisor that rebuilds whichever part fails.
pub struct Listener {
    stack: Arc<Stack>,
}

/// What the request threads share.
struct Shared {
    config: RwLock<Arc<Config>>,
    agent: SyncSender<AgentMsg>,
    /// Where accepted events are committed before they are answered 200.
    history: Recorder,
    started: Instant,
    /// Milliseconds after `started` of the last valid callback, plus one; 0 for none yet.
    last_callback: AtomicU64,
    /// Requests refused because of their address (`allow_from`).
    refused_by_address: AtomicU64,
    /// Events answered 503 because the agent's queue was full.
    busy: AtomicU64,
    guard: Arc<GuardStats>,
    /// Times a failed part of the listener was rebuilt.
    restarts: AtomicU64,
    /// Why the listener is down, while it is.
    down: Mutex<Option<String>>,
}

impl Shared {
    fn config(&self) -> Arc<Config> {
        match self.config.read() {
            Ok(c) => Arc::clone(&c),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

/// A failure the supervisor must repair, with the generation of the part that failed (a
/// report about a part already replaced is ignored).
enum Fault {
    Guard(u64, String),
    Internal(u64, String),
}

struct Stack {
    shared: Arc<Shared>,
    /// The public socket, kept so that a restarted guard listens on the very same one.
    public: Mutex<TcpListener>,
    address: Mutex<SocketAddr>,
    guard: Mutex<(u64, GuardHandle)>,
    jobs: Sender<Job>,
    internal: Arc<RwLock<Arc<Internal>>>,
    /// The tiny_http server now in use, so that its worker threads can be let go on a rebuild.
    server: Mutex<Arc<Server>>,
    /// Where tiny_http's private endpoints live ([`crate::platform::internal_home`]).
    home: crate::platform::InternalHome,
    faults: Sender<Fault>,
}

/// How long the supervisor waits before rebuilding a failed part, so a fault that repeats
/// at once does not spin.
const RESTART_DELAY: Duration = Duration::from_secs(1);

/// Binds the configured address and starts answering requests on background threads.
pub fn start(
    config: Arc<Config>,
    agent: SyncSender<AgentMsg>,
    history: Recorder,
) -> Result<Listener, ListenError> {
    let address = config.listen.address;
    let public = bind(address)?;
    let other = |cause: std::io::Error| ListenError::Other { address, cause };
    let bound = public.local_addr().map_err(other)?;
    let home = crate::platform::internal_home().map_err(other)?;
    let shared = Arc::new(Shared {
        config: RwLock::new(config),
        agent,
        history,
        started: Instant::now(),
        last_callback: AtomicU64::new(0),
        refused_by_address: AtomicU64::new(0),
        busy: AtomicU64::new(0),
        guard: Arc::new(GuardStats::default()),
        restarts: AtomicU64::new(0),
        down: Mutex::new(None),
    });
    let (faults, faulted) = channel::<Fault>();
    let (server, internal) = serve_internal(&home, 1, &shared, &faults).map_err(other)?;
    let internal = Arc::new(RwLock::new(Arc::new(internal)));
    let (jobs, queued) = channel::<Job>();
    let queued = Arc::new(Mutex::new(queued));
    for i in 0..FORWARDERS {
        let queued = Arc::clone(&queued);
        let internal = Arc::clone(&internal);
        let faults = faults.clone();
        spawn(&format!("http-fwd-{i}"), move || {
            crate::guard::forwarder(queued, internal, move |generation, why| {
                let _ = faults.send(Fault::Internal(generation, why));
            });
        })
        .map_err(other)?;
    }
    let guard = start_guard(&public, 1, &jobs, &shared, &faults).map_err(other)?;
    let stack = Arc::new(Stack {
        shared,
        public: Mutex::new(public),
        address: Mutex::new(bound),
        guard: Mutex::new((1, guard)),
        jobs,
        internal,
        server: Mutex::new(server),
        home,
        faults,
    });
    let supervised = Arc::clone(&stack);
    spawn("http-supervisor", move || supervise(&supervised, faulted)).map_err(other)?;
    Ok(Listener { stack })
}

impl Listener {
    /// The address actually bound (the port is chosen by the system when 0 was asked for).
    pub fn address(&self) -> SocketAddr {
        *lock(&self.stack.address)
    }

    /// Applies a new config: request judging follows it at once, and a new address is bound
    /// before the old one is let go, so a failed rebind leaves it listening where it was.
    pub fn reconfigure(&self, config: Arc<Config>) -> Result<SocketAddr, ListenError> {
        let wanted = config.listen.address;
        let current = self.address();
        let same = wanted == current || (wanted.port() == 0 && wanted.ip() == current.ip());
        match self.stack.shared.config.write() {
            Ok(mut c) => *c = config,
            Err(poisoned) => *poisoned.into_inner() = config,
        }
        if !same {
            let public = bind(wanted)?;
            let other = |cause| ListenError::Other {
                address: wanted,
                cause,
            };
            let bound = public.local_addr().map_err(other)?;
            let for_guard = public.try_clone().map_err(other)?;
            *lock(&self.stack.public) = public;
            *lock(&self.stack.address) = bound;
            lock(&self.stack.guard).1.send(Control::Swap(for_guard));
        }
        Ok(self.address())
    }

    /// Makes the guard fail as a bug would, to test the supervisor.
    #[cfg(test)]
    fn break_guard(&self) {
        lock(&self.stack.guard).1.send(Control::Panic);
    }

    /// Makes a tiny_http worker see the error its accept loop reports when it dies.
    #[cfg(test)]
    fn break_tiny_http(&self) {
        lock(&self.stack.server).unblock();
    }
}

impl Listener {
    /// Stops taking connections and removes tiny_http's private socket. Called on the way out
    /// (the tray's event loop ends the process without running destructors).
    pub fn close(&self) {
        lock(&self.stack.guard).1.send(Control::Stop);
        crate::platform::remove_internal_home(&self.stack.home);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.close();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn spawn(
    name: &str,
    f: impl FnOnce() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name(name.to_string()).spawn(f)
}

/// Starts tiny_http on a fresh private endpoint, with its worker threads. Where others can
/// reach that endpoint too, a fresh random key is what lets a request in.
fn serve_internal(
    home: &crate::platform::InternalHome,
    generation: u64,
    shared: &Arc<Shared>,
    faults: &Sender<Fault>,
) -> std::io::Result<(Arc<Server>, Internal)> {
    let key = if crate::platform::INTERNAL_IS_PRIVATE {
        None
    } else {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        Some(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
    };
    let (server, addr) = crate::platform::bind_internal(home, generation)?;
    let server = Arc::new(server);
    for i in 0..WORKERS {
        let server = Arc::clone(&server);
        let shared = Arc::clone(shared);
        let faults = faults.clone();
        let key = key.clone();
        spawn(&format!("http-{i}"), move || {
            let why = loop {
                match server.recv() {
                    Ok(request) => answer(request, &shared, key.as_deref()),
                    Err(e) => break e.to_string(),
                }
            };
            let _ = faults.send(Fault::Internal(generation, why));
        })?;
    }
    Ok((
        server,
        Internal {
            addr,
            key,
            generation,
        },
    ))
}

/// Starts a guard loop on (a clone of) the public socket; its end, by panic or error, is
/// reported as a fault.
fn start_guard(
    public: &TcpListener,
    generation: u64,
    jobs: &Sender<Job>,
    shared: &Arc<Shared>,
    faults: &Sender<Fault>,
) -> std::io::Result<GuardHandle> {
    let (guard, handle) = Guard::new(
        public.try_clone()?,
        jobs.clone(),
        Arc::clone(&shared.guard),
        crate::guard::connection_cap(),
    )?;
    let judged = Arc::clone(shared);
    let guard = guard.with_shortcut(Box::new(move |request: &[u8]| {
        answer_ignored_early(request, &judged)
    }));
    let faults = faults.clone();
    spawn("http-guard", move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| guard.run()));
        let why = match outcome {
            Ok(Ok(())) => return,
            Ok(Err(e)) => format!("the connection loop failed: {e}"),
            Err(_) => "the connection loop stopped on an internal error".to_string(),
        };
        let _ = faults.send(Fault::Guard(generation, why));
    })?;
    Ok(handle)
}

/// Waits for faults and rebuilds what failed, telling the tray and `/health` meanwhile.
fn supervise(stack: &Stack, faults: std::sync::mpsc::Receiver<Fault>) {
    let mut guard_generation = 1;
    let mut internal_generation = 1;
    while let Ok(fault) = faults.recv() {
        let (is_guard, why) = match fault {
            Fault::Guard(g, why) if g == guard_generation => (true, why),
            Fault::Internal(g, why) if g == internal_generation => (false, why),
            _ => continue,
        };
        tracing::error!("listener failed: {why}; restarting it");
        *lock(&stack.shared.down) = Some(why.clone());
        let _ = stack
            .shared
            .agent
            .send(AgentMsg::Listener(ListenerNote::Down(why)));
        loop {
            std::thread::sleep(RESTART_DELAY);
            let rebuilt = if is_guard {
                let public = lock(&stack.public);
                start_guard(
                    &public,
                    guard_generation + 1,
                    &stack.jobs,
                    &stack.shared,
                    &stack.faults,
                )
                .map(|handle| {
                    guard_generation += 1;
                    *lock(&stack.guard) = (guard_generation, handle);
                })
            } else {
                serve_internal(
                    &stack.home,
                    internal_generation + 1,
                    &stack.shared,
                    &stack.faults,
                )
                .map(|(server, internal)| {
                    internal_generation += 1;
                    let old = std::mem::replace(&mut *lock(&stack.server), server);
                    let old_internal = lock_read(&stack.internal);
                    if let Ok(mut slot) = stack.internal.write() {
                        *slot = Arc::new(internal);
                    }
                    for _ in 0..WORKERS {
                        old.unblock();
                    }
                    crate::platform::remove_internal(&old_internal.addr);
                })
            };
            match rebuilt {
                Ok(()) => break,
                Err(e) => tracing::error!("could not restart the listener yet: {e}"),
            }
        }
        stack.shared.restarts.fetch_add(1, Ordering::Relaxed);
        *lock(&stack.shared.down) = None;
        let address = *lock(&stack.address);
        tracing::info!("listener restarted on {address}");
        let _ = stack
            .shared
            .agent
            .send(AgentMsg::Listener(ListenerNote::Up(address)));
    }
}

fn lock_read<T: Clone>(lock: &RwLock<T>) -> T {
    match lock.read() {
        Ok(v) => v.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// Judges one request, hands over its event, and answers it. `key`: what the request must
/// carry in [`crate::guard::KEY_HEADER`] to have come through the guard, where the channel
/// is not private.
fn answer(mut request: Request, shared: &Shared, key: Option<&str>) {
    if let Some(key) = key {
        let given = header_value(&request, crate::guard::KEY_HEADER);
        if !given.is_some_and(|given| crate::secret::matches(&given, key)) {
            return respond(
                request,
                403,
                "forbidden: unknown sender\n".into(),
                "text/plain; charset=utf-8",
                None,
            );
        }
    }
    let mut allow = None;
    let (status, text, content_type) = match read_and_judge(&mut request, shared) {
        Ok(Verdict::Health) => (200, health_json(shared), "application/json"),
        Ok(Verdict::Ignore(event)) => {
            shared.note_callback();
            tracing::debug!(%event, "ignored: not one of this agent's extensions");
            (
                200,
                format!("{}\n", ignored_text(&event)),
                "text/plain; charset=utf-8",
            )
        }
        Ok(Verdict::Accept(event)) => {
            shared.note_callback();
            let line = format!("accepted: {event}\n");
            let at = Utc::now();
            // The agent gets the event first, so the toast does not wait for the disk; the 200
            // waits until the event is on disk, so an acknowledged event survives a crash. If
            // the write fails the answer is 503: Ubity sends the event again, and the tracker
            // counts the repeat once.
            match shared
                .agent
                .try_send(AgentMsg::Event(Box::new((event.clone(), at))))
            {
                Ok(()) if shared.history.record(event, at) => {
                    (200, line, "text/plain; charset=utf-8")
                }
                Ok(()) => (
                    503,
                    "busy: could not save the event, retry shortly\n".into(),
                    "text/plain; charset=utf-8",
                ),
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
    respond(request, status, text, content_type, allow);
}

/// The answer to an event for another extension, without its line end.
fn ignored_text(event: &CallEvent) -> String {
    let (mine, _) = event.sides();
    let who = match event.direction {
        crate::event::Direction::Incoming => "callee",
        crate::event::Direction::Outgoing => "caller",
    };
    format!("ignored: {who} {mine} is not one of this agent's extensions")
}

/// The guard's shortcut ([`Guard::with_shortcut`]): a GET for another extension, from an
/// allowed client, is answered where it was framed, by the same rules as [`answer`]. Anything
/// else (events to record, refusals to count, bodies, the health page) goes to tiny_http.
fn answer_ignored_early(request: &[u8], shared: &Shared) -> Option<Vec<u8>> {
    let mut headers = [httparse::EMPTY_HEADER; 80];
    let mut parsed = httparse::Request::new(&mut headers);
    if !matches!(parsed.parse(request), Ok(httparse::Status::Complete(_)))
        || parsed.method != Some("GET")
    {
        return None;
    }
    let url = parsed.path?;
    let header = |name: &str| -> Vec<String> {
        parsed
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
            .collect()
    };
    // The framer adds the TCP peer and drops any copy a client sent.
    let peer = header(PEER_HEADER).first()?.parse::<IpAddr>().ok()?;
    let config = shared.config();
    let listen = &config.listen;
    if !allowed(
        client_address(peer, header, &listen.trusted_proxies),
        &listen.allow_from,
    ) {
        return None;
    }
    let parts = RequestParts {
        method: "GET",
        url,
        content_type: None,
        body: &[],
    };
    let Ok(Verdict::Ignore(event)) = judge(&parts, &config) else {
        return None;
    };
    shared.note_callback();
    tracing::debug!(%event, "ignored: not one of this agent's extensions");
    Some(crate::framing::plain_response(
        200,
        &ignored_text(&event),
        false,
    ))
}

fn respond(
    request: Request,
    status: u16,
    text: String,
    content_type: &str,
    allow: Option<&'static str>,
) {
    let mut response = Response::from_string(text).with_status_code(status);
    if let Ok(h) = Header::from_bytes("Content-Type", content_type) {
        response.add_header(h);
    }
    if let Some(h) = allow.and_then(|methods| Header::from_bytes("Allow", methods).ok()) {
        response.add_header(h);
    }
    if let Err(e) = request.respond(response) {
        tracing::debug!("could not send a response: {e}");
    }
}

/// Every value of a request header, in order, whatever the case of its name.
fn header_values(request: &Request, name: &str) -> Vec<String> {
    request
        .headers()
        .iter()
        .filter(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
        .collect()
}

/// The value of a request header, whatever the case of its name.
fn header_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

fn read_and_judge(request: &mut Request, shared: &Shared) -> Result<Verdict, Refusal> {
    let method = match request.method() {
        Method::Get => "GET",
        Method::Head => "HEAD",
        Method::Post => "POST",
        _ => "OTHER",
    };
    let config = shared.config();
    let content_type = header_value(request, "Content-Type");
    // Only the guard reaches tiny_http, and it always says who the TCP peer was.
    let peer = header_value(request, PEER_HEADER)
        .and_then(|ip| ip.parse::<IpAddr>().ok())
        .ok_or_else(|| Refusal::new(403, "forbidden: unknown sender"))?;
    let header = |name: &str| header_values(request, name);
    let listen = &config.listen;
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
    preflight(method, &url, &config)?;
    // The guard forwards only bodies within MAX_BODY_BYTES, read in full: this cannot wait.
    let mut body = Vec::new();
    if method == "POST" {
        request
            .as_reader()
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut body)
            .map_err(|_| Refusal::new(400, "could not read the body"))?;
    }
    judge(
        &RequestParts {
            method,
            url: &url,
            content_type: content_type.as_deref(),
            body: &body,
        },
        &config,
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
    let guard = &shared.guard;
    serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_seconds": uptime,
        "seconds_since_last_callback": since,
        "refused_by_address": shared.refused_by_address.load(Ordering::Relaxed),
        "answered_busy": shared.busy.load(Ordering::Relaxed),
        "listener_restarts": shared.restarts.load(Ordering::Relaxed),
        "connections_open": guard.open.load(Ordering::Relaxed),
        "connections_evicted": guard.evicted.load(Ordering::Relaxed),
        "connections_timed_out": guard.timed_out.load(Ordering::Relaxed),
        "refused_framing": guard.refused.load(Ordering::Relaxed),
        "accept_errors": guard.accept_errors.load(Ordering::Relaxed),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::Path;
    use std::sync::mpsc::Receiver;

    /// One request on a fresh connection; the whole answer.
    fn fetch(address: SocketAddr, target: &str) -> String {
        let mut stream = std::net::TcpStream::connect(address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        write!(stream, "GET {target} HTTP/1.1\r\nConnection: close\r\n\r\n").expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        answer
    }

    /// The next listener note the supervisor sends to the agent.
    fn next_note(inbox: &Receiver<AgentMsg>) -> ListenerNote {
        loop {
            match inbox.recv_timeout(Duration::from_secs(20)) {
                Ok(AgentMsg::Listener(note)) => return note,
                Ok(_) => {}
                Err(e) => panic!("no word from the supervisor: {e}"),
            }
        }
    }

    #[test]
    fn the_supervisor_brings_back_a_failed_guard_or_tiny_http() {
        let (tx, inbox) = std::sync::mpsc::sync_channel(16);
        let config = Arc::new(config("[listen]\naddress = \"127.0.0.1:0\""));
        let dir = tempfile::tempdir().expect("a temporary folder");
        let history =
            crate::history::History::open(&dir.path().join("h.sqlite3")).expect("history");
        let (recorder, _writer) =
            crate::history::spawn(history, Default::default()).expect("history thread");
        let listener = start(config, tx, recorder).expect("listening");
        let address = listener.address();
        assert!(fetch(address, "/health").contains("\"listener_restarts\":0"));

        listener.break_guard();
        assert!(
            matches!(next_note(&inbox), ListenerNote::Down(why) if why.contains("connection loop"))
        );
        assert_eq!(next_note(&inbox), ListenerNote::Up(address));
        let health = fetch(address, "/health");
        assert!(health.starts_with("HTTP/1.1 200"), "{health}");
        assert!(health.contains("\"listener_restarts\":1"), "{health}");

        listener.break_tiny_http();
        assert!(matches!(next_note(&inbox), ListenerNote::Down(why) if why.contains("unblocked")));
        assert_eq!(next_note(&inbox), ListenerNote::Up(address));
        // Several requests, so that every forwarder has moved to the new tiny_http.
        for _ in 0..8 {
            let answer = fetch(
                address,
                "/init?callid=1&type=incoming&caller=5145551212&callee=100",
            );
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        }
        assert!(fetch(address, "/health").contains("\"listener_restarts\":2"));
        listener.close();
    }

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
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_string())
                    .collect()
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
            // A proxy that adds its own line: its line is the last.
            (
                "127.0.0.1",
                &[
                    ("X-Forwarded-For", "203.0.113.5"),
                    ("X-Forwarded-For", "10.0.0.1"),
                ],
                Some("10.0.0.1"),
            ),
            // A client's own CF-Connecting-IP through a tunnel that adds X-Forwarded-For.
            (
                "127.0.0.1",
                &[
                    ("CF-Connecting-IP", "203.0.113.5"),
                    ("X-Forwarded-For", "198.51.100.8"),
                ],
                Some("198.51.100.8"),
            ),
            // Through Funnel, a client's headers say nothing.
            (
                "127.0.0.1",
                &[
                    ("Tailscale-Funnel-Request", "?1"),
                    ("X-Forwarded-For", "203.0.113.5"),
                ],
                None,
            ),
            (
                "127.0.0.1",
                &[
                    ("CF-Connecting-IP", "203.0.113.5"),
                    ("CF-Connecting-IP", "203.0.113.6"),
                ],
                None,
            ),
            // IPv4 on a dual-stack socket.
            (
                "::ffff:127.0.0.1",
                &[("X-Forwarded-For", "::ffff:203.0.113.7")],
                Some("203.0.113.7"),
            ),
            ("::ffff:198.51.100.4", &[], Some("198.51.100.4")),
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
        assert!(allowed(Some(ip("::ffff:203.0.113.200")), &allow));
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
