#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice's DPDK telemetry commands and Prometheus /metrics.

A call with media runs through sluice; then dpdk-telemetry.py (Debian
dpdk-dev) reads every /sluice/ command over the telemetry socket of
sluice's file prefix. The test fails unless each command answers with the
values the call produced (its call-id listed, its streams' counters, the
totals, per-lcore cycles, per-port packets, ring fill levels), and unless
GET /metrics on --listen-http parses as Prometheus text exposition with the
same figures.

Usage (root): python3 tests/integration/test_telemetry.py --sluice build/sluice
Exit: 0 pass, 1 fail, 77 skip.
"""

import argparse
import json
import os
import re
import socket
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.relay import make_relay  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, verify_rtp  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
from sltest.netns import netns_socket  # noqa: E402
from sltest.topo import Topology  # noqa: E402

SKIP = 77
COMMANDS = ['/sluice/totals', '/sluice/calls', '/sluice/call', '/sluice/lcores',
            '/sluice/ports', '/sluice/rings']


def telemetry(prefix, cmds):
    """Run DPDK's client; one JSON object per command."""
    out = subprocess.run(['dpdk-telemetry.py', '-f', prefix], input='\n'.join(cmds) + '\n',
                         capture_output=True, text=True, timeout=30)
    replies = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith('{'):
            obj = json.loads(line)
            replies.update(obj)
    return replies


def http_get(ns, port, path):
    """GET over a TCP socket opened in the relay's netns; (status, body)."""
    s = netns_socket(ns, socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(('127.0.0.1', port))
        s.sendall(('GET %s HTTP/1.0\r\nHost: x\r\n\r\n' % path).encode())
        data = b''
        while len(data) < (1 << 22):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b'\r\n\r\n')
    return int(head.split()[1]), body.decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*"'
                    r'(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*)?\})? (-?[0-9.eE+]+)$')


