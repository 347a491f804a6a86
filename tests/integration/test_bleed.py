#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""RTP Bleed / Inject: a third address cannot take a call's media.

    netns a  198.18.1.10 (caller), 198.18.1.66 (attacker)  --veth-- sluice a/198.18.1.1
    netns b  198.18.2.10 (callee), 198.18.2.66 (attacker)  --veth-- sluice b/198.18.2.1

The attackers sit on the parties' own LANs, so a relay that latched onto
them could deliver media to them.  Each sprays every port of the relay
range on its LAN's relay address with valid RTP (sltest.spray: sendmmsg, as
fast as one process can, 4 source ports) and records every datagram the
relay sends back.

  1  default flags (endpoint-learning heuristic), then strict-source:
     a. before the caller speaks, inside the 3 s learning window: the callee
        streams; the attacker on a's LAN sprays.  The callee's media keeps
        reaching the caller's SDP endpoint, the attacker receives nothing.
     b. the caller still silent, learning window over: sprayed again, same.
     c. the caller speaks: its stream is confirmed (exact SDP endpoint).
     d. both attackers spray while both parties stream: neither receives
        anything, both parties' media arrive complete, `query` endpoints are
        the SDP endpoints.  Without strict-source the sprayed packets that
        hit the call's ports are forwarded (RTP Inject, rtpengine's
        default) and printed; with strict-source none is, drop_strict counts.
  2  moves: the caller moves to 198.18.1.20.  Without signalling its new
     source does not move a confirmed endpoint (heuristic); with
     media-handover it does; with a re-offer/answer naming the new address
     (media-handover set) the media follows, the old address gets nothing.
  3  port allocation is unpredictable: 200 offers in a row; the relay ports
     they get are checked against the allocator's range without assuming
     values: few consecutive allocations are adjacent pairs (|step| = 2),
     no step size dominates, steps go up about as often as down.
  SRTP: only packets that authenticate can latch -- test_srtp.py scenario 4
  (forged SRTP and plain RTP from a third address before the first genuine
  packet) covers it; not repeated here.

Usage (root):  python3 tests/integration/test_bleed.py --sluice build/sluice [--only 1,2,3]
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import json
import os
import sys
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import Checks, common_args, dp_delta, dp_stats, preflight, wait_until  # noqa: E402
from sltest.media import Duplex  # noqa: E402
from sltest.netns import ip  # noqa: E402
from sltest.ng import stream_stats  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import RtpPeer  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

PORT_MIN, PORT_MAX = 30000, 33999
EVIL_A, EVIL_B, MOVED_A = '198.18.1.66', '198.18.2.66', '198.18.1.20'
SPRAY_S = 1.5
ALLOCS = 200


def parse_args(argv):
    ap = common_args('RTP Bleed / Inject: hijack attempts from a third address')
    ap.add_argument('--only', default='1,2,3')
    return ap.parse_args(argv)


class Attack:
    """The two attackers, run as processes in the parties' netns."""

    def __init__(self, topo, a, b):
        self.topo, self.a, self.b = topo, a, b
        self.env = dict(os.environ, PYTHONPATH=os.path.join(REPO_ROOT, 'tests', 'lib'),
                        PYTHONDONTWRITEBYTECODE='1')
        self.n = 0

    def start(self, sides=('a', 'b'), seconds=SPRAY_S):
        procs = []
        for side in sides:
            ep, src = (self.a, EVIL_A) if side == 'a' else (self.b, EVIL_B)
            self.n += 1
            procs.append((side, self.topo.spawn(
                'spray-%s-%d' % (side, self.n),
                [sys.executable, '-m', 'sltest.spray', '--bind', src, '--dst', ep.relay_ip,
                 '--ports', '%d-%d' % (PORT_MIN, PORT_MAX), '--seconds', str(seconds),
                 '--listen', '1.0'], ns=ep.ns, env=self.env)))
        return procs

    @staticmethod
    def wait(procs):
        out = {}
        for side, p in procs:
            if p.wait(SPRAY_S + 20) is None:
                p.stop()
            try:
                out[side] = json.loads(p.stdout_text().strip().splitlines()[-1])
            except (ValueError, IndexError):
                out[side] = {'error': p.tail(5), 'sent': 0, 'received': -1}
        return out


def endpoints(ng, cid):
    q = ng.query(cid, check=False)
    if q.get('result') != 'ok':
        return None
    return {'%s/%s' % (s['tag'], 'rtcp' if s['rtcp'] else 'rtp'): tuple(s['endpoint'] or ())
            for s in stream_stats(q)}


def sprayed(peer):
    """Packets of the attackers (sltest.spray payloads) a party received."""
    return sum(1 for _t, _src, data in list(peer.rtp_rx) if data[12:16] == b'SLX1')


