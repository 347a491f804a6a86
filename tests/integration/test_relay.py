#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Relay behaviour over real DPDK af_packet ports in network namespaces.

    netns a 198.18.1.10 ---veth--- sluice port 0  a/198.18.1.1
    netns b 198.18.2.10 ---veth--- sluice port 1  b/198.18.2.1, b/2001:db8:2::1
            2001:db8:2::10
    netns c 198.19.4.10 --- router netns r 198.19.4.1 | 198.18.3.2 ---veth---
                                   sluice port 2  c/198.18.3.1, --gateway=c/198.18.3.2

sluice is driven directly over ng (bencode, and JSON in scenario 2); the
endpoints are RtpPeer sockets whose payloads are checked byte for byte
(sltest.rtp.Pattern).  Scenarios, grouped by sluice instance:

  phase A (default timers, interfaces a, b, c + gateway)
    1  basic IPv4 call (bencode): SDP rewriting, RTP+RTCP both ways, sources,
       query totals and per-stream endpoints
    2  the same with a JSON ng client
    3  NAT latching: SDP says :4000, media comes from :4002/:4003
    4  strict-source drops foreign sources (drop_strict); without it they are
       forwarded but do not move the destination
    5  IPv4 caller <-> IPv6 callee (address-family=IP6)
    6  re-INVITE keeps ports; hold (c=0.0.0.0 / recvonly) stops media toward
       the held party; unhold resumes on the same ports
   10  ARP, IPv6 ND and ping answered by sluice
   11  off-link callee behind a router through --gateway
  phase B (--timeout=3 --silent-timeout=8 --offer-timeout=6 --delete-delay=2)
    7  offer timeout, media timeout (alive while streaming), silent timeout
       (call on hold), delete-delay (still listed and forwarding, then gone),
       totalstatistics counters
  phase C (--port-min=30000 --port-max=30011 --final-timeout=8)
    8  duplicate cookie: byte-identical replies, one call, old reply for a
       reused cookie
    9  every ng error string, no reply without a cookie
    9p Ran out of ports (6 pairs per address), earlier calls unaffected
    7f final timeout ends a call that is still streaming

Usage (root):  python3 tests/integration/test_relay.py --sluice build/sluice
               [--only 1,4,7] [-v] [--keep]
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import argparse
import os
import re
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.netns import ip, run_in  # noqa: E402
from sltest.ng import NgTimeout, bdecode, bencode, stream_stats, totals  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, verify_rtcp, verify_rtp  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

SKIP = 77

# timers of phase B / C (seconds)
# (offer timeout well apart from --timeout, so that one cannot pass for the other)
TIMEOUT, SILENT_TIMEOUT, OFFER_TIMEOUT, DELETE_DELAY = 3, 8, 6, 2
FINAL_TIMEOUT = 8
# timers run once a second on whole seconds: a deadline of T s fires after
# T-1 .. T+1 s, plus the 0.2 s poll period; these are the accepted windows
EARLY_SLACK, LATE_SLACK = 1.2, 1.6
PORT_MIN, PORT_MAX = 30000, 30011   # 6 even/odd pairs per local address

SCENARIOS = {
    '1': 'basic IPv4 call (bencode)',
    '2': 'basic IPv4 call (JSON ng)',
    '3': 'NAT latching',
    '4': 'strict-source',
    '5': 'IPv4 <-> IPv6 bridging',
    '6': 're-INVITE, hold, unhold',
    '7': 'timeouts and delete-delay',
    '8': 'duplicate cookie',
    '7f': 'final timeout',
    '9': 'ng error strings, no cookie',
    '9p': 'ran out of ports',
    '10': 'ARP / ND / ICMP echo',
    '11': 'off-link peer via --gateway',
}


def parse_args(argv):
    ap = argparse.ArgumentParser(description='sluice relay behaviour over af_packet ports')
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'),
                    help='sluice binary (default: build/sluice)')
    ap.add_argument('--only', default='',
                    help='comma-separated scenario numbers to run (default: all)')
    ap.add_argument('--verbose', '-v', action='store_true', help='print every check')
    ap.add_argument('--keep', action='store_true', help='keep the work dir (logs)')
    return ap.parse_args(argv)


class Checks:
    """pass/fail lines grouped by scenario; a test fails if any check failed."""

    def __init__(self, verbose=False):
        self.results = []          # (ok, scenario, text)
        self.scenario = None
        self.notes = {}            # scenario -> [figure lines]
        self.verbose = verbose

    def check(self, ok, what):
        ok = bool(ok)
        self.results.append((ok, self.scenario, what))
        if self.verbose:
            print('  %s [%s] %s' % ('ok  ' if ok else 'FAIL', self.scenario, what), flush=True)
        return ok

    def eq(self, got, want, what):
        return self.check(got == want, '%s: got %r, want %r' % (what, got, want))

    def note(self, text):
        self.notes.setdefault(self.scenario, []).append(text)
        if self.verbose:
            print('  .... [%s] %s' % (self.scenario, text), flush=True)

    @property
    def failed(self):
        return [(s, w) for ok, s, w in self.results if not ok]



class Ctx:
    """What the scenarios share within one sluice instance."""

    def __init__(self, c, topo, relay, eps, args):
        self.c = c
        self.topo = topo
        self.relay = relay
        self.a, self.b = eps['a'], eps['b']
        self.r = eps.get('r')          # router endpoint (interface c)
        self.host = eps.get('c')       # host behind it
        self.args = args
        self.ng = relay.ng_client()


# --- helpers -------------------------------------------------------------------

def stats(ng):
    return ng.statistics()['statistics']


def dp(ng):
    return stats(ng)['dataplane']


def delta(before, after, key):
    return int(after.get(key, 0)) - int(before.get(key, 0))


def reply_body(ng):
    """Document part of the last reply datagram (after the cookie)."""
    data = ng.last_reply or b''
    return data.split(b' ', 1)[1] if b' ' in data else b''


def marks(peer):
    return len(peer.rtp_rx), len(peer.rtcp_rx)


def rx_since(peer, mark, rtcp=False):
    lst = peer.rtcp_rx if rtcp else peer.rtp_rx
    return [(src, data) for _, src, data in list(lst)[mark[1] if rtcp else mark[0]:]]


