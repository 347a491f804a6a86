#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""--ng-allow and the warning for an ng socket reachable from elsewhere.

The core netns (sluice) gets a kernel veth to a client netns, standing in
for Kamailio hosts on the control network:

    core  <p>k0   198.18.100.1/24      2001:db8:100::1/64    ng listens here
    ngc   <p>k1   198.18.100.10, .20   2001:db8:100::10, ::20

Clients bind their source address: .10 and ::10 are inside the allow-list,
.20 and ::20 outside.  DPDK serves media endpoint "a" as usual (sluice
needs one interface); ng itself is plain kernel UDP.

(a) --ng-allow=127.0.0.1 --ng-allow=198.18.100.8/29
    --ng-allow=2001:db8:100::10, ng on 198.18.100.1:2223,
    [2001:db8:100::1]:2223, [::]:2224 (dual stack: an IPv4 client arrives
    as ::ffff:a.b.c.d) and the harness's 127.0.0.1:2223.  Allowed sources
    get replies (ping, offer, query, delete); denied ones get nothing for a
    ping, garbage or an offer, their offer creates no call, and
    statistics.controlstatistics.totaldeniedcount, /metrics
    sluice_ng_denied_total and telemetry /sluice/totals ng_denied all equal
    the number of datagrams they sent.  No "not a loopback" warning.
(b) no --ng-allow, ng on 198.18.100.1:2223 too: a WARNING names that
    address (not 127.0.0.1:2223), both sources are answered, nothing denied.
(c) bad --ng-allow values: exit 1 before EAL starts, one stderr line
    naming the option and the value.

"No reply" is decided without long waits: after the denied datagrams an
allowed client pings the same socket; sluice reads a socket in order, so
once that pong is back any reply to the denied ones would be queued too.

Usage (root): python3 tests/integration/test_ngallow.py --sluice build/sluice
Exit: 0 pass, 1 fail, 77 skip.
"""

import os
import re
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest.itest import Checks, Telemetry, common_args, preflight, rundir  # noqa: E402
from sltest.netns import ip, netns_socket  # noqa: E402
from sltest.ng import NgClient, NgTimeout, bencode  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.sdp import build_sdp  # noqa: E402
from sltest.topo import NS_PREFIX, Topology  # noqa: E402

CORE4, CORE6 = '198.18.100.1', '2001:db8:100::1'
OK4, BAD4 = '198.18.100.10', '198.18.100.20'
OK6, BAD6 = '2001:db8:100::10', '2001:db8:100::20'
ALLOW = ['127.0.0.1', '198.18.100.8/29', OK6]
HTTP_PORT = 9107
REPLY_WAIT = 0.3          # s after the allowed pong for a stray reply to show


class BoundClient(NgClient):
    """NgClient whose socket sends from a chosen source address."""

    def __init__(self, ns, src, addr):
        super().__init__(ns, addr)
        self.sock.close()
        family = socket.AF_INET6 if ':' in src else socket.AF_INET
        self.sock = netns_socket(ns, family, socket.SOCK_DGRAM)
        self.sock.bind((src, 0))
        self.sock.connect(self.addr)
        self.src = src

    def send(self, data):
        self.sock.send(data)

    def pending(self):
        """Datagrams (and ICMP errors) waiting on the socket, without blocking."""
        got = []
        self.sock.setblocking(False)
        try:
            for _ in range(100):
                try:
                    got.append(self.sock.recv(65535))
                except ConnectionRefusedError:
                    got.append(b'<icmp unreachable>')
        except BlockingIOError:
            pass
        finally:
            self.sock.setblocking(True)
        return got


def add_client_ns(topo):
    """Client netns joined to core by a kernel veth (removed at topology close)."""
    ns = '%s%s-ngc' % (NS_PREFIX, topo.id)
    ip('netns', 'add', ns)
    # close hooks run after the processes stopped: the netns goes with its veth
    topo.on_close(lambda: ip('netns', 'del', ns, check=False))
    ip('link', 'set', 'lo', 'up', ns=ns)
    ip('link', 'add', 'ngk0', 'type', 'veth', 'peer', 'name', 'ngk1', 'netns', ns,
       ns=topo.core)
    ip('addr', 'add', CORE4 + '/24', 'dev', 'ngk0', ns=topo.core)
    ip('addr', 'add', CORE6 + '/64', 'dev', 'ngk0', 'nodad', ns=topo.core)
    ip('link', 'set', 'ngk0', 'up', ns=topo.core)
    for a in (OK4, BAD4):
        ip('addr', 'add', a + '/24', 'dev', 'ngk1', ns=ns)
    for a in (OK6, BAD6):
        ip('addr', 'add', a + '/64', 'dev', 'ngk1', 'nodad', ns=ns)
    ip('link', 'set', 'ngk1', 'up', ns=ns)
    return ns


def http_get(ns, port, path):
    """GET on 127.0.0.1 in netns `ns`; (status, body)."""
    s = netns_socket(ns, socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    data = b''
    try:
        s.connect(('127.0.0.1', port))
        s.sendall(('GET %s HTTP/1.0\r\nHost: x\r\n\r\n' % path).encode())
        while len(data) < (1 << 22):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b'\r\n\r\n')
    return int(head.split()[1]), body.decode()


def metric(body, name):
    m = re.search(r'^%s (\d+)$' % re.escape(name), body, re.M)
    return int(m.group(1)) if m else None


def denied_count(ng):
    st = ng.statistics()['statistics']['controlstatistics']
    return st.get('totaldeniedcount')


def ping_ok(cl, timeout=2.0):
    try:
        return cl.request({'command': 'ping'}, timeout=timeout, retries=2).get('result') == 'pong'
    except NgTimeout:
        return False


def silent_after(denied, allowed, c, what):
    """Check that `denied` got nothing: allowed's pong on the same socket comes after."""
    ok = c.check(ping_ok(allowed), '%s: the allowed client %s is answered on the same socket'
                 % (what, allowed.src))
    time.sleep(REPLY_WAIT)
    got = denied.pending()
    c.check(ok and got == [], '%s: no reply to %s (got %r)' % (what, denied.src, got[:2]))


