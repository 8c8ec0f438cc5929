#!/usr/bin/env python3
"""Example "py-channel" pool: a Python worker that speaks Paddock's control channel.

Standard library only. One asyncio event loop serves HTTP/1.1 on $PORT *and* reads the control
channel on fd $PADDOCK_CONTROL_FD (3), so a ping is answered by the same thread that serves
requests: if a handler blocks that loop, pongs stop and the host recycles the worker as hung (IIS
pinging, event 5010). That is the point of pinging, so do not move the channel to a thread of its
own. The protocol (docs/worker-protocol.md), one JSON object per line:

  worker -> host  {"type":"ready","pid":N}          after the listening socket is bound
  host -> worker  {"type":"ping","id":7}            answered with {"type":"pong","id":7}
  worker -> host  {"type":"unhealthy","reason":""}  asks for a recycle (here: GET .../unhealthy)
  host -> worker  {"type":"drain","deadlineMs":N}   stop accepting, finish requests, exit 0
  channel EOF                                        the host is gone: exit

Without PADDOCK_CONTROL_FD it runs as a plain server. Run by hand:
  PORT=/tmp/pyc.sock python3 control_channel_worker.py
"""

import asyncio
import json
import os
import platform
import socket
import stat
import sys

MAX_HEADER_BYTES = 64 * 1024


class Worker:
    """The HTTP server and the control channel, on one event loop."""

    def __init__(self, port, control_fd):
        self.port = port
        self.control_fd = control_fd
        self.server = None
        self.channel_writer = None
        self.in_flight = 0
        self.idle = set()          # writers of keep-alive connections waiting for a request
        self.draining = False
        self.done = None           # future resolved with the exit code

    # -- control channel ---------------------------------------------------------------------

    def send(self, message):
        if self.channel_writer is not None and not self.channel_writer.is_closing():
            self.channel_writer.write((json.dumps(message) + "\n").encode("utf-8"))

    async def read_channel(self, reader):
        while True:
            line = await reader.readline()
            if not line:  # EOF: the host closed its end or died; a worker never outlives it
                self.finish(0)
                return
            try:
                message = json.loads(line)
            except ValueError:
                continue
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "ping":
                self.send({"type": "pong", "id": message.get("id")})
            elif kind == "drain":
                deadline_ms = message.get("deadlineMs") or 90000
                asyncio.get_running_loop().create_task(self.drain(deadline_ms / 1000.0))

    async def drain(self, deadline_s):
        """Stop accepting, close idle keep-alive connections, exit when no request is in flight."""
        if self.draining:
            return
        self.draining = True
        self.server.close()
        for writer in list(self.idle):
            writer.close()
        give_up = asyncio.get_running_loop().time() + max(0.0, deadline_s - min(0.5, deadline_s / 10))
        while self.in_flight > 0 and asyncio.get_running_loop().time() < give_up:
            await asyncio.sleep(0.05)
        self.finish(0)

    def finish(self, code):
        if not self.done.done():
            self.done.set_result(code)

    # -- HTTP/1.1 ----------------------------------------------------------------------------

    async def serve_connection(self, reader, writer):
        try:
            while not self.draining:
                self.idle.add(writer)
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                finally:
                    self.idle.discard(writer)
                self.in_flight += 1
                try:
                    keep_alive = await self.serve_request(head, reader, writer)
                finally:
                    self.in_flight -= 1
                if not keep_alive:
                    return
        finally:
            writer.close()

    async def serve_request(self, head, reader, writer):
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ", 2)
        except ValueError:
            await self.respond(writer, 400, "bad request line\n", close=True)
            return False
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await self.respond(writer, 411, "send Content-Length\n", close=True)
            return False
        length = int(headers.get("content-length", "0") or "0")
        if length:
            await reader.readexactly(length)
        # RFC 9112 section 9.3: HTTP/1.1 is persistent unless "close"; HTTP/1.0 needs "keep-alive".
        connection = headers.get("connection", "").lower()
        keep_alive = (connection != "close") if version == "HTTP/1.1" else (connection == "keep-alive")
        keep_alive = keep_alive and not self.draining
        path = target.split("?", 1)[0]
        if path.endswith("/unhealthy"):
            self.send({"type": "unhealthy", "reason": "asked by %s" % path})
            body = "reported unhealthy\n"
        else:
            body = "hello from Python %s over the control channel, worker %s pid %d, path %s\n" % (
                platform.python_version(), os.environ.get("PADDOCK_WORKER", "unmanaged"), os.getpid(), path)
        await self.respond(writer, 200, body, close=not keep_alive, head_only=(method == "HEAD"))
        return keep_alive

    async def respond(self, writer, status, text, close, head_only=False):
        body = text.encode("utf-8")
        reason = {200: "OK", 400: "Bad Request", 411: "Length Required"}.get(status, "")
        head = "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n%s\r\n" % (
            status, reason, len(body), "Connection: close\r\n" if close else "")
        writer.write(head.encode("latin-1") + (b"" if head_only else body))
        await writer.drain()

    # -- main --------------------------------------------------------------------------------

    async def run(self):
        self.done = asyncio.get_running_loop().create_future()
        if self.port.isdigit():
            self.server = await asyncio.start_server(self.serve_connection, "127.0.0.1", int(self.port))
        else:
            if os.path.exists(self.port):
                os.unlink(self.port)
            self.server = await asyncio.start_unix_server(self.serve_connection, self.port)
        if self.control_fd is not None:
            channel = socket.socket(fileno=self.control_fd)
            reader, self.channel_writer = await asyncio.open_connection(sock=channel)
            asyncio.get_running_loop().create_task(self.read_channel(reader))
            self.send({"type": "ready", "pid": os.getpid()})  # the socket is bound and listening
        sys.stderr.write("py-channel worker pid %d listening on %s\n" % (os.getpid(), self.port))
        return await self.done


def main():
    fd = os.environ.get("PADDOCK_CONTROL_FD")
    control_fd = int(fd) if fd and fd.isdigit() and is_socket(int(fd)) else None
    worker = Worker(os.environ.get("PORT", "8002"), control_fd)
    code = asyncio.run(worker.run())
    sys.stdout.flush()
    os._exit(code)  # do not wait for connections still open to a host that is gone


def is_socket(fd):
    """True when fd is an open socket (a child of a worker inherits the variable, not the fd)."""
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:
        return False


if __name__ == "__main__":
    main()
