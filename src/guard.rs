//! The connection guard: the only code that touches sockets from the network.
//!
//! tiny_http gives every connection a thread, reads header lines without a limit and sets
//! no deadlines, so a few hundred idle or slow clients would tie up a few hundred threads.
//! The guard sits in front of it instead: one thread, one `poll` loop (mio) over every open
//! connection, holding each in a small buffer until a whole request is in (by the rules of
//! [`crate::framing`]) or its deadline passes. Only then is the request forwarded to
//! tiny_http, over a private channel ([`crate::platform::bind_internal`]: a Unix socket in
//! a folder only the user can enter, or a loopback port with a key on Windows), by a few
//! forwarder threads that keep one connection each. So the thread count is fixed whatever the
//! clients do, and the cost of a slow client is a buffer and a file descriptor for at most
//! [`REQUEST_DEADLINE`].

use crate::framing::{self, Framer, Progress, Refused};
use mio::net::{TcpListener as MioListener, TcpStream as MioStream};
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// The most connections held at once; past it, the one that has waited longest for its
/// request is closed to make room, so a flood of idle sockets cannot keep a real callback out.
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a client has, from connecting (or from its previous answer), to send a whole request.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(5);
/// How long a client has to take its answer.
const WRITE_DEADLINE: Duration = Duration::from_secs(5);
/// How long, and how many bytes, a refused client's remaining upload is read and dropped.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1024 * 1024;
/// How long the guard waits on a forwarder before answering 503 itself.
const FORWARD_DEADLINE: Duration = Duration::from_secs(15);
/// How often deadlines are checked while connections are open (none are checked while idle).
const SWEEP_EVERY: Duration = Duration::from_millis(250);
/// How long accepting pauses when the process is out of file descriptors and nothing can be
/// closed to make room.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// How long tiny_http has to answer a forwarded request.
const INTERNAL_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest answer read back from tiny_http (calltray's own answers are a few hundred bytes).
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);

/// What the guard has seen, for `/health` and the README's figures.
#[derive(Debug, Default)]
pub struct GuardStats {
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections closed to make room under [`MAX_CONNECTIONS`] or when out of descriptors.
    pub evicted: AtomicU64,
    /// Connections closed because their request did not arrive in time.
    pub timed_out: AtomicU64,
    /// Requests refused for their framing (too long, malformed).
    pub refused: AtomicU64,
    /// Failed `accept` calls (out of file descriptors, mostly).
    pub accept_errors: AtomicU64,
}

/// Orders for a running guard.
pub enum Control {
    /// Listen on this socket from now on (a new address in the config); the old one closes.
    Swap(TcpListener),
    /// Stop the loop.
    Stop,
    /// Die as a bug would, so that tests can watch the supervisor bring the guard back.
    #[cfg(test)]
    Panic,
}

/// A request ready for tiny_http, and where its answer goes.
pub struct Job {
    token: usize,
    serial: u64,
    request: Vec<u8>,
    head_only: bool,
    reply: Sender<Done>,
    waker: Arc<Waker>,
}

/// tiny_http's answer to a [`Job`].
pub struct Done {
    token: usize,
    serial: u64,
    response: Vec<u8>,
}

/// Answers a whole request in the guard itself, or `None` to forward it to tiny_http.
pub type Shortcut = Box<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send>;

/// A handle on a running guard loop.
pub struct GuardHandle {
    control: Sender<Control>,
    waker: Arc<Waker>,
}

