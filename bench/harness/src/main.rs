//! Measuring helpers for `bench/speed.py`, which starts every process and reads the one JSON
//! line each subcommand prints on stdout (progress goes to stderr).
//!
//! - `notify-latency`: serves `org.freedesktop.Notifications` on a private bus, timestamps
//!   every `Notify`, and drives calls at a listener: for each call, the clock starts just
//!   before a CallInitiated callback is sent over loopback HTTP and stops when the `Notify`
//!   naming that call's caller reaches the service. One process, one monotonic clock.
//! - `bare-server`: tiny_http 0.12 answering "ok" to everything, with as many request
//!   workers as calltray has: the ceiling of calltray's HTTP stack.
//! - `startup`: execs a program again and again and times exec → `/health` answers 200 and,
//!   with `--tray`, exec → `RegisterStatusNotifierItem` on a StatusNotifierWatcher served here.
//!
//! Written for the benchmark only; the tests' services (tests/support) are the model.

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use zbus::OwnedVariant;

const NOTIFICATIONS_NAME: &str = "org.freedesktop.Notifications";
const NOTIFICATIONS_PATH: &str = "/org/freedesktop/Notifications";
const WATCHER_NAME: &str = "org.kde.StatusNotifierWatcher";
const WATCHER_PATH: &str = "/StatusNotifierWatcher";

/// How long one step may take before the run is declared broken.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

type Result<T> = std::result::Result<T, String>;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("notify-latency") => notify_latency(&Flags::parse(&args[1..])),
        Some("bare-server") => bare_server(&Flags::parse(&args[1..])),
        Some("startup") => startup(&Flags::parse(&args[1..])),
        _ => Err("usage: calltray-bench notify-latency|bare-server|startup [--flag value]…\n\
                  (see the top of bench/harness/src/main.rs and bench/speed.py)"
            .into()),
    };
    if let Err(e) = outcome {
        eprintln!("calltray-bench: {e}");
        std::process::exit(1);
    }
}

/// `--name value` pairs; a flag given twice keeps the last value.
struct Flags(HashMap<String, String>);

impl Flags {
    fn parse(args: &[String]) -> Flags {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(name) = it.next() {
            if let Some(name) = name.strip_prefix("--") {
                let value = it.next().cloned().unwrap_or_default();
                map.insert(name.to_string(), value);
            }
        }
        Flags(map)
    }

    fn text(&self, name: &str) -> Result<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("--{name} is required"))
    }

    fn number(&self, name: &str, default: usize) -> Result<usize> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| format!("--{name}: not a number: {v}")),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ---------------------------------------------------------------------------------------
// The timestamping notification service

/// One `Notify` as received: when, and the text to find the call in.
struct Received {
    at: Instant,
    text: String,
}

#[derive(Default)]
struct Inbox {
    received: Mutex<Vec<Received>>,
    arrived: Condvar,
}

impl Inbox {
    /// Waits for a `Notify` at index `from` or later whose text contains `marker`; returns its
    /// time and the index after it.
    fn wait_for(&self, from: usize, marker: &str, timeout: Duration) -> Option<(Instant, usize)> {
        let deadline = Instant::now() + timeout;
        let mut received = lock(&self.received);
        loop {
            if let Some(i) = (from..received.len()).find(|i| received[*i].text.contains(marker)) {
                return Some((received[i].at, i + 1));
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            received = self
                .arrived
                .wait_timeout(received, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    fn len(&self) -> usize {
        lock(&self.received).len()
    }
}

struct Notifications {
    inbox: Arc<Inbox>,
    next_id: Mutex<u32>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, OwnedVariant>,
        _expire_timeout: i32,
    ) -> u32 {
        // The time first: everything after it is the service's own cost, not the sender's.
        let at = Instant::now();
        lock(&self.inbox.received).push(Received {
            at,
            text: format!("{summary}\n{body}"),
        });
        self.inbox.arrived.notify_all();
        if replaces_id != 0 {
            return replaces_id;
        }
        let mut id = lock(&self.next_id);
        *id += 1;
        *id
    }

    fn close_notification(&self, _id: u32) {}

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "body-markup".into(), "actions".into()]
    }

    #[zbus(out_args("name", "vendor", "version", "spec_version"))]
    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "calltray-bench".into(),
            "calltray".into(),
            "1.0".into(),
            "1.2".into(),
        )
    }
}

