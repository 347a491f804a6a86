#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Kamailio's MOS pseudo-variables end to end (rtpengine-compat 6.1-6.3).

Kamailio 5.6 (tests/kamailio/kamailio.cfg.tmpl) has mos_min_pv, mos_max_pv,
mos_average_pv (+ packet loss, jitter, round trip, samples) and the _A/_B
variants for the parties labelled "caller" (label=caller in the offer) and
"callee" (label=callee in the answer); on BYE, after rtpengine_manage()
deleted the call, an xlog line prints them all.

Two calls through the same sluice and Kamailio, one after the other, each
with RTP and RTCP both ways (an SR every second with report blocks about
the other side's stream, LSR/DLSR echoed, so sluice can measure both legs'
round trips and compute MOS-CQ):
  clean   no impairment
  lossy   each UA drops 2 % of its own RTP packets at the sender (every
          50th), so each side's receiver reports ~1-3 % loss
The test fails unless, for both calls, Kamailio printed every value, each
MOS is d.d within 1.0..5.0 (rtpengine sends MOS x10; the module prints
MOS/10 with one decimal) with min <= average <= max, the lossy call's
min/average (global and per party) are lower than the clean call's, its
max is not higher, its average packet loss is > 0 and the clean call's 0,
and every round trip is a plausible positive number of microseconds.

