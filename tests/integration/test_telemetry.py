#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""sluice's DPDK telemetry commands, read with DPDK's own client.

A call with media runs through sluice; then dpdk-telemetry.py (Debian
dpdk-dev) reads every /sluice/ command over the telemetry socket of
sluice's file prefix. The test fails unless each command answers with the
values the call produced (its call-id listed, its streams' counters, the
totals, per-lcore cycles, per-port packets, ring fill levels).

Usage (root): python3 tests/integration/test_telemetry.py --sluice build/sluice
Exit: 0 pass, 1 fail, 77 skip.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.relay import make_relay  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, verify_rtp  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
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
        relay = make_relay('sluice', topo, [a, b], sluice_binary=args.sluice)
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
        check(relay.stop() == 0, 'sluice exits 0')

    print('%s: %d failure(s)' % ('PASS' if not failures else 'FAIL', len(failures)))
    return 0 if not failures else 1


if __name__ == '__main__':
    sys.exit(main())
