#!/usr/bin/env python3
"""Writes BENCHMARKS.md (on stdout) from what bench/run.sh measured into RESULTS_DIR:
speed.json (bench/speed.py), footprint.json (bench/footprint.py) and criterion's own files
under target/criterion/. Each figure is set beside its target; nothing is judged here but
the comparison the issue asks for.

Usage: bench/report.py RESULTS_DIR > BENCHMARKS.md
"""

import datetime
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*cmd):
    """A command's first line of output, or 'not found'."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        text = (out.stdout or out.stderr).strip()
        return text.splitlines()[0] if text else "?"
    except (OSError, subprocess.TimeoutExpired):
        return "not found"


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    distro = "?"
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    distro = line.split("=", 1)[1].strip().strip('"')
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("Memory", f"{mem_kib / 1024 / 1024:.0f} GiB"),
        ("System", f"{distro}, Linux {platform.release()}"),
    ]


def lock_version(lock, name):
    """The version of crate `name` in a Cargo.lock."""
    text = (ROOT / lock).read_text()
    m = re.search(r'name = "' + re.escape(name) + r'"\nversion = "([^"]+)"', text)
    return m.group(1) if m else "?"


def versions():
    commit = run("git", "-C", str(ROOT), "describe", "--always")
    # Changes to tracked files other than BENCHMARKS.md, which a rerun rewrites, make the
    # measured code "dirty" (as `describe --dirty` would, untracked files not counting).
    changed = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "--", ".",
         ":!BENCHMARKS.md"], capture_output=True, text=True)
    if changed.returncode != 0 or changed.stdout.strip():
        commit += "-dirty"
    return [
        ("calltray", f"{run(str(ROOT / 'target/release/calltray'), '--version')} (commit {commit})"),
        ("rustc", run("rustc", "--version")),
        ("tiny_http", lock_version("Cargo.lock", "tiny_http")),
        ("notify-rust", lock_version("Cargo.lock", "notify-rust")),
        ("Python", run("python3", "--version")),
        ("notify-send", run("notify-send", "--version")),
        ("wrk", run("wrk", "--version").split(" Copyright")[0]),
        ("dbus-daemon", run("dbus-daemon", "--version")),
    ]


def criterion_rows():
    """(benchmark, median ns, 95% interval of the median) for each criterion benchmark."""
    rows = []
    base = ROOT / "target/criterion"
    for bench in sorted(base.glob("*/new/benchmark.json")):
        meta = json.loads(bench.read_text())
        est = json.loads((bench.parent / "estimates.json").read_text())["median"]
        ci = est["confidence_interval"]
        rows.append((meta.get("full_id", bench.parent.parent.name), est["point_estimate"],
                     ci["lower_bound"], ci["upper_bound"]))
    return rows


def duration(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(value):
    return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"


def stats_row(label, st):
    return (label, st["n"], ms(st["p50_ms"]), ms(st["p99_ms"]), ms(st["max_ms"]))


def targets_table(targets):
    return table(["target", "met"],
                  [(t["target"], "yes" if t["met"] else "**no**") for t in targets.values()])


def speed_section(speed):
    c2n = speed["callback_to_notify"]
    drop = speed["drop_path"]
    ready = speed["start_to_ready"]
    lines = [
        "## Callback to notification",
        "",
        f"From the moment a CallInitiated request is sent over loopback until its `Notify` call "
        f"reaches the session bus's notification service (a test service in bench/harness that "
        f"timestamps what it receives, on the same clock), over {c2n['calls']} calls each. "
        "calltray writes each event to its SQLite history (and syncs it) before it answers; "
        "the hand-written alternative is `bench/handwritten/notify_server.py`, a Python "
        "`http.server` that runs `notify-send` for each event.",
        "",
        table(["", "calls", "p50", "p99", "max"], [
            stats_row("calltray: sent → Notify", c2n["calltray"]["callback_to_notify"]),
            stats_row("calltray: sent → 200 read", c2n["calltray"]["callback_answered"]),
            stats_row("Python + notify-send: sent → Notify", c2n["python"]["callback_to_notify"]),
            stats_row("Python + notify-send: sent → 200 read", c2n["python"]["callback_answered"]),
        ]),
        "",
        f"The hand-written script is {c2n['ratio_python_over_calltray']['p50']:.0f} times slower "
        f"at the median and {c2n['ratio_python_over_calltray']['p99']:.0f} times at the 99th "
        "percentile.",
        "",
        "## The drop path: other people's calls",
        "",
        f"`{drop['wrk']}` for {drop['seconds']} s each, with keep-alive, sending CallInitiated for "
        "an extension that is not the user's, which calltray must answer (`200 ignored`) and "
        f"drop. The bare tiny_http server answers \"ok\" to everything with "
        f"{drop['bare_tiny_http_workers']} request threads, as calltray's tiny_http has: the "
        "ceiling of that stack. calltray's connection guard answers GETs for other extensions "
        "itself, without tiny_http, so calltray can pass the ceiling. The Python script keeps "
        "connections open too (HTTP/1.1).",
        "",
        table(["server", "requests/s", "non-2xx", "mean latency"], [
            (name, f"{drop[key]['requests_per_second']:,.0f}", drop[key]["non_2xx"],
             drop[key]["latency_avg"])
            for name, key in [("calltray", "calltray"), ("bare tiny_http", "bare_tiny_http"),
                              ("Python http.server", "python")]
        ]),
        "",
        f"calltray answers {drop['ratio_calltray_over_bare'] * 100:.1f}% of the ceiling; the "
        f"ceiling is {drop['ratio_bare_over_python']:.1f} times the hand-written script, and "
        f"calltray {drop['ratio_calltray_over_python']:.1f} times.",
        "",
        "## Start to ready",
        "",
        "From exec until `/health` answers 200, and with the tray until the tray item is "
        "registered with the StatusNotifierWatcher on the bus (a test watcher under Xvfb), "
        "one start after another with the same data folder.",
        "",
        table(["", "starts", "median", "max"], [
            ("headless: exec → /health", ready["headless"]["exec_to_health"]["n"],
             ms(ready["headless"]["exec_to_health"]["p50_ms"]),
             ms(ready["headless"]["exec_to_health"]["max_ms"])),
            ("tray: exec → /health", ready["tray"]["exec_to_health"]["n"],
             ms(ready["tray"]["exec_to_health"]["p50_ms"]),
             ms(ready["tray"]["exec_to_health"]["max_ms"])),
            ("tray: exec → tray item on the bus", ready["tray"]["exec_to_tray_item"]["n"],
             ms(ready["tray"]["exec_to_tray_item"]["p50_ms"]),
             ms(ready["tray"]["exec_to_tray_item"]["max_ms"])),
        ]),
        "",
        "Targets for these measures:",
        "",
        targets_table(speed["targets"]),
        "",
    ]
    return "\n".join(lines)


def mb(kb):
    return f"{kb / 1024:.1f} MB"


def yes(ok):
    return "yes" if ok else "**no**"


def footprint_section(fp):
    idle = fp["idle"]
    lines = [
        "## Idle footprint",
        "",
        f"One call sent through, then {idle['headless']['idle_seconds']} s of nothing, read from "
        "`/proc` (resident memory from `status` and `smaps_rollup`; CPU as utime + stime of every "
        f"thread). Tray host: {fp['tray_host']}; notification service: "
        f"{fp['notification_service']}.",
        "",
        table(["", "CPU ticks", "threads", "resident (VmRSS)", "of which anonymous",
               "of which files", "PSS", "target met"], [
            (mode, idle[mode]["cpu_ticks"], idle[mode]["threads"], mb(idle[mode]["vm_rss_kb"]),
             mb(idle[mode]["rss_anon_kb"]), mb(idle[mode]["rss_file_kb"]),
             mb(idle[mode]["pss_kb"]),
             yes(idle[mode]["cpu_ticks"] == 0 and idle[mode]["vm_rss_kb"] < limit * 1024))
            for mode, limit in [("headless", 8), ("tray", 25)]
        ]),
        "",
        "Targets: 0 CPU ticks over the idle time; under 8 MB resident headless, under 25 MB "
        "with the tray. These are after one call; an agent that has taken a few thousand calls "
        "holds more (see *Memory after calls have ended*), then stays flat.",
        "",
        "Where the resident memory is (the largest parts):",
        "",
    ]
    for mode in ("headless", "tray"):
        rows = [(m["mapping"], mb(m["rss_kb"]), mb(m["pss_kb"]), mb(m["anon_kb"]))
                for m in idle[mode]["rss_by_mapping"][:8]]
        lines += [f"*{mode}*", "", table(["mapping", "resident", "PSS", "anonymous"], rows), ""]
    sc = fp["scaling"]
    lines += [
        "## Scaling with the history",
        "",
        "Histories of 1,000, 100,000 and 1,000,000 calls (two events each), written straight "
        "into the SQLite file and synced to the disk; then calltray started on each, "
        f"{len(sc['history'][0]['start_to_health_ms_all'])} times headless (the sizes taking "
        "turns; the median here) and "
        f"{len(sc['history'][0]['tray_start_to_menu_ms_all'])} times with the tray.",
        "",
        table(["calls", "file", "exec → /health", "resident after start", "exec → menu lists calls",
               "menu GetLayout", "open Recent calls (AboutToShow + GetLayout)"], [
            (f"{h['calls']:,}", f"{h['file_mb']:.0f} MB", ms(h["start_to_health_ms"]),
             mb(h["rss_after_start_kb"]), ms(h["tray_start_to_menu_ms"]),
             ms(h["menu_get_layout_ms"]), ms(h["menu_about_to_show_ms"]))
            for h in sc["history"]
        ]),
        "",
        "Change from 1,000 to 1,000,000 stored calls (target: no figure grows more than 10%):",
        "",
        table(["figure", "change", "within 10%"],
              [(k, f"{v:+.1f}%", yes(v <= 10)) for k, v in sc["growth_1k_to_1m_percent"].items()]),
        "",
    ]
    ended = sc["ended_calls"]
    samples = ended["samples"]
    lines += [
        "## Memory after calls have ended",
        "",
        f"{ended['calls']:,} calls (CallInitiated then CallEnded, {ended['events']:,} events) sent "
        f"over {ended['connections']} connections to a headless calltray, its data folder on "
        f"{ended['data_on']} ({ended['events_per_second']:,.0f} events/s, every one committed "
        "before its 200).",
        "",
        table(["calls so far", "resident", "anonymous", "threads"],
              [(f"{x['calls']:,}", mb(x["vm_rss_kb"]), mb(x["rss_anon_kb"]), x["threads"])
               for x in samples]),
        "",
        f"Resident memory from half the calls to all of them: "
        f"{ended['growth_kb_first_to_last_half']:+,} kB.",
        "",
    ]
    return "\n".join(lines)


def main():
    results = Path(sys.argv[1])
    speed = json.loads((results / "speed.json").read_text())
    footprint = json.loads((results / "footprint.json").read_text())
    out = []
    say = out.append
    say("# calltray benchmarks")
    say("")
    say(f"Measured by `bench/run.sh` on {datetime.date.today().isoformat()}. Figures, not tests: "
        "the test suite times nothing. Rerun the same command to check them on your machine.")
    say("")
    say(table(["machine", ""], machine()))
    say("")
    say(table(["component", "version"], versions()))
    say("")
    say(speed_section(speed))
    say(footprint_section(footprint))
    say("## In-process parts (criterion)")
    say("")
    say("`cargo bench --bench core` (benches/core.rs): the median of criterion's samples, with "
        "its 95% interval.")
    say("")
    say(table(["what", "median", "95% interval"],
              [(name, duration(m), f"{duration(lo)} – {duration(hi)}")
               for name, m, lo, hi in criterion_rows()]))
    say("")
    changes = ROOT / "bench/changes.md"
    if changes.exists():
        say(changes.read_text().rstrip())
        say("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
