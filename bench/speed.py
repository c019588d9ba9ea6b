#!/usr/bin/env python3
"""calltray's speed, side by side with its ceiling and with a hand-written alternative.

Usage: python3 bench/speed.py [PATH_TO_CALLTRAY] [--calls N] [--starts N] [--wrk-seconds S]
       (default: target/release/calltray, 1000 calls, 20 starts, 10 s of wrk per server)

Measures issue 6's items 1, 2, 3 and 5 in one run and prints ONE JSON object on stdout;
progress goes to stderr. It starts everything itself (a private dbus-daemon, Xvfb for the
tray, calltray with a temporary config and temporary XDG folders, bench/handwritten/
notify_server.py, the bare tiny_http server, wrk) and stops every process it started, by pid.
It builds bench/harness (cargo build --release) first. Needs the Debian packages listed in
bench/apt-packages.txt. Measurements, not tests: nothing here passes or fails.

The JSON object (times in milliseconds, rates in requests per second):

{
  "machine":  {"cpus": int, "cpu_model": str, "kernel": str, "date_utc": str},
  "versions": {"calltray": str, "python": str, "wrk": str, "tiny_http": "0.12",
               "notify_send": str},
  "callback_to_notify": {          # items 1 and 3: CallInitiated sent -> Notify received
    "calls": int,                  # measured calls per target (after "warmup" unmeasured ones)
    "calltray": RESULT, "python": RESULT,
    "ratio_python_over_calltray": {"p50": float, "p99": float}
  },
  "drop_path": {                   # item 2 (and 3): wrk -t2 -c16, keep-alive, CallInitiated
                                   # for another extension (calltray: "200 ignored")
    "wrk": str,                    # the command line, with the Lua script's path
    "seconds": int,
    "calltray": WRK, "bare_tiny_http": WRK, "python": WRK,
    "bare_tiny_http_workers": int, # request threads of the bare server (calltray's count)
    "ratio_calltray_over_bare": float,
    "ratio_bare_over_python": float,
    "ratio_calltray_over_python": float
  },
  "start_to_ready": {              # item 5, over "starts" execs each
    "headless": {"exec_to_health": STATS},
    "tray": {"exec_to_health": STATS, "exec_to_tray_item": STATS}
  },
  "targets": {name: {"target": str, "met": bool}}   # the issue's targets, as measured here
}
RESULT = {"callback_to_notify": STATS,   # the figure: request sent -> Notify on the bus
          "callback_answered": STATS,    # request sent -> whole HTTP answer read
          "warmup": int, "end_toasts_missing": int}
STATS  = {"n": int, "p50_ms", "p99_ms", "max_ms", "min_ms", "mean_ms": float}
WRK    = {"requests_per_second": float, "requests": int, "non_2xx": int,
          "socket_errors": str | null, "latency_avg": str}

How each figure is taken:
- Callback to Notify: bench/harness (one Rust process, one monotonic clock) serves
  org.freedesktop.Notifications on the private bus and, for each call, starts the clock just
  before it opens a connection to send CallInitiated (a new callid and caller each time; one
  request per connection, as a phone system's callbacks come), and stops it when the Notify
  whose text holds that caller reaches the service. It then ends the call and waits for the
  toast that raises, so that calls do not pile up and each starts on a quiet target.
  calltray runs headless with `[notify] max_new_toasts = 10000` (the flood limit would
  otherwise sum up all but 5 calls in 5 s) and otherwise default settings: every event is
  written to its SQLite history before the 200, and logged at the default level.
- Drop path: wrk with keep-alive on the three servers, one after the other, same script.
  The Python script sets http.server's documented protocol_version = "HTTP/1.1" and
  disable_nagle_algorithm, so it keeps connections open too (without them it answered about
  a quarter as many requests). calltray's connection guard answers calls for other
  extensions itself, without tiny_http's threads: the bare server is the ceiling of the
  stack calltray would otherwise be, not of the path it takes.
- Start to ready: bench/harness execs calltray again and again (the history folder, empty
  at first, kept from one start to the next) and polls /health every 0.5 ms; with the tray it also serves
  org.kde.StatusNotifierWatcher and times RegisterStatusNotifierItem.
"""

