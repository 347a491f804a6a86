# SPDX-License-Identifier: BSD-3-Clause
"""Send prepared Ethernet frames on an interface as fast as possible (bounded).

    python3 -m sltest.rawblast --ifname a-peer --frames FILE --seconds 5 --max 1000000

Run it inside the interface's netns (ip netns exec).  FILE holds frames as
2-byte big-endian length + frame bytes (write it with write_frames()).  The
frames are sent round-robin through one AF_PACKET/SOCK_RAW socket with
sendmmsg (libc through ctypes), at most `--max` frames and `--seconds` s
(both capped).  Prints one JSON line: sent, seconds, pps, errors.
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

MAX_COUNT = 5_000_000
MAX_SECONDS = 60.0
BATCH = 64


def write_frames(path, frames):
    with open(path, 'wb') as f:
        for fr in frames:
            f.write(struct.pack('!H', len(fr)) + fr)


def read_frames(path):
    frames = []
    with open(path, 'rb') as f:
        data = f.read()
    off = 0
    while off + 2 <= len(data):
        n = struct.unpack_from('!H', data, off)[0]
        frames.append(data[off + 2:off + 2 + n])
        off += 2 + n
    return frames


def blast(ifname, frames, seconds, max_count):
    seconds = min(seconds, MAX_SECONDS)
    max_count = min(max_count, MAX_COUNT)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    sock.bind((ifname, 0))
    fd = sock.fileno()
    n_fr = len(frames)
    bufs = [ctypes.create_string_buffer(fr, len(fr)) for fr in frames]
    iovs = (mmsg.Iovec * n_fr)()
    msgs = (mmsg.Mmsghdr * n_fr)()
    for i, fr in enumerate(frames):
        iovs[i].iov_base = ctypes.addressof(bufs[i])
        iovs[i].iov_len = len(fr)
        msgs[i].msg_hdr.msg_iov = ctypes.pointer(iovs[i])
        msgs[i].msg_hdr.msg_iovlen = 1
    base = ctypes.addressof(msgs)
    msize = ctypes.sizeof(mmsg.Mmsghdr)
    sent = errors = 0
    pos = 0
    t0 = time.monotonic()
    deadline = t0 + seconds
    while sent + errors < max_count and time.monotonic() < deadline:
        n = min(BATCH, n_fr - pos, max_count - sent - errors)
        r = mmsg.libc.sendmmsg(fd, base + pos * msize, n, 0)
        if r < 0:
            e = ctypes.get_errno()
            if e in (errno.EAGAIN, errno.ENOBUFS, errno.EINTR):
                time.sleep(0.0002)
                continue
            # a frame the kernel refuses (e.g. longer than the MTU): skip it
            errors += 1
            r = 1
        else:
            sent += r
        pos = (pos + r) % n_fr
    elapsed = time.monotonic() - t0
    sock.close()
    return {'sent': sent, 'errors': errors, 'seconds': round(elapsed, 3),
            'pps': round(sent / elapsed) if elapsed > 0 else 0}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--ifname', required=True)
    ap.add_argument('--frames', required=True)
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--max', type=int, default=1_000_000)
    a = ap.parse_args(argv)
    frames = read_frames(a.frames)
    if not frames:
        print(json.dumps({'error': 'no frames'}))
        return 1
    print(json.dumps(blast(a.ifname, frames, a.seconds, a.max)), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
