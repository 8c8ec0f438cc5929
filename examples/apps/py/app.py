#!/usr/bin/env python3
"""Example "py" pool: a Python worker on the standard library alone, with no control channel.

Paddock counts it ready when $PORT accepts a connection, and keeps it from outliving the host with
the parent-death signal (see docs/worker-protocol.md). $PORT is a unix socket path or a TCP port
number. It speaks HTTP/1.1 with Content-Length on every response, so the front door can keep its
connections alive and reuse them (RFC 9112 section 9.3).

Run by hand:  PORT=/tmp/py.sock python3 app.py   or   PORT=8001 python3 app.py
"""

import json
import os
import platform
import signal
import socket
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    """Answers /py/ (and anything below it) with a greeting; keep-alive by HTTP/1.1 default."""

    protocol_version = "HTTP/1.1"
    server_version = "paddock-example-py/1"

    in_flight = 0
    in_flight_lock = threading.Lock()

    def handle_one_request(self):
        # A request counts as in flight from its parsed request line to its response, so an idle
        # keep-alive connection waiting for the next request is not "busy" at shutdown.
        self.counted = False
        try:
            super().handle_one_request()
        finally:
            if self.counted:
                with Handler.in_flight_lock:
                    Handler.in_flight -= 1

    def parse_request(self):
        ok = super().parse_request()
        if ok:
            with Handler.in_flight_lock:
                Handler.in_flight += 1
            self.counted = True
        return ok

    def do_GET(self):
        if self.path.split("?", 1)[0].rstrip("/") in ("/py", ""):
            self.send_text(200, "hello from Python %s, worker %s pid %d\n" % (
                platform.python_version(), os.environ.get("PADDOCK_WORKER", "unmanaged"), os.getpid()))
        elif self.path.startswith("/py/info"):
            self.send_json(200, {"python": sys.version, "pid": os.getpid(),
                                 "pool": os.environ.get("PADDOCK_POOL"), "path": self.path})
        else:
            self.send_text(404, "not found: %s\n" % self.path)

    do_HEAD = do_GET

    def send_text(self, status, text):
        self.send_body(status, "text/plain; charset=utf-8", text.encode("utf-8"))

    def send_json(self, status, value):
        self.send_body(status, "application/json", json.dumps(value).encode("utf-8"))

    def send_body(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def address_string(self):
        # A unix socket peer has no (host, port) pair: client_address is a str (often empty).
        if isinstance(self.client_address, str):
            return self.client_address or "unix"
        return super().address_string()

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


class UnixHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer on a unix socket path instead of a TCP address."""

    address_family = socket.AF_UNIX

    def server_bind(self):
        # HTTPServer.server_bind reads (host, port) from the address; a socket path has neither.
        try:
            os.unlink(self.server_address)
        except FileNotFoundError:
            pass
        socketserver.TCPServer.server_bind(self)
        self.server_name = "localhost"
        self.server_port = 0


def make_server(port):
    """A threading HTTP server on PORT: a TCP port number or a unix socket path."""
    if port.isdigit():
        return ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    return UnixHTTPServer(port, Handler)


def main():
    port = os.environ.get("PORT", "8001")
    server = make_server(port)
    server.daemon_threads = True

    def on_sigterm(signum, frame):
        # Graceful stop: shutdown() waits for serve_forever, which runs in this very thread, so it is
        # called from another one; requests in flight are awaited after the accept loop ends.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_sigterm)
    sys.stderr.write("py worker pid %d listening on %s\n" % (os.getpid(), port))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    server.server_close()
    while Handler.in_flight > 0:
        time.sleep(0.05)


if __name__ == "__main__":
    main()
