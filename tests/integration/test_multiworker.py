#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Two forwarding workers: every call intact both ways, hand-off accounted.

sluice runs with 2 worker lcores (Sluice(workers=2): EAL --lcores
0@0,1@1,2@(0-1), net_af_packet qpairs=2).  af_packet spreads received frames
over the two rx queues by flow hash, while a flow belongs to one worker
(owner = (port >> 1) % workers); a packet that lands on the other worker's
queue is handed to the owner through a ring.

1. N (30) calls, RTP (50 packets) and RTCP (2 SRs) both ways on every call;
   every packet must arrive intact at the call's far end, from the call's
   relay port, nothing foreign.  Both legs of a call share an owner.
2. statistics.dataplane: handoff_in > 0 and handoff_in == handoff_out (summed
   over the workers), no hand-off ring overflow, workers[] has 2 entries and
   both did work.
3. Per-queue evidence (DPDK telemetry /ethdev/stats q_ipackets): for up to 8
   calls, send one leg at a time and see which rx queue got it; the relay's
   handoff_out must grow by exactly the packets that arrived on the queue of
   the worker that does not own the call.  A call whose two legs came in on
   different queues is printed.

Usage (root):  python3 tests/integration/test_multiworker.py --sluice build/sluice
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest.itest import (Checks, Telemetry, call_pair, common_args, dp_delta,  # noqa: E402
                          dp_stats, preflight, wait_until)
from sltest.ng import NgError, NgTimeout, stream_stats  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import (Pattern, RtpPeer, build_rtp, build_sr, verify_rtcp,  # noqa: E402
                        verify_rtp)
from sltest.topo import Topology  # noqa: E402

WORKERS = 2
RTP_PKTS = 50
RTCP_PKTS = 2
PROBE_CALLS = 8
PROBE_PKTS = 40
PACE_PPS = 5000


def parse_args(argv):
    ap = common_args('sluice with two workers: hand-off between rx queues and flow owners')
    ap.add_argument('--calls', type=int, default=30, help='calls (20-50, default 30)')
    a = ap.parse_args(argv)
    a.calls = max(1, min(a.calls, 200))
    return a


def owner(port):
    return (port >> 1) % WORKERS


def send_rounds(calls, n_rtp, n_rtcp, pps):
    """Packet r of every call both ways per round; RTCP SRs spread over the
    rounds.  Paced at pps overall."""
    sent = 0
    t0 = time.monotonic()
    rtcp_rounds = {int((k + 0.5) * n_rtp / n_rtcp) for k in range(n_rtcp)}
    for r in range(n_rtp):
        for c in calls:
            for peer, dst, rdst, pat, ssrc in (
                    (c['pa'], c['to_a'], c['to_a_rtcp'], c['pat_ab'], c['ssrc_a']),
                    (c['pb'], c['to_b'], c['to_b_rtcp'], c['pat_ba'], c['ssrc_b'])):
                peer.send_rtp(dst, build_rtp(r, r * 160, ssrc, pat.payload(r)))
                sent += 1
                if r in rtcp_rounds:
                    peer.send_rtcp(rdst, build_sr(ssrc, r * 160, r + 1, (r + 1) * 160,
                                                  cname=pat.cname))
                    sent += 1
                delay = t0 + sent / pps - time.monotonic()
                if delay > 0.001:
                    time.sleep(delay)
    return sent


