#!/usr/bin/env python3
"""Does calltray's start-up follow the size of its call history? Builds histories of 1,000,
100,000 and 1,000,000 calls (two events each) and times, for each, calltray --headless from
exec until /health answers, and `calltray history --limit 10`.

Usage: bench/history.py [PATH_TO_CALLTRAY]   (default: target/release/calltray)
Measurements, not tests: nothing here passes or fails.
"""

import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


def logged(log):
    """What calltray has written to `log` so far. Read with pread, which leaves the file
    offset alone: calltray writes through the same offset, so a seek to the start here
    would make its next line overwrite the first ones (a lost "Listening on" line)."""
    fd = log.fileno()
    return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")


def start_to_health(binary, config, env):
    """Seconds from exec until /health answers 200."""
    log = tempfile.TemporaryFile()
    start = time.perf_counter()
    agent = subprocess.Popen([binary, "--config", config, "--headless"], stderr=log, env=env)
    try:
        address = None
        while address is None:
            m = re.search(r"Listening on (http://[\d.:]+)", logged(log))
            if m:
                address = m.group(1)
            elif agent.poll() is not None:
                raise SystemExit(f"calltray stopped: {logged(log)}")
            else:
                time.sleep(0.001)
        while True:
            try:
                with urllib.request.urlopen(address + "/health", timeout=5) as r:
                    if r.status == 200:
                        return time.perf_counter() - start
            except OSError:
                time.sleep(0.001)
    finally:
        agent.terminate()
        agent.wait()


def fill(db_path, calls):
    """Adds calls (an initiated and an ended event each) to the history calltray created."""
    db = sqlite3.connect(db_path)
    now = int(time.time() * 1000)
    step = 60_000  # a call a minute, going back in time
    events, rows = [], []
    for i in range(calls):
        t = now - (calls - i) * step
        cid = f"B{i}"
        events.append((t, "CallInitiated", cid, "incoming", "5145551212", "100", None, "[]"))
        events.append((t + 5000, "CallEnded", cid, "incoming", "5145551212", "100", None, "[]"))
        rows.append((cid, "incoming", "100", "5145551212", "missed", t, None, t + 5000, None, t + 5000))
        if len(rows) == 50_000:
            flush(db, events, rows)
            events, rows = [], []
    flush(db, events, rows)
    db.close()


def flush(db, events, rows):
    db.executemany(
        "INSERT INTO events (received_at, kind, callid, direction, caller, callee, duration, extra)"
        " VALUES (?,?,?,?,?,?,?,?)", events)
    db.executemany(
        "INSERT INTO calls (callid, direction, extension, party, state, first_seen, answered_at,"
        " ended_at, duration, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    db.commit()


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/calltray")
    print(f"calltray {binary}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}\n")
    print("| calls in the history | file MB | start to /health, median of 10 | `history --limit 10` |")
    print("|---|---|---|---|")
    for calls in (1_000, 100_000, 1_000_000):
        work = tempfile.mkdtemp(prefix="calltray-history-")
        config = os.path.join(work, "calltray.toml")
        with open(config, "w") as f:
            # Keep everything, so that pruning does not run during the measure.
            f.write('extensions = ["100"]\n[listen]\naddress = "127.0.0.1:0"\n'
                    "[history]\nkeep_days = 3650\nkeep_calls = 10000000\n")
        env = dict(os.environ, XDG_DATA_HOME=os.path.join(work, "data"))
        start_to_health(binary, config, env)  # creates the file and its schema
        db_path = os.path.join(work, "data", "calltray", "history.sqlite3")
        fill(db_path, calls)
        size = os.path.getsize(db_path) / 1e6
        starts = [start_to_health(binary, config, env) * 1000 for _ in range(10)]
        lists = []
        for _ in range(10):
            t = time.perf_counter()
            subprocess.run([binary, "--config", config, "history", "--limit", "10"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
            lists.append((time.perf_counter() - t) * 1000)
        print(f"| {calls:,} | {size:.0f} | {statistics.median(starts):.1f} ms |"
              f" {statistics.median(lists):.1f} ms |")


if __name__ == "__main__":
    main()
