# SPDX-License-Identifier: BSD-3-Clause
"""Paced UDP/RTP load for forwarding-rate trials (sendmmsg/recvmmsg via ctypes).

Python has no sendmmsg/recvmmsg; calling libc's through ctypes moves up to
64 datagrams per system call and releases the GIL while in the kernel, so
one Python process can send a few hundred kpps.  Run sender and receiver as
separate processes (the tests spawn them in the endpoint namespaces):

    python3 -m sltest.blast send --bind 198.18.1.10:40000 \\
        --dst 198.18.1.1:30000,198.18.1.1:30002 --pps 100000 --seconds 2 --tag 7
    python3 -m sltest.blast recv --bind 198.18.2.10:40000 --seconds 10 --idle 0.5 --tag 7

Both print one JSON line on stdout (the receiver prints "READY" first, once
its socket is bound).  Packets are RTP (v2, PT 0, one SSRC per destination)
with a 160-byte payload 'SLB1' | tag (4) | seq (4) | dst index (4) | filler
(constant), so the receiver can count every packet, tell duplicates and
foreign or altered packets.  Everything is bounded by time and count.
"""

import argparse
import ctypes
import errno
import json
import socket
import struct
import sys
import time

from sltest import mmsg

MAGIC = b'SLB1'
PAYLOAD_LEN = 160
PKT_LEN = 12 + PAYLOAD_LEN
FILLER = bytes((i * 7 + 3) & 0xff for i in range(PAYLOAD_LEN - 16))
BATCH = 32
MAX_PKTS = 5_000_000            # per run, whatever the arguments say


def _ep(text):
    host, _, port = text.rpartition(':')
    return host, int(port)


def payload_head(tag, seq, dst_index):
    return MAGIC + struct.pack('!III', tag, seq, dst_index)


def send(bind, dsts, pps, seconds, tag, batch=BATCH):
    """Send pps*seconds packets round-robin to dsts, paced per batch on an
    absolute schedule.  Returns a dict (sent, seconds, achieved_pps, ...)."""
    total = min(int(pps * seconds), MAX_PKTS)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sock.bind(bind)
    fd = sock.fileno()
    names = [mmsg.sockaddr_in(*d) for d in dsts]
    bufs = [ctypes.create_string_buffer(PKT_LEN) for _ in range(batch)]
    iovs = (mmsg.Iovec * batch)()
    msgs = (mmsg.Mmsghdr * batch)()
    ndst = len(dsts)
    if batch % ndst:
        raise ValueError('batch (%d) must be a multiple of the number of destinations' % batch)
    ssrcs = [0x5a000000 | (tag & 0xffff) << 8 | i for i in range(ndst)]
    for i in range(batch):
        iovs[i].iov_base = ctypes.addressof(bufs[i])
        iovs[i].iov_len = PKT_LEN
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
        msgs[i].msg_hdr.msg_namelen = ctypes.sizeof(mmsg.SockaddrIn)
        msgs[i].msg_hdr.msg_name = ctypes.addressof(names[i % ndst])
        # constant part of the payload, written once
        ctypes.memmove(ctypes.addressof(bufs[i]) + 12 + 16, FILLER, len(FILLER))
    hdr = struct.Struct('!BBHII4sIII')
    base = ctypes.addressof(msgs)
    msize = ctypes.sizeof(mmsg.Mmsghdr)
    sent = errors = eagain = 0
    period = batch / float(pps)
    t0 = time.monotonic()
    deadline = t0 + seconds * 3 + 5          # hard bound even when starved
    k = 0
    seq = 0
    max_behind = 0.0
    while seq < total:
        now = time.monotonic()
        if now > deadline:
            break
        due = t0 + k * period
        if due > now:
            time.sleep(due - now)
        else:
            max_behind = max(max_behind, now - due)
        n = min(batch, total - seq)
        for i in range(n):
            # slot i always goes to destination i % ndst (batch % ndst == 0)
            s = seq + i
            ds = s // ndst
            hdr.pack_into(bufs[i], 0, 0x80, 0, ds & 0xffff, (ds * 160) & 0xffffffff,
                          ssrcs[i % ndst], MAGIC, tag, s, i % ndst)
        off = 0
        tries = 0
        while off < n and tries < 1000:
            r = mmsg.libc.sendmmsg(fd, base + off * msize, n - off, 0)
            if r < 0:
                e = ctypes.get_errno()
                if e in (errno.EAGAIN, errno.ENOBUFS, errno.EINTR):
                    eagain += 1
                    tries += 1
                    time.sleep(0.0001)
                    continue
                errors += n - off
                break
            off += r
        sent += off
        seq += n
        k += 1
    elapsed = time.monotonic() - t0
    sock.close()
    return {'sent': sent, 'target_pps': pps, 'seconds': round(elapsed, 4),
            'achieved_pps': round(sent / elapsed) if elapsed > 0 else 0,
            'errors': errors, 'eagain': eagain, 'max_behind_ms': round(max_behind * 1000, 2)}


