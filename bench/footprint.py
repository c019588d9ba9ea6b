#!/usr/bin/env python3
"""calltray's footprint (issue 6, items 4 and 6): what it costs while idle, and whether its
start, its tray menu and its memory follow the size of the call history or the number of calls
it has seen.

Usage: bench/footprint.py [PATH_TO_CALLTRAY] [--quick] [--tmpfs | --disk]
       [--minimal-watcher]
       (default binary: target/release/calltray; --quick: 10 idle seconds, 10,000 calls;
       --tmpfs: the data folder of the ended-calls measure on /dev/shm; --minimal-watcher:
       the bench's own StatusNotifierWatcher even where xfce4-panel is installed)

Everything it needs it starts itself, and it ends every process it started (by pid): a virtual
display (Xvfb), a private D-Bus session bus (dbus-daemon, no service activation), a real
notification service (dunst) and a real tray host (xfce4-panel's systray plugin, with its
xfconfd), else, when xfce4-panel is not installed, a minimal StatusNotifierWatcher of its own
(`tray_host` says which). The Debian packages it needs are in bench/apt-packages-footprint.txt.
Progress goes to stderr; stdout gets ONE JSON object:

{
  "machine": {"cores", "kernel", "date", "binary", "binary_bytes", "version"},
  "tray_host": "xfce4-panel <version> (systray plugin)" | "minimal StatusNotifierWatcher (bench)",
  "notification_service": "dunst <version>",
  "idle": {                      # item 4: one call sent through, then `idle_seconds` of nothing
    "headless" | "tray": {
      "idle_seconds", "cpu_ticks" (utime+stime of every thread, difference over the idle
      time, in clock ticks of 1/`clk_tck` s), "clk_tck", "threads", "thread_names",
      "vm_rss_kb", "rss_anon_kb", "rss_file_kb", "rss_shmem_kb", "pss_kb",
      "pss_anon_kb", "pss_file_kb" (smaps_rollup),
      "vm_rss_kb_max" (highest of the samples taken every 5 s),
      "rss_by_mapping": [{"mapping", "rss_kb", "pss_kb", "anon_kb"}, ...] (the largest,
      grouped by file, with [heap], [stack] and anonymous memory apart),
      "gl_stack_loaded": whether Mesa's GL (libLLVM, a dri driver) is mapped: with the
      minimal watcher, appindicator falls back to an icon window of its own and loads it
    }
  },
  "scaling": {                   # item 6
    "history": [{
      "calls", "file_mb",
      "start_to_health_ms": median of `starts` headless starts, exec -> /health 200,
      "start_to_health_ms_all",
      "rss_after_start_kb": headless, 2 s after /health,
      "tray_start_to_menu_ms": exec -> the tray menu, read over D-Bus, lists the recent calls
                                (median of `tray_starts`),
      "menu_get_layout_ms": median round trip of dbusmenu GetLayout(0, -1, []) on the item's
                            whole menu (what a panel calls to draw it),
      "menu_about_to_show_ms": median round trip of AboutToShow + GetLayout on the
                               "Recent calls" submenu (what a panel calls when it opens),
      "menu_get_layout_ms_min", "menu_about_to_show_ms_min": the fastest of the 50 calls,
      "rss_after_start_tray_kb",
      "recent_calls_in_menu"
    }, ...],
    "growth_1k_to_1m_percent": {figure: percent change from 1,000 to 1,000,000 calls},
    "ended_calls": {             # memory after calls went through the tracker, headless
      "calls", "events", "connections", "data_on": "tmpfs" | "disk", "seconds",
      "events_per_second", "samples": [{"calls", "vm_rss_kb", "rss_anon_kb", "threads"}, ...],
      "growth_kb_first_to_last_half": RSS after all calls minus RSS after half of them
    }
  }
}
Measurements, not tests: nothing here passes or fails, and the figures depend on the machine
and on what else runs on it.
"""

import atexit
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

EXTENSION = "100"


def log(*args):
    print("footprint:", *args, file=sys.stderr, flush=True)


# --- processes -------------------------------------------------------------------------------

STARTED = []  # every Popen this script made, ended by pid in reverse order at exit


def spawn(argv, env=None, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
    STARTED.append(p)
    return p


def stop(p, grace=3.0):
    """SIGTERM, then SIGKILL after `grace`; always reaped (so its pid was never reused)."""
    if p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGTERM)
            p.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
        except ProcessLookupError:
            pass
    if p in STARTED:
        STARTED.remove(p)


def stop_all():
    for p in reversed(list(STARTED)):
        stop(p)


atexit.register(stop_all)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
signal.signal(signal.SIGINT, lambda *_: sys.exit(130))


# --- a minimal D-Bus client (wire protocol, little-endian) -----------------------------------

