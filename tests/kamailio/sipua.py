#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Small SIP user agent (UDP, stdlib only) for the Kamailio rig.

The SIP socket lives in one netns (the core netns, 127.0.0.1, next to
Kamailio) and the media sockets in another (the endpoint's netns), so the
signalling never touches the relay's data plane while RTP has to cross it.

  caller:  INVITE (SDP offer) via the proxy -> 100/180/200 -> ACK ->
           RTP+RTCP for --duration s while receiving -> BYE -> 200
  callee:  waits for INVITE -> 100, 180, 200 (SDP answer) -> ACK ->
           RTP+RTCP for --duration s while receiving -> answers BYE

Both sides send pattern payloads (sltest.rtp.Pattern with the Call-ID and
the direction 'caller>callee' / 'callee>caller') and check that what they
receive carries the other party's pattern with every byte intact.  Each
prints one JSON report on stdout (see Report in the docstrings below);
diagnostics go to stderr.

Proper SIP for a UA behind a record-routing proxy: Via branches start with
z9hG4bK, From/To tags, CSeq, Contact, Content-Length, a route set from
Record-Route (reversed for the UAC) used for ACK and BYE, timer A/E
retransmission of INVITE/BYE, 200 retransmission until ACK (timer G).

Examples (as root):
  sipua.py callee --sip-ns NS_CORE --sip-addr 127.0.0.1:5070 \
      --media-ns NS_B --media-ip 198.18.2.10 --media-port 20000 --duration 5
  sipua.py caller --sip-ns NS_CORE --sip-addr 127.0.0.1:5061 --proxy 127.0.0.1:5060 \
      --to sip:callee@127.0.0.1:5070 --media-ns NS_A --media-ip 198.18.1.10 \
      --media-port 20000 --duration 5
"""

import argparse
import ipaddress
import json
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

from sltest.netns import netns_socket  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, even_loss, verify_rtcp, verify_rtp  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402

T1 = 0.5   # RFC 3261 timer T1 (s)
T2 = 4.0   # RFC 3261 timer T2 (s)

COMPACT = {'v': 'via', 'f': 'from', 't': 'to', 'i': 'call-id', 'm': 'contact',
           'l': 'content-length', 'c': 'content-type', 'k': 'supported', 's': 'subject'}

DIR_TX = {'caller': 'caller>callee', 'callee': 'callee>caller'}
DIR_RX = {'caller': 'callee>caller', 'callee': 'caller>callee'}


def log(*a):
    print('sipua:', *a, file=sys.stderr, flush=True)


def rand_hex(n):
    return os.urandom(n).hex()


# --- SIP message ------------------------------------------------------------------

class SipMessage:
    """A parsed SIP message: start line, headers in order, body (str)."""

    def __init__(self, start, headers, body):
        self.start = start
        self.headers = headers          # list of (Name, value) as received
        self.body = body
        parts = start.split(' ', 2)
        if start.startswith('SIP/2.0 '):
            self.is_request = False
            self.status = int(parts[1])
            self.reason = parts[2] if len(parts) > 2 else ''
            self.method = None
            self.uri = None
        else:
            self.is_request = True
            self.method = parts[0]
            self.uri = parts[1] if len(parts) > 1 else ''
            self.status = None

    @classmethod
    def parse(cls, data):
        text = data.decode('utf-8', 'replace')
        head, _, body = text.partition('\r\n\r\n')
        lines = head.split('\r\n')
        headers = []
        for ln in lines[1:]:
            if ln[:1] in (' ', '\t') and headers:   # folded continuation
                headers[-1] = (headers[-1][0], headers[-1][1] + ' ' + ln.strip())
                continue
            name, _, val = ln.partition(':')
            headers.append((name.strip(), val.strip()))
        msg = cls(lines[0], headers, body)
        clen = msg.get('content-length')
        if clen is not None and clen.isdigit():
            msg.body = body.encode()[:int(clen)].decode('utf-8', 'replace')
        return msg

    @staticmethod
    def _norm(name):
        n = name.lower()
        return COMPACT.get(n, n)

    def get_all(self, name):
        """All values of a header (comma-separated values split for the
        multi-value headers Via/Route/Record-Route/Contact)."""
        want = self._norm(name)
        vals = [v for n, v in self.headers if self._norm(n) == want]
        if want in ('via', 'route', 'record-route', 'contact'):
            out = []
            for v in vals:
                out.extend(split_header_list(v))
            return out
        return vals

    def get(self, name):
        vals = self.get_all(name)
        return vals[0] if vals else None

    @property
    def cseq(self):
        num, _, method = (self.get('cseq') or '0 ?').partition(' ')
        return int(num), method.strip()

    @property
    def branch(self):
        return param(self.get('via') or '', 'branch')

    def summary(self):
        return self.start


def split_header_list(value):
    """Split 'a, <b,c>;x, d' on commas outside <> and quotes."""
    out, cur, depth, quote = [], [], 0, False
    for ch in value:
        if ch == '"':
            quote = not quote
        elif not quote and ch == '<':
            depth += 1
        elif not quote and ch == '>':
            depth -= 1
        if ch == ',' and depth == 0 and not quote:
            out.append(''.join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if ''.join(cur).strip():
        out.append(''.join(cur).strip())
    return out


def param(value, name):
    """Value of ;name=... in a header value (outside <...>), or None."""
    tail = value[value.rfind('>') + 1:] if '>' in value else value
    m = re.search(r';\s*%s(?:=([^;,\s]*))?' % re.escape(name), tail, re.I)
    if not m:
        return None
    return m.group(1) if m.group(1) is not None else ''


def uri_of(value):
    """The URI inside a name-addr ('<sip:x>;p' -> 'sip:x')."""
    m = re.search(r'<([^>]*)>', value)
    return m.group(1) if m else value.split(';')[0].strip()


def uri_hostport(uri, default_port=5060):
    """(host, port) of a sip: URI."""
    m = re.match(r'sips?:(?:[^@;]*@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?', uri)
    if not m:
        raise ValueError('cannot parse URI %r' % uri)
    host = m.group(1).strip('[]')
    return host, int(m.group(2) or default_port)


def via_address(via, src):
    """Where a response to a request with this top Via goes (RFC 3261 18.2.2
    with RFC 3581 rport); falls back to the packet source."""
    m = re.match(r'SIP/2\.0/UDP\s+(\[[^\]]+\]|[^:;\s]+)(?::(\d+))?', via, re.I)
    if not m:
        return src
    host = param(via, 'received') or m.group(1).strip('[]')
    rport = param(via, 'rport')
    port = int(rport) if rport else int(m.group(2) or 5060)
    return host, port


# --- transport ---------------------------------------------------------------------

class SipSocket:
    """UDP socket in a netns, with a message trace."""

    def __init__(self, ns, addr):
        family = socket.AF_INET6 if ':' in addr[0] else socket.AF_INET
        self.sock = netns_socket(ns, family, socket.SOCK_DGRAM)
        self.sock.bind(tuple(addr))
        self.addr = self.sock.getsockname()[:2]
        self.trace = []
        self.t0 = time.monotonic()

    def hostport(self):
        h = self.addr[0]
        return ('[%s]' % h if ':' in h else h) + ':%d' % self.addr[1]

    def send(self, text, dst):
        data = text.encode()
        self.sock.sendto(data, tuple(dst))
        self.trace.append('%.3f > %s  (to %s:%d)' % (time.monotonic() - self.t0,
                                                      text.split('\r\n', 1)[0], dst[0], dst[1]))

    def recv(self, timeout):
        """(SipMessage, src) or (None, None) after `timeout` s."""
        if timeout <= 0:
            return None, None
        self.sock.settimeout(timeout)
        try:
            data, src = self.sock.recvfrom(65535)
        except (socket.timeout, ConnectionRefusedError):
            return None, None
        try:
            msg = SipMessage.parse(data)
        except Exception as e:  # garbage on the SIP port: note it, keep going
            self.trace.append('%.3f < unparsable (%s)' % (time.monotonic() - self.t0, e))
            return None, None
        self.trace.append('%.3f < %s' % (time.monotonic() - self.t0, msg.start))
        return msg, src[:2]

    def close(self):
        self.sock.close()


def build_message(start, headers, body=''):
    b = body.encode()
    lines = [start] + ['%s: %s' % (n, v) for n, v in headers]
    if body:
        lines.append('Content-Type: application/sdp')
    lines.append('Content-Length: %d' % len(b))
    return '\r\n'.join(lines) + '\r\n\r\n' + body


# --- media -------------------------------------------------------------------------

class Media:
    """RTP/RTCP for one UA: capture from the start, stream on demand."""

    def __init__(self, ns, ip, port, role, ptime):
        self.peer = RtpPeer(ns, ip, port)
        self.peer.start_capture(max_seconds=900)
        self.role = role
        self.ptime = ptime
        self.thread = None
        self.stop_ev = threading.Event()
        self.tx = None
        self.remote = None
        self.remote_rtcp = None
        self.t_start = None
        self.loss_pct = 0      # sender-side impairments (--loss, --jitter)
        self.jitter_ms = 0

    def start(self, call_id, remote, remote_rtcp, n):
        self.remote, self.remote_rtcp = remote, remote_rtcp
        pat = Pattern(call_id, DIR_TX[self.role])

        def run():
            self.tx = self.peer.send_stream(remote, n, ptime_ms=self.ptime, pattern=pat,
                                            rtcp_dst=remote_rtcp, stop=self.stop_ev,
                                            skip=even_loss(self.loss_pct) if self.loss_pct
                                            else None, jitter_ms=self.jitter_ms)
        self.t_start = time.monotonic()
        self.thread = threading.Thread(target=run, name='rtp-tx', daemon=True)
        self.thread.start()

    def sending(self):
        return self.thread is not None and self.thread.is_alive()

    def finish(self):
        self.stop_ev.set()
        if self.thread is not None:
            self.thread.join(10)
        self.peer.stop_capture()

    def last_rx(self):
        lst = self.peer.rtp_rx
        return lst[-1][0] if lst else None

    def report(self, call_id):
        rx_pat = Pattern(call_id, DIR_RX[self.role])
        rtp = verify_rtp(self.peer.captured(), rx_pat, samples_per_packet=8 * self.ptime)
        rtcp = verify_rtcp(self.peer.captured(rtcp=True), rx_pat)
        tx = self.tx or {'sent': 0, 'bytes': 0, 'rtcp_sent': 0, 'rtcp_bytes': 0}
        return {
            'local': [self.peer.ip, self.peer.rtp_port],
            'remote': list(self.remote) if self.remote else None,
            'remote_rtcp': list(self.remote_rtcp) if self.remote_rtcp else None,
            'rtp': {'sent': tx['sent'], 'sent_bytes': tx['bytes'],
                    'skipped': tx.get('skipped', 0),
                    'received': rtp['received'], 'received_bytes': rtp['bytes'],
                    'valid': rtp['valid'], 'invalid': rtp['invalid'],
                    'duplicates': rtp['duplicates'], 'reordered': rtp['reordered'],
                    'max_index': rtp['max_index'], 'missing': rtp['missing'],
                    'srcs': rtp['srcs'], 'errors': rtp['errors'],
                    'duration_s': tx.get('duration_s')},
            'rtcp': {'sent': tx['rtcp_sent'], 'sent_bytes': tx['rtcp_bytes'],
                     'received': rtcp['received'], 'received_bytes': rtcp['bytes'],
                     'valid': rtcp['valid'], 'sr': rtcp['sr'], 'report_blocks': rtcp['blocks'],
                     'invalid': rtcp['invalid'], 'srcs': rtcp['srcs'],
                     'errors': rtcp['errors']},
        }

    def close(self):
        self.peer.close()


def sdp_media_target(sdp_text):
    """((ip, rtp_port), (ip, rtcp_port)) from an SDP body."""
    m = parse_sdp(sdp_text).audio()
    return (m.addr, m.port), (m.rtcp_addr, m.rtcp_port)


# --- UAs ----------------------------------------------------------------------------

class UaError(RuntimeError):
    pass


class _Ua:
    role = None

    def __init__(self, sip_ns, sip_addr, media_ns, media_ip, media_port, duration, ptime,
                 timeout, rtcp_attr):
        self.sip = SipSocket(sip_ns, sip_addr)
        self.media = Media(media_ns, media_ip, media_port, self.role, ptime)
        self.duration = duration
        self.ptime = ptime
        self.n_packets = max(1, int(round(duration * 1000.0 / ptime)))
        self.timeout = timeout
        self.rtcp_attr = rtcp_attr
        self.errors = []
        self.call_id = None
        self.local_tag = rand_hex(6)
        self.remote_tag = None
        self.sdp_sent = None
        self.sdp_received = None
        self.timing = {}
        self.t0 = time.monotonic()
        self.status = {}

    def local_sdp(self):
        ip = self.media.peer.ip
        return build_sdp(ip, self.media.peer.rtp_port, username=self.role,
                         rtcp_port=self.media.peer.rtcp_port if self.rtcp_attr else None)

    def mark(self, what):
        self.timing[what] = round(time.monotonic() - self.t0, 3)

    def report(self):
        rep = {
            'role': self.role,
            'ok': not self.errors,
            'errors': self.errors,
            'call_id': self.call_id,
            'local_tag': self.local_tag,
            'remote_tag': self.remote_tag,
            'sdp_sent': self.sdp_sent,
            'sdp_received': self.sdp_received,
            'sip': dict(self.status, trace=self.sip.trace),
            'timing': self.timing,
        }
        rep.update(self.media.report(self.call_id or ''))
        return rep

    def close(self):
        self.media.finish()
        self.media.close()
        self.sip.close()

    def wait_media_done(self):
        """Own stream finished and the far end's stream has gone quiet.

        Bounded: at most duration + 5 s after our stream started.
        """
        cap = (self.media.t_start or time.monotonic()) + self.duration + 5.0
        while self.media.sending() and time.monotonic() < cap:
            self.media.thread.join(0.1)
        end_own = time.monotonic()
        while time.monotonic() < cap:
            last = self.media.last_rx()
            now = time.monotonic()
            if last is not None and now - last > 0.6:
                break
            if last is None and now - end_own > 1.5:
                break
            time.sleep(0.05)


class Caller(_Ua):
    """UAC: Caller(sip_ns, sip_addr, proxy, to_uri, media_ns, media_ip,
    media_port, duration=5, ptime=20, call_id=None, timeout=30,
    rtcp_attr=False, before_bye=None).run() -> report dict.

    before_bye(caller) is called after the media exchange, before BYE
    (e.g. to send an ng query while the call exists).
    """

    role = 'caller'

    def __init__(self, sip_ns, sip_addr, proxy, to_uri, media_ns, media_ip, media_port,
                 duration=5.0, ptime=20, call_id=None, timeout=30.0, rtcp_attr=False,
                 before_bye=None):
        super().__init__(sip_ns, sip_addr, media_ns, media_ip, media_port, duration, ptime,
                         timeout, rtcp_attr)
        self.proxy = tuple(proxy)
        self.to_uri = to_uri
        self.call_id = call_id or '%s@sluice.test' % rand_hex(8)
        self.before_bye = before_bye
        self.from_hdr = '<sip:caller@%s>;tag=%s' % (self.sip.addr[0], self.local_tag)
        self.to_hdr = '<%s>' % to_uri
        self.contact = '<sip:caller@%s>' % self.sip.hostport()
        self.route_set = []
        self.remote_target = None
        self.cseq = 1

    def _via(self, branch):
        return 'SIP/2.0/UDP %s;branch=%s;rport' % (self.sip.hostport(), branch)

    def _next_hop(self):
        # loose routing: first route if it has ;lr, else the request URI
        if self.route_set:
            return uri_hostport(uri_of(self.route_set[0]))
        return uri_hostport(self.remote_target)

    def _in_dialog(self, method, branch, cseq):
        hdrs = [('Via', self._via(branch)), ('Max-Forwards', '70')]
        hdrs += [('Route', r) for r in self.route_set]
        hdrs += [('From', self.from_hdr),
                 ('To', '%s;tag=%s' % (self.to_hdr, self.remote_tag)),
                 ('Call-ID', self.call_id), ('CSeq', '%d %s' % (cseq, method)),
                 ('Contact', self.contact), ('User-Agent', 'sluice-test-sipua')]
        return build_message('%s %s SIP/2.0' % (method, self.remote_target), hdrs)

    def run(self):
        try:
            self._invite()
            if self.errors:
                return self.report()
            self.media.start(self.call_id, self.remote_rtp, self.remote_rtcp, self.n_packets)
            self.mark('media_start')
            self._media_phase()
            self.mark('media_end')
            if self.before_bye is not None:
                try:
                    self.before_bye(self)
                except Exception as e:
                    self.errors.append('before_bye hook: %s' % e)
            self._bye()
            self.mark('bye_done')
        except UaError as e:
            self.errors.append(str(e))
        finally:
            self.media.finish()
        return self.report()

    def _invite(self):
        self.sdp_sent = self.local_sdp()
        branch = 'z9hG4bK' + rand_hex(8)
        self.invite_branch = branch
        hdrs = [('Via', self._via(branch)), ('Max-Forwards', '70'),
                ('From', self.from_hdr), ('To', self.to_hdr), ('Call-ID', self.call_id),
                ('CSeq', '1 INVITE'), ('Contact', self.contact),
                ('Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS'),
                ('User-Agent', 'sluice-test-sipua')]
        invite = build_message('INVITE %s SIP/2.0' % self.to_uri, hdrs, self.sdp_sent)
        self.sip.send(invite, self.proxy)
        self.mark('invite_sent')
        provisional = []
        deadline = time.monotonic() + self.timeout
        interval, next_retx, got_provisional = T1, time.monotonic() + T1, False
        while True:
            now = time.monotonic()
            if now > deadline:
                raise UaError('no final response to INVITE within %.0f s' % self.timeout)
            if not got_provisional and now >= next_retx:      # timer A
                self.sip.send(invite, self.proxy)
                interval = min(interval * 2, T2)
                next_retx = now + interval
            msg, src = self.sip.recv(min(deadline, next_retx if not got_provisional
                                         else deadline) - now + 0.001)
            if msg is None or msg.is_request:
                if msg is not None:
                    self._stray_request(msg, src)
                continue
            if msg.cseq != (1, 'INVITE') or msg.get('call-id') != self.call_id:
                continue
            if msg.status < 200:
                got_provisional = True
                provisional.append(msg.status)
                continue
            self.status['invite_status'] = msg.status
            self.status['provisional'] = provisional
            self.mark('final_response')
            if msg.status >= 300:
                self._ack_negative(msg, branch)
                raise UaError('INVITE rejected: %d %s' % (msg.status, msg.reason))
            self._accept_200(msg)
            return

    def _ack_negative(self, resp, branch):
        # hop-by-hop ACK: same branch and R-URI as the INVITE, To from the response
        hdrs = [('Via', self._via(branch)), ('Max-Forwards', '70'), ('From', self.from_hdr),
                ('To', resp.get('to')), ('Call-ID', self.call_id), ('CSeq', '1 ACK')]
        self.sip.send(build_message('ACK %s SIP/2.0' % self.to_uri, hdrs), self.proxy)

    def _accept_200(self, resp):
        self.remote_tag = param(resp.get('to') or '', 'tag')
        if not self.remote_tag:
            raise UaError('200 without To tag')
        self.route_set = list(reversed(resp.get_all('record-route')))
        contact = resp.get('contact')
        if not contact:
            raise UaError('200 without Contact')
        self.remote_target = uri_of(contact)
        self.sdp_received = resp.body
        self.ack = self._in_dialog('ACK', 'z9hG4bK' + rand_hex(8), 1)
        self.sip.send(self.ack, self._next_hop())
        self.mark('ack_sent')
        if not resp.body:
            raise UaError('200 without SDP')
        self.remote_rtp, self.remote_rtcp = sdp_media_target(resp.body)

    def _stray_request(self, msg, src):
        # nothing else is expected by the caller; be polite
        if msg.method != 'ACK':
            resp = build_message('SIP/2.0 481 Call/Transaction Does Not Exist',
                                 [('Via', v) for v in msg.get_all('via')] +
                                 [('From', msg.get('from')), ('To', msg.get('to')),
                                  ('Call-ID', msg.get('call-id')), ('CSeq', msg.get('cseq'))])
            self.sip.send(resp, via_address(msg.get('via') or '', src))

    def _media_phase(self):
        # while media flows, answer 200 retransmissions with the same ACK
        done = threading.Event()

        def waiter():
            self.wait_media_done()
            done.set()
        t = threading.Thread(target=waiter, daemon=True)
        t.start()
        while not done.is_set():
            msg, src = self.sip.recv(0.1)
            if msg is None:
                continue
            if not msg.is_request and msg.cseq == (1, 'INVITE') and msg.status == 200:
                self.sip.send(self.ack, self._next_hop())
            elif msg.is_request:
                self._stray_request(msg, src)
        t.join(1)

    def _bye(self):
        branch = 'z9hG4bK' + rand_hex(8)
        self.cseq += 1
        bye = self._in_dialog('BYE', branch, self.cseq)
        hop = self._next_hop()
        self.sip.send(bye, hop)
        deadline = time.monotonic() + 8.0
        interval, next_retx = T1, time.monotonic() + T1
        while True:
            now = time.monotonic()
            if now > deadline:
                raise UaError('no final response to BYE')
            if now >= next_retx:                                 # timer E
                self.sip.send(bye, hop)
                interval = min(interval * 2, T2)
                next_retx = now + interval
            msg, src = self.sip.recv(min(deadline, next_retx) - now + 0.001)
            if msg is None:
                continue
            if msg.is_request:
                self._stray_request(msg, src)
                continue
            if msg.cseq == (self.cseq, 'BYE') and msg.status >= 200:
                self.status['bye_status'] = msg.status
                if msg.status != 200:
                    raise UaError('BYE answered %d %s' % (msg.status, msg.reason))
                return
            if msg.cseq == (1, 'INVITE') and msg.status == 200:
                self.sip.send(self.ack, self._next_hop())


class Callee(_Ua):
    """UAS: Callee(sip_ns, sip_addr, media_ns, media_ip, media_port,
    duration=5, ptime=20, timeout=30, rtcp_attr=False, ready=None).run()
    -> report dict.  `ready` (threading.Event) is set once the SIP socket
    listens."""

    role = 'callee'

    def __init__(self, sip_ns, sip_addr, media_ns, media_ip, media_port, duration=5.0,
                 ptime=20, timeout=30.0, rtcp_attr=False, ready=None):
        super().__init__(sip_ns, sip_addr, media_ns, media_ip, media_port, duration, ptime,
                         timeout, rtcp_attr)
        self.contact = '<sip:callee@%s>' % self.sip.hostport()
        self.invite = None
        self.last_response = None
        if ready is not None:
            ready.set()

    def _response(self, req, code, reason, body='', with_tag=True):
        to = req.get('to')
        if with_tag and 'tag=' not in to:
            to = '%s;tag=%s' % (to, self.local_tag)
        hdrs = [('Via', v) for v in req.get_all('via')]
        hdrs += [('Record-Route', r) for r in req.get_all('record-route')]
        hdrs += [('From', req.get('from')), ('To', to), ('Call-ID', req.get('call-id')),
                 ('CSeq', req.get('cseq'))]
        if req.method == 'INVITE' and code < 300 and code > 100:
            hdrs.append(('Contact', self.contact))
        hdrs.append(('User-Agent', 'sluice-test-sipua'))
        return build_message('SIP/2.0 %d %s' % (code, reason), hdrs, body)

    def run(self):
        try:
            self._wait_invite()
            self._wait_ack()
            self.media.start(self.call_id, self.remote_rtp, self.remote_rtcp, self.n_packets)
            self.mark('media_start')
            self._wait_bye()
        except UaError as e:
            self.errors.append(str(e))
        finally:
            self.media.finish()
        return self.report()

    def _reply_to(self, req, src):
        return via_address(req.get('via') or '', src)

    def _wait_invite(self):
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UaError('no INVITE within %.0f s' % self.timeout)
            msg, src = self.sip.recv(left)
            if msg is None or not msg.is_request:
                continue
            if msg.method != 'INVITE' or param(msg.get('to') or '', 'tag'):
                if msg.method != 'ACK':
                    self.sip.send(self._response(msg, 481, 'Call/Transaction Does Not Exist'),
                                  self._reply_to(msg, src))
                continue
            break
        self.mark('invite_received')
        self.invite, self.invite_src = msg, src
        self.call_id = msg.get('call-id')
        self.remote_tag = param(msg.get('from') or '', 'tag')
        self.sdp_received = msg.body
        if not msg.body:
            raise UaError('INVITE without SDP')
        self.remote_rtp, self.remote_rtcp = sdp_media_target(msg.body)
        dst = self._reply_to(msg, src)
        self.sip.send(self._response(msg, 100, 'Trying', with_tag=False), dst)
        self.sip.send(self._response(msg, 180, 'Ringing'), dst)
        self.sdp_sent = self.local_sdp()
        self.last_response = self._response(msg, 200, 'OK', self.sdp_sent)
        self.sip.send(self.last_response, dst)
        self.mark('200_sent')

    def _wait_ack(self):
        dst = self._reply_to(self.invite, self.invite_src)
        deadline = time.monotonic() + 32 * T1                   # timer H
        interval, next_retx = T1, time.monotonic() + T1
        while True:
            now = time.monotonic()
            if now > deadline:
                raise UaError('no ACK for 200 OK')
            if now >= next_retx:                                 # timer G
                self.sip.send(self.last_response, dst)
                interval = min(interval * 2, T2)
                next_retx = now + interval
            msg, src = self.sip.recv(min(deadline, next_retx) - now + 0.001)
            if msg is None or not msg.is_request:
                continue
            if msg.get('call-id') != self.call_id:
                continue
            if msg.method == 'INVITE':                            # retransmission
                self.sip.send(self.last_response, dst)
            elif msg.method == 'ACK':
                self.mark('ack_received')
                self.status['ack_received'] = True
                return

    def _wait_bye(self):
        deadline = time.monotonic() + self.duration + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise UaError('no BYE within %.0f s of the call start'
                              % (self.duration + self.timeout))
            msg, src = self.sip.recv(min(left, 0.5))
            if msg is None or not msg.is_request:
                continue
            if msg.get('call-id') != self.call_id:
                continue
            if msg.method == 'INVITE' and not param(msg.get('to') or '', 'tag'):
                self.sip.send(self.last_response, self._reply_to(msg, src))
            elif msg.method == 'BYE':
                self.mark('bye_received')
                # stop our stream first so nothing is sent after the call ended
                self.media.stop_ev.set()
                self.sip.send(self._response(msg, 200, 'OK'), self._reply_to(msg, src))
                self.status['bye_received'] = True
                self._linger(msg)
                return

    def _linger(self, bye):
        # answer BYE retransmissions for a short while (bounded)
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            msg, src = self.sip.recv(end - time.monotonic())
            if msg is not None and msg.is_request and msg.method == 'BYE':
                self.sip.send(self._response(msg, 200, 'OK'), self._reply_to(msg, src))


# --- CLI ------------------------------------------------------------------------------

def hostport(s):
    host, _, port = s.rpartition(':')
    return host.strip('[]'), int(port)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('mode', choices=['caller', 'callee'])
    ap.add_argument('--sip-ns', help='netns of the SIP socket (default: current)')
    ap.add_argument('--sip-addr', type=hostport, help='local SIP ip:port')
    ap.add_argument('--proxy', type=hostport, default=('127.0.0.1', 5060),
                    help='caller: where to send the INVITE (Kamailio)')
    ap.add_argument('--to', default='sip:callee@127.0.0.1:5070', help='caller: R-URI')
    ap.add_argument('--call-id')
    ap.add_argument('--media-ns', help='netns of the RTP/RTCP sockets')
    ap.add_argument('--media-ip', required=True)
    ap.add_argument('--media-port', type=int, default=20000, help='even RTP port (RTCP +1)')
    ap.add_argument('--duration', type=float, default=5.0, help='seconds of RTP each way')
    ap.add_argument('--ptime', type=int, default=20)
    ap.add_argument('--timeout', type=float, default=30.0,
                    help='caller: wait for the final INVITE response; callee: for the INVITE')
    ap.add_argument('--rtcp-attr', action='store_true', help='put a=rtcp in our SDP')
    ap.add_argument('--ready-file', help='callee: touch this file once listening')
    ap.add_argument('--no-trace', action='store_true', help='omit the SIP trace from JSON')
    ap.add_argument('--loss', type=int, default=0,
                    help='drop this %% of our RTP packets at the sender, evenly spread')
    ap.add_argument('--jitter', type=int, default=0,
                    help='send every odd RTP packet this many ms late')
    args = ap.parse_args(argv)
    ipaddress.ip_address(args.media_ip)
    if args.mode == 'caller':
        ua = Caller(args.sip_ns, args.sip_addr or ('127.0.0.1', 5061), args.proxy, args.to,
                    args.media_ns, args.media_ip, args.media_port, args.duration, args.ptime,
                    args.call_id, args.timeout, args.rtcp_attr)
    else:
        ua = Callee(args.sip_ns, args.sip_addr or ('127.0.0.1', 5070), args.media_ns,
                    args.media_ip, args.media_port, args.duration, args.ptime, args.timeout,
                    args.rtcp_attr)
        if args.ready_file:
            with open(args.ready_file, 'w') as f:
                f.write('%d\n' % os.getpid())
    ua.media.loss_pct, ua.media.jitter_ms = args.loss, args.jitter
    try:
        rep = ua.run()
    finally:
        ua.close()
    if args.no_trace:
        rep['sip'].pop('trace', None)
    print(json.dumps(rep, indent=1))
    for e in rep['errors']:
        log(args.mode, 'error:', e)
    return 0 if rep['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