def confirmed(ng, cid, tag):
    q = ng.query(cid, check=False)
    for m in ((q.get('tags') or {}).get(tag) or {}).get('medias', []):
        for s in m.get('streams', []):
            if 'RTCP' not in (s.get('flags') or []):
                return 'confirmed' in (s.get('flags') or [])
    return False


def offer_answer(ng, cid, a_ip, a_port, b_ip, b_port, flags):
    off = ng.offer(cid, 'ft', build_sdp(a_ip, a_port), flags=['trust-address'] + flags,
                   direction=['a', 'b'])
    ans = ng.answer(cid, 'ft', 'tt', build_sdp(b_ip, b_port), flags=['trust-address'] + flags)
    mb, ma = parse_sdp(off['sdp']).audio(), parse_sdp(ans['sdp']).audio()
    return (mb.addr, mb.port), (ma.addr, ma.port), time.monotonic()


def report(res):
    return ', '.join('%s: %s sent (%s pps, %s rounds of the range), %s received%s'
                     % (side, r.get('sent'), r.get('pps'), r.get('rounds'), r.get('received'),
                        ' from %s' % r['srcs'] if r.get('srcs') else '')
                     for side, r in sorted(res.items()))


# --- 1 -------------------------------------------------------------------------------

def sc_spray(c, x, strict):
    ng, a, b = x.ng, x.a, x.b
    tag = '[%s] ' % ('strict-source' if strict else 'default')
    cid = 'bleed-strict' if strict else 'bleed'
    pa, pb = RtpPeer(a.ns, a.peer_ip, 20000), RtpPeer(b.ns, b.peer_ip, 20000)
    try:
        to_b, to_a, t_sig = offer_answer(ng, cid, a.peer_ip, 20000, b.peer_ip, 20000,
                                         ['strict-source'] if strict else [])
        eps_sdp = {'ft/rtp': (a.peer_ip, 20000), 'ft/rtcp': (a.peer_ip, 20001),
                   'tt/rtp': (b.peer_ip, 20000), 'tt/rtcp': (b.peer_ip, 20001)}
        for p in (pa, pb):
            p.start_capture(max_packets=400000, max_seconds=120)
        st0 = dp_stats(ng)
        # a. callee streams, caller silent, attacker on a's LAN sprays (in the window)
        callee = Duplex(pa, pb, to_a, to_b, cid + '-1', dirs=('b>a',), capture=False).start()
        t1 = time.monotonic()
        res_a = Attack.wait(x.attack.start(('a',)))
        in_window = t1 - t_sig < 3.0
        c.check(res_a['a'].get('sent', 0) > 0 and res_a['a'].get('received') == 0,
                tag + 'a. before the caller speaks (%s the learning window): attacker got '
                'nothing (%s)' % ('in' if in_window else 'NOT in', report(res_a)))
        c.check(callee.arrivals_between('b>a', t1, time.monotonic()) > 0,
                tag + 'a. the callee\'s media kept reaching the caller\'s SDP endpoint')
        c.eq(endpoints(ng, cid), eps_sdp, tag + 'a. endpoints after the spray')
        # b. learning window over, caller still silent
        wait_until(lambda: time.monotonic() - t_sig > 3.5, 5.0)
        t2 = time.monotonic()
        res_b = Attack.wait(x.attack.start(('a',)))
        c.check(res_b['a'].get('sent', 0) > 0 and res_b['a'].get('received') == 0,
                tag + 'b. window over, caller silent: attacker got nothing (%s)'
                % report(res_b))
        c.check(callee.arrivals_between('b>a', t2, time.monotonic()) > 0,
                tag + 'b. the callee\'s media still reaches the caller')
        c.eq(endpoints(ng, cid), eps_sdp, tag + 'b. endpoints after the second spray')
        callee.stop(settle=0)
        # c. the caller speaks: confirmed at once
        both = Duplex(pa, pb, to_a, to_b, cid + '-2', capture=False).start()
        c.check(wait_until(lambda: confirmed(ng, cid, 'ft') and confirmed(ng, cid, 'tt'), 3.0),
                tag + 'c. both parties\' streams confirmed once they speak')
        # d. both attackers, both parties streaming
        m0 = {d: both.sent_count(d) for d in ('a>b', 'b>a')}
        t3 = time.monotonic()
        res_d = Attack.wait(x.attack.start(('a', 'b')))
        t4 = time.monotonic()
        time.sleep(0.5)
        both.stop(settle=0.3)
        st1 = dp_stats(ng)
        c.check(all(r.get('sent', 0) > 0 and r.get('received') == 0 for r in res_d.values()),
                tag + 'd. confirmed call: neither attacker got anything (%s)' % report(res_d))
        w = both.window(t3, t4)
        for d in ('a>b', 'b>a'):
            # the genuine media still arrives (a saturated af_packet ring may drop a few)
            c.check(w[d]['sent'] > 0 and w[d]['received'] >= 0.9 * w[d]['sent'],
                    tag + 'd. %s media reaches the genuine party while sprayed (%d/%d)'
                    % (d, w[d]['received'], w[d]['sent']))
        c.eq(endpoints(ng, cid), eps_sdp, tag + 'd. endpoints after the spray')
        foreign_a, foreign_b = sprayed(pa), sprayed(pb)
        # the sprayed packets that hit this call's ports: forwarded (inject) unless strict
        hit = {'a': 0, 'b': 0}
        for r in (res_a, res_b):
            hit['a'] += r['a'].get('rounds', 0) * 2
        for side in ('a', 'b'):
            hit[side] += res_d[side].get('rounds', 0) * 2
        d = dp_delta(st0, st1)
        if strict:
            c.check(foreign_a == 0 and foreign_b == 0,
                    tag + 'd. no sprayed packet reached a party (%d, %d)'
                    % (foreign_a, foreign_b))
            c.check(d.get('drop_strict', 0) > 0,
                    tag + 'drop_strict +%d for ~%d sprayed packets on the call\'s ports'
                    % (d.get('drop_strict', 0), hit['a'] + hit['b']))
        print('%s%s; sprayed packets on the call\'s ports ~%d, forwarded to the parties '
              '(caller %d, callee %d), drop_strict +%d, drop_no_flow +%d'
              % (tag, report(res_d), hit['a'] + hit['b'], foreign_a, foreign_b,
                 d.get('drop_strict', 0), d.get('drop_no_flow', 0)))
        ng.delete(cid, check=False)
    finally:
        for p in (pa, pb):
            p.stop_capture()
            p.close()


