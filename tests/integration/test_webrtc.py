#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""WebRTC bridging through sluice: DTLS-SRTP + ICE on one leg, plain RTP on the other.

    netns a 198.18.1.10 ---veth--- sluice port 0  a/198.18.1.1   (SIP phone: plain RTP)
    netns b 198.18.2.10 ---veth--- sluice port 1  b/198.18.2.1   (WebRTC peer)

The WebRTC side is tests/tools/webrtc_peer, independent of sluice's code:
OpenSSL 3 DTLS 1.2 with use_srtp and its own P-256 certificate, STUN/ICE
written from RFC 8489/8445 (one host candidate, rtcp-mux), libsrtp2 with the
exported keys. It exchanges SDP with the test through files, which passes it
to sluice over ng; the plain side is an sltest RtpPeer (verify_rtp). Payloads
are sltest Patterns checked byte for byte both ways. Scenarios:

  1  the peer offers (browser style: c=0.0.0.0, port 9, candidates only,
     UDP/TLS/RTP/SAVPF, actpass, rtcp-mux): sluice answers a=setup:active and
     is the DTLS client once ICE selected the pair (it is controlled, the
     peer nominates); RTP + SRTCP both ways; the selected pair is the peer's
     candidate on both ends; `query` shows the flows
  2  sluice offers (transport-protocol UDP/TLS/RTP/SAVPF, ICE force, rtcp-mux
     offer+require, SDES off) toward the peer, which answers a=setup:active
     (DTLS client; sluice controlling, nominating) and, again, passive
     (DTLS server); several SRTP profiles
  3  a DTLS fingerprint mismatch (the peer's a=fingerprint is not its
     certificate's), both signalling directions: the handshake fails, no key
     is ever installed, nothing flows either way
  4  keys late: the peer holds DTLS 1.5 s after ICE completed while the plain
     side streams: nothing reaches the peer before the keys exist (dropped as
     drop_srtp_nokey), media flows as soon as they do; consent checks answered
  5  DTLS-SRTP without ICE (RTP/SAVP(F), rtcp-mux): sluice offers actpass and
     the peer answers passive (sluice, the client, starts at once toward the
     SDP endpoint) or active; the peer offers actpass and sluice answers active
  6  the peer re-INVITEs mid-call: same ICE credentials, candidate,
     fingerprint, setup and ports in sluice's answer, no new handshake, no
     packet lost or failing authentication either way

Usage (root):  python3 tests/integration/test_webrtc.py --sluice build/sluice
               [--tools build/tests/tools] [--only 1,3] [-v] [--keep]
Exit status: 0 pass, 1 fail, 77 skipped (not root, or the tools not built).
"""

import argparse
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import ScenarioChecks as Checks  # noqa: E402
from sltest.itest import dp_delta, dp_stats, wait_until, finish_plan, run_plan  # noqa: E402
from sltest.ng import NgTimeout, stream_stats  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, verify_rtcp, verify_rtp  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

SKIP = 77
N = 200          # RTP packets per direction
PPS = 250        # ptime 4 ms
SRTP_DROPS = ('drop_srtp_auth', 'drop_srtp_replay', 'drop_srtp_bad', 'drop_srtp_out',
              'drop_srtp_nokey')

SCENARIOS = {
    '1': 'WebRTC peer offers (sluice DTLS client)',
    '2': 'sluice offers to the WebRTC peer',
    '3': 'DTLS fingerprint mismatch',
    '4': 'media before the DTLS keys',
    '5': 'DTLS-SRTP without ICE (SDP endpoint)',
    '6': 're-INVITE keeps ICE and DTLS',
}


class Peer:
    """One webrtc_peer process in netns b, its SDP files and its progress lines."""

    def __init__(self, x, mode, port, cid, extra=()):
        x.n_spawn += 1
        self.local = os.path.join(x.topo.workdir, 'peer%d-local.sdp' % x.n_spawn)
        self.remote = os.path.join(x.topo.workdir, 'peer%d-remote.sdp' % x.n_spawn)
        self.addr = (x.b.peer_ip, port)
        self.argv = [x.tool, '--' + mode, '--bind', '%s:%d' % self.addr,
                     '--local-sdp', self.local, '--remote-sdp', self.remote,
                     '--count', N, '--pps', PPS, '--rtcp-every', 25, '--expect', N,
                     '--tx-pattern', '%s|b>a' % cid, '--rx-pattern', '%s|a>b' % cid,
                     '--idle', 1.5, '--max-time', 40] + list(extra)
        self.mode = mode
        self.proc = None
        self.x = x

    def write_remote(self, sdp):
        tmp = self.remote + '.tmp'
        with open(tmp, 'w') as f:
            f.write(sdp)
        os.rename(tmp, self.remote)

    def start(self, remote_sdp=None):
        """Answer mode needs the relay's offer first. Returns our SDP text."""
        if remote_sdp is not None:
            self.write_remote(remote_sdp)
        self.proc = self.x.topo.spawn('webrtc_peer-%d' % self.x.n_spawn,
                                      [str(a) for a in self.argv], ns=self.x.b.ns)
        wait_until(lambda: os.path.exists(self.local) or self.proc.poll() is not None, 5.0)
        if not os.path.exists(self.local):
            raise RuntimeError('webrtc_peer wrote no SDP: %s' % self.proc.stderr_text()[-400:])
        with open(self.local) as f:
            return f.read()

    def event(self, name):
        """The text after 'EVENT <name>' once printed, else None."""
        for ln in self.proc.stdout_text().splitlines():
            if ln.startswith('EVENT %s' % name):
                return ln[len('EVENT %s' % name):].strip()
        return None

    def wait_event(self, names, timeout):
        """Wait (bounded) for the first of `names`; returns (name, text) or (None, None)."""
        def first():
            for n in names:
                t = self.event(n)
                if t is not None:
                    return n, t
            return None
        r = wait_until(lambda: first() or self.proc.poll() is not None, timeout)
        return first() or (None, None) if r else (None, None)

    def result(self, timeout=30):
        if self.proc.wait(timeout) is None:
            self.proc.stop(timeout=2)
        lines = [ln for ln in self.proc.stdout_text().splitlines() if ln.startswith('{')]
        if not lines:
            print('webrtc_peer printed no summary; stderr: %s' % self.proc.stderr_text()[-500:])
            return None
        return json.loads(lines[-1])


class Ctx:
    def __init__(self, c, topo, relay, a, b, args):
        self.c, self.topo, self.relay, self.a, self.b, self.args = c, topo, relay, a, b, args
        self.ng = relay.ng_client()
        self.tool = os.path.join(args.tools, 'webrtc_peer')
        self.n_spawn = 0
        self.next_port = 24000

    def port(self):
        self.next_port += 2
        return self.next_port


# --- helpers ---------------------------------------------------------------------

def has_attr(media, name):
    return any(a == name or a.startswith(name + ':') for a in media.attrs)


def attr_values(media, name):
    return [a[len(name) + 1:] for a in media.attrs if a.startswith(name + ':')]


def ep(host, port):
    return '%s:%d' % (host, port)


def drop_call(ng, cid):
    try:
        ng.delete(cid, delete_delay=0, check=False)
    except NgTimeout:
        pass


def check_webrtc_sdp(c, what, m, relay_ip, setup):
    """What sluice tells the WebRTC peer: DTLS + ICE, muxed, no SDES."""
    c.eq(m.proto, 'UDP/TLS/RTP/SAVPF', '%s: profile' % what)
    c.eq(attr_values(m, 'setup'), [setup], '%s: a=setup' % what)
    fp = attr_values(m, 'fingerprint')
    c.check(len(fp) == 1 and fp[0].startswith('sha-256 ') and len(fp[0]) == 8 + 95,
            '%s: one sha-256 a=fingerprint (%s)' % (what, fp))
    c.check(len(attr_values(m, 'ice-ufrag')) == 1 and len(attr_values(m, 'ice-pwd')) == 1,
            '%s: ICE credentials' % what)
    cands = attr_values(m, 'candidate')
    want = ' 1 UDP 2130706431 %s %d typ host' % (relay_ip, m.port)
    c.check(len(cands) == 1 and cands[0].endswith(want),
            '%s: one host candidate%s (%s)' % (what, want, cands))
    c.check(m.rtcp_mux and m.rtcp_port == m.port, '%s: a=rtcp-mux, a=rtcp:%s (port %d)'
            % (what, m.rtcp_port, m.port))
    c.check(not has_attr(m, 'crypto'), '%s: no a=crypto' % what)


def check_plain_sdp(c, what, m):
    """What sluice tells the SIP phone: plain RTP/AVP, nothing of WebRTC."""
    extra = ['a=%s' % n for n in ('fingerprint', 'setup', 'tls-id', 'ice-ufrag', 'ice-pwd',
                                  'candidate', 'crypto', 'rtcp-mux') if has_attr(m, n)]
    c.check(m.proto == 'RTP/AVP' and not extra and m.rtcp_port == m.port + 1,
            '%s: plain RTP/AVP, separate RTCP, no ICE/DTLS/SDES (got %s, rtcp %s%s)'
            % (what, m.proto, m.rtcp_port, ', with ' + ' '.join(extra) if extra else ''))
    c.check(m.addr not in ('0.0.0.0', None) and m.port > 9,
            '%s: a real address (%s:%d), not a hold' % (what, m.addr, m.port))


def media_exchange(x, cid, peer, pa, to_a):
    """Wait for DTLS, then the plain side streams while the peer does.
    Returns (plain tx, peer summary, verify_rtp, verify_rtcp) or Nones."""
    name, text = peer.wait_event(('dtls-connected', 'dtls-failed'), 15.0)
    x.c.eq(name, 'dtls-connected', 'DTLS handshake (%s)' % text)
    if name != 'dtls-connected':
        return None, peer.result(5), None, None
    time.sleep(0.2)   # the relay installs its keys a round trip after ours
    pa.start_capture()
    tx = pa.send_stream((to_a.addr, to_a.port), N, 4, Pattern(cid, 'a>b'),
                        rtcp_dst=(to_a.rtcp_addr, to_a.rtcp_port), rtcp_interval=0.1)
    res = peer.result(30)
    if res:
        wait_until(lambda: len(pa.rtp_rx) >= res['sent'] and len(pa.rtcp_rx) >= res['rtcp_sent'],
                   3.0)
        time.sleep(0.2)
    pa.stop_capture()
    back = Pattern(cid, 'b>a')
    return tx, res, verify_rtp(pa.captured(), back, 160), \
        verify_rtcp(pa.captured(rtcp=True), back)


def check_exchange(x, what, tx, res, rtp, rtcp, to_a, to_b, d, profile=None, ice=True):
    c = x.c
    if res is None or tx is None:
        c.check(False, '%s: no media exchange' % what)
        return
    c.check(res['dtls_connected'] and res['peer_fp_ok'],
            '%s: peer: DTLS %s as %s, sluice\'s certificate matches its a=fingerprint, '
            'profile %s' % (what, 'connected' if res['dtls_connected'] else 'NOT connected',
                            res['dtls_role'], res['profile']))
    if profile:
        c.eq(res['profile'], profile, '%s: negotiated SRTP profile' % what)
    c.check(res['valid'] == tx['sent'] and res['invalid'] == 0 and res['duplicates'] == 0
            and res['auth_fail'] == 0 and res['replay_fail'] == 0 and res['other_fail'] == 0,
            '%s: plain->peer: %d sent, libsrtp2 unprotected %d, %d intact, %d auth fail'
            % (what, tx['sent'], res['unprotected'], res['valid'], res['auth_fail']))
    c.check(tx['rtcp_sent'] > 0 and res['rtcp_valid'] == tx['rtcp_sent'],
            '%s: plain->peer: RTCP %d sent, %d SRTCP (muxed) with the sender\'s CNAME'
            % (what, tx['rtcp_sent'], res['rtcp_valid']))
    c.eq(res['rx_before_keys'], 0, '%s: datagrams that reached the peer before its keys' % what)
    c.check(rtp['valid'] == res['sent'] and rtp['received'] == res['sent']
            and rtp['invalid'] == 0 and rtp['duplicates'] == 0,
            '%s: peer->plain: %d sent, %d received in clear, %d intact%s'
            % (what, res['sent'], rtp['received'], rtp['valid'],
               (' (%s)' % '; '.join(rtp['errors'])) if rtp['errors'] else ''))
    c.check(rtp['srcs'] == [ep(to_a.addr, to_a.port)],
            '%s: peer->plain: RTP from %s (saw %s)' % (what, ep(to_a.addr, to_a.port), rtp['srcs']))
    c.check(res['rtcp_sent'] > 0 and rtcp['valid'] == res['rtcp_sent']
            and rtcp['srcs'] == [ep(to_a.addr, to_a.rtcp_port)],
            '%s: peer->plain: SRTCP %d sent, %d RTCP in clear on the RTCP port from %s'
            % (what, res['rtcp_sent'], rtcp['valid'], rtcp['srcs']))
    if ice:
        c.check(res['ice_selected'] and res['ice_remote'] == ep(to_b.addr, to_b.port),
                '%s: peer\'s selected pair: remote %s = sluice\'s candidate %s'
                % (what, res['ice_remote'], ep(to_b.addr, to_b.port)))
        c.check(res['bad_stun'] == 0 and res['requests_in'] > 0 and res['responses_ok'] > 0,
                '%s: STUN: %d checks from sluice answered, %d answers to ours, %d invalid'
                % (what, res['requests_in'], res['responses_ok'], res['bad_stun']))
    else:
        c.eq((res['ice_used'], res['requests_in'], res['bad_stun']), (False, 0, 0),
             '%s: no ICE: (ICE used, STUN requests from sluice, invalid STUN)' % what)
    tot_in = res['sent'] + res['rtcp_sent']
    tot_out = tx['sent'] + tx['rtcp_sent']
    c.eq((d['srtp_in'], d['srtp_out']), (tot_in, tot_out), '%s: statistics srtp_in, srtp_out'
         % what)
    c.eq({k: d[k] for k in SRTP_DROPS}, {k: 0 for k in SRTP_DROPS},
         '%s: SRTP drop counters' % what)
    x.c.note('%s: %s %s, ICE %.0f ms, %d+%d RTP, %d+%d RTCP, consent %d/%d'
             % (what, res['dtls_role'], res['profile'], res['ice_ms'], tx['sent'], res['sent'],
                tx['rtcp_sent'], res['rtcp_sent'], res['consent_ok'], res['consent_sent']))


def check_query(x, what, cid, peer_tag, peer_addr, plain_tag, plain_addr, res, tx,
                protos=('RTP/AVP', 'UDP/TLS/RTP/SAVPF')):
    """`query`: the WebRTC leg's endpoint is the peer's candidate (ICE), both
    legs counted what they received."""
    c = x.c
    q = x.ng.query(cid)
    rows = {(r['tag'], r['rtcp']): r for r in stream_stats(q)}
    w = rows.get((peer_tag, False))
    p = rows.get((plain_tag, False))
    c.check(w is not None and w['endpoint'] == peer_addr,
            '%s: query: WebRTC stream endpoint %s (ICE selected; want %s)'
            % (what, w['endpoint'] if w else None, peer_addr))
    c.check(p is not None and p['endpoint'] == plain_addr,
            '%s: query: plain stream endpoint %s' % (what, p['endpoint'] if p else None))
    if w and p and res and tx:
        # the peer's stream also received its STUN checks? no: those go to control
        c.check(w['packets'] == res['sent'] + res['rtcp_sent'],
                '%s: query: WebRTC stream received %d (peer sent %d RTP + %d SRTCP)'
                % (what, w['packets'], res['sent'], res['rtcp_sent']))
        c.check(p['packets'] == tx['sent'], '%s: query: plain RTP stream received %d of %d'
                % (what, p['packets'], tx['sent']))
    got = sorted(md.get('protocol') for t in (q.get('tags') or {}).values()
                 for md in t.get('medias', []))
    c.eq(got, sorted(protos), '%s: query: media protocols' % what)


# --- scenarios ---------------------------------------------------------------------

def sc_peer_offers(x, profiles, expect_profile, bad_fp=False):
    """1 (and 3): the WebRTC peer calls the SIP phone."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'peer-offer-%s%s' % (expect_profile, '-badfp' if bad_fp else '')
    what = 'peer offers%s' % (' (bad fingerprint)' if bad_fp else ', ' + expect_profile)
    pa = RtpPeer(a.ns, a.peer_ip)
    port = x.port()
    extra = ['--browser', '--profiles', profiles] + (['--bad-fingerprint'] if bad_fp else [])
    peer = Peer(x, 'offer', port, cid, extra)
    try:
        offer = peer.start()
        off = ng.offer(cid, 'ft', offer, direction=['b', 'a'], replace=['origin'],
                       flags=['trust-address'], transport_protocol='RTP/AVP', ICE='remove',
                       extra={'rtcp-mux': ['demux']})
        to_a = parse_sdp(off['sdp']).audio()
        check_plain_sdp(c, '%s: offer to the phone' % what, to_a)
        ans = ng.answer(cid, 'ft', 'tt', build_sdp(a.peer_ip, pa.rtp_port), replace=['origin'],
                        flags=['trust-address'], transport_protocol='UDP/TLS/RTP/SAVPF',
                        ICE='force')
        to_b = parse_sdp(ans['sdp']).audio()
        check_webrtc_sdp(c, '%s: answer to the peer' % what, to_b, b.relay_ip, 'active')
        d0 = dp_stats(ng)
        peer.write_remote(ans['sdp'])
        if bad_fp:
            fingerprint_mismatch(x, what, cid, peer, pa, to_a, d0)
            return
        tx, res, rtp, rtcp = media_exchange(x, cid, peer, pa, to_a)
        d = dp_delta(d0, dp_stats(ng))
        check_exchange(x, what, tx, res, rtp, rtcp, to_a, to_b, d, expect_profile)
        if res:
            c.check(res['ice_controlling'] and res['use_candidate_in'] == 0,
                    '%s: the peer (offerer) controls and nominates' % what)
            c.eq(res['dtls_role'], 'server', '%s: peer\'s DTLS role (sluice is active)' % what)
            c.eq(res['dtls_before_ice'], 0, '%s: DTLS records from sluice before ICE completed'
                 % what)
        check_query(x, what, cid, 'ft', peer.addr, 'tt', (a.peer_ip, pa.rtp_port), res, tx)
    finally:
        pa.close()
        drop_call(ng, cid)


def sc_sluice_offers(x, setup, profiles, expect_profile, bad_fp=False):
    """2 (and 3): the SIP phone calls the WebRTC peer."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'sluice-offer-%s-%s%s' % (setup, expect_profile, '-badfp' if bad_fp else '')
    what = 'sluice offers, peer %s%s' % (setup, ' (bad fingerprint)' if bad_fp
                                         else ', ' + expect_profile)
    pa = RtpPeer(a.ns, a.peer_ip)
    port = x.port()
    extra = ['--setup', setup, '--profiles', profiles] + (['--bad-fingerprint'] if bad_fp else [])
    peer = Peer(x, 'answer', port, cid, extra)
    try:
        off = ng.offer(cid, 'ft', build_sdp(a.peer_ip, pa.rtp_port), direction=['a', 'b'],
                       replace=['origin'], flags=['trust-address'],
                       transport_protocol='UDP/TLS/RTP/SAVPF', ICE='force',
                       extra={'rtcp-mux': ['offer', 'require'], 'SDES': ['off']})
        to_b = parse_sdp(off['sdp']).audio()
        check_webrtc_sdp(c, '%s: offer to the peer' % what, to_b, b.relay_ip, 'actpass')
        d0 = dp_stats(ng)
        answer = peer.start(off['sdp'])
        ans = ng.answer(cid, 'ft', 'tt', answer, replace=['origin'], flags=['trust-address'])
        to_a = parse_sdp(ans['sdp']).audio()
        check_plain_sdp(c, '%s: answer to the phone' % what, to_a)
        if bad_fp:
            fingerprint_mismatch(x, what, cid, peer, pa, to_a, d0)
            return
        tx, res, rtp, rtcp = media_exchange(x, cid, peer, pa, to_a)
        d = dp_delta(d0, dp_stats(ng))
        check_exchange(x, what, tx, res, rtp, rtcp, to_a, to_b, d, expect_profile)
        if res:
            c.check(not res['ice_controlling'] and res['use_candidate_in'] > 0,
                    '%s: sluice (offerer) controls and nominates (USE-CANDIDATE seen %d times)'
                    % (what, res['use_candidate_in']))
            c.eq(res['dtls_role'], 'client' if setup == 'active' else 'server',
                 '%s: peer\'s DTLS role' % what)
        check_query(x, what, cid, 'tt', peer.addr, 'ft', (a.peer_ip, pa.rtp_port), res, tx)
    finally:
        pa.close()
        drop_call(ng, cid)


def fingerprint_mismatch(x, what, cid, peer, pa, to_a, d0):
    """3: the handshake must fail and nothing may flow."""
    c = x.c
    log0 = len(x.relay.log_text())
    sel, _ = peer.wait_event(('ice-selected',), 10.0)
    c.eq(sel, 'ice-selected', '%s: ICE completes (the failure is DTLS\'s)' % what)
    time.sleep(0.3)
    pa.start_capture()
    tx = pa.send_stream((to_a.addr, to_a.port), 250, 4, Pattern(cid, 'a>b'),
                        rtcp_dst=(to_a.rtcp_addr, to_a.rtcp_port), rtcp_interval=0.1)
    name, text = peer.wait_event(('dtls-connected', 'dtls-failed'), 12.0)
    res = peer.result(20)
    time.sleep(0.3)
    pa.stop_capture()
    d = dp_delta(d0, dp_stats(x.ng))
    log = x.relay.log_text()[log0:]
    c.check(name != 'dtls-connected' and res and not res['dtls_connected'],
            '%s: handshake did not complete (peer: %s %s)' % (what, name, text))
    c.check('DTLS failed' in log, '%s: sluice logged the DTLS failure (%s)'
            % (what, [ln for ln in log.splitlines() if 'DTLS' in ln][-1:]))
    if res:
        c.eq((res['rx_before_keys'], res['unprotected']), (0, 0),
             '%s: media that reached the peer (plain side sent %d RTP + %d RTCP)'
             % (what, tx['sent'], tx['rtcp_sent']))
    c.eq(len(pa.captured()) + len(pa.captured(rtcp=True)), 0,
         '%s: datagrams that reached the plain side' % what)
    c.eq((d['srtp_in'], d['srtp_out']), (0, 0), '%s: statistics srtp_in, srtp_out' % what)
    c.eq(d['drop_srtp_nokey'], tx['sent'] + tx['rtcp_sent'],
         '%s: drop_srtp_nokey (every plain packet toward the peer)' % what)
    c.note('%s: peer said "%s"; %d packets dropped for want of keys'
           % (what, text, d['drop_srtp_nokey']))


def sc_late_keys(x, setup):
    """4: the plain side streams from ICE completion on; DTLS comes 1.5 s later
    (peer active: its ClientHello is late; passive: it ignores sluice's ClientHello
    for 1.5 s, which sluice retransmits)."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'late-keys-%s' % setup
    what = 'keys 1.5 s after ICE, peer %s' % setup
    pa = RtpPeer(a.ns, a.peer_ip)
    peer = Peer(x, 'answer', x.port(), cid, ['--setup', setup, '--dtls-delay', 1.5,
                                             '--expect', 0])
    try:
        off = ng.offer(cid, 'ft', build_sdp(a.peer_ip, pa.rtp_port), direction=['a', 'b'],
                       replace=['origin'], flags=['trust-address', 'WebRTC'])
        to_b = parse_sdp(off['sdp']).audio()
        check_webrtc_sdp(c, '%s: offer (flag WebRTC)' % what, to_b, b.relay_ip, 'actpass')
        ans = ng.answer(cid, 'ft', 'tt', peer.start(off['sdp']), replace=['origin'],
                        flags=['trust-address'])
        to_a = parse_sdp(ans['sdp']).audio()
        check_plain_sdp(c, '%s: answer to the phone' % what, to_a)
        sel, _ = peer.wait_event(('ice-selected',), 10.0)
        c.eq(sel, 'ice-selected', '%s: ICE completed' % what)
        time.sleep(0.2)       # sluice selected too (it nominated)
        d0 = dp_stats(ng)
        pa.start_capture()
        stream = {}
        th = threading.Thread(target=lambda: stream.update(pa.send_stream(
            (to_a.addr, to_a.port), 1000, 4, Pattern(cid, 'a>b'))), daemon=True)
        th.start()
        name, text = peer.wait_event(('dtls-connected', 'dtls-failed'), 10.0)
        c.eq(name, 'dtls-connected', '%s: DTLS completed (%s)' % (what, text))
        th.join(10)
        res = peer.result(30)
        pa.stop_capture()
        d = dp_delta(d0, dp_stats(ng))
        if not res or not stream:
            c.check(False, '%s: no results' % what)
            return
        c.eq(res['rx_before_keys'], 0, '%s: datagrams that reached the peer before keys' % what)
        c.check(d['drop_srtp_nokey'] > 0, '%s: %d plain packets dropped for want of keys'
                % (what, d['drop_srtp_nokey']))
        c.check(res['valid'] > 0 and res['auth_fail'] == 0 and res['invalid'] == 0,
                '%s: media flows once keyed: %d intact, %d auth fail'
                % (what, res['valid'], res['auth_fail']))
        c.eq(res['valid'] + d['drop_srtp_nokey'], stream['sent'],
             '%s: every plain packet either dropped (no key) or delivered intact' % what)
        if setup == 'passive':
            c.check(res['dtls_held'] >= 2, '%s: sluice (DTLS client) retransmitted its '
                    'ClientHello while unanswered: %d records' % (what, res['dtls_held']))
        c.check(res['consent_sent'] >= 1 and res['consent_ok'] >= res['consent_sent'] - 1,
                '%s: consent checks after selection answered: %d of %d'
                % (what, res['consent_ok'], res['consent_sent']))
        c.note('%s: %d dropped before keys, %d delivered after'
               % (what, d['drop_srtp_nokey'], res['valid']))
    finally:
        pa.close()
        drop_call(ng, cid)


def sc_no_ice(x, peer_offers, setup):
    """5: DTLS-SRTP on an RTP/SAVP(F) leg without ICE: DTLS goes to the SDP endpoint."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'noice-%s-%s' % ('peer' if peer_offers else 'sluice', setup)
    what = 'no ICE, %s offers, sluice %s' % ('peer' if peer_offers else 'sluice',
                                            'client' if setup != 'active' else 'server')
    pa = RtpPeer(a.ns, a.peer_ip)
    extra = ['--no-ice', '--proto', 'RTP/SAVPF' if peer_offers else 'RTP/SAVP']
    peer = Peer(x, 'offer' if peer_offers else 'answer', x.port(), cid,
                extra + ([] if peer_offers else ['--setup', setup]))
    try:
        if peer_offers:
            off = ng.offer(cid, 'ft', peer.start(), direction=['b', 'a'], replace=['origin'],
                           flags=['trust-address'], transport_protocol='RTP/AVP',
                           extra={'rtcp-mux': ['demux']})
            to_a = parse_sdp(off['sdp']).audio()
            check_plain_sdp(c, '%s: offer to the phone' % what, to_a)
            ans = ng.answer(cid, 'ft', 'tt', build_sdp(a.peer_ip, pa.rtp_port),
                            replace=['origin'], flags=['trust-address'])
            to_b = parse_sdp(ans['sdp']).audio()
            peer.write_remote(ans['sdp'])
            want = ('RTP/SAVPF', 'active')
        else:
            off = ng.offer(cid, 'ft', build_sdp(a.peer_ip, pa.rtp_port), direction=['a', 'b'],
                           replace=['origin'], flags=['trust-address'],
                           transport_protocol='RTP/SAVP', ICE='remove', SDES='off',
                           extra={'rtcp-mux': ['offer']})
            to_b = parse_sdp(off['sdp']).audio()
            c.check(to_b.proto == 'RTP/SAVP' and attr_values(to_b, 'setup') == ['actpass']
                    and len(attr_values(to_b, 'fingerprint')) == 1
                    and not has_attr(to_b, 'crypto') and not has_attr(to_b, 'ice-ufrag'),
                    '%s: offer: RTP/SAVP, DTLS actpass, no SDES, no ICE' % what)
            ans = ng.answer(cid, 'ft', 'tt', peer.start(off['sdp']), replace=['origin'],
                            flags=['trust-address'])
            to_a = parse_sdp(ans['sdp']).audio()
            check_plain_sdp(c, '%s: answer to the phone' % what, to_a)
            want = ('RTP/SAVP', 'actpass')
        c.check((to_b.proto, attr_values(to_b, 'setup')) == (want[0], [want[1]])
                and not has_attr(to_b, 'ice-ufrag') and not has_attr(to_b, 'candidate')
                and len(attr_values(to_b, 'fingerprint')) == 1,
                '%s: SDP to the peer: %s, a=setup:%s, fingerprint, no ICE (%s %s)'
                % (what, want[0], want[1], to_b.proto, attr_values(to_b, 'setup')))
        d0 = dp_stats(ng)
        tx, res, rtp, rtcp = media_exchange(x, cid, peer, pa, to_a)
        d = dp_delta(d0, dp_stats(ng))
        check_exchange(x, what, tx, res, rtp, rtcp, to_a, to_b, d, ice=False)
        if res:
            c.eq(res['dtls_role'], 'client' if setup == 'active' else 'server',
                 '%s: peer\'s DTLS role' % what)
        check_query(x, what, cid, 'ft' if peer_offers else 'tt', peer.addr,
                    'tt' if peer_offers else 'ft', (a.peer_ip, pa.rtp_port), res, tx,
                    protos=['RTP/AVP', want[0] if not peer_offers else 'RTP/SAVPF'])
    finally:
        pa.close()
        drop_call(ng, cid)


def sc_reinvite(x):
    """6: the WebRTC peer re-INVITEs mid-call (its SDP unchanged but the version):
    sluice's answer keeps ICE credentials, candidate, fingerprint, setup and port,
    DTLS is not restarted and media flows on without a gap (field lessons 23, 24)."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'reinvite'
    what = 're-INVITE'
    count = 1500                     # 6 s at 250 pps; the re-INVITE comes after 2 s
    pa = RtpPeer(a.ns, a.peer_ip)
    peer = Peer(x, 'offer', x.port(), cid, ['--count', count, '--expect', count])
    kw = {'replace': ['origin'], 'flags': ['trust-address']}
    to_phone = {'transport_protocol': 'RTP/AVP', 'ICE': 'remove', 'extra': {'rtcp-mux': ['demux']}}
    to_peer = {'transport_protocol': 'UDP/TLS/RTP/SAVPF', 'ICE': 'force'}
    try:
        offer = peer.start()
        off = ng.offer(cid, 'ft', offer, direction=['b', 'a'], **to_phone, **kw)
        to_a = parse_sdp(off['sdp']).audio()
        ans = ng.answer(cid, 'ft', 'tt', build_sdp(a.peer_ip, pa.rtp_port, session_id=77,
                                                   version=1), **to_peer, **kw)
        peer.write_remote(ans['sdp'])
        name, text = peer.wait_event(('dtls-connected', 'dtls-failed'), 15.0)
        c.eq(name, 'dtls-connected', '%s: DTLS handshake (%s)' % (what, text))
        d0 = dp_stats(ng)
        time.sleep(0.2)
        pa.start_capture()
        stream = {}
        th = threading.Thread(target=lambda: stream.update(pa.send_stream(
            (to_a.addr, to_a.port), count, 4, Pattern(cid, 'a>b'))), daemon=True)
        th.start()
        time.sleep(2.0)
        off2 = ng.offer(cid, 'ft', offer.replace(' 2 IN IP', ' 3 IN IP', 1), direction=['b', 'a'],
                        **to_phone, **kw)
        ans2 = ng.answer(cid, 'ft', 'tt', build_sdp(a.peer_ip, pa.rtp_port, session_id=77,
                                                    version=2), **to_peer, **kw)
        m1, m2 = parse_sdp(ans['sdp']).audio(), parse_sdp(ans2['sdp']).audio()
        for k in ('setup', 'fingerprint', 'tls-id', 'ice-ufrag', 'ice-pwd', 'candidate'):
            c.eq(attr_values(m2, k), attr_values(m1, k), '%s: re-answer keeps a=%s' % (what, k))
        c.eq((m2.port, parse_sdp(off2['sdp']).audio().port), (m1.port, to_a.port),
             '%s: ports kept (peer side, phone side)' % what)
        th.join(15)
        res = peer.result(30)
        pa.stop_capture()
        d = dp_delta(d0, dp_stats(ng))
        if not res or not stream:
            c.check(False, '%s: no results' % what)
            return
        c.check(res['dtls_connected'] and not res['dtls_failed'],
                '%s: the peer\'s DTLS association survived (%s)' % (what, res['dtls_error']))
        c.check(res['valid'] == stream['sent'] and res['auth_fail'] == 0
                and res['replay_fail'] == 0 and res['invalid'] == 0,
                '%s: plain->peer %d of %d intact across the re-INVITE, %d auth fail'
                % (what, res['valid'], stream['sent'], res['auth_fail']))
        rtp = verify_rtp(pa.captured(), Pattern(cid, 'b>a'), 160)
        c.check(rtp['valid'] == res['sent'] and rtp['invalid'] == 0 and rtp['duplicates'] == 0,
                '%s: peer->plain %d of %d intact across the re-INVITE' % (what, rtp['valid'],
                                                                          res['sent']))
        c.eq({k: d[k] for k in SRTP_DROPS}, {k: 0 for k in SRTP_DROPS},
             '%s: SRTP drop counters' % what)
        log = x.relay.log_text()
        c.eq(log.count('call %s media 1: DTLS-SRTP keys installed' % cid), 1,
             '%s: DTLS keys installed once (no new handshake)' % what)
    finally:
        pa.close()
        drop_call(ng, cid)


# --- driver ---------------------------------------------------------------------

def parse_args(argv):
    ap = argparse.ArgumentParser(description='WebRTC (DTLS-SRTP + ICE) bridging through sluice')
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'))
    ap.add_argument('--tools', default=None,
                    help='dir with webrtc_peer (default: <sluice dir>/tests/tools)')
    ap.add_argument('--only', default='', help='comma-separated scenario numbers')
    ap.add_argument('--verbose', '-v', action='store_true')
    ap.add_argument('--keep', action='store_true', help='keep the work dir (logs, SDPs)')
    a = ap.parse_args(argv)
    if a.tools is None:
        a.tools = os.path.join(os.path.dirname(os.path.abspath(a.sluice)), 'tests', 'tools')
    a.only = set(s.strip() for s in a.only.split(',') if s.strip())
    return a


def main(argv=None):
    args = parse_args(argv)
    if os.geteuid() != 0:
        print('SKIP: needs root (network namespaces)')
        return SKIP
    if not os.access(args.sluice, os.X_OK):
        print('FAIL: sluice binary %s not found (build it or pass --sluice)' % args.sluice)
        return 1
    if not os.access(os.path.join(args.tools, 'webrtc_peer'), os.X_OK):
        print('SKIP: %s/webrtc_peer not built (needs libsrtp2-dev and subdir(\'tools\') in '
              'tests/meson.build)' % args.tools)
        return SKIP
    all_p = 'SRTP_AEAD_AES_256_GCM:SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80:' \
            'SRTP_AES128_CM_SHA1_32'
    plan = [
        ('1', sc_peer_offers, (all_p, 'SRTP_AEAD_AES_256_GCM')),
        ('1', sc_peer_offers, ('SRTP_AES128_CM_SHA1_80', 'SRTP_AES128_CM_SHA1_80')),
        ('2', sc_sluice_offers, ('active', 'SRTP_AES128_CM_SHA1_80', 'SRTP_AES128_CM_SHA1_80')),
        ('2', sc_sluice_offers, ('active', 'SRTP_AEAD_AES_128_GCM', 'SRTP_AEAD_AES_128_GCM')),
        ('2', sc_sluice_offers, ('passive', all_p, 'SRTP_AEAD_AES_256_GCM')),
        ('2', sc_sluice_offers, ('passive', 'SRTP_AES128_CM_SHA1_32', 'SRTP_AES128_CM_SHA1_32')),
        ('3', sc_peer_offers, (all_p, 'SRTP_AEAD_AES_256_GCM', True)),
        ('3', sc_sluice_offers, ('active', all_p, 'SRTP_AEAD_AES_256_GCM', True)),
        ('4', sc_late_keys, ('active',)),
        ('4', sc_late_keys, ('passive',)),
        ('5', sc_no_ice, (False, 'passive')),
        ('5', sc_no_ice, (False, 'active')),
        ('5', sc_no_ice, (True, None)),
        ('6', sc_reinvite, ()),
    ]
    plan = [p for p in plan if not args.only or p[0] in args.only]
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        c.scenario = '0'
        try:
            relay = Sluice(args.sluice, topo, [a, b])
        except RelayError as e:
            c.check(False, 'sluice did not start: %s' % e)
            relay = None
        if relay is not None:
            x = Ctx(c, topo, relay, a, b, args)
            run_plan(c, x, relay, plan, SCENARIOS, args.verbose)
            x.ng.close()
            rc = relay.stop()
            c.check(rc == 0, 'sluice exited %s on SIGTERM' % rc)
            if c.failed:
                print('--- sluice log tail ---\n%s' % relay.log_tail(40))
        if args.keep:
            print('work dir kept: %s' % topo.workdir)
    return finish_plan(c, t_begin)


if __name__ == '__main__':
    sys.exit(main())
