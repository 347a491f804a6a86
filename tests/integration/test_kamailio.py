#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""End-to-end: Kamailio 5.6 drives the relay over ng while two SIP UAs call.

    caller (netns a, 198.18.1.10) --RTP--> relay a-side 198.18.1.1
                                           relay b-side 198.18.2.1 --RTP--> callee (netns b)
    SIP: caller 127.0.0.1:5061 -> Kamailio 127.0.0.1:5060 -> callee 127.0.0.1:5070 (core netns)

Kamailio calls rtpengine_manage("replace-origin trust-address") on INVITE
(plus direction=a direction=b), the 200 and BYE.  The test passes when:
  * the INVITE reaching the callee has the relay's b-side address in c=
    (and not the caller's), and the 200 reaching the caller has the relay's
    a-side address;
  * each direction received >= 90 % of the RTP packets sent, with every
    payload byte intact (pattern check), from the address:port the relay
    advertised (symmetric RTP), and no foreign/altered packet;
  * RTCP crossed in both directions (>= 90 %, at least one, CNAME checked);
  * Kamailio logged offer, answer and delete as successful;
  * the relay exits 0 on SIGTERM.
A missing direction always fails the test.

Usage (root):  python3 tests/integration/test_kamailio.py --sluice build/sluice
               python3 tests/integration/test_kamailio.py --relay rtpengine
Exit status: 0 pass, 1 fail, 77 skipped (not root / kamailio or relay missing).
"""

import argparse
import json
import math
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.kamailio import Kamailio, KamailioError, have_kamailio  # noqa: E402
from sltest.relay import RelayError, make_relay, relay_class  # noqa: E402
from sltest.sdp import parse_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

SIPUA = os.path.join(REPO_ROOT, 'tests', 'kamailio', 'sipua.py')
SKIP = 77
MIN_RATIO = 0.90


def parse_args(argv):
    ap = argparse.ArgumentParser(description='Kamailio + relay end-to-end call test')
    ap.add_argument('--sluice', default=os.path.join(REPO_ROOT, 'build', 'sluice'),
                    help='sluice binary (default: build/sluice)')
    ap.add_argument('--relay', choices=['sluice', 'rtpengine'], default='sluice')
    ap.add_argument('--duration', type=float, default=5.0, help='seconds of RTP each way')
    ap.add_argument('--ptime', type=int, default=20)
    ap.add_argument('--workers', type=int, default=1, help='sluice worker lcores')
    ap.add_argument('--ipv6', action='store_true', help='media over IPv6 (2001:db8::/32)')
    ap.add_argument('--vdev-opts', default=None,
                    help='diagnostics: net_af_packet options instead of the default '
                         '(qdisc_bypass=1,blocksz=4096,framesz=2048,framecnt=2048)')
    ap.add_argument('--verbose', '-v', action='store_true',
                    help='print SDPs, SIP traces and the Kamailio log lines')
    ap.add_argument('--keep', action='store_true', help='keep the work dir (logs, configs)')
    return ap.parse_args(argv)


class Checks:
    """Collects pass/fail lines; a test fails if any check failed."""

    def __init__(self):
        self.results = []

    def check(self, ok, what):
        self.results.append((bool(ok), what))
        return ok

    @property
    def failed(self):
        return [w for ok, w in self.results if not ok]


def wait_file(path, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def load_report(proc, role):
    out = proc.stdout_text().strip()
    try:
        return json.loads(out)
    except ValueError:
        return {'role': role, 'ok': False, 'errors': ['no JSON report (exit %s): %s'
                                                     % (proc.poll(), proc.tail(10))],
                'rtp': {}, 'rtcp': {}, 'sip': {}, 'timing': {}}


def ratio(num, den):
    return num / den if den else 0.0


def check_direction(c, name, tx, rx, relay_src):
    """RTP/RTCP checks for one direction (tx report of the sender, rx report
    of the receiver).  relay_src: 'ip:port' the receiver must see."""
    sent = tx['rtp'].get('sent', 0)
    valid = rx['rtp'].get('valid', 0)
    c.check(sent > 0, '%s: RTP sent (%d)' % (name, sent))
    c.check(valid > 0 and valid >= MIN_RATIO * sent,
            '%s: RTP received intact %d/%d (%.1f%%, need >= %d%%)'
            % (name, valid, sent, 100 * ratio(valid, sent), 100 * MIN_RATIO))
    c.check(rx['rtp'].get('invalid', 1) == 0,
            '%s: no foreign or altered RTP (%d bad%s)'
            % (name, rx['rtp'].get('invalid', -1),
               ': ' + '; '.join(rx['rtp'].get('errors', [])) if rx['rtp'].get('invalid') else ''))
    srcs = rx['rtp'].get('srcs', [])
    c.check(srcs == [relay_src], '%s: RTP comes from the advertised relay port %s (saw %s)'
            % (name, relay_src, ', '.join(srcs) or 'nothing'))
    rsent = tx['rtcp'].get('sent', 0)
    rvalid = rx['rtcp'].get('valid', 0)
    c.check(rsent > 0 and rvalid >= max(1, math.floor(MIN_RATIO * rsent)),
            '%s: RTCP received %d/%d (CNAME checked)' % (name, rvalid, rsent))


def run(args):
    if os.geteuid() != 0:
        print('SKIP: needs root (network namespaces)')
        return SKIP
    if not have_kamailio():
        print('SKIP: kamailio not installed')
        return SKIP
    if args.relay == 'rtpengine' and not shutil.which('rtpengine'):
        print('SKIP: rtpengine not installed (apt-get install rtpengine-daemon)')
        return SKIP
    if args.relay == 'sluice' and not os.access(args.sluice, os.X_OK):
        print('FAIL: sluice binary %s not found (build it or pass --sluice)' % args.sluice)
        return 1

    fam = 6 if args.ipv6 else 4
    c = Checks()
    t_begin = time.monotonic()
    with Topology(kernel_relay=relay_class(args.relay).kernel_relay,
                  keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24',
                              '2001:db8:1::1/64' if args.ipv6 else None,
                              '2001:db8:1::10/64' if args.ipv6 else None)
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24',
                              '2001:db8:2::1/64' if args.ipv6 else None,
                              '2001:db8:2::10/64' if args.ipv6 else None)
        try:
            kw = {'workers': args.workers}
            if args.vdev_opts:
                kw['vdev_opts'] = args.vdev_opts
            relay = make_relay(args.relay, topo, [a, b], sluice_binary=args.sluice, **kw)
        except RelayError as e:
            print('FAIL: relay did not start: %s' % e)
            return 1
        try:
            kam = Kamailio(topo)
        except KamailioError as e:
            print('FAIL: kamailio did not start: %s' % e)
            return 1

        # callee first, then the caller once the callee listens
        common = ['--sip-ns', topo.core, '--duration', args.duration, '--ptime', args.ptime]
        ready = os.path.join(topo.workdir, 'callee.ready')
        callee = topo.spawn('callee', [sys.executable, SIPUA, 'callee', '--sip-addr',
                                       '127.0.0.1:5070', '--media-ns', b.ns, '--media-ip',
                                       b.peer_addr(fam), '--media-port', 20000,
                                       '--ready-file', ready] + common)
        if not wait_file(ready, callee, 10):
            print('FAIL: callee did not start: %s' % callee.tail(20))
            return 1
        caller = topo.spawn('caller', [sys.executable, SIPUA, 'caller', '--sip-addr',
                                       '127.0.0.1:5061', '--proxy', '127.0.0.1:5060', '--to',
                                       'sip:callee@127.0.0.1:5070', '--media-ns', a.ns,
                                       '--media-ip', a.peer_addr(fam), '--media-port', 20000]
                            + common)
        rc_caller = caller.wait(args.duration + 60)
        rc_callee = callee.wait(15)
        if rc_caller is None:
            caller.stop()
        if rc_callee is None:
            callee.stop()
        rep_a = load_report(caller, 'caller')
        rep_b = load_report(callee, 'callee')

        # --- signalling --------------------------------------------------
        c.check(rep_a.get('ok'), 'caller UA completed the call%s'
                % ('' if rep_a.get('ok') else ': ' + '; '.join(rep_a.get('errors', []))))
        c.check(rep_b.get('ok'), 'callee UA completed the call%s'
                % ('' if rep_b.get('ok') else ': ' + '; '.join(rep_b.get('errors', []))))
        c.check(rep_a.get('sip', {}).get('invite_status') == 200, 'INVITE answered 200')
        c.check(rep_a.get('sip', {}).get('bye_status') == 200, 'BYE answered 200')

        # --- SDP rewriting ------------------------------------------------
        to_callee = to_caller = None
        try:
            to_callee = parse_sdp(rep_b.get('sdp_received') or '').audio()
            to_caller = parse_sdp(rep_a.get('sdp_received') or '').audio()
        except ValueError as e:
            c.check(False, 'SDPs parse: %s' % e)
        if to_callee and to_caller:
            c.check(to_callee.addr == b.relay_addr(fam) and to_callee.addr != a.peer_addr(fam),
                    'INVITE to callee carries relay b-side %s (got c=%s m=%d; caller is %s:20000)'
                    % (b.relay_addr(fam), to_callee.addr, to_callee.port, a.peer_addr(fam)))
            c.check(to_caller.addr == a.relay_addr(fam) and to_caller.addr != b.peer_addr(fam),
                    '200 to caller carries relay a-side %s (got c=%s m=%d; callee is %s:20000)'
                    % (a.relay_addr(fam), to_caller.addr, to_caller.port, b.peer_addr(fam)))
            c.check(to_callee.port > 0 and to_caller.port > 0, 'relay ports are non-zero')

            # --- media, both directions -----------------------------------
            # (verify_rtp formats sources as ip:port, no brackets for IPv6)
            check_direction(c, 'caller->callee', rep_a, rep_b,
                            '%s:%d' % (to_callee.addr, to_callee.port))
            check_direction(c, 'callee->caller', rep_b, rep_a,
                            '%s:%d' % (to_caller.addr, to_caller.port))

        # --- Kamailio's view ---------------------------------------------------
        slt = kam.slt_lines()
        for what, pat in (('offer', 'SLT: offer ok'), ('answer', 'SLT: answer (200) ok'),
                          ('delete', 'SLT: delete ok')):
            c.check(any(pat in ln for ln in slt), 'Kamailio: %s ok' % what)
        mos = [ln for ln in slt if ln.startswith('SLT: delete ok')]

        rc_kam = kam.stop()
        rc_relay = relay.stop()
        c.check(rc_relay == 0, '%s exited %s on SIGTERM' % (args.relay, rc_relay))

        # --- summary -----------------------------------------------------------
        total = time.monotonic() - t_begin
        ta = rep_a.get('timing', {})
        print('relay %s (pid %s): ng pong after %.2f s; kamailio up after %.2f s'
              % (args.relay, relay.pid, relay.startup_s or 0, kam.startup_s or 0))
        print('call %s: INVITE->200 %.0f ms, media %.1f s, total test %.1f s'
              % (rep_a.get('call_id'), 1000 * ta.get('final_response', 0),
                 ta.get('media_end', 0) - ta.get('media_start', 0), total))
        for name, tx, rx in (('caller->callee', rep_a, rep_b), ('callee->caller', rep_b, rep_a)):
            missing = rx['rtp'].get('missing') or []
            last = rx['rtp'].get('max_index', -1)
            if last + 1 < tx['rtp'].get('sent', 0):
                missing = missing + ['%d..%d (tail)' % (last + 1, tx['rtp'].get('sent') - 1)]
            print('  %s: RTP sent %d (%d B) received %d valid %d invalid %d dup %d | '
                  'RTCP sent %d received %d valid %d%s'
                  % (name, tx['rtp'].get('sent', 0), tx['rtp'].get('sent_bytes', 0),
                     rx['rtp'].get('received', 0), rx['rtp'].get('valid', 0),
                     rx['rtp'].get('invalid', 0), rx['rtp'].get('duplicates', 0),
                     tx['rtcp'].get('sent', 0), rx['rtcp'].get('received', 0),
                     rx['rtcp'].get('valid', 0),
                     ' | missing %s' % ', '.join(str(m) for m in missing) if missing else ''))
        if mos:
            print('  kamailio: ' + mos[-1])
        if args.verbose or c.failed:
            print('--- SDP caller sent ---\n%s--- SDP callee got ---\n%s'
                  '--- SDP callee sent ---\n%s--- SDP caller got ---\n%s'
                  % (rep_a.get('sdp_sent'), rep_b.get('sdp_received'),
                     rep_b.get('sdp_sent'), rep_a.get('sdp_received')))
            print('--- caller SIP ---\n' + '\n'.join(rep_a.get('sip', {}).get('trace', [])))
            print('--- callee SIP ---\n' + '\n'.join(rep_b.get('sip', {}).get('trace', [])))
            print('--- kamailio ---\n' + '\n'.join(slt))
        if c.failed:
            print('--- %s log tail ---\n%s' % (args.relay, relay.log_tail(40)))
            print('--- kamailio log tail ---\n%s' % kam.log_tail(20))
        for ok, what in c.results:
            if args.verbose or not ok:
                print('%s %s' % ('ok  ' if ok else 'FAIL', what))
        if args.keep:
            print('work dir kept: %s' % topo.workdir)
        if rc_kam not in (0, None):
            print('note: kamailio exited %s' % rc_kam)
    if c.failed:
        print('FAIL: %d of %d checks failed' % (len(c.failed), len(c.results)))
        return 1
    print('PASS: %d checks' % len(c.results))
    return 0


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