ALIGN = {"y": 1, "b": 4, "n": 2, "q": 2, "i": 4, "u": 4, "x": 8, "t": 8, "d": 8, "h": 4,
         "s": 4, "o": 4, "g": 1, "a": 4, "(": 8, "{": 8, "v": 1}
FIXED = {"y": "B", "b": "I", "n": "h", "q": "H", "i": "i", "u": "I", "x": "q", "t": "Q",
         "d": "d", "h": "I"}


def split_signature(sig):
    """The complete types of a signature, in order."""
    out, i = [], 0
    while i < len(sig):
        j = i
        while sig[j] == "a":
            j += 1
        if sig[j] in "({":
            depth, k = 0, j
            while True:
                depth += sig[k] in "({"
                depth -= sig[k] in ")}"
                k += 1
                if depth == 0:
                    break
            j = k
        else:
            j += 1
        out.append(sig[i:j])
        i = j
    return out


class Writer:
    def __init__(self, start=0):
        self.buf = bytearray()
        self.start = start  # offset of buf[0] in the message, for alignment

    def pad(self, n):
        while (self.start + len(self.buf)) % n:
            self.buf.append(0)

    def put(self, t, v):
        c = t[0]
        self.pad(ALIGN[c])
        if c in FIXED:
            self.buf += struct.pack("<" + FIXED[c], int(v) if c == "b" else v)
        elif c in "so":
            b = v.encode()
            self.buf += struct.pack("<I", len(b)) + b + b"\0"
        elif c == "g":
            b = v.encode()
            self.buf += bytes([len(b)]) + b + b"\0"
        elif c == "v":
            sig, value = v
            self.put("g", sig)
            self.put(sig, value)
        elif c == "a":
            at = len(self.buf)
            self.buf += b"\0\0\0\0"
            inner = t[1:]
            self.pad(ALIGN[inner[0]])
            begin = len(self.buf)
            items = v.items() if inner[0] == "{" else v
            for item in items:
                self.put(inner, item)
            struct.pack_into("<I", self.buf, at, len(self.buf) - begin)
        elif c in "({":
            for sub, value in zip(split_signature(t[1:-1]), v):
                self.put(sub, value)
        else:
            raise ValueError(f"cannot write D-Bus type {t}")


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def get(self, t):
        c = t[0]
        self.pos += -self.pos % ALIGN[c]
        if c in FIXED:
            fmt = "<" + FIXED[c]
            (v,) = struct.unpack_from(fmt, self.data, self.pos)
            self.pos += struct.calcsize(fmt)
            return bool(v) if c == "b" else v
        if c in "so":
            (n,) = struct.unpack_from("<I", self.data, self.pos)
            v = self.data[self.pos + 4:self.pos + 4 + n].decode()
            self.pos += 5 + n
            return v
        if c == "g":
            n = self.data[self.pos]
            v = self.data[self.pos + 1:self.pos + 1 + n].decode()
            self.pos += 2 + n
            return v
        if c == "v":
            sig = self.get("g")
            return (sig, self.get(sig))
        if c == "a":
            (n,) = struct.unpack_from("<I", self.data, self.pos)
            self.pos += 4
            inner = t[1:]
            self.pos += -self.pos % ALIGN[inner[0]]
            end, items = self.pos + n, []
            while self.pos < end:
                items.append(self.get(inner))
            return dict(items) if inner[0] == "{" else items
        if c in "({":
            return tuple(self.get(sub) for sub in split_signature(t[1:-1]))
        raise ValueError(f"cannot read D-Bus type {t}")


class DBusError(Exception):
    pass


REPLIED = object()  # a handler's answer when it has sent its reply itself


