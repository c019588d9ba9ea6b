#!/usr/bin/env python3
"""Desktop toasts for Ubity call callbacks, the way one would write it by hand.

The alternative to calltray that bench/speed.py measures: Python's standard library and
`notify-send` (Debian's libnotify-bin), nothing else. Give Ubity three URLs, /init, /answered
and /ended; each callback carries callid, type (incoming or outgoing), caller, callee and,
at the end, duration. Calls of other extensions are answered and ignored.

    python3 notify_server.py --port 8765 --extension 100 [--extension 101 ...]
"""

import argparse
import subprocess
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TITLES = {
    "/init": "Incoming call",
    "/answered": "Call answered",
    "/ended": "Call ended",
}


class CallbackHandler(BaseHTTPRequestHandler):
    # Keep connections open between requests (http.server speaks HTTP/1.0 unless told), and
    # send small answers at once rather than after Nagle's delay; both are documented
    # attributes of the standard library's handler.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    extensions = set()

    def do_GET(self):
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.handle_callback(url.path, params)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length).decode("utf-8", "replace")
        params = {k: v[0] for k, v in parse_qs(body).items()}
        params.update({k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()})
        self.handle_callback(urlsplit(self.path).path, params)

    def handle_callback(self, path, params):
        if path not in TITLES:
            self.answer(404, "not found")
            return
        direction = params.get("type", "incoming")
        caller = params.get("caller", "")
        callee = params.get("callee", "")
        mine = callee if direction == "incoming" else caller
        if mine not in self.extensions:
            self.answer(200, "ignored")
            return
        title = TITLES[path]
        if direction == "outgoing":
            title = title.replace("Incoming", "Outgoing")
        other = caller if direction == "incoming" else callee
        text = f"{other or 'Unknown number'}"
        if path == "/ended" and params.get("duration"):
            text += f" ({params['duration']} s)"
        subprocess.run(["notify-send", "--app-name=Ubity", title, text], check=False)
        self.answer(200, "ok")

    def answer(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--extension", action="append", required=True)
    args = parser.parse_args()
    CallbackHandler.extensions = set(args.extension)
    server = ThreadingHTTPServer((args.host, args.port), CallbackHandler)
    print(f"listening on http://{args.host}:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