/// Serves the notification service (and, with `tray`, a StatusNotifierWatcher) on `bus`.
fn serve(bus: &str, tray: Option<Arc<Registrations>>) -> Result<(zbus::Connection, Arc<Inbox>)> {
    let inbox = Arc::new(Inbox::default());
    let service = Notifications {
        inbox: Arc::clone(&inbox),
        next_id: Mutex::new(0),
    };
    let mut builder = zbus::connection::Builder::address(bus)
        .serve_at(NOTIFICATIONS_PATH, service)
        .name(NOTIFICATIONS_NAME);
    if let Some(registrations) = tray {
        let host = format!("org.kde.StatusNotifierHost-{}", std::process::id());
        builder = builder
            .serve_at(WATCHER_PATH, Watcher { registrations })
            .name(WATCHER_NAME)
            .name(host);
    }
    let connection =
        zbus::block_on(builder.build()).map_err(|e| format!("serving on {bus}: {e}"))?;
    Ok((connection, inbox))
}

// ---------------------------------------------------------------------------------------
// The StatusNotifierWatcher

/// When each tray item registered.
#[derive(Default)]
struct Registrations {
    times: Mutex<Vec<Instant>>,
    arrived: Condvar,
}

impl Registrations {
    fn wait_beyond(&self, count: usize, timeout: Duration) -> Option<Instant> {
        let deadline = Instant::now() + timeout;
        let mut times = lock(&self.times);
        loop {
            if times.len() > count {
                return Some(times[count]);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            times = self
                .arrived
                .wait_timeout(times, deadline - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }
}

struct Watcher {
    registrations: Arc<Registrations>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    fn register_status_notifier_item(&self, _service: &str) {
        let at = Instant::now();
        lock(&self.registrations.times).push(at);
        self.registrations.arrived.notify_all();
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }
}

// ---------------------------------------------------------------------------------------
// HTTP, by hand: one request per connection, as a phone system's callbacks come

/// Sends `GET target` on a new connection and reads the whole answer; returns its status.
fn get(address: SocketAddr, target: &str) -> Result<u16> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
    stream
        .set_read_timeout(Some(STEP_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    let request =
        format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send {target}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("read the answer to {target}: {e}"))?;
    let status = answer
        .split(|b| *b == b' ')
        .nth(1)
        .and_then(|code| std::str::from_utf8(code).ok())
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| {
            format!(
                "unreadable answer to {target}: {:?}",
                String::from_utf8_lossy(&answer)
            )
        })?;
    Ok(status)
}

fn socket_address(text: &str) -> Result<SocketAddr> {
    text.parse()
        .map_err(|_| format!("not an address such as 127.0.0.1:8765: {text}"))
}

// ---------------------------------------------------------------------------------------
// notify-latency

/// Figures over a set of durations, in milliseconds.
fn summary(mut ms: Vec<f64>) -> String {
    if ms.is_empty() {
        return "null".into();
    }
    ms.sort_by(f64::total_cmp);
    let rank = |p: f64| ms[((p / 100.0) * (ms.len() - 1) as f64).round() as usize];
    let mean = ms.iter().sum::<f64>() / ms.len() as f64;
    format!(
        "{{\"n\": {}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}, \"max_ms\": {:.3}, \"min_ms\": {:.3}, \"mean_ms\": {:.3}}}",
        ms.len(),
        rank(50.0),
        rank(99.0),
        ms[ms.len() - 1],
        ms[0],
        mean
    )
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Flags: `--bus ADDRESS --listen HOST:PORT --extension EXT --calls N --warmup N --run NAME`,
/// optional `--initiated /init --ended /ended`. Prints `ready` once the service is on the
/// bus, waits for a line on stdin (the target is up), runs, prints one JSON line.
fn notify_latency(flags: &Flags) -> Result<()> {
    let bus = flags.text("bus")?;
    let address = socket_address(flags.text("listen")?)?;
    let extension = flags.text("extension")?;
    let calls = flags.number("calls", 1000)?;
    let warmup = flags.number("warmup", 20)?;
    let run = flags.text("run").unwrap_or("bench");
    let initiated = flags.text("initiated").unwrap_or("/init");
    let ended = flags.text("ended").unwrap_or("/ended");
    if calls + warmup > 10_000 {
        return Err("at most 10,000 calls: each needs a caller number of its own".into());
    }

    let (_connection, inbox) = serve(bus, None)?;
    println!("ready");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut go = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut go)
        .map_err(|e| e.to_string())?;

    let mut to_notify = Vec::with_capacity(calls);
    let mut to_answer = Vec::with_capacity(calls);
    let mut seen = inbox.len();
    let mut end_toasts_missing = 0usize;
    for i in 0..warmup + calls {
        // The caller's last four digits find the call's toast whatever its wording.
        let marker = format!("{i:04}");
        let caller = format!("514555{marker}");
        let query = format!("callid={run}-{i}&type=incoming&caller={caller}&callee={extension}");
        let start = Instant::now();
        let status = get(address, &format!("{initiated}?{query}"))?;
        let answered = Instant::now();
        if status != 200 {
            return Err(format!("call {i}: CallInitiated answered {status}"));
        }
        let (toasted, next) = inbox
            .wait_for(seen, &marker, STEP_TIMEOUT)
            .ok_or_else(|| format!("call {i}: no Notify for caller {caller} within {STEP_TIMEOUT:?}"))?;
        seen = next;
        if i >= warmup {
            to_notify.push(millis(toasted - start));
            to_answer.push(millis(answered - start));
        }
        // End the call, so that live calls do not pile up, and wait for the toast its end
        // raises (a missed call, with default settings) so that the next call starts on a
        // quiet target.
        let status = get(address, &format!("{ended}?{query}&duration=0"))?;
        if status != 200 {
            return Err(format!("call {i}: CallEnded answered {status}"));
        }
        match inbox.wait_for(seen, &marker, Duration::from_secs(2)) {
            Some((_, next)) => seen = next,
            None => end_toasts_missing += 1,
        }
        if (i + 1) % 200 == 0 {
            eprintln!("  {run}: {} calls", i + 1);
        }
    }
    println!(
        "{{\"callback_to_notify\": {}, \"callback_answered\": {}, \"warmup\": {warmup}, \"end_toasts_missing\": {end_toasts_missing}}}",
        summary(to_notify),
        summary(to_answer)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// bare-server

/// Flags: `--listen HOST:PORT --workers N`. Prints `ready`, then serves until killed.
fn bare_server(flags: &Flags) -> Result<()> {
    let address = socket_address(flags.text("listen")?)?;
    let workers = flags.number("workers", 4)?.max(1);
    let server = Arc::new(
        tiny_http::Server::http(address).map_err(|e| format!("binding {address}: {e}"))?,
    );
    println!("ready");
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let threads: Vec<_> = (0..workers)
        .map(|_| {
            let server = Arc::clone(&server);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let _ = request.respond(tiny_http::Response::from_string("ok"));
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// startup

/// Stops a child by pid: SIGTERM, then SIGKILL after 5 s; always reaps it.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Flags: `--program PATH --args "a b c" --health HOST:PORT --runs N --bus ADDRESS`, and
/// `--tray yes` to serve a StatusNotifierWatcher and time the tray item too. The program's
/// environment is this process's. Prints one JSON line.
fn startup(flags: &Flags) -> Result<()> {
    let program = flags.text("program")?;
    let args: Vec<&str> = flags.text("args").unwrap_or("").split_whitespace().collect();
    let health = socket_address(flags.text("health")?)?;
    let runs = flags.number("runs", 20)?;
    let bus = flags.text("bus")?;
    let tray = flags.text("tray").is_ok_and(|v| v == "yes");
    let log = flags.text("log").unwrap_or("/dev/null");

    let registrations = Arc::new(Registrations::default());
    let (_connection, _inbox) = serve(bus, tray.then(|| Arc::clone(&registrations)))?;

    let mut to_health = Vec::with_capacity(runs);
    let mut to_tray = Vec::with_capacity(runs);
    for run in 0..runs {
        let before = lock(&registrations.times).len();
        let out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("{log}: {e}"))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let start = Instant::now();
        let mut child = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("exec {program}: {e}"))?;
        // Poll every half millisecond: a refused connection costs microseconds.
        let deadline = start + STEP_TIMEOUT;
        let ready = loop {
            if matches!(get(health, "/health"), Ok(200)) {
                break Instant::now();
            }
            if Instant::now() > deadline || matches!(child.try_wait(), Ok(Some(_))) {
                stop(&mut child);
                return Err(format!("run {run}: /health did not answer 200 (see {log})"));
            }
            std::thread::sleep(Duration::from_micros(500));
        };
        to_health.push(millis(ready - start));
        if tray {
            let Some(at) = registrations.wait_beyond(before, STEP_TIMEOUT) else {
                stop(&mut child);
                return Err(format!("run {run}: no tray item registered (see {log})"));
            };
            to_tray.push(millis(at - start));
        }
        stop(&mut child);
        eprintln!(
            "  start {}: /health {:.1} ms{}",
            run + 1,
            millis(ready - start),
            to_tray
                .last()
                .filter(|_| tray)
                .map(|t| format!(", tray item {t:.1} ms"))
                .unwrap_or_default()
        );
    }
    println!(
        "{{\"exec_to_health\": {}, \"exec_to_tray_item\": {}}}",
        summary(to_health),
        if tray { summary(to_tray) } else { "null".into() }
    );
    Ok(())
}