class Bus:
    """One connection to a bus: method calls with replies, and method calls served to others
    through `handler(message) -> (signature, values) | None`."""

    def __init__(self, address, handler=None):
        path = address.split("unix:path=", 1)[1].split(",")[0]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        uid = str(os.getuid()).encode().hex()
        self.sock.sendall(b"\0AUTH EXTERNAL " + uid.encode() + b"\r\n")
        line = self._line()
        if not line.startswith(b"OK"):
            raise DBusError(f"authentication refused: {line!r}")
        self.sock.sendall(b"BEGIN\r\n")
        self.serial = 0
        self.lock = threading.Lock()
        self.pending = {}
        self.handler = handler
        self.closed = False
        threading.Thread(target=self._read_loop, daemon=True).start()
        self.name = self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                              "org.freedesktop.DBus", "Hello")[0]

    def _line(self):
        out = b""
        while not out.endswith(b"\r\n"):
            b = self.sock.recv(1)
            if not b:
                raise DBusError("bus closed during authentication")
            out += b
        return out

    def _recv(self, n):
        out = bytearray()
        while len(out) < n:
            b = self.sock.recv(n - len(out))
            if not b:
                raise EOFError
            out += b
        return bytes(out)

    def send(self, kind, fields, sig="", args=(), flags=0, slot=None):
        with self.lock:
            self.serial += 1
            serial = self.serial
            if slot is not None:
                self.pending[serial] = slot
            body = Writer()
            for t, v in zip(split_signature(sig), args):
                body.put(t, v)
            if sig:
                fields = fields + [(8, ("g", sig))]
            head = Writer()
            head.buf += struct.pack("<cBBBII", b"l", kind, flags, 1, len(body.buf), serial)
            head.put("a(yv)", fields)
            head.pad(8)
            self.sock.sendall(bytes(head.buf) + bytes(body.buf))
        return serial

    def call(self, dest, path, iface, member, sig="", args=(), timeout=10.0):
        fields = [(1, ("o", path)), (3, ("s", member)), (6, ("s", dest))]
        if iface:
            fields.append((2, ("s", iface)))
        slot = {"event": threading.Event()}
        self.send(1, fields, sig, args, slot=slot)
        if not slot["event"].wait(timeout):
            raise DBusError(f"{member} on {dest}{path}: no answer in {timeout} s")
        if slot["error"]:
            raise DBusError(f"{member} on {dest}{path}: {slot['error']}")
        return slot["body"]

    def reply(self, msg, sig="", args=()):
        self.send(2, [(5, ("u", msg["serial"])), (6, ("s", msg["sender"]))], sig, args)

    def error(self, msg, name, text):
        self.send(3, [(4, ("s", name)), (5, ("u", msg["serial"])), (6, ("s", msg["sender"]))],
                  "s", [text])

    def signal(self, path, iface, member, sig="", args=()):
        self.send(4, [(1, ("o", path)), (2, ("s", iface)), (3, ("s", member))], sig, args)

    def _read_loop(self):
        try:
            while True:
                fixed = self._recv(16)
                if fixed[0:1] != b"l":
                    raise DBusError("big-endian message: not supported here")
                kind, _flags, _ver, body_len, serial, fields_len = struct.unpack_from(
                    "<BBBIII", fixed, 1)
                rest = self._recv(fields_len + (-(16 + fields_len) % 8) + body_len)
                data = fixed + rest
                fields = dict(Reader(data, 12).get("a(yv)"))
                body_at = 16 + fields_len + (-(16 + fields_len) % 8)
                sig = fields.get(8, ("g", ""))[1]
                r = Reader(data[body_at:])
                body = [r.get(t) for t in split_signature(sig)]
                msg = {"kind": kind, "serial": serial, "body": body, "sig": sig,
                       "path": fields.get(1, (None, None))[1],
                       "interface": fields.get(2, (None, None))[1],
                       "member": fields.get(3, (None, None))[1],
                       "sender": fields.get(7, (None, None))[1]}
                if kind in (2, 3):
                    with self.lock:
                        slot = self.pending.pop(fields.get(5, (None, None))[1], None)
                    if slot is not None:
                        slot["body"] = body
                        slot["error"] = None if kind == 2 else (
                            fields.get(4, ("s", "?"))[1] + ": " + str(body[:1]))
                        slot["event"].set()
                elif kind == 1 and self.handler is not None:
                    try:
                        answer = self.handler(self, msg)
                    except Exception as e:  # an answer, never a dead connection
                        self.error(msg, "org.freedesktop.DBus.Error.Failed", str(e))
                        continue
                    if answer is REPLIED:
                        continue
                    if answer is None:
                        self.error(msg, "org.freedesktop.DBus.Error.UnknownMethod",
                                   f"{msg['interface']}.{msg['member']}")
                    else:
                        self.reply(msg, *answer)
        except (EOFError, OSError, DBusError):
            self.closed = True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def minimal_watcher(bus):
    """A StatusNotifierWatcher of the bench's own, for machines without xfce4-panel: it lists
    the items that register and says a host is there (so appindicator shows its item)."""
    items = []

    def handle(conn, msg):
        iface, member = msg["interface"], msg["member"]
        if member == "RegisterStatusNotifierItem":
            service = msg["body"][0]
            name = msg["sender"] + service if service.startswith("/") else service
            if "/" not in name:
                name += "/StatusNotifierItem"
            if name not in items:
                items.append(name)
            conn.reply(msg)  # the reply first, then the signal
            conn.signal("/StatusNotifierWatcher", "org.kde.StatusNotifierWatcher",
                        "StatusNotifierItemRegistered", "s", [name])
            return REPLIED
        if member == "RegisterStatusNotifierHost":
            return ("", ())
        props = {"RegisteredStatusNotifierItems": ("as", list(items)),
                 "IsStatusNotifierHostRegistered": ("b", True),
                 "ProtocolVersion": ("i", 0)}
        if iface == "org.freedesktop.DBus.Properties" and member == "Get":
            return ("v", [props[msg["body"][1]]])
        if iface == "org.freedesktop.DBus.Properties" and member == "GetAll":
            return ("a{sv}", [props])
        return None

    bus.handler = handle
    reply = bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                     "RequestName", "su", ["org.kde.StatusNotifierWatcher", 4])
    if reply[0] != 1:
        raise DBusError("could not own org.kde.StatusNotifierWatcher")
    # A host's name too: without one on the bus, appindicator falls back to an XEmbed icon
    # in a window of its own (and loads the GL stack for it).
    bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
             "RequestName", "su", [f"org.kde.StatusNotifierHost-{os.getpid()}", 4])