import argparse
import atexit
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EXTENSION = "100"
OTHER_EXTENSION = "999"

# Every process this script started and has not yet stopped.
STARTED = []


def progress(text):
    print(text, file=sys.stderr, flush=True)


def stop(proc, grace=5.0):
    """SIGTERM by pid, SIGKILL after `grace` seconds; always reaped."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in STARTED:
        STARTED.remove(proc)


def stop_all():
    for proc in reversed(list(STARTED)):
        stop(proc)


def start(args, **kwargs):
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.Popen(args, **kwargs)
    STARTED.append(proc)
    return proc


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} stopped (status {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.01)
    raise SystemExit(f"{what} did not listen on port {port} within {timeout} s")


def get(port, target):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{target}", timeout=5) as r:
        return r.status, r.read().decode()


class Session:
    """A private session bus, and Xvfb when asked, under a temporary folder."""

    def __init__(self, root, display=False):
        self.root = root
        os.makedirs(root, exist_ok=True)
        conf = os.path.join(root, "bus.conf")
        with open(conf, "w") as f:
            # A session bus as Debian's session.conf sets one up, with no service activation.
            f.write(
                '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"\n'
                ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                "<busconfig>\n  <type>session</type>\n"
                f"  <listen>unix:path={os.path.join(root, 'bus')}</listen>\n"
                "  <auth>EXTERNAL</auth>\n"
                '  <policy context="default">\n'
                '    <allow send_destination="*" eavesdrop="true"/>\n'
                '    <allow eavesdrop="true"/>\n'
                '    <allow own="*"/>\n'
                "  </policy>\n</busconfig>\n"
            )
        self.dbus = start(
            ["dbus-daemon", f"--config-file={conf}", "--nofork", "--print-address"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        self.bus = self.dbus.stdout.readline().strip()
        if not self.bus.startswith("unix:"):
            raise SystemExit(f"dbus-daemon printed {self.bus!r}")
        self.display = None
        self.xvfb = None
        if display:
            self.xvfb = start(
                ["Xvfb", "-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            )
            number = self.xvfb.stdout.readline().strip()
            if not number.isdigit():
                raise SystemExit(f"Xvfb printed {number!r}")
            self.display = f":{number}"

    def env(self, home):
        """A clean environment in this session, with HOME and the XDG folders under `home`."""
        for sub in ["config", "data", "state", "cache", "runtime"]:
            os.makedirs(os.path.join(home, sub), mode=0o700, exist_ok=True)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CONFIG_HOME": os.path.join(home, "config"),
            "XDG_DATA_HOME": os.path.join(home, "data"),
            "XDG_STATE_HOME": os.path.join(home, "state"),
            "XDG_CACHE_HOME": os.path.join(home, "cache"),
            "XDG_RUNTIME_DIR": os.path.join(home, "runtime"),
            "DBUS_SESSION_BUS_ADDRESS": self.bus,
            "LANG": "C.UTF-8",
        }
        if self.display:
            env.update({
                "DISPLAY": self.display,
                "XDG_SESSION_TYPE": "x11",
                "GDK_BACKEND": "x11",
                "NO_AT_BRIDGE": "1",
                "GSETTINGS_BACKEND": "memory",
                "GIO_USE_VFS": "local",
            })
        return env

    def close(self):
        for proc in [self.xvfb, self.dbus]:
            if proc is not None:
                stop(proc)


def write_config(home, port):
    path = os.path.join(home, "calltray.toml")
    with open(path, "w") as f:
        f.write(
            f'extensions = ["{EXTENSION}"]\nlanguage = "en"\n'
            f'[listen]\naddress = "127.0.0.1:{port}"\n'
            "[notify]\n# Every call of the run gets its own toast (default: 5 in any 5 s).\n"
            "max_new_toasts = 10000\n"
        )
    return path


def harness(build_log):
    progress("building bench/harness (cargo build --release)…")
    manifest = os.path.join(HERE, "harness", "Cargo.toml")
    with open(build_log, "w") as log:
        subprocess.run(["cargo", "build", "--release", "--manifest-path", manifest],
                       check=True, stdout=log, stderr=log)
    return os.path.join(HERE, "harness", "target", "release", "calltray-bench")


def notify_latency(bench, session, env, port, target_cmd, run, calls, log):
    """Item 1 or 3 against one target: the harness's JSON."""
    driver = start(
        [bench, "notify-latency", "--bus", session.bus, "--listen", f"127.0.0.1:{port}",
         "--extension", EXTENSION, "--calls", str(calls), "--warmup", "20", "--run", run],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    if driver.stdout.readline().strip() != "ready":
        raise SystemExit("the notification service did not start")
    target = start(target_cmd, env=env, stdout=log, stderr=log)
    wait_port(port, target, run)
    driver.stdin.write("go\n")
    driver.stdin.flush()
    out = driver.stdout.readline()
    driver.wait()
    STARTED.remove(driver)
    stop(target)
    if driver.returncode != 0 or not out.strip():
        raise SystemExit(f"the {run} latency run failed (see {log.name})")
    return json.loads(out)


def run_wrk(port, script, seconds):
    cmd = ["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", script, f"http://127.0.0.1:{port}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    found = lambda pattern: (re.search(pattern, out) or [None, None])[1]
    return {
        "requests_per_second": float(found(r"Requests/sec:\s+([\d.]+)")),
        "requests": int(found(r"(\d+) requests in")),
        "non_2xx": int(found(r"Non-2xx or 3xx responses: (\d+)") or 0),
        "socket_errors": found(r"Socket errors: (.*)"),
        "latency_avg": found(r"Latency\s+(\S+)"),
    }


def ratio(a, b):
    return a / b if b else None


def main():
    parser = argparse.ArgumentParser(description="calltray's speed (issue 6, items 1, 2, 3, 5)")
    parser.add_argument("calltray", nargs="?", default=os.path.join(ROOT, "target/release/calltray"))
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--wrk-seconds", type=int, default=10)
    args = parser.parse_args()
    calltray = os.path.abspath(args.calltray)
    if not os.access(calltray, os.X_OK):
        raise SystemExit(f"{calltray} is not built: cargo build --release")
    for tool in ["dbus-daemon", "Xvfb", "wrk", "notify-send"]:
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: apt-get install $(cat bench/apt-packages.txt)")

    tmp = tempfile.mkdtemp(prefix="calltray-speed-")
    atexit.register(shutil.rmtree, tmp, True)
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    log = open(os.path.join(tmp, "processes.log"), "w")
    bench = harness(os.path.join(tmp, "build.log"))
    python_server = os.path.join(HERE, "handwritten", "notify_server.py")

    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                               if l.startswith("model name")), platform.processor()),
            "kernel": platform.release(),
            "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        },
        "versions": {
            "calltray": subprocess.run([calltray, "--version"], capture_output=True,
                                       text=True).stdout.strip(),
            "python": platform.python_version(),
            "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True)
                   .stdout.splitlines()[0].strip(),
            "tiny_http": "0.12",
            "notify_send": subprocess.run(["notify-send", "--version"], capture_output=True,
                                          text=True).stdout.strip(),
        },
    }

    # Items 1 and 3: callback to Notify, and item 2's servers, headless on one bus.
    session = Session(os.path.join(tmp, "session"))
    home = os.path.join(tmp, "home-latency")
    env = session.env(home)
    port = free_port()
    config = write_config(home, port)
    progress(f"callback to Notify, calltray, {args.calls} calls…")
    ours = notify_latency(bench, session, env, port, [calltray, "--headless", "--config", config],
                          "calltray", args.calls, log)
    progress(f"callback to Notify, Python + notify-send, {args.calls} calls…")
    py_port = free_port()
    theirs = notify_latency(
        bench, session, env, py_port,
        [sys.executable, python_server, "--port", str(py_port), "--extension", EXTENSION],
        "python", args.calls, log)
    a, b = ours["callback_to_notify"], theirs["callback_to_notify"]
    result["callback_to_notify"] = {
        "calls": args.calls,
        "calltray": ours,
        "python": theirs,
        "ratio_python_over_calltray": {"p50": ratio(b["p50_ms"], a["p50_ms"]),
                                       "p99": ratio(b["p99_ms"], a["p99_ms"])},
    }

    # Item 2: the drop path.
    script = os.path.join(tmp, "drop.lua")
    with open(script, "w") as f:
        f.write(
            "-- CallInitiated for another extension: answered, then dropped.\n"
            'wrk.method = "GET"\n'
            f'wrk.path = "/init?callid=wrk-drop&type=incoming&caller=5145551212&callee={OTHER_EXTENSION}"\n'
        )
    drop = {"wrk": f"wrk -t2 -c16 -d{args.wrk_seconds}s -s drop.lua", "seconds": args.wrk_seconds,
            "bare_tiny_http_workers": 4}
    servers = [
        ("calltray", [calltray, "--headless", "--config", config], port),
        ("bare_tiny_http", [bench, "bare-server", "--listen", f"127.0.0.1:{port}",
                            "--workers", "4"], port),
        ("python", [sys.executable, python_server, "--port", str(py_port),
                    "--extension", EXTENSION], py_port),
    ]
    for name, cmd, p in servers:
        progress(f"drop path, {name}, wrk {args.wrk_seconds} s…")
        server = start(cmd, env=env, stdout=log, stderr=log)
        wait_port(p, server, name)
        status, body = get(p, "/init?callid=check&type=incoming&caller=5145551212"
                              f"&callee={OTHER_EXTENSION}")
        if status != 200:
            raise SystemExit(f"{name} answered {status} {body!r} on the drop path")
        drop[name] = run_wrk(p, script, args.wrk_seconds)
        stop(server)
    rps = {name: drop[name]["requests_per_second"] for name, _, _ in servers}
    drop["ratio_calltray_over_bare"] = ratio(rps["calltray"], rps["bare_tiny_http"])
    drop["ratio_bare_over_python"] = ratio(rps["bare_tiny_http"], rps["python"])
    drop["ratio_calltray_over_python"] = ratio(rps["calltray"], rps["python"])
    result["drop_path"] = drop
    session.close()

    # Item 5: start to ready, headless then with the tray.
    ready = {}
    for mode in ["headless", "tray"]:
        progress(f"start to ready, {mode}, {args.starts} starts…")
        session = Session(os.path.join(tmp, f"session-{mode}"), display=(mode == "tray"))
        home = os.path.join(tmp, f"home-{mode}")
        env = session.env(home)
        port = free_port()
        config = write_config(home, port)
        cmd_args = (["--headless"] if mode == "headless" else []) + ["--config", config]
        timer = start(
            [bench, "startup", "--program", calltray, "--args", " ".join(cmd_args),
             "--health", f"127.0.0.1:{port}", "--runs", str(args.starts), "--bus", session.bus,
             "--tray", "yes" if mode == "tray" else "no", "--log", log.name],
            env=env, stdout=subprocess.PIPE, text=True,
        )
        out = timer.stdout.readline()
        timer.wait()
        STARTED.remove(timer)
        session.close()
        if timer.returncode != 0:
            raise SystemExit(f"start-up timing failed ({mode}; see {log.name})")
        figures = json.loads(out)
        ready[mode] = {k: v for k, v in figures.items() if v is not None}
    result["start_to_ready"] = ready

    a = result["callback_to_notify"]
    result["targets"] = {
        "callback_to_notify_p50": {"target": "callback to Notify, p50 < 2 ms",
                                   "met": a["calltray"]["callback_to_notify"]["p50_ms"] < 2},
        "callback_to_notify_p99": {"target": "callback to Notify, p99 < 5 ms",
                                   "met": a["calltray"]["callback_to_notify"]["p99_ms"] < 5},
        "drop_path_vs_bare": {"target": "drop path at least 90% of bare tiny_http",
                              "met": (drop["ratio_calltray_over_bare"] or 0) >= 0.9},
        "notify_vs_python": {"target": "callback to Notify 20 times lower than the script (p50)",
                             "met": (a["ratio_python_over_calltray"]["p50"] or 0) >= 20},
        "ready_headless": {"target": "headless exec to /health under 100 ms (median)",
                           "met": ready["headless"]["exec_to_health"]["p50_ms"] < 100},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
