#!/usr/bin/env python3
"""Figures for the README's security section: what calltray costs, and how fast it still
answers a real callback, while idle, slow and oversized clients attack its listener.

Usage: bench/attack.py [PATH_TO_CALLTRAY]   (default: target/release/calltray)

It starts calltray --headless on loopback with a throwaway config and prints a Markdown table.
These are measurements, not tests: nothing here passes or fails.
"""

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CALL = "callid={}&type=incoming&caller=5145551212&callee=100"


def status(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def callback_ms(address, n, tag):
    """Sends n valid callbacks, one connection each; returns the answer times in ms."""
    times = []
    for i in range(n):
        start = time.perf_counter()
        with socket.create_connection(address, timeout=30) as s:
            s.sendall(f"GET /init?{CALL.format(f'{tag}{i}')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            answer = b""
            while b"\r\n\r\n" not in answer:
                piece = s.recv(4096)
                if not piece:
                    break
                answer += piece
        times.append((time.perf_counter() - start) * 1000)
        if not answer.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"callback refused under attack: {answer[:80]!r}")
    return times


def summary(times):
    times = sorted(times)
    p50 = statistics.median(times)
    return f"p50 {p50:.2f} ms, max {times[-1]:.2f} ms"


def flood(address, head, limit=1 << 30):
    """Sends head then filler until refused; returns (first answer line, bytes sent, seconds)."""
    s = socket.create_connection(address, timeout=30)
    answer = []

    def read():
        try:
            data = s.recv(4096)
            answer.append(data.split(b"\r\n")[0].decode(errors="replace"))
        except OSError as e:
            answer.append(f"error {e}")

    reader = threading.Thread(target=read)
    reader.start()
    chunk = b"a" * (1 << 20)
    sent = 0
    start = time.perf_counter()
    try:
        s.sendall(head)
        while sent < limit:
            sent += s.send(chunk)
    except OSError:
        pass
    took = time.perf_counter() - start
    reader.join()
    s.close()
    return answer[0] if answer else "", sent, took


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/calltray"
    work = tempfile.mkdtemp(prefix="calltray-bench-")
    config = os.path.join(work, "calltray.toml")
    with open(config, "w") as f:
        f.write('extensions = ["100"]\n[listen]\naddress = "127.0.0.1:0"\n')
    log = open(os.path.join(work, "stderr"), "w+")
    agent = subprocess.Popen([binary, "--config", config, "--headless"], stderr=log)
    try:
        deadline = time.time() + 20
        while True:
            log.seek(0)
            m = re.search(r"Listening on http://([\d.]+):(\d+)", log.read())
            if m:
                address = (m.group(1), int(m.group(2)))
                break
            if time.time() > deadline:
                raise SystemExit("calltray did not start")
            time.sleep(0.05)
        pid = agent.pid
        rows = []

        def row(what, times=None):
            rows.append((what, status(pid, "Threads"), status(pid, "VmRSS") / 1024, fds(pid),
                         summary(times) if times else ""))

        row("idle, after start", callback_ms(address, 200, "warm"))

        idle = [socket.create_connection(address) for _ in range(500)]
        slow = [socket.create_connection(address) for _ in range(50)]
        request = f"GET /init?{CALL.format('slow')} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        stop = threading.Event()

        def dribble():
            i = 0
            while not stop.is_set():
                for s in slow:
                    try:
                        s.send(request[i % len(request):i % len(request) + 1])
                    except OSError:
                        pass
                i += 1
                stop.wait(1)

        dribbler = threading.Thread(target=dribble)
        dribbler.start()
        time.sleep(1)
        row("500 idle + 50 sending a byte a second", callback_ms(address, 200, "attack"))
        more = [socket.create_connection(address) for _ in range(1000)]
        row("2050 connections (cap 1024: oldest evicted)", callback_ms(address, 200, "over"))
        stop.set()
        dribbler.join()
        for s in idle + slow + more:
            s.close()
        time.sleep(6)
        row("after the attackers are gone", callback_ms(address, 200, "after"))

        rss_before = status(pid, "VmRSS")
        floods = []
        for what, head in [
            ("1 GiB header line", b"GET /init HTTP/1.1\r\nX-Pad: "),
            ("1 GiB URL", b"GET /init?pad="),
            ("1 GiB body (Content-Length)",
             b"POST /init HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n"),
            ("1 GiB chunk", b"POST /init HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n40000000\r\n"),
        ]:
            answer, sent, took = flood(address, head)
            grown = (status(pid, "VmRSS") - rss_before) / 1024
            floods.append((what, answer, sent / (1 << 20), took, grown))

        print(f"calltray {binary}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}\n")
        print("| situation | threads | resident MB | open fds | callback answered |")
        print("|---|---|---|---|---|")
        for what, threads, rss, nfd, times in rows:
            print(f"| {what} | {threads} | {rss:.1f} | {nfd} | {times} |")
        print()
        print("| flood | answer | MiB taken before the close | seconds | resident growth MB |")
        print("|---|---|---|---|---|")
        for what, answer, mib, took, grown in floods:
            print(f"| {what} | {answer} | {mib:.1f} | {took:.2f} | {grown:.1f} |")
    finally:
        agent.terminate()
        agent.wait()


if __name__ == "__main__":
    main()