# --- the desktop -----------------------------------------------------------------------------

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# xfce4-panel's config: one panel with the systray plugin, which hosts StatusNotifierItems.
PANEL_XML = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=8;x=512;y=584"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="32"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="systray"/>
  </property>
</channel>
"""


def package_version(name):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"


def find_xfconfd():
    for d in ("/usr/lib/x86_64-linux-gnu/xfce4/xfconf", "/usr/lib/xfce4/xfconf",
              "/usr/libexec"):
        p = os.path.join(d, "xfconfd")
        if os.access(p, os.X_OK):
            return p
    return None


class Desktop:
    """Xvfb, a private session bus, dunst and a tray host, under one temporary folder."""

    def __init__(self, root, own_watcher=False):
        self.root = root
        self.home = os.path.join(root, "home")
        self.runtime = os.path.join(root, "runtime")
        os.makedirs(os.path.join(self.home, ".config/xfce4/xfconf/xfce-perchannel-xml"))
        os.makedirs(self.runtime, mode=0o700)
        self.logs = os.path.join(root, "logs")
        os.makedirs(self.logs)
        with open(os.path.join(self.home, ".config/xfce4/xfconf/xfce-perchannel-xml",
                               "xfce4-panel.xml"), "w") as f:
            f.write(PANEL_XML)
        self.procs = []
        socket_path = os.path.join(root, "bus")
        conf = os.path.join(root, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG.format(socket=socket_path))
        dbus = self._spawn("dbus", ["dbus-daemon", f"--config-file={conf}", "--nofork",
                                    "--print-address"], stdout=subprocess.PIPE)
        self.bus_address = dbus.stdout.readline().decode().strip()
        xvfb = self._spawn("xvfb", ["Xvfb", "-displayfd", "1", "-screen", "0", "1024x600x24",
                                    "-nolisten", "tcp"], stdout=subprocess.PIPE)
        self.display = ":" + xvfb.stdout.readline().decode().strip()
        self.bus = Bus(self.bus_address)
        self._spawn("dunst", ["dunst"])
        self.notification_service = "dunst " + package_version("dunst")
        self.watcher_bus = None
        xfconfd = find_xfconfd()
        if shutil.which("xfce4-panel") and xfconfd and not own_watcher:
            self._spawn("xfconfd", [xfconfd])
            self._wait_name("org.xfce.Xfconf", 20)
            self._spawn("xfce4-panel", ["xfce4-panel", "--disable-wm-check"])
            self.tray_host = ("xfce4-panel " + package_version("xfce4-panel")
                              + " (systray plugin)")
        else:
            self.watcher_bus = Bus(self.bus_address)
            minimal_watcher(self.watcher_bus)
            self.tray_host = "minimal StatusNotifierWatcher (bench)"
        self._wait_name("org.kde.StatusNotifierWatcher", 30)
        self._wait_name("org.freedesktop.Notifications", 20)

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if k in ("PATH", "LD_LIBRARY_PATH", "RUST_BACKTRACE")}
        env.update({
            "DISPLAY": self.display, "DBUS_SESSION_BUS_ADDRESS": self.bus_address,
            "HOME": self.home, "XDG_RUNTIME_DIR": self.runtime,
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "XDG_DATA_HOME": os.path.join(self.home, ".local/share"),
            "XDG_STATE_HOME": os.path.join(self.home, ".local/state"),
            "XDG_CACHE_HOME": os.path.join(self.home, ".cache"),
            "XDG_SESSION_TYPE": "x11", "GDK_BACKEND": "x11", "NO_AT_BRIDGE": "1",
            "GSETTINGS_BACKEND": "memory", "GIO_USE_VFS": "local", "LANG": "C.UTF-8",
        })
        return env

    def _spawn(self, name, argv, stdout=None):
        err = open(os.path.join(self.logs, name + ".log"), "w")
        p = spawn(argv, env=self.env() if hasattr(self, "display") else None,
                  stdout=stdout or err, stderr=err)
        self.procs.append(p)
        return p

    def names(self):
        return self.bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "ListNames")[0]

    def _wait_name(self, name, timeout):
        deadline = time.monotonic() + timeout
        while name not in self.names():
            if time.monotonic() > deadline:
                raise SystemExit(f"footprint: {name} did not appear on the bus "
                                 f"(logs in {self.logs})")
            time.sleep(0.05)

    def tray_items(self):
        try:
            v = self.bus.call("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher",
                              "org.freedesktop.DBus.Properties", "Get", "ss",
                              ["org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems"])
        except DBusError:
            return []
        return v[0][1]

    def close(self):
        self.bus.close()
        if self.watcher_bus:
            self.watcher_bus.close()
        for p in reversed(self.procs):
            stop(p)


# --- calltray --------------------------------------------------------------------------------

def write_config(path):
    with open(path, "w") as f:
        # Everything kept, so that pruning never runs during a measure.
        f.write(f'extensions = ["{EXTENSION}"]\nlanguage = "en"\n'
                '[listen]\naddress = "127.0.0.1:0"\n'
                "[history]\nkeep_days = 3650\nkeep_calls = 10000000\n")


def logged(log):
    """What calltray has written to `log` so far. Read with pread, which leaves the file
    offset alone: calltray writes through the same offset, so a seek to the start here
    would make its next line overwrite the first ones (a lost "Listening on" line)."""
    fd = log.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")


class Agent:
    """One calltray run: exec, then the address it logs once it listens."""

    def __init__(self, binary, config, env, headless):
        self.log = tempfile.TemporaryFile()
        argv = [binary, "--config", config] + (["--headless"] if headless else [])
        self.started = time.perf_counter()
        self.proc = spawn(argv, env=env, stderr=self.log)
        self.pid = self.proc.pid
        self.address = None

    def wait_listening(self, timeout=60):
        deadline = time.monotonic() + timeout
        while self.address is None:
            m = re.search(r"Listening on (http://[\d.:]+)", logged(self.log))
            if m:
                self.address = m.group(1)
            elif self.proc.poll() is not None or time.monotonic() > deadline:
                how = (f"it ended with status {self.proc.returncode}"
                       if self.proc.poll() is not None
                       else f"still not listening after {timeout} s")
                if self.proc.poll() is None and shutil.which("gdb"):
                    # Where it waits, for whoever reads this failure.
                    subprocess.run(["gdb", "-p", str(self.proc.pid), "-batch", "-ex",
                                    "thread apply all bt 12"], stdout=sys.stderr,
                                   stderr=subprocess.DEVNULL, timeout=60, check=False)
                raise SystemExit(f"footprint: calltray did not start ({how}): {logged(self.log)}")
            else:
                time.sleep(0.001)
        return self.address

    def wait_health(self):
        """Seconds from exec to the first /health 200."""
        address = self.wait_listening()
        while True:
            try:
                with urllib.request.urlopen(address + "/health", timeout=5) as r:
                    if r.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                time.sleep(0.001)

    def stop(self):
        stop(self.proc)


def send_call(address, callid, caller="5145551212", conn=None):
    """CallInitiated then CallEnded (a missed call) for the user's extension."""
    host, port = address.split("//")[1].rsplit(":", 1)
    own = conn is None
    if own:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
    for path, extra in (("/init", ""), ("/ended", "&duration=0")):
        conn.request("GET", f"{path}?callid={callid}&type=incoming&caller={caller}"
                            f"&callee={EXTENSION}{extra}")
        r = conn.getresponse()
        body = r.read()
        if r.status != 200 or not body.startswith(b"accepted"):
            raise SystemExit(f"footprint: callback answered {r.status} {body!r}")
    if own:
        conn.close()


