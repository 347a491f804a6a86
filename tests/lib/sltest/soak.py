# SPDX-License-Identifier: BSD-3-Clause
"""Soak: many concurrent calls, steady churn, media, memory and ng latency over time.

    python3 -m sltest.soak [--calls 10000] [--churn 200] [--seconds 600]
                           [--media-calls 1000] [--media-pps 100000] [--sample 10]
                           [--sluice build/sluice] [--loadgen PATH] [--json FILE]

scripts/soak runs this (full size by default); tests/integration/test_soak.py
runs a CI-sized one and checks its result.  As root, inside namespaces it
creates (198.18.0.0/15 only):

  1. sluice on two af_packet ports (one worker lcore), relay ports
     10000-59999, delete-delay 30 s as rtpengine's default;
  2. ramp-up: `calls` calls, offer + answer each (one ng client, serial, as
     one Kamailio worker would); the first `media-calls` of them are the
     media calls and stay up the whole run;
  3. for `seconds`: every other call is churned on an absolute schedule of
     `churn` per second -- the oldest is deleted and a new one set up (offer
     + answer) -- while the C load generator (tests/bench/loadgen.c,
     sl_loadgen) streams RTP both ways through every media call at
     `media-pps` in total, in chunks of at most 120 s; every `sample` s the
     run records calls, churn done, sluice's RSS (VmRSS), the DPDK heap in
     use (telemetry /eal/heap_info), packet buffers in use, ports in use and
     the ng latency percentiles of the interval;
  4. at the end every call the driver believes alive must be in `list`
     (none lost: not timed out, not refused), every media call must have
     carried packets; everything is deleted, every relay port must come
     back, sluice must exit 0 on SIGTERM.

10,000 calls at 50 pps each way would be 1 Mpps: a 2-vCPU VM cannot
generate that.  Media goes through the `media-calls` (default 1,000) only,
and the rate the generator achieved is reported.  Without sl_loadgen
(not built and no C compiler) the run has no media and says so.

Every loop is bounded: the run by `seconds` (<= 3600), ramp-up by its call
count, each ng request by a 2 s timeout (no retries: a lost reply counts).
The result is one JSON document (--json) and a printed summary.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import time

from . import REPO_ROOT
from .itest import Telemetry, dp_stats
from .ng import NgTimeout
from .relay import RelayError, Sluice
from .sdp import build_sdp, parse_sdp
from .topo import Topology

PORT_MIN, PORT_MAX = 10000, 59999
EP_MEDIA0 = 20000               # loadgen sockets: 20000 + 2i on both peers
EP_IDLE0 = 40000                # SDP ports of the calls without media (nobody listens)
MAX_SECONDS = 3600.0
CHUNK_S = 120.0                 # sl_loadgen's limit per run
NG_TIMEOUT = 2.0


def log(msg):
    print('[soak %s] %s' % (time.strftime('%H:%M:%S'), msg), flush=True)


def pct(vals, p):
    if not vals:
        return None
    s = sorted(vals)
    return s[min(len(s) - 1, int(p * len(s)))]


def find_loadgen(explicit, workdir):
    """Path of sl_loadgen: explicit, the build dir's, or compiled here from
    tests/bench/loadgen.c (plain C, no dependencies).  None if impossible."""
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    built = os.path.join(REPO_ROOT, 'build', 'tests', 'bench', 'sl_loadgen')
    if os.access(built, os.X_OK):
        return built
    src = os.path.join(REPO_ROOT, 'tests', 'bench', 'loadgen.c')
    cc = shutil.which('cc') or shutil.which('gcc')
    if not os.path.exists(src) or cc is None:
        return None
    out = os.path.join(workdir, 'sl_loadgen')
    r = subprocess.run([cc, '-O2', '-D_GNU_SOURCE', '-o', out, src], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    if r.returncode != 0:
        log('cannot compile %s: %s' % (src, r.stdout[-500:]))
        return None
    return out


class Ng:
    """ng requests with latency bookkeeping; errors and timeouts are kept."""

    def __init__(self, client):
        self.c = client
        self.lat = []           # seconds, this sample interval
        self.all_lat = []
        self.requests = 0
        self.timeouts = []
        self.errors = []

    def call(self, cmd, **kw):
        t = time.monotonic()
        self.requests += 1
        try:
            r = self.c.call(cmd, check=False, timeout=NG_TIMEOUT, **kw)
        except NgTimeout:
            self.timeouts.append((cmd, kw.get('call_id')))
            return None
        dt = time.monotonic() - t
        self.lat.append(dt)
        self.all_lat.append(dt)
        if r.get('result') != 'ok':
            self.errors.append((cmd, kw.get('call_id'), r.get('error-reason')))
            return None
        return r

    def setup(self, cid, a_ip, a_port, b_ip, b_port):
        off = self.call('offer', call_id=cid, from_tag='f' + cid,
                        sdp=build_sdp(a_ip, a_port, session_id=1, version=1),
                        flags=['trust-address'], direction=['a', 'b'])
        if off is None:
            return None
        ans = self.call('answer', call_id=cid, from_tag='f' + cid, to_tag='t' + cid,
                        sdp=build_sdp(b_ip, b_port, session_id=2, version=2),
                        flags=['trust-address'])
        if ans is None:
            return None
        return (parse_sdp(off['sdp']).audio().port, parse_sdp(ans['sdp']).audio().port)


class Loadgen:
    """sl_loadgen runs back to back over the media calls, in <= 120 s chunks."""

    def __init__(self, topo, binary, a, b, plan, k, pps):
        self.topo, self.binary, self.a, self.b = topo, binary, a, b
        self.plan, self.k, self.pps = plan, k, pps
        self.proc = None
        self.results = []
        self.n = 0

    def start(self, seconds, warmup):
        self.n += 1
        self.proc = self.topo.spawn('loadgen-%d' % self.n, [
            self.binary, '--a', '%s,%s,%d,%d' % (self.a.ns, self.a.peer_ip, EP_MEDIA0, self.k),
            '--b', '%s,%s,%d,%d' % (self.b.ns, self.b.peer_ip, EP_MEDIA0, self.k),
            '--plan', self.plan, '--rate', str(self.pps), '--seconds', '%.1f' % seconds,
            '--warmup', '%.1f' % warmup, '--drain-ms', '300'])

    def poll(self):
        """True while a chunk runs; collects a finished chunk's result."""
        if self.proc is None:
            return False
        if self.proc.poll() is None:
            return True
        try:
            self.results.append(json.loads(self.proc.stdout_text().strip().splitlines()[-1]))
        except (ValueError, IndexError):
            self.results.append({'error': 'rc %s: %s' % (self.proc.poll(), self.proc.tail(3))})
        self.proc = None
        return False

    def stop(self):
        if self.proc is not None:
            self.proc.stop(timeout=5)
            self.poll()