def recv(bind, seconds, idle, tag, expect=None, ready=None, rcvbuf=32 << 20):
    """Receive until `seconds` pass, or `idle` s without packets once some
    arrived, or `expect` packets arrived.  Returns a dict of counts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)      # SO_RCVBUFFORCE
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind(bind)
    if ready:
        ready()
    fd = sock.fileno()
    n_msgs = 64
    bufs = [ctypes.create_string_buffer(2048) for _ in range(n_msgs)]
    iovs = (mmsg.Iovec * n_msgs)()
    msgs = (mmsg.Mmsghdr * n_msgs)()
    srcs = (mmsg.SockaddrIn * n_msgs)()
    for i in range(n_msgs):
        iovs[i].iov_base = ctypes.addressof(bufs[i])
        iovs[i].iov_len = 2048
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
        msgs[i].msg_hdr.msg_name = ctypes.addressof(srcs[i])
    seen = bytearray(MAX_PKTS // 8 + 1)
    received = unique = dups = invalid = 0
    per_src = {}
    head = struct.Struct('!4sIII')
    t0 = time.monotonic()
    deadline = t0 + seconds
    last_rx = None
    timeout_ms = 20
    import select
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        now = time.monotonic()
        if now >= deadline or (expect is not None and received >= expect):
            break
        if last_rx is not None and now - last_rx >= idle:
            break
        for i in range(n_msgs):
            msgs[i].msg_hdr.msg_namelen = ctypes.sizeof(mmsg.SockaddrIn)
        r = mmsg.libc.recvmmsg(fd, ctypes.addressof(msgs), n_msgs, mmsg.MSG_DONTWAIT, None)
        if r <= 0:
            poller.poll(timeout_ms)
            continue
        last_rx = time.monotonic()
        for i in range(r):
            ln = msgs[i].msg_len
            raw = bufs[i].raw
            received += 1
            sa = srcs[i]
            key = (bytes(sa.sin_addr), socket.ntohs(sa.sin_port))
            per_src[key] = per_src.get(key, 0) + 1
            if ln != PKT_LEN:
                invalid += 1
                continue
            magic, t, s, _d = head.unpack_from(raw, 12)
            if magic != MAGIC or t != tag or s >= MAX_PKTS or raw[28:PKT_LEN] != FILLER:
                invalid += 1
                continue
            byte, bit = s >> 3, 1 << (s & 7)
            if seen[byte] & bit:
                dups += 1
            else:
                seen[byte] |= bit
                unique += 1
    sock.close()
    return {'received': received, 'unique': unique, 'duplicates': dups, 'invalid': invalid,
            'srcs': {'%s:%d' % (socket.inet_ntoa(k[0]), k[1]): v for k, v in per_src.items()},
            'seconds': round(time.monotonic() - t0, 3)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='mode', required=True)
    s = sub.add_parser('send')
    s.add_argument('--bind', required=True, type=_ep)
    s.add_argument('--dst', required=True, help='IP:PORT[,IP:PORT...]')
    s.add_argument('--pps', required=True, type=int)
    s.add_argument('--seconds', required=True, type=float)
    s.add_argument('--tag', type=int, default=1)
    s.add_argument('--batch', type=int, default=BATCH)
    r = sub.add_parser('recv')
    r.add_argument('--bind', required=True, type=_ep)
    r.add_argument('--seconds', required=True, type=float)
    r.add_argument('--idle', type=float, default=0.5)
    r.add_argument('--expect', type=int, default=None)
    r.add_argument('--tag', type=int, default=1)
    a = ap.parse_args(argv)
    if a.mode == 'send':
        dsts = [_ep(d) for d in a.dst.split(',') if d]
        res = send(a.bind, dsts, a.pps, min(a.seconds, 60.0), a.tag,
                   batch=max(1, min(a.batch, BATCH)))
    else:
        def ready():
            print('READY', flush=True)
        res = recv(a.bind, min(a.seconds, 120.0), a.idle, a.tag, a.expect, ready)
    print(json.dumps(res), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