# --- /proc -----------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    kb = lambda k: int(out.get(k, "0 kB").split()[0])
    return {"vm_rss_kb": kb("VmRSS"), "rss_anon_kb": kb("RssAnon"), "rss_file_kb": kb("RssFile"),
            "rss_shmem_kb": kb("RssShmem"), "threads": int(out["Threads"])}


def rollup(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                out[parts[0].rstrip(":")] = int(parts[1])
    return {"pss_kb": out.get("Pss", 0), "pss_anon_kb": out.get("Pss_Anon", 0),
            "pss_file_kb": out.get("Pss_File", 0)}


def cpu_ticks(pid):
    """utime + stime of the whole process, in clock ticks: /proc/PID/stat counts every
    thread, those that have ended included."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def thread_names(pid):
    names = []
    for tid in sorted(os.listdir(f"/proc/{pid}/task"), key=int):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass
    return names


def by_mapping(pid, binary, top=12):
    """Resident memory grouped by what is mapped: each file, [heap], [stack], anonymous."""
    groups = {}
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                name = head[5] if len(head) > 5 else "[anonymous]"
                if name == os.path.realpath(binary):
                    name = "calltray (binary)"
                current = groups.setdefault(name, {"mapping": name, "rss_kb": 0, "pss_kb": 0,
                                                   "anon_kb": 0})
            elif head and head[0] in ("Rss:", "Pss:", "Anonymous:") and current is not None:
                key = {"Rss:": "rss_kb", "Pss:": "pss_kb", "Anonymous:": "anon_kb"}[head[0]]
                current[key] += int(head[1])
    rows = sorted(groups.values(), key=lambda g: -g["rss_kb"])
    rest = rows[top:]
    rows = rows[:top]
    if rest:
        rows.append({"mapping": f"{len(rest)} other mappings",
                     "rss_kb": sum(r["rss_kb"] for r in rest),
                     "pss_kb": sum(r["pss_kb"] for r in rest),
                     "anon_kb": sum(r["anon_kb"] for r in rest)})
    return rows


def memory(pid):
    m = status(pid)
    m.update(rollup(pid))
    return m


# --- the tray menu over D-Bus ----------------------------------------------------------------

def calltray_item(desktop, pid):
    """(bus name, item path) of calltray's StatusNotifierItem, or None while it has none."""
    for entry in desktop.tray_items():
        name, _, path = entry.partition("/")
        path = "/" + path if path else "/StatusNotifierItem"
        try:
            owner_pid = desktop.bus.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                         "s", [name])[0]
        except DBusError:
            continue
        if owner_pid == pid:
            return name, path
    return None


