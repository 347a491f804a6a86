#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Soak, CI size: 1,000 calls, 50 setups+teardowns per second, 90 s, media through 100.

The engine is sltest.soak (scripts/soak runs it full size: 10,000 calls, 200/s,
10 min).  Here: 1,000 concurrent calls set up over ng, then for 90 s one
call is deleted and a new one set up 50 times a second while the C load
generator (tests/bench/loadgen.c, compiled on the fly when build/ has no
sl_loadgen) streams RTP both ways through 100 calls that stay up; every
5 s sluice's RSS, DPDK heap, packet buffers and ng latency are sampled.

Checks (no timing assertions): no call lost (every call the driver set up
and did not delete is in `list`; sluice timed none out), every ng request
answered ok (no timeout, no error), every media call carried packets and
the generator saw nothing foreign, memory flat after warm-up -- RSS of the
samples from 65 s on (the ng duplicate-cookie cache keeps replies for up to
two 30 s generations, so it fills for 60 s) within 8 MB, the DPDK heap in use
within 1 MB, packet buffers in use back to at most 64 -- every relay port
free after the clean-up and sluice exits 0.  The figures are printed.

Usage (root):  python3 tests/integration/test_soak.py --sluice build/sluice [--seconds 90]
Exit status: 0 pass, 1 fail, 77 skipped (not root).
"""

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import soak  # noqa: E402
from sltest.itest import Checks, common_args, preflight  # noqa: E402

WARMUP_S = 65.0
RSS_BOUND_KB = 8 * 1024
HEAP_BOUND = 1 << 20


def parse_args(argv):
    ap = common_args('soak, CI size: 1,000 calls, 50/s churn, media, 90 s')
    ap.add_argument('--seconds', type=float, default=90.0)
    ap.add_argument('--calls', type=int, default=1000)
    ap.add_argument('--churn', type=int, default=50)
    return ap.parse_args(argv)


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    sargs = soak.parse_args(['--sluice', args.sluice, '--calls', str(args.calls),
                             '--churn', str(args.churn), '--seconds', str(args.seconds),
                             '--media-calls', '100', '--media-pps', '10000', '--sample', '5',
                             '--delete-delay', '5'] + (['--keep'] if args.keep else []))
    res = soak.soak(sargs, out=soak.print_sample)
    print(soak.summary(res))
    if not c.check('error' not in res, 'soak ran (%s)' % res.get('error', 'ok')):
        return c.finish('test_soak', t_begin)
    calls, ng, media = res['calls'], res['ng'], res['media']
    c.eq(res['ramp']['calls'], args.calls, 'calls set up in the ramp-up')
    c.check(res['churn']['ops'] > 0, 'calls churned (%d setups+teardowns)' % res['churn']['ops'])
    c.eq((calls['lost'], calls['timeouts_by_relay']), (0, 0),
         'calls lost, calls sluice timed out (%s)' % calls['lost_examples'])
    c.eq((ng['timeouts'], ng['errors']), (0, 0),
         'ng requests unanswered, answered with an error, of %d (%s %s)'
         % (ng['requests'], ng['timeout_examples'], ng['error_examples']))
    if res['notes']:
        print('note: ' + '; '.join(res['notes']))
    else:
        c.check(media['chunks'] > 0 and not media['chunk_errors'] and media['received'] > 0,
                'load generator ran and media arrived (%d chunks, %d received, %s)'
                % (media['chunks'], media['received'], media['chunk_errors']))
        c.eq((media['invalid'], media['media_calls_without_packets']), (0, 0),
             'foreign/altered packets at the generator, media calls without packets')
    late = [s for s in res['samples'] if s['t_s'] >= WARMUP_S]
    if c.check(len(late) >= 2, '%d samples after the %.0f s warm-up' % (len(late), WARMUP_S)):
        rss = [s['rss_kb'] for s in late]
        heap = [s['dpdk_heap_alloc'] for s in late]
        c.check(None not in rss and max(rss) - min(rss) <= RSS_BOUND_KB,
                'RSS flat after warm-up: %s..%s kB (bound %d kB)'
                % (min(rss), max(rss), RSS_BOUND_KB))
        c.check(None not in heap and max(heap) - min(heap) <= HEAP_BOUND,
                'DPDK heap in use flat after warm-up: %s..%s B' % (min(heap), max(heap)))
    mb = [s['mbufs_in_use'] for s in res['samples']]
    c.check(mb and mb[-1] is not None and mb[-1] <= 64,
            'packet buffers in use at the end: %s (over the run %s..%s)'
            % (mb[-1] if mb else None, min(mb, default=None), max(mb, default=None)))
    c.check(res.get('ports_used_after') and not any(res['ports_used_after'].values()),
            'every relay port free after the clean-up (%s)' % res.get('ports_used_after'))
    c.eq(res.get('sluice_rc'), 0, 'sluice exit code on SIGTERM')
    return c.finish('test_soak', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
