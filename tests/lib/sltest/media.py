# SPDX-License-Identifier: BSD-3-Clause
"""A live call's media both ways, paced, with per-packet send times.

    d = Duplex(pa, pb, to_a, to_b, 'victim')   # RtpPeers and the relay ports
    d.start()                                   # background threads
    t1 = time.monotonic(); ...; t2 = time.monotonic()
    d.stop()
    d.window(t1, t2)   # {'a>b': {'sent', 'received', 'lost'}, 'b>a': {...}}
    d.summary()        # totals, foreign/altered packets, sources seen

pa sends to to_a (the relay's a-side port), pb to to_b, and an RTCP SR to
the port above every `rtcp_every` packets.  RTP payloads are
sltest Patterns, so a received packet tells which packet it is; the send
time of every packet is recorded, so loss can be attributed to a time
window (e.g. "while the flood ran").  Bounded: at most `max_packets` per
direction, and the capture threads stop with the stream.
"""

import struct
import threading
import time

from .rtp import Pattern, build_rtp, build_sr


class Duplex:
    def __init__(self, pa, pb, to_a, to_b, call_id, ptime_ms=20, max_packets=30000,
                 rtcp_every=25, dirs=('a>b', 'b>a'), capture=True):
        self.peers = {'a>b': (pa, tuple(to_a), pb), 'b>a': (pb, tuple(to_b), pa)}
        self.dirs = tuple(dirs)          # directions that send
        self.capture = capture           # start/stop the receivers' capture threads
        self.to_a, self.to_b = tuple(to_a), tuple(to_b)
        self.pat = {d: Pattern(call_id, d) for d in self.peers}
        self.ptime = ptime_ms / 1000.0
        self.max_packets = max_packets
        self.rtcp_every = rtcp_every     # an SR every that many packets (0: no RTCP)
        self.rtcp_sent = {d: 0 for d in self.peers}
        self.sent_at = {d: [] for d in self.peers}
        self.errors = {d: 0 for d in self.peers}
        self._stop = threading.Event()
        self._threads = []

    def _run(self, d):
        src, dst, _ = self.peers[d]
        pat = self.pat[d]
        ssrc = 0x51000000 | (pat.tag & 0xffff)
        t0 = time.monotonic()
        for i in range(self.max_packets):
            if self._stop.is_set():
                break
            delay = t0 + i * self.ptime - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pkt = build_rtp(1000 + i, 160 * i, ssrc, pat.payload(i))
            self.sent_at[d].append(time.monotonic())
            try:
                src.send_rtp(dst, pkt)
                if self.rtcp_every and i % self.rtcp_every == self.rtcp_every // 2:
                    src.send_rtcp((dst[0], dst[1] + 1),
                                  build_sr(ssrc, 160 * i, i + 1, 160 * (i + 1),
                                           cname=pat.cname))
                    self.rtcp_sent[d] += 1
            except OSError:
                self.errors[d] += 1

    def start(self):
        for d, (_, _, rx) in self.peers.items():
            if self.capture:
                rx.start_capture(max_packets=4 * self.max_packets,
                                 max_seconds=self.max_packets * self.ptime + 30)
        for d in self.dirs:
            t = threading.Thread(target=self._run, args=(d,), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, settle=0.3):
        self._stop.set()
        for t in self._threads:
            t.join(10)
        time.sleep(settle)
        if self.capture:
            for _, _, rx in self.peers.values():
                rx.stop_capture()

    def sent_count(self, d):
        return len(self.sent_at[d])

    def received(self, d):
        """{index: arrival time} of the intact packets of direction d, and
        the number of packets that were not (foreign or altered)."""
        _, _, rx = self.peers[d]
        got, other = {}, 0
        for t, _src, data in list(rx.rtp_rx):
            idx = self.pat[d].check(data[12:]) if len(data) > 12 else None
            if idx is None:
                other += 1
            elif idx not in got:
                got[idx] = t
        return got, other

    def sources(self, d):
        _, _, rx = self.peers[d]
        return sorted({'%s:%d' % tuple(src[:2]) for _t, src, _data in list(rx.rtp_rx)})

    def window(self, t1, t2):
        """Packets sent in [t1, t2) per direction and how many of them arrived."""
        out = {}
        for d in self.peers:
            got, _ = self.received(d)
            idx = [i for i, t in enumerate(list(self.sent_at[d])) if t1 <= t < t2]
            rec = sum(1 for i in idx if i in got)
            out[d] = {'sent': len(idx), 'received': rec, 'lost': len(idx) - rec}
        return out

    def arrivals_between(self, d, t1, t2):
        """Intact packets of direction d that arrived in [t1, t2)."""
        got, _ = self.received(d)
        return sum(1 for t in got.values() if t1 <= t < t2)

    def summary(self):
        out = {}
        for d in self.peers:
            got, other = self.received(d)
            out[d] = {'sent': self.sent_count(d), 'received': len(got), 'foreign': other,
                      'send_errors': self.errors[d], 'srcs': self.sources(d)}
        return out


def ssrc_of(data):
    return struct.unpack_from('!I', data, 8)[0] if len(data) >= 12 else None