def menu_path(desktop, item):
    name, path = item
    v = desktop.bus.call(name, path, "org.freedesktop.DBus.Properties", "Get", "ss",
                         ["org.kde.StatusNotifierItem", "Menu"])
    return v[0][1]


def layout(desktop, name, menu, parent=0):
    return desktop.bus.call(name, menu, "com.canonical.dbusmenu", "GetLayout", "iias",
                            [parent, -1, []])[1]


def label(node):
    v = node[1].get("label")
    return v[1] if v else ""


def recent_submenu(node):
    """The "Recent calls" submenu: the one whose children are submenus of calls, or the
    third item (status, separator, recent calls) when it has no calls yet."""
    children = [c[1] for c in node[2]]
    for child in children:
        if label(child).replace("_", "").startswith("Recent calls"):
            return child
    return children[2] if len(children) > 2 else None


def wait_menu(desktop, agent, want, timeout=60):
    """Polls until calltray's menu lists `want` recent calls; returns (name, menu path, node)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        item = calltray_item(desktop, agent.pid)
        if item:
            try:
                menu = menu_path(desktop, item)
                sub = recent_submenu(layout(desktop, item[0], menu))
                if sub is not None and len(sub[2]) >= want:
                    return item[0], menu, sub
            except DBusError:
                pass
        if agent.proc.poll() is not None:
            raise SystemExit("footprint: calltray stopped while its tray was awaited")
        time.sleep(0.002)
    raise SystemExit(f"footprint: calltray's tray menu did not list {want} recent calls")


# --- the measures ----------------------------------------------------------------------------

def workspace(desktop, name):
    """A config and data folders of its own for one series of runs."""
    root = tempfile.mkdtemp(prefix=f"footprint-{name}-", dir=desktop.root)
    config = os.path.join(root, "calltray.toml")
    write_config(config)
    env = desktop.env()
    env["XDG_DATA_HOME"] = os.path.join(root, "data")
    env["XDG_STATE_HOME"] = os.path.join(root, "state")
    return root, config, env


def measure_idle(desktop, binary, headless, seconds):
    what = "headless" if headless else "tray"
    log(f"idle, {what}: one call, then {seconds} s of nothing")
    _, config, env = workspace(desktop, "idle-" + what)
    if headless:
        env.pop("DISPLAY", None)
    agent = Agent(binary, config, env, headless)
    agent.wait_health()
    if not headless:
        wait_menu(desktop, agent, 0)
    send_call(agent.address, "idle-1")
    if not headless:
        wait_menu(desktop, agent, 1)
    time.sleep(3)  # the toast shown, the history written, the menu drawn
    before = cpu_ticks(agent.pid)
    samples = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        samples.append(status(agent.pid)["vm_rss_kb"])
        time.sleep(min(5, max(0, end - time.monotonic())))
    after = cpu_ticks(agent.pid)
    out = {"idle_seconds": seconds, "cpu_ticks": after - before, "clk_tck": CLK_TCK}
    out.update(memory(agent.pid))
    out["vm_rss_kb_max"] = max(samples + [out["vm_rss_kb"]])
    out["thread_names"] = thread_names(agent.pid)
    out["rss_by_mapping"] = by_mapping(agent.pid, binary)
    with open(f"/proc/{agent.pid}/maps") as f:
        maps = f.read()
    # Mesa's software GL (llvmpipe) is loaded when GTK draws a window of its own, as
    # appindicator's fallback icon does when it finds no tray host it trusts.
    out["gl_stack_loaded"] = "libLLVM" in maps or "/dri/" in maps
    agent.stop()
    log(f"  {out['cpu_ticks']} ticks, {out['vm_rss_kb']} kB resident, {out['threads']} threads")
    return out


def fill(db_path, calls):
    """Adds calls (an initiated and an ended event each) to the history calltray created, a
    call a minute going back in time, as bench/history.py does."""
    db = sqlite3.connect(db_path)
    now = int(time.time() * 1000)
    step = 60_000
    events, rows = [], []

    def flush():
        db.executemany(
            "INSERT INTO events (received_at, kind, callid, direction, caller, callee, duration,"
            " extra) VALUES (?,?,?,?,?,?,?,?)", events)
        db.executemany(
            "INSERT INTO calls (callid, direction, extension, party, state, first_seen,"
            " answered_at, ended_at, duration, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        db.commit()
        events.clear()
        rows.clear()

    for i in range(calls):
        t = now - (calls - i) * step
        cid = f"B{i}"
        caller = f"514555{i % 10000:04d}"
        events.append((t, "CallInitiated", cid, "incoming", caller, EXTENSION, None, "[]"))
        events.append((t + 5000, "CallEnded", cid, "incoming", caller, EXTENSION, None, "[]"))
        rows.append((cid, "incoming", EXTENSION, caller, "missed", t, None, t + 5000, None,
                     t + 5000))
        if len(rows) == 50_000:
            flush()
    flush()
    db.close()


def timed_call(fn, n):
    """Median and fastest of n calls, in ms: on a busy machine the fastest says more about
    the work itself, the median about what a user waits."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 3), round(min(times), 3)


