#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Faults: a stalled worker, an ng flood, retransmitted slow commands, kill -9.

    netns a 198.18.1.10 ---veth--- sluice port 0  a/198.18.1.1
    netns b 198.18.2.10 ---veth--- sluice port 1  b/198.18.2.1

A protected call ("victim") streams RTP both ways (20 ms) through parts a-c.

  a  back-pressure.  The worker stops applying its mailbox (telemetry
     /sluice/debug/mbox_pause: it keeps forwarding, as a worker stuck behind
     long bursts would) and new calls are offered until its 4096-slot
     mailbox is full: every offer is answered, the first that does not fit
     with error-reason "Data plane busy", and a refused offer leaves no call
     behind.  200 calls are then deleted while the mailbox is still full:
     every delete is answered ok, and their flow deletions wait in the
     control thread's backlog (statistics mailbox_backlog > 0; meanwhile new
     offers are refused, nothing may overtake the backlog).  After the
     worker resumes: the backlog drains, the deleted calls' relay ports no
     longer forward (drop_no_flow) and come back to the pool (ports_used is
     exactly what the live calls hold: nothing withheld), the calls offered
     while it was paused forward, new offers work, the victim never stopped.
  b  ng flood: sluice.ngflood (sendmmsg, one process) sends pings, offers
     whose SDP does not parse, queries of unknown calls and garbage, each
     with its own cookie, as fast as it can for 5 s (<= 2 M requests).  The
     victim's media keeps arriving during the flood and the call survives
     (query ok, endpoints unchanged); ng answers ping afterwards.  Loss per
     window (before / during / after) and the flood rate are printed, not
     asserted.
  c  a slow command retransmitted: an offer with 16 media and ~35 KB of SDP
     is sent 5 times back to back with one cookie (Kamailio retransmitting
     while sluice works): 5 byte-identical replies, totaloffercount +1,
     totalduplicatecount +4, one call holding 16 port pairs per side.
  d  kill -9 mid-call (pidfile on): /var/run/dpdk/<prefix> and the pidfile
     are left behind; sluice restarted with the same --file-prefix and
     pidfile starts, answers ng, knows no old call and relays a new call
     both ways; it then exits 0 on SIGTERM and removes the runtime dir.
  e  ports exhausted ("Ran out of ports", earlier calls unaffected, nothing
     left behind) is test_relay.py scenario 9p; not repeated here.

Usage (root):  python3 tests/integration/test_faults.py --sluice build/sluice [--only a,c]
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import os
import signal
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import (Checks, Telemetry, call_pair, common_args, dp_delta,  # noqa: E402
                          dp_stats, preflight, rundir, wait_until)
from sltest.media import Duplex  # noqa: E402
from sltest.netns import netns_socket  # noqa: E402
from sltest.ng import NgTimeout, bencode, bdecode, stream_stats  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import RtpPeer, build_rtp  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

PORT_MIN, PORT_MAX = 30000, 33999       # 2,000 pairs per address: more than a mailbox holds
MAX_FILL = 2500                         # offers at most while the mailbox fills
DELETES = 200
PAUSE_MS = 10000                        # the most the debug command accepts
FLOOD_S = 5.0
FLOOD_MAX = 2_000_000
SLOW_MEDIA = 16                         # SDP_MAX_MEDIA
RETX = 5


def parse_args(argv):
    ap = common_args('faults: stalled worker, ng flood, retransmissions, kill -9')
    ap.add_argument('--only', default='a,b,c,d', help='parts to run (default a,b,c,d)')
    return ap.parse_args(argv)


def ifs_used(ng):
    return {i['name']: i['ports_used'] for i in ng.statistics()['statistics']['interfaces']}


def endpoints(ng, cid):
    """{(tag, media, rtcp?): endpoint} of a call, from query."""
    q = ng.query(cid, check=False)
    if q.get('result') != 'ok':
        return None
    return {(s['tag'], s['media'], s['rtcp']): tuple(s['endpoint'] or ())
            for s in stream_stats(q)}


