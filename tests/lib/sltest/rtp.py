# SPDX-License-Identifier: BSD-3-Clause
"""RTP/RTCP endpoints for tests.

RtpPeer owns two UDP sockets inside an endpoint netns: RTP on an even port
and RTCP on port+1 (symmetric: it sends from the ports it receives on, as
SIP phones do, so relay endpoint learning sees the SDP address:port).

Payloads are verifiable end to end.  Pattern(call_id, direction) produces
PCMU-sized payloads

    'SLT1' | tag (4 bytes, crc32 of "call_id|direction") | index (4 bytes) | filler

where every filler byte is a function of (tag, index, offset), so a receiver
can tell which call and direction a packet belongs to, which packet of the
stream it is, and that no byte was changed on the way.  The RTCP CNAME
carries the same tag ('slt-<tag>@sluice.test').

Everything is bounded: streams by packet count, receive loops by time and
count, the capture thread by a deadline and a packet cap.
"""

import os
import random
import select
import socket
import struct
import threading
import time
import zlib
from collections import namedtuple

from .netns import netns_socket

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900-01-01 to 1970-01-01
RTP_HDR = struct.Struct('!BBHII')


# --- payload pattern ----------------------------------------------------------

class Pattern:
    """Recognisable payloads for one call and direction (e.g. 'a>b')."""

    MAGIC = b'SLT1'

    def __init__(self, call_id, direction):
        self.call_id = call_id
        self.direction = direction
        self.tag = zlib.crc32(('%s|%s' % (call_id, direction)).encode())
        self.cname = 'slt-%08x@sluice.test' % self.tag

    def _filler(self, index, n):
        base = (self.tag ^ (index * 2654435761)) & 0xff
        return bytes((base + i * 13) & 0xff for i in range(n))

    def payload(self, index, length=160):
        """Payload of packet number `index` (>= 12 bytes)."""
        if length < 12:
            raise ValueError('payload too short for the pattern')
        head = self.MAGIC + struct.pack('!II', self.tag, index & 0xffffffff)
        return head + self._filler(index, length - 12)

    def check(self, payload):
        """Index of a payload produced by this pattern, or None if the
        payload is not ours or was altered."""
        if len(payload) < 12 or payload[:4] != self.MAGIC:
            return None
        tag, index = struct.unpack_from('!II', payload, 4)
        if tag != self.tag:
            return None
        if payload[12:] != self._filler(index, len(payload) - 12):
            return None
        return index


def pattern_tag(payload):
    """(tag, index) of any pattern payload, or None."""
    if len(payload) < 12 or payload[:4] != Pattern.MAGIC:
        return None
    return struct.unpack_from('!II', payload, 4)


# --- RTP ------------------------------------------------------------------------

RtpPacket = namedtuple('RtpPacket', 'pt marker seq ts ssrc payload')


def build_rtp(seq, ts, ssrc, payload, pt=0, marker=False):
    """RTP v2 packet without CSRCs/extension/padding."""
    return RTP_HDR.pack(0x80, (0x80 if marker else 0) | (pt & 0x7f), seq & 0xffff,
                        ts & 0xffffffff, ssrc & 0xffffffff) + payload


def is_rtcp(data):
    """RFC 5761 demux: second byte 192..223 means RTCP."""
    return len(data) >= 2 and 192 <= data[1] <= 223


def parse_rtp(data):
    """RtpPacket or None (not v2 RTP, or truncated)."""
    if len(data) < 12 or data[0] >> 6 != 2 or is_rtcp(data):
        return None
    b0, b1, seq, ts, ssrc = RTP_HDR.unpack_from(data)
    off = 12 + 4 * (b0 & 0x0f)
    if b0 & 0x10:  # header extension
        if len(data) < off + 4:
            return None
        off += 4 + 4 * struct.unpack_from('!H', data, off + 2)[0]
    end = len(data)
    if b0 & 0x20:  # padding
        if end <= off:
            return None
        end -= data[-1]
    if off > end:
        return None
    return RtpPacket(b1 & 0x7f, bool(b1 & 0x80), seq, ts, ssrc, data[off:end])


# --- RTCP -----------------------------------------------------------------------

def ntp_now():
    """(msw, lsw) of the current wall-clock time in NTP format."""
    t = time.time() + NTP_EPOCH_OFFSET
    msw = int(t)
    return msw, int((t - msw) * (1 << 32)) & 0xffffffff