class StoredHistory:
    """A config whose history holds `calls` calls, made before any of them is measured."""

    def __init__(self, desktop, binary, calls):
        log(f"history of {calls:,} calls: filling")
        self.calls = calls
        root, self.config, self.env = workspace(desktop, f"history-{calls}")
        self.headless_env = dict(self.env)
        self.headless_env.pop("DISPLAY", None)
        first = Agent(binary, self.config, self.headless_env, True)
        first.wait_health()  # creates the file and its schema
        first.stop()
        db_path = os.path.join(root, "data", "calltray", "history.sqlite3")
        fill(db_path, calls)
        self.file_mb = round(os.path.getsize(db_path) / 1e6, 1)


def measure_starts(binary, stored, rounds):
    """Start to /health for each history, taking turns: one start of each per round, so that
    whatever else the machine does meanwhile falls on every size alike."""
    times = {h.calls: [] for h in stored}
    rss = {}
    for r in range(rounds):
        for h in stored:
            agent = Agent(binary, h.config, h.headless_env, True)
            times[h.calls].append(agent.wait_health() * 1000)
            if r == rounds - 1:
                time.sleep(2)
                rss[h.calls] = status(agent.pid)["vm_rss_kb"]
            agent.stop()
    return {n: {"start_to_health_ms": round(statistics.median(t), 1),
                "start_to_health_ms_all": [round(x, 1) for x in t],
                "rss_after_start_kb": rss[n]} for n, t in times.items()}


def measure_history(desktop, binary, h, starts, tray_starts):
    """The tray's figures for one stored history, beside its headless `starts`."""
    log(f"history of {h.calls:,} calls: the tray")
    config, env = h.config, h.env
    out = {"calls": h.calls, "file_mb": h.file_mb, **starts}
    menu_times = []
    for i in range(tray_starts):
        agent = Agent(binary, config, env, False)
        name, menu, sub = wait_menu(desktop, agent, 10)
        menu_times.append((time.perf_counter() - agent.started) * 1000)
        if i == tray_starts - 1:
            out["recent_calls_in_menu"] = len(sub[2])
            layout(desktop, name, menu)  # warm
            out["menu_get_layout_ms"], out["menu_get_layout_ms_min"] = timed_call(
                lambda: layout(desktop, name, menu), 50)

            def open_recent():
                desktop.bus.call(name, menu, "com.canonical.dbusmenu", "AboutToShow", "i",
                                 [sub[0]])
                layout(desktop, name, menu, sub[0])

            out["menu_about_to_show_ms"], out["menu_about_to_show_ms_min"] = timed_call(
                open_recent, 50)
            time.sleep(2)
            out["rss_after_start_tray_kb"] = status(agent.pid)["vm_rss_kb"]
        agent.stop()
    out["tray_start_to_menu_ms"] = round(statistics.median(menu_times), 1)
    out["tray_start_to_menu_ms_all"] = [round(t, 1) for t in menu_times]
    log(f"  start {out['start_to_health_ms']} ms, menu {out['tray_start_to_menu_ms']} ms, "
        f"GetLayout {out['menu_get_layout_ms']} ms, rss {out['rss_after_start_kb']} kB")
    return out