impl GuardHandle {
    pub fn send(&self, order: Control) {
        if self.control.send(order).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

/// Sets up a guard on `listener`; `run` then serves until [`Control::Stop`] or an error.
pub struct Guard {
    poll: Poll,
    listener: MioListener,
    waker: Arc<Waker>,
    control: Receiver<Control>,
    done_tx: Sender<Done>,
    done: Receiver<Done>,
    jobs: Sender<Job>,
    stats: Arc<GuardStats>,
    cap: usize,
    conns: HashMap<usize, Conn>,
    next_token: usize,
    next_serial: u64,
    accept_paused_until: Option<Instant>,
    shortcut: Option<Shortcut>,
    /// Connections answered by the shortcut, to move along on the next pass of the loop
    /// rather than at once: a client that always has its next request in already would
    /// otherwise take the guard deeper into `drive` with each one.
    answered_early: Vec<usize>,
}

enum State {
    Reading,
    Waiting,
    Writing,
    /// Answered and closing: what the client still sends is read and dropped for a moment, so
    /// that closing with unread bytes does not reset the connection before it reads the answer.
    Lingering,
}

struct Conn {
    stream: MioStream,
    peer: IpAddr,
    buf: Vec<u8>,
    framer: Framer,
    state: State,
    /// When the current request began to be awaited: the oldest is evicted first.
    since: Instant,
    deadline: Instant,
    serial: u64,
    keep_alive: bool,
    http10: bool,
    out: Vec<u8>,
    written: usize,
    close_after_write: bool,
}

impl Guard {
    /// A guard holding at most `cap` connections ([`connection_cap`] in production).
    pub fn new(
        listener: TcpListener,
        jobs: Sender<Job>,
        stats: Arc<GuardStats>,
        cap: usize,
    ) -> std::io::Result<(Guard, GuardHandle)> {
        listener.set_nonblocking(true)?;
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let mut listener = MioListener::from_std(listener);
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let (control_tx, control) = std::sync::mpsc::channel();
        let (done_tx, done) = std::sync::mpsc::channel();
        let guard = Guard {
            poll,
            listener,
            waker: Arc::clone(&waker),
            control,
            done_tx,
            done,
            jobs,
            stats,
            cap,
            conns: HashMap::new(),
            next_token: 2,
            next_serial: 0,
            accept_paused_until: None,
            shortcut: None,
            answered_early: Vec::new(),
        };
        let handle = GuardHandle {
            control: control_tx,
            waker,
        };
        Ok((guard, handle))
    }

    /// Lets `shortcut` answer requests before they are forwarded: the drop path of a
    /// company-wide feed (calls of other extensions) costs four thread hand-offs through the
    /// forwarders and tiny_http, and half the throughput, for an answer that needs neither.
    pub fn with_shortcut(mut self, shortcut: Shortcut) -> Guard {
        self.shortcut = Some(shortcut);
        self
    }

    /// Serves until told to stop; an error from `poll` itself ends it (the supervisor restarts it).
    pub fn run(mut self) -> std::io::Result<()> {
        let mut events = Events::with_capacity(256);
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        loop {
            let now = Instant::now();
            let mut timeout = None;
            if !self.conns.is_empty() {
                timeout = Some(next_sweep.saturating_duration_since(now));
            }
            if let Some(until) = self.accept_paused_until {
                let wait = until.saturating_duration_since(now);
                timeout = Some(timeout.map_or(wait, |t: Duration| t.min(wait)));
            }
            if !self.answered_early.is_empty() {
                timeout = Some(Duration::ZERO);
            }
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept_all(),
                    WAKER => {
                        if !self.take_orders() {
                            return Ok(());
                        }
                        self.take_answers();
                    }
                    Token(t) => self.drive(t),
                }
            }
            for token in std::mem::take(&mut self.answered_early) {
                self.drive(token);
            }
            let now = Instant::now();
            if self.accept_paused_until.is_some_and(|until| now >= until) {
                self.accept_paused_until = None;
                self.accept_all();
            }
            if now >= next_sweep {
                self.sweep(now);
                next_sweep = now + SWEEP_EVERY;
            }
        }
    }

    /// Applies orders; false when told to stop.
    fn take_orders(&mut self) -> bool {
        loop {
            match self.control.try_recv() {
                Ok(Control::Swap(listener)) => {
                    if let Err(e) = self.swap(listener) {
                        tracing::warn!("could not switch to the new listening socket: {e}");
                    }
                }
                Ok(Control::Stop) | Err(TryRecvError::Disconnected) => return false,
                #[cfg(test)]
                Ok(Control::Panic) => panic!("guard told to fail"),
                Err(TryRecvError::Empty) => return true,
            }
        }
    }