# --- 2 -------------------------------------------------------------------------------

def sc_moves(c, x):
    ng, a, b = x.ng, x.a, x.b
    ip('addr', 'add', MOVED_A + '/24', 'dev', a.peer_if, ns=a.ns, check=False)
    peers = []
    try:
        for handover in (False, True):
            tag = '[%s] ' % ('media-handover' if handover else 'default')
            cid = 'move-%d' % handover
            flags = ['media-handover'] if handover else []
            port = 20200 + 100 * handover
            pa, pb = RtpPeer(a.ns, a.peer_ip, port), RtpPeer(b.ns, b.peer_ip, port)
            moved = RtpPeer(a.ns, MOVED_A, port)
            peers += [pa, pb, moved]
            to_b, to_a, _ = offer_answer(ng, cid, a.peer_ip, port, b.peer_ip, port, flags)
            for p in (pa, pb, moved):
                p.start_capture(max_packets=100000, max_seconds=60)
            s1 = Duplex(pa, pb, to_a, to_b, cid + '-1', max_packets=25, capture=False).start()
            wait_until(lambda: confirmed(ng, cid, 'ft'), 3.0)
            s1.stop(settle=0.2)
            # the caller shows up at another address without signalling
            s2 = Duplex(moved, pb, to_a, to_b, cid + '-2', max_packets=40,
                        capture=False).start()
            time.sleep(40 * 0.02 + 0.3)
            s2.stop(settle=0.2)
            got_moved = s2.received('b>a')[0]
            old = Duplex(pa, pb, to_a, to_b, cid + '-2', capture=False).received('b>a')[0]
            c.check(len(s2.received('a>b')[0]) >= 35,
                    tag + 'unsignalled move: the new source\'s media is forwarded (%d/40)'
                    % len(s2.received('a>b')[0]))
            if handover:
                c.check(len(got_moved) >= 30, tag + 'unsignalled move followed: the callee\'s '
                        'media reaches the new address (%d/40)' % len(got_moved))
            else:
                c.check(len(got_moved) == 0 and len(old) >= 35,
                        tag + 'unsignalled move ignored: the callee\'s media stays at the '
                        'confirmed endpoint (new address %d, old %d of 40)'
                        % (len(got_moved), len(old)))
            ng.delete(cid, check=False)
            for p in (pa, pb, moved):
                p.stop_capture()

        # signalled move with media-handover: re-offer + answer name the new address
        cid = 'move-sig'
        pa, pb = RtpPeer(a.ns, a.peer_ip, 20400), RtpPeer(b.ns, b.peer_ip, 20400)
        moved = RtpPeer(a.ns, MOVED_A, 20400)
        peers += [pa, pb, moved]
        to_b, to_a, _ = offer_answer(ng, cid, a.peer_ip, 20400, b.peer_ip, 20400,
                                     ['media-handover'])
        for p in (pa, pb, moved):
            p.start_capture(max_packets=100000, max_seconds=60)
        s1 = Duplex(pa, pb, to_a, to_b, cid + '-1', max_packets=25, capture=False).start()
        wait_until(lambda: confirmed(ng, cid, 'ft'), 3.0)
        s1.stop(settle=0.2)
        to_b2, to_a2, _ = offer_answer(ng, cid, MOVED_A, 20400, b.peer_ip, 20400,
                                       ['media-handover'])
        s2 = Duplex(moved, pb, to_a2, to_b2, cid + '-2', max_packets=50, capture=False).start()
        time.sleep(50 * 0.02 + 0.4)
        s2.stop(settle=0.2)
        got = {d: len(s2.received(d)[0]) for d in ('a>b', 'b>a')}
        old = len(Duplex(pa, pb, to_a, to_b, cid + '-2', capture=False).received('b>a')[0])
        c.check(got['a>b'] >= 45 and got['b>a'] >= 45 and old == 0,
                '[signalled move, media-handover] media follows the re-offer: a>b %d/50, '
                'b>a %d/50 at %s, %d at the old address' % (got['a>b'], got['b>a'], MOVED_A,
                                                           old))
        eps = endpoints(ng, cid)
        c.check(eps and eps.get('ft/rtp') == (MOVED_A, 20400),
                '[signalled move] caller endpoint is the new address (%s)'
                % ((eps or {}).get('ft/rtp'),))
        ng.delete(cid, check=False)
    finally:
        for p in peers:
            p.stop_capture()
            p.close()
        ip('addr', 'del', MOVED_A + '/24', 'dev', a.peer_if, ns=a.ns, check=False)