class Pauser:
    """Keeps worker 0's mailbox paused (re-arming the 10 s debug pause)."""

    def __init__(self, prefix):
        self.tel = Telemetry(prefix)
        self.last = 0.0

    def pause(self):
        r = self.tel.query('/sluice/debug/mbox_pause,0,%d' % PAUSE_MS)
        self.last = time.monotonic()
        return (r.get('/sluice/debug/mbox_pause') or {}).get('pause_ms') == PAUSE_MS

    def keep(self):
        if time.monotonic() - self.last > 2.0:
            self.pause()

    def resume(self):
        self.tel.query('/sluice/debug/mbox_pause,0,0')
        self.tel.close()


# --- a ---------------------------------------------------------------------------

def part_a(c, x):
    ng, a, b = x.ng, x.a, x.b
    base_used = ifs_used(ng)
    p = Pauser(x.relay.file_prefix)
    ok = c.check(p.pause(), '(a) /sluice/debug/mbox_pause paused worker 0')
    if not ok:
        p.resume()
        return
    fills, errors, lat_max = [], [], 0.0
    refused_left = []
    t0 = time.monotonic()
    for i in range(MAX_FILL):
        p.keep()
        cid = 'fill-%04d' % i
        t = time.monotonic()
        try:
            r = ng.offer(cid, 'ft', build_sdp(a.peer_ip, 24000 + 2 * (i % 2000)),
                         flags=['trust-address'], direction=['a', 'b'], check=False,
                         timeout=5.0)
        except NgTimeout:
            errors.append((cid, 'NO REPLY'))
            break
        lat_max = max(lat_max, time.monotonic() - t)
        if r.get('result') == 'ok':
            if errors:
                errors.append((cid, 'ok after a refusal'))
            fills.append((cid, parse_sdp(r['sdp']).audio().port))
        else:
            errors.append((cid, r.get('error-reason')))
            if len(errors) == 1 or len(errors) % 5 == 0:
                q = ng.query(cid, check=False)
                refused_left.append(q.get('result') == 'ok')
            if len(errors) >= 20:
                break
    t_fill = time.monotonic() - t0
    reasons = sorted({e[1] for e in errors})
    c.check(fills and errors and reasons == ['Data plane busy'],
            '(a) %d offers fitted the paused mailbox, then every offer was refused with '
            '"Data plane busy" (%d refusals, reasons %s, slowest reply %.0f ms)'
            % (len(fills), len(errors), reasons, 1000 * lat_max))
    c.check(refused_left and not any(refused_left),
            '(a) a refused offer leaves no call behind (%d queried)' % len(refused_left))
    c.check(ng.ping(), '(a) ng ping answered while the mailbox is full')

    # deletions cannot fail: they wait in the backlog
    del_bad = []
    for cid, _port in fills[:DELETES]:
        p.keep()
        r = ng.delete(cid, check=False, timeout=5.0)
        if r.get('result') != 'ok':
            del_bad.append((cid, r.get('result'), r.get('error-reason')))
    st = ng.statistics()['statistics']
    backlog = st['dataplane'].get('mailbox_backlog')
    c.check(not del_bad, '(a) %d deletes answered ok with the mailbox full%s'
            % (min(DELETES, len(fills)), ' (%s)' % del_bad[:3] if del_bad else ''))
    c.check(isinstance(backlog, int) and backlog > 0,
            '(a) their flow deletions wait in the backlog (mailbox_backlog %s)' % backlog)
    r = ng.offer('fill-late', 'ft', build_sdp(a.peer_ip, 23000), flags=['trust-address'],
                 direction=['a', 'b'], check=False)
    c.check(r.get('result') == 'error' and r.get('error-reason') == 'Data plane busy',
            '(a) an offer behind the backlog is refused (%s %s)'
            % (r.get('result'), r.get('error-reason')))
    p.resume()
    t_resume = time.monotonic()
    drained = wait_until(lambda: dp_stats(ng).get('mailbox_backlog') == 0, 10.0, 0.1)
    tel = Telemetry(x.relay.file_prefix)
    empty = wait_until(lambda: tel.query('/sluice/rings')['/sluice/rings']
                       ['mailbox_queued'] == [0], 10.0, 0.05)
    tel.close()
    c.check(drained and empty, '(a) backlog and mailbox drained %.2f s after the worker '
            'resumed' % (time.monotonic() - t_resume))

    # the deleted calls' flows are gone, the paused offers' flows are there
    deleted, alive = fills[:DELETES], fills[DELETES:]
    sock = netns_socket(b.ns, socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((b.peer_ip, 0))
    try:
        for what, sample in (('deleted', deleted[:20]), ('offered while paused', alive[-20:])):
            s0 = dp_stats(ng)
            for k, (cid, port) in enumerate(sample):
                sock.sendto(build_rtp(k, 160 * k, 0xfa000000 + k, b'\x00' * 160),
                            (b.relay_ip, port))
            n = len(sample)
            key = 'drop_no_flow' if what == 'deleted' else 'fwd_pkts'
            wait_until(lambda: dp_delta(s0, dp_stats(ng)).get(key, 0) >= n, 3.0, 0.05)
            d = dp_delta(s0, dp_stats(ng))
            # the victim call's media runs all along and adds to fwd_pkts,
            # never to drop_no_flow: only drop_no_flow tells the two apart
            if what == 'deleted':
                c.check(d.get('drop_no_flow') == n,
                        '(a) RTP to %d deleted calls\' relay ports: not forwarded '
                        '(drop_no_flow +%d, fwd_pkts +%d)' % (n, d.get('drop_no_flow'),
                                                              d.get('fwd_pkts')))
            else:
                c.check(d.get('fwd_pkts', 0) >= n and d.get('drop_no_flow') == 0,
                        '(a) RTP to %d calls offered while paused: forwarded (fwd_pkts '
                        '+%d, drop_no_flow +%d)' % (n, d.get('fwd_pkts'),
                                                    d.get('drop_no_flow')))
    finally:
        sock.close()
    want = {k: v + 2 * len(alive) for k, v in base_used.items()}
    used = wait_until(lambda: ifs_used(ng) == want and ifs_used(ng), 5.0, 0.1) or ifs_used(ng)
    c.eq(used, want, '(a) relay ports in use after the deletes (nothing withheld)')
    ok_after = 0
    for i in range(5):
        r = ng.offer('after-%d' % i, 'ft', build_sdp(a.peer_ip, 23100 + 2 * i),
                     flags=['trust-address'], direction=['a', 'b'], check=False)
        ok_after += r.get('result') == 'ok'
    c.eq(ok_after, 5, '(a) offers accepted after the worker resumed')
    for cid, _ in alive:
        ng.delete(cid, check=False)
    for i in range(5):
        ng.delete('after-%d' % i, check=False)
    used = wait_until(lambda: ifs_used(ng) == base_used and base_used, 5.0, 0.1)
    c.check(used, '(a) every port back after the clean-up (%s, want %s)'
            % (ifs_used(ng), base_used))
    print('(a) paused mailbox: %d offers fitted in %.2f s, then "Data plane busy"; %d deletes '
          'queued (backlog %s); drained %.2f s after resume' %
          (len(fills), t_fill, min(DELETES, len(fills)), backlog,
           time.monotonic() - t_resume))


# --- b ---------------------------------------------------------------------------

def part_b(c, x):
    ng = x.ng
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO_ROOT, 'tests', 'lib'),
               PYTHONDONTWRITEBYTECODE='1')
    eps0 = endpoints(ng, 'victim')
    st0 = ng.statistics()['statistics']
    time.sleep(1.0)
    t_before = time.monotonic() - 3.0
    t1 = time.monotonic()
    fl = x.topo.spawn('ngflood', [sys.executable, '-m', 'sltest.ngflood', '--dst',
                                  '%s:%d' % x.relay.ng_addr, '--seconds', str(FLOOD_S),
                                  '--max', str(FLOOD_MAX)], env=env)
    probe_ok = probe_n = 0
    probe_lat = []
    while fl.poll() is None and time.monotonic() - t1 < FLOOD_S + 15:
        t = time.monotonic()
        probe_n += 1
        if ng.ping(timeout=0.3):
            probe_ok += 1
            probe_lat.append(time.monotonic() - t)
        time.sleep(0.1)
    t2 = time.monotonic()
    rc = fl.wait(20)
    if rc is None:
        fl.stop()
    try:
        res = __import__('json').loads(fl.stdout_text().strip().splitlines()[-1])
    except (ValueError, IndexError):
        res = {}
    c.check(res.get('sent', 0) > 0, '(b) the flooder ran (%s; %s)'
            % (res or 'no report', fl.tail(3)))
    time.sleep(3.0)
    t3 = time.monotonic()
    w_before = x.media.window(t_before, t1)
    w_flood = x.media.window(t1, t2)
    w_after = x.media.window(t2 + 0.5, t3 - 0.5)
    for d in ('a>b', 'b>a'):
        c.check(x.media.arrivals_between(d, t1, t2) > 0 and w_flood[d]['received'] > 0,
                '(b) victim media %s kept arriving during the flood (%d of %d sent then)'
                % (d, w_flood[d]['received'], w_flood[d]['sent']))
        c.check(w_after[d]['received'] > 0,
                '(b) victim media %s flows after the flood (%d/%d)'
                % (d, w_after[d]['received'], w_after[d]['sent']))
    c.check(ng.ping(timeout=2.0), '(b) ng ping answered after the flood')
    eps1 = endpoints(ng, 'victim')
    c.check(eps1 is not None and eps1 == eps0,
            '(b) the victim call survived, endpoints unchanged (%s)' % eps1)
    c.check(x.relay.running, '(b) sluice still running')
    st1 = ng.statistics()['statistics']
    ctl0, ctl1 = st0['controlstatistics'], st1['controlstatistics']
    handled = sum(ctl1[k] - ctl0[k] for k in ctl1 if k.startswith('total') and k.endswith(
        'count') and k != "totalduplicatecount")
    lat = sorted(probe_lat)
    print('(b) ng flood: %s requests in %s s = %s req/s (one Python sendmmsg process), '
          '%s replies seen by the flooder, sluice counted %d requests (incl. malformed); '
          'probe pings answered %d/%d (p50 %.1f ms, max %.1f ms)'
          % (res.get('sent'), res.get('seconds'), res.get('pps'), res.get('replies'), handled,
             probe_ok, probe_n, 1000 * lat[len(lat) // 2] if lat else -1,
             1000 * lat[-1] if lat else -1))
    for name, w in (('before', w_before), ('flood', w_flood), ('after', w_after)):
        print('    victim media %-6s a>b %d/%d (lost %d)  b>a %d/%d (lost %d)'
              % (name, w['a>b']['received'], w['a>b']['sent'], w['a>b']['lost'],
                 w['b>a']['received'], w['b>a']['sent'], w['b>a']['lost']))


# --- c ---------------------------------------------------------------------------

def big_sdp(ip, port0):
    lines = ['v=0', 'o=- 7 7 IN IP4 %s' % ip, 's=slow', 'c=IN IP4 %s' % ip, 't=0 0']
    for m in range(SLOW_MEDIA):
        lines.append('m=audio %d RTP/AVP 0 8' % (port0 + 2 * m))
        lines += ['a=x-slt-pad%d:%s' % (k, 'p' * 24) for k in range(50)]
        lines.append('a=sendrecv')
    return '\r\n'.join(lines) + '\r\n'


def part_c(c, x):
    ng, a = x.ng, x.a
    sdp = big_sdp(a.peer_ip, 26000)
    doc = {'command': 'offer', 'call-id': 'slow-1', 'from-tag': 'ft', 'sdp': sdp,
           'flags': ['trust-address'], 'direction': ['a', 'b']}
    cookie = 'retx_%s' % os.urandom(3).hex()
    dgram = cookie.encode() + b' ' + bencode(doc)
    used0 = ifs_used(ng)
    st0 = ng.statistics()['statistics']['controlstatistics']
    sock = netns_socket(x.topo.core, socket.AF_INET, socket.SOCK_DGRAM)
    sock.connect(x.relay.ng_addr)
    replies = []
    t0 = time.monotonic()
    try:
        for _ in range(RETX):
            sock.send(dgram)
            time.sleep(0.002)
        deadline = time.monotonic() + 5.0
        while len(replies) < RETX and time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = sock.recv(65535)
            except socket.timeout:
                break
            if data.startswith(cookie.encode() + b' '):
                replies.append((time.monotonic() - t0, data))
    finally:
        sock.close()
    st1 = ng.statistics()['statistics']['controlstatistics']
    c.check(len(dgram) > 30000, '(c) the offer is big (%d bytes)' % len(dgram))
    c.eq(len(replies), RETX, '(c) replies to %d sends of one cookie' % RETX)
    body = bdecode(replies[0][1].split(b' ', 1)[1]) if replies else {}
    c.check(body.get('result') == 'ok', '(c) the offer succeeded (%s %s)'
            % (body.get('result'), body.get('error-reason')))
    c.check(len({d for _, d in replies}) == 1, '(c) the %d replies are byte-identical'
            % len(replies))
    c.eq((st1['totaloffercount'] - st0['totaloffercount'],
          st1['totalduplicatecount'] - st0['totalduplicatecount']), (1, RETX - 1),
         '(c) executed once: (totaloffercount, totalduplicatecount) increase')
    listed = [cid for cid in ng.list_calls(limit=100000) if cid.startswith('slow-')]
    c.eq(listed, ['slow-1'], '(c) calls made')
    want = {k: v + 2 * SLOW_MEDIA for k, v in used0.items()}
    c.eq(ifs_used(ng), want, '(c) relay ports in use (16 media, one pair per side each)')
    # how slow: the same offer once more for a fresh call, timed
    t = time.monotonic()
    ng.call('offer', call_id='slow-2', from_tag='ft', sdp=sdp, flags=['trust-address'],
            direction=['a', 'b'], check=False, timeout=5.0)
    one = time.monotonic() - t
    ng.delete('slow-1', check=False)
    ng.delete('slow-2', check=False)
    print('(c) %d-byte offer sent %d times in %.0f ms: %d replies (first after %.1f ms, last '
          '%.1f ms), one execution; a single such offer takes %.1f ms'
          % (len(dgram), RETX, 2 * RETX, len(replies),
             1000 * replies[0][0] if replies else -1, 1000 * replies[-1][0] if replies else -1,
             1000 * one))


# --- d ---------------------------------------------------------------------------

def part_d(c, args, topo, a, b, extra):
    pidfile = os.path.join(topo.workdir, 'faults.pid')
    try:
        r1 = Sluice(args.sluice, topo, [a, b], extra_args=extra + ['--pidfile=%s' % pidfile])
    except RelayError as e:
        c.check(False, '(d) sluice started: %s' % e)
        return
    ng = r1.ng_client()
    pa, pb = RtpPeer(a.ns, a.peer_ip, 21000), RtpPeer(b.ns, b.peer_ip, 21000)
    to_b, to_a = call_pair(ng, 'kill-1', a.peer_ip, 21000, b.peer_ip, 21000)
    m = Duplex(pa, pb, to_a, to_b, 'kill-1').start()
    flowing = wait_until(lambda: len(pb.rtp_rx) >= 10 and len(pa.rtp_rx) >= 10, 5.0)
    c.check(flowing, '(d) call streaming before kill -9')
    prefix_dir = rundir(r1.file_prefix)
    old_pid = r1.pid
    rc = r1.proc.stop(timeout=5.0, sig=signal.SIGKILL)
    r1.returncode = rc                  # bookkeeping only: keep what it left behind
    m.stop()
    left = sorted(os.listdir(prefix_dir)) if os.path.isdir(prefix_dir) else []
    c.check(rc == -signal.SIGKILL, '(d) sluice killed by SIGKILL (rc %s)' % rc)
    c.check('config' in left, '(d) the killed sluice left %s behind (%s)'
            % (prefix_dir, ', '.join(left)))
    c.check(os.path.exists(pidfile), '(d) and its pidfile')
    ng.close()
    try:
        r2 = Sluice(args.sluice, topo, [a, b], extra_args=extra + ['--pidfile=%s' % pidfile])
    except RelayError as e:
        c.check(False, '(d) restart with the same file prefix: %s' % e)
        pa.close()
        pb.close()
        return
    c.check(True, '(d) restart with file prefix %s started in %.2f s'
            % (r2.file_prefix, r2.startup_s))
    with open(pidfile) as f:
        c.eq(f.read().strip(), str(r2.pid), '(d) pidfile holds the new pid')
    ng = r2.ng_client()
    c.eq(ng.list_calls(), [], '(d) the new sluice knows no call of the killed one')
    pa.close()
    pb.close()
    pa, pb = RtpPeer(a.ns, a.peer_ip, 21000), RtpPeer(b.ns, b.peer_ip, 21000)
    to_b, to_a = call_pair(ng, 'kill-2', a.peer_ip, 21000, b.peer_ip, 21000)
    m = Duplex(pa, pb, to_a, to_b, 'kill-2', max_packets=50).start()
    wait_until(lambda: m.sent_count('a>b') >= 50 and m.sent_count('b>a') >= 50, 5.0)
    m.stop()
    s = m.summary()
    for d in ('a>b', 'b>a'):
        c.check(s[d]['received'] >= 45 and s[d]['foreign'] == 0,
                '(d) new call after the restart relays %s (%d/%d)'
                % (d, s[d]['received'], s[d]['sent']))
    ng.close()
    pa.close()
    pb.close()
    rc2 = r2.proc.stop(timeout=10.0)
    gone = not os.path.isdir(prefix_dir)
    r2.stop()
    c.check(rc2 == 0 and gone, '(d) restarted sluice exits %s on SIGTERM and removes %s '
            '(gone: %s)' % (rc2, prefix_dir, gone))
    print('(d) kill -9 (pid %d) left %s [%s] and the pidfile; restart on the same prefix '
          'ready in %.2f s, new call relayed' % (old_pid, prefix_dir, ', '.join(left),
                                                 r2.startup_s))


# ---------------------------------------------------------------------------------

class Ctx:
    pass


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    parts = set(p.strip() for p in args.only.split(','))
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    extra = ['--port-min=%d' % PORT_MIN, '--port-max=%d' % PORT_MAX, '--delete-delay=0']
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        if parts & {'a', 'b', 'c'}:
            try:
                relay = Sluice(args.sluice, topo, [a, b], extra_args=extra)
            except RelayError as e:
                print('FAIL: sluice did not start: %s' % e)
                return 1
            x = Ctx()
            x.topo, x.relay, x.a, x.b = topo, relay, a, b
            x.ng = relay.ng_client()
            pa, pb = RtpPeer(a.ns, a.peer_ip, 20000), RtpPeer(b.ns, b.peer_ip, 20000)
            to_b, to_a = call_pair(x.ng, 'victim', a.peer_ip, 20000, b.peer_ip, 20000)
            x.media = Duplex(pa, pb, to_a, to_b, 'victim').start()
            c.check(wait_until(lambda: len(pa.rtp_rx) >= 5 and len(pb.rtp_rx) >= 5, 5.0),
                    'victim call streams both ways')
            timing = {}
            for name, fn in (('a', part_a), ('b', part_b), ('c', part_c)):
                if name in parts:
                    t = time.monotonic()
                    try:
                        fn(c, x)
                    except (NgTimeout, OSError, KeyError, ValueError) as e:
                        c.check(False, '(%s) ran without an exception: %r' % (name, e))
                    timing[name] = time.monotonic() - t
            x.media.stop()
            s = x.media.summary()
            for d in ('a>b', 'b>a'):
                c.check(s[d]['received'] > 0.5 * s[d]['sent'] and s[d]['foreign'] == 0,
                        'victim %s over the whole run: %d/%d intact, nothing foreign (%d), '
                        'from %s' % (d, s[d]['received'], s[d]['sent'], s[d]['foreign'],
                                     s[d]['srcs']))
            print('victim over parts %s: a>b %d/%d, b>a %d/%d; part times %s'
                  % (','.join(sorted(timing)), s['a>b']['received'], s['a>b']['sent'],
                     s['b>a']['received'], s['b>a']['sent'],
                     ' '.join('%s=%.1fs' % kv for kv in sorted(timing.items()))))
            pa.close()
            pb.close()
            c.check(relay.stop() == 0, 'sluice exited 0 on SIGTERM')
        if 'd' in parts:
            part_d(c, args, topo, a, b, extra)
    print('(e) ports exhausted: see test_relay.py scenario 9p (not repeated)')
    return c.finish('test_faults', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
