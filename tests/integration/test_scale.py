#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Scale: 1,000 concurrent calls through sluice, every call's media verified.

    caller sockets (netns a, 198.18.1.10:20000+2i)  --RTP-->  relay a-side 198.18.1.1:<pa_i>
    relay b-side 198.18.2.1:<pb_i>  --RTP-->  callee sockets (netns b, 198.18.2.10:20000+2i)

1. Set up N (1,000) calls over ng, one offer + answer each (serially, as one
   Kamailio worker would); every call gets its own caller and callee socket,
   so every call's relay ports are exercised separately.
2. For every call send a few RTP packets each way (paced); every packet must
   arrive at that call's far endpoint, from that call's relay port, with the
   call's own payload (Pattern(call-id, direction)), nothing foreign.
3. Delete every call; each delete reply must count exactly the packets sent;
   after the delete-delay (--delete-delay=1) `list` is empty and every relay
   port is free again.
4. Forwarding rate: a bounded search (20k, 50k, 100k, 150k, 200k, 250k pps) of
   the highest paced rate through 4 calls (one direction, 2 s trials) with
   loss <= 0.1 %.  Sender and receiver are Python processes (sendmmsg /
   recvmmsg through ctypes) in the endpoint namespaces; a trial whose sender
   cannot reach the target rate ends the search (sender-limited).
   Speed figures are printed, never asserted; packets that arrive must be
   intact and from the right relay ports.

Usage (root):  python3 tests/integration/test_scale.py --sluice build/sluice [--calls 1000]
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import json
import os
import selectors
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import (Checks, call_pair, common_args, dp_delta, dp_stats,  # noqa: E402
                          preflight, raise_nofile, wait_until)
from sltest.netns import in_netns  # noqa: E402
from sltest.ng import NgError, NgTimeout, totals  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern, build_rtp, verify_rtp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

PORT_MIN, PORT_MAX = 30000, 32999      # 1,500 RTP/RTCP pairs per address
EP_PORT0 = 20000                       # endpoint RTP ports 20000, 20002, ...
RATE_PORT = 40000                      # rate trial endpoints (both sides)
RATE_CALLS = 4
RATES = (20000, 50000, 75000, 100000, 150000, 200000, 250000)
RATE_TRIES = 2                         # a step that loses too much is tried once more
RATE_SECONDS = 2.0
MAX_LOSS = 0.001
SEND_PPS = 20000                       # pacing of the per-call verification packets