def parse_prometheus(text):
    """Strict text exposition parse: {(name, labels): value}; raises on bad lines."""
    out, typed = {}, set()
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith('# HELP ') or line.startswith('# TYPE '):
            if line.startswith('# TYPE '):
                typed.add(line.split()[2])
            continue
        m = SAMPLE.match(line)
        if m is None:
            raise ValueError('bad exposition line: %r' % line)
        if m.group(1) not in typed:
            raise ValueError('sample before its # TYPE: %r' % line)
        out[(m.group(1), m.group(3) or '')] = float(m.group(5))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'))
    args = ap.parse_args()
    if os.geteuid() != 0 or shutil.which('dpdk-telemetry.py') is None:
        print('SKIP: needs root and dpdk-telemetry.py')
        return SKIP
    failures = []

    def check(cond, what):
        print('%s: %s' % ('ok' if cond else 'FAIL', what))
        if not cond:
            failures.append(what)

    with Topology() as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        relay = make_relay('sluice', topo, [a, b], sluice_binary=args.sluice,
                           extra_args=['--listen-http=127.0.0.1:9101'])
        ng = relay.ng_client()
        pa, pb = RtpPeer(a.ns, a.peer_ip, 20000), RtpPeer(b.ns, b.peer_ip, 22000)
        off = ng.offer('tel-1', 'ft', build_sdp(a.peer_ip, 20000), direction=['a', 'b'])
        ans = ng.answer('tel-1', 'ft', 'tt', build_sdp(b.peer_ip, 22000))
        to_b, to_a = parse_sdp(off['sdp']).audio(), parse_sdp(ans['sdp']).audio()
        pat = Pattern('tel-1', 'a>b')
        pb.start_capture(max_packets=1000, max_seconds=10)
        pa.send_stream((to_a.addr, to_a.port), 40, 20, pat)
        pb.stop_capture()
        got = verify_rtp(pb.captured(), pat)['valid']
        check(got == 40, 'media crossed before reading telemetry (%d/40)' % got)

        cmds = [c if c != '/sluice/call' else '/sluice/call,tel-1' for c in COMMANDS]
        cmds += ['/help,/sluice/call']
        r = telemetry(relay.file_prefix, cmds)
        bad = telemetry(relay.file_prefix, ['/sluice/call,no-such-call', '/sluice/calls'])
        for c in COMMANDS:
            check(c in r and r[c] is not None, '%s answers' % c)

        tot = r.get('/sluice/totals') or {}
        check(tot.get('calls') == 1 and tot.get('calls_managed') == 1, 'totals: one call')
        check(tot.get('dp_fwd_pkts', 0) >= 40, 'totals: dp_fwd_pkts %s >= 40'
              % tot.get('dp_fwd_pkts'))
        check(tot.get('ng_requests', 0) >= 2, 'totals: ng requests counted')
        check('dp_drop_strict' in tot and 'dp_held' in tot, 'totals: every dp counter present')

        check(r.get('/sluice/calls') == ['tel-1'], 'calls lists the call-id: %s'
              % r.get('/sluice/calls'))

        call = r.get('/sluice/call') or {}
        check(call.get('call_id') == 'tel-1' and call.get('state') == 'active', 'call: id/state')
        check(call.get('p0_tag') == 'ft' and call.get('p1_tag') == 'tt', 'call: both tags')
        check(call.get('p0_m1_rtp_local_port') == to_a.port, 'call: caller-facing port %s'
              % call.get('p0_m1_rtp_local_port'))
        check(call.get('p0_m1_rtp_packets') == 40, 'call: packets in from caller = 40 (%s)'
              % call.get('p0_m1_rtp_packets'))
        check(call.get('p1_m1_rtp_packets_out') == 40, 'call: packets out to callee = 40 (%s)'
              % call.get('p1_m1_rtp_packets_out'))
        check(call.get('p0_m1_rtp_endpoint') == '198.18.1.10:20000', 'call: latched endpoint %s'
              % call.get('p0_m1_rtp_endpoint'))

        lc = r.get('/sluice/lcores') or {}
        check(lc.get('workers') == 1 and len(lc.get('busy_cycles', [])) == 1, 'lcores: one worker')
        check(lc.get('busy_cycles', [0])[0] > 0 and lc.get('idle_cycles', [0])[0] > 0,
              'lcores: busy and idle cycles counted')
        check(lc.get('poll_mode') == 'adaptive', 'lcores: adaptive polling on virtual ports')

        ports = r.get('/sluice/ports') or {}
        check(ports.get('port') == [0, 1], 'ports: both DPDK ports')
        check(sum(ports.get('ipackets', [])) >= 40, 'ports: packets received')

        rings = r.get('/sluice/rings') or {}
        check(rings.get('mailbox_queued') == [0] and rings.get('handoff_drops') == [0],
              'rings: mailbox drained, no hand-off drops')

        check('/help' in r and 'call-id' in json.dumps(r['/help']), 'help text registered')
        check(bad.get('/sluice/call') is None and bad.get('/sluice/calls') == ['tel-1'],
              'unknown call-id: null reply, the socket keeps answering')
        status, body = http_get(topo.core, 9101, '/metrics')
        check(status == 200, '/metrics answers 200')
        try:
            prom = parse_prometheus(body)
            check(True, '/metrics parses as Prometheus text (%d samples)' % len(prom))
        except ValueError as e:
            prom = {}
            check(False, str(e))
        check(prom.get(('rtpengine_sessions', 'type="own"')) == 1, 'metrics: one session')
        check(prom.get(('rtpengine_sessions_total', '')) == 1, 'metrics: sessions_total')
        check(prom.get(('sluice_dataplane_total', 'counter="fwd_pkts"'), 0) >= 40,
              'metrics: forwarded packets')
        check(prom.get(('rtpengine_requests_total', 'request="offer"')) == 1,
              'metrics: one offer request')
        check(any(k[0] == 'rtpengine_ports_free' for k in prom), 'metrics: free ports')
        check(any(k[0] == 'sluice_lcore_cycles_total' for k in prom), 'metrics: lcore cycles')
        check(http_get(topo.core, 9101, '/ping') == (200, 'pong'), '/ping answers pong')
        check(http_get(topo.core, 9101, '/nope')[0] == 404, 'unknown path: 404')
        check(relay.stop() == 0, 'sluice exits 0')

    print('%s: %d failure(s)' % ('PASS' if not failures else 'FAIL', len(failures)))
    return 0 if not failures else 1


if __name__ == '__main__':
    sys.exit(main())