    fn swap(&mut self, listener: TcpListener) -> std::io::Result<()> {
        listener.set_nonblocking(true)?;
        let mut fresh = MioListener::from_std(listener);
        self.poll
            .registry()
            .register(&mut fresh, LISTENER, Interest::READABLE)?;
        let mut old = std::mem::replace(&mut self.listener, fresh);
        let _ = self.poll.registry().deregister(&mut old);
        Ok(())
    }

    fn accept_all(&mut self) {
        if self.accept_paused_until.is_some() {
            return;
        }
        loop {
            match self.listener.accept() {
                Ok((stream, addr)) => {
                    if self.conns.len() >= self.cap && !self.evict_oldest() {
                        // Every connection is waiting on an answer: this one cannot be held.
                        self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    self.admit(stream, addr.ip().to_canonical());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    let count = self.stats.accept_errors.fetch_add(1, Ordering::Relaxed) + 1;
                    if count % 1000 == 1 {
                        tracing::warn!("could not accept a connection ({count} times so far): {e}");
                    }
                    // Out of descriptors: the oldest idle connection makes room. tiny_http's
                    // own accept loop ends for good here; this one carries on.
                    if is_out_of_descriptors(&e) && self.evict_oldest() {
                        continue;
                    }
                    self.accept_paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                    return;
                }
            }
        }
    }

    fn admit(&mut self, mut stream: MioStream, peer: IpAddr) {
        let token = self.next_token;
        self.next_token = self.next_token.checked_add(1).unwrap_or(2);
        let _ = stream.set_nodelay(true);
        if self
            .poll
            .registry()
            .register(
                &mut stream,
                Token(token),
                Interest::READABLE | Interest::WRITABLE,
            )
            .is_err()
        {
            return;
        }
        let now = Instant::now();
        self.conns.insert(
            token,
            Conn {
                stream,
                peer,
                buf: Vec::new(),
                framer: Framer::default(),
                state: State::Reading,
                since: now,
                deadline: now + REQUEST_DEADLINE,
                serial: 0,
                keep_alive: false,
                http10: false,
                out: Vec::new(),
                written: 0,
                close_after_write: false,
            },
        );
        self.stats.open.fetch_add(1, Ordering::Relaxed);
    }

    /// Makes room for a new connection: closes one already answered and closing, else the one
    /// that has waited longest for its request, else the one that has been slowest to take
    /// its answer. Connections whose request is with tiny_http are left alone (there are at
    /// most as many as requests in flight). False if nothing could be closed.
    fn evict_oldest(&mut self) -> bool {
        let rank = |c: &Conn| match c.state {
            State::Lingering => Some(0),
            State::Reading => Some(1),
            State::Writing => Some(2),
            State::Waiting => None,
        };
        let victim = self
            .conns
            .iter()
            .filter_map(|(t, c)| rank(c).map(|r| (r, c.since, *t)))
            .min()
            .map(|(_, _, t)| t);
        match victim {
            Some(token) => {
                self.close(token);
                self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    fn close(&mut self, token: usize) {
        if let Some(mut conn) = self.conns.remove(&token) {
            let _ = self.poll.registry().deregister(&mut conn.stream);
            self.stats.open.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Moves a connection along after a readiness event or a change of state.
    fn drive(&mut self, token: usize) {
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let step = match conn.state {
            State::Reading => read_more(conn),
            State::Writing => flush(conn),
            State::Waiting => Step::Stay,
            State::Lingering => discard(conn),
        };
        self.after(token, step);
    }

    fn after(&mut self, token: usize, step: Step) {
        match step {
            Step::Stay => {}
            Step::Close => self.close(token),
            Step::Refuse(refused) => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                if let Some(conn) = self.conns.get_mut(&token) {
                    conn.answer(
                        framing::plain_response(refused.status, &refused.reason, true),
                        false,
                    );
                }
                self.drive(token);
            }
            Step::Forward(whole, head_only) => {
                let Some(conn) = self.conns.get_mut(&token) else {
                    return;
                };
                if let Some(mut response) = self.shortcut.as_ref().and_then(|answer| answer(&whole))
                {
                    let keep = conn.keep_alive;
                    framing::announce_connection(&mut response, keep, conn.http10);
                    conn.answer(response, keep);
                    self.answered_early.push(token);
                    return;
                }
                self.next_serial += 1;
                conn.serial = self.next_serial;
                conn.state = State::Waiting;
                conn.deadline = Instant::now() + FORWARD_DEADLINE;
                let job = Job {
                    token,
                    serial: conn.serial,
                    request: whole,
                    head_only,
                    reply: self.done_tx.clone(),
                    waker: Arc::clone(&self.waker),
                };
                if self.jobs.send(job).is_err() {
                    let busy = framing::plain_response(503, "shutting down", true);
                    if let Some(conn) = self.conns.get_mut(&token) {
                        conn.answer(busy, false);
                    }
                    self.drive(token);
                }
            }
            Step::Answered => {
                // Written in full: read the next request on a kept-alive connection.
                if let Some(conn) = self.conns.get_mut(&token) {
                    if conn.close_after_write {
                        let _ = conn.stream.shutdown(std::net::Shutdown::Write);
                        conn.state = State::Lingering;
                        conn.written = 0;
                        conn.deadline = Instant::now() + LINGER;
                        self.drive(token);
                        return;
                    }
                    let now = Instant::now();
                    conn.state = State::Reading;
                    conn.since = now;
                    conn.deadline = now + REQUEST_DEADLINE;
                    self.drive(token);
                }
            }
        }
    }

    fn take_answers(&mut self) {
        while let Ok(done) = self.done.try_recv() {
            let Some(conn) = self.conns.get_mut(&done.token) else {
                continue;
            };
            if conn.serial != done.serial || !matches!(conn.state, State::Waiting) {
                continue;
            }
            let keep = conn.keep_alive;
            let mut response = done.response;
            framing::announce_connection(&mut response, keep, conn.http10);
            conn.answer(response, keep);
            self.drive(done.token);
        }
    }

    fn sweep(&mut self, now: Instant) {
        let late: Vec<usize> = self
            .conns
            .iter()
            .filter(|(_, c)| now >= c.deadline)
            .map(|(t, _)| *t)
            .collect();
        for token in late {
            let Some(conn) = self.conns.get_mut(&token) else {
                continue;
            };
            if matches!(conn.state, State::Reading | State::Waiting) {
                self.stats.timed_out.fetch_add(1, Ordering::Relaxed);
            }
            match conn.state {
                State::Reading if conn.buf.is_empty() => self.close(token),
                State::Reading => {
                    let secs = REQUEST_DEADLINE.as_secs();
                    let reason = format!("request not received in full within {secs} s");
                    conn.answer(framing::plain_response(408, &reason, true), false);
                    self.drive(token);
                }
                State::Waiting => {
                    let reason = "calltray did not answer in time; retry shortly";
                    conn.answer(framing::plain_response(503, reason, true), false);
                    self.drive(token);
                }
                State::Writing | State::Lingering => self.close(token),
            }
        }
    }
}

/// What a connection needs next.
enum Step {
    Stay,
    Close,
    Refuse(Refused),
    Forward(Vec<u8>, bool),
    Answered,
}

impl Conn {
    fn answer(&mut self, response: Vec<u8>, keep_alive: bool) {
        self.out = response;
        self.written = 0;
        self.close_after_write = !keep_alive;
        self.state = State::Writing;
        self.deadline = Instant::now() + WRITE_DEADLINE;
    }

    /// Frames what has arrived so far.
    fn advance(&mut self) -> Step {
        match self.framer.advance(&self.buf, self.peer) {
            Ok(Progress::Whole(whole)) => {
                self.keep_alive = whole.keep_alive;
                self.http10 = whole.http10;
                self.buf.drain(..whole.consumed);
                Step::Forward(whole.forwarded, whole.head_only)
            }
            Ok(Progress::More { send_continue }) => {
                if send_continue {
                    // Fits in any socket buffer; a client that cannot take it gets its 408 later.
                    let _ = self.stream.write(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                Step::Stay
            }
            Err(refused) => Step::Refuse(refused),
        }
    }
}

/// Reads what the socket has, a piece at a time, and stops as soon as a request is whole
/// or refused, so a client cannot make the guard buffer more than one request's limits.
fn read_more(conn: &mut Conn) -> Step {
    // Bytes left over from a pipelined request come first.
    let step = conn.advance();
    if !matches!(step, Step::Stay) {
        return step;
    }
    let mut piece = [0u8; 8192];
    loop {
        match conn.stream.read(&mut piece) {
            Ok(0) => return Step::Close,
            Ok(n) => {
                conn.buf.extend_from_slice(&piece[..n]);
                let step = conn.advance();
                if !matches!(step, Step::Stay) {
                    return step;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Stay,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Close,
        }
    }
}

fn discard(conn: &mut Conn) -> Step {
    let mut piece = [0u8; 8192];
    loop {
        match conn.stream.read(&mut piece) {
            Ok(0) => return Step::Close,
            Ok(n) => {
                conn.written += n;
                if conn.written > LINGER_BYTES {
                    return Step::Close;
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Stay,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Close,
        }
    }
}

fn flush(conn: &mut Conn) -> Step {
    while conn.written < conn.out.len() {
        match conn.stream.write(&conn.out[conn.written..]) {
            Ok(0) => return Step::Close,
            Ok(n) => conn.written += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Stay,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Step::Close,
        }
    }
    conn.out = Vec::new();
    Step::Answered
}

fn is_out_of_descriptors(e: &std::io::Error) -> bool {
    crate::platform::is_out_of_descriptors(e)
}

/// [`MAX_CONNECTIONS`], or fewer when the process may open fewer files, keeping room for the
/// rest of the agent (D-Bus, the display, the config watcher, tiny_http).
pub fn connection_cap() -> usize {
    MAX_CONNECTIONS.min(
        crate::platform::open_file_limit()
            .saturating_sub(64)
            .max(16),
    )
}

/// Where forwarders find tiny_http: rebuilt by the supervisor when tiny_http's accept loop dies.
#[derive(Debug)]
pub struct Internal {
    pub addr: crate::platform::InternalAddr,
    /// Sent by the forwarders in [`KEY_HEADER`] where others could reach tiny_http too
    /// ([`crate::platform::INTERNAL_IS_PRIVATE`] is false): tiny_http's side refuses a
    /// request without it, so the guard cannot be gone around. `None` on a private channel.
    pub key: Option<String>,
    pub generation: u64,
}

/// The header that carries [`Internal::key`]. The forwarders put it first, before anything
/// the client sent, and tiny_http's side reads the first one only.
pub const KEY_HEADER: &str = "X-Calltray-Key";

/// One forwarder: takes whole requests from the guard, passes them to tiny_http over a kept
/// connection, and hands the answers back.
pub fn forwarder(
    jobs: Arc<Mutex<Receiver<Job>>>,
    target: Arc<RwLock<Arc<Internal>>>,
    report: impl Fn(u64, String),
) {
    let mut conn: Option<(u64, crate::platform::InternalStream)> = None;
    // Connected up front, so that tiny_http's threads all exist before the first request.
    if let Ok(internal) = target.read() {
        conn = connect(&internal).ok().map(|s| (internal.generation, s));
    }
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let internal = match target.read() {
            Ok(t) => Arc::clone(&t),
            Err(_) => return,
        };
        let response = match exchange(&mut conn, &internal, &job) {
            Ok(response) => response,
            // An answer calltray cannot relay is that request's problem, not tiny_http's.
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                tracing::warn!("could not relay an answer: {e}");
                framing::plain_response(503, "calltray could not answer; retry shortly", true)
            }
            Err(e) => {
                report(
                    internal.generation,
                    format!("calltray's request handler did not answer: {e}"),
                );
                framing::plain_response(
                    503,
                    "calltray is restarting its listener; retry shortly",
                    true,
                )
            }
        };
        let _ = job.reply.send(Done {
            token: job.token,
            serial: job.serial,
            response,
        });
        let _ = job.waker.wake();
    }
}

fn exchange(
    conn: &mut Option<(u64, crate::platform::InternalStream)>,
    internal: &Internal,
    job: &Job,
) -> std::io::Result<Vec<u8>> {
    if conn
        .as_ref()
        .is_some_and(|(generation, _)| *generation != internal.generation)
    {
        *conn = None;
    }
    // A kept connection may have been closed by tiny_http since: one fresh try, no more.
    if let Some((_, stream)) = conn.as_mut() {
        match round_trip(stream, internal, job) {
            Ok(response) => return Ok(response),
            Err(RoundTrip::Stale) => *conn = None,
            Err(RoundTrip::Failed(e)) => {
                *conn = None;
                return Err(e);
            }
        }
    }
    let (_, stream) = conn.insert((internal.generation, connect(internal)?));
    match round_trip(stream, internal, job) {
        Ok(response) => Ok(response),
        Err(RoundTrip::Stale) => {
            *conn = None;
            Err(std::io::Error::new(
                ErrorKind::ConnectionAborted,
                "closed without an answer",
            ))
        }
        Err(RoundTrip::Failed(e)) => {
            *conn = None;
            Err(e)
        }
    }
}

fn connect(internal: &Internal) -> std::io::Result<crate::platform::InternalStream> {
    let stream = crate::platform::connect_internal(&internal.addr)?;
    stream.set_read_timeout(Some(INTERNAL_TIMEOUT))?;
    stream.set_write_timeout(Some(INTERNAL_TIMEOUT))?;
    Ok(stream)
}

/// The request with [`KEY_HEADER`] right after its request line, when there is a key.
fn keyed<'a>(request: &'a [u8], key: Option<&str>) -> std::borrow::Cow<'a, [u8]> {
    let Some(key) = key else {
        return std::borrow::Cow::Borrowed(request);
    };
    // The framer forwards a request line ended by CRLF, always.
    let line = request
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(request.len(), |at| at + 2);
    let mut out = Vec::with_capacity(request.len() + KEY_HEADER.len() + key.len() + 4);
    out.extend_from_slice(&request[..line]);
    out.extend_from_slice(format!("{KEY_HEADER}: {key}\r\n").as_bytes());
    out.extend_from_slice(&request[line..]);
    std::borrow::Cow::Owned(out)
}

enum RoundTrip {
    /// The connection was closed before the request reached tiny_http: safe to send again.
    Stale,
    Failed(std::io::Error),
}

fn round_trip(
    stream: &mut crate::platform::InternalStream,
    internal: &Internal,
    job: &Job,
) -> Result<Vec<u8>, RoundTrip> {
    if let Err(e) = stream.write_all(&keyed(&job.request, internal.key.as_deref())) {
        return Err(match e.kind() {
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset => RoundTrip::Stale,
            _ => RoundTrip::Failed(e),
        });
    }
    let mut response = Vec::with_capacity(512);
    let mut piece = [0u8; 4096];
    let mut body_len = None;
    loop {
        if let Some((head_len, len)) = body_len
            && response.len() >= head_len + len
        {
            response.truncate(head_len + len);
            return Ok(response);
        }
        let n = match stream.read(&mut piece) {
            Ok(0) if response.is_empty() => return Err(RoundTrip::Stale),
            Ok(0) => {
                return Err(RoundTrip::Failed(std::io::Error::new(
                    ErrorKind::UnexpectedEof,
                    "answer cut short",
                )));
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == ErrorKind::ConnectionReset && response.is_empty() => {
                return Err(RoundTrip::Stale);
            }
            Err(e) => return Err(RoundTrip::Failed(e)),
        };
        response.extend_from_slice(&piece[..n]);
        if response.len() > MAX_RESPONSE_BYTES {
            return Err(RoundTrip::Failed(std::io::Error::new(
                ErrorKind::InvalidData,
                "answer too large",
            )));
        }
        if body_len.is_none() {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut headers);
            match parsed.parse(&response) {
                Ok(httparse::Status::Complete(head_len)) => {
                    let header = |name: &str| {
                        parsed
                            .headers
                            .iter()
                            .find(|h| h.name.eq_ignore_ascii_case(name))
                            .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
                    };
                    // Only answers framed by their length can be relayed as they are.
                    let length = header("Content-Length").and_then(|v| v.parse().ok());
                    let (None, Some(length)) = (header("Transfer-Encoding"), length) else {
                        return Err(RoundTrip::Failed(std::io::Error::new(
                            ErrorKind::InvalidData,
                            "an answer not framed by Content-Length",
                        )));
                    };
                    body_len = Some((head_len, if job.head_only { 0 } else { length }));
                }
                Ok(httparse::Status::Partial) => {}
                Err(e) => {
                    return Err(RoundTrip::Failed(std::io::Error::new(
                        ErrorKind::InvalidData,
                        format!("unreadable answer: {e}"),
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    #[test]
    fn the_key_goes_first_after_the_request_line() {
        let request = b"GET /init?callid=1 HTTP/1.1\r\nX-Calltray-Key: forged\r\nHost: a\r\n\r\n";
        assert_eq!(keyed(request, None).as_ref(), request.as_slice());
        assert_eq!(
            keyed(request, Some("k3y")).as_ref(),
            b"GET /init?callid=1 HTTP/1.1\r\nX-Calltray-Key: k3y\r\nX-Calltray-Key: forged\r\nHost: a\r\n\r\n"
                .as_slice()
        );
    }

    /// A guard on loopback whose requests are answered by `answer` in place of tiny_http.
    fn guard_with(cap: usize, answer: fn(&[u8]) -> Vec<u8>) -> (std::net::SocketAddr, GuardHandle) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        let (jobs, queued) = std::sync::mpsc::channel::<Job>();
        let stats = Arc::new(GuardStats::default());
        let (guard, handle) = Guard::new(listener, jobs, stats, cap).expect("guard");
        std::thread::spawn(move || guard.run());
        std::thread::spawn(move || {
            for job in queued {
                let response = answer(&job.request);
                let _ = job.reply.send(Done {
                    token: job.token,
                    serial: job.serial,
                    response,
                });
                let _ = job.waker.wake();
            }
        });
        (address, handle)
    }

    fn ask(address: std::net::SocketAddr, target: &str) -> TcpStream {
        let mut s = TcpStream::connect(address).expect("connect");
        let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(request.as_bytes())
            .unwrap_or_else(|e| panic!("sending {target}: {e}"));
        s
    }

    #[test]
    fn clients_that_do_not_read_their_answers_cannot_keep_others_out() {
        // Answers too big for the socket buffers, except for /small.
        let (address, handle) = guard_with(4, |request| {
            let size = if request.starts_with(b"GET /small") {
                2
            } else {
                64 << 20
            };
            let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n").into_bytes();
            r.resize(r.len() + size, b'x');
            r
        });
        // Four clients fill the guard, each stuck while its answer is written.
        let mut stuck: Vec<TcpStream> = (0..4).map(|i| ask(address, &format!("/big{i}"))).collect();
        // Once a byte of each answer is in, all four are being written to.
        for s in stuck.iter_mut() {
            s.read_exact(&mut [0u8; 1]).expect("the start of an answer");
        }
        let mut fifth = ask(address, "/small");
        fifth
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let mut answer = Vec::new();
        fifth.read_to_end(&mut answer).ok();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
        assert!(answer.ends_with("\r\n\r\nxx"), "{answer:?}");
        drop(stuck);
        handle.send(Control::Stop);
    }
}