def rss_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def heap_alloc(tel):
    try:
        return tel.query('/eal/heap_info,0')['/eal/heap_info']['Alloc_size']
    except (OSError, KeyError, TypeError, ValueError):
        return None


def soak(args, out=None):
    """Run the soak; returns the result dict (also written to args.json)."""
    seconds = max(5.0, min(args.seconds, MAX_SECONDS))
    n_media = max(0, min(args.media_calls, args.calls, 4000))
    res = {'params': {'calls': args.calls, 'churn_per_s': args.churn, 'seconds': seconds,
                      'media_calls': n_media, 'media_pps_target': args.media_pps,
                      'sample_s': args.sample}, 'samples': [], 'notes': []}
    timeout = max(60, int(2 * args.calls / max(args.churn, 1)) + 60)
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        lg_bin = find_loadgen(args.loadgen, topo.workdir) if n_media else None
        if n_media and lg_bin is None:
            res['notes'].append('no sl_loadgen (not built, no C compiler): no media')
            n_media = 0
        try:
            relay = Sluice(args.sluice, topo, [a, b], log_level=args.log_level, extra_args=[
                '--port-min=%d' % PORT_MIN, '--port-max=%d' % PORT_MAX,
                '--delete-delay=%d' % args.delete_delay, '--timeout=%d' % timeout,
                '--offer-timeout=%d' % timeout])
        except RelayError as e:
            res['error'] = 'sluice did not start: %s' % e
            return res
        res['sluice_cmd'] = relay.command_line()
        ng = Ng(relay.ng_client())
        stc = relay.ng_client()               # statistics and list, apart from the timed client
        tel = Telemetry(relay.file_prefix)
        alive = {}                            # cid -> media?
        churnable = collections.deque()
        seq = 0

        def new_call(media_idx=None):
            nonlocal seq
            cid = 'soak-%07d' % seq
            seq += 1
            if media_idx is not None:
                pa = pb = EP_MEDIA0 + 2 * media_idx
            else:
                pa = pb = EP_IDLE0 + 2 * (seq % 9000)
            ports = ng.setup(cid, a.peer_ip, pa, b.peer_ip, pb)
            if ports is None:
                return None
            alive[cid] = media_idx is not None
            if media_idx is None:
                churnable.append(cid)
            return ports

        # --- ramp-up ------------------------------------------------------------
        t0 = time.monotonic()
        plan_lines = []
        for i in range(args.calls):
            ports = new_call(i if i < n_media else None)
            if i < n_media and ports is not None:
                to_b_port, to_a_port = ports
                plan_lines.append('%d %s %d %d %s %d' % (i, a.relay_ip, to_a_port, i,
                                                         b.relay_ip, to_b_port))
            if len(ng.errors) + len(ng.timeouts) > 20:
                break
        t_ramp = time.monotonic() - t0
        res['ramp'] = {'calls': len(alive), 'seconds': round(t_ramp, 2),
                       'setups_per_s': round(len(alive) / t_ramp, 1) if t_ramp else None,
                       'ng_p50_ms': _ms(pct(ng.lat, 0.5)), 'ng_p99_ms': _ms(pct(ng.lat, 0.99))}
        log('ramp-up: %d calls in %.1f s (%.0f/s), ng p50 %s ms p99 %s ms'
            % (len(alive), t_ramp, len(alive) / max(t_ramp, 1e-9), res['ramp']['ng_p50_ms'],
               res['ramp']['ng_p99_ms']))
        ng.lat = []
        lg = None
        if n_media and plan_lines:
            plan = os.path.join(topo.workdir, 'soak.plan')
            with open(plan, 'w') as f:
                f.write('\n'.join(plan_lines) + '\n')
            lg = Loadgen(topo, lg_bin, a, b, plan, len(plan_lines), args.media_pps)

        # --- steady state: churn + media + samples ------------------------------
        st_begin = dp_stats(stc)
        tc = time.monotonic()
        t_end = tc + seconds
        next_sample = tc
        done_ops = 0
        done_last = 0
        lg_first = True
        while True:
            now = time.monotonic()
            if now >= t_end:
                break
            if lg is not None and not lg.poll():
                # chunks end (warm-up, run, drain) about 1 s before the run does
                warm = 1.0 if lg_first else 0.2
                left = t_end - now - warm - 1.5
                if left > 2.0:
                    lg.start(min(CHUNK_S, left), warm)
                    lg_first = False
            if now >= next_sample:
                s = sample(relay, stc, tel, ng, alive, now - tc, done_ops - done_last,
                           args.sample if now > tc else 0)
                done_last = done_ops
                res['samples'].append(s)
                if out:
                    out(s)
                next_sample += args.sample
            due = int((now - tc) * args.churn)
            burst = 0
            while done_ops < due and burst < max(1, args.churn // 10):
                if churnable:
                    old = churnable.popleft()
                    if ng.call('delete', call_id=old) is not None:
                        alive.pop(old, None)
                new_call()
                done_ops += 1
                burst += 1
            if done_ops >= due:
                time.sleep(min(0.01, max(0.0, t_end - time.monotonic())))
        t_churn = time.monotonic() - tc
        if lg is not None:
            deadline = time.monotonic() + 10.0
            while lg.poll() and time.monotonic() < deadline:
                time.sleep(0.1)
            lg.stop()
        res['samples'].append(sample(relay, stc, tel, ng, alive, t_churn,
                                     done_ops - done_last, args.sample))
        if out:
            out(res['samples'][-1])
        st_end = dp_stats(stc)

        # --- verdict ---------------------------------------------------------------
        # every call the driver holds must still be there (`list` does not fit one
        # datagram beyond a few thousand calls: one query each, off the latency books)
        lost, media_dead = [], []
        for cid, media in alive.items():
            try:
                q = stc.call('query', check=False, timeout=NG_TIMEOUT, call_id=cid)
            except NgTimeout:
                q = {'result': 'timeout'}
            if q.get('result') != 'ok':
                lost.append('%s (%s %s)' % (cid, q.get('result'), q.get('error-reason')))
            elif media and not int(((q.get('totals') or {}).get('RTP') or {}).get('packets', 0)):
                media_dead.append(cid)
        lost.sort()
        tot = stc.statistics()['statistics']['totalstatistics']
        listed = st_now(stc)['currentstatistics']['sessionsown']
        lgs = [r for r in (lg.results if lg else []) if 'error' not in r]
        sent = sum(r['sent'] for r in lgs)
        recv = sum(r['received'] for r in lgs)
        secs = sum(r['seconds'] for r in lgs)
        res['churn'] = {'ops': done_ops, 'seconds': round(t_churn, 1),
                        'per_s': round(done_ops / t_churn, 1) if t_churn else None}
        res['ng'] = {'requests': ng.requests, 'timeouts': len(ng.timeouts),
                     'errors': len(ng.errors), 'error_examples': ng.errors[:5],
                     'timeout_examples': ng.timeouts[:5],
                     'p50_ms': _ms(pct(ng.all_lat, 0.5)), 'p99_ms': _ms(pct(ng.all_lat, 0.99)),
                     'max_ms': _ms(max(ng.all_lat) if ng.all_lat else None)}
        res['media'] = {'chunks': len(lg.results) if lg else 0,
                        'chunk_errors': [r['error'] for r in (lg.results if lg else [])
                                         if 'error' in r],
                        'sent': sent, 'received': recv,
                        'loss_pct': round(100.0 * (sent - recv) / sent, 4) if sent else None,
                        'achieved_pps': round(sent / secs) if secs else 0,
                        'invalid': sum(r.get('invalid', 0) for r in lgs),
                        'lat_p50_us_max': max((r['lat_us']['p50'] for r in lgs), default=None),
                        'lat_p99_us_max': max((r['lat_us']['p99'] for r in lgs), default=None),
                        'media_calls_without_packets': len(media_dead),
                        'relay_fwd_pkts': st_end['fwd_pkts'] - st_begin['fwd_pkts'],
                        'relay_drops': {k: st_end[k] - st_begin[k] for k in st_end
                                        if k.startswith('drop_') and st_end[k] - st_begin[k]}}
        res['calls'] = {'alive_expected': len(alive), 'listed': listed, 'lost': len(lost),
                        'lost_examples': lost[:5], 'timeouts_by_relay': tot['timeoutsessions'] +
                        tot['offertimeoutsessions'], 'created': seq}

        # --- clean-up ---------------------------------------------------------------
        for cid in list(alive):
            ng.call('delete', call_id=cid)
        deadline = time.monotonic() + args.delete_delay + 15
        used = None
        while time.monotonic() < deadline:
            ifs = stc.statistics()['statistics']['interfaces']
            used = {i['name']: i['ports_used'] for i in ifs}
            if not any(used.values()):
                break
            time.sleep(0.5)
        res['ports_used_after'] = used
        tel.close()
        res['sluice_rc'] = relay.stop()
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(res, f, indent=1)
    return res


def st_now(stc):
    return stc.statistics()['statistics']


def _ms(v):
    return None if v is None else round(1000.0 * v, 2)


def sample(relay, stc, tel, ng, alive, t, ops, interval):
    st = stc.statistics()['statistics']
    lat = ng.lat
    ng.lat = []
    s = {'t_s': round(t, 1), 'calls_relay': st['currentstatistics']['sessionsown'],
         'calls_driver': len(alive), 'churn_per_s': round(ops / interval, 1) if interval else 0,
         'rss_kb': rss_kb(relay.pid), 'dpdk_heap_alloc': heap_alloc(tel),
         'mbufs_in_use': st['dataplane'].get('mbufs_in_use'),
         'ports_used': sum(i['ports_used'] for i in st['interfaces']),
         'fwd_pkts': st['dataplane']['fwd_pkts'], 'ng_n': len(lat),
         'ng_p50_ms': _ms(pct(lat, 0.5)), 'ng_p99_ms': _ms(pct(lat, 0.99)),
         'ng_max_ms': _ms(max(lat) if lat else None),
         'ng_errors': len(ng.errors), 'ng_timeouts': len(ng.timeouts)}
    return s


def print_sample(s, prev=[None]):
    p = prev[0]
    pps = ''
    if p is not None and s['t_s'] > p['t_s']:
        pps = '%7.0f' % ((s['fwd_pkts'] - p['fwd_pkts']) / (s['t_s'] - p['t_s']))
    prev[0] = s
    log('t=%6.1fs calls %6d (driver %6d) churn %6.1f/s fwd_pps %7s rss %7s kB heap %9s B '
        'mbufs %5s ports %6d ng p50 %6s p99 %6s max %7s ms (%d req, %d err, %d lost)'
        % (s['t_s'], s['calls_relay'], s['calls_driver'], s['churn_per_s'], pps or '-',
           s['rss_kb'], s['dpdk_heap_alloc'], s['mbufs_in_use'], s['ports_used'],
           s['ng_p50_ms'], s['ng_p99_ms'], s['ng_max_ms'], s['ng_n'], s['ng_errors'],
           s['ng_timeouts']))


def summary(res):
    lines = []
    p = res['params']
    lines.append('soak: %d calls, churn %d/s, %ds, media through %d calls at %d pps target'
                 % (p['calls'], p['churn_per_s'], p['seconds'], p['media_calls'],
                    p['media_pps_target']))
    if 'error' in res:
        return '\n'.join(lines + ['ERROR: ' + res['error']])
    lines.append('  ramp-up: %(calls)d calls in %(seconds)s s (%(setups_per_s)s setups/s)'
                 % res['ramp'])
    lines.append('  churn: %(ops)d setups+teardowns in %(seconds)s s = %(per_s)s/s' % res['churn'])
    n = res['ng']
    lines.append('  ng: %d requests, latency p50 %s ms p99 %s ms max %s ms, %d timeouts, '
                 '%d errors %s' % (n['requests'], n['p50_ms'], n['p99_ms'], n['max_ms'],
                                   n['timeouts'], n['errors'], n['error_examples'] or ''))
    m = res['media']
    lines.append('  media: %d loadgen chunks, %d sent / %d received (loss %s %%), %d pps '
                 'achieved, latency p50 <= %s us p99 <= %s us, invalid %d; relay fwd %d; '
                 'media calls without packets %d; drops %s'
                 % (m['chunks'], m['sent'], m['received'], m['loss_pct'], m['achieved_pps'],
                    m['lat_p50_us_max'], m['lat_p99_us_max'], m['invalid'], m['relay_fwd_pkts'],
                    m['media_calls_without_packets'], m['relay_drops'] or '{}'))
    c = res['calls']
    lines.append('  calls: %d created, %d alive at the end (relay holds %d incl. delete-delay), '
                 'lost %d %s, '
                 'relay timeouts %d' % (c['created'], c['alive_expected'], c['listed'],
                                        c['lost'], c['lost_examples'] or '',
                                        c['timeouts_by_relay']))
    ss = res['samples']
    if ss:
        rss = [s['rss_kb'] for s in ss if s['rss_kb']]
        heap = [s['dpdk_heap_alloc'] for s in ss if s['dpdk_heap_alloc']]
        lines.append('  memory: RSS %s..%s kB, DPDK heap in use %s..%s B over %d samples'
                     % (min(rss, default=None), max(rss, default=None),
                        min(heap, default=None), max(heap, default=None), len(ss)))
    lines.append('  ports in use after the clean-up: %s; sluice exit %s'
                 % (res.get('ports_used_after'), res.get('sluice_rc')))
    for note in res['notes']:
        lines.append('  note: ' + note)
    return '\n'.join(lines)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'))
    ap.add_argument('--calls', type=int, default=10000)
    ap.add_argument('--churn', type=int, default=200, help='setups+teardowns per second')
    ap.add_argument('--seconds', type=float, default=600.0)
    ap.add_argument('--media-calls', type=int, default=1000)
    ap.add_argument('--media-pps', type=int, default=100000,
                    help='total RTP rate over both directions of the media calls')
    ap.add_argument('--sample', type=float, default=10.0)
    ap.add_argument('--delete-delay', type=int, default=30)
    ap.add_argument('--loadgen', default=None, help='sl_loadgen binary (default: find/build)')
    ap.add_argument('--json', default=None, help='write the result here')
    ap.add_argument('--log-level', type=int, default=5, help="sluice's --log-level (5)")
    ap.add_argument('--keep', action='store_true')
    a = ap.parse_args(argv)
    a.calls = max(1, min(a.calls, 20000))
    a.churn = max(0, min(a.churn, 2000))
    a.sample = max(1.0, a.sample)
    return a


def main(argv=None):
    if os.geteuid() != 0:
        print('SKIP: needs root (network namespaces, DPDK)')
        return 77
    args = parse_args(argv)
    if not os.access(args.sluice, os.X_OK):
        print('sluice binary %s not found' % args.sluice)
        return 1
    res = soak(args, out=print_sample)
    print(summary(res))
    return 0 if verdict(res) == [] else 1


def verdict(res, mem_bound_kb=65536):
    """Failed conditions (list of strings; empty = pass)."""
    bad = []
    if 'error' in res:
        return [res['error']]
    if res['calls']['lost']:
        bad.append('%d calls lost' % res['calls']['lost'])
    if res['ng']['timeouts'] or res['ng']['errors']:
        bad.append('ng: %d timeouts, %d errors' % (res['ng']['timeouts'], res['ng']['errors']))
    if res['media']['media_calls_without_packets']:
        bad.append('%d media calls carried nothing' % res['media']['media_calls_without_packets'])
    if any((res.get('ports_used_after') or {'?': 1}).values()):
        bad.append('ports still used after the clean-up: %s' % res.get('ports_used_after'))
    if res.get('sluice_rc') != 0:
        bad.append('sluice exit %s' % res.get('sluice_rc'))
    rss = [s['rss_kb'] for s in res['samples'][1:] if s['rss_kb']]
    if rss and max(rss) - min(rss) > mem_bound_kb:
        bad.append('RSS grew %d kB after warm-up' % (max(rss) - min(rss)))
    return bad


if __name__ == '__main__':
    sys.exit(main())