def queue_of(before, after, nq):
    """Per-queue rx deltas between two /ethdev/stats snapshots."""
    qb = before.get('q_ipackets') or [0] * nq
    qa = after.get('q_ipackets') or [0] * nq
    return [qa[i] - qb[i] for i in range(nq)]


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        try:
            relay = Sluice(args.sluice, topo, [a, b], workers=WORKERS,
                           extra_args=['--timeout=600'])
        except RelayError as e:
            print('FAIL: sluice did not start: %s' % e)
            return 1
        ng = relay.ng_client()
        st = dp_stats(ng)
        c.check(len(st.get('workers', [])) == WORKERS,
                'statistics.dataplane.workers has %d entries (%s)'
                % (WORKERS, [w.get('lcore') for w in st.get('workers', [])]))

        # --- 1. calls and media --------------------------------------------------
        calls = []
        errors = []
        for i in range(args.calls):
            cid = 'mw-%03d' % i
            pa = RtpPeer(a.ns, a.peer_ip, 20000 + 2 * i)
            pb = RtpPeer(b.ns, b.peer_ip, 20000 + 2 * i)
            try:
                to_b, to_a = call_pair(ng, cid, a.peer_ip, pa.rtp_port, b.peer_ip, pb.rtp_port)
            except (NgError, NgTimeout, ValueError) as e:
                errors.append('%s: %s' % (cid, e))
                pa.close()
                pb.close()
                continue
            calls.append({'id': cid, 'pa': pa, 'pb': pb, 'to_a': to_a, 'to_b': to_b,
                          'to_a_rtcp': (to_a[0], to_a[1] + 1), 'to_b_rtcp': (to_b[0], to_b[1] + 1),
                          'pat_ab': Pattern(cid, 'a>b'), 'pat_ba': Pattern(cid, 'b>a'),
                          'ssrc_a': 0xa0000 + i, 'ssrc_b': 0xb0000 + i})
        c.check(len(calls) == args.calls and not errors, '%d calls set up%s'
                % (len(calls), ': ' + '; '.join(errors[:3]) if errors else ''))
        same_owner = [x['id'] for x in calls if owner(x['to_a'][1]) != owner(x['to_b'][1])]
        c.check(not same_owner, 'both legs of every call have the same owner worker%s'
                % (' (not: %s)' % same_owner if same_owner else ''))
        owners = [owner(x['to_a'][1]) for x in calls]
        print('calls per owner worker: %s' % [owners.count(w) for w in range(WORKERS)])

        st0 = dp_stats(ng)
        for x in calls:
            x['pa'].start_capture(max_seconds=120)
            x['pb'].start_capture(max_seconds=120)
        t0 = time.monotonic()
        sent = send_rounds(calls, RTP_PKTS, RTCP_PKTS, PACE_PPS)
        t_media = time.monotonic() - t0
        want_rtp = RTP_PKTS * len(calls) * 2

        def all_in():
            return sum(len(x['pa'].rtp_rx) + len(x['pb'].rtp_rx) for x in calls) >= want_rtp
        wait_until(all_in, 5.0, 0.05)
        time.sleep(0.3)
        for x in calls:
            x['pa'].stop_capture()
            x['pb'].stop_capture()
        # hand-off counters settle once the rings are empty
        st1 = wait_until(lambda: (lambda s: s if s['handoff_in'] == s['handoff_out'] else None)(
            dp_stats(ng)), 3.0, 0.1) or dp_stats(ng)
        d = dp_delta(st0, st1)

        bad = []
        n_rtp = n_rtcp = 0
        for x in calls:
            for name, rx, pat, src in (('a>b', x['pb'], x['pat_ab'], x['to_b']),
                                       ('b>a', x['pa'], x['pat_ba'], x['to_a'])):
                v = verify_rtp(rx.captured(), pat)
                vr = verify_rtcp(rx.captured(rtcp=True), pat)
                n_rtp += v['valid']
                n_rtcp += vr['valid']
                want_src = ['%s:%d' % src]
                want_rsrc = ['%s:%d' % (src[0], src[1] + 1)]
                if (v['valid'] != RTP_PKTS or v['invalid'] or v['duplicates'] or
                        v['srcs'] != want_src or vr['valid'] != RTCP_PKTS or vr['invalid'] or
                        vr['srcs'] != want_rsrc):
                    bad.append('%s %s: RTP %d/%d invalid %d dup %d srcs %s; RTCP %d/%d '
                               'invalid %d srcs %s (want %s, %s)%s'
                               % (x['id'], name, v['valid'], RTP_PKTS, v['invalid'],
                                  v['duplicates'], v['srcs'], vr['valid'], RTCP_PKTS,
                                  vr['invalid'], vr['srcs'], want_src, want_rsrc,
                                  ' ' + '; '.join(v['errors'] + vr['errors'])
                                  if v['errors'] or vr['errors'] else ''))
        c.check(not bad, 'every call: %d RTP + %d RTCP each way arrived intact from its relay '
                'ports (%d RTP, %d RTCP valid in total%s)'
                % (RTP_PKTS, RTCP_PKTS, n_rtp, n_rtcp,
                   '; %d bad streams: %s' % (len(bad), ' | '.join(bad[:4])) if bad else ''))
        c.check(d['fwd_pkts'] == sent, 'relay forwarded every packet sent (fwd_pkts +%d, sent %d)'
                % (d['fwd_pkts'], sent))
        c.check(d['handoff_in'] > 0, 'packets were handed off between workers '
                '(handoff_in +%d)' % d['handoff_in'])
        c.check(st1['handoff_in'] == st1['handoff_out'],
                'handoff_in == handoff_out (%d == %d)' % (st1['handoff_in'], st1['handoff_out']))
        c.check(st1['drop_handoff_full'] == 0, 'no hand-off ring overflow (drop_handoff_full %d)'
                % st1['drop_handoff_full'])
        drops = {k: v for k, v in d.items() if k.startswith('drop_') and v}
        c.check(not drops, 'no data-plane drops during the media phase %s' % (drops or ''))
        ws = st1.get('workers', [])
        c.check(len(ws) == WORKERS and all(w['busy_cycles'] > 0 for w in ws),
                'both workers did work (busy cycles %s)' % [w['busy_cycles'] for w in ws])
        q = ng.query(calls[0]['id']) if calls else {}
        rows = stream_stats(q)
        c.check(calls and sum(r['packets'] for r in rows) == 2 * (RTP_PKTS + RTCP_PKTS),
                'query %s counts %d packets in (%s)'
                % (calls[0]['id'] if calls else '-', 2 * (RTP_PKTS + RTCP_PKTS),
                   ', '.join('%d:%d' % (r['local_port'], r['packets']) for r in rows)))

        # --- 3. per-queue evidence ---------------------------------------------------
        probes = []
        tel = None
        try:
            tel = Telemetry(relay.file_prefix)
            tel.port_stats(0)
        except (OSError, ValueError) as e:
            print('note: DPDK telemetry unavailable (%s): per-queue evidence skipped, the '
                  'hand-off counters above cover it' % e)
            tel = None
        if tel is not None:
            for x in calls[:PROBE_CALLS]:
                res = {'id': x['id'], 'owner': owner(x['to_a'][1])}
                for leg, peer, dst, port_id, pat in (('a', x['pa'], x['to_a'], 0, x['pat_ab']),
                                                     ('b', x['pb'], x['to_b'], 1, x['pat_ba'])):
                    s0 = dp_stats(ng)
                    q0 = tel.port_stats(port_id)
                    for k in range(PROBE_PKTS):
                        peer.send_rtp(dst, build_rtp(1000 + k, (1000 + k) * 160, 0xc0000,
                                                     pat.payload(1000 + k)))
                        time.sleep(0.0005)
                    fwd_want = s0['fwd_pkts'] + PROBE_PKTS
                    wait_until(lambda: dp_stats(ng)['fwd_pkts'] >= fwd_want, 3.0, 0.05)
                    s1 = dp_stats(ng)
                    q1 = tel.port_stats(port_id)
                    dq = queue_of(q0, q1, WORKERS)
                    res[leg] = {'queues': dq, 'queue': max(range(WORKERS), key=lambda i: dq[i]),
                                'handoff_out': s1['handoff_out'] - s0['handoff_out'],
                                'handoff_in': s1['handoff_in'] - s0['handoff_in'],
                                'fwd': s1['fwd_pkts'] - s0['fwd_pkts']}
                    # drain what the far end got (not checked again here)
                    far = x['pb'] if leg == 'a' else x['pa']
                    far.recv_all(timeout=0.2, idle=0.1)
                probes.append(res)
            tel.close()
            mism = []
            for p in probes:
                for leg in ('a', 'b'):
                    r = p[leg]
                    # the leg's queue got all its packets, the other queue at most a few
                    # frames of background noise (ARP probes)
                    rest = sum(r['queues']) - r['queues'][r['queue']]
                    want = PROBE_PKTS if r['queue'] != p['owner'] else 0
                    if (r['fwd'] != PROBE_PKTS or r['handoff_out'] != want or
                            r['handoff_in'] != want or
                            not PROBE_PKTS <= r['queues'][r['queue']] <= PROBE_PKTS + 3 or
                            rest > 3):
                        mism.append('%s leg %s: queues %s owner %d handoff out/in +%d/+%d '
                                    'fwd +%d (want hand-off %d)'
                                    % (p['id'], leg, r['queues'], p['owner'], r['handoff_out'],
                                       r['handoff_in'], r['fwd'], want))
            c.check(probes and not mism,
                    'per-queue: each leg arrived on one rx queue, and exactly the packets on '
                    'the non-owner queue were handed off (%d calls probed%s)'
                    % (len(probes), '; ' + ' | '.join(mism[:4]) if mism else ''))
        for x in calls:
            ng.delete(x['id'], check=False)
            x['pa'].close()
            x['pb'].close()
        rc_relay = relay.stop()
        c.check(rc_relay == 0, 'sluice exited %s on SIGTERM' % rc_relay)

        # --- summary ---------------------------------------------------------------
        print('sluice %s: %d workers (%s), %d calls, %d packets sent in %.2f s'
              % (relay.pid, WORKERS, ' '.join(relay.lcore_args()), len(calls), sent, t_media))
        print('  dataplane: rx_pkts +%d fwd_pkts +%d handoff_out +%d handoff_in +%d '
              '(totals out %d in %d)' % (d['rx_pkts'], d['fwd_pkts'], d['handoff_out'],
                                        d['handoff_in'], st1['handoff_out'],
                                        st1['handoff_in']))
        for w in ws:
            print('  worker lcore %d: busy %d idle %d cycles' % (w['lcore'], w['busy_cycles'],
                                                                 w['idle_cycles']))
        shown = False
        for p in probes:
            qa, qb = p['a']['queue'], p['b']['queue']
            line = ('  %s (owner worker %d): leg a on port 0 queue %d %s, leg b on port 1 '
                    'queue %d %s; handed off a +%d b +%d'
                    % (p['id'], p['owner'], qa, p['a']['queues'], qb, p['b']['queues'],
                       p['a']['handoff_out'], p['b']['handoff_out']))
            if args.verbose or (qa != qb and not shown):
                print(line + ('  <- legs on different queues' if qa != qb else ''))
                shown = shown or qa != qb
        if probes and not shown:
            print('  (none of the %d probed calls had its legs on different queues)'
                  % len(probes))
    return c.finish('test_multiworker', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
