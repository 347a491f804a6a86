#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Hostile media at high rate: sluice stays up, leaks nothing, counts every
drop and never lets it move a call.

    netns a 198.18.1.10 (+ 2001:db8:1::10) --veth-- sluice port 0  a/198.18.1.1, 2001:db8:1::1
    netns b 198.18.2.10                    --veth-- sluice port 1  b/198.18.2.1

Two calls: "victim" streams RTP both ways (20 ms) all along and is
confirmed (its parties sent from their SDP endpoints) before the attack;
"idle" is answered but sends nothing (its sockets are still learning).

About 3,000 distinct malformed or hostile frames (seeded) are built and an
AF_PACKET sender (sltest.rawblast, sendmmsg) replays them round-robin on a's
veth as fast as it can for 5 s (<= 1 M frames): truncated IPv4 headers, IP
total lengths beyond the frame or below the header, bad header checksums,
IPv4 and IPv6 fragments, UDP lengths beyond the payload or below 8,
zero-length UDP, RTP with version 0/1/3, CSRC count 15 in short packets,
extension headers claiming 256 KB, padding longer than the packet, RTCP
garbage (SR/RR/SDES/BYE/APP types, random lengths) on RTP and RTCP ports,
STUN-looking (magic cookie, broken attributes) and DTLS-looking garbage,
maximum-size frames, random payloads, TCP/GRE/ICMP, unknown ethertypes,
runts, IPv6 UDP with bad lengths, and UDP to other addresses.  They are
aimed at the victim's and the idle call's relay ports (from third
addresses; the victim's also from its own address on other ports), at
unallocated relay ports, at ports outside the relay range and at the relay
addresses generally.

Checks: sluice keeps running and answers ng; every frame sluice received is
accounted for by exactly one outcome counter (rx_pkts = forwarded + punted +
replies + the sum of the drop_* counters, give or take frames answered twice
as ARP/ND); the drop counters of the classes sent rose; the packet-buffer
pool is back where it was (statistics mbufs_in_use: no mbuf leaked); the
victim's media kept reaching the genuine peers during the attack and all of
it after; `query` endpoints of both calls are unchanged (the idle call's are
still its SDP endpoints: nothing latched onto a third address); sluice exits
0 on SIGTERM.  Rates, the drops by reason and the victim's loss during the
attack are printed.

Usage (root):  python3 tests/integration/test_hostile.py --sluice build/sluice [--seconds 5]
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import json
import os
import random
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import (Checks, call_pair, common_args, dp_delta, dp_stats,  # noqa: E402
                          preflight, wait_until)
from sltest.media import Duplex  # noqa: E402
from sltest.ng import stream_stats  # noqa: E402
from sltest.rawblast import write_frames  # noqa: E402
from sltest.rawpkt import (ETH_P_IP, ETH_P_IPV6, IPPROTO_FRAGMENT, IPPROTO_UDP,  # noqa: E402
                           eth, ipv4, ipv6, ipv6_frag, link_mac, neigh_mac, udp)
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import RtpPeer  # noqa: E402
from sltest.topo import Topology  # noqa: E402

PORT_MIN, PORT_MAX = 30000, 30999
MAX_FRAMES = 1_000_000
SEED = 20251126
THIRD = ['198.18.1.%d' % i for i in range(60, 80)]
FAR = ['198.19.%d.%d' % (i, i + 7) for i in range(1, 20)]
MTU_PAYLOAD = 1500 - 20 - 8
#: outcome counters: each received frame ends in exactly one of them (the
#: ARP/ND requests for our addresses end in two: a punted copy and a reply)
OUTCOMES = ('fwd_pkts', 'punt', 'arp_reply', 'nd_reply', 'icmp_echo', 'handoff_out')


def parse_args(argv):
    ap = common_args('hostile media at high rate against a live call')
    ap.add_argument('--seconds', type=float, default=5.0, help='attack duration (<= 30)')
    a = ap.parse_args(argv)
    a.seconds = max(1.0, min(a.seconds, 30.0))
    return a


def rtp_hdr(rnd, b0=0x80, pt=0, ext=b'', csrc=b''):
    return struct.pack('!BBHII', b0, pt, rnd.randrange(65536), rnd.randrange(1 << 32),
                       rnd.randrange(1 << 32)) + csrc + ext


def frames(rnd, rmac, smac, relay_ip, relay_ip6, src6, victim_ip, victim_ports, idle_ports):
    """[(class, frame)]: the attack mix."""
    out = []
    allocated = victim_ports + idle_ports
    unalloc = [p for p in range(PORT_MIN, PORT_MAX + 1) if p not in allocated]

    def third():
        return rnd.choice(THIRD + FAR)

    def dst_port(victim_src=False):
        r = rnd.random()
        if r < 0.3:
            return rnd.choice(victim_ports)
        if r < 0.5 and not victim_src:
            return rnd.choice(idle_ports)
        if r < 0.85:
            return rnd.choice(unalloc)
        return rnd.choice([0, 9, 53, 5060, 2223, 29999, 40000, 65535])

    def v4(payload, src=None, dport=None, **kw):
        src = src or third()
        vsrc = src == victim_ip
        dport = dport if dport is not None else dst_port(vsrc)
        if vsrc and dport in idle_ports:
            dport = rnd.choice(victim_ports)
        return eth(rmac, smac, ETH_P_IP, ipv4(src, relay_ip, udp(rnd.randrange(1024, 65536),
                                                                 dport, payload), **kw))

    def src_any():
        # the victim's own address from other ports: a confirmed endpoint must not move
        return victim_ip if rnd.random() < 0.2 else third()

    def rand(n):
        return bytes(rnd.randrange(256) for _ in range(n))

    for _ in range(150):
        f = v4(rand(rnd.randrange(0, 200)))
        out.append(('ip-truncated', f[:rnd.randrange(14, 42)]))
        out.append(('ip-total-length', v4(rand(40), tot_len=rnd.choice(
            [rnd.randrange(0, 20), rnd.randrange(100, 65536)]))))
        out.append(('ip-checksum', v4(rand(40), csum=rnd.randrange(65536))))
        out.append(('ip-fragment', v4(rand(64), flags_frag=rnd.choice([0x2000, 0x0001, 0x2005]),
                                      ident=rnd.randrange(65536))))
        seg = udp(4000, rnd.choice(victim_ports + unalloc[:50]), rand(80))
        out.append(('ip6-fragment', eth(rmac, smac, ETH_P_IPV6, ipv6(
            src6, relay_ip6, ipv6_frag(IPPROTO_UDP, rnd.randrange(0, 64), rnd.random() < 0.5,
                                       rnd.randrange(1 << 32), seg), nh=IPPROTO_FRAGMENT))))
        d = dst_port()
        body = rand(rnd.randrange(0, 60))
        out.append(('udp-length', eth(rmac, smac, ETH_P_IP, ipv4(third(), relay_ip, udp(
            4000, d, body, length=rnd.choice([rnd.randrange(0, 8),
                                              8 + len(body) + rnd.randrange(1, 2000)]))))))
        out.append(('udp-zero-length', v4(b'')))
        out.append(('rtp-version', v4(bytes([rnd.choice([0x00, 0x40, 0xc0, 0xff, 0x3f,
                                                         0x7f])]) + rand(171),
                                      src=src_any())))
        out.append(('rtp-csrc', v4(rtp_hdr(rnd, b0=0x8f)[:rnd.randrange(12, 40)] +
                                   rand(rnd.randrange(0, 16)), src=src_any())))
        out.append(('rtp-extension', v4(rtp_hdr(rnd, b0=0x90, ext=b'\xbe\xde\xff\xff') +
                                        rand(rnd.randrange(0, 40)), src=src_any())))
        out.append(('rtp-padding', v4(rtp_hdr(rnd, b0=0xa0) + rand(rnd.randrange(0, 20)) +
                                      bytes([0xff]), src=src_any())))
        n = rnd.randrange(4, 120)
        rtcp = bytes([0x80 | rnd.randrange(32), rnd.choice([200, 201, 202, 203, 204, 205,
                                                            206, 207])]) + \
            struct.pack('!H', rnd.randrange(65536)) + rand(n)
        out.append(('rtcp-garbage', v4(rtcp, src=src_any(),
                                       dport=rnd.choice(victim_ports + idle_ports))))
        stun = struct.pack('!HHI', rnd.choice([0x0001, 0x0101, 0x0111, 0x0017]),
                           rnd.randrange(65536), 0x2112A442) + rand(12) + rand(rnd.randrange(0, 80))
        out.append(('stun-garbage', v4(stun, src=src_any())))
        out.append(('dtls-garbage', v4(bytes([rnd.randrange(20, 64), 0xfe, 0xfd]) +
                                       rand(rnd.randrange(0, 200)), src=src_any())))
        out.append(('max-size', v4(rtp_hdr(rnd) + rand(MTU_PAYLOAD - 12 - rnd.randrange(0, 8)),
                                   src=src_any())))
        out.append(('random-udp', v4(rand(rnd.randrange(1, 300)), src=src_any())))
        out.append(('not-local', eth(rmac, smac, ETH_P_IP, ipv4(
            third(), '198.18.1.%d' % rnd.randrange(100, 200),
            udp(4000, rnd.choice(victim_ports), rand(60))))))
        out.append(('other-protocol', eth(rmac, smac, ETH_P_IP, ipv4(
            third(), relay_ip, rand(rnd.randrange(0, 60)), proto=rnd.choice([1, 6, 47, 132,
                                                                              253])))))
        p6 = udp(4000, dst_port(), rand(rnd.randrange(0, 100)),
                 length=rnd.choice([None, 3, 9000]))
        out.append(('ip6-udp', eth(rmac, smac, ETH_P_IPV6, ipv6(
            src6, relay_ip6, p6, plen=rnd.choice([None, None, 7, 60000])))))
        out.append(('ethernet', eth(rmac, smac, rnd.choice([0x88b5, 0x0842, 0x8100, 0x86dd,
                                                            0x0800]),
                                    rand(rnd.randrange(0, 46)))))
    rnd.shuffle(out)
    return out


def endpoints(ng, cid):
    q = ng.query(cid, check=False)
    if q.get('result') != 'ok':
        return None
    return {'%s/%s/%s' % (s['tag'], s['media'], 'rtcp' if s['rtcp'] else 'rtp'):
            tuple(s['endpoint'] or ()) for s in stream_stats(q)}


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO_ROOT, 'tests', 'lib'),
               PYTHONDONTWRITEBYTECODE='1')
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24',
                              '2001:db8:1::1/64', '2001:db8:1::10/64')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        try:
            relay = Sluice(args.sluice, topo, [a, b],
                           extra_args=['--port-min=%d' % PORT_MIN, '--port-max=%d' % PORT_MAX])
        except RelayError as e:
            print('FAIL: sluice did not start: %s' % e)
            return 1
        ng = relay.ng_client()
        idle_to_b, idle_to_a = call_pair(ng, 'idle', a.peer_ip, 20100, b.peer_ip, 20100)
        pa, pb = RtpPeer(a.ns, a.peer_ip, 20000), RtpPeer(b.ns, b.peer_ip, 20000)
        st_idle = dp_stats(ng)
        mb_idle = st_idle.get('mbufs_in_use')
        to_b, to_a = call_pair(ng, 'victim', a.peer_ip, 20000, b.peer_ip, 20000)
        media = Duplex(pa, pb, to_a, to_b, 'victim').start()
        c.check(wait_until(lambda: len(pa.rtp_rx) >= 10 and len(pb.rtp_rx) >= 10, 5.0),
                'victim streams both ways')
        q = ng.query('victim')
        confirmed = [st for td in q['tags'].values() for m in td.get('medias', [])
                     for st in m.get('streams', []) if 'confirmed' in (st.get('flags') or [])]
        if len(confirmed) < 4:
            time.sleep(1.0)             # the first RTCP reports
            q = ng.query('victim')
            confirmed = [st for td in q['tags'].values() for m in td.get('medias', [])
                         for st in m.get('streams', [])
                         if 'confirmed' in (st.get('flags') or [])]
        c.check(len(confirmed) == 4, 'victim RTP and RTCP streams (both sides) confirmed '
                'before the attack (%d)' % len(confirmed))
        eps0 = {'victim': endpoints(ng, 'victim'), 'idle': endpoints(ng, 'idle')}
        c.check(eps0['idle'] and eps0['idle'].get('ft-idle/1/rtp') == (a.peer_ip, 20100),
                'idle call: caller endpoint is its SDP endpoint before the attack (%s)'
                % ((eps0['idle'] or {}).get('ft-idle/1/rtp'),))

        rmac = neigh_mac(a.ns, a.relay_ip) or link_mac(topo.core, a.relay_if)
        smac = link_mac(a.ns, a.peer_if)
        rnd = random.Random(SEED)
        fr = frames(rnd, rmac, smac, a.relay_ip, a.relay_ip6, a.peer_ip6, a.peer_ip,
                    [to_a[1], to_a[1] + 1], [idle_to_a[1], idle_to_a[1] + 1])
        classes = {}
        for name, _ in fr:
            classes[name] = classes.get(name, 0) + 1
        path = os.path.join(topo.workdir, 'hostile.frames')
        write_frames(path, [f for _, f in fr])

        st0 = dp_stats(ng)
        mb0 = st0.get('mbufs_in_use')
        t1 = time.monotonic()
        tx = topo.spawn('rawblast', [sys.executable, '-m', 'sltest.rawblast', '--ifname',
                                     a.peer_if, '--frames', path, '--seconds', str(args.seconds),
                                     '--max', str(MAX_FRAMES)], ns=a.ns, env=env)
        pings = []
        while tx.poll() is None and time.monotonic() - t1 < args.seconds + 20:
            pings.append(ng.ping(timeout=1.0))
            time.sleep(0.2)
        t2 = time.monotonic()
        if tx.wait(10) is None:
            tx.stop()
        try:
            res = json.loads(tx.stdout_text().strip().splitlines()[-1])
        except (ValueError, IndexError):
            res = {}
        c.check(res.get('sent', 0) > 0, 'attack frames sent (%s %s)' % (res, tx.tail(3)))
        c.check(relay.running, 'sluice running after the attack')
        c.check(pings and all(pings), 'ng ping answered during the attack (%d/%d)'
                % (sum(pings), len(pings)))
        # let the rings drain, then account for every frame
        wait_until(lambda: dp_delta(st0, dp_stats(ng)).get('rx_pkts', 0) > 0, 2.0)
        time.sleep(1.0)
        t3 = time.monotonic()
        time.sleep(2.0)                 # media after the attack
        t4 = time.monotonic()
        media.stop()
        time.sleep(0.5)
        st1 = dp_stats(ng)
        d = dp_delta(st0, st1)
        drops = {k: v for k, v in d.items() if k.startswith('drop_') and v}
        outcome = sum(d.get(k, 0) for k in OUTCOMES) + sum(
            v for k, v in drops.items() if k != 'drop_no_neigh')
        excess = outcome - d.get('rx_pkts', 0)
        c.check(0 <= excess <= d.get('arp_reply', 0) + d.get('nd_reply', 0),
                'every received frame accounted for once: rx_pkts +%d, outcomes +%d '
                '(forwarded %d, punted %d, replies %d, drops %d)'
                % (d.get('rx_pkts', 0), outcome, d.get('fwd_pkts', 0), d.get('punt', 0),
                   d.get('arp_reply', 0) + d.get('nd_reply', 0) + d.get('icmp_echo', 0),
                   sum(drops.values())))
        for k in ('drop_ip_bad', 'drop_udp_bad', 'drop_no_flow', 'drop_unknown', 'drop_frag',
                  'drop_not_local', 'drop_proto', 'drop_l2'):
            c.check(d.get(k, 0) > 0, 'attack raised %s (+%d)' % (k, d.get(k, 0)))
        c.check(d.get('punt', 0) > 0, 'STUN/DTLS-looking frames went to the control '
                'thread (punt +%d, punt ring full +%d)' % (d.get('punt', 0),
                                                           d.get('drop_punt_full', 0)))
        mb1 = wait_until(lambda: (dp_stats(ng).get('mbufs_in_use') or 0) <= (mb_idle or 0) + 8
                         and dp_stats(ng).get('mbufs_in_use'), 5.0, 0.2)
        mb1 = dp_stats(ng).get('mbufs_in_use')
        c.check(isinstance(mb1, int) and isinstance(mb_idle, int) and mb1 <= mb_idle + 8,
                'no packet buffer leaked: mbufs_in_use %s at rest before, %s during the call, '
                '%s at rest after %d frames' % (mb_idle, mb0, mb1, res.get('sent', 0)))

        w_att = media.window(t1, t2)
        w_after = media.window(t3, t4 - 0.3)
        s = media.summary()
        for dr in ('a>b', 'b>a'):
            c.check(w_att[dr]['received'] > 0, 'victim %s kept reaching the genuine peer '
                    'during the attack (%d/%d)' % (dr, w_att[dr]['received'],
                                                   w_att[dr]['sent']))
            c.check(w_after[dr]['sent'] > 0 and w_after[dr]['lost'] == 0,
                    'victim %s complete after the attack (%d/%d)'
                    % (dr, w_after[dr]['received'], w_after[dr]['sent']))
        want_src = {'a>b': ['%s:%d' % to_b], 'b>a': ['%s:%d' % to_a]}
        c.check(s['b>a']['foreign'] == 0 and s['b>a']['srcs'] == want_src['b>a'],
                'the victim caller got only genuine media from its relay port (%d foreign, '
                'srcs %s)' % (s['b>a']['foreign'], s['b>a']['srcs']))
        eps1 = {'victim': endpoints(ng, 'victim'), 'idle': endpoints(ng, 'idle')}
        for cid in ('victim', 'idle'):
            c.check(eps1[cid] is not None and eps1[cid] == eps0[cid],
                    '%s call endpoints unchanged by the attack (%s)'
                    % (cid, {k: v for k, v in (eps1[cid] or {}).items()
                             if (eps0[cid] or {}).get(k) != v} or 'same'))
        c.check(ng.ping(), 'ng ping after the attack')
        pa.close()
        pb.close()
        rc_relay = relay.stop()
        c.check(rc_relay == 0, 'sluice exited %s on SIGTERM' % rc_relay)

        print('attack: %d distinct frames in %d classes, %s frames sent in %s s = %s pps '
              '(one Python sendmmsg process on a\'s veth, %s refused by the kernel)'
              % (len(fr), len(classes), res.get('sent'), res.get('seconds'), res.get('pps'),
                 res.get('errors')))
        print('  classes: ' + ', '.join('%s %d' % kv for kv in sorted(classes.items())))
        print('  sluice: rx_pkts +%d (af_packet ring losses are invisible: sent - rx = %d '
              'includes them and the IPv4 fragments the kernel keeps for reassembly), '
              'fwd +%d, punt +%d, icmp_echo +%d'
              % (d.get('rx_pkts', 0), res.get('sent', 0) - d.get('rx_pkts', 0),
                 d.get('fwd_pkts', 0), d.get('punt', 0), d.get('icmp_echo', 0)))
        print('  drops: ' + ' '.join('%s+%d' % kv for kv in sorted(drops.items())))
        print('  victim during the attack: a>b %d/%d, b>a %d/%d; after: a>b %d/%d, b>a %d/%d; '
              'foreign packets the callee received (injected, no strict-source): %d'
              % (w_att['a>b']['received'], w_att['a>b']['sent'], w_att['b>a']['received'],
                 w_att['b>a']['sent'], w_after['a>b']['received'], w_after['a>b']['sent'],
                 w_after['b>a']['received'], w_after['b>a']['sent'], s['a>b']['foreign']))
        print('  mbufs in use: %s at rest, %s before, %s after' % (mb_idle, mb0, mb1))
    return c.finish('test_hostile', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
