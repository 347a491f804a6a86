#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""scripts/sluice-ctl against a running sluice (rtpengine-compat 8.2).

One call over ng (offer with label=caller, answer with label=callee) with
known impairments, RTP + RTCP both ways for 6 s:
  caller -> callee   2 % loss (every 50th packet skipped at the sender) and
                     10 ms jitter (every odd packet sent 10 ms late)
  callee -> caller   clean
sluice-ctl runs in sluice's netns (where its ng socket is) with
`-ip 127.0.0.1:2223`, `--ng=...` and `--json`.  Checks against what was sent:
  * call <id> info: duration; per leg the packets and bytes sluice got (all
    of the sender's, none of the other's), loss = the packets the sender
    skipped (count and %), jitter average/max about 10 ms on the caller's
    stream and lower on the callee's; what each party reported: the callee
    ~1-3 % loss and ~10 ms jitter, the caller none; MOS avg/min/max present,
    min <= avg <= max, the callee's (it hears the impaired stream) below the
    caller's; the text screen shows the same numbers as --json;
  * DPDK telemetry /sluice/call,<id> has the same loss, jitter and MOS;
  * list numsessions / sessions / totals; terminate <id>; terminate all;
  * errors: unknown call -> exit 1, nobody listening -> exit 1.

Usage (root): python3 tests/integration/test_ctl.py [--sluice build/sluice] [-v] [--keep]
  --show  print the sluice-ctl screen (README material)
Exit: 0 pass, 1 fail, 77 skip (not root).
"""

import json
import os
import re
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))

from sltest import REPO_ROOT  # noqa: E402
from sltest.itest import Checks, Telemetry, common_args, preflight  # noqa: E402
from sltest.netns import run_in  # noqa: E402
from sltest.relay import RelayError, Sluice  # noqa: E402
from sltest.rtp import Pattern, RtpPeer, even_loss  # noqa: E402
from sltest.sdp import build_sdp, parse_sdp  # noqa: E402
from sltest.topo import Topology  # noqa: E402

CTL = os.path.join(REPO_ROOT, 'scripts', 'sluice-ctl')
LOSS, JITTER = 2, 10


def parse_args(argv):
    ap = common_args(__doc__.split('\n')[0])
    ap.add_argument('--duration', type=float, default=6.0)
    ap.add_argument('--show', action='store_true', help='print the call info screen')
    return ap.parse_args(argv)


def ctl(ns, *words, check=False):
    """Run sluice-ctl inside `ns`; (exit code, stdout, stderr)."""
    res = run_in(ns, [sys.executable, CTL] + list(words), check=check, timeout=30)
    return res.returncode, res.stdout, res.stderr


def offer_answer(ng, cid, a, b):
    off = ng.offer(cid, 'ft-' + cid, build_sdp(a.peer_ip, 20000), flags=['trust-address'],
                   replace=['origin'], direction=['a', 'b'], label='caller')
    ans = ng.answer(cid, 'ft-' + cid, 'tt-' + cid, build_sdp(b.peer_ip, 20000),
                    flags=['trust-address'], replace=['origin'], label='callee')
    mb, ma = parse_sdp(off['sdp']).audio(), parse_sdp(ans['sdp']).audio()
    return (mb.addr, mb.port), (ma.addr, ma.port)


def screen_leg(text, name):
    """The numbers of one leg's block of the text screen."""
    m = re.search(r'^  leg %s .*?(?=^  leg |\Z)' % re.escape(name), text, re.S | re.M)
    if not m:
        return None
    blk = m.group(0)
    out = {}
    s = re.search(r'sent +(\d+) packets +(\d+) bytes +lost (\d+) \(([\d.]+) %\) +jitter avg '
                  r'(\d+) ms max (\d+) ms', blk)
    if s:
        out.update(packets=int(s.group(1)), bytes=int(s.group(2)), lost=int(s.group(3)),
                   loss_pct=float(s.group(4)), jitter_avg=int(s.group(5)),
                   jitter_max=int(s.group(6)))
    r = re.search(r'received +loss (\d+) % \(cumulative (-?\d+)\) +jitter avg (\d+) ms max '
                  r'(\d+) ms +round trip ([\d.]+) ms', blk)
    if r:
        out.update(rep_loss=int(r.group(1)), rep_cum=int(r.group(2)),
                   rep_jit_avg=int(r.group(3)), rep_jit_max=int(r.group(4)),
                   rtt_ms=float(r.group(5)))
    mo = re.search(r'MOS +avg ([\d.]+) +min ([\d.]+) +max ([\d.]+) +\((\d+) samples\)', blk)
    if mo:
        out.update(mos_avg=float(mo.group(1)), mos_min=float(mo.group(2)),
                   mos_max=float(mo.group(3)), mos_samples=int(mo.group(4)))
    return out


