# SPDX-License-Identifier: BSD-3-Clause
"""ng flood: as many ng requests as one process can send, bounded in time and count.

    python3 -m sltest.ngflood --dst 127.0.0.1:2223 --seconds 5 --max 2000000 \\
        [--mix ping,badoffer,query,garbage] [--batch 64]

Run it inside the relay's netns (the ng socket listens on 127.0.0.1 there).
Every request carries its own cookie ('F' + 11 hex digits), so none is a
retransmission the cookie cache could answer for free.  Kinds:

  ping      d7:command4:pinge                           -> pong
  badoffer  an offer whose SDP does not parse            -> "Failed to parse SDP"
            (a new call that fails is destroyed: nothing is left behind)
  query     a query for a call-id that does not exist    -> "Unknown call-id"
  garbage   bytes that are not a document                -> "Invalid NG data format"

Datagrams go out with sendmmsg (libc through ctypes, as sltest.blast does);
replies are drained with MSG_DONTWAIT and only counted.  Prints one JSON
line: sent, replies, seconds, pps, send errors (EAGAIN/ENOBUFS count as
sent and lost), per-kind counts.
"""

import argparse
import ctypes
import errno
import json
import socket
import sys
import time

from sltest import mmsg

MAX_COUNT = 5_000_000            # whatever the arguments say
MAX_SECONDS = 60.0
COOKIE_LEN = 12                  # 'F' + 11 hex digits, then a space


BAD_SDP = b'v=0\r\no=- 1 1 IN IP4 198.18.1.10\r\nm=audio 99999 RTP/AVP 0\r\n'


def _bstr(b):
    return b'%d:%s' % (len(b), b)


def bodies(kind, k):
    """Document bytes of request kind `kind` (k makes call-ids differ)."""
    if kind == 'ping':
        return b'd7:command4:pinge'
    if kind == 'badoffer':
        return (b'd7:command5:offer7:call-id' + _bstr(b'ngflood-%d' % k) +
                b'8:from-tag2:ft3:sdp' + _bstr(BAD_SDP) + b'e')
    if kind == 'query':
        return b'd7:command5:query7:call-id' + _bstr(b'ngflood-none-%d' % k) + b'e'
    if kind == 'garbage':
        return b'\x00\xffnot a document %d' % k
    raise ValueError('unknown kind %r' % kind)


def flood(dst, seconds, max_count, kinds, batch=64):
    seconds = min(seconds, MAX_SECONDS)
    max_count = min(max_count, MAX_COUNT)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)          # SO_RCVBUFFORCE
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.connect(dst)
    sock.setblocking(False)
    fd = sock.fileno()
    slots = []
    for i in range(batch):
        kind = kinds[i % len(kinds)]
        data = b'F' + b'0' * (COOKIE_LEN - 1) + b' ' + bodies(kind, i)
        slots.append((kind, ctypes.create_string_buffer(data, len(data)), len(data)))
    iovs = (mmsg.Iovec * batch)()
    msgs = (mmsg.Mmsghdr * batch)()
    for i, (_, buf, n) in enumerate(slots):
        iovs[i].iov_base = ctypes.addressof(buf)
        iovs[i].iov_len = n
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
    per_kind = {k: 0 for k in kinds}
    sent = errors = replies = 0
    seq = 0
    t0 = time.monotonic()
    deadline = t0 + seconds
    while seq < max_count and time.monotonic() < deadline:
        n = min(batch, max_count - seq)
        for i in range(n):
            ctypes.memmove(slots[i][1], b'F%011x' % (seq + i), COOKIE_LEN)
        r = mmsg.libc.sendmmsg(fd, ctypes.addressof(msgs), n, 0)
        if r < 0:
            e = ctypes.get_errno()
            if e not in (errno.EAGAIN, errno.ENOBUFS, errno.EINTR, errno.ECONNREFUSED):
                raise OSError(e, 'sendmmsg')
            errors += n
            r = n
        for i in range(r):
            per_kind[slots[i][0]] += 1
        sent += r
        seq += r
        for _ in range(256):            # bounded drain of the replies
            try:
                sock.recv(65535)
                replies += 1
            except (BlockingIOError, ConnectionRefusedError):
                break
    elapsed = time.monotonic() - t0
    # late replies: the relay works through its socket queue after the flood
    quiet = time.monotonic()
    while time.monotonic() - quiet < 0.5 and time.monotonic() - t0 < seconds + 10:
        try:
            sock.recv(65535)
            replies += 1
            quiet = time.monotonic()
        except (BlockingIOError, ConnectionRefusedError):
            time.sleep(0.01)
    sock.close()
    return {'sent': sent, 'replies': replies, 'seconds': round(elapsed, 3),
            'pps': round(sent / elapsed) if elapsed > 0 else 0, 'send_errors': errors,
            'kinds': per_kind}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dst', default='127.0.0.1:2223')
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--max', type=int, default=2_000_000)
    ap.add_argument('--mix', default='ping,badoffer,query,garbage')
    ap.add_argument('--batch', type=int, default=64)
    a = ap.parse_args(argv)
    host, _, port = a.dst.rpartition(':')
    kinds = [k for k in a.mix.split(',') if k]
    res = flood((host, int(port)), a.seconds, a.max, kinds, max(1, min(a.batch, 256)))
    print(json.dumps(res), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