def parse_args(argv):
    ap = common_args('1,000 concurrent calls through sluice, media verified per call')
    ap.add_argument('--calls', type=int, default=1000, help='concurrent calls (default 1000)')
    ap.add_argument('--packets', type=int, default=3, help='RTP packets per call and direction')
    ap.add_argument('--no-rate', action='store_true', help='skip the forwarding-rate search')
    a = ap.parse_args(argv)
    a.calls = max(1, min(a.calls, (PORT_MAX - PORT_MIN + 1) // 2 - RATE_CALLS - 8))
    a.packets = max(1, min(a.packets, 50))
    return a


def open_sockets(ns, ip, n):
    """n non-blocking UDP sockets in netns ns on ip:EP_PORT0+2i."""
    socks = []
    with in_netns(ns):
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 16)
            s.bind((ip, EP_PORT0 + 2 * i))
            s.setblocking(False)
            socks.append(s)
    return socks


def send_media(calls, a_socks, b_socks, n_pkts, pps):
    """Round r: packet r of every call, a->b and b->a.  Paced at `pps`."""
    sent = errors = 0
    t0 = time.monotonic()
    period = 1.0 / pps
    for r in range(n_pkts):
        for i, c in enumerate(calls):
            for sock, dst, pat, ssrc in ((a_socks[i], c['to_a'], c['pat_ab'], 0x10000 + i),
                                         (b_socks[i], c['to_b'], c['pat_ba'], 0x20000 + i)):
                pkt = build_rtp(1000 + r, 160 * (1000 + r), ssrc, pat.payload(r))
                try:
                    sock.sendto(pkt, dst)
                    sent += 1
                except OSError:
                    errors += 1
                due = t0 + sent * period
                delay = due - time.monotonic()
                if delay > 0.001:
                    time.sleep(delay)
    return sent, errors


def collect(socks_by_fd, want, timeout):
    """Read every socket until `want` datagrams arrived or `timeout` s;
    returns {fd: [(src, data)]}."""
    got = {fd: [] for fd in socks_by_fd}
    total = 0
    sel = selectors.EpollSelector()
    for fd, s in socks_by_fd.items():
        sel.register(s, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while total < want:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(min(left, 0.2)):
                s = key.fileobj
                for _ in range(1000):           # bounded drain of one socket
                    try:
                        data, src = s.recvfrom(2048)
                    except BlockingIOError:
                        break
                    got[s.fileno()].append((src, data))
                    total += 1
    finally:
        sel.close()
    return got


def rate_trial(topo, a, b, dsts, pps, tag, env):
    """One paced trial; returns a dict with sent, received, loss, ..."""
    rx = topo.spawn('blast-rx-%d' % pps,
                    [sys.executable, '-m', 'sltest.blast', 'recv', '--bind',
                     '%s:%d' % (b.peer_ip, RATE_PORT), '--seconds', RATE_SECONDS * 4 + 6,
                     '--idle', 0.7, '--tag', tag, '--expect', int(pps * RATE_SECONDS)],
                    ns=b.ns, env=env)
    if not wait_until(lambda: 'READY' in rx.stdout_text() or rx.poll() is not None, 10):
        rx.stop()
        return {'error': 'receiver not ready: %s' % rx.tail(5)}
    tx = topo.spawn('blast-tx-%d' % pps,
                    [sys.executable, '-m', 'sltest.blast', 'send', '--bind',
                     '%s:%d' % (a.peer_ip, RATE_PORT), '--dst',
                     ','.join('%s:%d' % d for d in dsts), '--pps', pps, '--seconds',
                     RATE_SECONDS, '--tag', tag], ns=a.ns, env=env)
    rc_tx = tx.wait(RATE_SECONDS * 3 + 10)
    if rc_tx is None:
        tx.stop()
    rc_rx = rx.wait(RATE_SECONDS * 4 + 10)
    if rc_rx is None:
        rx.stop()
    try:
        st = json.loads(tx.stdout_text().strip().splitlines()[-1])
        rr = json.loads(rx.stdout_text().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {'error': 'no report (tx rc %s: %s | rx rc %s: %s)'
                % (rc_tx, tx.tail(5), rc_rx, rx.tail(5))}
    res = dict(st)
    res.update({'received': rr['received'], 'unique': rr['unique'],
                'duplicates': rr['duplicates'], 'invalid': rr['invalid'], 'srcs': rr['srcs']})
    res['loss'] = (st['sent'] - rr['unique']) / st['sent'] if st['sent'] else 1.0
    res['sender_limited'] = st['achieved_pps'] < 0.95 * pps
    return res


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    n = args.calls
    npk = args.packets
    # 2 sockets per call in this process, plus headroom
    nofile = raise_nofile(2 * n + 512)
    if nofile < 2 * n + 64:
        print('FAIL: RLIMIT_NOFILE %d too small for %d calls' % (nofile, n))
        return 1
    figures = {}
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        try:
            relay = Sluice(args.sluice, topo, [a, b],
                           extra_args=['--port-min=%d' % PORT_MIN, '--port-max=%d' % PORT_MAX,
                                       '--delete-delay=1', '--timeout=600'])
        except RelayError as e:
            print('FAIL: sluice did not start: %s' % e)
            return 1
        ng = relay.ng_client()
        a_socks = open_sockets(a.ns, a.peer_ip, n)
        b_socks = open_sockets(b.ns, b.peer_ip, n)

        # --- 1. set-up -------------------------------------------------------
        calls = []
        setup_errors = []
        t0 = time.monotonic()
        for i in range(n):
            cid = 'scale-%04d' % i
            try:
                to_b, to_a = call_pair(ng, cid, a.peer_ip, EP_PORT0 + 2 * i, b.peer_ip,
                                       EP_PORT0 + 2 * i, timeout=5.0)
            except (NgError, NgTimeout, ValueError) as e:
                setup_errors.append('%s: %s' % (cid, e))
                if len(setup_errors) >= 5:
                    break
                continue
            calls.append({'i': i, 'id': cid, 'to_a': to_a, 'to_b': to_b,
                          'pat_ab': Pattern(cid, 'a>b'), 'pat_ba': Pattern(cid, 'b>a')})
        t_setup = time.monotonic() - t0
        figures['setups_per_s'] = len(calls) / t_setup if t_setup > 0 else 0
        c.check(len(calls) == n and not setup_errors,
                'all %d calls set up (offer+answer ok): %d%s'
                % (n, len(calls), '; ' + '; '.join(setup_errors) if setup_errors else ''))
        pa = [x['to_a'] for x in calls]
        pb = [x['to_b'] for x in calls]
        c.check(all(ip == a.relay_ip for ip, _ in pa) and all(ip == b.relay_ip for ip, _ in pb),
                'every answer/offer SDP carries the relay a-/b-side address')
        ports_ok = all(PORT_MIN <= p <= PORT_MAX and p % 2 == 0 for _, p in pa + pb)
        c.check(ports_ok and len({p for _, p in pa}) == len(pa) and
                len({p for _, p in pb}) == len(pb),
                'relay ports are even, inside %d-%d and distinct per side (%d + %d)'
                % (PORT_MIN, PORT_MAX, len({p for _, p in pa}), len({p for _, p in pb})))
        listed = ng.list_calls(limit=n + 100)
        c.check(len(listed) == len(calls) and set(listed) == {x['id'] for x in calls},
                '`list` shows the %d calls (got %d)' % (len(calls), len(listed)))

        # --- 2. media, every call both ways -------------------------------------
        st0 = dp_stats(ng)
        t0 = time.monotonic()
        sent, send_err = send_media(calls, a_socks, b_socks, npk, SEND_PPS)
        t_send = time.monotonic() - t0
        by_fd = {}
        for x in calls:
            by_fd[a_socks[x['i']].fileno()] = a_socks[x['i']]
            by_fd[b_socks[x['i']].fileno()] = b_socks[x['i']]
        got = collect(by_fd, sent, 10.0)
        st1 = dp_stats(ng)
        d = dp_delta(st0, st1)
        bad_calls = []
        n_valid = 0
        for x in calls:
            i = x['i']
            for name, sock, pat, relay_src in (
                    ('a>b', b_socks[i], x['pat_ab'], x['to_b']),
                    ('b>a', a_socks[i], x['pat_ba'], x['to_a'])):
                v = verify_rtp(got[sock.fileno()], pat)
                n_valid += v['valid']
                want_src = ['%s:%d' % relay_src]
                if v['valid'] != npk or v['invalid'] or v['duplicates'] or v['srcs'] != want_src:
                    bad_calls.append('%s %s: valid %d/%d invalid %d dup %d srcs %s (want %s)%s'
                                     % (x['id'], name, v['valid'], npk, v['invalid'],
                                        v['duplicates'], v['srcs'], want_src,
                                        ' ' + '; '.join(v['errors']) if v['errors'] else ''))
        c.check(send_err == 0, 'all %d packets handed to the kernel (%d errors)'
                % (sent, send_err))
        c.check(not bad_calls,
                'every call delivered its %d packets each way, intact, from its own relay '
                'port (%d/%d valid; %d bad streams%s)'
                % (npk, n_valid, sent, len(bad_calls),
                   ': ' + ' | '.join(bad_calls[:5]) if bad_calls else ''))
        c.check(d.get('fwd_pkts') == sent,
                'relay forwarded exactly the packets sent (fwd_pkts +%s, sent %d)'
                % (d.get('fwd_pkts'), sent))
        drops = {k: v for k, v in d.items() if k.startswith('drop_') and v}
        c.check(not drops, 'no data-plane drops during the media phase %s' % (drops or ''))

        # --- 3. delete -----------------------------------------------------------
        del_errors = []
        wrong_totals = []
        t0 = time.monotonic()
        for x in calls:
            try:
                rep = ng.delete(x['id'], 'ft-' + x['id'], timeout=5.0)
            except (NgError, NgTimeout) as e:
                del_errors.append('%s: %s' % (x['id'], e))
                if len(del_errors) >= 5:
                    break
                continue
            t = totals(rep)['RTP']
            if t['packets'] != 2 * npk or t['bytes'] != 2 * npk * 172 or t['errors']:
                wrong_totals.append('%s %s' % (x['id'], t))
        t_del = time.monotonic() - t0
        figures['deletes_per_s'] = len(calls) / t_del if t_del > 0 else 0
        c.check(not del_errors, 'all %d deletes ok%s'
                % (len(calls), ': ' + '; '.join(del_errors) if del_errors else ''))
        c.check(not wrong_totals,
                'every delete reply counts %d RTP packets / %d bytes, 0 errors%s'
                % (2 * npk, 2 * npk * 172,
                   ' (%d wrong: %s)' % (len(wrong_totals), '; '.join(wrong_totals[:3]))
                   if wrong_totals else ''))
        t0 = time.monotonic()
        left = wait_until(lambda: not ng.list_calls(limit=n + 100), 10.0, 0.2)
        t_gone = time.monotonic() - t0
        remaining = ng.list_calls(limit=n + 100)
        c.check(left and not remaining,
                '`list` empty %.1f s after the last delete (delete-delay 1 s; %d left)'
                % (t_gone, len(remaining)))

        def ports_back():
            ifs = ng.statistics()['statistics']['interfaces']
            return all(i['ports_used'] == 0 for i in ifs) and ifs

        ifs = wait_until(ports_back, 5.0, 0.2) or ng.statistics()['statistics']['interfaces']
        c.check(ifs and all(i['ports_used'] == 0 for i in ifs),
                'every relay port free again (%s)'
                % ', '.join('%s: used %d free %d' % (i['name'], i['ports_used'], i['ports_free'])
                            for i in ifs))
        tot = ng.statistics()['statistics']['totalstatistics']
        c.check(tot['timeoutsessions'] == 0 and tot['regularterminatedsessions'] >= len(calls),
                'calls ended by delete, none by timeout (regular %d, timeout %d)'
                % (tot['regularterminatedsessions'], tot['timeoutsessions']))
        for s in a_socks + b_socks:
            s.close()

        # --- 4. forwarding rate -------------------------------------------------
        trials = []
        if not args.no_rate:
            env = dict(os.environ, PYTHONPATH=os.path.join(REPO_ROOT, 'tests', 'lib'),
                       PYTHONDONTWRITEBYTECODE='1')
            dsts = []
            want_srcs = set()
            for k in range(RATE_CALLS):
                cid = 'rate-%d' % k
                to_b, to_a = call_pair(ng, cid, a.peer_ip, RATE_PORT, b.peer_ip, RATE_PORT)
                dsts.append(to_a)
                want_srcs.add('%s:%d' % to_b)
            steps = [(pps, t) for pps in RATES for t in range(RATE_TRIES)]
            for k, (pps, attempt) in enumerate(steps):
                if attempt and trials[-1]['loss'] <= MAX_LOSS:
                    continue                    # the first try of this step was good
                st0 = dp_stats(ng)
                r = rate_trial(topo, a, b, dsts, pps, 100 + k, env)
                st1 = dp_stats(ng)
                r['pps'] = pps
                r['attempt'] = attempt + 1
                r['dp'] = dp_delta(st0, st1)
                trials.append(r)
                if 'error' in r:
                    c.check(False, 'rate trial %d pps ran: %s' % (pps, r['error']))
                    break
                c.check(r['invalid'] == 0 and r['duplicates'] == 0,
                        'rate %d pps: no altered/foreign (%d) or duplicated (%d) packets'
                        % (pps, r['invalid'], r['duplicates']))
                c.check(set(r['srcs']) == want_srcs,
                        'rate %d pps: packets came from the %d calls\' relay b-side ports '
                        '(saw %s; want %s)' % (pps, RATE_CALLS, ', '.join(sorted(r['srcs'])),
                                               ', '.join(sorted(want_srcs))))
                if r['sender_limited'] or (r['loss'] > MAX_LOSS and attempt + 1 == RATE_TRIES):
                    break
            for k in range(RATE_CALLS):
                ng.delete('rate-%d' % k, check=False)

        rc_relay = relay.stop()
        c.check(rc_relay == 0, 'sluice exited %s on SIGTERM' % rc_relay)

        # --- summary ---------------------------------------------------------------
        print('sluice %s: %d calls, %d RTP packets per call and direction, ports %d-%d'
              % (relay.pid, n, npk, PORT_MIN, PORT_MAX))
        print('  set-up: %d offer+answer pairs in %.2f s = %.0f calls/s (serial ng client)'
              % (len(calls), t_setup, figures['setups_per_s']))
        print('  media: %d packets sent in %.2f s (paced %d pps), %d valid at the far ends; '
              'relay fwd_pkts +%d rx_pkts +%d'
              % (sent, t_send, SEND_PPS, n_valid, d.get('fwd_pkts', 0), d.get('rx_pkts', 0)))
        print('  delete: %d deletes in %.2f s = %.0f deletes/s; list empty after %.1f s'
              % (len(calls), t_del, figures['deletes_per_s'], t_gone))
        best = None
        for r in trials:
            if 'error' in r:
                print('  rate %6d pps: %s' % (r['pps'], r['error']))
                continue
            ok = r['loss'] <= MAX_LOSS
            print('  rate %6d pps (try %d): sent %d in %.2f s (%d pps achieved%s), received %d, '
                  'loss %.3f %%, relay fwd +%d rx +%d tx_drop +%d'
                  % (r['pps'], r['attempt'], r['sent'], r['seconds'], r['achieved_pps'],
                     ', SENDER-LIMITED' if r['sender_limited'] else '', r['unique'],
                     100 * r['loss'], r['dp'].get('fwd_pkts', 0), r['dp'].get('rx_pkts', 0),
                     r['dp'].get('tx_drop', 0)))
            if ok and (best is None or r['achieved_pps'] > best['achieved_pps']):
                best = r
        if trials:
            if best is None:
                print('  forwarding rate: no trial stayed within %.1f %% loss' % (100 * MAX_LOSS))
            else:
                last = trials[-1]
                if last is best:
                    why = ('the sender could not go faster' if last.get('sender_limited') else
                           'highest step tried')
                elif last.get('loss', 1) > MAX_LOSS:
                    why = 'the next step lost %.2f %% at %d pps achieved%s' % (
                        100 * last['loss'], last.get('achieved_pps', 0),
                        ', sender-limited too' if last.get('sender_limited') else '')
                else:
                    why = 'the sender could not reach the next step (%d pps achieved)' % (
                        last.get('achieved_pps', 0))
                print('  forwarding rate: %d pps achieved (step %d pps) through %d calls, one '
                      'direction, loss <= %.1f %% over %.0f s (%s; Python sendmmsg/recvmmsg '
                      'sender and receiver share the 2 vCPUs with the relay, so this is a lower '
                      'bound set by the test rig)'
                      % (best['achieved_pps'], best['pps'], RATE_CALLS, 100 * MAX_LOSS,
                         RATE_SECONDS, why))
    return c.finish('test_scale', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