def part_allow(c, args, topo, a, cns):
    extra = ['--listen-ng=%s:2223' % CORE4, '--listen-ng=[%s]:2223' % CORE6,
             '--listen-ng=[::]:2224', '--listen-http=127.0.0.1:%d' % HTTP_PORT]
    extra += ['--ng-allow=%s' % n for n in ALLOW]
    relay = Sluice(args.sluice, topo, [a], extra_args=extra)
    ok4, bad4 = BoundClient(cns, OK4, (CORE4, 2223)), BoundClient(cns, BAD4, (CORE4, 2223))
    ok6, bad6 = BoundClient(cns, OK6, (CORE6, 2223)), BoundClient(cns, BAD6, (CORE6, 2223))
    okm, badm = BoundClient(cns, OK4, (CORE4, 2224)), BoundClient(cns, BAD4, (CORE4, 2224))
    try:
        # allowed: the whole exchange works
        c.check(ping_ok(ok4) and ping_ok(ok6) and ping_ok(okm),
                '(a) allowed sources answered: %s, %s, %s via [::]:2224' % (OK4, OK6, OK4))
        off = ok4.offer('na-ok', 'ft', build_sdp(a.peer_ip, 20000), direction=['a', 'a'],
                        check=False)
        c.check(off.get('result') == 'ok' and 'sdp' in off,
                '(a) offer from %s answered (%s)' % (OK4, off.get('result')))
        q = ok6.call('query', check=False, call_id='na-ok')
        c.check(q.get('result') == 'ok', '(a) query from %s sees the call' % OK6)
        c.check(ok4.call('delete', check=False, call_id='na-ok').get('result') == 'ok',
                '(a) delete answered')

        # denied: nothing at all, whatever is sent
        before = denied_count(ok4)
        c.eq(before, 0, '(a) totaldeniedcount before the denied clients')
        offer = bencode({'command': 'offer', 'call-id': 'na-bad', 'from-tag': 'ft',
                         'sdp': build_sdp(a.peer_ip, 20002), 'direction': ['a', 'a']})
        sent = 0
        for data in (b'b1 d7:command4:pinge', b'b2 garbage', b'b3 ' + offer):
            bad4.send(data)
            sent += 1
        silent_after(bad4, ok4, c, '(a) IPv4 ping/garbage/offer')
        bad6.send(b'b4 d7:command4:pinge')
        sent += 1
        silent_after(bad6, ok6, c, '(a) IPv6 ping')
        badm.send(b'b5 d7:command4:pinge')
        sent += 1
        silent_after(badm, okm, c, '(a) IPv4 ping to the dual-stack [::]:2224')
        q = ok4.call('query', check=False, call_id='na-bad')
        c.check(q.get('result') == 'error', '(a) the denied offer created no call (%s)'
                % q.get('error-reason'))

        got = denied_count(ok4)
        c.eq(got, sent, '(a) statistics controlstatistics.totaldeniedcount')
        status, body = http_get(topo.core, HTTP_PORT, '/metrics')
        c.eq((status, metric(body, 'sluice_ng_denied_total')), (200, sent),
             '(a) /metrics sluice_ng_denied_total')
        try:
            tel = Telemetry(relay.file_prefix)
            tot = tel.query('/sluice/totals').get('/sluice/totals') or {}
            tel.close()
        except OSError as e:
            tot = {'error': str(e)}
        c.eq(tot.get('ng_denied'), sent, '(a) telemetry /sluice/totals ng_denied')
        print('(a) %d datagrams from %s/%s dropped unanswered; counters: statistics %s, '
              'metrics %s, telemetry %s' % (sent, BAD4, BAD6, got,
                                            metric(body, 'sluice_ng_denied_total'),
                                            tot.get('ng_denied')))
    finally:
        for cl in (ok4, bad4, ok6, bad6, okm, badm):
            cl.close()
        rc = relay.stop()
    log = relay.log_text()
    c.check(rc == 0, '(a) sluice exits 0 (%s)' % rc)
    c.check('not a loopback address' not in log, '(a) no warning with an allow-list')
    c.check(re.search(r'\[NOTICE\] ng: answering ng only from the 3 network', log),
            '(a) the allow-list is logged at start')