def measure_ended_calls(desktop, binary, calls, connections, data_on):
    log(f"{calls:,} calls through the tracker over {connections} connections "
        f"(data on {data_on})")
    parent = "/dev/shm" if data_on == "tmpfs" else desktop.root
    root = tempfile.mkdtemp(prefix="footprint-churn-", dir=parent)
    try:
        config = os.path.join(root, "calltray.toml")
        write_config(config)
        env = desktop.env()
        env.pop("DISPLAY", None)
        env["XDG_DATA_HOME"] = os.path.join(root, "data")
        env["XDG_STATE_HOME"] = os.path.join(root, "state")
        agent = Agent(binary, config, env, True)
        agent.wait_health()
        host, port = agent.address.split("//")[1].rsplit(":", 1)
        time.sleep(1)
        samples = [dict(calls=0, **status(agent.pid))]
        steps = 4
        per_step = calls // steps
        started = time.perf_counter()
        for step in range(steps):
            def worker(w):
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                for i in range(w, per_step, connections):
                    send_call(agent.address, f"churn-{step}-{i}",
                              caller=f"514{(step * per_step + i) % 10_000_000:07d}", conn=conn)
                conn.close()
            threads = [threading.Thread(target=worker, args=(w,)) for w in range(connections)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            time.sleep(1)
            samples.append(dict(calls=(step + 1) * per_step, **status(agent.pid)))
            log(f"  {samples[-1]['calls']:,} calls: {samples[-1]['vm_rss_kb']} kB")
        seconds = time.perf_counter() - started - steps
        agent.stop()
        half = samples[steps // 2]["vm_rss_kb"]
        return {"calls": calls, "events": calls * 2, "connections": connections,
                "data_on": data_on, "seconds": round(seconds, 1),
                "events_per_second": round(calls * 2 / seconds),
                "samples": [{k: s[k] for k in ("calls", "vm_rss_kb", "rss_anon_kb", "threads")}
                            for s in samples],
                "growth_kb_first_to_last_half": samples[-1]["vm_rss_kb"] - half}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def growth(histories):
    first, last = histories[0], histories[-1]
    out = {}
    for k in ("start_to_health_ms", "tray_start_to_menu_ms", "menu_get_layout_ms",
              "menu_get_layout_ms_min", "menu_about_to_show_ms", "menu_about_to_show_ms_min",
              "rss_after_start_kb", "rss_after_start_tray_kb"):
        if first.get(k) and last.get(k) is not None:
            out[k] = round((last[k] - first[k]) / first[k] * 100, 1)
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quick = "--quick" in sys.argv
    data_on = "tmpfs" if "--tmpfs" in sys.argv else "disk"
    binary = os.path.abspath(args[0] if args else "target/release/calltray")
    if not os.access(binary, os.X_OK):
        raise SystemExit(f"footprint: no calltray at {binary}: cargo build --release first")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    root = tempfile.mkdtemp(prefix="calltray-footprint-")
    desktop = None
    try:
        desktop = Desktop(root, own_watcher="--minimal-watcher" in sys.argv)
        log(f"desktop up: {desktop.tray_host}, {desktop.notification_service}")
        result = {
            "machine": {"cores": os.cpu_count(), "kernel": platform.release(),
                        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "binary": binary,
                        "binary_bytes": os.path.getsize(binary), "version": version},
            "tray_host": desktop.tray_host,
            "notification_service": desktop.notification_service,
        }
        idle_seconds = 10 if quick else 60
        result["idle"] = {
            "headless": measure_idle(desktop, binary, True, idle_seconds),
            "tray": measure_idle(desktop, binary, False, idle_seconds),
        }
        stored = [StoredHistory(desktop, binary, n) for n in (1_000, 100_000, 1_000_000)]
        os.sync()  # the files written, not still being flushed while calltray starts
        starts = measure_starts(binary, stored, 5 if quick else 15)
        histories = [measure_history(desktop, binary, h, starts[h.calls], 3 if quick else 5)
                     for h in stored]
        result["scaling"] = {
            "history": histories,
            "growth_1k_to_1m_percent": growth(histories),
            "ended_calls": measure_ended_calls(desktop, binary, 10_000 if quick else 100_000,
                                               8, data_on),
        }
        print(json.dumps(result, indent=2))
    finally:
        if desktop:
            desktop.close()
        stop_all()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