def wait_count(peer, mark, want_rtp, want_rtcp=0, timeout=2.0):
    """Wait (bounded) until `peer` captured want_rtp RTP / want_rtcp RTCP since mark."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (len(peer.rtp_rx) - mark[0] >= want_rtp
                and len(peer.rtcp_rx) - mark[1] >= want_rtcp):
            break
        time.sleep(0.02)
    time.sleep(0.1)   # stragglers and duplicates, if any, would show now


def src_str(host, port):
    return '%s:%d' % (host, port)


def exchange(x, y, to_x, to_y, n, pat_xy, pat_yx, ptime=4, rtcp_interval=0.1, delay_y=0.0):
    """x sends n RTP (+RTCP) to the relay port of SDP media `to_x` (what x
    was told), y likewise to `to_y`, concurrently (y starts delay_y s later).
    Returns dict tx_x, tx_y (send_stream stats) and rtp_y/rtcp_y (verify
    results of what y received, against pat_xy), rtp_x/rtcp_x."""
    for p in (x, y):
        p.start_capture()
    mx, my = marks(x), marks(y)
    out = {'tx_x': {'sent': 0, 'rtcp_sent': 0, 'bytes': 0, 'rtcp_bytes': 0},
           'tx_y': {'sent': 0, 'rtcp_sent': 0, 'bytes': 0, 'rtcp_bytes': 0}}

    def send_y():
        time.sleep(delay_y)
        out['tx_y'] = y.send_stream((to_y.addr, to_y.port), n, ptime, pat_yx,
                                    rtcp_dst=(to_y.rtcp_addr, to_y.rtcp_port),
                                    rtcp_interval=rtcp_interval)

    th = threading.Thread(target=send_y, daemon=True)
    th.start()
    out['tx_x'] = x.send_stream((to_x.addr, to_x.port), n, ptime, pat_xy,
                                rtcp_dst=(to_x.rtcp_addr, to_x.rtcp_port),
                                rtcp_interval=rtcp_interval)
    th.join(n * ptime / 1000.0 + delay_y + 10)
    wait_count(y, my, out['tx_x']['sent'], out['tx_x']['rtcp_sent'])
    wait_count(x, mx, out['tx_y']['sent'], out['tx_y']['rtcp_sent'])
    spp = 8 * ptime
    out['rtp_y'] = verify_rtp(rx_since(y, my), pat_xy, spp)
    out['rtcp_y'] = verify_rtcp(rx_since(y, my, True), pat_xy)
    out['rtp_x'] = verify_rtp(rx_since(x, mx), pat_yx, spp)
    out['rtcp_x'] = verify_rtcp(rx_since(x, mx, True), pat_yx)
    return out


def check_dir(c, name, tx, rtp, rtcp, want_src, want_rtcp_src):
    """Every packet sent arrived intact, once, from the advertised relay port."""
    c.check(tx['sent'] > 0 and rtp['valid'] == tx['sent'] and rtp['invalid'] == 0
            and rtp['duplicates'] == 0,
            '%s: RTP %d sent, %d received, %d intact, %d bad, %d dup%s'
            % (name, tx['sent'], rtp['received'], rtp['valid'], rtp['invalid'],
               rtp['duplicates'], (' (%s)' % '; '.join(rtp['errors'])) if rtp['errors'] else ''))
    c.check(rtp['srcs'] == [want_src], '%s: RTP from relay %s (saw %s)'
            % (name, want_src, ', '.join(rtp['srcs']) or 'nothing'))
    c.check(tx['rtcp_sent'] > 0 and rtcp['valid'] == tx['rtcp_sent'] and rtcp['invalid'] == 0
            and rtcp['received'] == tx['rtcp_sent'],
            '%s: RTCP %d sent, %d received, %d with our CNAME'
            % (name, tx['rtcp_sent'], rtcp['received'], rtcp['valid']))
    if rtcp['received']:
        c.check(rtcp['srcs'] == [want_rtcp_src], '%s: RTCP from relay %s (saw %s)'
                % (name, want_rtcp_src, ', '.join(rtcp['srcs'])))


def check_relay_sdp(c, what, sdp_text, relay_addr, family, hidden):
    """The SDP a party receives carries the relay address, an even port and
    a=rtcp = port+1; `hidden` (the other party's address) does not appear."""
    sdp = parse_sdp(sdp_text)
    m = sdp.audio()
    c.eq(m.addr, relay_addr, '%s: c= address' % what)
    c.eq(m.family, family, '%s: c= family' % what)
    c.check(m.port >= 1024 and m.port % 2 == 0, '%s: RTP port %d is even' % (what, m.port))
    c.check(m.rtcp_attr is not None and m.rtcp_port == m.port + 1,
            '%s: a=rtcp:%s = port+1 (%d)' % (what, m.rtcp_attr, m.port + 1))
    c.check(hidden not in sdp_text, '%s: other party address %s not leaked' % (what, hidden))
    return m


def stream_row(q, tag, rtcp):
    rows = [r for r in stream_stats(q) if r['tag'] == tag and r['rtcp'] == rtcp]
    return rows[0] if rows else None


def raw_stream(q, tag, comp=0):
    try:
        return q['tags'][tag]['medias'][0]['streams'][comp]
    except (KeyError, IndexError, TypeError):
        return {}


def close_all(*peers):
    for p in peers:
        if p is not None:
            p.close()


def drop_call(ng, cid):
    """Delete a call at once (delete-delay 0), ignoring 'not found'."""
    try:
        ng.delete(cid, delete_delay=0, check=False)
    except NgTimeout:
        pass


def call_gone(ng, cid):
    r = ng.query(cid, check=False)
    return r.get('result') == 'error' and r.get('error-reason') == 'Unknown call-id'


# --- phase A ---------------------------------------------------------------------

def sc_basic(x, fmt):
    """Scenarios 1 and 2: a plain IPv4 call a -> b."""
    c, a, b = x.c, x.a, x.b
    ng = x.ng if fmt == 'bencode' else x.relay.ng_client('json')
    cid, ft, tt = 'relay-basic-%s' % fmt, 'from-%s' % fmt, 'to-%s' % fmt
    pa, pb = RtpPeer(a.ns, a.peer_ip), RtpPeer(b.ns, b.peer_ip)
    try:
        off = ng.offer(cid, ft, build_sdp(a.peer_ip, pa.rtp_port), direction=['a', 'b'],
                       replace=['origin'], flags=['trust-address'])
        if fmt == 'json':
            c.check(reply_body(ng)[:1] == b'{', 'offer reply is JSON (%r...)'
                    % reply_body(ng)[:12])
        to_b = check_relay_sdp(c, 'offer SDP to callee', off['sdp'], b.relay_ip, 'IP4',
                               a.peer_ip)
        c.eq(parse_sdp(off['sdp']).origin['addr'], b.relay_ip, 'offer SDP o= (replace origin)')
        ans = ng.answer(cid, ft, tt, build_sdp(b.peer_ip, pb.rtp_port), replace=['origin'])
        if fmt == 'json':
            c.check(reply_body(ng)[:1] == b'{', 'answer reply is JSON')
        to_a = check_relay_sdp(c, 'answer SDP to caller', ans['sdp'], a.relay_ip, 'IP4',
                               b.peer_ip)
        n = 100
        res = exchange(pa, pb, to_a, to_b, n, Pattern(cid, 'a>b'), Pattern(cid, 'b>a'))
        check_dir(c, 'caller->callee', res['tx_x'], res['rtp_y'], res['rtcp_y'],
                  src_str(b.relay_ip, to_b.port), src_str(b.relay_ip, to_b.rtcp_port))
        check_dir(c, 'callee->caller', res['tx_y'], res['rtp_x'], res['rtcp_x'],
                  src_str(a.relay_ip, to_a.port), src_str(a.relay_ip, to_a.rtcp_port))

        q = ng.query(cid)
        tot = totals(q)
        tx_a, tx_b = res['tx_x'], res['tx_y']
        crossed_rtp = res['rtp_y']['received'] + res['rtp_x']['received']
        crossed_rtcp = res['rtcp_y']['received'] + res['rtcp_x']['received']
        c.eq(tot['RTP']['packets'], tx_a['sent'] + tx_b['sent'], 'query totals RTP packets = sent')
        c.eq(tot['RTP']['packets'], crossed_rtp, 'query totals RTP packets = received')
        c.eq(tot['RTP']['bytes'], tx_a['bytes'] + tx_b['bytes'], 'query totals RTP bytes')
        c.eq(tot['RTCP']['packets'], tx_a['rtcp_sent'] + tx_b['rtcp_sent'],
             'query totals RTCP packets = sent')
        c.eq(tot['RTCP']['packets'], crossed_rtcp, 'query totals RTCP packets = received')
        c.eq(tot['RTCP']['bytes'], tx_a['rtcp_bytes'] + tx_b['rtcp_bytes'],
             'query totals RTCP bytes')
        c.eq(tot['RTP']['errors'] + tot['RTCP']['errors'], 0, 'query totals errors')
        for tag, peer, relay_ip, m, tx in ((ft, pa, a.relay_ip, to_a, tx_a),
                                           (tt, pb, b.relay_ip, to_b, tx_b)):
            for rtcp in (False, True):
                row = stream_row(q, tag, rtcp)
                kind = 'RTCP' if rtcp else 'RTP'
                if not c.check(row is not None, 'query has the %s stream of %s' % (kind, tag)):
                    continue
                port = peer.rtcp_port if rtcp else peer.rtp_port
                c.eq(row['endpoint'], (peer.ip, port), 'query %s %s endpoint (learned)'
                     % (tag, kind))
                c.eq((row['local_ip'], row['local_port']),
                     (relay_ip, m.rtcp_port if rtcp else m.port),
                     'query %s %s local address' % (tag, kind))
                c.eq(row['packets'], tx['rtcp_sent'] if rtcp else tx['sent'],
                     'query %s %s packets' % (tag, kind))
        d = ng.delete(cid, delete_delay=0)
        c.eq(totals(d), tot, 'delete reply totals = query totals')
        c.check(call_gone(ng, cid), 'call gone after delete with delete-delay 0')
        c.note('RTP %d+%d, RTCP %d+%d packets; relay ports a:%d b:%d'
               % (tx_a['sent'], tx_b['sent'], tx_a['rtcp_sent'], tx_b['rtcp_sent'],
                  to_a.port, to_b.port))
    finally:
        close_all(pa, pb)
        if ng is not x.ng:
            ng.close()


def sc_nat(x):
    """Scenario 3: SDP says 4000, the caller sends from 4002/4003."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'relay-nat'
    pa = RtpPeer(a.ns, a.peer_ip, 4002)         # where the caller really is
    decoy = RtpPeer(a.ns, a.peer_ip, 4000)      # what its SDP claims
    pb = RtpPeer(b.ns, b.peer_ip)
    try:
        off = ng.offer(cid, 'ft', build_sdp(a.peer_ip, 4000), direction=['a', 'b'],
                       flags=['trust-address'])
        to_b = parse_sdp(off['sdp']).audio()
        ans = ng.answer(cid, 'ft', 'tt', build_sdp(b.peer_ip, pb.rtp_port))
        to_a = parse_sdp(ans['sdp']).audio()
        decoy.start_capture()
        # the caller speaks first (0.3 s head start), as a NATed phone must
        res = exchange(pa, pb, to_a, to_b, 60, Pattern(cid, 'a>b'), Pattern(cid, 'b>a'),
                       delay_y=0.3, rtcp_interval=0.05)
        check_dir(c, 'caller(4002)->callee', res['tx_x'], res['rtp_y'], res['rtcp_y'],
                  src_str(b.relay_ip, to_b.port), src_str(b.relay_ip, to_b.rtcp_port))
        check_dir(c, 'callee->caller at 4002/4003', res['tx_y'], res['rtp_x'], res['rtcp_x'],
                  src_str(a.relay_ip, to_a.port), src_str(a.relay_ip, to_a.rtcp_port))
        decoy.stop_capture()
        c.eq((len(decoy.captured()), len(decoy.captured(True))), (0, 0),
             'nothing sent to the SDP address :4000/:4001 after latching')
        q = ng.query(cid)
        rtp, rtcp = stream_row(q, 'ft', False), stream_row(q, 'ft', True)
        if c.check(rtp and rtcp, 'query has caller streams'):
            c.eq(rtp['endpoint'], (a.peer_ip, 4002), 'caller RTP endpoint learned')
            c.eq(rtcp['endpoint'], (a.peer_ip, 4003), 'caller RTCP endpoint learned')
            c.eq(rtp['advertised'], (a.peer_ip, 4000), 'caller RTP advertised endpoint')
            c.eq(rtcp['advertised'], (a.peer_ip, 4001), 'caller RTCP advertised endpoint')
        drop_call(ng, cid)
    finally:
        close_all(pa, decoy, pb)


def sc_strict(x):
    """Scenario 4: strict-source drops foreign sources; without it they pass."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    third_ip = '198.18.1.11'
    ip('addr', 'add', third_ip + '/24', 'dev', a.peer_if, ns=a.ns, check=False)
    peers = []

    def peer(ns, addr):
        p = RtpPeer(ns, addr)
        peers.append(p)
        return p

    try:
        for strict in (True, False):
            cid = 'relay-strict' if strict else 'relay-loose'
            tag = '[%s] ' % ('strict' if strict else 'no strict')
            pa, pb = peer(a.ns, a.peer_ip), peer(b.ns, b.peer_ip)
            evil1, evil2 = peer(a.ns, third_ip), peer(a.ns, a.peer_ip)  # other addr / port
            flags = ['trust-address'] + (['strict-source'] if strict else [])
            off = ng.offer(cid, 'ft', build_sdp(a.peer_ip, pa.rtp_port), direction=['a', 'b'],
                           flags=flags)
            to_b = parse_sdp(off['sdp']).audio()
            ans = ng.answer(cid, 'ft', 'tt', build_sdp(b.peer_ip, pb.rtp_port))
            to_a = parse_sdp(ans['sdp']).audio()
            relay_a = (to_a.addr, to_a.port)
            for p in (pa, pb, evil1, evil2):
                p.start_capture()

            # 1. the caller's stream (exact SDP source: confirmed at once)
            mb = marks(pb)
            tx1 = pa.send_stream(relay_a, 20, 3, Pattern(cid, 'a>b 1'))
            wait_count(pb, mb, tx1['sent'])
            v = verify_rtp(rx_since(pb, mb), Pattern(cid, 'a>b 1'), 24)
            c.check(v['valid'] == tx1['sent'] and v['invalid'] == 0,
                    tag + 'caller reaches callee before intruders (%d/%d)'
                    % (v['valid'], tx1['sent']))
            q = ng.query(cid)
            c.check('confirmed' in (raw_stream(q, 'ft').get('flags') or []),
                    tag + 'caller RTP stream confirmed (flags %s)'
                    % raw_stream(q, 'ft').get('flags'))
            if strict:
                c.check('strict source address' in (raw_stream(q, 'ft').get('flags') or []),
                        tag + 'stream flagged strict source')

            # 2. intruders: another address on a's veth, and the caller's address
            #    from another port, both to the caller-facing relay port
            before = dp(ng)
            mb = marks(pb)
            ev1 = evil1.send_stream(relay_a, 20, 3, Pattern(cid, 'evil1'))
            ev2 = evil2.send_stream(relay_a, 20, 3, Pattern(cid, 'evil2'))
            n_evil = ev1['sent'] + ev2['sent']
            if strict:
                time.sleep(0.5)
            else:
                wait_count(pb, mb, n_evil)
            after = dp(ng)
            got = rx_since(pb, mb)
            e1 = verify_rtp(got, Pattern(cid, 'evil1'), 24)['valid']
            e2 = verify_rtp(got, Pattern(cid, 'evil2'), 24)['valid']
            c.check(delta(before, after, 'rx_pkts') >= n_evil,
                    tag + 'relay received the %d foreign packets (rx_pkts +%d)'
                    % (n_evil, delta(before, after, 'rx_pkts')))
            if strict:
                c.eq(len(got), 0, tag + 'foreign packets forwarded to the callee')
                c.eq(delta(before, after, 'drop_strict'), n_evil,
                     tag + 'statistics drop_strict increase')
            else:
                c.eq((e1, e2), (ev1['sent'], ev2['sent']),
                     tag + 'foreign packets forwarded intact to the callee')
                c.eq(delta(before, after, 'drop_strict'), 0, tag + 'drop_strict increase')

            # 3. the legitimate caller still gets through
            mb = marks(pb)
            tx2 = pa.send_stream(relay_a, 20, 3, Pattern(cid, 'a>b 2'))
            wait_count(pb, mb, tx2['sent'])
            v = verify_rtp(rx_since(pb, mb), Pattern(cid, 'a>b 2'), 24)
            c.check(v['valid'] == tx2['sent'] and v['invalid'] == 0,
                    tag + 'caller still reaches callee after intruders (%d/%d, %d bad)'
                    % (v['valid'], tx2['sent'], v['invalid']))

            # 4. the callee's media still goes to the caller, never to an intruder
            ma, m1, m2 = marks(pa), marks(evil1), marks(evil2)
            txb = pb.send_stream((to_b.addr, to_b.port), 20, 3, Pattern(cid, 'b>a'))
            wait_count(pa, ma, txb['sent'])
            v = verify_rtp(rx_since(pa, ma), Pattern(cid, 'b>a'), 24)
            c.check(v['valid'] == txb['sent'] and v['invalid'] == 0,
                    tag + 'callee media reaches the caller (%d/%d)' % (v['valid'], txb['sent']))
            c.eq((len(rx_since(evil1, m1)), len(rx_since(evil2, m2))), (0, 0),
                 tag + 'callee media received by intruders (addr, port)')
            q = ng.query(cid)
            row = stream_row(q, 'ft', False)
            if c.check(row is not None, tag + 'query has the caller stream'):
                c.eq(row['endpoint'], (a.peer_ip, pa.rtp_port), tag + 'caller endpoint kept')
                if strict:
                    c.eq(row['errors'], n_evil, tag + 'caller stream errors (dropped)')
                    c.eq(row['packets'], tx1['sent'] + tx2['sent'],
                         tag + 'caller stream packets (accepted only)')
            c.note('%sforeign sent %d, drop_strict +%d, forwarded to callee %d'
                   % (tag, n_evil, delta(before, after, 'drop_strict'), e1 + e2))
            drop_call(ng, cid)
    finally:
        close_all(*peers)
        ip('addr', 'del', third_ip + '/24', 'dev', a.peer_if, ns=a.ns, check=False)


def sc_ipv6(x):
    """Scenario 5: IPv4 caller, IPv6-only callee."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'relay-v4v6'
    pa, pb = RtpPeer(a.ns, a.peer_ip), RtpPeer(b.ns, b.peer_ip6)
    try:
        off = ng.offer(cid, 'ft', build_sdp(a.peer_ip, pa.rtp_port), direction=['a', 'b'],
                       replace=['origin'], flags=['trust-address'], address_family='IP6')
        to_b = check_relay_sdp(c, 'offer SDP to IPv6 callee', off['sdp'], b.relay_ip6, 'IP6',
                               a.peer_ip)
        org = parse_sdp(off['sdp']).origin
        c.eq((org['family'], org['addr']), ('IP6', b.relay_ip6), 'offer SDP o= (replace origin)')
        c.check('c=IN IP6 %s' % b.relay_ip6 in off['sdp'].replace('\r\n', '\n').split('\n'),
                'offer SDP has the line c=IN IP6 %s' % b.relay_ip6)
        ans = ng.answer(cid, 'ft', 'tt', build_sdp(b.peer_ip6, pb.rtp_port), replace=['origin'])
        to_a = check_relay_sdp(c, 'answer SDP to IPv4 caller', ans['sdp'], a.relay_ip, 'IP4',
                               b.peer_ip6)
        res = exchange(pa, pb, to_a, to_b, 100, Pattern(cid, 'a>b'), Pattern(cid, 'b>a'))
        check_dir(c, 'IPv4 caller->IPv6 callee', res['tx_x'], res['rtp_y'], res['rtcp_y'],
                  src_str(b.relay_ip6, to_b.port), src_str(b.relay_ip6, to_b.rtcp_port))
        check_dir(c, 'IPv6 callee->IPv4 caller', res['tx_y'], res['rtp_x'], res['rtcp_x'],
                  src_str(a.relay_ip, to_a.port), src_str(a.relay_ip, to_a.rtcp_port))
        q = ng.query(cid)
        row = stream_row(q, 'tt', False)
        if c.check(row is not None, 'query has the callee stream'):
            c.eq(row['endpoint'], (b.peer_ip6, pb.rtp_port), 'callee endpoint (IPv6, learned)')
            c.eq(row['local_ip'], b.relay_ip6, 'callee stream local address')
        tot = totals(q)
        c.eq(tot['RTP']['packets'], res['tx_x']['sent'] + res['tx_y']['sent'],
             'query totals RTP packets')
        drop_call(ng, cid)
    finally:
        close_all(pa, pb)


def sc_hold(x):
    """Scenario 6: re-INVITE keeps ports; hold; unhold."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    cid = 'relay-hold'
    pa, pb = RtpPeer(a.ns, a.peer_ip), RtpPeer(b.ns, b.peer_ip)
    sid_a, sid_b = 4242, 4343

    def sdp_a(ver, hold=False):
        s = build_sdp(a.peer_ip, pa.rtp_port, session_id=sid_a, version=ver)
        return s.replace('c=IN IP4 %s' % a.peer_ip, 'c=IN IP4 0.0.0.0') if hold else s

    def sdp_b(ver, direction='sendrecv'):
        return build_sdp(b.peer_ip, pb.rtp_port, session_id=sid_b, version=ver,
                         direction=direction)

    def ports(q):
        return sorted((r['tag'], r['rtcp'], r['local_ip'], r['local_port'])
                      for r in stream_stats(q))

    def media(label, n=40):
        res = exchange(pa, pb, to_a, to_b, n, Pattern(cid, 'a>b ' + label),
                       Pattern(cid, 'b>a ' + label), rtcp_interval=0.05)
        check_dir(c, label + ' caller->callee', res['tx_x'], res['rtp_y'], res['rtcp_y'],
                  src_str(b.relay_ip, to_b.port), src_str(b.relay_ip, to_b.rtcp_port))
        check_dir(c, label + ' callee->caller', res['tx_y'], res['rtp_x'], res['rtcp_x'],
                  src_str(a.relay_ip, to_a.port), src_str(a.relay_ip, to_a.rtcp_port))

    try:
        kw = dict(direction=['a', 'b'], flags=['trust-address'], replace=['origin'])
        to_b = parse_sdp(ng.offer(cid, 'ft', sdp_a(1), **kw)['sdp']).audio()
        to_a = parse_sdp(ng.answer(cid, 'ft', 'tt', sdp_b(1))['sdp']).audio()
        p0 = ports(ng.query(cid))
        media('initial')

        # re-INVITE, same endpoints
        to_b2 = parse_sdp(ng.offer(cid, 'ft', sdp_a(2), **kw)['sdp']).audio()
        to_a2 = parse_sdp(ng.answer(cid, 'ft', 'tt', sdp_b(2))['sdp']).audio()
        c.eq((to_b2.port, to_b2.rtcp_port), (to_b.port, to_b.rtcp_port),
             're-offer: callee-facing ports kept')
        c.eq((to_a2.port, to_a2.rtcp_port), (to_a.port, to_a.rtcp_port),
             're-answer: caller-facing ports kept')
        c.eq(ports(ng.query(cid)), p0, 're-INVITE: query local ports unchanged')
        media('after re-INVITE')

        # hold: caller re-offers with c=0.0.0.0, callee answers recvonly
        hold_off = ng.offer(cid, 'ft', sdp_a(3, hold=True), **kw)['sdp']
        hb = parse_sdp(hold_off).audio()
        c.eq(hb.addr, '0.0.0.0', 'hold offer to callee: c=')
        c.eq(hb.direction, 'sendonly', 'hold offer to callee: direction')
        c.eq(hb.port, to_b.port, 'hold offer to callee: port kept')
        ha = parse_sdp(ng.answer(cid, 'ft', 'tt', sdp_b(3, 'recvonly'))['sdp']).audio()
        c.eq(ha.port, to_a.port, 'hold answer to caller: port kept')
        c.eq(ha.direction, 'recvonly', 'hold answer to caller: direction')
        before = dp(ng)
        ma = marks(pa)
        txb = pb.send_stream((to_b.addr, to_b.port), 30, 4, Pattern(cid, 'b>a held'),
                             rtcp_dst=(to_b.addr, to_b.rtcp_port), rtcp_interval=0.03)
        time.sleep(0.6)
        after = dp(ng)
        n_sent = txb['sent'] + txb['rtcp_sent']
        c.check(delta(before, after, 'rx_pkts') >= n_sent,
                'hold: relay received the callee\'s %d packets (rx_pkts +%d)'
                % (n_sent, delta(before, after, 'rx_pkts')))
        c.eq((len(rx_since(pa, ma)), len(rx_since(pa, ma, True))), (0, 0),
             'hold: RTP/RTCP delivered to the held caller')
        c.note('hold: callee sent %d RTP + %d RTCP; drop_blackhole +%d, drop_no_dest +%d'
               % (txb['sent'], txb['rtcp_sent'], delta(before, after, 'drop_blackhole'),
                  delta(before, after, 'drop_no_dest')))

        # unhold
        ub = parse_sdp(ng.offer(cid, 'ft', sdp_a(4), **kw)['sdp']).audio()
        c.eq((ub.addr, ub.port, ub.direction), (b.relay_ip, to_b.port, 'sendrecv'),
             'unhold offer to callee: c=, port, direction')
        ua = parse_sdp(ng.answer(cid, 'ft', 'tt', sdp_b(4))['sdp']).audio()
        c.eq((ua.addr, ua.port, ua.direction), (a.relay_ip, to_a.port, 'sendrecv'),
             'unhold answer to caller: c=, port, direction')
        c.eq(ports(ng.query(cid)), p0, 'unhold: query local ports unchanged')
        media('after unhold')
        drop_call(ng, cid)
    finally:
        close_all(pa, pb)


def ping_count(out):
    m = re.search(r'(\d+) (?:packets )?received', out)
    return int(m.group(1)) if m else 0


def sc_ping(x):
    """Scenario 10: ARP, ND and echo answered by sluice itself."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    ip('neigh', 'flush', 'dev', a.peer_if, ns=a.ns, check=False)
    before = dp(ng)
    r = run_in(a.ns, ['ping', '-n', '-c', '3', '-i', '0.2', '-W', '2', a.relay_ip],
               check=False, timeout=20)
    after = dp(ng)
    c.check(r.returncode == 0 and ping_count(r.stdout) == 3,
            'ping %s from netns a: %d/3 replies (rc %d)'
            % (a.relay_ip, ping_count(r.stdout), r.returncode))
    c.check(delta(before, after, 'arp_reply') >= 1 and after['arp_reply'] > 0,
            'ARP request answered (arp_reply %d, +%d)'
            % (after['arp_reply'], delta(before, after, 'arp_reply')))
    c.check(delta(before, after, 'icmp_echo') >= 3,
            'ICMP echo answered (icmp_echo %d, +%d)'
            % (after['icmp_echo'], delta(before, after, 'icmp_echo')))

    ip('-6', 'neigh', 'flush', 'dev', b.peer_if, ns=b.ns, check=False)
    before = dp(ng)
    r = run_in(b.ns, ['ping', '-6', '-n', '-c', '3', '-i', '0.2', '-W', '2', b.relay_ip6],
               check=False, timeout=20)
    after = dp(ng)
    c.check(r.returncode == 0 and ping_count(r.stdout) == 3,
            'ping %s from netns b: %d/3 replies (rc %d)'
            % (b.relay_ip6, ping_count(r.stdout), r.returncode))
    c.check(delta(before, after, 'nd_reply') >= 1 and after['nd_reply'] > 0,
            'neighbour solicitation answered (nd_reply %d, +%d)'
            % (after['nd_reply'], delta(before, after, 'nd_reply')))
    c.check(delta(before, after, 'icmp_echo') >= 3,
            'ICMPv6 echo answered (icmp_echo %d, +%d)'
            % (after['icmp_echo'], delta(before, after, 'icmp_echo')))
    c.note('arp_reply %d, nd_reply %d, icmp_echo %d'
           % (after['arp_reply'], after['nd_reply'], after['icmp_echo']))


def sc_gateway(x):
    """Scenario 11: callee in netns c, reachable only through router r."""
    c, a, h, r, ng = x.c, x.a, x.host, x.r, x.ng
    cid = 'relay-gw'
    pa, pc = RtpPeer(a.ns, a.peer_ip), RtpPeer(h.ns, h.peer_ip)
    try:
        before = dp(ng)
        off = ng.offer(cid, 'ft', build_sdp(a.peer_ip, pa.rtp_port), direction=['a', r.name],
                       replace=['origin'], flags=['trust-address'])
        to_c = check_relay_sdp(c, 'offer SDP to off-link callee', off['sdp'], r.relay_ip, 'IP4',
                               a.peer_ip)
        ans = ng.answer(cid, 'ft', 'tt', build_sdp(h.peer_ip, pc.rtp_port), replace=['origin'])
        to_a = check_relay_sdp(c, 'answer SDP to caller', ans['sdp'], a.relay_ip, 'IP4',
                               h.peer_ip)
        # first one way, the callee silent: the relay cannot take the next-hop
        # MAC from the callee's packets, only from resolving the gateway
        pc.start_capture()
        mc = marks(pc)
        tx1 = pa.send_stream((to_a.addr, to_a.port), 30, 4, Pattern(cid, 'a>c first'),
                             rtcp_dst=(to_a.addr, to_a.rtcp_port), rtcp_interval=0.03)
        wait_count(pc, mc, tx1['sent'], tx1['rtcp_sent'])
        check_dir(c, 'caller->off-link callee, callee silent', tx1,
                  verify_rtp(rx_since(pc, mc), Pattern(cid, 'a>c first'), 32),
                  verify_rtcp(rx_since(pc, mc, True), Pattern(cid, 'a>c first')),
                  src_str(r.relay_ip, to_c.port), src_str(r.relay_ip, to_c.rtcp_port))
        res = exchange(pa, pc, to_a, to_c, 100, Pattern(cid, 'a>c'), Pattern(cid, 'c>a'))
        check_dir(c, 'caller->off-link callee', res['tx_x'], res['rtp_y'], res['rtcp_y'],
                  src_str(r.relay_ip, to_c.port), src_str(r.relay_ip, to_c.rtcp_port))
        check_dir(c, 'off-link callee->caller', res['tx_y'], res['rtp_x'], res['rtcp_x'],
                  src_str(a.relay_ip, to_a.port), src_str(a.relay_ip, to_a.rtcp_port))
        after = dp(ng)
        q = ng.query(cid)
        row = stream_row(q, 'tt', False)
        if c.check(row is not None, 'query has the callee stream'):
            c.eq(row['endpoint'], (h.peer_ip, pc.rtp_port), 'callee endpoint (off-link)')
        c.note('held while resolving +%d, drop_no_neigh +%d, neighbours %d'
               % (delta(before, after, 'held'), delta(before, after, 'drop_no_neigh'),
                  after.get('neighbours', 0)))
        drop_call(ng, cid)
    finally:
        close_all(pa, pc)


# --- phase B: timers -------------------------------------------------------------

def answered_call(ng, x, cid, pa, pb):
    off = ng.offer(cid, 'ft', build_sdp(x.a.peer_ip, pa.rtp_port), direction=['a', 'b'],
                   flags=['trust-address'])
    ans = ng.answer(cid, 'ft', 'tt', build_sdp(x.b.peer_ip, pb.rtp_port))
    return parse_sdp(ans['sdp']).audio(), parse_sdp(off['sdp']).audio()


def window(c, what, took, nominal):
    lo, hi = nominal - EARLY_SLACK, nominal + LATE_SLACK
    return c.check(took is not None and lo <= took <= hi,
                   '%s after %s s (nominal %d, accepted %.1f..%.1f)'
                   % (what, 'never' if took is None else '%.2f' % took, nominal, lo, hi))


def sc_timeouts(x):
    """Scenario 7 (phase B): offer, media, silent timeouts and delete-delay."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    peers = []

    def peer(ns, addr):
        p = RtpPeer(ns, addr)
        peers.append(p)
        return p

    stop, stop_d = threading.Event(), threading.Event()
    threads = []
    try:
        tot0 = stats(ng)['totalstatistics']
        t = {}
        # O: offered, never answered
        t['O'] = time.monotonic()
        ng.offer('tmo-offer', 'ft', build_sdp(a.peer_ip, 20000), direction=['a', 'b'],
                 flags=['trust-address'])
        # S: answered, then put on hold both ways (no party sends): silent timeout
        sa, sb = peer(a.ns, a.peer_ip), peer(b.ns, b.peer_ip)
        answered_call(ng, x, 'tmo-silent', sa, sb)
        ng.offer('tmo-silent', 'ft', build_sdp(a.peer_ip, sa.rtp_port).replace(
            'c=IN IP4 %s' % a.peer_ip, 'c=IN IP4 0.0.0.0'), flags=['trust-address'])
        ng.answer('tmo-silent', 'ft', 'tt', build_sdp(b.peer_ip, sb.rtp_port,
                                                      direction='recvonly'))
        t['S'] = time.monotonic()
        # M: media both ways for 2 x --timeout, then silence: media timeout
        ma, mb = peer(a.ns, a.peer_ip), peer(b.ns, b.peer_ip)
        m_to_a, m_to_b = answered_call(ng, x, 'tmo-media', ma, mb)
        # D: media a->b throughout; deleted 1 s in: forwards during delete-delay
        da, db = peer(a.ns, a.peer_ip), peer(b.ns, b.peer_ip)
        d_to_a, _ = answered_call(ng, x, 'tmo-delete', da, db)
        db.start_capture()
        m_n = int(2 * TIMEOUT / 0.02)
        m_done = {}

        def stream(p, dst, n, pat, key=None):
            r = p.send_stream((dst.addr, dst.port), n, 20, pat,
                              stop=stop if key else stop_d)
            if key:
                m_done[key] = time.monotonic()
            return r

        for args in ((ma, m_to_a, m_n, Pattern('tmo-media', 'a>b'), 'a'),
                     (mb, m_to_b, m_n, Pattern('tmo-media', 'b>a'), 'b'),
                     (da, d_to_a, 1000, Pattern('tmo-delete', 'a>b'))):
            th = threading.Thread(target=stream, args=args, daemon=True)
            th.start()
            threads.append(th)
        t['M'] = time.monotonic()
        time.sleep(1.0)
        dr = ng.delete('tmo-delete')
        t['D'] = time.monotonic()
        c.eq(dr.get('result'), 'ok', 'delete tmo-delete')
        c.check('tmo-delete' in ng.list_calls(), 'deleted call still listed right after delete')

        gone = {}
        m_alive_while_streaming = True
        listed_during_delay = None
        deadline = time.monotonic() + SILENT_TIMEOUT + LATE_SLACK + 4
        names = {'O': 'tmo-offer', 'S': 'tmo-silent', 'M': 'tmo-media', 'D': 'tmo-delete'}
        while time.monotonic() < deadline and len(gone) < len(names):
            now = time.monotonic()
            for k, cid in names.items():
                if k not in gone and call_gone(ng, cid):
                    gone[k] = time.monotonic()
            if 'M' in gone and len(m_done) < 2:
                m_alive_while_streaming = False
            if 'D' not in gone and now - t['D'] > 1.0 and listed_during_delay is None:
                listed_during_delay = 'tmo-delete' in ng.list_calls()
            if 'D' in gone and not stop_d.is_set() and time.monotonic() - gone['D'] > 1.5:
                stop_d.set()   # D's stream has run 1.5 s past the end of the call
            time.sleep(0.2)
        stop.set()
        stop_d.set()
        for th in threads:
            th.join(5)

        window(c, 'never-answered call gone (offer timeout)',
               gone.get('O', 0) - t['O'] if 'O' in gone else None, OFFER_TIMEOUT)
        c.check(m_alive_while_streaming and len(m_done) == 2,
                'streaming call alive for all %.0f s of media (> --timeout %d)'
                % (m_n * 0.02, TIMEOUT))
        m_end = max(m_done.values()) if m_done else None
        window(c, 'streaming call gone after media stopped (timeout)',
               gone['M'] - m_end if 'M' in gone and m_end else None, TIMEOUT)
        window(c, 'call on hold gone (silent timeout)',
               gone['S'] - t['S'] if 'S' in gone else None, SILENT_TIMEOUT)
        c.check(gone.get('S', float('inf')) - t['S'] > TIMEOUT + LATE_SLACK,
                'call on hold outlived --timeout (%d s)' % TIMEOUT)
        window(c, 'deleted call gone (delete-delay)',
               gone['D'] - t['D'] if 'D' in gone else None, DELETE_DELAY)
        c.check(listed_during_delay is True, 'deleted call listed 1 s after delete (%s)'
                % listed_during_delay)
        rx = [(tm, data) for tm, _, data in list(db.rtp_rx)]
        pat = Pattern('tmo-delete', 'a>b')
        fwd_in_delay = sum(1 for tm, d in rx if t['D'] + 0.1 < tm < gone.get('D', 0) - 0.1)
        c.check(fwd_in_delay >= 10, 'deleted call forwarded %d packets during delete-delay'
                % fwd_in_delay)
        if 'D' in gone:
            late = sum(1 for tm, d in rx if tm > gone['D'] + 0.5)
            c.eq(late, 0, 'packets forwarded > 0.5 s after the deleted call was gone')
        v = verify_rtp([(('x', 0), d) for _, d in rx], pat)
        c.check(v['invalid'] == 0, 'delete-delay media intact (%d bad)' % v['invalid'])

        tot1 = stats(ng)['totalstatistics']
        for key, want in (('offertimeoutsessions', 1), ('silenttimeoutsessions', 1),
                          ('timeoutsessions', 1), ('regularterminatedsessions', 1),
                          ('forcedterminatedsessions', 0)):
            c.eq(delta(tot0, tot1, key), want, 'totalstatistics %s increase' % key)
        c.note('gone after: offer %.1f s, silent %.1f s, media-stop %.1f s, delete %.1f s'
               % tuple((gone[k] - ref) if k in gone and ref else -1 for k, ref in
                       (('O', t['O']), ('S', t['S']), ('M', m_end), ('D', t['D']))))
    finally:
        stop.set()
        stop_d.set()
        close_all(*peers)


# --- phase C: cookies, errors, ports, final timeout --------------------------------

def sc_cookie(x):
    """Scenario 8: the same offer datagram twice; a reused cookie."""
    c, a, ng = x.c, x.a, x.ng
    cid = 'cookie-call'
    doc = {'command': 'offer', 'call-id': cid, 'from-tag': 'ft',
           'sdp': build_sdp(a.peer_ip, 20000), 'direction': ['a', 'b'],
           'flags': ['trust-address'], 'replace': ['origin']}
    cookie = ng.new_cookie()
    dgram = cookie.encode() + b' ' + bencode(doc)
    r1 = ng.request_raw(dgram, cookie)
    full1 = ng.last_reply
    r2 = ng.request_raw(dgram, cookie)
    full2 = ng.last_reply
    c.check(r1 is not None and r2 is not None, 'both offers answered')
    if r1 is None or r2 is None:
        return
    c.eq(bdecode(r1).get('result'), 'ok', 'first offer result')
    c.check(full1 == full2, 'replies byte-identical (%d / %d bytes)' % (len(full1), len(full2)))
    st = stats(x.ng)
    c.eq(st['controlstatistics'].get('totaloffercount'), 1, 'totaloffercount')
    c.eq(st['currentstatistics'].get('sessionstotal'), 1, 'sessionstotal')
    c.eq(ng.list_calls(), [cid], 'list')
    # the same cookie on other requests: the old reply, nothing executed
    for other in ({'command': 'offer', 'call-id': cid + '-2', 'from-tag': 'xx',
                   'sdp': build_sdp(a.peer_ip, 20002)},
                  {'command': 'query', 'call-id': cid}):
        r3 = ng.request_raw(cookie.encode() + b' ' + bencode(other), cookie)
        c.check(r3 is not None and ng.last_reply == full1,
                'same cookie, different %s: old reply returned' % other['command'])
    st = stats(x.ng)
    c.eq(st['controlstatistics'].get('totaloffercount'), 1,
         'totaloffercount after cookie reuse')
    c.eq(ng.list_calls(), [cid], 'list after cookie reuse')
    c.note('totalduplicatecount %s' % st['controlstatistics'].get('totalduplicatecount'))
    drop_call(ng, cid)


def expect_error(c, reply, reason, what):
    ok = (reply.get('result') == 'error' and reply.get('error-reason') == reason
          and set(reply) == {'result', 'error-reason'})
    return c.check(ok, '%s -> error %r (got %r)' % (what, reason, reply))


NOT_FOUND = "Call-ID not found or tags didn't match"


def sc_errors(x):
    """Scenario 9 (first part): every error string over the wire."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    sdp_a = build_sdp(a.peer_ip, 20000)
    sdp_b = build_sdp(b.peer_ip, 20000)
    no_m = 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n' % (a.peer_ip, a.peer_ip)
    no_c = 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\n' % a.peer_ip

    def call(command, **kw):
        return ng.call(command, check=False, **kw)

    expect_error(c, call('offer', call_id='e1', from_tag='ft'), 'No SDP body in message',
                 'offer without sdp')
    expect_error(c, call('offer', from_tag='ft', sdp=sdp_a), 'No call-id in message',
                 'offer without call-id')
    expect_error(c, call('offer', call_id='e1', sdp=sdp_a), 'No from-tag in message',
                 'offer without from-tag')
    expect_error(c, call('answer', call_id='e1', from_tag='ft', sdp=sdp_b),
                 'No to-tag in message', 'answer without to-tag')
    expect_error(c, call('answer', call_id='e-nope', from_tag='ft', to_tag='tt', sdp=sdp_b),
                 'Unknown call-id', 'answer for an unknown call')
    expect_error(c, call('query', call_id='e-nope'), 'Unknown call-id', 'query unknown call')
    expect_error(c, call('offer', call_id='e-bad', from_tag='ft', sdp='this is not SDP\r\n'),
                 'Failed to parse SDP', 'offer with garbage SDP')
    expect_error(c, call('offer', call_id='e-nom', from_tag='ft', sdp=no_m),
                 'Incomplete SDP specification', 'offer SDP without m=')
    expect_error(c, call('offer', call_id='e-noc', from_tag='ft', sdp=no_c),
                 'Incomplete SDP specification', 'offer SDP without c=')
    listed = ng.list_calls()
    c.check(not {'e1', 'e-nope', 'e-bad', 'e-nom', 'e-noc'} & set(listed),
            'failed offers leave no call behind (list %s)' % listed)

    # an established call, then commands that do not fit its dialogue
    ng.offer('e-dlg', 'ft', sdp_a, direction=['a', 'b'], flags=['trust-address'])
    ng.answer('e-dlg', 'ft', 'tt', sdp_b)
    expect_error(c, call('answer', call_id='e-dlg', from_tag='stranger', to_tag='tt', sdp=sdp_b),
                 'Invalid dialogue association', 'answer with an unknown from-tag')
    expect_error(c, call('offer', call_id='e-dlg', from_tag='third', sdp=sdp_a),
                 'Invalid dialogue association', 'offer from a third tag')
    r = call('delete', call_id='e-nope')
    c.check(r.get('result') == 'ok' and r.get('warning') == NOT_FOUND,
            'delete unknown call -> ok + warning (got %r)' % r)
    expect_error(c, call('delete', call_id='e-nope', flags=['fatal']),
                 NOT_FOUND, 'delete unknown call with fatal')
    r = call('delete', call_id='e-dlg', from_tag='stranger')
    c.check(r.get('result') == 'ok' and r.get('warning') == NOT_FOUND,
            'delete with a wrong from-tag -> ok + warning (got %r)' % r)
    c.eq(call('query', call_id='e-dlg').get('result'), 'ok',
         'call intact after the rejected commands: query result')
    expect_error(c, call('bogus'), 'Unrecognized command', 'unknown command')
    expect_error(c, ng.request({'call-id': 'e-dlg'}), 'Dictionary contains no key "command"',
                 'dictionary without command')
    with x.relay.ng_client('json') as js:
        rj = js.call('bogus', check=False)
        c.check(reply_body(js)[:1] == b'{', 'JSON request gets a JSON error reply')
        expect_error(c, rj, 'Unrecognized command', 'unknown command (JSON)')

    cookie = ng.new_cookie()
    raw = ng.raw(cookie.encode() + b' hello there', timeout=1.0)
    body = raw.split(b' ', 1)[1] if raw and raw.startswith(cookie.encode() + b' ') else None
    try:
        rep = bdecode(body) if body else {}
    except ValueError:
        rep = {'undecodable': repr(body)}
    expect_error(c, rep, 'Invalid NG data format', 'document neither bencode nor JSON')
    for data in (b'd7:command4:pinge', b' d7:command4:pinge'):
        r = ng.raw(data, timeout=1.0)
        c.check(r is None, 'datagram without cookie %r: no reply (got %r)' % (data[:12], r))
    c.check(ng.ping(), 'ng still answers ping')
    drop_call(ng, 'e-dlg')


def sc_ports(x):
    """Scenario 9 (second part): Ran out of ports with a 12-port range."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    for cid in ng.list_calls():
        drop_call(ng, cid)
    time.sleep(0.3)                          # ports come back once the worker applied it
    c.eq(ng.list_calls(), [], 'no calls before the port test')
    pairs = (PORT_MAX - PORT_MIN + 1) // 2
    rej0 = stats(ng)['totalstatistics'].get('rejectedsessions', 0)
    ok_calls, err = [], None
    pa, pb = RtpPeer(a.ns, a.peer_ip), RtpPeer(b.ns, b.peer_ip)
    first = None
    try:
        for i in range(pairs + 5):           # bounded
            cid = 'ports-%d' % i
            r = ng.offer(cid, 'ft', build_sdp(a.peer_ip, pa.rtp_port if i == 0 else 20000 + 2 * i),
                         direction=['a', 'b'], flags=['trust-address'], check=False)
            if r.get('result') != 'ok':
                err = (cid, r)
                break
            ok_calls.append(cid)
            if i == 0:
                first = parse_sdp(r['sdp']).audio()
                c.check(PORT_MIN <= first.port <= PORT_MAX - 1,
                        'port %d inside --port-min/--port-max' % first.port)
        c.eq(len(ok_calls), pairs, 'offers that got ports (%d pairs per address)' % pairs)
        c.check(err is not None and err[1].get('error-reason') == 'Ran out of ports'
                and err[1].get('result') == 'error',
                'next offer -> error Ran out of ports (got %r)' % (err,))
        listed = ng.list_calls()
        if err:
            c.check(err[0] not in listed, 'the failed call is not listed')
        c.eq(sorted(listed), sorted(ok_calls), 'list = the calls that got ports')
        rej1 = stats(ng)['totalstatistics'].get('rejectedsessions', 0)
        c.note('%d calls fit, rejectedsessions +%d' % (len(ok_calls), rej1 - rej0))
        # the first call still works
        if first is not None:
            ans = ng.answer('ports-0', 'ft', 'tt', build_sdp(b.peer_ip, pb.rtp_port))
            to_a = parse_sdp(ans['sdp']).audio()
            res = exchange(pa, pb, to_a, first, 30, Pattern('ports-0', 'a>b'),
                           Pattern('ports-0', 'b>a'), rtcp_interval=0.03)
            check_dir(c, 'earlier call caller->callee', res['tx_x'], res['rtp_y'], res['rtcp_y'],
                      src_str(b.relay_ip, first.port), src_str(b.relay_ip, first.rtcp_port))
            check_dir(c, 'earlier call callee->caller', res['tx_y'], res['rtp_x'], res['rtcp_x'],
                      src_str(a.relay_ip, to_a.port), src_str(a.relay_ip, to_a.rtcp_port))
        # freeing one call makes room again
        if len(ok_calls) > 1:
            drop_call(ng, ok_calls[-1])
            time.sleep(0.3)
            r = ng.offer('ports-again', 'ft', build_sdp(a.peer_ip, 20100), direction=['a', 'b'],
                         flags=['trust-address'], check=False)
            c.eq(r.get('result'), 'ok', 'offer after deleting a call gets ports again')
    finally:
        close_all(pa, pb)
        for cid in ng.list_calls():
            drop_call(ng, cid)


def sc_final(x):
    """Scenario 7 (phase C): --final-timeout ends a call that still streams."""
    c, a, b, ng = x.c, x.a, x.b, x.ng
    time.sleep(0.3)
    tot0 = stats(ng)['totalstatistics']
    pa, pb = RtpPeer(a.ns, a.peer_ip), RtpPeer(b.ns, b.peer_ip)
    stop = threading.Event()
    th = None
    try:
        t0 = time.monotonic()
        to_a, to_b = answered_call(ng, x, 'final', pa, pb)
        pb.start_capture()
        th = threading.Thread(target=pa.send_stream,
                              args=((to_a.addr, to_a.port), 1000, 20, Pattern('final', 'a>b')),
                              kwargs={'stop': stop}, daemon=True)
        th.start()
        gone = None
        deadline = t0 + FINAL_TIMEOUT + LATE_SLACK + 3
        while time.monotonic() < deadline:
            if call_gone(ng, 'final'):
                gone = time.monotonic()
                break
            time.sleep(0.2)
        if gone is not None:
            time.sleep(1.0)      # the stream keeps going past the end of the call
        stop.set()
        th.join(5)
        window(c, 'streaming call ended by final timeout', gone - t0 if gone else None,
               FINAL_TIMEOUT)
        rx = [tm for tm, _, _ in list(pb.rtp_rx)]
        if gone is not None:
            c.check(any(gone - 1.0 <= tm <= gone for tm in rx),
                    'media was still flowing in the last second of the call')
            late = sum(1 for tm in rx if tm > gone + 0.5)
            c.eq(late, 0, 'packets forwarded > 0.5 s after the final timeout')
        tot1 = stats(ng)['totalstatistics']
        c.eq(delta(tot0, tot1, 'finaltimeoutsessions'), 1, 'finaltimeoutsessions increase')
        c.eq(delta(tot0, tot1, 'timeoutsessions'), 0, 'timeoutsessions increase')
        c.note('final timeout after %.1f s, %d packets forwarded'
               % ((gone - t0) if gone else -1, len(rx)))
    finally:
        stop.set()
        close_all(pa, pb)


# --- driver ---------------------------------------------------------------------

def run_phase(c, topo, eps, ifaces, extra, args, scenarios, label):
    """Start one sluice, run [(number, fn, args)], stop it."""
    todo = [s for s in scenarios
            if not args.only or s[0] in args.only or s[0].rstrip('fp') in args.only]
    if not todo:
        return
    print('%s: sluice %s' % (label, ' '.join(extra) or '(default timers)'), flush=True)
    c.scenario = todo[0][0]
    try:
        relay = Sluice(args.sluice, topo, ifaces, extra_args=extra)
    except RelayError as e:
        for num, _, _ in todo:
            c.scenario = num
            c.check(False, 'sluice did not start: %s' % e)
        return
    x = Ctx(c, topo, relay, eps, args)
    try:
        for num, fn, fargs in todo:
            c.scenario = num
            t0 = time.monotonic()
            n0 = len(c.results)
            if not relay.running:
                c.check(False, 'sluice not running (exit %s): scenario not run'
                        % relay.proc.poll())
                continue
            try:
                fn(x, *fargs)
            except Exception as e:  # a scenario's crash must not hide the others
                c.check(False, 'scenario raised %s: %s' % (type(e).__name__, e))
                if args.verbose:
                    traceback.print_exc()
            c.check(relay.running, 'sluice still running after the scenario')
            mine = [ok for ok, _, _ in c.results[n0:]]
            print('  [%s] %-40s %s (%d/%d checks, %.1f s)'
                  % (num, SCENARIOS.get(num, num), 'PASS' if all(mine) else 'FAIL',
                     sum(mine), len(mine), time.monotonic() - t0), flush=True)
    finally:
        x.ng.close()
        c.scenario = todo[-1][0]
        rc = relay.stop()
        c.check(rc == 0, 'sluice exited %s on SIGTERM' % rc)
        if [f for f in c.failed if f[0] in [t[0] for t in todo]]:
            print('--- sluice log tail ---\n%s' % relay.log_tail(25))


def run(args):
    if os.geteuid() != 0:
        print('SKIP: needs root (network namespaces)')
        return SKIP
    if not os.access(args.sluice, os.X_OK):
        print('FAIL: sluice binary %s not found (build it or pass --sluice)' % args.sluice)
        return 1
    args.only = set(s.strip() for s in args.only.split(',') if s.strip())
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24',
                              '2001:db8:2::1/64', '2001:db8:2::10/64')
        # interface c: router netns r (198.18.3.2) in front of host netns c
        r = topo.add_router('c', '198.18.3.1/24', '198.18.3.2/24')
        h = topo.add_host('h', r, '198.19.4.1/24', '198.19.4.10/24')
        eps = {'a': a, 'b': b, 'r': r, 'c': h}

        run_phase(c, topo, eps, [a, b, r], ['--gateway=c/%s' % r.peer_ip], args, [
            ('10', sc_ping, ()),
            ('1', sc_basic, ('bencode',)),
            ('2', sc_basic, ('json',)),
            ('3', sc_nat, ()),
            ('4', sc_strict, ()),
            ('5', sc_ipv6, ()),
            ('6', sc_hold, ()),
            ('11', sc_gateway, ()),
        ], 'phase A')
        run_phase(c, topo, eps, [a, b], [
            '--timeout=%d' % TIMEOUT, '--silent-timeout=%d' % SILENT_TIMEOUT,
            '--offer-timeout=%d' % OFFER_TIMEOUT, '--delete-delay=%d' % DELETE_DELAY,
        ], args, [('7', sc_timeouts, ())], 'phase B')
        run_phase(c, topo, eps, [a, b], [
            '--port-min=%d' % PORT_MIN, '--port-max=%d' % PORT_MAX,
            '--final-timeout=%d' % FINAL_TIMEOUT,
        ], args, [
            ('8', sc_cookie, ()),
            ('9', sc_errors, ()),
            ('9p', sc_ports, ()),
            ('7f', sc_final, ()),
        ], 'phase C')
        if args.keep:
            print('work dir kept: %s' % topo.workdir)

    for scen in sorted(c.notes, key=lambda s: (len(s), s)):
        for n in c.notes[scen]:
            print('  [%s] %s' % (scen, n))
    total = time.monotonic() - t_begin
    if c.failed:
        print('FAIL: %d of %d checks failed (%.1f s)' % (len(c.failed), len(c.results), total))
        for s, w in c.failed:
            print('  FAIL [%s] %s' % (s, w))
        return 1
    print('PASS: %d checks (%.1f s)' % (len(c.results), total))
    return 0


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