def part_open(c, args, topo, a, cns):
    relay = Sluice(args.sluice, topo, [a], extra_args=['--listen-ng=%s:2223' % CORE4])
    ok4, bad4 = BoundClient(cns, OK4, (CORE4, 2223)), BoundClient(cns, BAD4, (CORE4, 2223))
    try:
        c.check(ping_ok(ok4) and ping_ok(bad4),
                '(b) without --ng-allow every source is answered (%s, %s)' % (OK4, BAD4))
        c.eq(denied_count(ok4), 0, '(b) totaldeniedcount')
    finally:
        ok4.close()
        bad4.close()
        rc = relay.stop()
    log = relay.log_text()
    warn = [ln for ln in log.splitlines() if 'not a loopback address' in ln]
    c.check(rc == 0, '(b) sluice exits 0 (%s)' % rc)
    c.check(len(warn) == 1 and '[WARNING]' in warn[0] and '%s:2223' % CORE4 in warn[0]
            and '--ng-allow' in warn[0],
            '(b) one WARNING for --listen-ng=%s:2223, none for 127.0.0.1: %s' % (CORE4, warn))
    print('(b) %s' % (warn[0].strip() if warn else 'no warning'))


def part_bad(c, args, topo, a):
    prefix = '%sbad' % topo.tag
    eal = ['--', '-l', '0-1', '--no-pci', '--no-huge', '-m', '64', '--file-prefix=' + prefix]
    for val in ('198.18.0.1/15', '198.18.0.0/33', '2001:db8::/129', 'kamailio.example',
                '198.18.0.0/', ''):
        res = topo.run(None, [args.sluice, '--foreground', '--interface=a/%s' % a.relay_ip,
                              '--ng-allow=' + val] + eal, check=False, timeout=30)
        lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
        c.check(res.returncode == 1 and len(lines) == 1 and '--ng-allow' in lines[0]
                and (val == '' or val in lines[0]),
                '(c) --ng-allow=%r: exit 1 and one stderr line naming it (exit %s: %s)'
                % (val, res.returncode, lines[:3]))
        print('(c) --ng-allow=%-18r exit %s: %s' % (val, res.returncode, ' | '.join(lines[:2])))
    c.check(not os.path.exists(rundir(prefix)), '(c) no DPDK runtime dir from the failed starts')


def main():
    args = common_args(__doc__.splitlines()[0]).parse_args()
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        cns = add_client_ns(topo)
        try:
            part_allow(c, args, topo, a, cns)
            part_open(c, args, topo, a, cns)
        except (RelayError, NgTimeout, OSError) as e:
            c.check(False, 'scenario raised %s: %s' % (type(e).__name__, e))
        part_bad(c, args, topo, a)
    return c.finish('test_ngallow', t_begin)


if __name__ == '__main__':
    sys.exit(main())