def report_block(ssrc, fraction_lost=0, cum_lost=0, ext_seq=0, jitter=0, lsr=0, dlsr=0):
    """One 24-byte RTCP report block."""
    cum = cum_lost & 0xffffff
    return struct.pack('!IIIIII', ssrc & 0xffffffff, ((fraction_lost & 0xff) << 24) | cum,
                       ext_seq & 0xffffffff, jitter & 0xffffffff, lsr & 0xffffffff,
                       dlsr & 0xffffffff)


def _sdes(ssrc, cname):
    c = cname.encode()
    chunk = struct.pack('!I', ssrc) + bytes([1, len(c)]) + c + b'\x00'
    chunk += b'\x00' * (-len(chunk) % 4)
    return struct.pack('!BBH', 0x81, 202, (4 + len(chunk)) // 4 - 1) + chunk


def build_sr(ssrc, rtp_ts, packets, octets, blocks=(), cname=None, ntp=None):
    """Compound RTCP: SR (+ report blocks) followed by SDES CNAME when given."""
    msw, lsw = ntp if ntp else ntp_now()
    body = struct.pack('!IIIIII', ssrc, msw, lsw, rtp_ts & 0xffffffff, packets & 0xffffffff,
                       octets & 0xffffffff) + b''.join(blocks)
    pkt = struct.pack('!BBH', 0x80 | len(blocks), 200, (4 + len(body)) // 4 - 1) + body
    if cname:
        pkt += _sdes(ssrc, cname)
    return pkt


def build_rr(ssrc, blocks=(), cname=None):
    """Compound RTCP: RR (+ report blocks) followed by SDES CNAME when given."""
    body = struct.pack('!I', ssrc) + b''.join(blocks)
    pkt = struct.pack('!BBH', 0x80 | len(blocks), 201, (4 + len(body)) // 4 - 1) + body
    if cname:
        pkt += _sdes(ssrc, cname)
    return pkt


def parse_rtcp(data):
    """List of dicts, one per RTCP packet of a compound packet.

    Every dict has 'pt' and 'ssrc'; SR adds 'ntp' (msw, lsw), 'rtp_ts',
    'packets', 'octets'; SR/RR add 'blocks' (list of dicts); SDES adds
    'cname'.  Returns [] if the data is not valid RTCP.
    """
    out = []
    off = 0
    for _ in range(32):  # bounded: compound packets are short
        if off + 8 > len(data):
            break
        b0, pt, length = struct.unpack_from('!BBH', data, off)
        if b0 >> 6 != 2:
            return []
        end = off + 4 * (length + 1)
        if end > len(data):
            return []
        count = b0 & 0x1f
        p = {'pt': pt, 'ssrc': struct.unpack_from('!I', data, off + 4)[0]}
        boff = None
        if pt == 200 and end - off >= 28:
            msw, lsw, rts, pk, oc = struct.unpack_from('!IIIII', data, off + 8)
            p.update(ntp=(msw, lsw), rtp_ts=rts, packets=pk, octets=oc)
            boff = off + 28
        elif pt == 201:
            boff = off + 8
        if boff is not None:
            blocks = []
            for i in range(count):
                o = boff + 24 * i
                if o + 24 > end:
                    break
                s, fl, ext, jit, lsr, dlsr = struct.unpack_from('!IIIIII', data, o)
                blocks.append({'ssrc': s, 'fraction_lost': fl >> 24,
                               'cum_lost': fl & 0xffffff, 'ext_seq': ext, 'jitter': jit,
                               'lsr': lsr, 'dlsr': dlsr})
            p['blocks'] = blocks
        if pt == 202 and end - off >= 10:
            o = off + 8
            while o + 2 <= end and data[o] != 0:
                item, ln = data[o], data[o + 1]
                if item == 1:
                    p['cname'] = data[o + 2:o + 2 + ln].decode('utf-8', 'replace')
                o += 2 + ln
        out.append(p)
        off = end
    return out


# --- receiver statistics (RFC 3550 A.3 / A.8, simplified) ---------------------

class _RxStats:
    """What a receiver needs to fill an RTCP report block about one SSRC."""

    def __init__(self, seq, clock=8000):
        self.base_seq = seq
        self.max_seq = seq
        self.cycles = 0
        self.received = 0
        self.expected_prior = 0
        self.received_prior = 0
        self.jitter = 0.0
        self.transit = None
        self.clock = clock
        self.lsr = 0          # middle 32 bits of the last SR's NTP time
        self.lsr_arrival = None

    def update(self, seq, ts, arrival):
        delta = (seq - self.max_seq) & 0xffff
        if delta < 0x8000:
            if seq < self.max_seq:
                self.cycles += 1 << 16
            self.max_seq = seq
        self.received += 1
        transit = int(arrival * self.clock) - ts
        if self.transit is not None:
            d = abs(transit - self.transit)
            self.jitter += (d - self.jitter) / 16.0
        self.transit = transit

    def block(self, ssrc):
        ext = self.cycles + self.max_seq
        expected = ext - self.base_seq + 1
        lost = max(0, expected - self.received)
        exp_int = expected - self.expected_prior
        rec_int = self.received - self.received_prior
        self.expected_prior, self.received_prior = expected, self.received
        lost_int = exp_int - rec_int
        fraction = (lost_int << 8) // exp_int if exp_int > 0 and lost_int > 0 else 0
        dlsr = 0
        if self.lsr_arrival is not None:
            dlsr = int((time.monotonic() - self.lsr_arrival) * 65536)
        return report_block(ssrc, fraction, lost, ext, int(self.jitter), self.lsr, dlsr)


# --- the peer ---------------------------------------------------------------------

class RtpPeer:
    """RTP + RTCP sockets in netns `ns` bound to ip:port and ip:port+1.

    RtpPeer(ns, ip, port=None, family=None, rcvbuf=4 MiB)
    port None picks a free even port in 20000..29998 (bounded attempts).
    """

    def __init__(self, ns, ip, port=None, family=None, rcvbuf=4 << 20):
        self.ns = ns
        self.ip = ip
        self.family = family or (6 if ':' in ip else 4)
        af = socket.AF_INET6 if self.family == 6 else socket.AF_INET
        self.rtp_sock = self.rtcp_sock = None
        self._lock = threading.Lock()
        self._rx = {}              # ssrc -> _RxStats (RTP from the far end)
        self._cap_thread = None
        self._cap_stop = threading.Event()
        self.rtp_rx = []           # (monotonic time, src, bytes) while capturing
        self.rtcp_rx = []
        self.capture_truncated = False
        if port:
            candidates = [port]
        else:
            # random even start in 20000..29998, then walk up (bounded)
            start = random.randrange(5000)
            candidates = [20000 + 2 * ((start + i) % 5000) for i in range(200)]
        last = None
        for p in candidates:
            try:
                self._bind(af, p, rcvbuf)
                break
            except OSError as e:
                last = e
                self.close()
        if self.rtp_sock is None:
            raise OSError('cannot bind RTP/RTCP pair on %s: %s' % (ip, last))
        self.rtp_port = self.rtp_sock.getsockname()[1]
        self.rtcp_port = self.rtcp_sock.getsockname()[1]

    def _bind(self, af, port, rcvbuf):
        socks = []
        for p in (port, port + 1):
            s = netns_socket(self.ns, af, socket.SOCK_DGRAM)
            socks.append(s)
            try:
                s.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)   # SO_RCVBUFFORCE (root)
            except OSError:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            if af == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if p == port:
                self.rtp_sock = s
            else:
                self.rtcp_sock = s
            s.bind((self.ip, p))

    def close(self):
        self.stop_capture()
        for s in (self.rtp_sock, self.rtcp_sock):
            if s is not None:
                s.close()
        self.rtp_sock = self.rtcp_sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- sending -------------------------------------------------------------
    def send_rtp(self, dst, data):
        self.rtp_sock.sendto(data, tuple(dst))

    def send_rtcp(self, dst, data):
        self.rtcp_sock.sendto(data, tuple(dst))

    def report_blocks(self):
        """Report blocks about every far-end SSRC seen so far (max 31)."""
        with self._lock:
            return [st.block(ssrc) for ssrc, st in list(self._rx.items())[:31]]

    def send_stream(self, dst, n, ptime_ms=20, pattern=None, rtcp_dst=None, rtcp_interval=1.0,
                    pt=0, payload_len=160, ssrc=None, stop=None, first_seq=None, first_ts=None,
                    skip=None, jitter_ms=0):
        """Send `n` RTP packets to dst=(ip, port), one every ptime_ms.

        Payloads come from `pattern` (a Pattern; zero bytes if None).  With
        rtcp_dst, a compound SR(+report blocks)+SDES is sent from the RTCP
        socket every rtcp_interval s (first one half an interval in).
        `stop` (threading.Event) ends the stream early.  Pacing is against
        an absolute schedule, so scheduling hiccups do not stretch the
        stream.  Impairments: `skip(i)` true drops packet i at the sender
        (its sequence number is used up: the receiver sees loss);
        `jitter_ms` sends every odd packet that much late (RFC 3550 jitter
        then settles at about jitter_ms).  Returns a dict: sent, bytes,
        skipped, rtcp_sent, rtcp_bytes, ssrc, first_seq, first_ts,
        duration_s, errors.
        """
        ssrc = ssrc if ssrc is not None else struct.unpack('!I', _rand4())[0]
        seq0 = first_seq if first_seq is not None else struct.unpack('!H', _rand4()[:2])[0]
        ts0 = first_ts if first_ts is not None else struct.unpack('!I', _rand4())[0]
        spp = 8 * ptime_ms  # samples per packet at 8 kHz
        period = ptime_ms / 1000.0
        cname = pattern.cname if pattern else 'slt-anon@sluice.test'
        stats = {'sent': 0, 'bytes': 0, 'skipped': 0, 'rtcp_sent': 0, 'rtcp_bytes': 0,
                 'ssrc': ssrc, 'first_seq': seq0, 'first_ts': ts0, 'errors': 0}
        t0 = time.monotonic()
        next_rtcp = t0 + rtcp_interval / 2.0
        for i in range(n):
            if stop is not None and stop.is_set():
                break
            late = jitter_ms / 1000.0 if jitter_ms and i % 2 else 0.0
            delay = t0 + i * period + late - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            payload = pattern.payload(i, payload_len) if pattern else bytes(payload_len)
            pkt = build_rtp(seq0 + i, ts0 + i * spp, ssrc, payload, pt=pt, marker=(i == 0))
            if skip is not None and skip(i):
                stats['skipped'] += 1
            else:
                try:
                    self.rtp_sock.sendto(pkt, tuple(dst))
                    stats['sent'] += 1
                    stats['bytes'] += len(pkt)
                except OSError:
                    stats['errors'] += 1
            if rtcp_dst is not None and time.monotonic() >= next_rtcp:
                next_rtcp += rtcp_interval
                sr = build_sr(ssrc, ts0 + i * spp, stats['sent'], stats['sent'] * payload_len,
                              blocks=self.report_blocks(), cname=cname)
                try:
                    self.rtcp_sock.sendto(sr, tuple(rtcp_dst))
                    stats['rtcp_sent'] += 1
                    stats['rtcp_bytes'] += len(sr)
                except OSError:
                    stats['errors'] += 1
        stats['duration_s'] = round(time.monotonic() - t0, 3)
        return stats

    # --- receiving without a capture thread --------------------------------
    def recv_all(self, timeout=1.0, rtcp=False, max_count=100000, idle=None):
        """Datagrams arriving within `timeout` s on the RTP (or RTCP) socket.

        Stops early after `max_count` datagrams or, with `idle`, after that
        many seconds without one.  Returns list of (src, bytes).
        """
        sock = self.rtcp_sock if rtcp else self.rtp_sock
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < max_count:
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                break
            wait = min(left, idle) if idle else left
            r, _, _ = select.select([sock], [], [], wait)
            if not r:
                if idle:
                    break
                continue
            data, src = sock.recvfrom(65535)
            out.append((src, data))
        return out

    # --- background capture --------------------------------------------------
    def start_capture(self, max_packets=200000, max_seconds=600.0):
        """Record everything arriving on both sockets in a thread (bounded)."""
        if self._cap_thread is not None:
            return
        self._cap_stop.clear()
        self._cap_thread = threading.Thread(target=self._capture, name='rtp-capture',
                                            args=(max_packets, max_seconds), daemon=True)
        self._cap_thread.start()

    def stop_capture(self):
        """Stop the capture thread (pending datagrams are read first)."""
        if self._cap_thread is None:
            return
        self._cap_stop.set()
        self._cap_thread.join(5.0)
        self._cap_thread = None

    def _capture(self, max_packets, max_seconds):
        deadline = time.monotonic() + max_seconds
        socks = [self.rtp_sock, self.rtcp_sock]
        total = 0
        while time.monotonic() < deadline:
            stopping = self._cap_stop.is_set()
            r, _, _ = select.select(socks, [], [], 0 if stopping else 0.05)
            if not r:
                if stopping:
                    return
                continue
            for s in r:
                data, src = s.recvfrom(65535)
                now = time.monotonic()
                total += 1
                if total > max_packets:
                    self.capture_truncated = True
                    return
                if s is self.rtp_sock:
                    self.rtp_rx.append((now, src, data))
                    p = parse_rtp(data)
                    if p is not None:
                        with self._lock:
                            st = self._rx.get(p.ssrc)
                            if st is None:
                                st = self._rx[p.ssrc] = _RxStats(p.seq)
                            st.update(p.seq, p.ts, now)
                else:
                    self.rtcp_rx.append((now, src, data))
                    for rp in parse_rtcp(data):
                        if rp['pt'] == 200:
                            with self._lock:
                                st = self._rx.get(rp['ssrc'])
                                if st is not None:
                                    msw, lsw = rp['ntp']
                                    st.lsr = ((msw & 0xffff) << 16) | (lsw >> 16)
                                    st.lsr_arrival = now

    def captured(self, rtcp=False):
        """[(src, bytes)] recorded by the capture thread so far."""
        lst = self.rtcp_rx if rtcp else self.rtp_rx
        return [(src, data) for _, src, data in list(lst)]


def even_loss(pct):
    """skip() for send_stream: drops `pct` % of the packets, evenly spread
    (with 2: packets 49, 99, 149, ...)."""
    return lambda i: (i * pct) // 100 != ((i + 1) * pct) // 100


def _rand4():
    return os.urandom(4)


# --- verification -----------------------------------------------------------------

def verify_rtp(packets, pattern, samples_per_packet=160):
    """Check RTP datagrams [(src, bytes)] against `pattern`.

    Returns a dict:
      received    datagrams given
      bytes       their total size (UDP payload)
      valid       distinct pattern indices with intact payload and
                  consistent headers (seq and ts advance with the index,
                  one SSRC)
      invalid     datagrams that are not RTP, not ours, altered or
                  inconsistent
      duplicates  repeated indices
      reordered   packets whose index is lower than the previous one
      srcs        sorted list of 'ip:port' sources
      ssrcs       number of distinct SSRCs
      max_index   highest valid index (-1 if none)
      missing     up to 10 indices below max_index that never arrived
      errors      the first few problems, as text
    """
    res = {'received': len(packets), 'bytes': 0, 'valid': 0, 'invalid': 0, 'duplicates': 0,
           'reordered': 0, 'srcs': [], 'ssrcs': 0, 'max_index': -1, 'missing': [],
           'errors': []}
    seen = set()
    srcs = set()
    ssrcs = set()
    seq_off = ts_off = None
    last = -1

    def bad(msg):
        res['invalid'] += 1
        if len(res['errors']) < 5:
            res['errors'].append(msg)

    for src, data in packets:
        res['bytes'] += len(data)
        srcs.add('%s:%d' % (src[0], src[1]))
        p = parse_rtp(data)
        if p is None:
            bad('not RTP (%d bytes from %s)' % (len(data), src))
            continue
        idx = pattern.check(p.payload)
        if idx is None:
            other = pattern_tag(p.payload)
            bad('payload not from %s (tag %s)' % (
                pattern.direction, '%08x' % other[0] if other else 'none'))
            continue
        so = (p.seq - idx) & 0xffff
        to = (p.ts - idx * samples_per_packet) & 0xffffffff
        if seq_off is None:
            seq_off, ts_off = so, to
        if so != seq_off or to != ts_off:
            bad('header inconsistent at index %d (seq %d ts %d)' % (idx, p.seq, p.ts))
            continue
        ssrcs.add(p.ssrc)
        if idx in seen:
            res['duplicates'] += 1
            continue
        if idx < last:
            res['reordered'] += 1
        last = idx
        seen.add(idx)
        res['max_index'] = max(res['max_index'], idx)
    res['valid'] = len(seen)
    res['missing'] = [i for i in range(res['max_index']) if i not in seen][:10]
    res['srcs'] = sorted(srcs)
    res['ssrcs'] = len(ssrcs)
    if len(ssrcs) > 1:
        res['errors'].append('%d SSRCs in one stream' % len(ssrcs))
    return res


def verify_rtcp(packets, pattern):
    """Check RTCP datagrams [(src, bytes)]: count compound packets whose
    SDES CNAME is the pattern's (i.e. sent by the expected party).

    Returns dict: received, bytes, valid, sr, rr, blocks, invalid, srcs, errors.
    """
    res = {'received': len(packets), 'bytes': 0, 'valid': 0, 'sr': 0, 'rr': 0, 'blocks': 0,
           'invalid': 0, 'srcs': [], 'errors': []}
    srcs = set()
    for src, data in packets:
        res['bytes'] += len(data)
        srcs.add('%s:%d' % (src[0], src[1]))
        pkts = parse_rtcp(data)
        cnames = [p.get('cname') for p in pkts if 'cname' in p]
        if not pkts or pattern.cname not in cnames:
            res['invalid'] += 1
            if len(res['errors']) < 5:
                res['errors'].append('RTCP from %s not ours (cnames %s)' % (src, cnames))
            continue
        res['valid'] += 1
        for p in pkts:
            if p['pt'] == 200:
                res['sr'] += 1
            elif p['pt'] == 201:
                res['rr'] += 1
            res['blocks'] += len(p.get('blocks', []))
    res['srcs'] = sorted(srcs)
    return res