Usage (root): python3 tests/integration/test_kamailio_mos.py [--sluice build/sluice] [-v]
Exit: 0 pass, 1 fail, 77 skip (not root, no kamailio).
"""

import json
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import SKIP, Checks, common_args, preflight, wait_until  # noqa: E402
from sltest.kamailio import DEFAULT_FLAGS, Kamailio, KamailioError, have_kamailio  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.topo import Topology  # noqa: E402

SIPUA = os.path.join(REPO_ROOT, 'tests', 'kamailio', 'sipua.py')
MOS_RE = re.compile(r'^\d\.\d$')
KEYS = ('mos_min', 'mos_max', 'mos_average', 'mos_average_packetloss', 'mos_average_jitter',
        'mos_average_roundtrip', 'mos_average_samples', 'mos_min_A', 'mos_max_A',
        'mos_average_A', 'mos_min_B', 'mos_max_B', 'mos_average_B')


def parse_args(argv):
    ap = common_args(__doc__.split('\n')[0])
    ap.add_argument('--duration', type=float, default=6.0, help='seconds of RTP per call')
    ap.add_argument('--loss', type=int, default=2, help='%% loss injected in the lossy call')
    return ap.parse_args(argv)


def run_call(topo, a, b, call_id, duration, loss):
    """One SIP call caller (netns a) -> Kamailio -> callee (netns b); returns
    (caller report, callee report) as the UAs printed them."""
    common = ['--sip-ns', topo.core, '--duration', duration, '--no-trace']
    if loss:
        common += ['--loss', loss]
    ready = os.path.join(topo.workdir, '%s.ready' % call_id)
    callee = topo.spawn('callee-' + call_id, [
        sys.executable, SIPUA, 'callee', '--sip-addr', '127.0.0.1:5070', '--media-ns', b.ns,
        '--media-ip', b.peer_ip, '--media-port', 20000, '--ready-file', ready] + common)
    if not wait_until(lambda: os.path.exists(ready) or callee.poll() is not None, 10):
        callee.stop()
        return None, None
    caller = topo.spawn('caller-' + call_id, [
        sys.executable, SIPUA, 'caller', '--sip-addr', '127.0.0.1:5061', '--proxy',
        '127.0.0.1:5060', '--to', 'sip:callee@127.0.0.1:5070', '--call-id', call_id,
        '--media-ns', a.ns, '--media-ip', a.peer_ip, '--media-port', 20000] + common)
    if caller.wait(duration + 60) is None:
        caller.stop()
    if callee.wait(15) is None:
        callee.stop()
    reps = []
    for p in (caller, callee):
        try:
            reps.append(json.loads(p.stdout_text()))
        except ValueError:
            reps.append({'ok': False, 'errors': ['no report: ' + p.tail(5)], 'rtp': {},
                         'rtcp': {}})
    return reps[0], reps[1]


def delete_line(kam, call_id):
    """{key: value} of the 'SLT: delete ok' line of this call, or None."""
    for ln in kam.slt_lines():
        if ln.startswith('SLT: delete ok') and ln.rstrip().endswith('callid=' + call_id):
            return dict(kv.split('=', 1) for kv in ln[len('SLT: delete ok'):].split())
    return None


def mos10(v):
    """'4.3' -> 43, anything else -> None."""
    return int(v.replace('.', '')) if isinstance(v, str) and MOS_RE.match(v) else None


def check_call(c, name, vals):
    """Presence and plausibility of one call's printed values."""
    if not c.check(vals is not None, '%s: Kamailio logged the delete with MOS values' % name):
        return
    for k in KEYS:
        c.check(vals.get(k) not in (None, '', '<null>'), '%s: %s printed (%r)'
                % (name, k, vals.get(k)))
    for sfx in ('', '_A', '_B'):
        lo, hi, av = (mos10(vals.get('mos_%s%s' % (w, sfx))) for w in ('min', 'max', 'average'))
        c.check(None not in (lo, hi, av) and 10 <= lo <= av <= hi <= 50,
                '%s: MOS%s min %s <= average %s <= max %s, each d.d in 1.0..5.0'
                % (name, sfx or ' (call)', vals.get('mos_min' + sfx),
                   vals.get('mos_average' + sfx), vals.get('mos_max' + sfx)))
    rtt = vals.get('mos_average_roundtrip', '')
    c.check(rtt.isdigit() and 0 < int(rtt) < 2000000,
            '%s: average round trip %s us is positive and < 2 s' % (name, rtt))
    smp = vals.get('mos_average_samples', '')
    c.check(smp.isdigit() and int(smp) >= 1, '%s: %s MOS samples per SSRC' % (name, smp))


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    if not have_kamailio():
        print('SKIP: kamailio not installed')
        return SKIP
    c = Checks(args.verbose)
    t0 = time.monotonic()
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        try:
            relay = Sluice(args.sluice, topo, [a, b])
        except RelayError as e:
            print('FAIL: sluice did not start: %s' % e)
            return 1
        try:
            kam = Kamailio(topo, offer_flags=DEFAULT_FLAGS + ' direction=a direction=b '
                           'label=caller', answer_flags=DEFAULT_FLAGS + ' label=callee')
        except KamailioError as e:
            print('FAIL: kamailio did not start: %s' % e)
            return 1

        calls = {}
        for name, loss in (('clean', 0), ('lossy', args.loss)):
            cid = 'mos-%s-%d@sluice.test' % (name, os.getpid())
            rep_a, rep_b = run_call(topo, a, b, cid, args.duration, loss)
            ok = rep_a is not None and rep_a.get('ok') and rep_b.get('ok')
            c.check(ok, '%s: call completed%s' % (name, '' if ok else ': %s %s' % (
                (rep_a or {}).get('errors'), (rep_b or {}).get('errors'))))
            if rep_a is not None:
                for who, tx, rx in (('caller', rep_a, rep_b), ('callee', rep_b, rep_a)):
                    c.check(tx['rtp'].get('skipped', 0) >= (1 if loss else 0) and
                            (loss or tx['rtp'].get('skipped', 0) == 0),
                            '%s: %s skipped %s RTP packets (loss %d %%)'
                            % (name, who, tx['rtp'].get('skipped'), loss))
                    c.check(tx['rtcp'].get('sent', 0) >= 3 and rx['rtcp'].get('valid', 0) >= 3,
                            '%s: %s RTCP sent %s, %s arrived at the other side'
                            % (name, who, tx['rtcp'].get('sent'), rx['rtcp'].get('valid')))
            m = wait_until(lambda: delete_line(kam, cid), 5)
            calls[name] = m
            check_call(c, name, m)
            print('%s call %s: %s' % (name, cid, ' '.join('%s=%s' % (k, (m or {}).get(k))
                                                           for k in KEYS)))

        cl, ls = calls['clean'] or {}, calls['lossy'] or {}
        for sfx in ('', '_A', '_B'):
            for w in ('min', 'average'):
                k = 'mos_%s%s' % (w, sfx)
                x, y = mos10(ls.get(k)), mos10(cl.get(k))
                c.check(x is not None and y is not None and x < y,
                        'lossy %s %s < clean %s' % (k, ls.get(k), cl.get(k)))
            k = 'mos_max' + sfx
            x, y = mos10(ls.get(k)), mos10(cl.get(k))
            c.check(x is not None and y is not None and x <= y,
                    'lossy %s %s <= clean %s' % (k, ls.get(k), cl.get(k)))
        pl_l, pl_c = ls.get('mos_average_packetloss', ''), cl.get('mos_average_packetloss', '')
        c.check(pl_l.isdigit() and 1 <= int(pl_l) <= 3 * args.loss,
                'lossy average packet loss %s %% is in 1..%d' % (pl_l, 3 * args.loss))
        c.check(pl_c == '0', 'clean average packet loss %s %% is 0' % pl_c)

        rc_kam = kam.stop()
        rc_relay = relay.stop()
        c.check(rc_relay == 0, 'sluice exited %s on SIGTERM' % rc_relay)
        if c.failed:
            print('--- kamailio SLT lines ---\n' + '\n'.join(kam.slt_lines()[-12:]))
            print('--- sluice log tail ---\n' + relay.log_tail(20))
        if rc_kam not in (0, None):
            print('note: kamailio exited %s' % rc_kam)
    return c.finish('kamailio_mos', t0)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