def run(args):
    rc = preflight(args)
    if rc is not None:
        return rc
    c = Checks(args.verbose)
    t_begin = time.monotonic()
    n = int(args.duration * 50)
    with Topology(keep_workdir=args.keep) as topo:
        a = topo.add_endpoint('a', '198.18.1.1/24', '198.18.1.10/24')
        b = topo.add_endpoint('b', '198.18.2.1/24', '198.18.2.10/24')
        try:
            relay = Sluice(args.sluice, topo, [a, b])
        except RelayError as e:
            print('FAIL: sluice did not start: %s' % e)
            return 1
        ng = relay.ng_client()
        ns = topo.core
        cid = 'ctl-%d@sluice.test' % os.getpid()
        to_b, to_a = offer_answer(ng, cid, a, b)
        pa, pb = RtpPeer(a.ns, a.peer_ip, 20000), RtpPeer(b.ns, b.peer_ip, 20000)
        pa.start_capture()
        pb.start_capture()
        res = {}

        def snd(p, dst, key, **kw):
            res[key] = p.send_stream(dst, n, pattern=Pattern(cid, key),
                                     rtcp_dst=(dst[0], dst[1] + 1), **kw)
        t_media = time.monotonic()
        ta = threading.Thread(target=snd, args=(pa, to_a, 'caller'),
                              kwargs={'skip': even_loss(LOSS), 'jitter_ms': JITTER})
        tb = threading.Thread(target=snd, args=(pb, to_b, 'callee'))
        ta.start()
        time.sleep(0.3)
        tb.start()
        ta.join(60)
        tb.join(60)
        time.sleep(1.2)  # the last RTCP and one more jitter sample
        media_s = time.monotonic() - t_media
        sa, sb = res['caller'], res['callee']
        # skipped packets inside the stream (a skipped last one is never "lost")
        skip = even_loss(LOSS)
        last = max(i for i in range(n) if not skip(i))
        lost_want = sum(1 for i in range(last) if skip(i))

        # --- call <id> info ----------------------------------------------------
        rc_j, out_j, err_j = ctl(ns, '--ng=127.0.0.1:2223', '--json', 'call', cid, 'info')
        rc_t, out_t, err_t = ctl(ns, '-ip', '127.0.0.1:2223', 'call', cid, 'info')
        c.check(rc_j == 0 and rc_t == 0, 'call info exits 0 (%s %s) %s%s'
                % (rc_j, rc_t, err_j, err_t))
        try:
            q = json.loads(out_j)
        except ValueError:
            q = {'legs': []}
            c.check(False, '--json output parses: %r' % out_j[:200])
        if args.show or args.verbose:
            print('$ sluice-ctl call %s info\n%s' % (cid, out_t))
        legs = {leg['label']: leg for leg in q.get('legs', [])}
        c.check(sorted(legs) == ['callee', 'caller'], 'two legs, labelled caller and callee '
                '(%s)' % sorted(legs))
        c.check(media_s - 1 <= q.get('duration_s', -1) <= media_s + 30,
                'duration %s s covers the %.1f s of media' % (q.get('duration_s'), media_s))
        ca, ce = legs.get('caller', {}), legs.get('callee', {})
        got_b = len(pb.captured())  # what crossed sluice towards the callee
        c.check(got_b <= ca.get('packets', -1) <= sa['sent'] and
                ca.get('bytes') == ca.get('packets', 0) * 172,
                'caller leg: %s packets / %s bytes (sent %d, callee got %d, 172 B each)'
                % (ca.get('packets'), ca.get('bytes'), sa['sent'], got_b))
        c.check(len(pa.captured()) <= ce.get('packets', -1) <= sb['sent'],
                'callee leg: %s packets (sent %d)' % (ce.get('packets'), sb['sent']))
        net = sa['sent'] - ca.get('packets', 0)  # lost on the veth, normally 0
        c.check(lost_want <= (ca.get('lost') if ca.get('lost') is not None else -1)
                <= lost_want + net,
                'caller leg lost %s = the %d packets the caller skipped (+%d lost on the way)'
                % (ca.get('lost'), lost_want, net))
        exp = ca.get('expected') or 0
        c.check(exp > 0 and abs(ca.get('loss_pct', -1) - 100.0 * ca.get('lost', 0) / exp) < 0.01
                and 1.0 <= ca.get('loss_pct', 0) <= 3.0,
                'caller leg loss %s %% of %s expected (%d %% injected)'
                % (ca.get('loss_pct'), exp, LOSS))
        c.check(ce.get('lost') == 0 and ce.get('loss_pct') == 0,
                'callee leg: no loss (%s, %s %%)' % (ce.get('lost'), ce.get('loss_pct')))
        ja, jm = ca.get('jitter_avg_ms') or -1, ca.get('jitter_max_ms') or -1
        c.check(JITTER - 2 <= ja <= jm <= 4 * JITTER,
                'caller leg jitter avg %s ms <= max %s ms, about the %d ms injected'
                % (ja, jm, JITTER))
        c.check(0 <= (ce.get('jitter_avg_ms') or 0) < ja,
                'callee leg jitter avg %s ms below the caller\'s' % ce.get('jitter_avg_ms'))
        ra, re_ = ca.get('reported', {}), ce.get('reported', {})
        c.check(re_.get('loss_avg_pct') is not None and 1 <= re_['loss_avg_pct'] <= 3 * LOSS
                and (re_.get('cumulative_loss') or 0) >= lost_want - 1,
                'callee reported %s %% loss (cumulative %s) about the caller\'s stream'
                % (re_.get('loss_avg_pct'), re_.get('cumulative_loss')))
        c.check(re_.get('jitter_avg_ms') is not None and JITTER - 2 <= re_['jitter_avg_ms'] <=
                (re_.get('jitter_max_ms') or 0) <= 4 * JITTER,
                'callee reported jitter avg %s ms, max %s ms'
                % (re_.get('jitter_avg_ms'), re_.get('jitter_max_ms')))
        c.check(ra.get('loss_avg_pct') == 0 and ra.get('cumulative_loss') == 0,
                'caller reported no loss (%s %%, cumulative %s)'
                % (ra.get('loss_avg_pct'), ra.get('cumulative_loss')))
        for name, r in (('caller', ra), ('callee', re_)):
            v = [r.get(k) for k in ('mos_min', 'mos_avg', 'mos_max')]
            c.check(None not in v and 1.0 <= v[0] <= v[1] <= v[2] <= 4.5 and
                    (r.get('mos_samples') or 0) >= 1 and (r.get('rtt_avg_us') or 0) > 0,
                    '%s MOS min %s <= avg %s <= max %s (%s samples, RTT %s us)'
                    % (name, v[0], v[1], v[2], r.get('mos_samples'), r.get('rtt_avg_us')))
        c.check((re_.get('mos_avg') or 9) < (ra.get('mos_avg') or 0),
                'the callee (hears the impaired stream) has the lower MOS: %s < %s'
                % (re_.get('mos_avg'), ra.get('mos_avg')))
        for name, leg in (('caller', ca), ('callee', ce)):
            s = screen_leg(out_t, name) or {}
            r = leg.get('reported', {})
            want = {'packets': leg.get('packets'), 'bytes': leg.get('bytes'),
                    'lost': leg.get('lost'), 'loss_pct': round(leg.get('loss_pct') or 0, 1),
                    'jitter_avg': leg.get('jitter_avg_ms'),
                    'jitter_max': leg.get('jitter_max_ms'),
                    'rep_loss': r.get('loss_avg_pct'), 'rep_cum': r.get('cumulative_loss'),
                    'rep_jit_avg': r.get('jitter_avg_ms'),
                    'rep_jit_max': r.get('jitter_max_ms'),
                    'rtt_ms': round((r.get('rtt_avg_us') or 0) / 1000.0, 1),
                    'mos_avg': r.get('mos_avg'), 'mos_min': r.get('mos_min'),
                    'mos_max': r.get('mos_max'), 'mos_samples': r.get('mos_samples')}
            diff = {k: (s.get(k), v) for k, v in want.items() if s.get(k) != v}
            c.check(not diff, 'text screen of the %s leg shows the --json figures %s'
                    % (name, diff or ''))

        # --- the same figures from DPDK telemetry -----------------------------
        try:
            tel = Telemetry(relay.file_prefix)
            t = tel.query('/sluice/call,%s' % cid).get('/sluice/call') or {}
            tel.close()
        except OSError as e:
            t = {}
            c.check(False, 'telemetry socket: %s' % e)
        pk = {t.get('p0_label'): 'p0', t.get('p1_label'): 'p1'}
        tbad = []
        for name, leg in (('caller', ca), ('callee', ce)):
            p = pk.get(name, 'p?') + '_m1_'
            r = leg.get('reported', {})
            pairs = [('lost', leg.get('lost')), ('expected', leg.get('expected')),
                     ('ssrc', leg.get('ssrc')), ('mos_avg', round((r.get('mos_avg') or 0) * 10)),
                     ('rtcp_loss_avg_pct', r.get('loss_avg_pct'))]
            for k, v in pairs:
                if t.get(p + k) != v:
                    tbad.append('%s%s=%s (ng %s)' % (p, k, t.get(p + k), v))
            jit = t.get(p + 'jitter_avg_us')  # 0 is a real value (the clean leg)
            if not isinstance(jit, int) or not abs(jit / 1000.0 -
                                                   (leg.get('jitter_avg_ms') or 0)) < 1.5:
                tbad.append('%sjitter_avg_us=%s' % (p, t.get(p + 'jitter_avg_us')))
        c.check(t and not tbad, 'telemetry /sluice/call,<id> has the same loss, jitter and MOS '
                '(%s)' % '; '.join(tbad[:4]))
        if args.show:
            print('$ dpdk-telemetry.py -f %s  /sluice/call,%s  (quality keys)\n%s' % (
                relay.file_prefix, cid, json.dumps({k: v for k, v in t.items() if re.match(
                    r'p\d_(label|m1_(ssrc|expected|lost|jitter_|rtcp_(cum|jit|loss)|rtt|mos))', k)},
                    indent=1)))

        # --- list ---------------------------------------------------------------
        cid2 = 'ctl2-%d@sluice.test' % os.getpid()
        offer_answer(ng, cid2, a, b)
        rc1, out1, _ = ctl(ns, 'list', 'numsessions')
        c.check(rc1 == 0 and 'Current sessions own: 2' in out1 and
                'Current sessions total: 2' in out1, 'list numsessions: 2 (%r)' % out1)
        rc1, out1, _ = ctl(ns, '--json', 'list', 'sessions')
        ids = [s.get('call-id') for s in json.loads(out1)] if rc1 == 0 else []
        c.check(sorted(ids) == sorted([cid, cid2]), 'list sessions --json: both calls (%s)' % ids)
        rc1, out1, _ = ctl(ns, 'list', 'sessions')
        c.check(rc1 == 0 and ('callid: %s |' % cid) in out1 and ('callid: %s |' % cid2) in out1,
                'list sessions: one line per call')
        rc1, out1, _ = ctl(ns, 'list', 'totals')
        m = re.search(r'Total managed sessions\s*:(\d+)', out1)
        c.check(rc1 == 0 and m and int(m.group(1)) == 2 and
                re.search(r'totaloffercount\s*:2', out1),
                'list totals: 2 managed sessions, 2 offers')

        # --- terminate ------------------------------------------------------------
        rc1, out1, err1 = ctl(ns, 'terminate', cid)
        rc2, _, err2 = ctl(ns, 'call', cid, 'info')
        c.check(rc1 == 0 and 'terminated' in out1 and rc2 == 1 and 'Unknown call-id' in err2,
                'terminate <id>: the call is gone (%s %r / %s %r)' % (rc1, out1, rc2, err2))
        offer_answer(ng, cid + '-3', a, b)
        rc1, out1, _ = ctl(ns, 'terminate', 'all')
        rc2, out2, _ = ctl(ns, 'list', 'numsessions')
        c.check(rc1 == 0 and '2 call(s) terminated' in out1 and 'Current sessions total: 0'
                in out2, 'terminate all: %r, then %r' % (out1.strip(), out2.strip()))
        rc1, _, err1 = ctl(ns, '-ip', '127.0.0.1:9', '--timeout', '0.2', 'list', 'numsessions')
        c.check(rc1 == 1 and 'sluice-ctl:' in err1, 'nobody on the ng port: exit 1 (%r)' % err1)
        rc1, _, _ = ctl(ns, 'frobnicate')
        c.check(rc1 == 2, 'unknown command: exit 2')

        pa.close()
        pb.close()
        rc = relay.stop()
        c.check(rc == 0, 'sluice exited %s on SIGTERM' % rc)
    return c.finish('ctl', t_begin)


def main(argv=None):
    return run(parse_args(argv))


if __name__ == '__main__':
    sys.exit(main())