# --- 3 -------------------------------------------------------------------------------

def sc_ports(c, x):
    ng, a = x.ng, x.a
    ports = []
    for i in range(ALLOCS):
        r = ng.offer('alloc-%03d' % i, 'ft', build_sdp(a.peer_ip, 22000 + 2 * i),
                     flags=['trust-address'], direction=['a', 'b'])
        ports.append(parse_sdp(r['sdp']).audio().port)
    for i in range(ALLOCS):
        ng.delete('alloc-%03d' % i, check=False)
    steps = [q - p for p, q in zip(ports, ports[1:])]
    adjacent = sum(1 for s in steps if abs(s) == 2)
    common, n_common = Counter(steps).most_common(1)[0]
    up = sum(1 for s in steps if s > 0)
    pairs = (PORT_MAX - PORT_MIN + 1) // 2
    c.check(len(set(ports)) == ALLOCS and all(PORT_MIN <= p <= PORT_MAX for p in ports),
            '%d distinct relay ports inside %d-%d' % (len(set(ports)), PORT_MIN, PORT_MAX))
    # a sequential allocator scores ~199 adjacent steps; a uniform one ~2*199/pairs
    c.check(adjacent <= max(5, 0.05 * len(steps)),
            'consecutive calls rarely get adjacent pairs (%d of %d steps; random: ~%.1f)'
            % (adjacent, len(steps), 2.0 * len(steps) / pairs))
    c.check(n_common <= max(5, 0.05 * len(steps)),
            'no step size dominates (most common step %+d, %d times)' % (common, n_common))
    c.check(0.3 <= up / len(steps) <= 0.7, 'steps go up about as often as down (%d of %d up)'
            % (up, len(steps)))
    print('ports: %d allocations over %d pairs: adjacent steps %d, most common step %+d x%d, '
          'up %d/%d; first ten %s' % (ALLOCS, pairs, adjacent, common, n_common, up,
                                      len(steps), ports[:10]))


class Ctx:
    pass


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    only = set(s.strip() for s in args.only.split(','))
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        ip('addr', 'add', EVIL_A + '/24', 'dev', a.peer_if, ns=a.ns)
        ip('addr', 'add', EVIL_B + '/24', 'dev', b.peer_if, ns=b.ns)
        try:
            relay = Sluice(args.sluice, topo, [a, b],
                           extra_args=['--port-min=%d' % PORT_MIN, '--port-max=%d' % PORT_MAX,
                                       '--delete-delay=0'])
        except RelayError as e:
            print('FAIL: sluice did not start: %s' % e)
            return 1
        x = Ctx()
        x.a, x.b, x.topo = a, b, topo
        x.ng = relay.ng_client()
        x.attack = Attack(topo, a, b)
        if '1' in only:
            sc_spray(c, x, strict=False)
            sc_spray(c, x, strict=True)
        if '2' in only:
            sc_moves(c, x)
        if '3' in only:
            sc_ports(c, x)
        c.check(x.ng.ping(), 'ng ping at the end')
        c.check(relay.stop() == 0, 'sluice exited 0 on SIGTERM')
    return c.finish('test_bleed', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
