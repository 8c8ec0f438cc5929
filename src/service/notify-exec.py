#!/usr/bin/python3
"""Runs a command with a datagram socket connected to systemd's NOTIFY_SOCKET left open for it, as
PADDOCK_NOTIFY_FD (or "failed: why"), then execs it: same pid, so systemd accepts what it sends
with NotifyAccess=main. See notify-socket.ts; notify-exec.pl is the same in Perl. Descriptors this
process inherited (the sockets of socket activation) stay open across the exec.

    python3 notify-exec.py /usr/bin/node ... paddock.mjs run --config paddock.yaml
"""
import os
import socket
import sys

try:
    path = os.environ["NOTIFY_SOCKET"]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.connect("\0" + path[1:] if path.startswith("@") else path)  # "@": the abstract namespace
    sock.setblocking(False)  # a full systemd queue drops a status line rather than stalling the host
    fd = sock.detach()
    os.set_inheritable(fd, True)
    os.environ["PADDOCK_NOTIFY_FD"] = str(fd)
except Exception as e:  # never stops the command from starting
    os.environ["PADDOCK_NOTIFY_FD"] = "failed: " + str(e)
os.execv(sys.argv[1], sys.argv[1:])
